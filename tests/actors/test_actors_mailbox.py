"""The mailbox: batching, backpressure and request/reply with a deadline."""

import pytest
import trio
import trio.testing

from actors import ActorError, Overloaded, Reply, RequestTimeout, RouterConfig


async def test_an_actor_drains_its_mailbox_in_batches_of_at_most_max_batch(open_harness, outcomes):
    async with open_harness(max_batch=3) as h:
        # send_nowait does not yield, so all seven are queued before the actor's first batch.
        for n in range(7):
            h.router.send_nowait("k", n, outcomes.reply(n))
        await trio.testing.wait_all_tasks_blocked()

        assert h.batches("k") == [[0, 1, 2], [3, 4, 5], [6]]
        assert [outcomes.value(n) for n in range(7)] == [(1, n) for n in range(7)]


async def test_a_batch_takes_whatever_arrived_while_the_previous_one_ran(open_harness, outcomes, autojump_clock):
    gate = trio.Event()
    async with open_harness(max_batch=100) as h:
        h.router.send_nowait("k", ("wait", gate), outcomes.reply("first"))
        await trio.testing.wait_all_tasks_blocked()
        for n in range(5):
            await h.router.send("k", n, outcomes.reply(n))
        gate.set()
        await trio.testing.wait_all_tasks_blocked()

        assert h.batches("k") == [[("wait", gate)], [0, 1, 2, 3, 4]]
        assert [outcomes.value(n) for n in range(5)] == [(1, n) for n in range(5)]


async def test_a_reply_the_behaviour_forgets_is_failed_rather_than_left_hanging(open_harness):
    async with open_harness() as h:
        with pytest.raises(ActorError, match="unanswered"):
            await h.router.ask("k", "ignore")


async def test_the_mailbox_never_holds_more_than_its_capacity(open_harness, outcomes, autojump_clock):
    gate = trio.Event()
    async with open_harness(mailbox_capacity=4) as h:
        # The first message is taken out of the mailbox and blocks the actor.
        h.router.send_nowait("k", ("wait", gate), outcomes.reply("blocker"))
        await trio.testing.wait_all_tasks_blocked()
        for n in range(4):
            h.router.send_nowait("k", n, outcomes.reply(n))

        with pytest.raises(Overloaded) as caught:
            h.router.send_nowait("k", "one too many", outcomes.reply("one too many"))

        assert caught.value.key == "k"
        assert caught.value.retry_after_ms > 0
        [stats] = h.router.statistics().actors
        assert (stats.mailbox_depth, stats.mailbox_capacity) == (4, 4)
        gate.set()
        await trio.testing.wait_all_tasks_blocked()

        # Every admitted message was answered; the refused one was never queued.
        assert [outcomes.value(n) for n in range(4)] == [(1, n) for n in range(4)]
        assert "one too many" not in outcomes.settled


async def test_a_sender_waits_the_admission_timeout_for_space_then_gets_overloaded(
    open_harness, outcomes, autojump_clock
):
    gate = trio.Event()
    async with open_harness(mailbox_capacity=2, admission_timeout_s=0.25) as h:
        h.router.send_nowait("k", ("wait", gate), outcomes.reply("blocker"))
        await trio.testing.wait_all_tasks_blocked()
        h.router.send_nowait("k", 0, outcomes.reply(0))
        h.router.send_nowait("k", 1, outcomes.reply(1))

        started = trio.current_time()
        with pytest.raises(Overloaded) as caught:
            await h.router.send("k", "late", outcomes.reply("late"))

        assert trio.current_time() - started == pytest.approx(0.25)
        assert caught.value.retry_after_ms >= 250
        gate.set()


@pytest.mark.parametrize("queue", [0, 1, 3])
async def test_when_admission_queue_senders_already_wait_the_next_is_refused_at_once(
    open_harness, outcomes, autojump_clock, queue
):
    gate = trio.Event()
    async with open_harness(mailbox_capacity=1, admission_timeout_s=1.0, admission_queue=queue) as h:
        h.router.send_nowait("k", ("wait", gate), outcomes.reply("blocker"))
        await trio.testing.wait_all_tasks_blocked()
        h.router.send_nowait("k", 0, outcomes.reply(0))  # the mailbox is full
        async with trio.open_nursery() as nursery:
            for n in range(1, queue + 1):
                nursery.start_soon(h.router.send, "k", n, outcomes.reply(n))  # these wait for space
            await trio.testing.wait_all_tasks_blocked()

            started = trio.current_time()
            with pytest.raises(Overloaded) as caught:
                await h.router.send("k", "one too many", outcomes.reply("one too many"))
            assert trio.current_time() == started, "refused without waiting"
            assert caught.value.retry_after_ms >= 1000
            gate.set()
        await trio.testing.wait_all_tasks_blocked()
        assert [outcomes.value(n) for n in range(queue + 1)] == [(1, n) for n in range(queue + 1)]
        assert "one too many" not in outcomes.settled
        assert h.router.statistics().overloaded == 1


@pytest.mark.parametrize("queue", [-1, 1.5, True])
def test_admission_queue_must_be_a_count(queue):
    with pytest.raises(ValueError, match="admission_queue"):
        RouterConfig(admission_queue=queue)


async def test_a_waiting_sender_is_admitted_as_soon_as_space_frees_up(open_harness, outcomes, autojump_clock):
    async with open_harness(mailbox_capacity=1, admission_timeout_s=1.0) as h:
        h.router.send_nowait("k", ("sleep", 0.3), outcomes.reply("slow"))
        await trio.testing.wait_all_tasks_blocked()
        h.router.send_nowait("k", 0, outcomes.reply(0))

        started = trio.current_time()
        await h.router.send("k", 1, outcomes.reply(1))

        # The actor took message 0 out of the mailbox when the slow one finished.
        assert trio.current_time() - started == pytest.approx(0.3)
        await trio.testing.wait_all_tasks_blocked()
        assert outcomes.value(1) == (1, 1)


async def test_under_overload_every_message_is_either_refused_or_answered(
    open_harness, outcomes, autojump_clock
):
    sent = 200
    refused: list[int] = []

    async def sender(n: int) -> None:
        try:
            await h.router.send("k", ("sleep", 0.01), outcomes.reply(n))
        except Overloaded as err:
            assert err.retry_after_ms > 0
            refused.append(n)

    async with open_harness(mailbox_capacity=8, max_batch=4, admission_timeout_s=0.02) as h:
        async with trio.open_nursery() as nursery:
            for n in range(sent):
                nursery.start_soon(sender, n)

    assert 0 < len(refused) < sent
    assert set(outcomes.settled) == set(range(sent)) - set(refused)
    assert all(len(settled) == 1 and settled[0][1] is None for settled in outcomes.settled.values())
    assert h.router.statistics().overloaded == len(refused)


async def test_ask_returns_what_the_actor_replied(open_harness):
    async with open_harness() as h:
        assert await h.router.ask("k", "hello") == (1, "hello")


async def test_ask_raises_request_timeout_when_no_reply_comes_in_time(open_harness, autojump_clock):
    async with open_harness(request_timeout_s=2.0) as h:
        started = trio.current_time()
        with pytest.raises(RequestTimeout):
            await h.router.ask("k", ("sleep", 60))
        assert trio.current_time() - started == pytest.approx(2.0)

        started = trio.current_time()
        with pytest.raises(RequestTimeout):
            await h.router.ask("k", ("sleep", 60), timeout=0.5)
        assert trio.current_time() - started == pytest.approx(0.5)


async def test_a_cancelled_send_has_no_effect(open_harness):
    async with open_harness() as h:
        reply = Reply()
        with trio.CancelScope() as scope:
            scope.cancel()
            await h.router.send("k", "never", reply)
        await trio.testing.wait_all_tasks_blocked()

        # Trio's rule for a checkpoint: cancelled means it did nothing.
        assert not reply.settled
        assert h.batches("k") == []
        assert not h.router.is_active("k")
