"""Where Hugging Face's schedules equal this library's others, and where they differ (each
difference stated in docs/math.md section 15)."""

from __future__ import annotations

import numpy as np

import optax_sched as o
from parity_tests.harness import jax_sequences


def test_cosine_without_warmup_is_torchs_periodic_cosine_annealing():
    hf, torch_like = jax_sequences([o.cosine_with_warmup(0.1, 0, 25),
                                     o.cosine_annealing_lr(0.1, T_max=25)], 100)
    np.testing.assert_allclose(hf, torch_like, atol=1e-8)


def test_linear_without_warmup_is_torchs_polynomial_of_power_one():
    hf, torch_like = jax_sequences([o.linear_with_warmup(0.1, 0, 30),
                                     o.polynomial_lr(0.1, total_iters=30, power=1.0)], 60)
    np.testing.assert_allclose(hf, torch_like, atol=1e-8)


def test_hugging_face_warmup_starts_at_zero_and_peaks_one_update_later():
    hf, ours = jax_sequences([o.constant_with_warmup(0.1, 4), o.linear_warmup(0.1, 4)], 6)
    np.testing.assert_allclose(hf, [0.0, 0.025, 0.05, 0.075, 0.1, 0.1], atol=1e-8)
    np.testing.assert_allclose(ours, [0.025, 0.05, 0.075, 0.1, 0.1, 0.1], atol=1e-8)
    np.testing.assert_allclose(hf[1:], ours[:-1], atol=1e-8)  # the same ramp, one update late


def test_hugging_face_cosine_rises_again_after_the_run_where_warmup_with_decay_holds():
    hf, held = jax_sequences([o.cosine_with_warmup(0.1, 5, 25),
                               o.warmup_with_decay(0.1, 5, 25)], 40)
    assert hf[25] < 1e-9 and hf[35] > 0.01  # periodic past num_training_steps
    assert np.all(held[25:] == held[25])  # holds min_lr


def test_wsd_with_a_linear_cooldown_and_no_stable_stage_is_hugging_faces_linear_schedule():
    # min_lr_ratio = 0: warmup k / W, then (W + D - k) / D, then 0
    wsd, linear = jax_sequences([o.warmup_stable_decay(0.1, 5, 20, num_training_steps=25,
                                                          decay_type="linear"),
                                  o.linear_with_warmup(0.1, 5, 25)], 40)
    np.testing.assert_allclose(wsd, linear, atol=1e-8)
