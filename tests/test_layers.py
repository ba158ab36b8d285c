"""The layers of docs/architecture.md, checked on the source: who may import whom.

Every module of ``actors``, ``hunt`` and ``hunt_lab`` belongs to one entry of ``ALLOWED``
(the longest matching name); each of its imports of this repository must be its own
package or one the table allows. ``actors`` knows nothing of hunts; the game rules know no
I/O, clock or JSON library; the store and the API never meet; the lab imports the product and
never the reverse, and inside the lab the layers go one way too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = ("actors", "hunt", "hunt_lab")

PRODUCT = ("actors", "hunt.domain", "hunt.config", "hunt.protocol", "hunt.store", "hunt.engine", "hunt.cluster",
           "hunt.api", "hunt.relay", "hunt.cli", "hunt")
LAB_BASE = ("hunt_lab.workload", "hunt_lab.measure", "hunt_lab.audit")

# package -> the packages of this repository it may import (besides itself)
ALLOWED: dict[str, tuple[str, ...]] = {
    "actors": (),
    "hunt.domain": (),
    "hunt.config": (),
    "hunt.protocol": ("hunt.domain", "hunt.config"),  # the wire format: pure, no I/O
    "hunt.store": ("hunt.domain", "hunt.config"),
    "hunt.engine": ("actors", "hunt.domain", "hunt.store", "hunt.config"),
    # --workers N: gateways and owners, beside the engine and below the API
    "hunt.cluster": ("actors", "hunt.domain", "hunt.store", "hunt.engine", "hunt.config"),
    "hunt.api": ("actors", "hunt.domain", "hunt.protocol", "hunt.engine", "hunt.config"),
    "hunt.relay": ("actors", "hunt.domain", "hunt.store", "hunt.engine", "hunt.config"),
    "hunt.cli": ("hunt.domain", "hunt.protocol", "hunt.store", "hunt.engine", "hunt.cluster", "hunt.api", "hunt.relay",
                 "hunt.config"),
    "hunt": ("hunt.cli",),  # hunt/__main__.py
    "hunt_lab": PRODUCT,  # hunt_lab/__init__.py
    "hunt_lab.workload": PRODUCT,
    "hunt_lab.measure": PRODUCT,
    "hunt_lab.audit": PRODUCT,
    "hunt_lab.clients": (*PRODUCT, *LAB_BASE),
    "hunt_lab.sim": (*PRODUCT, *LAB_BASE, "hunt_lab.clients"),
    "hunt_lab.servers": (*PRODUCT, *LAB_BASE, "hunt_lab.clients", "hunt_lab.sim"),
    "hunt_lab.faults": (*PRODUCT, *LAB_BASE, "hunt_lab.clients", "hunt_lab.sim", "hunt_lab.servers"),
    "hunt_lab.bench": (*PRODUCT, *LAB_BASE, "hunt_lab.clients", "hunt_lab.sim", "hunt_lab.servers",
                       "hunt_lab.faults"),
    "hunt_lab.cli": (*PRODUCT, *LAB_BASE, "hunt_lab.clients", "hunt_lab.sim", "hunt_lab.servers",
                     "hunt_lab.faults", "hunt_lab.bench"),
}

# third-party modules a layer must not touch
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "hunt.domain": ("trio", "sqlite3", "sqlite_utils", "quart", "quart_trio", "hypercorn", "orjson", "time"),
    "hunt.protocol": ("trio", "sqlite3", "sqlite_utils", "quart", "quart_trio", "hypercorn"),
    "hunt.store": ("trio", "quart", "quart_trio", "hypercorn"),
    "hunt.api": ("sqlite3", "sqlite_utils"),
    "hunt.engine": ("quart", "quart_trio", "hypercorn"),
    "hunt.cluster": ("quart", "quart_trio", "hypercorn"),
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(package: str) -> dict[str, set[str]]:
    """Absolute module names imported by every file of a package (relative imports resolved)."""
    found: dict[str, set[str]] = {}
    base = ROOT / package.replace(".", "/")
    paths = sorted(base.rglob("*.py")) if base.is_dir() else [base.with_suffix(".py")]
    for path in paths:
        module_parts = module_name(path).split(".")
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    anchor = module_parts[: len(module_parts) - node.level + (path.name == "__init__.py")]
                    target = ".".join([*anchor, node.module] if node.module else anchor)
                    # ``from . import x`` imports the submodule x
                    names.update(f"{target}.{alias.name}" for alias in node.names if not node.module)
                else:
                    target = node.module or ""
                names.add(target)
        found[str(path.relative_to(ROOT))] = names
    return found


def owner(module: str) -> str:
    """The entry of ALLOWED a module belongs to: the longest name that is it or a parent of it."""
    candidates = [p for p in ALLOWED if module == p or module.startswith(p + ".")]
    return max(candidates, key=len)


def within(name: str, packages: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


def offenders(package: str) -> list[str]:
    found = []
    for file, names in imports_of(package).items():
        me = owner(module_name(ROOT / file))
        for name in sorted(names):
            if name.split(".")[0] in OURS:
                if name != "hunt" and owner(name) != me and not within(name, ALLOWED[me]):
                    found.append(f"{file} ({me}) imports {name}")
            elif within(name, FORBIDDEN.get(me, ())):
                found.append(f"{file} ({me}) imports {name}")
    return found


def all_packages() -> list[str]:
    """Every package and top-level module of this repository (each must be in ALLOWED)."""
    found = []
    for top in OURS:
        for path in sorted((ROOT / top).rglob("*.py")):
            found.append(owner(module_name(path)))
    return sorted(set(found))


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_every_package_imports_only_what_its_layer_allows(package: str) -> None:
    assert offenders(package) == []


def test_every_subpackage_has_a_row_in_the_table() -> None:
    # A new folder under hunt/ or hunt_lab/ must say where it sits before it can be imported.
    folders = {module_name(p.parent / "__init__.py") for top in OURS for p in (ROOT / top).rglob("__init__.py")}
    assert {f for f in folders if f not in ALLOWED and owner(f) in ("hunt", "hunt_lab")} == set()


def test_the_product_never_imports_the_lab() -> None:
    assert not any(name.startswith("hunt_lab") for names in imports_of("hunt").values() for name in names)
    assert not any(name.startswith("hunt_lab") for names in imports_of("actors").values() for name in names)


def test_the_checker_sees_relative_imports_and_catches_a_wrong_one() -> None:
    # hunt/engine/_actor.py imports the store relatively; the checker must resolve that.
    assert "hunt.store" in imports_of("hunt.engine")["hunt/engine/_actor.py"]
    assert owner("hunt.store._sqlite") == "hunt.store" and owner("hunt_lab.bench.engine") == "hunt_lab.bench"
    assert not within("hunt.store", ALLOWED["hunt.api"])
    assert within("hunt_lab.clients.player", ALLOWED["hunt_lab.sim"])
    assert not within("hunt_lab.bench", ALLOWED["hunt_lab.faults"])
