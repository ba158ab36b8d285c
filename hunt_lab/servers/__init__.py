"""Servers for tests and harnesses: ``hunt serve`` as a killable child process, the whole
server in-process on an ephemeral port, and a local ``nats-server`` broker."""
