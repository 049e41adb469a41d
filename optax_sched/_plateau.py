"""Reduce-on-plateau with torch semantics as an Optax transformation."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax

from optax_sched._inject import register_reader
from optax_sched._schedules import with_config
from sched_core import PlateauConfig
from sched_core import _validate as v

__all__ = ["ReduceOnPlateauState", "reduce_on_plateau"]


class ReduceOnPlateauState(NamedTuple):
    """State of :func:`reduce_on_plateau`.

    Attributes:
      lr: the LR the next update will use.  # shape=(), float32
      best: best metric seen.  # shape=(), float32
      num_bad_epochs: steps since the last improvement.  # shape=(), int32
      cooldown_counter: remaining cooldown steps.  # shape=(), int32
      count: updates done.  # shape=(), int32
    """

    lr: jax.Array
    best: jax.Array
    num_bad_epochs: jax.Array
    cooldown_counter: jax.Array
    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count, as optax


def reduce_on_plateau(init_value: float, mode: str = "min", factor: float = 0.1,
                      patience: int = 10, threshold: float = 1e-4, threshold_mode: str = "rel",
                      cooldown: int = 0, min_lr: float = 0.0,
                      eps: float = 1e-8) -> optax.GradientTransformationExtraArgs:
    r"""torch ``ReduceLROnPlateau`` as an LR transform: scales updates by ``-lr``.

    ``update(updates, state, params=None, *, value)`` uses the current LR for this update,
    then feeds ``value`` (this update's metric, e.g. the loss) to torch's rule:

    .. math:: \text{bad} \leftarrow 0 \text{ if better else bad} + 1;\quad
       \text{if bad} > \text{patience}: \eta \leftarrow \max(\eta f, \eta_{min})
       \text{ (when the cut exceeds eps)}

    with torch's cooldown. Differences from ``optax.contrib.reduce_on_plateau``: it is the
    learning rate (not a scale after another LR), patience is counted as torch does
    (reduction on the ``patience + 2``-th flat value, optax on the ``patience + 1``-th),
    ``mode="max"`` and ``threshold_mode="abs"`` exist, and ``"rel_abs"`` is correct for
    negative metrics. Non-finite metrics are skipped (torch counts them as bad).

    ``value`` must be one number (shape ``()``, or an array with one element): the mean
    loss of the step, not per-example losses, which would turn the LR into a vector.

    The state keeps its structure and dtypes across updates and ``init`` gives every leaf
    its own buffer, so the state can go through ``jax.lax.scan`` and be donated
    (``jax.jit(step, donate_argnums=...)``).

    Args:
      init_value: initial learning rate, ``>= 0``. It may be a traced scalar (e.g. under
        ``jax.vmap`` over learning rates) when the transform is built, initialised and
        updated inside the same trace; it is then not validated.
      mode: ``"min"`` or ``"max"``.
      factor: multiplicative cut in ``(0, 1)``.
      patience: bad steps tolerated before a cut.
      threshold: improvement threshold ``>= 0``.
      threshold_mode: ``"rel"``, ``"abs"`` or ``"rel_abs"``.
      cooldown: steps after a cut during which bad steps are not counted.
      min_lr: lower bound on the LR.
      eps: cuts smaller than this are ignored.

    Returns:
      An ``optax.GradientTransformationExtraArgs`` reading ``value=``.

    Raises:
      ValueError: for an argument out of range (naming it), and at trace time from
        ``update`` when ``value`` is not a single number.
      TypeError: for an argument of the wrong type, or a traced argument other than
        ``init_value``.

    Examples:
      >>> import jax.numpy as jnp
      >>> import optax_sched
      >>> tx = optax_sched.reduce_on_plateau(0.1, patience=0)
      >>> params = {"w": jnp.ones(2)}
      >>> state = tx.init(params)
      >>> for loss in (1.0, 1.0, 1.0):
      ...     _, state = tx.update({"w": jnp.ones(2)}, state, params, value=loss)
      >>> round(float(optax_sched.current_lr(state)), 6)
      0.001
    """
    rule = PlateauConfig(mode=mode, factor=factor, patience=patience, threshold=threshold,
                   threshold_mode=threshold_mode, cooldown=cooldown, min_lr=min_lr, eps=eps)
    init_value = v.check_lr("init_value", init_value)

    def init_fn(params):
        del params
        dt = jnp.asarray(0.0).dtype
        # one fresh buffer per leaf: a shared zero could not be donated (jit donate_argnums)
        return ReduceOnPlateauState(jnp.asarray(init_value, dt), jnp.asarray(rule.worst, dt),
                                    jnp.zeros([], jnp.int32), jnp.zeros([], jnp.int32),
                                    jnp.zeros([], jnp.int32))

    def update_fn(updates, state, params=None, *, value, **extra_args):
        del params, extra_args
        dt = state.lr.dtype
        metric = _scalar_metric(value, dt)
        new_updates = jax.tree_util.tree_map(
            lambda u: (-state.lr * u.astype(dt)).astype(u.dtype), updates)
        best, bad, cd, lr, _ = rule.step(jnp, state.best, state.num_bad_epochs,
                                         state.cooldown_counter, state.lr, metric)
        return new_updates, ReduceOnPlateauState(lr.astype(dt), best.astype(dt),
                                                 bad.astype(jnp.int32), cd.astype(jnp.int32),
                                                 optax.safe_increment(state.count))

    return with_config(optax.GradientTransformationExtraArgs(init_fn, update_fn),
                       "reduce_on_plateau", dict(
                           init_value=init_value, mode=mode, factor=factor, patience=patience,
                           threshold=threshold, threshold_mode=threshold_mode,
                           cooldown=cooldown, min_lr=min_lr, eps=eps))


def _scalar_metric(value, dtype):
    """``value`` as a 0-d array of ``dtype``; ValueError (at trace time) unless one number."""
    shape = getattr(value, "shape", None)
    if shape is None:
        value = jnp.asarray(value)
        shape = value.shape
    size = 1
    for n in shape:
        size *= n
    if size != 1:
        raise ValueError(
            f"reduce_on_plateau: value must be a scalar metric (the loss of this step), got "
            f"an array of shape {tuple(shape)}; pass the mean loss, e.g. "
            "value=jnp.mean(per_example_losses), not a per-example loss vector")
    return jnp.reshape(jnp.asarray(value, dtype), ())


register_reader(ReduceOnPlateauState, lambda s: s.lr, lambda s: None)
