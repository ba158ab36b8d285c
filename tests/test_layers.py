"""The layers of DESIGN §2 and STYLE, checked on the source: who may import whom.

actors/ knows nothing of hunts; the game rules know no I/O, clock or JSON library; storage
and the API depend on the domain and never on each other; the engine joins them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def imports_of(package: str) -> dict[str, set[str]]:
    """Absolute module names imported by every file of a package (relative imports resolved)."""
    found: dict[str, set[str]] = {}
    base = ROOT / package.replace(".", "/")
    for path in sorted(base.rglob("*.py")):
        module_parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if module_parts[-1] == "__init__":
            module_parts.pop()
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    anchor = module_parts[: len(module_parts) - node.level + (path.name == "__init__.py")]
                    target = ".".join([*anchor, node.module] if node.module else anchor)
                else:
                    target = node.module or ""
                names.add(target)
        found[str(path.relative_to(ROOT))] = names
    return found


def offenders(package: str, forbidden: tuple[str, ...]) -> list[str]:
    return [f"{file} imports {name}" for file, names in imports_of(package).items() for name in sorted(names)
            if any(name == f or name.startswith(f + ".") for f in forbidden)]


@pytest.mark.parametrize(("package", "forbidden"), [
    ("actors", ("hunt",)),
    ("hunt.domain", ("trio", "sqlite3", "sqlite_utils", "quart", "quart_trio", "hypercorn", "orjson", "time",
                     "hunt.store", "hunt.engine", "hunt.api", "hunt.cli", "actors")),
    ("hunt.store", ("trio", "quart", "quart_trio", "hypercorn", "hunt.engine", "hunt.api", "hunt.cli", "actors")),
    ("hunt.api", ("hunt.store", "sqlite3", "sqlite_utils", "hunt.cli")),
    ("hunt.protocol", ("trio", "sqlite3", "sqlite_utils", "quart", "quart_trio", "hypercorn", "actors",
                       "hunt.store", "hunt.engine", "hunt.api", "hunt.cli")),
    ("hunt.engine", ("hunt.api", "hunt.protocol", "hunt.cli", "quart", "quart_trio", "hypercorn")),
])
def test_layers_only_import_downwards(package: str, forbidden: tuple[str, ...]) -> None:
    assert offenders(package, forbidden) == []


def test_the_checker_sees_relative_imports() -> None:
    # hunt/engine/_actor.py imports the store relatively; the checker must resolve that.
    assert "hunt.store" in imports_of("hunt.engine")["hunt/engine/_actor.py"]
    assert offenders("hunt.engine", ("hunt.store",))
