"""The shape of the package: a sorted public surface, and rules that import no I/O or concurrency."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import hunt.domain

MODULES = sorted(Path(hunt.domain.__file__).parent.glob("*.py"))
FORBIDDEN = {"trio", "sqlite3", "sqlite_utils", "quart", "quart_trio", "hypercorn", "orjson", "json", "time",
             "asyncio", "threading", "random", "uuid", "actors", "nats", "httpx"}


def isort_style(name: str) -> tuple[int, str]:
    """Constants, then classes, then functions (ruff's RUF022 order)."""
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


def test_the_public_surface_is_sorted_and_complete() -> None:
    assert hunt.domain.__all__ == sorted(hunt.domain.__all__, key=isort_style)
    for name in hunt.domain.__all__:
        assert hasattr(hunt.domain, name), name


@pytest.mark.parametrize("module", MODULES, ids=lambda path: path.name)
def test_the_rules_import_no_io_clock_or_concurrency(module: Path) -> None:
    imported = set()
    for node in ast.walk(ast.parse(module.read_text())):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 1 or node.module is not None
            if node.level == 0:
                imported.add(node.module or "")
    roots = {name.split(".")[0] for name in imported}
    assert not roots & FORBIDDEN
    assert "hunt" not in roots  # only relative imports within the domain
