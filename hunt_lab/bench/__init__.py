"""Benchmarks: the standard workload (hunt_lab.workload) against the engine and a plain-SQLite
baseline, end to end over websockets, the relay, overload, connections and commit convoys."""
