"""``python -m hunt.relay``: the relay process the server starts (see ``hunt.relay._process``)."""

import sys

from ._process import child_main

sys.exit(child_main())
