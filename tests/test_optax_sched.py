"""optax_sched adapter: jit/vmap safety, dtypes, reading LR/momentum, momentum injection."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
import torch

import optax_sched
import torch_compat
from sched_tools._records import CASES, LAMBDAS, group_kwargs

_INT32_MAX = 2**31 - 1


def _make(case):
    kw = group_kwargs(case, 1.0)
    if case.lambda_name:
        kw["fn"] = LAMBDAS[case.lambda_name]
    if case.schedule == "one_cycle_policy":
        return optax_sched.one_cycle_policy(**kw)[0]
    return getattr(optax_sched, case.schedule)(**kw)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_jit_compiles_once_and_large_int32_counts_stay_finite(case):
    sched = _make(case)
    traces = []

    def f(count):
        traces.append(1)
        return sched(count)

    jf = jax.jit(f)
    counts = [0, 1, 7, 1000, 123_456_789, _INT32_MAX - 1, _INT32_MAX]
    if case.schedule == "multiplicative_lr":
        # a running product costs k multiplications (documented): the loop and its int32
        # bounds are checked up to 10^6 here (the largest counts take about 30 s each)
        counts = [0, 1, 7, 1000, 10**6]
    values = [float(jf(jnp.int32(c))) for c in counts]
    assert len(traces) == 1, f"{case.id} retraced {len(traces)} times"
    assert all(np.isfinite(values)) and min(values) >= 0.0, values


def test_python_int_and_float_counts_and_vmap_agree():
    s = optax_sched.cosine_annealing_warm_restarts(1.0, T_0=3, T_mult=2, warmup_steps=2)
    batched = np.asarray(jax.vmap(s)(jnp.arange(30)))
    single = np.asarray([float(s(k)) for k in range(30)])
    floats = np.asarray([float(s(float(k))) for k in range(30)])
    np.testing.assert_array_equal(batched, single)
    np.testing.assert_array_equal(floats, single)


def test_dtype_is_float32_by_default_and_float64_under_x64():
    s = optax_sched.one_cycle_lr(0.1, 100)
    assert s(3).dtype == jnp.float32
    with jax.enable_x64(True):
        assert s(3).dtype == jnp.float64


def test_sgdr_cycle_index_uses_integers_at_exact_boundaries():
    # T_0 = 1, T_mult = 3: cycles start at 0, 1, 4, 13, 40, 121, ... every start is a peak.
    s = optax_sched.cosine_annealing_warm_restarts(1.0, T_0=1, T_mult=3)
    starts = [0, 1, 4, 13, 40, 121, 364, 1093, 3280, 9841]
    np.testing.assert_array_equal([float(s(k)) for k in starts], 1.0)
    # the last update of cycle c (length 3**c) is sin(pi / (2 * 3**c))**2, the smallest value.
    last = [float(s(k - 1)) for k in starts[1:]]
    expected = [np.sin(np.pi / (2 * 3**c)) ** 2 for c in range(len(last))]
    np.testing.assert_allclose(last, expected, rtol=1e-6)


def test_float_t_mult_rounds_cycle_lengths_half_up():
    s = optax_sched.cosine_annealing_warm_restarts(1.0, T_0=2, T_mult=1.25)
    # lengths floor(2 * 1.25**i + 0.5): 2, 3, 3, 4, 5 -> starts 0, 2, 5, 8, 12, 17
    peaks = [k for k in range(20) if float(s(k)) == 1.0]
    assert peaks == [0, 2, 5, 8, 12, 17]


def test_schedules_stay_float32_with_bf16_params():
    lr = optax_sched.linear_warmup(1e-3, 10)
    tx = optax_sched.inject_schedules(optax.adam, learning_rate=lr)
    params = {"w": jnp.ones(4, jnp.bfloat16)}
    state = tx.init(params)
    assert optax_sched.current_lr(state).dtype == jnp.float32
    _, state = tx.update({"w": jnp.ones(4, jnp.bfloat16)}, state, params)
    assert optax_sched.current_lr(state).dtype == jnp.float32
    np.testing.assert_allclose(float(optax_sched.current_lr(state)), 2e-4, rtol=1e-6)


def test_current_lr_and_momentum_are_the_next_values_inside_and_outside_jit():
    lr = optax_sched.one_cycle_lr(0.1, 20)
    mom = optax_sched.one_cycle_momentum(20)
    tx = optax.chain(optax.clip_by_global_norm(1.0),
                     optax_sched.inject_schedules(optax.sgd, learning_rate=lr, momentum=mom))
    params = {"w": jnp.zeros(3)}
    state = tx.init(params)

    @jax.jit
    def step(state):
        _, state = tx.update({"w": jnp.ones(3)}, state, params)
        return state, optax_sched.current_lr(state), optax_sched.current_momentum(state)

    for k in range(25):
        # (jit and eager may differ in the last float32 bit: XLA fuses differently)
        np.testing.assert_allclose(float(optax_sched.current_lr(state)), float(lr(k)), rtol=1e-6)
        np.testing.assert_allclose(float(optax_sched.current_momentum(state)), float(mom(k)),
                                   rtol=1e-6)
        state, in_lr, in_mom = step(state)
        np.testing.assert_allclose(float(in_lr), float(lr(k + 1)), rtol=1e-6)
        np.testing.assert_allclose(float(in_mom), float(mom(k + 1)), rtol=1e-6)


def test_current_lr_refuses_inject_hyperparams_state_with_an_explanation():
    tx = optax.inject_hyperparams(optax.sgd)(learning_rate=optax_sched.step_lr(0.1, 2))
    state = tx.init({"w": jnp.zeros(1)})
    with pytest.raises(ValueError, match="LAST update"):
        optax_sched.current_lr(state)
    with pytest.raises(ValueError, match="no optax_sched state"):
        optax_sched.current_lr(optax.adam(1e-3).init({"w": jnp.zeros(1)}))


def test_current_lr_skips_masked_nodes_in_partition():
    lr_a = optax_sched.constant_lr(0.1)
    tx = optax.partition(
        {"a": optax_sched.inject_schedules(optax.sgd, learning_rate=lr_a),
         "b": optax.set_to_zero()},
        {"x": "a", "y": "b"})
    state = tx.init({"x": jnp.zeros(2), "y": jnp.zeros(2)})
    np.testing.assert_allclose(float(optax_sched.current_lr(state)), 0.1 / 3, rtol=1e-7)


def _quadratic_targets():
    rng = np.random.default_rng(0)
    return rng.normal(size=(5,)).astype(np.float32), rng.normal(size=(60, 5)).astype(np.float32)


@pytest.mark.parametrize("use_optax_inject", [True, False])
def test_sgd_momentum_schedule_matches_torch_sgd_with_onecycle(use_optax_inject):
    """SGD momentum driven by one_cycle_momentum == torch SGD + torch's own OneCycleLR."""
    n = 60
    x0, noise = _quadratic_targets()
    lr_s = optax_sched.one_cycle_lr(0.05, n)
    mom_s = optax_sched.one_cycle_momentum(n)
    if use_optax_inject:  # the plain optax recipe
        tx = optax.inject_hyperparams(optax.sgd)(learning_rate=lr_s, momentum=mom_s)
    else:
        tx = optax_sched.inject_schedules(optax.sgd, learning_rate=lr_s, momentum=mom_s)
    params = jnp.asarray(x0)
    state = tx.init(params)
    update = jax.jit(tx.update)
    for k in range(n):
        grads = params - jnp.asarray(noise[k])
        updates, state = update(grads, state, params)
        params = optax.apply_updates(params, updates)

    p = torch.nn.Parameter(torch.tensor(x0))
    opt = torch.optim.SGD([p], lr=0.05, momentum=0.9)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.05, total_steps=n)
    for k in range(n):
        opt.zero_grad()
        p.grad = (p.detach() - torch.tensor(noise[k]))
        opt.step()
        if k < n - 1:
            sched.step()
    np.testing.assert_allclose(np.asarray(params), p.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_adam_b1_schedule_matches_torch_adam_betas_with_cyclic_lr():
    n = 40
    x0, noise = _quadratic_targets()
    kw = dict(step_size_up=5, mode="triangular2")
    tx = optax_sched.inject_schedules(
        optax.adam, learning_rate=optax_sched.cyclic_lr(0.001, 0.05, **kw),
        b1=optax_sched.cyclic_momentum(0.85, 0.95, **kw))
    params = jnp.asarray(x0)
    state = tx.init(params)
    update = jax.jit(tx.update)
    for k in range(n):
        updates, state = update(params - jnp.asarray(noise[k]), state, params)
        params = optax.apply_updates(params, updates)

    p = torch.nn.Parameter(torch.tensor(x0))
    opt = torch.optim.Adam([p], lr=0.05)
    sched = torch_compat.CyclicLR(opt, 0.001, 0.05, base_momentum=0.85, max_momentum=0.95, **kw)
    for k in range(n):
        p.grad = (p.detach() - torch.tensor(noise[k]))
        opt.step()
        sched.step()
    np.testing.assert_allclose(np.asarray(params), p.detach().numpy(), rtol=1e-5, atol=1e-6)
