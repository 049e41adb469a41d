"""The optax face in real training code: which inject_schedules arguments are schedules,
dtype-stable and donation-safe states, reduce_on_plateau's ``value=``, traced-argument
messages, and reading the LR of ``optax.adamw(schedule)``-style optimizers."""

from __future__ import annotations

import re

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from flax import nnx

import optax_sched
from sched_core import _validate as v

# a schedule with a different value at every count: s(n) = 0.1 * 0.5**n
STEP = optax_sched.step_lr(0.1, step_size=1, gamma=0.5)


def _params(dtype=jnp.float32):
    return {"b": jnp.linspace(-1.0, 1.0, 3).astype(dtype),
            "w": jnp.linspace(0.5, 2.0, 6).reshape(2, 3).astype(dtype)}


def _step_reading_lr(tx):
    """A jitted update that also returns ``current_lr(state, STEP)`` read inside the jit."""
    @jax.jit
    def step(p, s, g):
        u, s = tx.update(g, s, p)
        return optax.apply_updates(p, u), s, optax_sched.current_lr(s, STEP)

    return step


def _grads(params, k):
    return jax.tree_util.tree_map(lambda p: (jnp.cos(p * (k + 1)) + 0.1 * k).astype(p.dtype),
                                  params)


def _run(tx, params, n, **extra):
    state = tx.init(params)
    for k in range(n):
        updates, state = tx.update(_grads(params, k), state, params, **extra)
        params = optax.apply_updates(params, updates)
    return params, state


def _signature(tree):
    """Tree structure plus (shape, dtype, weak_type) of every leaf."""
    leaves, treedef = jax.tree_util.tree_flatten(tree)
    return treedef, [(jax.typeof(x).shape, jax.typeof(x).dtype, jax.typeof(x).weak_type)
                     for x in leaves]


def assert_distinct_buffers(tree):
    """No two leaves of ``tree`` share a device buffer (so the tree can be donated)."""
    leaves = [x for x in jax.tree_util.tree_leaves(tree) if isinstance(x, jax.Array)]
    try:
        pointers = [x.unsafe_buffer_pointer() for x in leaves]
    except Exception:  # noqa: BLE001 - sharded arrays / backends without pointers
        pointers = None
    if pointers is not None:
        dup = {p for p in pointers if pointers.count(p) > 1}
        assert not dup, f"{len(dup)} buffer(s) shared between leaves"
        assert len({id(x) for x in leaves}) == len(leaves)
    else:  # donating raises "donate the same buffer twice" for a shared buffer
        copy = jax.tree_util.tree_map(lambda x: jax.device_put(x, may_alias=False), tree)
        jax.jit(lambda t: t, donate_argnums=0)(copy)


# ---------------------------------------------------------------- 1. what is a schedule


def _recording_factory(received):
    def factory(learning_rate, **kwargs):
        received.clear()
        received.update(kwargs, learning_rate=learning_rate)
        return optax.sgd(learning_rate)
    return factory


def test_schedule_detection_rule():
    received = {}
    mask = lambda p: jax.tree_util.tree_map(lambda x: x.ndim > 1, p)  # noqa: E731
    vector = lambda c: jnp.ones(3) * c  # noqa: E731
    flag = lambda c: c > 3  # noqa: E731
    tx = optax_sched.inject_schedules(
        _recording_factory(received), learning_rate=lambda c: 0.1 / (c + 1),
        mask=mask, vector=vector, flag=flag, mu_dtype=jnp.bfloat16, acc_dtype=np.float32,
        int_sched=lambda c: 2 * c + 1, own=optax_sched.cosine_annealing_lr(1.0, 10),
        optax_own=optax.linear_schedule(1.0, 0.0, 10), plain=0.5, name="x")
    state = tx.init(_params())
    assert sorted(state.hyperparams) == ["int_sched", "learning_rate", "optax_own", "own"]
    np.testing.assert_allclose(float(state.hyperparams["learning_rate"]), 0.1)
    assert float(state.hyperparams["int_sched"]) == 1.0
    # everything else arrives as given
    assert received["mask"] is mask and received["vector"] is vector and received["flag"] is flag
    assert received["mu_dtype"] is jnp.bfloat16 and received["acc_dtype"] is np.float32
    assert received["plain"] == 0.5 and received["name"] == "x"
    updates, state = tx.update(_grads(_params(), 0), state, _params())
    np.testing.assert_allclose(float(received["learning_rate"]), 0.1)  # the value for update 0
    np.testing.assert_allclose(float(state.hyperparams["learning_rate"]), 0.05)
    assert received["mask"] is mask


@pytest.mark.parametrize("jit", [False, True])
def test_adamw_mask_applies_weight_decay_only_where_the_mask_says(jit):
    mask = lambda p: {"b": False, "w": True}  # noqa: E731
    lr = optax.constant_schedule(0.01)
    tx = optax_sched.inject_schedules(optax.adamw, learning_rate=lr, weight_decay=0.5,
                                      mask=mask)
    if jit:
        tx = optax.GradientTransformationExtraArgs(tx.init, jax.jit(tx.update))
    got, _ = _run(tx, _params(), 6)
    want, _ = _run(optax.adamw(0.01, weight_decay=0.5, mask=mask), _params(), 6)
    no_decay, _ = _run(optax.adam(0.01), _params(), 6)
    for key in ("b", "w"):
        np.testing.assert_allclose(np.asarray(got[key]), np.asarray(want[key]), rtol=1e-6,
                                   atol=1e-7)
    # "b" is masked out: plain Adam; "w" decays (and visibly so)
    np.testing.assert_allclose(np.asarray(got["b"]), np.asarray(no_decay["b"]), rtol=1e-6)
    assert np.max(np.abs(np.asarray(got["w"]) - np.asarray(no_decay["w"]))) > 1e-3


def test_mu_dtype_bfloat16_passes_through_and_keeps_mu_bf16():
    lr = optax_sched.linear_warmup(0.01, 3)
    tx = optax_sched.inject_schedules(optax.adam, learning_rate=lr, mu_dtype=jnp.bfloat16)
    params = _params()
    state = tx.init(params)
    assert state.inner_state[0].mu["w"].dtype == jnp.bfloat16
    got, state = _run(tx, params, 4)
    assert state.inner_state[0].mu["w"].dtype == jnp.bfloat16
    assert state.inner_state[0].nu["w"].dtype == jnp.float32
    want, _ = _run(optax.adam(lr, mu_dtype=jnp.bfloat16), params, 4)
    for key in ("b", "w"):
        np.testing.assert_allclose(np.asarray(got[key]), np.asarray(want[key]), rtol=1e-6)


def test_static_args_pass_a_schedule_through_unscheduled():
    params = _params()
    tx = optax_sched.inject_schedules(optax.sgd, learning_rate=STEP, momentum=0.9,
                                      static_args="learning_rate")
    got, state = _run(tx, params, 3)
    assert state.hyperparams == {}
    # optax.sgd got the schedule itself (its own scale_by_schedule counts)
    want, _ = _run(optax.sgd(STEP, momentum=0.9), params, 3)
    np.testing.assert_allclose(np.asarray(got["w"]), np.asarray(want["w"]), rtol=1e-6)
    assert float(optax_sched.current_lr(state, STEP)) == float(STEP(3))

    tx = optax_sched.inject_schedules(optax.adamw, learning_rate=STEP, weight_decay=0.5,
                                      mask=lambda p: {"b": False, "w": True},
                                      static_args=["mask"])
    got, _ = _run(tx, params, 3)
    want, _ = _run(optax.adamw(STEP, weight_decay=0.5, mask={"b": False, "w": True}), params, 3)
    np.testing.assert_allclose(np.asarray(got["w"]), np.asarray(want["w"]), rtol=1e-6)


def test_static_args_errors_name_the_problem():
    with pytest.raises(ValueError, match=r"static_args names \['mask'\], which are not among"):
        optax_sched.inject_schedules(optax.sgd, learning_rate=STEP, static_args=("mask",))
    with pytest.raises(TypeError, match="static_args must"):
        optax_sched.inject_schedules(optax.sgd, learning_rate=STEP, static_args=3)


# ------------------------------------------------------------- 2. dtype-stable state

DTYPES = [jnp.float32, jnp.bfloat16, jnp.float16]
BUILDERS = {
    "sgd-momentum-schedule": (lambda: optax_sched.inject_schedules(
        optax.sgd, learning_rate=optax_sched.one_cycle_lr(0.05, 20),
        momentum=optax_sched.one_cycle_momentum(20)), False),
    "adam-b1-schedule": (lambda: optax_sched.inject_schedules(
        optax.adam, learning_rate=optax_sched.cosine_annealing_lr(0.01, 20),
        b1=optax_sched.cyclic_momentum(0.85, 0.95, step_size_up=5)), False),
    "reduce_on_plateau": (lambda: optax_sched.reduce_on_plateau(0.1, patience=0), True),
}


@pytest.mark.parametrize("name", list(BUILDERS))
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: jnp.dtype(d).name)
def test_state_structure_and_dtypes_survive_updates(name, dtype):
    build, needs_value = BUILDERS[name]
    tx = build()
    extra = {"value": jnp.asarray(1.0, dtype)} if needs_value else {}
    params = _params(dtype)
    state0 = tx.init(params)
    updates, state1 = tx.update(_grads(params, 0), state0, params, **extra)
    assert _signature(state1) == _signature(state0)
    assert all(u.dtype == dtype for u in jax.tree_util.tree_leaves(updates))
    if name != "reduce_on_plateau":
        mu = state1.inner_state[0].trace if name.startswith("sgd") else state1.inner_state[0].mu
        assert mu["w"].dtype == dtype

    def body(carry, k):
        p, s = carry
        u, s = tx.update(_grads(p, 0), s, p, **extra)
        return (optax.apply_updates(p, u), s), k

    (p3, s3), _ = jax.lax.scan(body, (params, state0), jnp.arange(3))
    assert _signature(s3) == _signature(state0)
    assert _signature(p3) == _signature(params)

    traces = []

    @jax.jit
    def step(p, s):
        traces.append(1)
        u, s = tx.update(_grads(p, 0), s, p, **extra)
        return optax.apply_updates(p, u), s

    p, s = params, state0
    for _ in range(4):
        p, s = step(p, s)
    assert len(traces) == 1
    assert _signature(s) == _signature(state0)


def test_weak_typed_inner_state_stays_weak():
    # Python-scalar params give weak-typed moments; a float32 b1 must not make them strong
    tx = optax_sched.inject_schedules(optax.adam, learning_rate=STEP,
                                      b1=optax_sched.constant_lr(0.9, factor=1.0))
    params = jnp.asarray(1.0)
    state0 = tx.init(params)
    assert state0.inner_state[0].mu.weak_type
    _, state1 = tx.update(jnp.asarray(0.5), state0, params)
    assert _signature(state1) == _signature(state0)


# ------------------------------------------------------------------------ 3. donation

DONATABLE = {
    "reduce_on_plateau": (lambda: optax_sched.reduce_on_plateau(0.1, patience=1), True),
    "inject_schedules-adam": (lambda: optax_sched.inject_schedules(
        optax.adam, learning_rate=STEP, b1=optax_sched.one_cycle_momentum(10)), False),
    "inject_schedules-sgd": (lambda: optax_sched.inject_schedules(
        optax.sgd, learning_rate=STEP, momentum=0.9), False),
    "adam(cosine_annealing_lr)": (lambda: optax.adam(optax_sched.cosine_annealing_lr(0.1, 10)),
                                  False),
    "chain-sgd(step_lr)": (lambda: optax.chain(optax.clip_by_global_norm(1.0),
                                               optax.sgd(STEP, momentum=0.9)), False),
}


@pytest.mark.parametrize("name", list(DONATABLE))
def test_state_can_be_donated(name):
    build, needs_value = DONATABLE[name]
    tx = build()
    params = _params()
    state = tx.init(params)
    assert_distinct_buffers(state)
    assert_distinct_buffers((params, state))

    @jax.jit
    def update(p, s, g):
        kw = {"value": jnp.sum(g["w"])} if needs_value else {}
        u, s = tx.update(g, s, p, **kw)
        return optax.apply_updates(p, u), s

    step = jax.jit(update, donate_argnums=(0, 1))
    ref_p, ref_s = params, state
    p, s = jax.tree_util.tree_map(jnp.copy, (params, state))
    for k in range(3):
        g = _grads(ref_p, k)
        ref_p, ref_s = update(ref_p, ref_s, g)
        p, s = step(p, s, g)
    for a, b in zip(jax.tree_util.tree_leaves((ref_p, ref_s)), jax.tree_util.tree_leaves((p, s))):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    if name == "reduce_on_plateau" or name.startswith("inject"):
        assert float(optax_sched.current_lr(s)) == float(optax_sched.current_lr(ref_s))


def test_inject_schedules_state_never_aliases_params_or_user_arrays():
    # an inner optimizer whose state holds the params themselves, and schedules that
    # return one global array: donating (params, state) must still work
    def anchored_sgd(learning_rate, b1):
        def init(p):
            return {"anchor": p}

        def update(u, s, p=None):
            return jax.tree_util.tree_map(lambda g: -learning_rate * b1 * g, u), s
        return optax.GradientTransformation(init, update)

    shared = jnp.asarray(0.5, jnp.float32)
    tx = optax_sched.inject_schedules(anchored_sgd, learning_rate=lambda c: shared,
                                      b1=lambda c: shared)
    params = _params()
    state = tx.init(params)
    assert_distinct_buffers((params, state))

    step = jax.jit(lambda p, s, g: (lambda u, s: (optax.apply_updates(p, u), s))(
        *tx.update(g, s, p)), donate_argnums=(0, 1))
    p, s = params, state
    for k in range(3):
        p, s = step(p, s, _grads(_params(), k))
    assert not shared.is_deleted() and float(shared) == 0.5
    want = _params()["w"] - 3 * 0.25 * np.mean([np.asarray(_grads(_params(), k)["w"])
                                                for k in range(3)], axis=0)
    np.testing.assert_allclose(np.asarray(p["w"]), want, rtol=1e-5)


# ---------------------------------------------------------- 4. reduce_on_plateau value=


@pytest.mark.parametrize("jit", [False, True])
def test_plateau_value_must_be_a_scalar(jit):
    tx = optax_sched.reduce_on_plateau(0.1)
    params = _params()
    state = tx.init(params)
    update = jax.jit(tx.update) if jit else tx.update
    per_example = jnp.linspace(0.0, 1.0, 8)
    with pytest.raises(ValueError, match=r"value must be a scalar.*shape \(8,\).*mean loss"):
        update(_grads(params, 0), state, params, value=per_example)
    # a one-element array is one number
    _, s1 = update(_grads(params, 0), state, params, value=jnp.asarray([0.5]))
    _, s2 = update(_grads(params, 0), state, params, value=0.5)
    assert _signature(s1) == _signature(state)
    assert float(s1.best) == float(s2.best) == 0.5


# ----------------------------------------------------------- 5. traced-value messages


def _traced_error(name):
    with pytest.raises(TypeError) as info:
        jax.jit(lambda x: v.check_float(name, x))(0.5)
    return str(info.value)


@pytest.mark.parametrize("name", ["init_value", "min_lr", "base_lr", "factor", "gamma",
                                  "T_mult"])
def test_traced_value_message_never_contradicts_itself(name):
    msg = _traced_error(name)
    assert msg.startswith(f"{name} must be a concrete number here, got a traced value")
    listed = re.search(r"only LR-scale arguments \(([^)]*)\)", msg)
    if listed is not None:  # names said to be traceable must not include `name`
        assert name not in [s.strip() for s in listed.group(1).split(",")]
        assert f"pass {name} as a Python number" in msg
    else:
        assert f"cannot take a traced {name}" in msg


def test_plateau_rejects_traced_rule_arguments_with_the_right_message():
    with pytest.raises(TypeError, match=r"factor must be a concrete number here.*only "
                                        r"LR-scale arguments \(init_value"):
        jax.jit(lambda f: optax_sched.reduce_on_plateau(0.1, factor=f).init({}))(0.5)
    with pytest.raises(TypeError, match="cannot take a traced min_lr"):
        jax.jit(lambda m: optax_sched.reduce_on_plateau(0.1, min_lr=m).init({}))(0.0)


def test_plateau_init_value_may_be_traced_for_lr_sweeps():
    def run(lr):
        tx = optax_sched.reduce_on_plateau(lr, factor=0.5, patience=0)
        params = {"w": jnp.ones(2)}
        state = tx.init(params)
        for _ in range(3):  # flat loss: a cut on the 2nd and 3rd values
            updates, state = tx.update({"w": jnp.ones(2)}, state, params, value=1.0)
        return optax_sched.current_lr(state), updates["w"][0]

    lrs, last_updates = jax.jit(jax.vmap(run))(jnp.asarray([0.1, 0.4]))
    np.testing.assert_allclose(np.asarray(lrs), [0.025, 0.1], rtol=1e-6)
    np.testing.assert_allclose(np.asarray(last_updates), [-0.05, -0.2], rtol=1e-6)


# ------------------------------------------------- 6. current_lr(state, schedule)

OPTIMIZERS = {
    "adamw": lambda s: optax.adamw(s),
    "sgd": lambda s: optax.sgd(s, momentum=0.9),
    "chain-clip-adamw": lambda s: optax.chain(optax.clip_by_global_norm(1.0), optax.adamw(s)),
    "partition": lambda s: optax.partition({"a": optax.sgd(s), "z": optax.set_to_zero()},
                                           {"b": "z", "w": "a"}),
}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_current_lr_with_schedule_inside_and_outside_jit(name):
    tx = OPTIMIZERS[name](STEP)
    params = _params()
    state = tx.init(params)

    step = _step_reading_lr(tx)

    assert float(optax_sched.current_lr(state, STEP)) == float(STEP(0))
    p = params
    for n in range(1, 5):
        p, state, inside = step(p, state, _grads(p, n))
        assert float(inside) == float(STEP(n)) == float(optax_sched.current_lr(state, STEP))


def test_current_lr_with_schedule_counts_real_updates_of_multisteps():
    tx = optax.MultiSteps(optax.adam(STEP), every_k_schedule=2)
    params = _params()
    state = tx.init(params)

    step = _step_reading_lr(tx)

    p = params
    for mini in range(1, 8):
        p, state, inside = step(p, state, _grads(p, mini))
        real = mini // 2
        assert float(inside) == float(STEP(real)), mini
        assert float(optax_sched.current_lr(state, STEP)) == float(STEP(real))


def test_current_lr_with_schedule_through_nnx_optimizer():
    model = nnx.Linear(3, 2, rngs=nnx.Rngs(0))
    optimizer = nnx.Optimizer(model, optax.adamw(STEP), wrt=nnx.Param)
    x, y = jnp.ones((4, 3)), jnp.zeros((4, 2))

    @nnx.jit
    def step(model, optimizer):
        grads = nnx.grad(lambda m: jnp.mean((m(x) - y) ** 2))(model)
        optimizer.update(model, grads)
        return optax_sched.current_lr(optimizer.opt_state, STEP)

    assert float(optax_sched.current_lr(optimizer.opt_state, STEP)) == float(STEP(0))
    for n in range(1, 4):
        inside = step(model, optimizer)
        assert float(inside) == float(STEP(n))
        assert float(optax_sched.current_lr(optimizer.opt_state, STEP)) == float(STEP(n))
        assert float(optax_sched.current_lr(optimizer, STEP)) == float(STEP(n))


def test_current_momentum_with_schedule_reads_the_count():
    mom = optax_sched.one_cycle_momentum(10)
    tx = optax.inject_hyperparams(optax.sgd)(learning_rate=STEP, momentum=mom)
    _, state = _run(tx, _params(), 3)
    assert float(optax_sched.current_momentum(state, mom)) == float(mom(3))
    assert float(optax_sched.current_lr(state, STEP)) == float(STEP(3))


def test_failure_messages_say_what_to_do():
    params = _params()
    adamw_state = optax.adamw(STEP).init(params)
    with pytest.raises(ValueError, match=r"no optax_sched state.*pass the schedule: "
                                         r"optax_sched\.current_lr\(state, schedule\)"):
        optax_sched.current_lr(adamw_state)
    with pytest.raises(ValueError, match=r"inject_schedules\(optax\.sgd, .*momentum=schedule"):
        optax_sched.current_momentum(optax.sgd(STEP, momentum=0.9).init(params))
    with pytest.raises(ValueError, match=r"no update count.*inject_schedules\(optax\.adam, "
                                         r"learning_rate=schedule\)"):
        optax_sched.current_lr(optax.adam(1e-3).init(params), STEP)
    plateau = optax_sched.reduce_on_plateau(0.1).init(params)
    with pytest.raises(ValueError, match=r"call optax_sched\.current_lr\(state\) without a "
                                         r"schedule"):
        optax_sched.current_lr(plateau, STEP)
    hyper = optax.inject_hyperparams(optax.sgd)(learning_rate=STEP).init(params)
    with pytest.raises(ValueError, match=r"LAST update.*current_lr\(state, schedule\)"):
        optax_sched.current_lr(hyper)
    with pytest.raises(TypeError, match="schedule must be a function of the update count"):
        optax_sched.current_lr(adamw_state, 0.1)
    # without a schedule, optax_sched states read as before
    assert float(optax_sched.current_lr(plateau)) == pytest.approx(0.1)
