"""Overhead benchmarks of optax_sched / torch_compat (run ``python -m benchmarks``)."""
