"""The package's shape: its public surface, its place below hunt/, and one-shot replies."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest
import trio
import trio.testing

import actors
from actors import CallbackReply, Reply

PACKAGE = Path(actors.__file__).parent


def test_all_is_sorted_and_every_name_in_it_exists():
    assert actors.__all__ == sorted(actors.__all__)
    missing = [name for name in actors.__all__ if not hasattr(actors, name)]
    assert missing == []


def test_no_source_file_of_actors_imports_hunt():
    imported = set()
    for path in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                imported |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                imported.add(node.module or "")
    assert imported, "the walk found no imports at all"
    assert not {name for name in imported if name.split(".")[0] == "hunt"}


def test_importing_actors_loads_nothing_from_hunt():
    code = "import sys, actors; print(sorted(m for m in sys.modules if m.split('.')[0] == 'hunt'))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=PACKAGE.parent
    )
    assert result.stdout.strip() == "[]"


async def test_a_reply_is_settled_once_and_later_outcomes_are_ignored():
    reply = Reply()
    reply.set("first")
    reply.set("second")
    reply.fail(RuntimeError("too late"))
    assert reply.settled
    assert await reply.wait() == "first"


async def test_a_failed_reply_raises_its_error_to_the_waiter():
    reply = Reply()
    reply.fail(KeyError("gone"))
    reply.set("too late")
    with pytest.raises(KeyError, match="gone"):
        await reply.wait()


async def test_waiting_on_a_reply_blocks_until_it_is_settled():
    reply = Reply()
    got = []

    async def waiter():
        got.append(await reply.wait())

    async with trio.open_nursery() as nursery:
        nursery.start_soon(waiter)
        await trio.testing.wait_all_tasks_blocked()
        assert got == []
        reply.set(42)
    assert got == [42]


def test_a_callback_reply_calls_back_exactly_once():
    calls = []
    reply = CallbackReply(lambda value, error: calls.append((value, error)))
    error = RuntimeError("no")
    reply.fail(error)
    reply.set("ignored")
    assert calls == [(None, error)]


def test_a_raising_reply_callback_is_contained(caplog: pytest.LogCaptureFixture) -> None:
    def bad(value: object, error: BaseException | None) -> None:
        raise RuntimeError("caller bug")

    reply = CallbackReply(bad)
    reply.set(1)  # must not raise into the actor that settles it
    assert reply.settled
    assert "reply callback raised" in caplog.text
