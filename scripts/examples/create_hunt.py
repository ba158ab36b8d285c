"""Create a hunt from a JSON definition file.

    hunt run scripts/examples/create_hunt.py hunt/sample_hunt.json [--start]
"""

import sys
from pathlib import Path

import orjson

from hunt.domain import DefinitionError, StartHunt
from hunt.store import HuntExists


async def main(engine, args):
    if not args:
        print("usage: create_hunt.py DEFINITION.json [--start]", file=sys.stderr)
        return 2
    document = orjson.loads(Path(args[0]).read_bytes())
    try:
        definition = await engine.create_hunt(document)
    except DefinitionError as err:
        print(f"invalid definition: {err}", file=sys.stderr)
        return 1
    except HuntExists as err:
        print(err, file=sys.stderr)
        return 1
    print(f"created {definition.id}: {definition.title} ({len(definition.clues)} clues)")
    if "--start" in args[1:]:
        [result] = await engine.submit(definition.id, [StartHunt("create-hunt-script-start")])
        print(f"started: {getattr(result, 'fields', result)}")
    return 0
