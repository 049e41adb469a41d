"""Full-sequence parity for every registered case (2x the horizon).

Comparisons (bounds from ``tolerances.py``):
  optax float32 (jit+vmap)  vs oracle, torch_compat, torch built-in   float32 bound
  optax x64                 vs oracle, torch_compat                   x64 bound
  torch_compat              vs sched_core (float64 scalars)           exactly equal
  sched_core numpy          vs sched_core scalars                     x64 bound
  torch_compat              vs oracle                                 x64 bound
  torch_compat, optax x64   vs torch's built-in class                 builtin bound
"""

from __future__ import annotations

import numpy as np
import pytest

from sched_tools._records import CASES, RECORDS
from parity_tests import harness
from parity_tests.tolerances import assert_within

# one pytest-xdist worker runs this module (``--dist loadgroup``, set in pyproject.toml):
# the cached sequences (one optax program for every case) are computed once, not once per worker
pytestmark = pytest.mark.xdist_group("test_parity")

IDS = [c.id for c in CASES]
BUILTIN_IDS = [c.id for c in CASES if harness.builtin_available(c)]
MOMENTUM_IDS = [c.id for c in CASES if harness.has_momentum(c)]


def _cmp(seqs, case_id, impl, ref_impl, kind, cols=None):
    lr, mom = seqs(case_id, impl)
    ref_lr, ref_mom = seqs(case_id, ref_impl)
    n = ref_lr.shape[1] if cols is None else cols
    n = min(n, lr.shape[1], ref_lr.shape[1])
    assert_within(lr[:, :n], ref_lr[:, :n], kind, f"{case_id} lr {impl} vs {ref_impl}")
    assert (mom is None) == (ref_mom is None), f"{case_id}: momentum scheduled on one side only"
    if mom is not None:
        assert_within(mom[:, :n], ref_mom[:, :n], kind, f"{case_id} momentum {impl} vs {ref_impl}")


@pytest.mark.parametrize("case_id", IDS)
def test_optax_float32_vs_oracle(seqs, case_id):
    _cmp(seqs, case_id, "optax32", "oracle", "float32")


@pytest.mark.parametrize("case_id", IDS)
def test_optax_x64_vs_oracle(seqs, case_id):
    _cmp(seqs, case_id, "optax64", "oracle", "x64")


@pytest.mark.parametrize("case_id", IDS)
def test_optax_float32_vs_torch_compat(seqs, case_id):
    _cmp(seqs, case_id, "optax32", "torch_compat", "float32")


@pytest.mark.parametrize("case_id", IDS)
def test_optax_x64_vs_torch_compat(seqs, case_id):
    _cmp(seqs, case_id, "optax64", "torch_compat", "x64")


@pytest.mark.parametrize("case_id", IDS)
def test_torch_compat_equals_core_exactly(seqs, case_id):
    lr, mom = seqs(case_id, "torch_compat")
    ref_lr, ref_mom = seqs(case_id, "core")
    np.testing.assert_array_equal(lr, ref_lr)
    if ref_mom is not None:
        np.testing.assert_array_equal(mom, ref_mom)


@pytest.mark.parametrize("case_id", IDS)
def test_core_numpy_and_scalar_namespaces_agree(seqs, case_id):
    _cmp(seqs, case_id, "core_numpy", "core", "x64")


@pytest.mark.parametrize("case_id", IDS)
def test_torch_compat_vs_oracle(seqs, case_id):
    _cmp(seqs, case_id, "torch_compat", "oracle", "x64")


@pytest.mark.parametrize("case_id", BUILTIN_IDS)
def test_torch_compat_vs_torch_builtin(seqs, case_id):
    _cmp(seqs, case_id, "torch_compat", "builtin", "builtin")


@pytest.mark.parametrize("case_id", BUILTIN_IDS)
def test_optax_vs_torch_builtin(seqs, case_id):
    _cmp(seqs, case_id, "optax32", "builtin", "float32")
    _cmp(seqs, case_id, "optax64", "builtin", "builtin")


@pytest.mark.parametrize("case_id", MOMENTUM_IDS)
def test_adam_betas_follow_momentum(seqs, case_id):
    """With Adam the momentum schedule is written to betas[0], same values as SGD momentum."""
    lr, mom = seqs(case_id, "torch_compat_adam")
    ref_lr, ref_mom = seqs(case_id, "torch_compat")
    np.testing.assert_array_equal(lr, ref_lr)
    np.testing.assert_array_equal(mom, ref_mom)


def test_every_builtin_record_is_compared_with_torch():
    builtin_families = {c.schedule for c in CASES if harness.builtin_available(c)}
    assert builtin_families == {n for n, r in RECORDS.items() if r.builtin or r.hf}
