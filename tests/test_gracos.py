"""GraCos unit tests: timing, warmup, OOP, chaining, no host syncs, checkpoints, validation."""

from __future__ import annotations

import io
import math
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
import torch

import optax_sched
import torch_compat


def _torch_run(sched, opt, params, grads_fn, n, call_epoch_end=False):
    out = []
    for k in range(n):
        out.append(list(sched.get_last_lr()))
        for p in params:
            p.grad = grads_fn(k, p)
        sched.update_gradient_norm()
        opt.step()
        sched.step()
        if call_epoch_end and (k + 1) % sched.steps_per_epoch == 0:
            sched.epoch_end()
    return out


def _optax_lrs(tx, n):
    """LR used by each of ``n`` updates of a one-leaf GraCos fed constant gradients."""
    state = tx.init({"w": jnp.zeros(1)})
    lrs = []
    for _ in range(n):
        lrs.append(float(optax_sched.current_lr(state)))
        _, state = tx.update({"w": jnp.ones(1)}, state)
    return lrs


def test_normal_mode_reference_shape_first_epoch():
    # S=9, F=3: update 0 at the trough (the floor), the wave then rises; blending over the
    # first period (3 updates) scales the first excursion by k/3.
    tx = optax_sched.gracos(0.01, 0.001, 9, 3)
    lrs = _optax_lrs(tx, 9)
    base = [0.01 - k * 0.009 / 27 for k in range(9)]
    wave = [b * (1 - math.cos(2 * math.pi * 3 * k / 9)) for k, b in enumerate(base)]
    blend = [min(k, 3) / 3 for k in range(9)]
    want = [max(w * bl, 1e-4) for w, bl in zip(wave, blend)]
    np.testing.assert_allclose(lrs, want, rtol=1e-6)
    assert lrs[0] == pytest.approx(1e-4) and lrs[3] == pytest.approx(1e-4)


def test_warmup_ramps_to_initial_lr_and_joins_the_trajectory():
    s, we = 5, 2
    tx = optax_sched.gracos(0.1, 0.01, s, 4, warmup_epochs=we)
    lrs = _optax_lrs(tx, 4 * s)
    w = we * s
    np.testing.assert_allclose(lrs[:w], [0.01 + 0.09 * (k + 1) / w for k in range(w)], rtol=1e-6)
    assert lrs[w - 1] == pytest.approx(0.1)  # reaches initial_lr (the reference never did)
    assert lrs[w] == pytest.approx(0.1)  # phase -pi/2: continuous join at the trajectory
    assert lrs[w + 1] > 0.1  # then rises


def test_few_steps_per_epoch_follow_the_trajectory():
    tx = optax_sched.gracos(0.1, 0.01, 3, 4)
    lrs = _optax_lrs(tx, 14)
    want = [max(0.1 - k * 0.09 / 12, 0.01) for k in range(14)]
    np.testing.assert_allclose(lrs, want, rtol=1e-6)


def test_oop_leaves_are_shifted_and_one_leaf_equals_plain():
    s, e = 16, 2
    params = {"a": jnp.zeros(2), "b": jnp.zeros(3), "c": jnp.zeros(1)}
    oop = optax_sched.gracos(0.1, 0.01, s, e, out_of_phase=True)
    st = oop.init(params)
    for _ in range(7):
        _, st = oop.update(params, st)
    lr = optax_sched.current_lr(st)
    assert set(lr) == {"a", "b", "c"}
    # k = 7, S = 16, F = 4: base phase 3/4 of a cycle, plus 1/3, 2/3, 1 per leaf
    base = 0.1 - 7 * 0.09 / 32
    want = [base * 2 * math.sin(math.pi * (0.75 + (i + 1) / 3)) ** 2 for i in range(3)]
    np.testing.assert_allclose([float(lr[n]) for n in "abc"], want, rtol=1e-5)
    one = optax_sched.gracos(0.1, 0.01, s, e, out_of_phase=True)
    plain = optax_sched.gracos(0.1, 0.01, s, e)
    p1 = {"w": jnp.zeros(2)}
    s1, s2 = one.init(p1), plain.init(p1)
    for _ in range(2 * s):
        np.testing.assert_allclose(float(optax_sched.current_lr(s1)["w"]),
                                   float(optax_sched.current_lr(s2)), rtol=1e-6)
        _, s1 = one.update(p1, s1)
        _, s2 = plain.update(p1, s2)


@pytest.mark.parametrize("mode", ["normal", "auto"])
def test_oop_update_uses_the_lr_current_lr_reported(mode):
    # the update recomputes the per-leaf LRs from (count, amp, freq) instead of reading the
    # stored tree; both must agree to the ULP, across epoch boundaries of an auto run
    params = {"a": jnp.zeros(3), "b": jnp.zeros(2), "c": jnp.zeros(4)}
    tx = optax_sched.gracos(0.1, 0.01, 6, 4, mode=mode, warmup_epochs=1, out_of_phase=True)
    step = jax.jit(tx.update)
    state = tx.init(params)
    rng = np.random.default_rng(0)
    for k in range(20):
        g = {n: jnp.asarray(rng.normal(size=x.shape) * (1 + k % 5), jnp.float32)
             for n, x in params.items()}
        want = optax_sched.current_lr(state)
        upd, state = step(g, state)
        for n in params:
            np.testing.assert_array_equal(np.asarray(upd[n]), np.asarray(-want[n] * g[n]),
                                          err_msg=f"update {k}, leaf {n}")


def test_auto_amplitude_and_frequency_change_only_at_epoch_boundaries():
    s = 8
    tx = optax_sched.gracos(0.1, 0.01, s, 3, mode="auto")
    state = tx.init({"w": jnp.zeros(4)})
    update = jax.jit(tx.update)
    rng = np.random.default_rng(3)
    seen = []
    for k in range(3 * s):
        seen.append((int(state.count), float(state.amp_ratio), int(state.frequency)))
        g = rng.normal(size=4).astype(np.float32) * (0.2 if k < s else 3.0)
        _, state = update({"w": jnp.asarray(g)}, state)
    changes = [c for (c, a, f), (_, a0, f0) in zip(seen[1:], seen) if (a, f) != (a0, f0)]
    assert changes and all(c % s == 0 for c in changes)
    assert seen[0][1:] == (1.0, 3)
    assert seen[2 * s][1] < seen[s][1]  # bigger gradients -> smaller amplitude


def test_auto_skips_non_finite_gradients():
    s = 4
    tx = optax_sched.gracos(0.1, 0.01, s, 3, mode="auto")
    clean, dirty = tx.init({"w": jnp.zeros(2)}), tx.init({"w": jnp.zeros(2)})
    for k in range(2 * s):
        g = jnp.full(2, 0.5)
        _, clean = tx.update({"w": g}, clean)
        bad = jnp.asarray([jnp.nan, 1.0]) if k in (1, 5) else g
        if k in (1, 5):  # only the NaN/Inf steps differ; their statistics are dropped
            _, dirty = tx.update({"w": bad}, dirty)
            continue
        _, dirty = tx.update({"w": g}, dirty)
    assert float(dirty.amp_ratio) == pytest.approx(float(clean.amp_ratio))
    assert np.isfinite(float(optax_sched.current_lr(dirty)))


def test_jitted_chain_after_clip_compiles_once_for_the_whole_run():
    s, e = 6, 3
    tx = optax.chain(optax.clip_by_global_norm(1.0),
                     optax_sched.gracos(0.1, 0.01, s, e, mode="auto", out_of_phase=True,
                                        inner=optax.scale_by_adam()))
    params = {"a": jnp.ones(3), "b": jnp.ones((2, 2))}
    state = tx.init(params)
    traces = []

    @jax.jit
    def step(params, state, g):
        traces.append(1)
        updates, state = tx.update(g, state, params)
        return optax.apply_updates(params, updates), state

    for k in range(s * e):
        params, state = step(params, state, jax.tree_util.tree_map(lambda p: p * (k + 1), params))
    assert len(traces) == 1
    lr = optax_sched.current_lr(state)
    assert set(lr) == {"a", "b"} and all(np.isfinite(float(v)) for v in lr.values())


def test_torch_matches_optax_with_warmup_and_oop_groups_from_a_model():
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 2))
    groups = torch_compat.per_tensor_param_groups(model)
    assert [g["name"] for g in groups] == ["0.weight", "0.bias", "1.weight", "1.bias"]
    opt = torch.optim.SGD(groups, lr=0.1)
    sched = torch_compat.GraCosOOP(opt, 0.1, 0.01, 10, 3, warmup_epochs=1)
    torch_lrs = _torch_run(sched, opt, list(model.parameters()),
                           lambda k, p: torch.ones_like(p), 30)
    names = ["0.weight", "0.bias", "1.weight", "1.bias"]
    params = {f"{i}_{n}": jnp.zeros(1) for i, n in enumerate(names)}  # keys sort like groups
    tx = optax_sched.gracos(0.1, 0.01, 10, 3, warmup_epochs=1, out_of_phase=True)
    state = tx.init(params)
    jax_lrs = []
    for _ in range(30):
        lr = optax_sched.current_lr(state)
        jax_lrs.append([float(lr[f"{i}_{n}"]) for i, n in enumerate(names)])
        _, state = tx.update(params, state)
    np.testing.assert_allclose(jax_lrs, torch_lrs, rtol=1e-5)


def test_update_gradient_norm_never_syncs_during_an_epoch(monkeypatch):
    s = 6
    p = torch.nn.Parameter(torch.zeros(5))
    opt = torch.optim.SGD([p], lr=0.1)
    sched = torch_compat.GraCos(opt, 0.1, 0.01, s, 3, mode="auto")
    syncs = []
    real_item, real_float, real_tolist = torch.Tensor.item, torch.Tensor.__float__, \
        torch.Tensor.tolist

    def spy(real):
        def inner(self, *a, **k):
            syncs.append(int(sched.last_epoch))
            return real(self, *a, **k)
        return inner

    monkeypatch.setattr(torch.Tensor, "item", spy(real_item))
    monkeypatch.setattr(torch.Tensor, "__float__", spy(real_float))
    monkeypatch.setattr(torch.Tensor, "tolist", spy(real_tolist))
    for k in range(2 * s):
        p.grad = torch.full((5,), 0.1 * (k + 1))
        sched.update_gradient_norm()
        opt.step()
        sched.step()
    monkeypatch.undo()
    # one read per epoch, when step() crosses the boundary (last_epoch = s - 1, 2s - 1)
    assert sorted(set(syncs)) == [s - 1, 2 * s - 1]


def test_update_gradient_norm_adds_one_kernel_to_the_norm():
    # On a GPU every extra op is a kernel launch: recording the statistic may add exactly
    # one device op (the copy into the epoch's buffer) to get_total_norm's own ops.
    from benchmarks.__main__ import device_ops

    params = [torch.nn.Parameter(torch.randn(4 + i)) for i in range(5)]
    for p in params:
        p.grad = torch.randn_like(p)
    sched = torch_compat.GraCos(torch.optim.Adam(params, lr=0.1), 0.1, 0.01, 4, 3,
                                mode="auto")
    sched.update_gradient_norm()  # the first call allocates the buffer
    with device_ops() as ours:
        got = sched.update_gradient_norm()
    with device_ops() as norm_only:
        want = torch.nn.utils.get_total_norm([p.grad for p in params])
    extra = list(ours.ops)
    for op in norm_only.ops:
        extra.remove(op)
    assert extra == ["copy_"], ours.ops
    assert float(got) == float(want)  # it returns the global norm, reusable for clipping:
    clipped = [p.grad.clone() for p in params]
    torch.nn.utils.clip_grads_with_norm_(params, 0.5, got)
    ref = [g * min(1.0, 0.5 / (float(want) + 1e-6)) for g in clipped]
    for p, r in zip(params, ref):
        torch.testing.assert_close(p.grad, r)


def test_state_dict_round_trips_mid_epoch():
    s = 7

    def build():
        p = torch.nn.Parameter(torch.zeros(3))
        opt = torch.optim.SGD([p], lr=0.1)
        return p, opt, torch_compat.GraCos(opt, 0.1, 0.01, s, 4, mode="auto")

    def grads(k, p):
        return torch.full_like(p, 0.3 + 0.1 * math.sin(k))

    p, opt, sched = build()
    full = _torch_run(sched, opt, [p], grads, 4 * s)
    p, opt, sched = build()
    _torch_run(sched, opt, [p], grads, 10)  # stop mid-epoch 1 (update 10 of 28)
    buf = io.BytesIO()
    torch.save(sched.state_dict(), buf)
    buf.seek(0)
    p2, opt2, sched2 = build()
    sched2.load_state_dict(torch.load(buf, weights_only=True))
    rest = _torch_run(sched2, opt2, [p2], lambda k, q: grads(k + 10, q), 4 * s - 10)
    assert rest == full[10:]


def test_epoch_end_is_a_checked_no_op():
    p = torch.nn.Parameter(torch.zeros(2))
    opt = torch.optim.SGD([p], lr=0.1)
    sched = torch_compat.GraCos(opt, 0.1, 0.01, 4, 2)
    with pytest.raises(ValueError, match="must follow the last step"):
        sched.epoch_end()
    out = _torch_run(sched, opt, [p], lambda k, q: torch.ones_like(q), 8, call_epoch_end=True)
    p2 = torch.nn.Parameter(torch.zeros(2))
    opt2 = torch.optim.SGD([p2], lr=0.1)
    sched2 = torch_compat.GraCos(opt2, 0.1, 0.01, 4, 2)
    assert _torch_run(sched2, opt2, [p2], lambda k, q: torch.ones_like(q), 8) == out


@pytest.mark.parametrize("kwargs,match", [
    (dict(initial_lr=0.01, final_lr=0.1), "final_lr must be in"),
    (dict(warmup_epochs=3), "warmup_epochs must be an integer <= 2"),
    (dict(mode="fast"), "mode must be one of"),
    (dict(steps_per_epoch=0), "steps_per_epoch must be an integer >= 1"),
    (dict(amplitude=-1.0), "amplitude must be in"),
    (dict(frequency=0), "frequency must be an integer >= 1"),
    (dict(initial_lr=float("nan")), "initial_lr must be a finite number"),
])
def test_invalid_arguments(kwargs, match):
    args = dict(initial_lr=0.1, final_lr=0.01, steps_per_epoch=5, total_epochs=3)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        optax_sched.gracos(**args)
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    with pytest.raises(ValueError, match=match):
        torch_compat.GraCos(opt, **args)
    assert opt.param_groups[0]["lr"] == 0.1


def test_constant_is_an_alias_of_normal():
    a = optax_sched.gracos(0.1, 0.01, 5, 2, mode="constant")
    b = optax_sched.gracos(0.1, 0.01, 5, 2, mode="normal")
    sa, sb = a.init({"w": jnp.zeros(1)}), b.init({"w": jnp.zeros(1)})
    for _ in range(10):
        assert float(optax_sched.current_lr(sa)) == float(optax_sched.current_lr(sb))
        _, sa = a.update({"w": jnp.ones(1)}, sa)
        _, sb = b.update({"w": jnp.ones(1)}, sb)


def _loop_with_norm_calls(sched, opt, p, n, call_norm, on_step=None):
    """The seed's loop; ``call_norm(k)`` says whether update k calls update_gradient_norm()."""
    for k in range(n):
        p.grad = torch.full_like(p, 0.3 + 0.2 * k)
        if call_norm(k):
            sched.update_gradient_norm()
        opt.step()
        sched.step()
        if on_step is not None:
            on_step(k)


def test_auto_mode_without_update_gradient_norm_warns_once_at_the_epoch_end():
    s = 4
    p = torch.nn.Parameter(torch.zeros(3))
    opt = torch.optim.SGD([p], lr=0.1)
    sched = torch_compat.GraCos(opt, 0.1, 0.01, s, 4, mode="auto")
    seen = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _loop_with_norm_calls(sched, opt, p, 3 * s, lambda k: False,
                              on_step=lambda k: seen.append(len(caught)))
    # nothing during epoch 0, one warning from the step() that ends it, none after
    assert seen == [0] * (s - 1) + [1] * (2 * s + 1)
    assert [w.category for w in caught] == [UserWarning]
    msg = str(caught[0].message)
    assert "GraCos(mode='auto'): epoch 0 ended without any update_gradient_norm() call" in msg
    assert "update_gradient_norm() after loss.backward()" in msg
    assert "amplitude and frequency stay unchanged" in msg
    assert caught[0].filename == __file__  # points at the caller's step()
    assert (sched.amp_ratio, sched.current_frequency) == (1.0, 2)  # unchanged: round(sqrt(4))


def test_auto_mode_warns_for_a_later_epoch_without_norms_and_keeps_its_values():
    s = 5
    p = torch.nn.Parameter(torch.zeros(2))
    opt = torch.optim.SGD([{"params": [p]}], lr=0.1)
    sched = torch_compat.GraCosOOP(opt, 0.1, 0.01, s, 4, mode="auto")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _loop_with_norm_calls(sched, opt, p, s, lambda k: True)
    after_epoch0 = (sched.amp_ratio, sched.current_frequency)
    assert after_epoch0[0] != 1.0  # epoch 0's norms were used
    with pytest.warns(UserWarning, match=r"GraCosOOP\(mode='auto'\): epoch 1 ended without"):
        _loop_with_norm_calls(sched, opt, p, s, lambda k: False)
    assert (sched.amp_ratio, sched.current_frequency) == after_epoch0


@pytest.mark.parametrize("mode,call_norm", [
    ("normal", lambda k: False),       # normal mode needs no statistic
    ("auto", lambda k: True),          # the seed's auto loop
    ("auto", lambda k: k % 4 == 3),    # at least one call per epoch: no warning
])
def test_correct_usage_does_not_warn(mode, call_norm):
    p = torch.nn.Parameter(torch.zeros(3))
    opt = torch.optim.SGD([p], lr=0.1)
    sched = torch_compat.GraCos(opt, 0.1, 0.01, 4, 3, mode=mode)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _loop_with_norm_calls(sched, opt, p, 14, call_norm)
