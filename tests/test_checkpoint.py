"""Checkpoint and resume: stop at step k (mid-epoch included), save, rebuild from scratch,
load, continue; the continued sequence equals an uninterrupted run."""

from __future__ import annotations

import functools
import io
import random

import flax.serialization
import jax
import jax.numpy as jnp
import numpy as np
import optax
import orbax.checkpoint as ocp
import pytest
import torch

import optax_sched
import torch_compat
from parity_tests import harness
from sched_tools._records import CASES

SHAPES = {"a": (3,), "b": (2, 2), "c": (1,)}


def _grads(k):
    rng = np.random.default_rng(k)
    g = {n: jnp.asarray(rng.normal(size=s).astype(np.float32) * (1 + k % 5)) for n, s in
         SHAPES.items()}
    if k % 11 == 7:
        g["b"] = g["b"].at[0, 0].set(jnp.nan)
    return g


def _loss(k):
    """Update ``k``'s loss, always a ``np.float64`` (NaN included): one argument type, so
    the jitted update is traced once, not once per Python/NumPy scalar kind."""
    return np.float64(np.nan) if k % 13 == 5 else 3.0 / (1 + 0.05 * k) + 0.1 * np.sin(k)


TRANSFORMS = {
    "inject_schedules": lambda: optax_sched.inject_schedules(
        optax.sgd, learning_rate=optax_sched.one_cycle_lr(0.1, 40),
        momentum=optax_sched.one_cycle_momentum(40)),
    "gracos-normal": lambda: optax_sched.gracos(0.1, 0.01, 7, 5),
    "gracos-auto-oop-adam": lambda: optax_sched.gracos(0.1, 0.01, 7, 5, mode="auto",
                                                       out_of_phase=True,
                                                       inner=optax.scale_by_adam()),
    "reduce_on_plateau": lambda: optax_sched.reduce_on_plateau(0.1, patience=2, cooldown=1),
    "adaptive-sgd": lambda: optax_sched.adaptive(0.1, min_steps_before_freeze=5,
                                                 freeze_threshold=0.5),
    "adaptive-adam": lambda: optax_sched.adaptive(0.1, base_optimizer="adam",
                                                  min_steps_before_freeze=5,
                                                  freeze_threshold=0.5),
}
NEEDS_VALUE = {"reduce_on_plateau", "adaptive-sgd", "adaptive-adam"}


def _run(tx, name, state, params, start, stop, out):
    update = jax.jit(tx.update)
    for k in range(start, stop):
        out.append(jax.tree_util.tree_map(np.asarray, optax_sched.current_lr(state)))
        kw = {"value": _loss(k)} if name in NEEDS_VALUE else {}
        updates, state = update(_grads(k), state, params, **kw)
        params = optax.apply_updates(params, updates)
    return state, params


def _save_restore_flax(state, template):
    return flax.serialization.from_bytes(template, flax.serialization.to_bytes(state))


def _save_restore_orbax(state, template, tmp_path):
    path = tmp_path / "ckpt"
    with ocp.StandardCheckpointer() as ckptr:
        ckptr.save(path, state)
        ckptr.wait_until_finished()
        return ckptr.restore(path, template)


BACKENDS = ("flax", "orbax")


@pytest.mark.parametrize("name", sorted(TRANSFORMS))
def test_optax_transform_state_resumes_bitwise(name, tmp_path):
    """For each checkpoint backend: stop at a random step, save, rebuild the transform from
    scratch, load, continue; the sequence equals the uninterrupted one.

    The backends share the uninterrupted run and the rebuilt transform (each transform's
    update is compiled once, not once per backend); each resumes from its own checkpoint.
    """
    n = 40
    params = {k: jnp.zeros(s) for k, s in SHAPES.items()}
    full = []
    tx = TRANSFORMS[name]()
    _run(tx, name, tx.init(params), params, 0, n, full)
    tx2 = TRANSFORMS[name]()  # rebuilt from scratch
    template = tx2.init(params)
    for backend in BACKENDS:
        stop = random.Random(f"{name}-{backend}").randrange(3, n - 3)
        part = []
        state, p = _run(tx, name, tx.init(params), params, 0, stop, part)
        if backend == "flax":
            # flax restores NumPy arrays; put on the device (committed, as orbax restores
            # them) both backends continue with the same compiled update
            restored = jax.device_put(_save_restore_flax(state, template), jax.devices()[0])
            restored_p = _save_restore_flax(p, params)
        else:
            restored = _save_restore_orbax(state, template, tmp_path)
            restored_p = p
        _run(tx2, name, restored, restored_p, stop, n, part)
        assert len(part) == n, backend
        for k, (a, b) in enumerate(zip(full, part)):
            jax.tree_util.tree_map(
                functools.partial(np.testing.assert_array_equal, err_msg=f"{backend}, {k}"),
                a, b)


def _torch_seq(opt, sched, n):
    out = []
    for _ in range(n):
        out.append((list(sched.get_last_lr()),
                    [torch_compat.read_momentum(g) for g in opt.param_groups]))
        opt.step()
        sched.step()
    return out


def _roundtrip(obj):
    buf = io.BytesIO()
    torch.save(obj, buf)
    buf.seek(0)
    return torch.load(buf, weights_only=True)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_every_torch_schedule_resumes_bitwise(case):
    n = case.steps
    stop = random.Random(case.id).randrange(1, n)
    opt, sched = harness.make_torch_scheduler(case)
    full = _torch_seq(opt, sched, n)
    opt, sched = harness.make_torch_scheduler(case)
    part = _torch_seq(opt, sched, stop)
    ckpt = _roundtrip({"opt": opt.state_dict(), "sched": sched.state_dict()})
    opt2, sched2 = harness.make_torch_scheduler(case)
    opt2.load_state_dict(ckpt["opt"])
    sched2.load_state_dict(ckpt["sched"])
    part += _torch_seq(opt2, sched2, n - stop)
    assert part == full


def _same_family_pairs():
    by = {}
    for c in CASES:
        by.setdefault(c.schedule, []).append(c)
    # lambda schedules are excluded: their function is not state (re-passed at construction,
    # as torch; a callable object's attributes are restored, tested in test_torch_contract)
    return [(v[0], v[1]) for k, v in by.items() if len(v) > 1
            and k not in ("lambda_lr", "multiplicative_lr")
            and v[0].group_factors == v[1].group_factors]


@pytest.mark.parametrize("a,b", _same_family_pairs(), ids=lambda c: c.id)
def test_loaded_state_wins_over_constructor_hyperparameters(a, b):
    """torch's rule: load_state_dict restores the saved hyperparameters too."""
    n = max(a.steps, 6)
    opt, sched = harness.make_torch_scheduler(a)
    full = _torch_seq(opt, sched, n)
    opt, sched = harness.make_torch_scheduler(a)
    part = _torch_seq(opt, sched, 3)
    ckpt = _roundtrip(sched.state_dict())
    opt_b, sched_b = harness.make_torch_scheduler(b)  # other hyperparameters, same class
    opt_b.load_state_dict(opt.state_dict())
    sched_b.load_state_dict(ckpt)
    part += _torch_seq(opt_b, sched_b, n - 3)
    assert [x[0] for x in part[3:]] == [x[0] for x in full[3:]]


def _gracos_run(sched, opt, params, start, n):
    out = []
    for k in range(start, start + n):
        out.append(list(sched.get_last_lr()))
        for i, p in enumerate(params):
            g = torch.full_like(p, 0.3 + 0.2 * np.sin(k + i))
            if k % 9 == 4:
                g[0] = float("inf")
            p.grad = g
        sched.update_gradient_norm()
        opt.step()
        sched.step()
    return out


@pytest.mark.parametrize("cls", ["GraCos", "GraCosOOP"])
def test_gracos_resume_with_other_hyperparameters_state_wins(cls):
    def build(**kw):
        params = [torch.nn.Parameter(torch.zeros(3)) for _ in range(3)]
        opt = torch.optim.SGD([{"params": [p]} for p in params], lr=0.1)
        return params, opt, getattr(torch_compat, cls)(opt, **kw)

    a = dict(initial_lr=0.1, final_lr=0.01, steps_per_epoch=6, total_epochs=4, mode="auto")
    params, opt, s = build(**a)
    full = _gracos_run(s, opt, params, 0, 24)
    params, opt, s = build(**a)
    part = _gracos_run(s, opt, params, 0, 9)  # mid-epoch 1
    ckpt = _roundtrip(s.state_dict())
    params2, opt2, s2 = build(initial_lr=0.5, final_lr=0.1, steps_per_epoch=10, total_epochs=2)
    s2.load_state_dict(ckpt)
    part += _gracos_run(s2, opt2, params2, 9, 15)
    assert part == full


def test_plateau_and_adaptive_torch_resume_bitwise_and_state_wins():
    metrics = [3.0 / (1 + 0.1 * k) if k < 20 else 1.0 for k in range(50)]
    p = torch.nn.Parameter(torch.zeros(1))

    def plateau(**kw):
        opt = torch.optim.SGD([p], lr=0.5)
        return opt, torch_compat.ReduceLROnPlateau(opt, **kw)

    def run(opt, s, ms):
        out = []
        for m in ms:
            out.append(float(opt.param_groups[0]["lr"]))
            s.step(m)
        return out

    opt, s = plateau(patience=2, factor=0.5)
    full = run(opt, s, metrics)
    opt, s = plateau(patience=2, factor=0.5)
    part = run(opt, s, metrics[:25])
    ckpt = _roundtrip({"s": s.state_dict(), "o": opt.state_dict()})
    opt2, s2 = plateau(patience=9, factor=0.9)
    opt2.load_state_dict(ckpt["o"])
    s2.load_state_dict(ckpt["s"])
    part += run(opt2, s2, metrics[25:])
    assert part == full

    def adaptive(**kw):
        torch.manual_seed(0)
        model = torch.nn.Linear(3, 1)
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        return model, opt, torch_compat.AdaptiveScheduler(opt, model, **kw)

    def arun(model, opt, s, start, n):
        out = []
        for k in range(start, start + n):
            gen = torch.Generator().manual_seed(k)
            loss = (model(torch.randn(4, 3, generator=gen)) - 1).pow(2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            out.append(s.step(loss))
        return out

    kw = dict(min_steps_before_freeze=5, freeze_threshold=0.05, total_steps=40)
    m, o, s = adaptive(**kw)
    full = arun(m, o, s, 0, 40)
    m, o, s = adaptive(**kw)
    part = arun(m, o, s, 0, 13)
    ckpt = _roundtrip({"m": m.state_dict(), "o": o.state_dict(), "s": s.state_dict()})
    s.close()
    m2, o2, s2 = adaptive(min_steps_before_freeze=50, freeze_threshold=1e-6, momentum=0.5)
    m2.load_state_dict(ckpt["m"])
    o2.load_state_dict(ckpt["o"])
    s2.load_state_dict(ckpt["s"])
    part += arun(m2, o2, s2, 13, 27)
    assert part == full
