"""A scripted behaviour and a harness around a router, shared by the actors tests.

The behaviour answers every message with ``(incarnation, message)``, so a test can tell which
incarnation of an actor answered. A few messages act instead of being echoed:

    "crash"            handle() raises Boom
    "ignore"           handle() leaves the reply unsettled
    ("wait", event)    handle() blocks until the event is set, then answers
    ("sleep", seconds) handle() sleeps, then answers

Everything the behaviours do is written to ``Harness.log`` with the time it happened.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
import trio

from actors import ActorError, CallbackReply, Envelope, Router, RouterConfig, open_router


class Boom(RuntimeError):
    """What a scripted behaviour raises."""


@dataclass
class Harness:
    """A running router plus the record of what its behaviours did."""

    router: Router = field(init=False)
    activations: Counter[str] = field(default_factory=Counter)
    # (what, key, incarnation, detail, time); what is activate/batch/closing/closed.
    log: list[tuple[str, str, int, Any, float]] = field(default_factory=list)
    fail_activation: set[str] = field(default_factory=set)
    may_passivate: bool = True
    close_delay_s: float = 0.0

    def record(self, what: str, key: str, incarnation: int, detail: Any = None) -> None:
        self.log.append((what, key, incarnation, detail, trio.current_time()))

    def batches(self, key: str) -> list[list[Any]]:
        return [detail for what, k, _, detail, _ in self.log if what == "batch" and k == key]

    def closes(self, key: str) -> list[tuple[int, bool]]:
        return [(n, clean) for what, k, n, clean, _ in self.log if what == "closed" and k == key]

    def events(self, key: str) -> list[tuple[str, int]]:
        return [(what, n) for what, k, n, _, _ in self.log if k == key and what != "batch"]

    async def factory(self, key: str) -> Scripted:
        self.activations[key] += 1
        incarnation = self.activations[key]
        self.record("activate", key, incarnation)
        if key in self.fail_activation:
            raise Boom(f"cannot load {key}")
        return Scripted(self, key, incarnation)


class Scripted:
    """The behaviour under the harness (see the module docstring)."""

    def __init__(self, harness: Harness, key: str, incarnation: int) -> None:
        self.harness = harness
        self.key = key
        self.incarnation = incarnation

    async def handle(self, batch: Sequence[Envelope]) -> None:
        self.harness.record("batch", self.key, self.incarnation, [e.message for e in batch])
        for envelope in batch:
            match envelope.message:
                case "crash":
                    raise Boom(f"{self.key} crashed")
                case "ignore":
                    continue
                case ("wait", trio.Event() as event):
                    await event.wait()
                case ("sleep", float() | int() as seconds):
                    await trio.sleep(seconds)
            envelope.reply.set((self.incarnation, envelope.message))

    def can_passivate(self) -> bool:
        return self.harness.may_passivate

    async def aclose(self, *, clean: bool) -> None:
        self.harness.record("closing", self.key, self.incarnation, clean)
        await trio.sleep(self.harness.close_delay_s)
        self.harness.record("closed", self.key, self.incarnation, clean)


class Outcomes:
    """Replies that record how each message was settled: ``reply(tag)`` makes one."""

    def __init__(self) -> None:
        self.settled: defaultdict[Any, list[tuple[Any, BaseException | None]]] = defaultdict(list)

    def reply(self, tag: Any) -> CallbackReply:
        return CallbackReply(lambda value, error: self.settled[tag].append((value, error)))

    def value(self, tag: Any) -> Any:
        [(value, error)] = self.settled[tag]
        assert error is None, f"{tag!r} failed with {error!r}"
        return value

    def error(self, tag: Any) -> ActorError:
        [(_, error)] = self.settled[tag]
        assert isinstance(error, ActorError), f"{tag!r} did not fail: {self.settled[tag]!r}"
        return error


@pytest.fixture
def outcomes() -> Outcomes:
    return Outcomes()


OpenHarness = Callable[..., AbstractAsyncContextManager[Harness]]


@pytest.fixture
def open_harness() -> OpenHarness:
    """``async with open_harness(**config) as h``: a router over scripted behaviours."""

    @asynccontextmanager
    async def run(**config: Any) -> AsyncIterator[Harness]:
        harness = Harness()
        async with open_router(harness.factory, RouterConfig(**config)) as router:
            harness.router = router
            yield harness

    return run
