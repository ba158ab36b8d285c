"""Lifecycle: passivation, isolation between keys, shutdown, and the statistics snapshot."""

import pytest
import trio
import trio.testing

from actors import ActorCrashed, ActorStopped, Overloaded, Reply, RouterConfig, open_router


async def test_an_idle_actor_is_passivated_cleanly(open_harness, autojump_clock):
    async with open_harness(idle_passivate_s=10.0) as h:
        await h.router.ask("k", "hello")
        await trio.sleep(9.9)
        assert h.router.is_active("k")

        await trio.sleep(0.2)
        assert not h.router.is_active("k")
        assert h.router.active_keys() == []
        assert h.closes("k") == [(1, True)]
        assert h.router.statistics().passivations == 1


async def test_an_actor_that_refuses_to_passivate_stays(open_harness, autojump_clock):
    async with open_harness(idle_passivate_s=10.0) as h:
        h.may_passivate = False
        await h.router.ask("k", "hello")
        await trio.sleep(100)
        assert h.router.is_active("k")
        assert h.closes("k") == []
        assert await h.router.ask("k", "still the same one") == (1, "still the same one")


async def test_a_message_after_passivation_waits_for_the_old_incarnation_to_close(
    open_harness, autojump_clock
):
    async with open_harness(idle_passivate_s=10.0) as h:
        h.close_delay_s = 5.0  # e.g. writing a final snapshot
        await h.router.ask("k", "hello")
        await trio.sleep(10.5)
        assert not h.router.is_active("k")

        asked = trio.current_time()
        assert await h.router.ask("k", "back again") == (2, "back again")

        # The new incarnation is only loaded once the old one has let go (of a file lock, say).
        assert h.events("k") == [
            ("activate", 1),
            ("closing", 1),
            ("closed", 1),
            ("activate", 2),
        ]
        [closed_at] = [t for what, _, n, _, t in h.log if (what, n) == ("closed", 1)]
        [activated_at] = [t for what, _, n, _, t in h.log if (what, n) == ("activate", 2)]
        assert asked < closed_at <= activated_at


async def test_explicit_passivate_drains_the_mailbox_first(open_harness, outcomes):
    async with open_harness() as h:
        for n in range(3):
            h.router.send_nowait("k", n, outcomes.reply(n))
        h.router.passivate("k")
        assert not h.router.is_active("k")
        await h.router.wait_stopped("k")

        assert [outcomes.value(n) for n in range(3)] == [(1, 0), (1, 1), (1, 2)]
        assert h.closes("k") == [(1, True)]


async def test_a_stalled_actor_does_not_delay_another(open_harness, outcomes, autojump_clock):
    gate = trio.Event()
    async with open_harness() as h:
        h.router.send_nowait("stuck", ("wait", gate), outcomes.reply("stuck"))
        await trio.testing.wait_all_tasks_blocked()

        started = trio.current_time()
        assert await h.router.ask("other", "hi") == (1, "hi")
        assert trio.current_time() == started
        assert "stuck" not in outcomes.settled
        gate.set()


async def test_a_crashing_actor_does_not_delay_another(open_harness, autojump_clock):
    async with open_harness(restart_backoff_min_s=30.0) as h:
        with pytest.raises(ActorCrashed):
            await h.router.ask("crashy", "crash")

        # "crashy" now waits out its restart backoff; "other" answers at once regardless.
        started = trio.current_time()
        assert await h.router.ask("other", "hi") == (1, "hi")
        assert trio.current_time() == started


async def test_leaving_open_router_drains_admitted_messages_and_closes_cleanly(open_harness, outcomes):
    async with open_harness() as h:
        for key in ["a", "b"]:
            for n in range(3):
                h.router.send_nowait(key, n, outcomes.reply((key, n)))
        # Nothing has run yet: leaving the block is what delivers them.
        assert outcomes.settled == {}

    assert {tag: outcomes.value(tag) for tag in outcomes.settled} == {
        (key, n): (1, n) for key in "ab" for n in range(3)
    }
    assert h.closes("a") == h.closes("b") == [(1, True)]
    assert h.router.active_keys() == []


async def test_sends_after_aclose_raise_actor_stopped(open_harness):
    async with open_harness() as h:
        await h.router.ask("k", "hello")
        await h.router.aclose()

        with pytest.raises(ActorStopped):
            await h.router.send("k", "late", Reply())
        with pytest.raises(ActorStopped):
            h.router.send_nowait("k", "late", Reply())
        with pytest.raises(ActorStopped):
            await h.router.ask("new key", "late")
        assert h.closes("k") == [(1, True)]


async def test_an_actor_stuck_past_the_stop_timeout_is_cancelled_and_its_callers_told(
    open_harness, outcomes, autojump_clock
):
    async with open_harness(stop_timeout_s=3.0, max_batch=1) as h:
        h.router.send_nowait("k", ("wait", trio.Event()), outcomes.reply("stuck"))
        h.router.send_nowait("k", "queued", outcomes.reply("queued"))
        await trio.testing.wait_all_tasks_blocked()
        started = trio.current_time()

    assert trio.current_time() - started == pytest.approx(3.0)
    assert isinstance(outcomes.error("stuck"), ActorStopped)
    assert isinstance(outcomes.error("queued"), ActorStopped)
    # Its resources are still released, without persisting anything tentative.
    assert h.closes("k") == [(1, False)]


async def test_a_hung_aclose_does_not_hang_the_shutdown(open_harness, autojump_clock):
    async with open_harness(stop_timeout_s=3.0) as h:
        h.close_delay_s = 1000.0  # as good as hung
        await h.router.ask("k", "hello")
        started = trio.current_time()

    assert trio.current_time() - started == pytest.approx(3.0)
    assert h.events("k") == [("activate", 1), ("closing", 1)]


async def test_statistics_count_what_happened(open_harness, outcomes, autojump_clock):
    gate = trio.Event()
    async with open_harness(mailbox_capacity=5, max_batch=4) as h:
        h.router.send_nowait("k", ("wait", gate), outcomes.reply("blocker"))
        await trio.testing.wait_all_tasks_blocked()
        for n in range(5):
            h.router.send_nowait("k", n, outcomes.reply(n))
        with pytest.raises(Overloaded):
            h.router.send_nowait("k", "refused", outcomes.reply("refused"))

        [busy] = h.router.statistics().actors
        assert (busy.key, busy.state, busy.mailbox_depth, busy.overloaded) == ("k", "running", 5, 1)

        gate.set()
        await trio.testing.wait_all_tasks_blocked()
        with pytest.raises(ActorCrashed):
            await h.router.ask("k", "crash")
        await h.router.ask("k", "after the restart")

        stats = h.router.statistics()
        [actor] = stats.actors
        assert (stats.activations, stats.restarts, stats.overloaded, stats.gave_up) == (1, 1, 1, 0)
        # Batches: [blocker], [0 1 2 3], [4], then [after the restart]; the crashed one is not counted.
        assert (actor.batches, actor.messages, actor.largest_batch, actor.last_batch) == (4, 7, 4, 1)
        assert (actor.mailbox_depth, actor.restarts) == (0, 1)
        assert actor.queue_wait_s >= 0 and actor.handler_s >= 0


def test_a_mailbox_is_bounded_by_construction():
    with pytest.raises(ValueError, match="mailbox_capacity"):
        RouterConfig(mailbox_capacity=float("inf"))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_batch"):
        RouterConfig(max_batch=0)


async def test_open_router_uses_the_default_config_when_given_none():
    async def factory(key):
        raise AssertionError("never activated")

    async with open_router(factory) as router:
        assert router.config == RouterConfig()
