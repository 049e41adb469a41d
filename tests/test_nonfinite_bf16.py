"""NaN/Inf bursts never poison GraCos, AdaptiveScheduler or reduce-on-plateau state (both
faces), and schedule arithmetic stays float32 with bf16 parameters."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
import torch

import optax_sched
import torch_compat

BURST = set(range(10, 16)) | {23}


def _grad(k, bad):
    g = np.full(4, 0.2 + 0.05 * np.sin(k), np.float32)
    if k in BURST:
        g[k % 4] = bad
    return g


@functools.cache
def _jitted(make):
    """``make()`` and its jitted update, built once: the parametrizations over the bad value
    share one compilation (same transform, same shapes)."""
    tx = make()
    return tx, jax.jit(tx.update)


def _gracos_6x6():
    return optax_sched.gracos(0.1, 0.01, 6, 6, mode="auto")


def _adaptive():
    return optax_sched.adaptive(0.05, min_steps_before_freeze=5)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_gracos_optax_and_torch_skip_bursts(bad):
    s, e = 6, 6
    tx, update = _jitted(_gracos_6x6)
    state = tx.init(jnp.zeros(4))
    p = torch.nn.Parameter(torch.zeros(4))
    opt = torch.optim.SGD([p], lr=0.1)
    sched = torch_compat.GraCos(opt, 0.1, 0.01, s, e, mode="auto")
    for k in range(s * e):
        _, state = update(jnp.asarray(_grad(k, bad)), state)
        p.grad = torch.tensor(_grad(k, bad))
        sched.update_gradient_norm()
        opt.step()
        sched.step()
        with torch.no_grad():
            p.zero_()  # the SGD step itself propagates NaN; training resets the weights here
        assert np.isfinite(float(optax_sched.current_lr(state)))
        assert np.isfinite(sched.get_last_lr()[0])
        assert np.isfinite(float(state.amp_ratio)) and np.isfinite(sched.amp_ratio)
        assert float(state.amp_ratio) == pytest.approx(sched.amp_ratio, rel=1e-5)
        assert int(state.frequency) == sched.current_frequency
        if k == 17:
            after_epoch2 = (sched.amp_ratio, float(state.amp_ratio))
    # epoch 2 (updates 12..17) had 4 non-finite statistics: 2 finite ones set its factor
    finite = [np.linalg.norm(_grad(k, bad).astype(np.float64)) for k in (16, 17)]
    want = min(max(np.exp(-np.mean(finite)), 0.05), 1.5)
    assert after_epoch2[0] == pytest.approx(want, rel=1e-6)
    assert after_epoch2[1] == pytest.approx(want, rel=1e-5)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_adaptive_both_faces_skip_bursts_and_params_stay_finite(bad):
    tx, update = _jitted(_adaptive)
    params = {"w": jnp.zeros(4)}
    state = tx.init(params)
    model = torch.nn.ParameterDict({"w": torch.nn.Parameter(torch.zeros(4))})
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    sched = torch_compat.AdaptiveScheduler(opt, model, min_steps_before_freeze=5)
    for k in range(40):
        loss = bad if k in BURST else 1.0 / (k + 1)
        u, state = update({"w": jnp.asarray(_grad(k, bad))}, state, params, value=loss)
        params = optax.apply_updates(params, u)
        model["w"].grad = torch.tensor(_grad(k, bad))
        opt.step()
        snap = sched.step(loss)
        assert np.isfinite(snap["lr"]) and np.isfinite(snap["momentum"])
        assert np.isfinite(float(state.lr)) and np.isfinite(float(state.momentum))
    assert np.all(np.isfinite(np.asarray(params["w"])))
    assert torch.isfinite(model["w"]).all()
    np.testing.assert_allclose(np.asarray(params["w"]), model["w"].detach().numpy(), rtol=1e-5)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_plateau_both_faces_skip_bursts(bad):
    metrics = [1.0 / (k + 1) if k not in BURST else bad for k in range(40)]
    tx = optax_sched.reduce_on_plateau(0.1, patience=1)
    state = tx.init(jnp.zeros(1))
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=0.1)
    sched = torch_compat.ReduceLROnPlateau(opt, patience=1)
    for m in metrics:
        _, state = tx.update(jnp.ones(1), state, value=m)
        sched.step(m)
        assert np.isfinite(float(state.lr)) and np.isfinite(float(state.best))
    assert float(state.lr) == pytest.approx(opt.param_groups[0]["lr"], rel=1e-6)
    assert sched.best == pytest.approx(1.0 / 40)


@pytest.mark.parametrize("make", [
    lambda: optax_sched.gracos(0.1, 0.01, 5, 3, mode="auto", out_of_phase=True),
    lambda: optax_sched.adaptive(0.1, min_steps_before_freeze=2),
    lambda: optax_sched.reduce_on_plateau(0.1),
    lambda: optax_sched.inject_schedules(optax.sgd, learning_rate=optax_sched.one_cycle_lr(0.1,
                                                                                           20)),
], ids=["gracos", "adaptive", "plateau", "inject"])
def test_bf16_params_keep_float32_schedule_arithmetic(make):
    tx = make()
    p16 = {"a": jnp.ones(3, jnp.bfloat16), "b": jnp.ones((2, 2), jnp.bfloat16)}
    p32 = jax.tree_util.tree_map(lambda x: x.astype(jnp.float32), p16)
    s16, s32 = tx.init(p16), tx.init(p32)
    for k in range(15):
        g = jax.tree_util.tree_map(lambda x, v=0.1 * (k + 1): jnp.full(x.shape, v, x.dtype), p16)
        kw = {"value": 1.0 / (k + 1)} if "value" in str(tx.update.__code__.co_varnames) else {}
        u16, s16 = tx.update(g, s16, p16, **kw)
        _, s32 = tx.update(jax.tree_util.tree_map(lambda x: x.astype(jnp.float32), g), s32, p32,
                           **kw)
        assert all(x.dtype == jnp.bfloat16 for x in jax.tree_util.tree_leaves(u16))
        lr16 = jax.tree_util.tree_leaves(optax_sched.current_lr(s16))
        lr32 = jax.tree_util.tree_leaves(optax_sched.current_lr(s32))
        assert all(x.dtype == jnp.float32 for x in lr16)
        for a, b in zip(lr16, lr32):  # bf16 gradients only change the gradient statistic
            np.testing.assert_allclose(float(a), float(b), rtol=1e-2)
