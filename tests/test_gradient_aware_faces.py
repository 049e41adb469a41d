"""GraCos and the adaptive scheduler under real training code, on both faces.

One pass of gradient reading: the statistic is the raw (pre-clip) norm and a built-in
``clip_norm`` reuses it; unused parameters count the same on both faces; one documented
tensor order gives every tensor the same phase in Flax and PyTorch; every transform's state
is donation-safe and dtype-stable; misuse gets a clear error.
"""

from __future__ import annotations

import functools
import pathlib
import sys

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
import torch
from flax import nnx

import optax_sched
import torch_compat

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "examples"))
from _nnx import MLP  # noqa: E402

S, E = 5, 4  # steps per epoch, epochs


def _grad_stream(seed, shapes, n, unused=None):
    """Deterministic gradients (dict of float32 arrays) with varying scale per update."""
    rng = np.random.default_rng(seed)
    out = []
    for k in range(n):
        scale = 0.5 + 3.0 * (k % 3) + rng.random()
        g = {name: (scale * rng.standard_normal(shape)).astype(np.float32)
             for name, shape in shapes.items()}
        if unused is not None:
            g[unused] = np.zeros(shapes[unused], np.float32)
        out.append(g)
    return out


SHAPES = {"a": (3, 4), "b": (4,), "c": (2, 2)}


@functools.cache
def _gracos(**kw):
    """``gracos(**kw)`` and its jitted update, built once per configuration: the tests that
    run the same configuration on the same shapes share one compilation."""
    tx = optax_sched.gracos(**kw)
    return tx, jax.jit(tx.update)


def _run_jax(grads, tx, step=None):
    """Runs ``tx`` (its update jitted as ``step``, or ``jax.jit(tx.update)``) on zero params:
    the LR each update used, the updates and the final state."""
    params = {k: jnp.zeros(s, jnp.float32) for k, s in SHAPES.items()}
    state = tx.init(params)
    step = step or jax.jit(tx.update)
    lrs, ups = [], []
    for g in grads:
        lrs.append(float(optax_sched.current_lr(state)))
        u, state = step({k: jnp.asarray(v) for k, v in g.items()}, state, params)
        ups.append(u)
    return np.asarray(lrs), ups, state


# ----------------------------------------------------------------------------- clip_norm


# the gracos configurations several tests run (each compiled once, see _gracos)
AUTO = dict(initial_lr=0.1, final_lr=0.01, steps_per_epoch=S, total_epochs=E, mode="auto")
AUTO_CLIP = dict(AUTO, clip_norm=1.0)


def test_gracos_clip_norm_equals_clipping_first_and_records_the_raw_norm():
    grads = _grad_stream(0, SHAPES, S * E)
    chained = optax.chain(optax.clip_by_global_norm(1.0), optax_sched.gracos(**AUTO))
    lr_a, up_a, _ = _run_jax(grads, *_gracos(**AUTO_CLIP))  # built in
    lr_b, _, _ = _run_jax(grads, *_gracos(**AUTO))  # same statistic (raw gradients), no clip
    lr_c, _, _ = _run_jax(grads, chained)
    np.testing.assert_array_equal(lr_a, lr_b)  # the statistic ignores the clipping
    assert np.max(np.abs(lr_a - lr_c) / lr_c) > 0.01  # the chain records clipped norms
    clip = optax.clip_by_global_norm(1.0)
    clip_step = jax.jit(lambda g: clip.update(g, clip.init(None))[0])  # one compilation
    for k, (g, u) in enumerate(zip(grads, up_a)):
        clipped = clip_step({n: jnp.asarray(v) for n, v in g.items()})
        for n in SHAPES:
            np.testing.assert_allclose(u[n], -lr_a[k] * np.asarray(clipped[n]), rtol=1e-6)


def test_torch_gracos_clip_norm_equals_clip_grad_norm_and_matches_the_jax_lrs():
    grads = _grad_stream(1, SHAPES, S * E)
    params = {n: torch.nn.Parameter(torch.zeros(s)) for n, s in SHAPES.items()}
    ref = {n: torch.nn.Parameter(torch.zeros(s)) for n, s in SHAPES.items()}
    opt = torch.optim.SGD(list(params.values()), lr=0.1)
    sched = torch_compat.GraCos(opt, 0.1, 0.01, S, E, mode="auto", clip_norm=1.0)
    lrs = []
    for g in grads:
        lrs.append(sched.get_last_lr()[0])
        for n in SHAPES:
            params[n].grad = torch.from_numpy(g[n].copy())
            ref[n].grad = torch.from_numpy(g[n].copy())
        raw = sched.update_gradient_norm()
        total = torch.nn.utils.clip_grad_norm_(list(ref.values()), 1.0)
        assert float(raw) == pytest.approx(float(total), rel=1e-6)  # the raw norm returned
        for n in SHAPES:
            torch.testing.assert_close(params[n].grad, ref[n].grad, rtol=0, atol=0)
        opt.step()
        sched.step()
    jax_lrs, _, _ = _run_jax(grads, *_gracos(**AUTO_CLIP))
    np.testing.assert_allclose(lrs, jax_lrs, rtol=1e-5)


def test_torch_gracos_normal_mode_clips_and_returns_the_norm():
    p = torch.nn.Parameter(torch.zeros(4))
    opt = torch.optim.SGD([p], lr=0.1)
    sched = torch_compat.GraCos(opt, 0.1, 0.01, S, E)
    p.grad = torch.full((4,), 3.0)
    assert sched.update_gradient_norm() is None  # normal mode, no clipping: nothing to do
    total = sched.update_gradient_norm(clip_norm=2.0)
    assert float(total) == pytest.approx(6.0)
    assert float(p.grad.norm()) == pytest.approx(2.0, rel=1e-5)


def test_adaptive_clip_norm_clips_the_update_and_keeps_raw_statistics():
    grads = _grad_stream(2, SHAPES, 3)
    params = {k: jnp.zeros(s, jnp.float32) for k, s in SHAPES.items()}
    tx_clip = optax_sched.adaptive(0.1, clip_norm=0.5)
    tx_raw = optax_sched.adaptive(0.1)
    clip = optax.clip_by_global_norm(0.5)

    @jax.jit
    def first_updates(g0):
        """Built-in clipping, clipping first, no clipping: one program (one compilation)."""
        u_clip, s_clip = tx_clip.update(g0, tx_clip.init(params), params, value=1.0)
        clipped, _ = clip.update(g0, clip.init(None))
        u_ref, s_ref = tx_raw.update(clipped, tx_raw.init(params), params, value=1.0)
        _, s_noclip = tx_raw.update(g0, tx_raw.init(params), params, value=1.0)
        return u_clip, s_clip, u_ref, s_ref, s_noclip

    u_clip, s_clip, u_ref, s_ref, s_noclip = first_updates(
        {n: jnp.asarray(v) for n, v in grads[0].items()})
    for n in SHAPES:
        np.testing.assert_allclose(u_clip[n], u_ref[n], rtol=1e-6)
    # statistics see the raw norms, not the clipped ones
    np.testing.assert_array_equal(s_clip.stats.grad_ref, s_noclip.stats.grad_ref)
    np.testing.assert_array_equal(s_clip.leaf_ema, s_noclip.leaf_ema)
    assert float(s_ref.stats.grad_ref) == pytest.approx(0.5, rel=1e-6)


def test_torch_adaptive_clip_norm_equals_clip_grad_norm():
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 3)
    ref_model = torch.nn.Linear(4, 3)
    ref_model.load_state_dict(model.state_dict())
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    ref_opt = torch.optim.SGD(ref_model.parameters(), lr=0.1, momentum=0.9)
    sched = torch_compat.AdaptiveScheduler(opt, model, clip_norm=0.3)
    x, y = torch.randn(8, 4), torch.randn(8, 3)
    for m, o in ((model, opt), (ref_model, ref_opt)):
        o.zero_grad()
        torch.nn.functional.mse_loss(m(x), y).backward()
    raw = float(torch.nn.utils.get_total_norm([p.grad for p in model.parameters()]))
    torch.nn.utils.clip_grad_norm_(ref_model.parameters(), 0.3)
    opt.step()
    ref_opt.step()
    for p, q in zip(model.parameters(), ref_model.parameters()):
        torch.testing.assert_close(p, q, rtol=1e-6, atol=1e-7)
    sched.step(1.0)
    assert sched.stats.grad_ref == pytest.approx(raw, rel=1e-6)  # the raw norm is recorded


# ----------------------------------------------------------------------------- unused tensors


def test_unused_tensors_count_the_same_on_both_faces_gracos():
    grads = _grad_stream(3, SHAPES, S * E, unused="c")  # "c" never gets a gradient
    jax_lrs, _, _ = _run_jax(grads, *_gracos(**AUTO))
    params = {n: torch.nn.Parameter(torch.zeros(s)) for n, s in SHAPES.items()}
    opt = torch.optim.SGD(list(params.values()), lr=0.1)
    sched = torch_compat.GraCos(opt, 0.1, 0.01, S, E, mode="auto")
    lrs = []
    for g in grads:
        lrs.append(sched.get_last_lr()[0])
        for n in SHAPES:
            params[n].grad = None if n == "c" else torch.from_numpy(g[n].copy())
        sched.update_gradient_norm()
        opt.step()
        sched.step()
    np.testing.assert_allclose(lrs, jax_lrs, rtol=1e-5)
    assert np.ptp(lrs[S:]) > 0  # auto mode did modulate


def test_unused_tensors_count_the_same_on_both_faces_adaptive():
    grads = _grad_stream(4, SHAPES, 6, unused="c")
    params = {k: jnp.zeros(s, jnp.float32) for k, s in SHAPES.items()}
    tx = optax_sched.adaptive(0.1, min_steps_before_freeze=2)
    state = tx.init(params)
    update = jax.jit(tx.update)
    tparams = {n: torch.nn.Parameter(torch.zeros(s)) for n, s in SHAPES.items()}
    model = torch.nn.Module()
    for n, p in tparams.items():
        model.register_parameter(n, p)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = torch_compat.AdaptiveScheduler(opt, model, min_steps_before_freeze=2)
    for g in grads:
        _, state = update({n: jnp.asarray(v) for n, v in g.items()}, state, params, value=1.0)
        for n in SHAPES:
            tparams[n].grad = None if n == "c" else torch.from_numpy(g[n].copy())
        opt.step()
        sched.step(1.0)
    np.testing.assert_allclose(sched.leaf_ema, np.asarray(state.leaf_ema), rtol=1e-5, atol=0)
    np.testing.assert_array_equal(sched.frozen, np.asarray(state.frozen))
    assert sched.get_last_lr()[0] == pytest.approx(float(state.lr), rel=1e-5)


# ----------------------------------------------------------------------------- phase order


def _torch_pair_model():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))


PAIRING = {"fc1/kernel": "0.weight", "fc1/bias": "0.bias", "fc2/kernel": "2.weight",
           "fc2/bias": "2.bias"}


def _paired_models():
    """The Flax example MLP and the torch model with the same weights: the MLP is built
    abstractly (``nnx.eval_shape``: no random initialisation to compile) and each of its
    arrays is then set from its ``PAIRING`` torch tensor (torch (out, in) weights are NNX
    (in, out) kernels)."""
    tmodel = _torch_pair_model()
    model = nnx.eval_shape(lambda: MLP(nnx.Rngs(0)))
    tensors = dict(tmodel.named_parameters())
    for path, tname in PAIRING.items():
        layer, kind = path.split("/")
        value = tensors[tname].detach().numpy()
        getattr(getattr(model, layer), kind).set_value(
            jnp.asarray(value.T if kind == "kernel" else value))
    return model, tmodel


def _per_tensor_lrs(order_jax, order_torch, steps=2 * S):
    model, tmodel = _paired_models()
    tx = optax_sched.gracos(0.1, 0.01, S, E, out_of_phase=True, leaf_order=order_jax)
    opt = nnx.Optimizer(model, tx, wrt=nnx.Param)
    groups = torch_compat.per_tensor_param_groups(tmodel, order=order_torch)
    topt = torch.optim.SGD(groups, lr=0.1)
    sched = torch_compat.GraCosOOP(topt, 0.1, 0.01, S, E)
    zeros = jax.tree_util.tree_map(jnp.zeros_like, nnx.state(model, nnx.Param))
    jax_rows, torch_rows = [], []
    for _ in range(steps):
        lr = optax_sched.current_lr(opt.opt_state)
        jax_rows.append({f"{a}/{b}": float(lr[a][b]) for a in lr for b in lr[a]})
        torch_rows.append(dict(zip((g["name"] for g in groups), sched.get_last_lr())))
        opt.update(model, zeros)
        topt.step()
        sched.step()
    return jax_rows, torch_rows


def test_path_order_gives_every_tensor_the_same_phase_in_flax_and_torch():
    jax_rows, torch_rows = _per_tensor_lrs("path", "path")
    for jr, tr in zip(jax_rows, torch_rows):
        for jname, tname in PAIRING.items():
            assert jr[jname] == pytest.approx(tr[tname], rel=1e-6, abs=1e-8), (jname, tname)
    # the default orders (jax tree order vs torch registration order) disagree
    jax_rows, torch_rows = _per_tensor_lrs("tree", "registration")
    worst = max(abs(jr[j] / tr[t] - 1) for jr, tr in zip(jax_rows, torch_rows)
                for j, t in PAIRING.items())
    assert worst > 0.5


def test_explicit_orders_pair_arbitrary_names():
    order_jax = ["fc2/kernel", "fc1/bias", "fc2/bias", "fc1/kernel"]
    order_torch = [PAIRING[n] for n in order_jax]
    jax_rows, torch_rows = _per_tensor_lrs(order_jax, order_torch)
    for jr, tr in zip(jax_rows, torch_rows):
        for jname, tname in PAIRING.items():
            assert jr[jname] == pytest.approx(tr[tname], rel=1e-6, abs=1e-8)
    with pytest.raises(ValueError, match="leaf_order must list every parameter path"):
        _per_tensor_lrs(["fc1/kernel"], "path", steps=1)
    with pytest.raises(ValueError, match="order must list every trainable parameter"):
        torch_compat.per_tensor_param_groups(_torch_pair_model(), order=["0.weight"])


def test_per_tensor_groups_skip_frozen_tensors():
    model = _torch_pair_model()
    model[0].bias.requires_grad_(False)
    groups = torch_compat.per_tensor_param_groups(model, order="path")
    assert [g["name"] for g in groups] == ["0.weight", "2.bias", "2.weight"]


# ----------------------------------------------------------------------------- state


TRANSFORMS = {
    "gracos": lambda: optax_sched.gracos(0.1, 0.01, S, E, mode="auto",
                                         inner=optax.scale_by_adam()),
    "gracos_oop": lambda: optax_sched.gracos(0.1, 0.01, S, E, mode="auto", out_of_phase=True,
                                             clip_norm=1.0),
    "adaptive_sgd": lambda: optax_sched.adaptive(0.1),
    "adaptive_adam": lambda: optax_sched.adaptive(0.1, base_optimizer="adam", clip_norm=1.0),
}


DTYPES = (jnp.float32, jnp.bfloat16, jnp.float16)


def _types(tree):
    """``(shape, dtype)`` of every leaf of ``tree`` (arrays or ``jax.ShapeDtypeStruct``)."""
    return jax.tree_util.tree_map(lambda x: (x.shape, x.dtype), tree)


@pytest.mark.parametrize("name", list(TRANSFORMS))
def test_state_is_donation_safe_dtype_stable_and_the_step_compiles_once(name):
    """Under every parameter dtype: no two state leaves share a buffer, the donated jitted
    step keeps the state's structure and dtypes (so it is traced once), updates have the
    parameter dtype and ``lax.scan`` takes the state as its carry.

    The three dtypes' steps form one jitted program (one compilation instead of three);
    every check is made per dtype, and a step retraced for any dtype counts as a second
    trace."""
    txs = [TRANSFORMS[name]() for _ in DTYPES]
    params = [{k: jnp.ones(s, dtype) for k, s in SHAPES.items()} for dtype in DTYPES]
    states = [tx.init(p) for tx, p in zip(txs, params)]
    for dtype, state in zip(DTYPES, states):
        ptrs = [x.unsafe_buffer_pointer() for x in jax.tree_util.tree_leaves(state)]
        assert len(ptrs) == len(set(ptrs)), f"{dtype.__name__}: two state leaves share a buffer"
    traces = []

    def step(i, g, s):
        return txs[i].update(g, s, params[i], value=jnp.float32(1.0))

    def step_all(gs, ss):
        traces.append(1)
        return [step(i, g, s) for i, (g, s) in enumerate(zip(gs, ss))]

    # the states are donated: every step consumes the previous step's buffers
    jstep = jax.jit(step_all, donate_argnums=(1,))
    before = _types(states)
    for _ in range(3):
        updates, states = (list(x) for x in zip(*jstep(params, states)))
    assert len(traces) == 1
    for i, dtype in enumerate(DTYPES):
        assert _types(states[i]) == before[i], dtype.__name__
        assert all(u.dtype == dtype for u in jax.tree_util.tree_leaves(updates[i]))
        # lax.scan needs the carry's structure and dtypes to stay put (checked when it is
        # traced: eval_shape traces the scan and gives its output types without compiling)
        scanned, _ = jax.eval_shape(
            lambda s, i=i: jax.lax.scan(lambda c, _: (step(i, params[i], c)[1], None), s, None,
                                        length=2),
            states[i])
        assert _types(scanned) == before[i], dtype.__name__


def test_adaptive_value_must_be_a_scalar_and_params_need_leaves():
    tx = optax_sched.adaptive(0.1)
    params = {"w": jnp.ones(3)}
    state = tx.init(params)
    with pytest.raises(ValueError,
                       match=r"value must be a scalar loss, got an array of shape \(4,\)"):
        tx.update(params, state, params, value=jnp.ones(4))
    with pytest.raises(ValueError, match="has no leaves"):
        tx.init({})


def test_gracos_refuses_an_inner_that_already_applies_a_learning_rate():
    for inner in (optax.adam(1e-3), optax.sgd(0.1), optax.chain(optax.scale_by_adam(),
                                                               optax.scale(-1e-3))):
        with pytest.raises(ValueError, match="already applies a learning rate"):
            optax_sched.gracos(0.1, 0.01, S, E, inner=inner)
    optax_sched.gracos(0.1, 0.01, S, E, inner=optax.scale_by_adam())  # scale-free: fine
    with pytest.raises(ValueError, match="clip_norm must be in"):
        optax_sched.gracos(0.1, 0.01, S, E, clip_norm=0.0)
    with pytest.raises(ValueError, match="leaf_order only applies with out_of_phase=True"):
        optax_sched.gracos(0.1, 0.01, S, E, leaf_order=["a"])
