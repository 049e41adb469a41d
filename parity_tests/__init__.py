"""Parity suite: optax_sched vs torch_compat vs torch built-ins vs float64 oracles."""
