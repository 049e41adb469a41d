"""AdaptiveScheduler parity: identical (gradient, loss) streams replayed in optax_sched
(float32 and x64) and torch_compat (float64): LR, momentum, rule weights, freeze masks."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch

import optax_sched
import torch_compat
from parity_tests.tolerances import assert_within
from sched_core._adaptive import LR_RULES, MOMENTUM_RULES

N_STEPS = 2000
SHAPES = [(3, 2), (4,), (2, 2), (1,)]


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


KW = dict(min_steps_before_freeze=150, total_steps=None)


def run_optax(losses, grads, optimizer, x64, **kw):
    with jax.enable_x64(x64):
        tx = optax_sched.adaptive(0.05, base_optimizer=optimizer, **{**KW, **kw})
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

        xs = [jnp.asarray(losses)] + [jnp.asarray(np.stack([g[i] for g in grads]))
                                      for i in range(len(SHAPES))]
        (params, _), rows = jax.jit(lambda xs: jax.lax.scan(body, (params, tx.init(params)),
                                                            xs))(xs)
    out = [np.asarray(r, dtype=np.float64) for r in rows[:5]] + [np.asarray(rows[5])]
    return out, {k: np.asarray(v, np.float64) for k, v in params.items()}


def run_torch(losses, grads, optimizer, **kw):
    model = torch.nn.ParameterDict({f"p{i}": torch.nn.Parameter(torch.zeros(s))
                                    for i, s in enumerate(SHAPES)})
    if optimizer == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=0.05)
    sched = torch_compat.AdaptiveScheduler(opt, model, **{**KW, **kw})
    rows, emas = [], []
    for loss, g in zip(losses, grads):
        s = sched.snapshot()
        rows.append((s["lr"], s["momentum"], s["pct_frozen"],
                     [s["lr_weights"][r] for r in LR_RULES],
                     [s["momentum_weights"][r] for r in MOMENTUM_RULES], sched.frozen.copy()))
        for p, x in zip(model.values(), g):
            p.grad = torch.tensor(x)
        opt.step()
        sched.step(loss)
        emas.append(sched.leaf_ema.copy())
    cols = [np.asarray([r[i] for r in rows]) for i in range(6)]
    return cols, np.asarray(emas), {k: p.detach().numpy().astype(np.float64)
                                    for k, p in model.items()}


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("dynamic", [True, False])
def test_adaptive_parity(seed, optimizer, dynamic):
    losses, grads = stream(seed)
    kw = dict(dynamic_weights=dynamic)
    if not dynamic:
        kw["lr_rules"] = {"trend": 0.4, "variance": 0.2, "grad_norm": 0.2, "cyclical": 0.2}
        kw["momentum_rules"] = {"relative": 0.5, "inverse": 0.2, "normalized": 0.3}
    ref, emas, ref_params = run_torch(losses, grads, optimizer, **kw)
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
        got, params = run_optax(losses, grads, optimizer, x64, **kw)
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
    ref, _, _ = run_torch(losses, grads, "sgd")
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
