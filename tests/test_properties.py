"""Hypothesis: random valid configurations give finite, non-negative values inside the
documented bounds, and optax_sched (float32) agrees with torch_compat (float64)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import optax_sched
import torch_compat
from sched_tools._tolerances import max_violation

LR = st.floats(1e-6, 10.0)
STEPS = st.integers(1, 300)
SETTINGS = settings(max_examples=20, deadline=None, derandomize=True)


@st.composite
def configs(draw):
    name = draw(st.sampled_from([
        "step_lr", "multistep_lr", "exponential_lr", "constant_lr", "linear_lr", "polynomial_lr",
        "cosine_annealing_lr", "cosine_annealing_warm_restarts", "one_cycle_lr", "cyclic_lr",
        "linear_warmup", "exponential_warmup", "cosine_warmup", "warmup_with_decay",
        "exponential_cyclic_lr", "list_schedule", "range_finder", "one_cycle_policy"]))
    lr = draw(LR)
    if name == "step_lr":
        kw = dict(init_value=lr, step_size=draw(STEPS), gamma=draw(st.floats(0.01, 2.0)))
    elif name == "multistep_lr":
        ms = sorted(draw(st.lists(st.integers(1, 300), min_size=1, max_size=5)))
        kw = dict(init_value=lr, milestones=ms, gamma=draw(st.floats(0.01, 1.0)))
    elif name == "exponential_lr":
        kw = dict(init_value=lr, gamma=draw(st.floats(0.5, 1.0)))
    elif name == "constant_lr":
        kw = dict(init_value=lr, factor=draw(st.floats(0.0, 1.0)), total_iters=draw(STEPS))
    elif name == "linear_lr":
        kw = dict(init_value=lr, start_factor=draw(st.floats(0.01, 1.0)),
                  end_factor=draw(st.floats(0.0, 1.0)), total_iters=draw(STEPS))
    elif name == "polynomial_lr":
        kw = dict(init_value=lr, total_iters=draw(STEPS), power=draw(st.floats(0.0, 4.0)))
    elif name == "cosine_annealing_lr":
        kw = dict(init_value=lr, T_max=draw(STEPS), eta_min=draw(st.floats(0.0, 1.0)) * lr)
    elif name == "cosine_annealing_warm_restarts":
        kw = dict(init_value=lr, T_0=draw(st.integers(1, 60)),
                  T_mult=draw(st.sampled_from([1, 2, 3, 1.5, 1.25])),
                  eta_min=draw(st.floats(0.0, 0.5)) * lr, decay=draw(st.floats(0.1, 1.0)),
                  warmup_steps=draw(st.integers(0, 50)))
    elif name == "one_cycle_lr":
        three = draw(st.booleans())
        kw = dict(max_lr=lr, total_steps=draw(st.integers(2, 400)),
                  pct_start=draw(st.floats(0.01, 0.5 if three else 0.99)),
                  anneal_strategy=draw(st.sampled_from(["cos", "linear"])),
                  div_factor=draw(st.floats(1.0, 100.0)),
                  final_div_factor=draw(st.floats(1.0, 1e5)), three_phase=three)
    elif name == "cyclic_lr":
        kw = dict(base_lr=lr / 10, max_lr=lr, step_size_up=draw(st.integers(1, 50)),
                  step_size_down=draw(st.one_of(st.none(), st.integers(1, 50))),
                  mode=draw(st.sampled_from(["triangular", "triangular2", "exp_range"])),
                  gamma=draw(st.floats(0.9, 1.0)))
    elif name in ("linear_warmup", "cosine_warmup"):
        kw = dict(base_lr=lr, warmup_steps=draw(st.integers(0, 200)))
    elif name == "exponential_warmup":
        kw = dict(base_lr=lr, warmup_steps=draw(st.integers(0, 200)),
                  start_lr=lr * draw(st.floats(1e-6, 1.0)))
    elif name == "warmup_with_decay":
        w = draw(st.integers(0, 100))
        kw = dict(base_lr=lr, warmup_steps=w, total_steps=w + draw(st.integers(1, 200)),
                  min_lr=lr * draw(st.floats(0.0, 1.0)))
    elif name == "exponential_cyclic_lr":
        kw = dict(base_lr=lr * draw(st.floats(0.0, 1.0)), max_lr=lr,
                  step_size=draw(st.integers(2, 60)), gamma=draw(st.floats(0.5, 1.0)))
    elif name == "list_schedule":
        kw = dict(values=draw(st.lists(st.floats(0.0, 10.0), min_size=1, max_size=30)))
    elif name == "range_finder":
        s = draw(st.floats(1e-8, 1e-2))
        kw = dict(num_steps=draw(st.integers(2, 300)), start_lr=s,
                  end_lr=s * draw(st.floats(1.5, 1e6)))
    else:
        kw = dict(max_lr=lr, num_steps=draw(st.integers(3, 300)))
    return name, kw


def _upper_bound(name, kw):
    """The documented maximum of each schedule (the peak its arguments allow)."""
    if name == "step_lr" or name == "multistep_lr":
        return kw["init_value"] * max(1.0, kw["gamma"]) ** 400
    scales = [kw[k] for k in ("init_value", "base_lr", "max_lr", "end_lr", "eta_min", "min_lr")
              if k in kw]
    if name == "list_schedule":
        return max(kw["values"])
    return max(scales)


@SETTINGS
@given(configs())
def test_finite_non_negative_bounded_and_in_parity(cfg):
    name, kw = cfg
    n = 400
    lr_s, mom_s = optax_sched.from_name(name, **kw)
    jax_lr = np.asarray(jax.jit(jax.vmap(lr_s))(jnp.arange(n)), dtype=np.float64)
    assert np.all(np.isfinite(jax_lr)) and np.all(jax_lr >= 0)
    assert np.all(jax_lr <= _upper_bound(name, kw) * (1 + 1e-6))
    import torch

    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    sched = torch_compat.from_name(name, opt, **kw)
    ref = np.asarray([sched.lr_at(k)[0] for k in range(n)])
    assert max_violation(jax_lr, ref, "float32")[0] <= 1.0
    if mom_s is not None:
        mom = np.asarray(jax.vmap(mom_s)(jnp.arange(n)), dtype=np.float64)
        assert np.all(np.isfinite(mom)) and np.all((mom >= 0) & (mom <= 1))
        ref_m = np.asarray([sched.momentum_at(k)[0] for k in range(n)])
        assert max_violation(mom, ref_m, "float32")[0] <= 1.0


@SETTINGS
@given(st.floats(1e-5, 1.0), st.floats(0.0, 1.0), st.integers(1, 40), st.integers(1, 6),
       st.integers(0, 3), st.floats(0.0, 3.0), st.sampled_from(["normal", "auto"]),
       st.booleans())
def test_gracos_valid_configs_stay_finite_and_floored(init, frac, spe, epochs, warm, amp, mode,
                                                       oop):
    warm = min(warm, epochs - 1)
    final = init * frac
    tx = optax_sched.gracos(init, final, spe, epochs, mode=mode, warmup_epochs=warm,
                            amplitude=amp, out_of_phase=oop)
    params = {"a": jnp.zeros(3), "b": jnp.zeros(2)}
    state = tx.init(params)
    update = jax.jit(tx.update)
    rng = np.random.default_rng(spe)
    for k in range(spe * epochs + spe):
        lr = np.asarray(jax.tree_util.tree_leaves(optax_sched.current_lr(state)))
        assert np.all(np.isfinite(lr)) and np.all(lr >= 0.1 * final * (1 - 1e-6))
        assert np.all(lr <= 2 * init * (1 + 1e-6))
        g = {"a": jnp.asarray(rng.normal(size=3) * 10.0 ** rng.integers(-3, 4)),
             "b": jnp.asarray(rng.normal(size=2))}
        if k % 7 == 3:
            g["a"] = g["a"].at[0].set(jnp.inf)
        _, state = update(g, state)
