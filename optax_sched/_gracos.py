"""GraCos as an Optax gradient transformation (formulas in ``sched_core.GraCos``)."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from optax_sched._inject import register_reader
from sched_core import GraCos

__all__ = ["GraCosState", "gracos"]


class GraCosState(NamedTuple):
    """State of :func:`gracos`.

    Attributes:
      count: updates done so far.  # shape=(), dtype=int32
      amp_ratio: amplitude ratio ``g`` of the current epoch.  # shape=(), float32
      frequency: oscillations per epoch ``F`` of the current epoch.  # shape=(), int32
      stat_count: finite gradient statistics seen this epoch.  # shape=(), int32
      stat_mean: running mean of the statistic (Welford).  # shape=(), float32
      stat_m2: running sum of squared deviations (Welford).  # shape=(), float32
      lr: the LR the next update will use: a scalar, or a pytree like the params for
        out-of-phase.  # float32 leaves
      inner_state: state of the ``inner`` transformation.
    """

    count: jax.Array
    amp_ratio: jax.Array
    frequency: jax.Array
    stat_count: jax.Array
    stat_mean: jax.Array
    stat_m2: jax.Array
    lr: Any
    inner_state: optax.OptState


def _fdtype():
    return jnp.asarray(0.0).dtype


def _grad_statistic(grads, num_leaves: int):
    """``||g||_2 / sqrt(L)``: the global L2 norm over sqrt(number of leaves), in float32+.

    The optimization barrier keeps XLA from fusing this reduction into the optimizer's
    elementwise loops (on CPU that fusion serialised the whole Adam update: 2.0x -> 1.3x).
    """
    leaves = jax.tree_util.tree_leaves(jax.lax.optimization_barrier(grads))
    dt = _fdtype()
    sq = sum(jnp.sum(jnp.square(jnp.asarray(x, dtype=dt))) for x in leaves)
    return jnp.sqrt(sq / num_leaves)


def gracos(initial_lr: float, final_lr: float, steps_per_epoch: int, total_epochs: int, *,
           mode: str = "normal", warmup_epochs: int = 0, amplitude: float = 1.0,
           frequency: int | None = None, out_of_phase: bool = False,
           inner: optax.GradientTransformation | None = None
           ) -> optax.GradientTransformationExtraArgs:
    r"""Gradient-aware cosine (GraCos): a cosine wave around a linear LR decay.

    The trajectory :math:`b_k` falls linearly from ``initial_lr`` to ``final_lr`` over the
    post-warmup updates; the LR oscillates around it ``F`` times per epoch:

    .. math:: \eta_k = \max\left(b_k + A_k \cos\left(2\pi\frac{(F (k \bmod S)) \bmod S}{S}
       + \varphi + \frac{2\pi (i+1)}{L}\right),\ 0.1\,\eta_{final}\right),\quad
       A_k = \min(a\, g_e\, b_k,\ b_k)

    with :math:`\varphi = \pi` (update 0 at the trough, then one period of early-stage
    blending) or :math:`-\pi/2` after a linear warmup; the last term only for
    ``out_of_phase`` (leaf ``i`` of ``L``, ``jax.tree_util`` order). In ``"auto"`` mode each
    epoch's gradient statistic :math:`\|g\|_2/\sqrt{L}` sets the next epoch's amplitude ratio
    :math:`g_e = \mathrm{clip}(e^{-\mathrm{mean}}, 0.05, 1.5)` and frequency
    :math:`F_e = \mathrm{clip}(\lfloor F_0/(1+\mathrm{cv}) + 1/2\rfloor, 1, F_0)`
    (``cv`` = std/mean); non-finite gradients are skipped. Details: ``docs/math.md``.

    The transform reads the raw gradients it receives, applies ``inner`` (any scale-free
    transform, e.g. ``optax.scale_by_adam()``; default identity = SGD), then scales by
    ``-lr``. Epoch boundaries come from ``steps_per_epoch``.

    Args:
      initial_lr: trajectory start, ``> 0``.
      final_lr: trajectory end, in ``[0, initial_lr]``.
      steps_per_epoch: updates per epoch ``S``.
      total_epochs: epochs including warmup.
      mode: ``"normal"`` (alias ``"constant"``) or ``"auto"``.
      warmup_epochs: linear warmup epochs (``< total_epochs``).
      amplitude: amplitude factor ``a >= 0``.
      frequency: oscillations per epoch ``F0`` (default ``round(sqrt(S))``).
      out_of_phase: one phase per pytree leaf; the LR is then a pytree like the params.
      inner: scale-free transformation applied before the LR.

    Returns:
      An ``optax.GradientTransformationExtraArgs``; ``optax_sched.current_lr(state)``
      reads the LR the next update will use.

    Examples:
      >>> import optax
      >>> tx = optax_sched.gracos(0.1, 0.01, steps_per_epoch=9, total_epochs=3)
      >>> state = tx.init({"w": jnp.zeros(2)})
      >>> round(float(optax_sched.current_lr(state)), 6)  # update 0: the trough (floor)
      0.001
    """
    spec = GraCos(initial_lr, final_lr, steps_per_epoch, total_epochs, mode=mode,
                  warmup_epochs=warmup_epochs, amplitude=amplitude, frequency=frequency)
    if not isinstance(out_of_phase, bool):
        raise TypeError(f"out_of_phase must be a bool, got {out_of_phase!r}")
    if inner is None:
        inner = optax.identity()
    elif not isinstance(inner, optax.GradientTransformation):
        raise TypeError(f"inner must be an optax.GradientTransformation or None, got {inner!r}")
    inner = optax.with_extra_args_support(inner)
    auto = spec.mode == "auto"

    def lr_tree(k, amp_ratio, freq, params_like):
        dt = _fdtype()
        if not out_of_phase:
            return spec.lr(jnp, k, amp_ratio, freq, dt)
        leaves, treedef = jax.tree_util.tree_flatten(params_like)
        n = len(leaves)
        shifts = (jnp.arange(n, dtype=dt) + 1) / n
        values = spec.lr(jnp, k, amp_ratio, freq, dt, shifts)
        return jax.tree_util.tree_unflatten(treedef, [values[i] for i in range(n)])

    def init_fn(params):
        dt = _fdtype()
        count = jnp.zeros([], jnp.int32)
        amp = jnp.ones([], dt)
        freq = jnp.asarray(spec.frequency, jnp.int32)
        return GraCosState(count, amp, freq, jnp.zeros([], jnp.int32), jnp.zeros([], dt),
                           jnp.zeros([], dt), lr_tree(count, amp, freq, params),
                           inner.init(params))

    def update_fn(updates, state, params=None, **extra_args):
        dt = _fdtype()
        n, mean, m2 = state.stat_count, state.stat_mean, state.stat_m2
        if auto:
            num_leaves = max(1, len(jax.tree_util.tree_leaves(updates)))
            g = _grad_statistic(updates, num_leaves)
            n, mean, m2 = GraCos.stat_update(jnp, n, mean, m2, g)
        inner_updates, inner_state = inner.update(updates, state.inner_state, params,
                                                  **extra_args)
        if out_of_phase:
            # This update's per-leaf LRs, recomputed from (count, amp, freq) by lr_tree as
            # slices of one (L,) vector that the update loops fuse. Reading the L scalars of
            # state.lr instead costs an extra kernel (a copy of each donated scalar) per leaf.
            lrs = lr_tree(state.count, state.amp_ratio, state.frequency, inner_updates)
            new_updates = jax.tree_util.tree_map(
                lambda u, lr: (-lr * u.astype(dt)).astype(u.dtype), inner_updates, lrs)
        else:
            new_updates = jax.tree_util.tree_map(
                lambda u: (-state.lr * u.astype(dt)).astype(u.dtype), inner_updates)
        count = optax.safe_increment(state.count)
        amp, freq = state.amp_ratio, state.frequency
        if auto:
            boundary = (count % spec.steps_per_epoch) == 0
            new_amp, new_freq = spec.epoch_end(jnp, n, mean, m2, amp, freq.astype(dt), dt)
            amp = jnp.where(boundary, new_amp, amp).astype(dt)
            freq = jnp.where(boundary, new_freq.astype(jnp.int32), freq)
            n = jnp.where(boundary, 0, n).astype(jnp.int32)
            mean = jnp.where(boundary, 0.0, mean).astype(dt)
            m2 = jnp.where(boundary, 0.0, m2).astype(dt)
        lr = lr_tree(count, amp, freq, updates)
        return new_updates, GraCosState(count, amp, freq, n, mean, m2, lr, inner_state)

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)


register_reader(GraCosState, lambda s: s.lr, lambda s: None)
