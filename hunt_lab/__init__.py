"""The lab beside the product: workloads, measurements, test servers, clients, the player
simulator, fault harnesses and benchmarks.

It imports :mod:`hunt` and :mod:`actors`; the product never imports it (tests/test_layers.py
checks both directions). Its extra dependencies come with ``pip install '.[lab]'``. Inside,
the layers go one way too::

    workload, measure, audit  <-  clients  <-  sim  <-  servers  <-  faults  <-  bench  <-  cli
"""
