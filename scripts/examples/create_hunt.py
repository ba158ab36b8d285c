"""Create a hunt from a JSON definition file.

    hunt run scripts/examples/create_hunt.py hunt/sample_hunt.json [--start]

Safe beside a running server on the same data dir: the server sees the new hunt at once. A
hunt the server has loaded cannot be written from here (its file is locked): start it from
the dashboard or with ``POST /admin/hunts/{id}/start`` instead. Every failure is one line.
"""

import sys
from pathlib import Path

import orjson

from hunt.domain import DefinitionError, StartHunt
from hunt.store import StoreError


async def main(engine, args):
    if not args:
        print("usage: create_hunt.py DEFINITION.json [--start]", file=sys.stderr)
        return 2
    try:
        document = orjson.loads(Path(args[0]).read_bytes())
    except (OSError, orjson.JSONDecodeError) as err:
        print(f"create_hunt.py: cannot read {args[0]}: {err}", file=sys.stderr)
        return 2
    try:
        definition = await engine.create_hunt(document)
    except DefinitionError as err:
        print(f"create_hunt.py: invalid definition: {err}", file=sys.stderr)
        return 1
    except StoreError as err:  # HuntExists, or the data dir cannot be written
        print(f"create_hunt.py: {err}", file=sys.stderr)
        return 1
    print(f"created {definition.id}: {definition.title} ({len(definition.clues)} clues)")
    if "--start" in args[1:]:
        try:
            [result] = await engine.submit(definition.id, [StartHunt("create-hunt-script-start")])
        except Exception as err:  # e.g. a running server loaded the hunt in the meantime (its file is locked)
            print(f"create_hunt.py: created, but cannot start {definition.id} here: {err}; start it from the "
                  f"dashboard or with POST /admin/hunts/{definition.id}/start", file=sys.stderr)
            return 1
        print(f"started: {getattr(result, 'fields', result)}")
    return 0
