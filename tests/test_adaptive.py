"""AdaptiveScheduler unit tests: timing, freezing, weights, bounds, flax/torch plumbing."""

from __future__ import annotations

import copy
import functools
import gc
import io
import operator
import pickle
import warnings
import weakref

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
import torch
from flax import nnx

import optax_sched
import torch_compat
from sched_core import AdaptiveConfig


@functools.partial(jax.jit, static_argnums=0)
def _replay(tx, state, params, losses, grads):
    """``lax.scan`` of ``tx`` over ``(losses[k], grads[k])``: the snapshots before every update
    (stacked), the final state and params. Jitted once per transform and shapes."""

    def body(carry, xs):
        params, state = carry
        loss, g = xs
        snap = optax_sched.adaptive_snapshot(state)
        updates, state = tx.update(g, state, params, value=loss)
        return (optax.apply_updates(params, updates), state), snap

    (params, state), snaps = jax.lax.scan(body, (params, state), (losses, grads))
    return snaps, state, params


def _run_optax(tx, params, grads_fn, losses):
    """Runs ``tx`` on the gradients ``grads_fn(0), grads_fn(1), ...`` (called in that order)
    and ``losses`` (as float32, the type the update uses): ``(snapshots, state, params)``
    with ``snapshots[k]`` the ``adaptive_snapshot`` update ``k`` used, as NumPy arrays."""
    grads = [grads_fn(k) for k in range(len(losses))]
    stacked = jax.tree_util.tree_map(lambda *g: np.stack([np.asarray(x) for x in g]), *grads)
    snaps, state, params = _replay(tx, tx.init(params), params,
                                   jnp.asarray(losses, jnp.float32), stacked)
    snaps = jax.device_get(snaps)
    return ([jax.tree_util.tree_map(operator.itemgetter(k), snaps) for k in range(len(losses))],
            state, params)


def test_update_k_depends_only_on_losses_before_k():
    params = {"w": jnp.zeros(3)}
    tx = optax_sched.adaptive(0.1)
    losses = list(np.linspace(2.0, 1.0, 20))
    changed = list(losses)
    changed[10] = 5.0
    a, _, _ = _run_optax(tx, params, lambda k: {"w": jnp.ones(3)}, losses)
    b, _, _ = _run_optax(tx, params, lambda k: {"w": jnp.ones(3)}, changed)
    for k in range(11):  # lr/momentum of update 10 do not see loss 10
        assert float(a[k]["lr"]) == float(b[k]["lr"])
        assert float(a[k]["momentum"]) == float(b[k]["momentum"])
    assert float(a[11]["lr"]) != float(b[11]["lr"])


def test_first_update_uses_base_values():
    snaps, _, _ = _run_optax(optax_sched.adaptive(0.05, momentum=0.8), {"w": jnp.zeros(2)},
                             lambda k: {"w": jnp.ones(2)}, [1.0])
    assert float(snaps[0]["lr"]) == pytest.approx(0.05)
    assert float(snaps[0]["momentum"]) == pytest.approx(0.8)


def test_frozen_leaf_keeps_params_and_trace_and_mask_changes_do_not_recompile():
    params = {"a": jnp.ones(2), "b": jnp.ones(3)}
    tx = optax_sched.adaptive(0.1, min_steps_before_freeze=5, freeze_threshold=1e-3,
                              freeze_ema_beta=0.8)
    state = tx.init(params)
    traces = []

    @jax.jit
    def step(params, state, g, loss):
        traces.append(1)
        updates, state = tx.update(g, state, params, value=loss)
        return optax.apply_updates(params, updates), state

    frozen_seen = []
    for k in range(120):
        small = 1e-9 if 20 <= k < 80 else 1.0
        g = {"a": jnp.ones(2), "b": jnp.full(3, small)}
        before = (params["b"], state.trace["b"], bool(state.frozen[1]))
        params, state = step(params, state, g, 1.0 / (k + 1))
        if before[2]:  # frozen for this update: untouched
            np.testing.assert_array_equal(params["b"], before[0])
            np.testing.assert_array_equal(state.trace["b"], before[1])
        frozen_seen.append(bool(state.frozen[1]))
    assert len(traces) == 1
    assert any(frozen_seen) and not frozen_seen[-1]  # froze, then woke
    first = frozen_seen.index(True)
    assert frozen_seen[first:].index(False) > 1  # hysteresis: no flapping
    snap = optax_sched.adaptive_snapshot(state)
    assert float(snap["pct_frozen"]) == 0.0


def test_pct_frozen_counts_parameters_not_leaves():
    params = {"big": jnp.ones(9), "small": jnp.ones(1)}
    tx = optax_sched.adaptive(0.1, min_steps_before_freeze=0, freeze_threshold=1e-3)
    _, state, _ = _run_optax(tx, params, lambda k: {"big": jnp.full(9, 1e-9),
                                                    "small": jnp.ones(1)}, [1.0] * 100)
    assert float(optax_sched.adaptive_snapshot(state)["pct_frozen"]) == pytest.approx(90.0)


@pytest.mark.parametrize("dynamic", [True, False])
def test_weights_are_normalised_and_never_add_rules(dynamic):
    cfg = AdaptiveConfig(base_lr=0.1, lr_rules={"trend": 1.0, "cyclical": 3.0},
                         dynamic_weights=dynamic, total_steps=100)
    for k in (0, 25, 50, 75, 100, 500):
        w = [float(x) for x in cfg.lr_weights(np, k, np.float64)]
        assert sum(w) == pytest.approx(1.0)
        assert w[1] == 0.0 and w[2] == 0.0  # variance and grad_norm were left out
    if dynamic:
        early = [float(x) for x in cfg.lr_weights(np, 0, np.float64)]
        late = [float(x) for x in cfg.lr_weights(np, 100, np.float64)]
        assert late[3] > early[3]  # cyclical dominates late
    cfg = AdaptiveConfig(base_lr=0.1, lr_rules={"trend": 1, "variance": 1, "grad_norm": 1,
                                                "cyclical": 1})
    w_early = cfg.lr_weights(np, 0, np.float64)
    w_mid = cfg.lr_weights(np, int(1000 * np.log(2)), np.float64)  # progress 1/2
    assert w_early[1] > w_early[0] and w_mid[0] > w_mid[1] and w_mid[0] > w_mid[3]


def test_lr_and_momentum_stay_inside_bounds_on_wild_losses():
    rng = np.random.default_rng(0)
    losses = list(np.exp(rng.normal(0, 5, size=400)) * rng.choice([-1, 1], size=400))
    losses[50:60] = [float("nan")] * 10
    snaps, _, _ = _run_optax(optax_sched.adaptive(0.1, lr_rules={"trend": 1, "variance": 1,
                                                                  "grad_norm": 1,
                                                                  "cyclical": 1}),
                             {"w": jnp.zeros(2)},
                             lambda k: {"w": jnp.asarray(rng.normal(size=2) * 10 ** (k % 7))},
                             losses)
    lr = np.asarray([float(s["lr"]) for s in snaps])
    mom = np.asarray([float(s["momentum"]) for s in snaps])
    assert np.all(np.isfinite(lr)) and np.all(lr >= 0.001 - 1e-9) and np.all(lr <= 0.2 + 1e-9)
    assert np.all(np.isfinite(mom)) and np.all(mom >= 0) and np.all(mom <= 0.999 + 1e-7)


def test_works_through_flax_nnx_optimizer_with_value():
    model = nnx.Linear(4, 2, rngs=nnx.Rngs(0))
    optimizer = nnx.Optimizer(model, optax_sched.adaptive(0.05, min_steps_before_freeze=3),
                              wrt=nnx.Param)
    x, y = jnp.ones((8, 4)), jnp.zeros((8, 2))

    @nnx.jit
    def step(model, optimizer):
        loss, grads = nnx.value_and_grad(lambda m: jnp.mean((m(x) - y) ** 2))(model)
        optimizer.update(model, grads, value=loss)
        return loss

    losses = [float(step(model, optimizer)) for _ in range(10)]
    assert losses[-1] < losses[0]
    assert 0 < float(optax_sched.current_lr(optimizer.opt_state)) <= 0.1
    assert 0 <= float(optax_sched.current_momentum(optimizer.opt_state)) < 1


def _torch_setup(optimizer="sgd", **kw):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Linear(3, 1))
    if optimizer == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    elif optimizer == "adamw":
        opt = torch.optim.AdamW(model.parameters(), lr=0.05)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=torch.tensor(0.05),
                               betas=(torch.tensor(0.9), torch.tensor(0.999)), foreach=False)
    return model, opt, torch_compat.AdaptiveScheduler(opt, model, **kw)


def _torch_loop(model, opt, sched, n, zero_layer=None, start=0, on_step=None):
    """The seed's loop on noisy regression data (gradients never vanish by themselves);
    update k's batch depends on k only, so a resumed loop sees the same data."""
    snaps = []
    for k in range(n):
        gen = torch.Generator().manual_seed(1000 + start + k)
        x = torch.randn(8, 4, generator=gen)
        y = torch.randn(8, 1, generator=gen)
        loss = (model(x) - y).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        if zero_layer is not None and zero_layer(k):
            for p in model[0].parameters():
                if p.grad is not None:
                    p.grad.mul_(1e-9)
        opt.step()
        snaps.append(sched.step(loss))
        if on_step is not None:
            on_step(k)
    return snaps


@pytest.mark.parametrize("optimizer", ["sgd", "adamw", "adam_tensor"])
def test_torch_seed_loop_snapshot_and_momentum_written(optimizer):
    model, opt, sched = _torch_setup(optimizer, min_steps_before_freeze=10)
    snaps = _torch_loop(model, opt, sched, 30)
    assert set(snaps[-1]) == {"lr", "momentum", "pct_frozen", "lr_weights", "momentum_weights"}
    group = opt.param_groups[0]
    beta = group["momentum"] if optimizer == "sgd" else group["betas"][0]
    assert float(beta) == pytest.approx(snaps[-1]["momentum"])
    assert float(group["lr"]) == pytest.approx(snaps[-1]["lr"])
    if optimizer == "adam_tensor":
        assert isinstance(group["lr"], torch.Tensor) and isinstance(group["betas"][0],
                                                                     torch.Tensor)
    assert len(sched.log) == 30


def test_torch_masking_freezes_and_wakes_and_keeps_optimizer_state():
    model, opt, sched = _torch_setup(min_steps_before_freeze=5, freeze_threshold=1e-3,
                                     freeze_ema_beta=0.7)
    weight = model[0].weight
    seen = []

    def check(k):
        buf = opt.state[weight]["momentum_buffer"].clone()
        seen.append((bool(sched.frozen[0]), weight.detach().clone(), buf))

    snaps = _torch_loop(model, opt, sched, 100, zero_layer=lambda k: k < 60, on_step=check)
    pct = [s["pct_frozen"] for s in snaps]
    assert max(pct) > 0 and pct[-1] == 0.0  # froze, then woke when gradients returned
    assert sched.names[0] == "0.weight"
    frozen_steps = [k for k, (f, _, _) in enumerate(seen) if f]
    assert len(frozen_steps) > 10
    for k in frozen_steps[:-1]:  # a frozen update leaves weight and momentum buffer alone
        if k + 1 < len(seen):
            torch.testing.assert_close(seen[k + 1][1], seen[k][1], rtol=0, atol=0)
            torch.testing.assert_close(seen[k + 1][2], seen[k][2], rtol=0, atol=0)


def test_torch_requires_grad_mode_saves_backward_and_wakes_by_probing():
    model, opt, sched = _torch_setup(min_steps_before_freeze=5, freeze_threshold=1e-3,
                                     freeze_ema_beta=0.7, freeze_mode="requires_grad",
                                     probe_every=10)
    snaps = _torch_loop(model, opt, sched, 120, zero_layer=lambda k: k < 50)
    frozen = [k for k, s in enumerate(snaps) if s["pct_frozen"] > 0]
    assert frozen and snaps[-1]["pct_frozen"] == 0.0
    assert all(p.requires_grad for p in model.parameters())
    # while frozen and not probing, the frozen layer does not require grad
    model2, opt2, sched2 = _torch_setup(min_steps_before_freeze=5, freeze_threshold=1e-3,
                                        freeze_ema_beta=0.7, freeze_mode="requires_grad",
                                        probe_every=1000)
    _torch_loop(model2, opt2, sched2, 60, zero_layer=lambda k: True)
    assert sched2.frozen_names() and not model2[0].weight.requires_grad
    sched2.wake_all()
    assert model2[0].weight.requires_grad and not sched2.frozen_names()


def test_torch_non_finite_loss_and_grads_are_skipped():
    model, opt, sched = _torch_setup()
    _torch_loop(model, opt, sched, 5)
    before = dict(sched.snapshot())
    w_before = model[0].weight.detach().clone()
    loss = (model(torch.ones(8, 4)) - 1).pow(2).mean()
    opt.zero_grad()
    loss.backward()
    model[0].weight.grad[0, 0] = float("nan")
    opt.step()
    snap = sched.step(float("nan"))
    assert np.isfinite(snap["lr"]) and np.isfinite(snap["momentum"])
    torch.testing.assert_close(model[0].weight.detach(), w_before)  # NaN grad: skipped
    assert torch.isfinite(opt.state[model[0].weight]["momentum_buffer"]).all()
    assert snap["lr"] == pytest.approx(before["lr"], rel=0.2)


def test_torch_state_dict_resume_is_bitwise():
    model, opt, sched = _torch_setup(min_steps_before_freeze=5)
    full = _torch_loop(model, opt, sched, 40, zero_layer=lambda k: 10 <= k < 30)

    model, opt, sched = _torch_setup(min_steps_before_freeze=5)
    _torch_loop(model, opt, sched, 17, zero_layer=lambda k: 10 <= k < 30)
    buf = io.BytesIO()
    torch.save({"m": model.state_dict(), "o": opt.state_dict(), "s": sched.state_dict()}, buf)
    buf.seek(0)
    ckpt = torch.load(buf, weights_only=True)
    sched.close()
    model2, opt2, sched2 = _torch_setup(min_steps_before_freeze=5)
    model2.load_state_dict(ckpt["m"])
    opt2.load_state_dict(ckpt["o"])
    sched2.load_state_dict(ckpt["s"])
    rest = _torch_loop(model2, opt2, sched2, 23, zero_layer=lambda k: 10 <= k + 17 < 30,
                       start=17)
    assert rest == full[17:]


@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(lr_rules={"speed": 1.0}), ValueError, "unknown rule 'speed'"),
    (dict(lr_rules={"trend": -1.0}), ValueError, r"lr_rules\['trend'\] must be in"),
    (dict(lr_rules={"trend": 0.0}), ValueError, "positive sum"),
    (dict(momentum_rules={}), TypeError, "non-empty dict"),
    (dict(momentum=1.5), ValueError, "momentum must be in"),
    (dict(freeze_ema_beta=1.0), ValueError, "freeze_ema_beta must be in"),
    (dict(min_steps_before_freeze=-1), ValueError, "min_steps_before_freeze must be"),
    (dict(total_steps=0), ValueError, "total_steps must be an integer >= 1"),
])
def test_invalid_arguments_both_faces(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        optax_sched.adaptive(0.1, **kwargs)
    model = torch.nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    with pytest.raises(exc, match=match):
        torch_compat.AdaptiveScheduler(opt, model, **kwargs)


def test_torch_optimizer_without_momentum_is_rejected():
    model = torch.nn.Linear(2, 1)
    with pytest.raises(ValueError, match="neither 'momentum' nor 'betas'"):
        torch_compat.AdaptiveScheduler(torch.optim.Adagrad(model.parameters()), model)


def test_torch_pre_step_hook_device_ops_do_not_grow_with_the_tensor_count():
    # On a GPU every op is a kernel launch: the per-tensor norms of a model with many
    # tensors must come from a constant number of ops (one fused norm, a stack, a cast)
    from benchmarks.__main__ import device_ops

    def hook_ops(n):
        params = torch.nn.ParameterList([torch.nn.Parameter(torch.randn(3)) for _ in range(n)])
        for p in params:
            p.grad = torch.randn_like(p)
        opt = torch.optim.SGD(params, lr=0.1, momentum=0.9)
        sched = torch_compat.AdaptiveScheduler(opt, params)
        with device_ops() as c:
            sched._pre_step(opt, (), {})
        # the norms it recorded are the true per-tensor norms
        np.testing.assert_allclose(sched._pending, [float(p.grad.norm()) for p in params],
                                   rtol=1e-6)
        return c.ops

    assert hook_ops(2) == hook_ops(40) == ["_foreach_norm", "stack", "_to_copy"]


# ---------------------------------------------------------------- lifetime and misuse (torch)
_FREEZE = dict(min_steps_before_freeze=5, freeze_threshold=1e-3, freeze_ema_beta=0.7)
_ALL_NAMES = ["0.weight", "0.bias", "1.weight", "1.bias"]


def _pickle_copy(x):
    return pickle.loads(pickle.dumps(x))


@pytest.mark.parametrize("mode", ["mask", "requires_grad"])
@pytest.mark.parametrize("how", [copy.deepcopy, _pickle_copy], ids=["deepcopy", "pickle"])
def test_torch_copy_of_model_optimizer_scheduler_hooks_the_copied_optimizer(how, mode):
    model, opt, sched = _torch_setup(**_FREEZE, freeze_mode=mode, probe_every=1000)
    _torch_loop(model, opt, sched, 10)
    model2, opt2, sched2 = how((model, opt, sched))
    assert sched2.optimizer is opt2 and sched2.params[0] is model2[0].weight
    w0, ema0 = model[0].weight.detach().clone(), sched.leaf_ema.copy()
    copied = _torch_loop(model2, opt2, sched2, 40, zero_layer=lambda k: True, start=10)
    # the copy's optimizer steps were recorded by the copy: layer 0's tiny gradients froze it
    assert sched2.frozen_names() == ["0.weight", "0.bias"] and copied[-1]["pct_frozen"] > 0
    assert np.all(np.isfinite(sched2.leaf_ema)) and sched2.count == 50
    if mode == "requires_grad":
        assert not model2[0].weight.requires_grad
    # ... and none of them reached the original
    assert sched.count == 10 and not sched.frozen.any() and sched._pending is None
    np.testing.assert_array_equal(sched.leaf_ema, ema0)
    torch.testing.assert_close(model[0].weight.detach(), w0, rtol=0, atol=0)
    assert all(p.requires_grad for p in model.parameters())
    # the copy continued exactly as the original does
    assert _torch_loop(model, opt, sched, 40, zero_layer=lambda k: True, start=10) == copied


def test_torch_requires_grad_mode_with_everything_frozen_keeps_backward_working():
    model, opt, sched = _torch_setup(**_FREEZE, freeze_mode="requires_grad", probe_every=1000)
    x, y = torch.randn(8, 4, generator=torch.Generator().manual_seed(0)), torch.zeros(8, 1)
    all_frozen_updates = 0
    for _ in range(40):
        loss = (model(x) - y).pow(2).mean()
        opt.zero_grad()
        loss.backward()  # torch raises here if no parameter requires grad
        for p in model.parameters():
            if p.grad is not None:
                p.grad.mul_(1e-9)
        before = [p.detach().clone() for p in model.parameters()]
        all_frozen = bool(sched.frozen.all())
        opt.step()
        snap = sched.step(loss)
        if all_frozen:  # masked as usual: nothing moves
            all_frozen_updates += 1
            for p, b in zip(model.parameters(), before):
                torch.testing.assert_close(p.detach(), b, rtol=0, atol=0)
    assert all_frozen_updates > 25 and snap["pct_frozen"] == 100.0
    assert sched.frozen_names() == _ALL_NAMES
    # only the last tensor (the output bias) still requires grad, and its norm is recorded
    assert [p.requires_grad for p in model.parameters()] == [False, False, False, True]
    assert sched.leaf_count[-1] == 40 and sched.leaf_count[0] < 10


@pytest.mark.parametrize("same_optimizer", [True, False])
def test_torch_new_scheduler_supersedes_the_old_one_and_releases_its_freezes(same_optimizer):
    kw = dict(_FREEZE, freeze_mode="requires_grad", probe_every=1000)
    model, opt, old = _torch_setup(**kw)
    _torch_loop(model, opt, old, 30, zero_layer=lambda k: True)
    assert old.frozen_names() == ["0.weight", "0.bias"] and not model[0].weight.requires_grad
    ckpt = old.state_dict()
    if not same_optimizer:
        opt_state = opt.state_dict()
        opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        opt.load_state_dict(opt_state)
    new = torch_compat.AdaptiveScheduler(opt, model, **kw)
    # a clean start: every parameter requires grad again and is scheduled
    assert all(p.requires_grad for p in model.parameters())
    assert new.names == _ALL_NAMES and not new.frozen_names()
    new.load_state_dict(ckpt)  # the checkpoint's freezes come back
    assert new.frozen_names() == ["0.weight", "0.bias"] and not model[0].weight.requires_grad
    snaps = _torch_loop(model, opt, new, 5, zero_layer=lambda k: True, start=30)
    assert new.count == 35 and snaps[-1]["pct_frozen"] > 0
    # the old hook is gone (nothing recorded) and the old scheduler refuses to step
    assert old._pending is None and old.count == 30
    with pytest.raises(RuntimeError, match="superseded by a new AdaptiveScheduler"):
        old.step(1.0)


def test_torch_requires_grad_mode_resume_is_bitwise_including_statistics():
    kw = dict(_FREEZE, freeze_mode="requires_grad", probe_every=7)
    zero = lambda k: k < 30  # noqa: E731
    model, opt, sched = _torch_setup(**kw)
    full = _torch_loop(model, opt, sched, 40, zero_layer=zero)
    full_state = sched.state_dict()
    model, opt, sched = _torch_setup(**kw)
    _torch_loop(model, opt, sched, 17, zero_layer=zero)
    assert sched.frozen_names()  # frozen (and not requiring grad) at the checkpoint
    ckpt = {"m": model.state_dict(), "o": opt.state_dict(), "s": sched.state_dict()}
    model2, opt2, sched2 = _torch_setup(**kw)
    model2.load_state_dict(ckpt["m"])
    opt2.load_state_dict(ckpt["o"])
    sched2.load_state_dict(ckpt["s"])
    # loading applies requires_grad as step() left it, so the first resumed backward skips
    # the frozen tensors (and records no statistic for them) exactly as the full run did
    assert [p.requires_grad for p in model2.parameters()] == \
        [p.requires_grad for p in model.parameters()]
    rest = _torch_loop(model2, opt2, sched2, 23, zero_layer=lambda k: zero(k + 17), start=17)
    assert rest == full[17:]
    assert sched2.state_dict() == full_state


def test_torch_close_restores_requires_grad_and_removes_the_hook():
    model, opt, sched = _torch_setup(**_FREEZE, freeze_mode="requires_grad", probe_every=1000)
    _torch_loop(model, opt, sched, 30, zero_layer=lambda k: True)
    assert not model[0].weight.requires_grad and not model[0].bias.requires_grad
    sched.close()
    assert all(p.requires_grad for p in model.parameters())
    loss = model(torch.ones(2, 4)).sum()
    loss.backward()
    opt.step()
    assert sched._pending is None  # the hook no longer runs
    with pytest.raises(RuntimeError, match="was closed"):
        sched.step(loss)
    sched.close()  # idempotent


def test_torch_dropped_scheduler_is_freed_without_the_cycle_collector_and_releases():
    model, opt, sched = _torch_setup(**_FREEZE, freeze_mode="requires_grad", probe_every=1000)
    _torch_loop(model, opt, sched, 30, zero_layer=lambda k: True)
    assert not model[0].weight.requires_grad
    ref = weakref.ref(sched)
    gc.disable()
    try:
        del sched
        assert ref() is None  # the optimizer's hook does not keep it alive (no cycle)
    finally:
        gc.enable()
    assert all(p.requires_grad for p in model.parameters())
    assert len(opt._optimizer_step_pre_hooks) == 0
    loss = model(torch.ones(2, 4)).sum()
    loss.backward()
    opt.step()


def test_torch_step_before_optimizer_step_warns_once_naming_the_order():
    model, opt, sched = _torch_setup()
    loss = (model(torch.ones(8, 4)) - 1).pow(2).mean()
    loss.backward()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sched.step(loss)  # wrong: optimizer.step() has not run yet
        opt.step()
        sched.step(loss)
        _torch_loop(model, opt, sched, 3)
    assert [w.category for w in caught] == [UserWarning]
    msg = str(caught[0].message)
    assert "step(loss) was called before any optimizer.step()" in msg
    assert "loss.backward(); optimizer.step(); scheduler.step(loss)" in msg
    assert caught[0].filename == __file__  # points at the caller's line
    # the seed's order never warns
    model, opt, sched = _torch_setup()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _torch_loop(model, opt, sched, 5)
