"""Shared, cached sequences for the parity tests."""

from __future__ import annotations

import functools

import pytest

from sched_tools._records import case_by_id
from parity_tests import harness


@functools.lru_cache(maxsize=None)
def sequences(case_id: str, impl: str):
    """Cached ``(lr, momentum)`` of a case for one implementation."""
    case = case_by_id(case_id)
    if impl == "optax32":
        return harness.run_optax(case, x64=False)
    if impl == "optax64":
        return harness.run_optax(case, x64=True)
    if impl == "core":
        return harness.run_core(case)
    if impl == "core_numpy":
        import numpy

        return harness.run_core(case, xp=numpy)
    if impl == "oracle":
        return harness.run_oracle(case)
    if impl == "torch_compat":
        return harness.run_torch(case)
    if impl == "torch_compat_adam":
        return harness.run_torch(case, optimizer="adam")
    if impl == "builtin":
        return harness.run_torch(case, builtin=True)
    raise KeyError(impl)


@pytest.fixture
def seqs():
    return sequences
