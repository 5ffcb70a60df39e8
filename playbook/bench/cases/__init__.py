"""Benchmark cases, one module per kit module; collected by :func:`playbook.bench.cases`."""
