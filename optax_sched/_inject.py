"""Driving optimizer hyperparameters (LR, SGD momentum, Adam ``b1``) with schedules,
and reading the values the *next* update will use from any optimizer state.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from typing import Any
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

import sched_core as core

try:  # keeps the weak type; the public lax.convert_element_type always drops it
    from jax._src.lax.lax import _convert_element_type
except ImportError:  # pragma: no cover - private API moved
    _convert_element_type = None  # type: ignore[assignment]

__all__ = ["InjectSchedulesState", "inject_schedules", "current_lr", "current_momentum",
           "register_reader"]


class InjectSchedulesState(NamedTuple):
    """State of :func:`inject_schedules`.

    Attributes:
      count: number of updates done so far.  # shape=(), dtype=int32
      hyperparams: the values the NEXT update will use, by name.  # float32 scalars
      inner_state: state of the wrapped optimizer.
    """

    count: jax.Array  # type: ignore[assignment]  # shadows tuple.count, as optax
    hyperparams: dict[str, jax.Array]
    inner_state: optax.OptState


def _hp_dtype(dtype):
    return jnp.asarray(0.0).dtype if dtype is None else dtype


def _is_schedule(value: Any) -> bool:
    """The schedule-detection rule of :func:`inject_schedules` (``static_args`` aside)."""
    if not callable(value) or isinstance(value, type):  # classes, incl. jnp.bfloat16/np.float32
        return False
    if isinstance(getattr(value, "spec", None), core.Schedule):  # optax_sched's own schedules
        return True
    try:
        out = jax.eval_shape(value, jax.ShapeDtypeStruct((), jnp.int32))
    except Exception:  # noqa: BLE001 - not a function of a traced int32 count
        return False
    return (isinstance(out, jax.ShapeDtypeStruct) and out.shape == ()
            and jnp.issubdtype(out.dtype, jnp.number))


def _aval(x):
    try:
        return jax.typeof(x)
    except Exception:  # noqa: BLE001 - not an array (None, a Python object)
        return None


def _restore_dtype(new, old):
    """``new`` cast to ``old``'s dtype and weak type (float32 schedule values promote bf16
    moments; a changed dtype or weak type would retrace ``jit`` and break ``lax.scan``)."""
    a_new, a_old = _aval(new), _aval(old)
    if not hasattr(a_new, "dtype") or not hasattr(a_old, "dtype") \
            or not hasattr(new, "dtype") or not hasattr(old, "dtype"):
        return new
    weak_new, weak_old = getattr(a_new, "weak_type", False), getattr(a_old, "weak_type", False)
    if a_new.dtype == a_old.dtype and weak_new == weak_old:
        return new
    if _convert_element_type is not None:
        try:
            return _convert_element_type(new, np.dtype(a_old.dtype), weak_type=weak_old)
        except TypeError:  # pragma: no cover - private signature changed
            pass
    return jax.lax.convert_element_type(new, a_old.dtype)


def restore_dtypes(new_tree: Any, old_tree: Any) -> Any:
    """``new_tree`` with every array leaf cast to the dtype and weak type of the matching
    leaf of ``old_tree`` (unchanged if the two trees differ in structure)."""
    if jax.tree_util.tree_structure(new_tree) != jax.tree_util.tree_structure(old_tree):  # type: ignore[operator]
        return new_tree  # nothing sensible to restore leaf by leaf
    return jax.tree_util.tree_map(_restore_dtype, new_tree, old_tree)


def _buffer_keys(leaf) -> list:
    """Identities of the device buffers behind a concrete array (empty for tracers)."""
    if not isinstance(leaf, jax.Array) or isinstance(leaf, jax.core.Tracer):
        return []
    keys = [("id", id(leaf))]
    try:
        keys += [("ptr", shard.data.unsafe_buffer_pointer()) for shard in leaf.addressable_shards]
    except Exception:  # noqa: BLE001 - deleted/donated arrays or backends without pointers
        pass
    return keys


def distinct_buffers(state: Any, params: Any = None) -> Any:
    """Copies every leaf of ``state`` that shares a device buffer with an earlier leaf or with
    a leaf of ``params``, so that ``jax.jit(..., donate_argnums=...)`` can donate the state
    (and the parameters) without "donate the same buffer twice". Tracers are left alone:
    outputs of a ``jit`` never share buffers."""
    seen = set()
    for leaf in jax.tree_util.tree_leaves(params):
        seen.update(_buffer_keys(leaf))

    def fresh(leaf):
        keys = _buffer_keys(leaf)
        if keys and any(k in seen for k in keys):
            leaf = jax.device_put(leaf, may_alias=False)
            keys = _buffer_keys(leaf)
        seen.update(keys)
        return leaf

    return jax.tree_util.tree_map(fresh, state)


def inject_schedules(inner_factory: Callable[..., optax.GradientTransformation],
                     *, static_args: str | Iterable[str] = (), hyperparam_dtype: Any = None,
                     **hyperparams: Any) -> optax.GradientTransformationExtraArgs:
    """Builds ``inner_factory(**values)`` afresh each update with scheduled values.

    Like ``optax.inject_hyperparams``, but the state stores the values the *next*
    update will use (so :func:`current_lr` / :func:`current_momentum` can read them),
    and the values are float32 (float64 under x64) whatever the parameters' dtype
    (contrast optax issue 1414, where bf16 params give a bf16 learning rate).

    Which keyword arguments are schedules: a name listed in ``static_args`` never is;
    a non-callable never is; a class or type never is (``mu_dtype=jnp.bfloat16``,
    ``np.float32``); an optax_sched schedule (it carries a ``.spec``) always is; any other
    callable ``f`` is a schedule exactly when ``jax.eval_shape(f, ShapeDtypeStruct((),
    int32))`` succeeds and gives one scalar of a numeric, non-bool dtype. So a weight-decay
    ``mask`` function (it returns a pytree or bools) reaches the optimizer untouched. Every
    argument that is not a schedule is passed through unchanged, and a function that is not
    a schedule by this rule (for instance one that needs a concrete Python count) reaches
    ``inner_factory`` as it is.

    After each update the wrapped optimizer's state leaves are cast back to the dtypes (and
    weak types) they had before, and the updates keep the gradients' dtype: a float32
    ``b1``/``momentum`` schedule does not turn bf16 moments into float32, so the state
    keeps one structure (``jax.lax.scan`` works, ``jit`` compiles once). ``init`` returns
    leaves with distinct buffers (none shared with each other or with ``params``), so the
    state can be donated.

    Args:
      inner_factory: an optax optimizer factory, e.g. ``optax.sgd`` or ``optax.adam``.
      static_args: a name or names of keyword arguments always passed through unchanged
        (never scheduled), as in ``optax.inject_hyperparams``; each must be one of the
        keyword arguments given.
      hyperparam_dtype: dtype of the scheduled values; default float32 (float64 with x64).
      **hyperparams: keyword arguments of ``inner_factory``: schedules of the update count
        (by the rule above) are evaluated each update, everything else is passed through.

    Returns:
      An ``optax.GradientTransformationExtraArgs``.

    Raises:
      TypeError: if ``inner_factory`` is not callable or ``static_args`` is not a string
        or an iterable of strings.
      ValueError: if ``static_args`` names an argument that was not given.

    Examples:
      >>> import jax.numpy as jnp
      >>> import optax, optax_sched
      >>> lr, mom = optax_sched.one_cycle_lr(0.1, 100), optax_sched.one_cycle_momentum(100)
      >>> tx = optax_sched.inject_schedules(optax.sgd, learning_rate=lr, momentum=mom)
      >>> state = tx.init({"w": jnp.zeros(3)})
      >>> round(float(optax_sched.current_momentum(state)), 4)
      0.95
      >>> tx = optax_sched.inject_schedules(  # the mask and mu_dtype pass through
      ...     optax.adamw, learning_rate=lr, mask=lambda p: {"w": True, "b": False},
      ...     mu_dtype=jnp.bfloat16)
      >>> state = tx.init({"w": jnp.zeros(3), "b": jnp.zeros(3)})
      >>> sorted(state.hyperparams), state.inner_state[0].mu["w"].dtype
      (['learning_rate'], dtype(bfloat16))
    """
    if not callable(inner_factory):
        raise TypeError(f"inner_factory must be callable, got {inner_factory!r}")
    if isinstance(static_args, str):
        static_args = (static_args,)
    try:
        static_names = tuple(static_args)
    except TypeError:
        raise TypeError("static_args must be a name or an iterable of names, got "
                        f"{static_args!r}") from None
    for name in static_names:
        if not isinstance(name, str):
            raise TypeError(f"static_args must hold argument names (str), got {name!r}")
    unknown = sorted(set(static_names) - set(hyperparams))
    if unknown:
        raise ValueError(f"static_args names {unknown}, which are not among the keyword "
                         f"arguments given ({sorted(hyperparams)})")
    scheduled = {k: f for k, f in hyperparams.items()
                 if k not in static_names and _is_schedule(f)}
    static = {k: x for k, x in hyperparams.items() if k not in scheduled}

    def values_at(count):
        dt = _hp_dtype(hyperparam_dtype)
        # copy=True: a schedule may return one global array; the state must own its buffers
        return {k: jnp.array(f(count), dtype=dt, copy=True) for k, f in scheduled.items()}

    def init_fn(params):
        count = jnp.zeros([], jnp.int32)
        hps = values_at(count)
        state = InjectSchedulesState(count, hps, inner_factory(**static, **hps).init(params))
        return distinct_buffers(state, params)

    def update_fn(updates, state, params=None, **extra_args):
        inner = optax.with_extra_args_support(inner_factory(**static, **state.hyperparams))
        new_updates, inner_state = inner.update(updates, state.inner_state, params, **extra_args)
        # float32 schedule values must not promote bf16 updates or the inner state
        updates = jax.tree_util.tree_map(
            lambda u, g: u.astype(jnp.asarray(g).dtype) if hasattr(u, "astype") else u,
            new_updates, updates)
        inner_state = restore_dtypes(inner_state, state.inner_state)
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


def _root(state):
    """An ``nnx.Optimizer`` (or anything else holding ``.opt_state``) -> its optax state."""
    if not isinstance(state, (tuple, list, Mapping)) and hasattr(state, "opt_state"):
        return state.opt_state
    return state


def _children(node):
    if isinstance(node, Mapping):
        keys = list(node.keys())
        try:
            keys = sorted(keys)  # deterministic, like jax.tree_util
        except TypeError:
            pass
        return [node[k] for k in keys]
    if isinstance(node, (tuple, list)):  # NamedTuple states included
        return list(node)
    return []


def _walk(node, stop=lambda node: False):
    """Depth-first nodes of an optimizer state, skipping ``optax.MaskedNode``; does not
    descend below a node for which ``stop(node)`` is true."""
    if _is_masked(node):
        return
    yield node
    if stop(node):
        return
    for child in _children(node):
        yield from _walk(child, stop)


_SCHEDULE_COUNT_TYPES = (optax.ScaleByScheduleState,)
_COUNT_TYPES = (InjectSchedulesState,) + _INJECT_TYPES

_FN = {0: "current_lr", 1: "current_momentum"}
_WRAP_EXAMPLE = {0: "optax_sched.inject_schedules(optax.adam, learning_rate=schedule)",
                 1: "optax_sched.inject_schedules(optax.sgd, learning_rate=lr, "
                    "momentum=schedule) (b1=schedule for Adam)"}


def _update_count(state, which: int, what: str):
    """The update count a schedule of the state's optimizer is evaluated at next."""
    schedule_counts, inject_counts, readers = [], [], []
    for node in _walk(state):
        if isinstance(node, _SCHEDULE_COUNT_TYPES):
            schedule_counts.append(node.count)
        elif isinstance(node, _COUNT_TYPES):
            inject_counts.append(node.count)
        if type(node) in _READERS:
            readers.append(node)
    counts = schedule_counts or inject_counts
    if not counts:
        fn = _FN[which]
        if readers:
            todo = (f"This state holds an optax_sched state (e.g. reduce_on_plateau, gracos, "
                    f"adaptive) that stores the {what}: call optax_sched.{fn}(state) without "
                    "a schedule.")
        else:
            todo = (f"Give the schedule to the optax optimizer (e.g. optax.adamw(schedule)) "
                    f"or wrap the optimizer: {_WRAP_EXAMPLE[which]}.")
        raise ValueError(
            f"no update count in this optimizer state for optax_sched.{fn}(state, schedule): "
            "it reads the count of optax's scale_by_schedule (created by optax.sgd(schedule), "
            "optax.adamw(schedule), ...) or of an optax_sched.inject_schedules / "
            f"optax.inject_hyperparams state. {todo}")
    return _unwrap(counts[0])


def _find(state, which: int, what: str):
    found, saw_inject, saw_count = [], [], []

    def has_reader(node):
        return type(node) in _READERS

    for node in _walk(state, has_reader):
        if has_reader(node):
            value = _READERS[type(node)][which](node)
            if value is not None:
                found.append(value)
        elif _INJECT_TYPES and isinstance(node, _INJECT_TYPES):
            saw_inject.append(node)
        elif isinstance(node, _SCHEDULE_COUNT_TYPES):
            saw_count.append(node)
    found = [_unwrap(x) for x in found]
    if not found:
        fn = _FN[which]
        if saw_inject:
            hint = (" Found optax.inject_hyperparams state: it stores the value the LAST update "
                    "used (state.hyperparams), not the next one; use "
                    "optax_sched.inject_schedules to read the next value, or pass the "
                    f"schedule: optax_sched.{fn}(state, schedule).")
        elif saw_count and which == 0:
            hint = (" It holds optax's update count (a schedule given to an optax optimizer, "
                    f"e.g. optax.adamw(schedule)): pass the schedule: optax_sched.{fn}(state, "
                    "schedule).")
        else:
            hint = (f" To read it, build the optimizer with {_WRAP_EXAMPLE[which]} (or an "
                    "optax_sched transform such as reduce_on_plateau), whose state carries the "
                    "next value; for a schedule given to an optax optimizer (e.g. "
                    f"optax.sgd(schedule)), pass it: optax_sched.{fn}(state, schedule).")
        raise ValueError(f"no optax_sched state with a {what} in this optimizer state.{hint}")
    return found[0] if len(found) == 1 else tuple(found)


def _check_schedule(schedule, fn):
    if not callable(schedule):
        raise TypeError(f"{fn}: schedule must be a function of the update count (an "
                        f"optax.Schedule), got {schedule!r}")


def current_lr(opt_state: Any, schedule: Callable[[Any], Any] | None = None) -> Any:
    """Returns the learning rate the next update will use.

    Without ``schedule``: searches any nesting of ``optax.chain``/``partition``/``masked``
    states (skipping ``optax.MaskedNode``) for optax_sched states (``inject_schedules``,
    ``reduce_on_plateau``, ``gracos``, ``adaptive``) and returns the LR they store.

    With ``schedule`` (the pattern ``optax.adamw(schedule)``, ``optax.sgd(schedule)``):
    finds the update count in the state and returns ``schedule(count)``. The count is the
    first ``optax.ScaleByScheduleState.count`` in traversal order (dict keys sorted),
    looking through ``optax.chain``, ``partition``/``masked``, ``optax.MultiSteps`` (its
    inner state, so the count of completed real updates), ``apply_if_finite`` and a
    ``flax.nnx.Optimizer`` (or its ``opt_state``); if there is none, the count of an
    ``inject_schedules`` / ``optax.inject_hyperparams`` state.

    Works inside and outside ``jit``.

    Args:
      opt_state: an optimizer state, or a ``flax.nnx.Optimizer``.
      schedule: the LR schedule the optimizer was built with; optional.

    Returns:
      The LR (a scalar, or a per-leaf pytree for out-of-phase transforms); without a
      schedule, a tuple if several optax_sched states are found, in traversal order.

    Raises:
      ValueError: without a schedule, if the state holds no optax_sched LR; with one, if it
        holds no update count. The message says what to do instead (pass the schedule, or
        use ``inject_schedules``, or drop the schedule argument).
      TypeError: if ``schedule`` is not callable.

    Examples:
      >>> import jax.numpy as jnp
      >>> import optax, optax_sched
      >>> schedule = optax_sched.step_lr(0.1, step_size=2)
      >>> tx = optax.adamw(schedule)
      >>> params = {"w": jnp.ones(2)}
      >>> state = tx.init(params)
      >>> for _ in range(3):
      ...     _, state = tx.update({"w": jnp.ones(2)}, state, params)
      >>> round(float(optax_sched.current_lr(state, schedule)), 6)  # schedule(3)
      0.01
    """
    opt_state = _root(opt_state)
    if schedule is not None:
        _check_schedule(schedule, "current_lr")
        return schedule(_update_count(opt_state, 0, "learning rate"))
    return _find(opt_state, 0, "learning rate")


def current_momentum(opt_state: Any, schedule: Callable[[Any], Any] | None = None) -> Any:
    """Returns the momentum (SGD ``momentum`` or Adam ``b1``) the next update will use.

    With ``schedule``, returns ``schedule(count)`` for the update count found as in
    :func:`current_lr` (e.g. for ``optax.inject_hyperparams(optax.sgd)(..., momentum=s)``).

    Args:
      opt_state: an optimizer state, or a ``flax.nnx.Optimizer``.
      schedule: the momentum schedule the optimizer was built with; optional.

    Returns:
      The momentum value(s), as for :func:`current_lr`.

    Raises:
      ValueError: if no optax_sched state with a momentum (or, with a schedule, no update
        count) is found; the message says what to do instead.
      TypeError: if ``schedule`` is not callable.
    """
    opt_state = _root(opt_state)
    if schedule is not None:
        _check_schedule(schedule, "current_momentum")
        return schedule(_update_count(opt_state, 1, "momentum"))
    return _find(opt_state, 1, "momentum")
