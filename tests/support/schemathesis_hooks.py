"""Hooks for the conformance run (tests/api/test_api_conformance.py), loaded by schemathesis.

An import body is NDJSON text: sent as the generated string, like text/plain.
"""

from __future__ import annotations

import schemathesis

schemathesis.serializer.alias("application/x-ndjson", "text/plain")
