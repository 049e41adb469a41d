"""How our schedules relate to optax's own built-ins (table in docs/math.md).

Each test pins one agreement or one difference, so a change on either side shows up.
"""

from __future__ import annotations

import numpy as np
import optax

import optax_sched
from parity_tests.tolerances import assert_within


def _seq(s, n):
    return np.asarray([float(s(k)) for k in range(n)])


def test_cosine_matches_optax_cosine_decay_within_horizon_and_differs_after():
    ours = _seq(optax_sched.cosine_annealing_lr(1.0, T_max=50, eta_min=0.1), 100)
    theirs = _seq(optax.cosine_decay_schedule(1.0, decay_steps=50, alpha=0.1), 100)
    # optax's 0.5*(1+cos) loses ~1 float32 ulp of the peak; compare at that level.
    np.testing.assert_allclose(ours[:51], theirs[:51], rtol=0, atol=2e-7)
    # past the horizon optax clamps at the floor, torch (and we) go back up.
    np.testing.assert_allclose(theirs[51:], 0.1, rtol=1e-6)
    assert ours[75] > 0.5 and abs(ours[99] - ours[1]) < 1e-6


def test_cosine_tail_keeps_relative_accuracy_where_optax_rounds_to_zero():
    true = 1.0 * (1 + np.cos(np.pi * 99_999 / 100_000)) / 2  # float64: 2.4674e-10
    assert float(optax.cosine_decay_schedule(1.0, 100_000)(99_999)) == 0.0
    ours = float(optax_sched.cosine_annealing_lr(1.0, 100_000)(99_999))
    assert abs(ours - true) <= 1e-6 * true


def test_warmup_with_decay_is_optax_warmup_cosine_shifted_by_one_during_warmup():
    w, n = 5, 40
    ours = _seq(optax_sched.warmup_with_decay(1.0, w, n, min_lr=0.05), n + 5)
    theirs = _seq(optax.warmup_cosine_decay_schedule(0.0, 1.0, w, n, end_value=0.05), n + 6)
    # warmup: ours never outputs 0; our update k uses optax's value of k + 1.
    np.testing.assert_allclose(ours[:w], theirs[1:w + 1], rtol=1e-6)
    assert theirs[0] == 0.0 and abs(ours[0] - 0.2) < 1e-7
    # decay: identical (same total length convention: decay_steps includes the warmup).
    assert_within(ours[w:], theirs[w:n + 5], "float32", "warmup cosine decay phase")


def test_one_cycle_peak_and_end_differ_from_optax_cosine_onecycle():
    n = 10
    ours = _seq(optax_sched.one_cycle_lr(1.0, n), n + 2)
    theirs = _seq(optax.cosine_onecycle_schedule(n, 1.0), n + 2)
    assert int(np.argmax(ours)) == 2  # torch: pct_start * N - 1
    assert int(np.argmax(theirs)) == 3  # optax: int(pct_start * N)
    np.testing.assert_allclose([ours[0], theirs[0]], 0.04, rtol=1e-6)
    # torch reaches the minimum on the last update (N - 1); optax one step later.
    np.testing.assert_allclose(ours[n - 1:], 4e-6, rtol=1e-5)
    assert theirs[n - 1] > 0.04 and theirs[n] < 1e-5


def test_sgdr_equals_optax_sgdr_schedule_for_equal_cycles_until_the_list_ends():
    cycle = dict(init_value=1.0, peak_value=1.0, warmup_steps=0, decay_steps=6, end_value=0.0)
    theirs = _seq(optax.sgdr_schedule([cycle] * 3), 20)
    ours = _seq(optax_sched.cosine_annealing_warm_restarts(1.0, T_0=6), 20)
    assert_within(ours[:18], theirs[:18], "float32", "sgdr vs optax.sgdr_schedule")
    # optax's list runs out after 3 cycles; ours restarts forever.
    assert theirs[18] < 1e-6 and ours[18] == 1.0
