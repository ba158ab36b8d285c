"""A graceful shutdown waits for work in flight, not for idle connections (a browser tab's)."""

from __future__ import annotations

import trio

from hunt.api._drain import InFlight
from tests.support.api import OpenServer


async def test_an_idle_keep_alive_connection_does_not_hold_the_shutdown(open_server: OpenServer) -> None:
    streams = []
    try:
        async with open_server(server={"shutdown_timeout_s": 10.0}) as server:
            stream = await trio.open_tcp_stream("127.0.0.1", server.port)
            streams.append(stream)
            await stream.send_all(b"GET /health HTTP/1.1\r\nHost: test\r\nConnection: keep-alive\r\n\r\n")
            assert (await stream.receive_some(1000)).startswith(b"HTTP/1.1 200")
            await trio.sleep(0.2)  # the request is over: the connection idles, as a browser's does
            started = trio.current_time()
            server.stop()
        assert trio.current_time() - started < 3  # the connection is still open here
    finally:
        for stream in streams:
            await stream.aclose()


async def test_in_flight_counts_a_response_until_its_last_chunk_and_a_websocket_until_it_ends() -> None:
    sent: list[dict] = []
    release = trio.Event()

    async def app(scope: dict, receive: object, send: object) -> None:
        await send({"type": "http.response.start", "status": 200})
        await send({"type": "http.response.body", "body": b"a", "more_body": True})
        await release.wait()
        await send({"type": "http.response.body", "body": b"b"})
        await trio.sleep_forever()  # as Quart's handler does, until the client disconnects

    async def record(message: dict) -> None:
        sent.append(message)

    inflight = InFlight()
    counted = inflight.wrap(app)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(counted, {"type": "http"}, None, record)
        await trio.testing.wait_all_tasks_blocked()
        assert inflight.count == 1
        with trio.move_on_after(0.1) as waited:
            await inflight.wait_idle()
        assert waited.cancelled_caught  # the body is not complete
        release.set()
        with trio.fail_after(1):
            await inflight.wait_idle()
        assert inflight.count == 0 and sent[-1]["body"] == b"b"
        nursery.cancel_scope.cancel()
    assert inflight.count == 0  # the handler's end does not count it twice
