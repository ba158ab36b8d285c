"""Benchmarks: the standard workload (DESIGN §8) against the engine and the seed's baseline."""
