"""AdaptiveScheduler parity: identical (gradient, loss) streams replayed in optax_sched
(float32 and x64) and torch_compat (float64): LR, momentum, rule weights, freeze masks.

Cost: the JAX side of all twelve configurations (3 seeds x sgd/adam x dynamic or fixed
weights) is traced and compiled once per precision, as one jitted program (one
``lax.scan`` per optimizer/weights choice) run once per seed, whose results are cached;
each parametrization then compares its own slice. The torch loop feeds gradient
views of one per-run buffer and reads the snapshots ``sched.step`` returns (the values
``sched.snapshot()`` would give) instead of rebuilding them every update.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch

import optax_sched
import torch_compat
from parity_tests.tolerances import assert_within
from sched_core._adaptive import LR_RULES
from sched_core._adaptive import MOMENTUM_RULES

N_STEPS = 2000
SHAPES = [(3, 2), (4,), (2, 2), (1,)]
SEEDS = (0, 1, 2)
OPTIMIZERS = ("sgd", "adam")
DYNAMIC = (True, False)


def stream(seed):
    """Losses with descent, plateaus, spikes and NaN bursts; gradients where leaf 1
    vanishes (1e-7) for a while then returns, leaf 3 vanishes for good, and a few
    updates carry Inf/NaN gradients."""
    rng = np.random.default_rng(seed)
    losses, grads = [], []
    level = 3.0
    for k in range(N_STEPS):
        if k < 600 or 1200 <= k < 1500:
            level *= 0.999
        loss = level * (1 + 0.05 * rng.normal())
        if rng.random() < 0.02:
            loss *= 4.0
        if rng.random() < 0.01:
            loss = float("nan") if rng.random() < 0.5 else float("inf")
        losses.append(loss)
        g = [(rng.normal(size=s) * level).astype(np.float32) for s in SHAPES]
        if 400 <= k < 1100:
            g[1] = g[1] * np.float32(1e-7)
        if k >= 900:
            g[3] = g[3] * np.float32(1e-8)
        if rng.random() < 0.005:
            g[2] = g[2].copy()
            g[2].flat[0] = np.inf
        grads.append(g)
    return losses, grads


@functools.cache
def stacked_stream(seed):
    """``stream(seed)`` as arrays (read-only, shared): losses ``(N,)`` and one ``(N, *shape)``
    float32 array per leaf."""
    losses, grads = stream(seed)
    out = (np.asarray(losses, np.float64),
           tuple(np.stack([g[i] for g in grads]) for i in range(len(SHAPES))))
    for a in (out[0], *out[1]):
        a.setflags(write=False)
    return out


KW = dict(min_steps_before_freeze=150, total_steps=None)


def config_kw(dynamic):
    kw = dict(dynamic_weights=dynamic)
    if not dynamic:
        kw["lr_rules"] = {"trend": 0.4, "variance": 0.2, "grad_norm": 0.2, "cyclical": 0.2}
        kw["momentum_rules"] = {"relative": 0.5, "inverse": 0.2, "normalized": 0.3}
    return kw


def _optax_scan(optimizer, kw):
    """The traced replay of one stream (loss ``(N,)``, gradients ``(N, *shape)``): the
    snapshot rows before every update and the final params."""
    tx = optax_sched.adaptive(0.05, base_optimizer=optimizer, **{**KW, **kw})

    def run(xs):
        params = {f"p{i}": jnp.zeros(s) for i, s in enumerate(SHAPES)}

        def body(carry, xs):
            params, state = carry
            loss, *g = xs
            snap = optax_sched.adaptive_snapshot(state)
            row = (snap["lr"], snap["momentum"], snap["pct_frozen"],
                   jnp.stack([snap["lr_weights"][r] for r in LR_RULES]),
                   jnp.stack([snap["momentum_weights"][r] for r in MOMENTUM_RULES]),
                   snap["frozen"])
            tree = {f"p{i}": x for i, x in enumerate(g)}
            updates, state = tx.update(tree, state, params, value=loss)
            params = jax.tree_util.tree_map(lambda p, u: p + u, params, updates)
            return (params, state), row

        (params, _), rows = jax.lax.scan(body, (params, tx.init(params)), xs)
        return rows, params

    return run


JAX_CONFIGS = [(o, d) for o in OPTIMIZERS for d in DYNAMIC]


@functools.cache
def optax_all(x64):
    """``{(seed, optimizer, dynamic): (rows, params)}``: the rows (lr, momentum, pct_frozen,
    lr weights, momentum weights, frozen) used by each update and the final params of every
    configuration, from one jitted program per precision (one compilation instead of one
    per configuration): a scan per (optimizer, dynamic), run once per seed. The seeds are
    not ``vmap``-ed: the batched program took longer to compile than two more runs take."""
    with jax.enable_x64(x64):
        runs = [_optax_scan(o, config_kw(d)) for o, d in JAX_CONFIGS]
        program = jax.jit(lambda xs: [run(xs) for run in runs])
        out = {}
        for seed in SEEDS:
            losses, grads = stacked_stream(seed)
            results = jax.device_get(program([jnp.asarray(x) for x in (losses, *grads)]))
            for (o, d), (rows, params) in zip(JAX_CONFIGS, results, strict=True):
                got = [np.asarray(r, dtype=np.float64) for r in rows[:5]] + [np.asarray(rows[5])]
                out[seed, o, d] = got, {k: np.asarray(v, np.float64) for k, v in params.items()}
    return out


def run_torch(losses, grads, optimizer, **kw):
    """``grads``: one ``(N, *shape)`` array per leaf."""
    model = torch.nn.ParameterDict({f"p{i}": torch.nn.Parameter(torch.zeros(s))
                                    for i, s in enumerate(SHAPES)})
    if optimizer == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=0.05)
    sched = torch_compat.AdaptiveScheduler(opt, model, **{**KW, **kw})
    params = list(model.values())
    # a fresh copy per run (as torch.tensor(x) per update was); update k reads row k
    per_update = zip(*(torch.tensor(np.asarray(g)).unbind(0) for g in grads), strict=True)
    snaps, frozen, emas = [sched.snapshot()], [], []
    for loss, g in zip(losses, per_update, strict=True):
        frozen.append(sched.frozen.copy())
        for p, x in zip(params, g, strict=True):
            p.grad = x
        opt.step()
        snaps.append(sched.step(loss))  # the snapshot of the next update
        emas.append(sched.leaf_ema.copy())
    snaps = snaps[:len(frozen)]
    cols = [np.asarray([s[c] for s in snaps]) for c in ("lr", "momentum", "pct_frozen")]
    cols.append(np.asarray([[s["lr_weights"][r] for r in LR_RULES] for s in snaps]))
    cols.append(np.asarray([[s["momentum_weights"][r] for r in MOMENTUM_RULES] for s in snaps]))
    cols.append(np.asarray(frozen))
    return cols, np.asarray(emas), {k: p.detach().numpy().astype(np.float64)
                                    for k, p in model.items()}


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("dynamic", DYNAMIC)
def test_adaptive_parity(seed, optimizer, dynamic):
    losses, grads = stacked_stream(seed)
    ref, emas, ref_params = run_torch(losses.tolist(), grads, optimizer, **config_kw(dynamic))
    # freeze decisions must not sit near the thresholds (no near-ties between precisions)
    thr = 1e-4
    for level in (thr, 2 * thr):
        assert np.min(np.abs(emas - level) / level) > 1e-3
    frozen_ref = ref[5]
    assert frozen_ref[:, 1].any() and not frozen_ref[-1, 1]  # leaf 1 froze, then woke
    assert frozen_ref[-1, 3]  # leaf 3 stays frozen
    assert not frozen_ref[:150].any()  # min_steps_before_freeze
    # torch reduces float32 gradient norms in float32 (one fused kernel, like
    # get_total_norm), so even the x64 run is compared at the float32-statistic bound
    for x64, kind in ((True, "stateful32"), (False, "stateful32")):
        got, params = optax_all(x64)[seed, optimizer, dynamic]
        np.testing.assert_array_equal(got[5], frozen_ref)
        for name, i in (("lr", 0), ("momentum", 1), ("pct_frozen", 2)):
            assert_within(got[i], ref[i], kind, f"{name} x64={x64}")
        assert_within(got[3].T, ref[3].T, kind, f"lr weights x64={x64}")
        assert_within(got[4].T, ref[4].T, kind, f"momentum weights x64={x64}")
        if x64:  # the optimizers agree too (torch updates float32 params: 1e-4 relative)
            for k in params:
                scale = np.max(np.abs(ref_params[k]))
                np.testing.assert_allclose(params[k], ref_params[k], rtol=1e-4, atol=1e-4 * scale)
    assert np.all(np.isfinite(ref[0])) and np.all(ref[0] > 0)


def test_torch_face_matches_the_independent_oracle():
    from parity_tests import adaptive_oracle

    losses, grads = stream(5)
    losses, grads = losses[:300], grads[:300]
    grads_by_leaf = [np.stack([g[i] for g in grads]) for i in range(len(SHAPES))]
    ref, _, _ = run_torch(losses, grads_by_leaf, "sgd")
    lr_rules = {"trend": 0.6, "variance": 0.3, "grad_norm": 0.1}
    mom_rules = {"relative": 0.7, "inverse": 0.3}
    # the torch face reduces each float32 gradient's norm in float32 (like get_total_norm)
    gnorms = [float(np.sqrt(sum(float(np.linalg.norm(x)) ** 2 for x in g))) for g in grads]
    for k in range(0, 300, 7):
        lr, mom, w, mw = adaptive_oracle.controls(losses[:k], gnorms[:k], k, 0.05, 0.9,
                                                  lr_rules, mom_rules, True, None)
        assert ref[0][k] == pytest.approx(lr, rel=1e-6)
        assert ref[1][k] == pytest.approx(mom, rel=1e-9)  # loss-only rules: float64 exact
        np.testing.assert_allclose(ref[3][k], [w[r] for r in LR_RULES], rtol=1e-9)
        np.testing.assert_allclose(ref[4][k], [mw[r] for r in MOMENTUM_RULES], rtol=1e-9)
