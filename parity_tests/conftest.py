"""Shared, cached sequences for the parity tests."""

from __future__ import annotations

import functools

import pytest

from sched_tools._records import CASES
from sched_tools._records import case_by_id
from parity_tests import harness


@functools.lru_cache(maxsize=None)
def _optax_sequences(x64: bool) -> dict:
    """Every registered case's optax sequences, from one compilation (``run_optax_many``):
    a program per case would spend most of the parity suite compiling."""
    return dict(zip((c.id for c in CASES), harness.run_optax_many(CASES, x64=x64)))


@functools.lru_cache(maxsize=None)
def sequences(case_id: str, impl: str):
    """Cached ``(lr, momentum)`` of a case for one implementation."""
    case = case_by_id(case_id)
    if impl == "optax32":
        return _optax_sequences(False)[case_id]
    if impl == "optax64":
        return _optax_sequences(True)[case_id]
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
