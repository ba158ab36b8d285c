"""Fair shares of a hunt's capacity: how many commands may be unanswered, per player, address, hunt.

A :class:`Gate` counts units (commands) in flight against a capacity and lets waiters in
strictly first come, first served: a connection asks for its next units only once it has
them, so the connections waiting on one gate take turns, and none can take more than its
turn, whatever it sends. :class:`Shares` keeps one gate per hunt, per (hunt, player) and
per client address, and forgets a gate once nothing is in flight through it, so the
registry is as large as what is in flight, never as large as every player ever seen.

A connection first waits for room in its own window (``_replies``), then for its player's,
its address's and its hunt's gates, in that order; it holds the units until the commands are
answered. While it waits it reads nothing more from its socket: the excess waits in the
client and in TCP. See docs/protocol.md, *Flow control*.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

import trio

from ..config import LimitsConfig

__all__ = ["Gate", "Held", "Shares"]


class Gate:
    """A FIFO counting gate of ``capacity`` units. ``on_idle`` runs when it holds nothing again."""

    __slots__ = ("_on_idle", "_waiters", "capacity", "used")

    def __init__(self, capacity: int, on_idle: Callable[[], None] | None = None) -> None:
        self.capacity = capacity
        self.used = 0
        self._waiters: deque[tuple[int, trio.Event]] = deque()
        self._on_idle = on_idle

    async def acquire(self, units: int) -> None:
        """Wait until ``units`` fit (after everyone who waited first), then take them.

        Raises ValueError for more units than the capacity (they would never fit). If
        cancelled while waiting, nothing was taken.
        """
        if units > self.capacity:
            raise ValueError(f"{units} units can never fit in a gate of {self.capacity}")
        if not self._waiters and self.used + units <= self.capacity:
            self.used += units
            return
        entry = (units, trio.Event())
        self._waiters.append(entry)
        try:
            await entry[1].wait()
        except BaseException:
            if entry[1].is_set():  # let in just as we were cancelled: give the units back
                self.release(units)
            else:
                self._waiters.remove(entry)
                self._admit()  # we may have been the head that held others back
            raise

    def release(self, units: int) -> None:
        self.used -= units
        self._admit()
        if self.used == 0 and not self._waiters and self._on_idle is not None:
            self._on_idle()

    def _admit(self) -> None:
        while self._waiters and self.used + self._waiters[0][0] <= self.capacity:
            units, event = self._waiters.popleft()
            self.used += units
            event.set()

    @property
    def waiting(self) -> int:
        return len(self._waiters)


class Held:
    """Units taken from some gates; ``release()`` gives them all back, once."""

    __slots__ = ("_gates", "_units")

    def __init__(self, gates: list[Gate], units: int) -> None:
        self._gates = gates
        self._units = units

    def release(self) -> None:
        gates, self._gates = self._gates, []
        for gate in gates:
            gate.release(self._units)


class Shares:
    """The gates of every hunt, player and address, created on use and dropped when idle."""

    def __init__(self, limits: LimitsConfig, mailbox_capacity: int) -> None:
        self.limits = limits
        # A hunt's share never exceeds what its mailbox holds (a command takes at most one place
        # there): a command let in always finds room, so the connections of a hunt at its limit
        # wait their turn here, in TCP, instead of being read and refused `overloaded`.
        self.hunt_capacity = min(limits.hunt_window, mailbox_capacity)
        self._hunts: dict[str, Gate] = {}
        self._players: dict[tuple[str, str], Gate] = {}
        self._addresses: dict[str, Gate] = {}

    def _gate(self, table: dict, key: object, capacity: int) -> Gate:
        gate = table.get(key)
        if gate is None:
            gate = table[key] = Gate(capacity, lambda: table.pop(key, None))
        return gate

    async def acquire(self, hunt_id: str, player: str | None, address: str | None, units: int) -> Held:
        """Take ``units`` from the player's, the address's and the hunt's gates, in that order
        (each waits its turn); cancelled while waiting, it gives back what it took."""
        gates = []
        wanted = [(self._hunts, hunt_id, self.hunt_capacity)]
        if address is not None:
            wanted.insert(0, (self._addresses, address, self.limits.address_window))
        if player is not None:
            wanted.insert(0, (self._players, (hunt_id, player), self.limits.window))
        try:
            for table, key, capacity in wanted:
                gate = self._gate(table, key, capacity)
                await gate.acquire(units)
                gates.append(gate)
        except BaseException:
            Held(gates, units).release()
            raise
        return Held(gates, units)

    def in_flight(self, hunt_id: str) -> int:
        gate = self._hunts.get(hunt_id)
        return 0 if gate is None else gate.used

    def sizes(self) -> tuple[int, int, int]:
        """How many hunt, player and address gates exist (each has something in flight)."""
        return len(self._hunts), len(self._players), len(self._addresses)
