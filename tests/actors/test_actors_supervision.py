"""Supervision: crashes, restarts, giving up, and failed activations."""

import itertools

import pytest
import trio
import trio.testing

from actors import ActivationFailed, ActorCrashed


async def test_a_crash_fails_the_rest_of_its_batch_and_the_actor_restarts(
    open_harness, outcomes, autojump_clock
):
    async with open_harness(max_batch=3) as h:
        for message in ["before", "crash", "after", "next batch"]:
            h.router.send_nowait("k", message, outcomes.reply(message))
        await trio.sleep(1)  # longer than the restart backoff

        # What was answered before the crash stays answered; the rest of the batch fails.
        assert outcomes.value("before") == (1, "before")
        for message in ["crash", "after"]:
            error = outcomes.error(message)
            assert isinstance(error, ActorCrashed)
            assert str(error.__cause__) == "k crashed"
        # The crashed incarnation is closed as unclean, then a new one takes over the mailbox.
        assert h.events("k") == [("activate", 1), ("closing", 1), ("closed", 1), ("activate", 2)]
        assert h.closes("k") == [(1, False)]
        assert outcomes.value("next batch") == (2, "next batch")
        assert await h.router.ask("k", "later") == (2, "later")
        assert h.router.statistics().restarts == 1


async def test_restarts_back_off_exponentially(open_harness, autojump_clock):
    async with open_harness(restart_backoff_min_s=1.0, restart_backoff_max_s=3.0, max_restarts=9) as h:
        for _ in range(4):
            with pytest.raises(ActorCrashed):
                await h.router.ask("k", "crash")

    # Each restart waits twice as long as the one before, up to the maximum.
    activated = [t for what, _, _, _, t in h.log if what == "activate"]
    assert [later - earlier for earlier, later in itertools.pairwise(activated)] == [1.0, 2.0, 3.0, 3.0]


async def test_too_many_crashes_in_the_window_make_the_router_give_up(open_harness, outcomes, autojump_clock):
    async with open_harness(max_batch=1, max_restarts=2, restart_window_s=60.0) as h:
        for message in ["crash 1", "crash 2", "crash 3", "queued"]:
            h.router.send_nowait("k", message.split()[0], outcomes.reply(message))
        await trio.sleep(10)  # longer than both restart backoffs

        # Two restarts are allowed; the third crash in the window is one too many.
        assert all(isinstance(outcomes.error(f"crash {n}"), ActorCrashed) for n in (1, 2, 3))
        assert isinstance(outcomes.error("queued"), ActorCrashed)
        assert "gave up" in str(outcomes.error("queued"))
        assert h.closes("k") == [(1, False), (2, False), (3, False)]
        assert not h.router.is_active("k")
        stats = h.router.statistics()
        assert (stats.restarts, stats.gave_up) == (2, 1)

        # The next message starts afresh, with a new crash budget.
        assert await h.router.ask("k", "again") == (4, "again")
        assert h.router.statistics().gave_up == 1


async def test_crashes_spread_wider_than_the_window_never_make_it_give_up(open_harness, autojump_clock):
    async with open_harness(max_restarts=1, restart_window_s=10.0) as h:
        for _ in range(4):
            with pytest.raises(ActorCrashed):
                await h.router.ask("k", "crash")
            await trio.sleep(11)
        assert await h.router.ask("k", "still here") == (5, "still here")
        stats = h.router.statistics()
        assert (stats.restarts, stats.gave_up) == (4, 0)


async def test_a_failed_activation_fails_the_queued_messages_and_the_next_send_retries(
    open_harness, outcomes
):
    async with open_harness() as h:
        h.fail_activation.add("k")
        h.router.send_nowait("k", "a", outcomes.reply("a"))
        h.router.send_nowait("k", "b", outcomes.reply("b"))
        await trio.testing.wait_all_tasks_blocked()

        for message in "ab":
            assert isinstance(outcomes.error(message), ActivationFailed)
            assert str(outcomes.error(message).__cause__) == "cannot load k"
        assert not h.router.is_active("k")

        h.fail_activation.clear()
        assert await h.router.ask("k", "c") == (2, "c")
        assert h.activations["k"] == 2


async def test_every_failed_reply_gets_its_own_exception(open_harness, outcomes):
    # Re-raising one exception object in many tasks would pile their tracebacks onto it.
    async with open_harness() as h:
        for message in ["crash", "x", "y"]:
            h.router.send_nowait("k", message, outcomes.reply(message))
        await trio.testing.wait_all_tasks_blocked()
        errors = [outcomes.error(message) for message in ["crash", "x", "y"]]
        assert len({id(error) for error in errors}) == 3
        assert len({id(error.__cause__) for error in errors}) == 1
