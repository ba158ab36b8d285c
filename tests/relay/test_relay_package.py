"""The relay package's shape: its public surface, and its place in the layers."""

from __future__ import annotations

import ast
from pathlib import Path

import hunt.relay

PACKAGE = Path(hunt.relay.__file__).parent
HUNT = PACKAGE.parent


def _imports(folder: Path) -> set[str]:
    found: set[str] = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                module = node.module or ""
                if node.level:  # relative: resolve against the file's package
                    parts = path.parent.relative_to(HUNT.parent).parts
                    base = parts[: len(parts) - node.level + 1]
                    module = ".".join([*base, module] if module else base)
                found.add(module)
    return found


def test_all_is_sorted_and_every_name_in_it_exists() -> None:
    def isort(name: str) -> tuple[int, str]:  # as ruff keeps it: CONSTANTS, Classes, functions
        return (0 if name.isupper() else 1 if name[0].isupper() else 2), name

    assert hunt.relay.__all__ == sorted(hunt.relay.__all__, key=isort)
    assert [name for name in hunt.relay.__all__ if not hasattr(hunt.relay, name)] == []


def test_the_relay_stays_beside_the_api_and_the_cli() -> None:
    imported = _imports(PACKAGE)
    assert "hunt.engine" in imported and "hunt.store" in imported, "the walk found the relay's own imports"
    assert not {m for m in imported if m.startswith(("hunt.api", "hunt.cli"))}


def test_nothing_below_the_relay_imports_it() -> None:
    for layer in ("domain", "store", "engine"):
        assert not {m for m in _imports(HUNT / layer) if m.startswith("hunt.relay")}, layer
