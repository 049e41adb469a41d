"""GraCos as an Optax gradient transformation (formulas in ``sched_core.GraCosConfig``)."""

from __future__ import annotations

from typing import Any
from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax

from optax_sched._inject import register_reader
from optax_sched._schedules import float_dtype
from optax_sched._schedules import with_config
from sched_core import GraCosConfig
from sched_core import _validate as v
from sched_core._gracos import path_order

__all__ = ["GraCosState", "gracos", "leaf_names"]


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

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count, as optax
    amp_ratio: jax.Array
    frequency: jax.Array
    stat_count: jax.Array
    stat_mean: jax.Array
    stat_m2: jax.Array
    lr: Any
    inner_state: optax.OptState


def _global_norm(grads, barrier: bool = True):
    """The raw global L2 norm ``||g||_2`` of the gradients, in float32 (float64 under x64).

    The optimization barrier keeps XLA from fusing this reduction into the optimizer's
    elementwise loops (on CPU that fusion serialised the whole Adam update: 2.0x -> 1.3x).
    When the update itself depends on the norm (clipping), the reduction is a separate pass
    anyway and the barrier only costs (4M parameters, CPU: 1.05x -> 1.01x of a clipped Adam).
    """
    leaves = jax.tree_util.tree_leaves(jax.lax.optimization_barrier(grads) if barrier else grads)
    dt = float_dtype()
    sq = sum(jnp.sum(jnp.square(jnp.asarray(x, dtype=dt))) for x in leaves)
    return jnp.sqrt(sq)


def _grad_statistic(grads, num_leaves: int):
    """``||g||_2 / sqrt(L)``: the raw global norm over sqrt(number of parameter tensors)."""
    return _global_norm(grads) / jnp.sqrt(jnp.asarray(num_leaves, float_dtype()))


def clip_with_norm(updates, g_norm, max_norm: float):
    """``optax.clip_by_global_norm(max_norm)`` given the global norm already computed."""
    trigger = jnp.squeeze(g_norm < max_norm)

    def clip(t):
        return jax.lax.select(trigger, t, (t / g_norm.astype(t.dtype)) * max_norm)

    return jax.tree_util.tree_map(clip, updates)


def leaf_names(tree) -> list[str]:
    """``/``-joined key paths of a pytree's leaves, in ``jax.tree_util`` order.

    Dict keys, attribute names and sequence indices become path parts
    (``{"fc1": {"kernel": ...}}`` gives ``"fc1/kernel"``; an NNX ``Param`` under
    ``fc1.kernel`` too).
    """
    def part(k):
        for attr in ("key", "name", "idx"):
            if hasattr(k, attr):
                return str(getattr(k, attr))
        return str(k)

    def parts(path):
        # an NNX Variable's array sits under the attribute "value": not part of the name
        if path and isinstance(path[-1], jax.tree_util.GetAttrKey) and path[-1].name == "value":
            path = path[:-1]
        return "/".join(part(k) for k in path)

    paths = jax.tree_util.tree_flatten_with_path(tree)[0]
    return [parts(path) for path, _ in paths]


def _phase_ranks(tree, leaf_order) -> list[int]:
    """Rank of each leaf (``jax.tree_util`` order) in the out-of-phase order."""
    n = len(jax.tree_util.tree_leaves(tree))
    if leaf_order == "tree":
        return list(range(n))
    names = leaf_names(tree)
    if leaf_order == "path":
        order = path_order(names)
    else:
        wanted = list(leaf_order)
        if sorted(wanted) != sorted(names):
            raise ValueError(
                f"leaf_order must list every parameter path exactly once; got {wanted}, the "
                f"parameters are {names} (optax_sched.leaf_names(params) lists them)")
        order = [names.index(w) for w in wanted]
    ranks = [0] * n
    for rank, leaf in enumerate(order):
        ranks[leaf] = rank
    return ranks


def _inner_flips_sign(inner: optax.GradientTransformation) -> bool:
    """True if ``inner`` maps a positive gradient to a negative update (it applies an LR).

    Probed once on a small float32 vector; an ``inner`` that cannot run on it (e.g. it
    needs the real parameter structure) is not judged.
    """
    probe = {"w": jnp.full((3,), 0.5, jnp.float32)}
    try:
        state = inner.init(probe)
        out, _ = inner.update(probe, state, probe)
        return bool(jnp.all(out["w"] < 0))
    except Exception:  # noqa: BLE001 - any failure means "cannot tell"
        return False


def gracos(initial_lr: float, final_lr: float, steps_per_epoch: int, total_epochs: int, *,
           mode: str = "normal", warmup_epochs: int = 0, amplitude: float = 1.0,
           frequency: int | None = None, out_of_phase: bool = False,
           inner: optax.GradientTransformation | None = None,
           clip_norm: float | None = None, leaf_order: Any = "tree"
           ) -> optax.GradientTransformationExtraArgs:
    r"""Gradient-aware cosine (GraCos): a cosine wave around a linear LR decay.

    The trajectory :math:`b_k` falls linearly from ``initial_lr`` to ``final_lr`` over the
    post-warmup updates; the LR oscillates around it ``F`` times per epoch:

    .. math:: \eta_k = \max\left(b_k + A_k \cos\left(2\pi\frac{(F (k \bmod S)) \bmod S}{S}
       + \varphi + \frac{2\pi (i+1)}{L}\right),\ 0.1\,\eta_{final}\right),\quad
       A_k = \min(a\, g_e\, b_k,\ b_k)

    with :math:`\varphi = \pi` (update 0 at the trough, then one period of early-stage
    blending) or :math:`-\pi/2` after a linear warmup; the last term only for
    ``out_of_phase`` (leaf ``i`` of ``L`` in ``leaf_order``). In ``"auto"`` mode each
    epoch's gradient statistic :math:`\|g\|_2/\sqrt{L}` (the raw norm of the gradients
    received, before any clipping; ``L`` counts every parameter tensor, unused ones
    included) sets the next epoch's amplitude ratio
    :math:`g_e = \mathrm{clip}(e^{-\mathrm{mean}}, 0.05, 1.5)` and frequency
    :math:`F_e = \mathrm{clip}(\lfloor F_0/(1+\mathrm{cv}) + 1/2\rfloor, 1, F_0)`
    (``cv`` = std/mean); non-finite gradients are skipped. Details: ``docs/math.md``.

    The transform reads the raw gradients it receives, clips them by their global norm if
    ``clip_norm`` is set (reusing the norm the statistic computed: one pass, equal to
    ``optax.clip_by_global_norm(clip_norm)`` before it), applies ``inner`` (a *scale-free*
    transform, e.g. ``optax.scale_by_adam()``; default identity = SGD), then scales by
    ``-lr``. Put clipping here rather than in an ``optax.chain`` before it: the statistic is
    defined on the raw gradients on both faces. Epoch boundaries come from
    ``steps_per_epoch``.

    ``inner`` must not apply a learning rate itself: ``optax.adam(1e-3)`` or ``optax.sgd(...)``
    would scale twice. One that flips the gradient's sign (it scales by ``-lr``) is detected
    at construction and refused; one that scales by a positive factor cannot be told apart
    from a preconditioner and is the caller's responsibility.

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
      clip_norm: if set (``> 0``), clip the gradients to this global norm first.
      leaf_order: the out-of-phase order of the leaves: ``"tree"`` (``jax.tree_util``
        order), ``"path"`` (parameter paths sorted naturally, the order
        ``torch_compat.per_tensor_param_groups(model, order="path")`` gives, so both
        frameworks give each tensor the same phase), or a list of every leaf's path
        (:func:`optax_sched.leaf_names`).

    Returns:
      An ``optax.GradientTransformationExtraArgs``; ``optax_sched.current_lr(state)``
      reads the LR the next update will use.

    Examples:
      >>> import jax.numpy as jnp
      >>> import optax_sched
      >>> import optax
      >>> tx = optax_sched.gracos(0.1, 0.01, steps_per_epoch=9, total_epochs=3)
      >>> state = tx.init({"w": jnp.zeros(2)})
      >>> round(float(optax_sched.current_lr(state)), 6)  # update 0: the trough (floor)
      0.001
    """
    spec = GraCosConfig(initial_lr=initial_lr, final_lr=final_lr, steps_per_epoch=steps_per_epoch,
                  total_epochs=total_epochs, mode=mode,
                  warmup_epochs=warmup_epochs, amplitude=amplitude, frequency=frequency)
    if not isinstance(out_of_phase, bool):
        raise TypeError(f"out_of_phase must be a bool, got {out_of_phase!r}")
    given_inner = inner  # for the config: None, or a transform (which has no plain data)
    if inner is None:
        inner = optax.identity()
    elif not isinstance(inner, optax.GradientTransformation):
        raise TypeError(f"inner must be an optax.GradientTransformation or None, got {inner!r}")
    elif _inner_flips_sign(inner):
        raise ValueError(
            "inner turns a positive gradient into a negative update, so it already "
            "applies a learning rate (e.g. optax.adam(1e-3) or optax.sgd(0.1)) and gracos "
            "would scale by -lr a second time; pass the scale-free part instead, e.g. "
            "inner=optax.scale_by_adam()")
    if clip_norm is not None:
        clip_norm = v.check_float("clip_norm", clip_norm, lo=0.0, lo_open=True)
    if isinstance(leaf_order, str):
        v.check_choice("leaf_order", leaf_order, ("tree", "path"))
    elif not out_of_phase:
        raise ValueError("leaf_order only applies with out_of_phase=True")
    inner = optax.with_extra_args_support(inner)
    auto = spec.mode == "auto"

    def lr_tree(k, amp_ratio, freq, params_like):
        dt = float_dtype()
        if not out_of_phase:
            return spec.lr(jnp, k, amp_ratio, freq, dt)
        leaves, treedef = jax.tree_util.tree_flatten(params_like)
        n = len(leaves)
        ranks = jnp.asarray(_phase_ranks(params_like, leaf_order), dtype=dt)
        shifts = (ranks + 1) / n
        values = spec.lr(jnp, k, amp_ratio, freq, dt, shifts)
        return jax.tree_util.tree_unflatten(treedef, [values[i] for i in range(n)])

    def init_fn(params):
        dt = float_dtype()
        count = jnp.zeros([], jnp.int32)
        amp = jnp.ones([], dt)
        freq = jnp.asarray(spec.frequency, jnp.int32)
        return GraCosState(count, amp, freq, jnp.zeros([], jnp.int32), jnp.zeros([], dt),
                           jnp.zeros([], dt), lr_tree(count, amp, freq, params),
                           inner.init(params))

    def update_fn(updates, state, params=None, **extra_args):
        dt = float_dtype()
        n, mean, m2 = state.stat_count, state.stat_mean, state.stat_m2
        if auto or clip_norm is not None:
            # raw, before clipping: one pass for both uses
            g_norm = _global_norm(updates, barrier=clip_norm is None)
        if auto:
            num_leaves = max(1, len(jax.tree_util.tree_leaves(updates)))
            g = g_norm / jnp.sqrt(jnp.asarray(num_leaves, dt))
            n, mean, m2 = GraCosConfig.stat_update(jnp, n, mean, m2, g)
        if clip_norm is not None:
            updates = clip_with_norm(updates, g_norm, clip_norm)
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

    return with_config(optax.GradientTransformationExtraArgs(init_fn, update_fn), "gracos", dict(
        initial_lr=initial_lr, final_lr=final_lr, steps_per_epoch=steps_per_epoch,
        total_epochs=total_epochs, mode=mode, warmup_epochs=warmup_epochs, amplitude=amplitude,
        frequency=frequency, out_of_phase=out_of_phase, inner=given_inner, clip_norm=clip_norm,
        leaf_order=leaf_order))


register_reader(GraCosState, lambda s: s.lr, lambda s: None)
