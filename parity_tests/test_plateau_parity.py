"""reduce_on_plateau equals torch's ReduceLROnPlateau on random metric streams.

Cost: the JAX side of all 64 (configuration, seed) pairs is one jitted program per
precision (one ``lax.scan`` stepping every configuration, run once per seed), computed
once and shared by the parametrizations; the torch loops step only the
scheduler (see :func:`torch_lrs`).
"""

from __future__ import annotations

import functools
import itertools

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
import torch

import optax_sched
import torch_compat
from parity_tests.tolerances import assert_within


def metric_stream(seed, n, mode):
    """Noisy decreasing (min) or increasing (max) metric with plateaus and spikes, built
    so that no comparison sits within 1e-3 relative of torch's threshold (no near-ties)."""
    rng = np.random.default_rng(seed)
    level, out = 10.0, []
    for _ in range(n):
        if rng.random() < 0.3:
            level = max(level * 0.97, 0.5)  # improvement phase (then a long plateau)
        value = level * (1 + 0.02 * rng.normal())
        if rng.random() < 0.05:
            value *= 3.0  # spike
        out.append(value if mode == "min" else -value)
    return np.round(np.asarray(out), 4)


def torch_lrs(cls, metrics, **kw):
    """LR used by each update under torch scheduler ``cls``, stepped once per metric.

    No gradient ever reaches the optimizer here, so ``optimizer.step()`` would change
    nothing (and took 70% of the loop's time): it is left out, after checking that the
    scheduler neither hooks nor wraps it, the only ways it could observe the call."""
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=0.5)
    sched = cls(opt, **kw)
    assert not (opt._optimizer_step_pre_hooks or opt._optimizer_step_post_hooks
                or "step" in vars(opt)), f"{cls.__name__} observes optimizer.step()"
    out = []
    for m in metrics:
        out.append(opt.param_groups[0]["lr"])
        sched.step(m)
    return np.asarray(out)


def optax_lrs(metrics, x64=False, **kw):
    """LR used by each update, the transform run under one jitted ``lax.scan``."""
    with jax.enable_x64(x64):
        tx = optax_sched.reduce_on_plateau(0.5, **kw)
        params = jnp.zeros(1)

        def body(state, m):
            lr = optax_sched.current_lr(state)
            _, state = tx.update(jnp.ones(1), state, params, value=m)
            return state, lr

        _, lrs = jax.jit(lambda ms: jax.lax.scan(body, tx.init(params), ms))(
            jnp.asarray(metrics))
    return np.asarray(lrs, dtype=np.float64)


CONFIGS = [dict(mode=m, threshold_mode=t, patience=p, cooldown=c, factor=f, min_lr=ml)
           for (m, t), p, c, f, ml in itertools.product(
               [("min", "rel"), ("min", "abs"), ("max", "rel"), ("max", "abs")],
               [0, 3], [0, 4], [0.5], [0.0, 1e-3])]


def _has_margin(metrics, kw):
    """True if torch's threshold comparisons are never near a tie for this stream."""
    best = np.inf if kw["mode"] == "min" else -np.inf
    t = 1e-4
    for m in metrics:
        if np.isfinite(best):
            if kw["threshold_mode"] == "rel":
                ref = best * (1 - t) if kw["mode"] == "min" else best * (1 + t)
            else:
                ref = best - t if kw["mode"] == "min" else best + t
            if abs(m - ref) < 1e-6 * max(1.0, abs(ref)):
                return False
        if (kw["mode"] == "min" and m < best) or (kw["mode"] == "max" and m > best):
            best = m
    return True


SEEDS = (0, 1)
N_STEPS = 2000


@functools.cache
def cached_stream(seed, mode):
    """``metric_stream(seed, N_STEPS, mode)``, computed once and shared (read-only)."""
    out = metric_stream(seed, N_STEPS, mode)
    out.setflags(write=False)
    return out


@functools.cache
def optax_all(x64):
    """``{(config index, seed): LRs}``: what :func:`optax_lrs` gives for every configuration
    on its streams, from one jitted program (one compilation, not one per configuration
    and seed): one ``lax.scan`` whose body steps every configuration, run once per seed
    (not ``vmap``-ed over the seeds: the batched program took longer to compile than the
    second run takes)."""
    with jax.enable_x64(x64):
        params = jnp.zeros(1)
        txs = [optax_sched.reduce_on_plateau(0.5, **kw) for kw in CONFIGS]

        def step(tx):
            def one(state, m):
                lr = optax_sched.current_lr(state)
                _, state = tx.update(jnp.ones(1), state, params, value=m)
                return state, lr

            return one

        steps = [step(tx) for tx in txs]

        def body(states, ms):
            out = [f(s, ms[kw["mode"]]) for f, s, kw in zip(steps, states, CONFIGS, strict=True)]
            return [o[0] for o in out], [o[1] for o in out]

        program = jax.jit(lambda ms: jax.lax.scan(body, [tx.init(params) for tx in txs], ms)[1])
        out = {}
        for seed in SEEDS:
            ms = {mode: jnp.asarray(cached_stream(seed, mode)) for mode in ("min", "max")}
            lrs = jax.device_get(program(ms))
            out.update({(i, seed): np.asarray(lrs[i], dtype=np.float64)
                        for i in range(len(CONFIGS))})
    return out


@pytest.mark.parametrize("kw", CONFIGS, ids=lambda k: "-".join(str(v) for v in k.values()))
@pytest.mark.parametrize("seed", SEEDS)
def test_equals_torch_builtin_on_random_streams(kw, seed):
    i = CONFIGS.index(kw)
    metrics = cached_stream(seed, kw["mode"])
    assert _has_margin(metrics, kw)
    ref = torch_lrs(torch.optim.lr_scheduler.ReduceLROnPlateau, metrics, **kw)
    assert len(np.unique(ref)) > 3  # the streams really cut the LR
    np.testing.assert_array_equal(torch_lrs(torch_compat.ReduceLROnPlateau, metrics, **kw), ref)
    assert_within(optax_all(True)[i, seed], ref, "x64", "optax x64 vs torch")
    assert_within(optax_all(False)[i, seed], ref, "stateful32", "optax float32 vs torch")


def test_patience_is_counted_as_torch_does_unlike_optax_contrib():
    flat = [1.0] * 8
    ours = optax_lrs(flat, patience=2, factor=0.5)
    theirs_torch = torch_lrs(torch.optim.lr_scheduler.ReduceLROnPlateau, flat, patience=2,
                             factor=0.5)
    np.testing.assert_allclose(ours, theirs_torch)
    tx = optax.contrib.reduce_on_plateau(factor=0.5, patience=2)

    def body(state, m):  # the scale each update uses, then the update (one jitted scan)
        _, new_state = tx.update(jnp.ones(1), state, value=m)
        return new_state, state.scale

    _, scales = jax.jit(lambda ms: jax.lax.scan(body, tx.init(jnp.zeros(1)), ms))(
        jnp.asarray(flat))
    scales = [float(s) for s in scales]
    # the 1st value sets best; torch cuts after patience + 1 = 3 bad values (so update 4
    # uses the cut), optax contrib after patience = 2 (update 3), then every 2 values.
    assert list(ours[:5]) == [0.5] * 4 + [0.25]
    assert scales[:6] == [1.0] * 3 + [0.5, 0.5, 0.25]


def test_rel_abs_is_correct_for_negative_metrics_where_rel_is_not():
    flat_negative = [-1.0] * 30
    rel = optax_lrs(flat_negative, patience=2, factor=0.5)
    torch_rel = torch_lrs(torch.optim.lr_scheduler.ReduceLROnPlateau, flat_negative, patience=2,
                          factor=0.5)
    np.testing.assert_allclose(rel, torch_rel)
    assert np.all(rel == 0.5)  # torch's flaw: -1 < -1 * (1 - 1e-4), an "improvement" forever
    fixed = optax_lrs(flat_negative, patience=2, factor=0.5, threshold_mode="rel_abs")
    assert fixed[-1] < 0.5
    ours_torch = torch_lrs(torch_compat.ReduceLROnPlateau, flat_negative, patience=2,
                           factor=0.5, threshold_mode="rel_abs")
    np.testing.assert_allclose(fixed, ours_torch, rtol=1e-6)


def test_non_finite_metrics_are_skipped_on_both_faces():
    metrics = [1.0, 0.9, float("nan"), float("inf"), 0.8] + [0.8] * 6
    clean = [m for m in metrics if np.isfinite(m)]
    a = optax_lrs(metrics, patience=1)
    b = torch_lrs(torch_compat.ReduceLROnPlateau, metrics, patience=1)
    np.testing.assert_allclose(a, b, rtol=1e-6)
    # skipping equals the stream without them
    c = torch_lrs(torch_compat.ReduceLROnPlateau, clean, patience=1)
    np.testing.assert_allclose(np.delete(b, [3, 4]), c)
    assert np.all(np.isfinite(a))
