"""AdaptiveScheduler as an Optax transformation (specification: docs/math.md, section 12)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax

from optax_sched._inject import register_reader
from optax_sched._schedules import float_dtype
from optax_sched._schedules import with_config
from sched_core import AdaptiveConfig
from sched_core import _validate as v
from sched_core._adaptive import LR_RULES
from sched_core._adaptive import MOMENTUM_RULES
from sched_core._adaptive import AdaptiveStats

__all__ = ["AdaptiveState", "adaptive", "adaptive_snapshot"]

_ADAM_B2, _ADAM_EPS = 0.999, 1e-8  # torch.optim.Adam's defaults


class AdaptiveState(NamedTuple):
    """State of :func:`adaptive`.

    Attributes:
      count: updates done.  # shape=(), int32
      lr: LR of the next update.  # shape=(), float32
      momentum: momentum (SGD) or ``b1`` (Adam) of the next update.  # shape=(), float32
      lr_weights: LR rule weights, order ``sched_core._adaptive.LR_RULES``.  # shape=(4,)
      momentum_weights: momentum rule weights, order ``MOMENTUM_RULES``.  # shape=(3,)
      stats: loss and global gradient-norm statistics (``AdaptiveStats``, float32 scalars).
      leaf_count: finite gradient norms seen per leaf.  # shape=(L,), float32
      leaf_ema: gradient-norm EMA per leaf.  # shape=(L,), float32
      frozen: freeze mask of the next update, per leaf.  # shape=(L,), bool
      pct_frozen: % of parameters (by count) frozen for the next update.  # shape=(), float32
      trace: heavy-ball trace (SGD) or first moment (Adam), like the params.
      nu: Adam's second moment, like the params (empty tuple for SGD).
      leaf_steps: Adam steps taken per leaf (frozen leaves do not advance).  # shape=(L,), int32
    """

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count, as optax
    lr: jax.Array
    momentum: jax.Array
    lr_weights: jax.Array
    momentum_weights: jax.Array
    stats: AdaptiveStats
    leaf_count: jax.Array
    leaf_ema: jax.Array
    frozen: jax.Array
    pct_frozen: jax.Array
    trace: Any
    nu: Any
    leaf_steps: jax.Array


def adaptive(base_lr: float, *, momentum: float = 0.9,
             lr_rules: Mapping[str, float] | None = None,
             momentum_rules: Mapping[str, float] | None = None, dynamic_weights: bool = True,
             freeze_threshold: float = 1e-4, freeze_ema_beta: float = 0.9,
             min_steps_before_freeze: int = 100, total_steps: int | None = None,
             base_optimizer: str = "sgd",
             clip_norm: float | None = None) -> optax.GradientTransformationExtraArgs:
    r"""Loss-aware LR and momentum with reversible per-leaf freezing (AdaptiveScheduler).

    ``update(updates, state, params=None, *, value)`` takes this update's loss as ``value``
    (optax's convention, as ``optax.contrib.reduce_on_plateau``). The LR, momentum and
    freeze mask used by update ``k`` depend only on losses and gradients of updates before
    ``k``. LR rules (``trend``, ``variance``, ``grad_norm``, ``cyclical``) give multipliers
    of ``base_lr`` blended by normalised weights; momentum rules (``relative``, ``inverse``,
    ``normalized``) give momenta blended likewise:

    .. math:: \eta_k = \mathrm{clip}\Big(\eta_0 \sum_r \hat w_r(p_k) f_r,\
       0.01\eta_0,\ 2\eta_0\Big),\qquad
       \mu_k = \mathrm{clip}\Big(\sum_r \hat v_r \mu_r,\ 0,\ 0.999\Big)

    A leaf whose gradient-norm EMA falls below ``freeze_threshold`` (after
    ``min_steps_before_freeze`` updates) gets no update and keeps its optimizer state; it
    wakes when the EMA, still fed by its gradients, exceeds twice the threshold. The
    transform owns the heavy-ball trace (``base_optimizer="sgd"``, torch SGD's recursion)
    or Adam's moments with an adaptive ``b1`` (``"adam"``, torch Adam's defaults), so the
    momentum can change every update. Formulas: ``docs/math.md`` section 12.

    Args:
      base_lr: base learning rate ``> 0``.
      momentum: base momentum (SGD) or ``b1`` (Adam).
      lr_rules: rule -> weight (default ``{"trend": 0.6, "variance": 0.3, "grad_norm": 0.1}``).
      momentum_rules: rule -> weight (default ``{"relative": 0.7, "inverse": 0.3}``).
      dynamic_weights: shift LR weight from variance/grad_norm (early) to trend (middle) to
        cyclical (late); never adds a rule left out.
      freeze_threshold: freeze below this gradient-norm EMA (0 disables freezing).
      freeze_ema_beta: EMA factor of the gradient norms.
      min_steps_before_freeze: no freezing before this many updates.
      total_steps: training length for progress; None uses a step-based rule.
      base_optimizer: ``"sgd"`` (heavy ball) or ``"adam"``.
      clip_norm: if set (``> 0``), clip the gradients to this global norm before the
        update, reusing the per-leaf norms the statistics computed (one pass; the norm is
        over the finite leaves, the non-finite ones being skipped anyway). The statistics
        always see the raw, unclipped norms.

    Returns:
      An ``optax.GradientTransformationExtraArgs``.
    """
    kw = {}
    if lr_rules is not None:
        kw["lr_rules"] = lr_rules
    if momentum_rules is not None:
        kw["momentum_rules"] = momentum_rules
    cfg = AdaptiveConfig(base_lr=base_lr, momentum=momentum, dynamic_weights=dynamic_weights,
                         freeze_threshold=freeze_threshold, freeze_ema_beta=freeze_ema_beta,
                         min_steps_before_freeze=min_steps_before_freeze,
                         total_steps=total_steps, **kw)
    v.check_choice("base_optimizer", base_optimizer, ("sgd", "adam"))
    adam = base_optimizer == "adam"
    if clip_norm is not None:
        clip_norm = v.check_float("clip_norm", clip_norm, lo=0.0, lo_open=True)

    def _controls(stats, count, dt):
        lr, mom, lw, mw = cfg.controls(jnp, stats, count, dt)
        return (jnp.asarray(lr, dt), jnp.asarray(mom, dt), jnp.stack(lw).astype(dt),
                jnp.stack(mw).astype(dt))

    def _pct(frozen, sizes):
        total = sum(sizes)
        return 100.0 * jnp.sum(jnp.where(frozen, jnp.asarray(sizes, float_dtype()), 0.0)) / total

    def init_fn(params):
        dt = float_dtype()
        leaves = jax.tree_util.tree_leaves(params)
        n = len(leaves)
        if n == 0:
            raise ValueError("adaptive() needs at least one parameter array: the params "
                             "pytree passed to init() has no leaves")
        stats = cfg.init_stats(jnp, dt)
        count = jnp.zeros([], jnp.int32)
        lr, mom, lw, mw = _controls(stats, count, dt)
        zeros = jax.tree_util.tree_map(lambda p: jnp.zeros(jnp.shape(p), dt), params)
        nu = jax.tree_util.tree_map(lambda p: jnp.zeros(jnp.shape(p), dt), params) if adam else ()
        return AdaptiveState(count, lr, mom, lw, mw, stats, jnp.zeros(n, dt), jnp.zeros(n, dt),
                             jnp.zeros(n, bool), jnp.zeros([], dt), zeros, nu,
                             jnp.zeros(n, jnp.int32))

    def update_fn(updates, state, params=None, *, value, **extra_args):
        del params, extra_args
        dt = float_dtype()
        if jnp.shape(value) != ():
            raise ValueError(
                f"value must be a scalar loss, got an array of shape {jnp.shape(value)}: pass "
                "the batch's mean loss (e.g. loss.mean()), not per-example losses")
        leaves, treedef = jax.tree_util.tree_flatten(updates)
        n = len(leaves)
        g = [jnp.asarray(x, dt) for x in leaves]
        # the barrier keeps the norm reductions out of the update loops (see gracos); the
        # per-leaf scalar work is done on (L,) vectors, not L scalar kernels
        norms = jnp.sqrt(jnp.stack([jnp.sum(jnp.square(jnp.asarray(x, dt)))
                                    for x in jax.lax.optimization_barrier(leaves)]))
        finite = jnp.isfinite(norms)
        active = finite & ~state.frozen
        if clip_norm is not None:  # optax.clip_by_global_norm over the finite leaves
            clip_total = jnp.sqrt(jnp.sum(jnp.where(finite, jnp.square(norms), 0.0)))
            keep = clip_total < clip_norm
            g = [jnp.where(keep, x, (x / clip_total) * clip_norm) for x in g]
        lr, mu = state.lr, state.momentum
        trace = treedef.flatten_up_to(state.trace)
        new_trace, out, new_nu = [], [], []
        steps = state.leaf_steps + active.astype(jnp.int32)
        if adam:
            nu = treedef.flatten_up_to(state.nu)
            t = jnp.maximum(steps, 1).astype(dt)
            # torch Adam's arrangement, per leaf as (L,) vectors computed once: the update
            # loops only slice them (no per-leaf scalar kernels)
            step_size = lr / (1 - mu ** t)
            inv_bc2_sqrt = 1 / jnp.sqrt(1 - _ADAM_B2 ** t)
            # The update reads the NEW moments (as optax's own transforms do): reading the old
            # ones alongside the in-place new ones makes XLA copy every moment buffer.
            for i in range(n):
                m1 = jnp.where(active[i], mu * trace[i] + (1 - mu) * g[i], trace[i])
                v1 = jnp.where(active[i], _ADAM_B2 * nu[i] + (1 - _ADAM_B2) * g[i] * g[i], nu[i])
                upd = -step_size[i] * m1 / (jnp.sqrt(v1) * inv_bc2_sqrt[i] + _ADAM_EPS)
                new_trace.append(m1)
                new_nu.append(v1)
                out.append(jnp.where(active[i], upd, 0.0).astype(leaves[i].dtype))
        else:
            for i in range(n):
                t1 = jnp.where(active[i], mu * trace[i] + g[i], trace[i])
                new_trace.append(t1)
                out.append(jnp.where(active[i], -lr * t1, 0.0).astype(leaves[i].dtype))
        gnorm = jnp.sqrt(jnp.sum(jnp.square(norms)))
        stats = cfg.observe(jnp, state.stats, jnp.asarray(value, dt), gnorm)
        leaf_count, leaf_ema = cfg.observe_leaves(jnp, state.leaf_count, state.leaf_ema, norms)
        count = optax.safe_increment(state.count)
        frozen = cfg.freeze(jnp, leaf_count, leaf_ema, state.frozen, count)
        lr, mom, lw, mw = _controls(stats, count, dt)
        sizes = [max(1, int(x.size)) for x in leaves]
        new_state = AdaptiveState(
            count, lr, mom, lw, mw, AdaptiveStats(*(jnp.asarray(x, dt) for x in stats)),
            leaf_count, leaf_ema, frozen, _pct(frozen, sizes).astype(dt),
            treedef.unflatten(new_trace), treedef.unflatten(new_nu) if adam else (), steps)
        return treedef.unflatten(out), new_state

    return with_config(optax.GradientTransformationExtraArgs(init_fn, update_fn), "adaptive", dict(
        base_lr=base_lr, momentum=momentum, lr_rules=lr_rules, momentum_rules=momentum_rules,
        dynamic_weights=dynamic_weights, freeze_threshold=freeze_threshold,
        freeze_ema_beta=freeze_ema_beta, min_steps_before_freeze=min_steps_before_freeze,
        total_steps=total_steps, base_optimizer=base_optimizer, clip_norm=clip_norm))


def adaptive_snapshot(opt_state: Any) -> dict[str, Any]:
    """The seed's snapshot for the next update: lr, momentum, pct_frozen, rule weights.

    Works on any optimizer state containing an :func:`adaptive` state (inside jit the values
    are arrays; outside, call ``float`` on them as needed).

    Returns:
      ``{"lr", "momentum", "pct_frozen", "lr_weights", "momentum_weights", "frozen"}`` with
      the weights as ``{rule: weight}`` dicts and ``frozen`` the per-leaf mask.
    """
    found = []

    def visit(node):
        if isinstance(node, AdaptiveState):
            found.append(node)
        elif isinstance(node, (tuple, list)):
            for c in node:
                visit(c)
        elif isinstance(node, dict):
            for c in node.values():
                visit(c)
        elif hasattr(node, "to_pure_dict"):
            visit(node.to_pure_dict())

    visit(opt_state)
    if len(found) != 1:
        raise ValueError(f"expected exactly one adaptive() state, found {len(found)}")
    s = found[0]
    return {"lr": s.lr, "momentum": s.momentum, "pct_frozen": s.pct_frozen,
            "lr_weights": {r: s.lr_weights[i] for i, r in enumerate(LR_RULES)},
            "momentum_weights": {r: s.momentum_weights[i] for i, r in enumerate(MOMENTUM_RULES)},
            "frozen": s.frozen}


register_reader(AdaptiveState, lambda s: s.lr, lambda s: s.momentum)
