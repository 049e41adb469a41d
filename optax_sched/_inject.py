"""Driving optimizer hyperparameters (LR, SGD momentum, Adam ``b1``) with schedules,
and reading the values the *next* update will use from any optimizer state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

__all__ = ["InjectSchedulesState", "inject_schedules", "current_lr", "current_momentum",
           "register_reader"]


class InjectSchedulesState(NamedTuple):
    """State of :func:`inject_schedules`.

    Attributes:
      count: number of updates done so far.  # shape=(), dtype=int32
      hyperparams: the values the NEXT update will use, by name.  # float32 scalars
      inner_state: state of the wrapped optimizer.
    """

    count: jax.Array
    hyperparams: dict[str, jax.Array]
    inner_state: optax.OptState


def _hp_dtype(dtype):
    return jnp.asarray(0.0).dtype if dtype is None else dtype


def inject_schedules(inner_factory: Callable[..., optax.GradientTransformation],
                     *, hyperparam_dtype: Any = None,
                     **hyperparams: Any) -> optax.GradientTransformationExtraArgs:
    """Builds ``inner_factory(**values)`` afresh each update with scheduled values.

    Like ``optax.inject_hyperparams``, but the state stores the values the *next*
    update will use (so :func:`current_lr` / :func:`current_momentum` can read them),
    and the values are float32 (float64 under x64) whatever the parameters' dtype
    (contrast optax issue 1414, where bf16 params give a bf16 learning rate).

    Args:
      inner_factory: an optax optimizer factory, e.g. ``optax.sgd`` or ``optax.adam``.
      hyperparam_dtype: dtype of the scheduled values; default float32 (float64 with x64).
      **hyperparams: keyword arguments of ``inner_factory``: callables are schedules
        of the update count, everything else is passed through unchanged.

    Returns:
      An ``optax.GradientTransformationExtraArgs``.

    Examples:
      >>> import optax, optax_sched
      >>> lr, mom = optax_sched.one_cycle_lr(0.1, 100), optax_sched.one_cycle_momentum(100)
      >>> tx = optax_sched.inject_schedules(optax.sgd, learning_rate=lr, momentum=mom)
      >>> state = tx.init({"w": jnp.zeros(3)})
      >>> round(float(optax_sched.current_momentum(state)), 4)
      0.95
    """
    if not callable(inner_factory):
        raise TypeError(f"inner_factory must be callable, got {inner_factory!r}")
    scheduled = {k: f for k, f in hyperparams.items() if callable(f)}
    static = {k: x for k, x in hyperparams.items() if not callable(x)}

    def values_at(count):
        dt = _hp_dtype(hyperparam_dtype)
        return {k: jnp.asarray(f(count), dtype=dt) for k, f in scheduled.items()}

    def init_fn(params):
        count = jnp.zeros([], jnp.int32)
        hps = values_at(count)
        return InjectSchedulesState(count, hps, inner_factory(**static, **hps).init(params))

    def update_fn(updates, state, params=None, **extra_args):
        inner = optax.with_extra_args_support(inner_factory(**static, **state.hyperparams))
        new_updates, inner_state = inner.update(updates, state.inner_state, params, **extra_args)
        # float32 schedule values must not promote bf16 updates
        updates = jax.tree_util.tree_map(
            lambda u, g: u.astype(jnp.asarray(g).dtype) if hasattr(u, "astype") else u,
            new_updates, updates)
        count = optax.safe_increment(state.count)
        return updates, InjectSchedulesState(count, values_at(count), inner_state)

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)


# type -> (lr_reader, momentum_reader); each returns an array/pytree or None.
_READERS: dict[type, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {}

_INJECT_TYPES = tuple(t for t in (getattr(optax, "InjectHyperparamsState", None),
                                  getattr(optax, "InjectStatefulHyperparamsState", None))
                      if t is not None)


def register_reader(state_type: type, lr_reader: Callable[[Any], Any],
                    momentum_reader: Callable[[Any], Any]) -> None:
    """Registers how :func:`current_lr` / :func:`current_momentum` read a state type."""
    _READERS[state_type] = (lr_reader, momentum_reader)


def _momentum_of(hps):
    for key in ("momentum", "b1"):
        if key in hps:
            return hps[key]
    return None


register_reader(InjectSchedulesState, lambda s: s.hyperparams.get("learning_rate"),
                lambda s: _momentum_of(s.hyperparams))


def _is_masked(node):
    return isinstance(node, optax.MaskedNode)


def _unwrap(value):
    """Plain arrays from flax.nnx containers (``nnx.Optimizer`` wraps its state)."""
    if hasattr(value, "to_pure_dict"):  # nnx.State
        return value.to_pure_dict()
    if any(c.__name__ == "Variable" for c in type(value).__mro__) and hasattr(value, "get_value"):
        return value.get_value()
    return value


def _find(state, which: int, what: str):
    found, saw_inject = [], []

    def visit(node):
        if _is_masked(node):
            return
        reader = _READERS.get(type(node))
        if reader is not None:
            value = reader[which](node)
            if value is not None:
                found.append(value)
            return
        if _INJECT_TYPES and isinstance(node, _INJECT_TYPES):
            saw_inject.append(node)
        if isinstance(node, dict):
            for key in sorted(node):  # deterministic, like jax.tree_util
                visit(node[key])
        elif isinstance(node, (tuple, list)):
            for child in node:
                visit(child)

    visit(state)
    found = [_unwrap(x) for x in found]
    if not found:
        hint = ""
        if saw_inject:
            hint = (" Found optax.inject_hyperparams state: it stores the value the LAST update "
                    "used (state.hyperparams), not the next one; use "
                    "optax_sched.inject_schedules to read the next value.")
        raise ValueError(f"no optax_sched state with a {what} in this optimizer state.{hint}")
    return found[0] if len(found) == 1 else tuple(found)


def current_lr(opt_state: Any) -> Any:
    """Returns the learning rate the next update will use.

    Searches any nesting of ``optax.chain``/``partition``/``masked`` states (skipping
    ``optax.MaskedNode``) for optax_sched states. Works inside and outside ``jit``.

    Args:
      opt_state: an optimizer state.

    Returns:
      The LR (a scalar, or a per-leaf pytree for out-of-phase transforms); a tuple if
      several optax_sched states are found, in traversal order.

    Raises:
      ValueError: if the state holds no optax_sched LR (the message says why when it
        holds an ``optax.inject_hyperparams`` state instead).
    """
    return _find(opt_state, 0, "learning rate")


def current_momentum(opt_state: Any) -> Any:
    """Returns the momentum (SGD ``momentum`` or Adam ``b1``) the next update will use.

    Args:
      opt_state: an optimizer state.

    Returns:
      The momentum value(s), as for :func:`current_lr`.

    Raises:
      ValueError: if no optax_sched state with a momentum is found.
    """
    return _find(opt_state, 1, "momentum")
