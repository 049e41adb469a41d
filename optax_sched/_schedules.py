"""Optax schedule factories: thin wrappers that evaluate ``sched_core`` with jax.numpy.

Every factory validates its arguments on the host (``ValueError``/``TypeError``
naming the argument) and returns an ``optax.Schedule``: a pure function of the
step count that is safe under ``jax.jit`` and ``jax.vmap`` and never recompiles
as the count changes. ``schedule(k)`` is the value used by update ``k`` (0-based),
which is exactly what optax passes (``count`` before increment).

Arithmetic runs in float32, or in float64 when ``jax_enable_x64`` is on; it never
follows the parameters' dtype (bf16 params still get a float32 schedule).
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

import sched_core as core

__all__ = [
    "step_lr", "multistep_lr", "exponential_lr", "constant_lr", "linear_lr", "polynomial_lr",
    "cosine_annealing_lr", "cosine_annealing_warm_restarts", "one_cycle_lr",
    "one_cycle_momentum", "cyclic_lr", "cyclic_momentum", "lambda_lr", "sequential_lr",
    "linear_warmup", "exponential_warmup", "cosine_warmup", "warmup_with_decay",
    "exponential_cyclic_lr", "list_schedule", "range_finder", "one_cycle_policy",
    "multiplicative_lr", "chained_scheduler", "swalr", "from_core",
]

Schedule = Callable[[Any], Any]


def float_dtype():
    """JAX's default float dtype now: float32, or float64 under ``jax_enable_x64``."""
    return jnp.asarray(0.0).dtype


def _count(count):
    k = jnp.asarray(count)
    if not jnp.issubdtype(k.dtype, jnp.integer):
        k = jnp.floor(k).astype(jnp.int32)
    return k


def with_config(tx: Any, name: str, args: dict[str, Any]) -> Any:
    """Attaches ``{"name", "args"}`` to a transform (on its ``init`` function, which accepts
    attributes) for ``optax_sched.config_of``; returns ``tx``."""
    tx.init.config = {"name": name, "args": dict(args)}
    return tx


class _JnpWithLoops:
    """``jax.numpy`` plus ``fori_loop`` for the core's running products (MultiplicativeLR)."""

    fori_loop = staticmethod(jax.lax.fori_loop)

    def __getattr__(self, name):
        return getattr(jnp, name)


_JNP_LOOPS = _JnpWithLoops()


def from_core(spec: core.Schedule) -> Schedule:
    """Turns a validated ``sched_core`` schedule into an ``optax.Schedule``.

    Args:
      spec: any ``sched_core.Schedule`` instance.

    Returns:
      A function mapping the step count (int array or scalar) to the value.
    """
    def schedule(count):
        return spec(_JNP_LOOPS, _count(count), float_dtype())

    schedule.spec = spec  # type: ignore[attr-defined]  # host-side description (tools/plots)
    return schedule


def step_lr(init_value: float, step_size: int, gamma: float = 0.1) -> Schedule:
    r"""torch ``StepLR``: decay by ``gamma`` every ``step_size`` updates.

    Formula: :class:`sched_core.StepLR`.

    Args:
      init_value: initial learning rate, ``>= 0``.
      step_size: period of the decay in updates, ``>= 1``.
      gamma: multiplicative factor, ``> 0``.

    Returns:
      An ``optax.Schedule``.

    Examples:
      >>> import optax_sched
      >>> s = optax_sched.step_lr(1.0, step_size=2, gamma=0.5)
      >>> [round(float(s(k)), 4) for k in range(5)]
      [1.0, 1.0, 0.5, 0.5, 0.25]
    """
    return from_core(core.StepLR(init_value=init_value, step_size=step_size, gamma=gamma))


def multistep_lr(init_value: float, milestones: Sequence[int], gamma: float = 0.1) -> Schedule:
    r"""torch ``MultiStepLR``: multiply by ``gamma`` at each milestone.

    Formula: :class:`sched_core.MultiStepLR`.

    Args:
      init_value: initial learning rate.
      milestones: integers ``>= 0`` in any order, possibly empty, as torch's ``Counter``
        (repeats apply ``gamma`` twice; a milestone 0 applies from update 0).
      gamma: multiplicative factor, ``> 0``.

    Returns:
      An ``optax.Schedule``.

    Examples:
      >>> import optax_sched
      >>> s = optax_sched.multistep_lr(1.0, [1, 3], gamma=0.1)
      >>> [round(float(s(k)), 4) for k in range(4)]
      [1.0, 0.1, 0.1, 0.01]
    """
    return from_core(core.MultiStepLR(init_value=init_value, milestones=milestones, gamma=gamma))


def exponential_lr(init_value: float, gamma: float) -> Schedule:
    r"""torch ``ExponentialLR``: multiply by ``gamma`` at every update.

    Formula: :class:`sched_core.ExponentialLR`.

    Args:
      init_value: initial learning rate.
      gamma: multiplicative factor per update, ``> 0``.

    Returns:
      An ``optax.Schedule``.
    """
    return from_core(core.ExponentialLR(init_value=init_value, gamma=gamma))


def constant_lr(init_value: float, factor: float = 1.0 / 3, total_iters: int = 5) -> Schedule:
    r"""torch ``ConstantLR``: ``init_value * factor`` for the first ``total_iters`` updates.

    Formula: :class:`sched_core.ConstantLR`.

    Args:
      init_value: learning rate after the constant phase.
      factor: factor in ``[0, 1]`` applied during the first ``total_iters`` updates.
      total_iters: length of the reduced phase, ``>= 1``.

    Returns:
      An ``optax.Schedule``.
    """
    return from_core(core.ConstantLR(init_value=init_value, factor=factor, total_iters=total_iters))


def linear_lr(init_value: float, start_factor: float = 1.0 / 3, end_factor: float = 1.0,
              total_iters: int = 5) -> Schedule:
    r"""torch ``LinearLR``: factor moves linearly from ``start_factor`` to ``end_factor``.

    Formula: :class:`sched_core.LinearLR`.

    Args:
      init_value: base learning rate.
      start_factor: factor at update 0, in ``(0, 1]`` (torch's range).
      end_factor: factor from update ``total_iters`` on, in ``[0, 1]``.
      total_iters: length of the ramp, ``>= 1``.

    Returns:
      An ``optax.Schedule``.
    """
    return from_core(core.LinearLR(init_value=init_value, start_factor=start_factor,
                                   end_factor=end_factor, total_iters=total_iters))


def polynomial_lr(init_value: float, total_iters: int = 5, power: float = 1.0) -> Schedule:
    r"""torch ``PolynomialLR``: decays to 0 at ``total_iters`` and stays there.

    Formula: :class:`sched_core.PolynomialLR`.

    Args:
      init_value: initial learning rate.
      total_iters: decay length, ``>= 1``.
      power: exponent ``p >= 0``.

    Returns:
      An ``optax.Schedule``.
    """
    return from_core(core.PolynomialLR(init_value=init_value, total_iters=total_iters, power=power))


def cosine_annealing_lr(init_value: float, T_max: int, eta_min: float = 0.0) -> Schedule:  # noqa: N803
    r"""torch ``CosineAnnealingLR``, including its periodic continuation past ``T_max``.

    Formula: :class:`sched_core.CosineAnnealingLR` (evaluated without cancellation in the
    tail, unlike ``optax.cosine_decay_schedule``).

    Args:
      init_value: learning rate at update 0.
      T_max: half period ``>= 1``.
      eta_min: minimum learning rate, ``>= 0``.

    Returns:
      An ``optax.Schedule``.

    Examples:
      >>> import optax_sched
      >>> s = optax_sched.cosine_annealing_lr(1.0, T_max=2)
      >>> [round(float(s(k)), 4) for k in range(5)]
      [1.0, 0.5, 0.0, 0.5, 1.0]
    """
    return from_core(core.CosineAnnealingLR(init_value=init_value, T_max=T_max, eta_min=eta_min))


def cosine_annealing_warm_restarts(init_value: float, T_0: int, T_mult: float = 1,  # noqa: N803
                                   eta_min: float = 0.0, decay: float = 1.0,
                                   warmup_steps: int = 0) -> Schedule:
    r"""SGDR: torch ``CosineAnnealingWarmRestarts`` plus peak decay and a global warmup.

    Formula: :class:`sched_core.CosineAnnealingWarmRestarts`. With ``decay=1`` and
    ``warmup_steps=0`` this is exactly torch's schedule.

    Args:
      init_value: peak learning rate of the first cycle.
      T_0: length of the first cycle, ``>= 1``.
      T_mult: cycle length multiplier, ``>= 1`` (may be a float).
      eta_min: minimum learning rate.
      decay: peak decay per restart, in ``(0, 1]``.
      warmup_steps: global linear warmup over the first updates (not repeated).

    Returns:
      An ``optax.Schedule``.
    """
    return from_core(core.CosineAnnealingWarmRestarts(init_value=init_value, T_0=T_0,
                                                      T_mult=T_mult, eta_min=eta_min, decay=decay,
                                                      warmup_steps=warmup_steps))


def one_cycle_lr(max_lr: float, total_steps: int, pct_start: float = 0.3,
                 anneal_strategy: str = "cos", div_factor: float = 25.0,
                 final_div_factor: float = 1e4, three_phase: bool = False) -> Schedule:
    r"""torch ``OneCycleLR`` (LR part); holds its final value from update ``total_steps`` on.

    Formula: :class:`sched_core.OneCycleLR`. torch raises past ``total_steps``; we hold.

    Args:
      max_lr: peak learning rate.
      total_steps: cycle length ``>= 2``.
      pct_start: fraction of the cycle spent increasing, in ``(0, 1)``.
      anneal_strategy: ``"cos"`` or ``"linear"``.
      div_factor: ``initial_lr = max_lr / div_factor``.
      final_div_factor: ``min_lr = initial_lr / final_div_factor``.
      three_phase: torch's three-phase variant.

    Returns:
      An ``optax.Schedule``.
    """
    return from_core(core.OneCycleLR(max_lr=max_lr, total_steps=total_steps, pct_start=pct_start,
                                     anneal_strategy=anneal_strategy, div_factor=div_factor,
                                     final_div_factor=final_div_factor, three_phase=three_phase))


def one_cycle_momentum(total_steps: int, base_momentum: float = 0.85, max_momentum: float = 0.95,
                       pct_start: float = 0.3, anneal_strategy: str = "cos",
                       three_phase: bool = False) -> Schedule:
    r"""Momentum of torch ``OneCycleLR``: ``max -> base -> max`` inverse to the LR.

    Formula: :class:`sched_core.OneCycleMomentum` (the phases of :func:`one_cycle_lr`).
    Feed it to SGD ``momentum`` or Adam ``b1`` with :func:`optax_sched.inject_schedules`
    (or ``optax.inject_hyperparams``).

    Args:
      total_steps: cycle length ``>= 2``.
      base_momentum: momentum at the LR peak, finite ``>= 0`` (as torch, not capped at 1).
      max_momentum: momentum at the ends, finite ``>= 0``.
      pct_start: as in :func:`one_cycle_lr`.
      anneal_strategy: ``"cos"`` or ``"linear"``.
      three_phase: torch's three-phase variant.

    Returns:
      An ``optax.Schedule`` of momentum values.
    """
    return from_core(core.OneCycleMomentum(total_steps=total_steps, base_momentum=base_momentum,
                                           max_momentum=max_momentum, pct_start=pct_start,
                                           anneal_strategy=anneal_strategy,
                                           three_phase=three_phase))


def cyclic_lr(base_lr: float, max_lr: float, step_size_up: int = 2000,
              step_size_down: int | None = None, mode: str = "triangular", gamma: float = 1.0,
              scale_fn: Callable[[Any], Any] | None = None,
              scale_mode: str = "cycle") -> Schedule:
    r"""torch ``CyclicLR`` (triangular, triangular2, exp_range or a traceable ``scale_fn``).

    Formula: :class:`sched_core.CyclicLR`. As in torch, ``scale_mode`` is ignored unless
    ``scale_fn`` is given.

    Args:
      base_lr: lower bound.
      max_lr: upper bound.
      step_size_up: updates in the rising half, ``>= 1``.
      step_size_down: updates in the falling half (default ``step_size_up``).
      mode: ``"triangular"``, ``"triangular2"`` or ``"exp_range"``.
      gamma: ``exp_range`` factor, ``> 0``.
      scale_fn: optional traceable function of a float array.
      scale_mode: ``"cycle"`` or ``"iterations"`` (only with ``scale_fn``).

    Returns:
      An ``optax.Schedule``.
    """
    return from_core(core.CyclicLR(base_lr=base_lr, max_lr=max_lr, step_size_up=step_size_up,
                                   step_size_down=step_size_down, mode=mode, gamma=gamma,
                                   scale_fn=scale_fn, scale_mode=scale_mode))


def cyclic_momentum(base_momentum: float = 0.8, max_momentum: float = 0.9,
                    step_size_up: int = 2000, step_size_down: int | None = None,
                    mode: str = "triangular", gamma: float = 1.0,
                    scale_fn: Callable[[Any], Any] | None = None,
                    scale_mode: str = "cycle") -> Schedule:
    r"""Momentum of torch ``CyclicLR``: highest where the LR is lowest.

    Formula: :class:`sched_core.CyclicMomentum`.

    Args:
      base_momentum: momentum at the LR peak.
      max_momentum: momentum at the LR trough.
      step_size_up: as in :func:`cyclic_lr`.
      step_size_down: as in :func:`cyclic_lr`.
      mode: as in :func:`cyclic_lr`.
      gamma: as in :func:`cyclic_lr`.
      scale_fn: as in :func:`cyclic_lr`.
      scale_mode: as in :func:`cyclic_lr`.

    Returns:
      An ``optax.Schedule`` of momentum values.
    """
    return from_core(core.CyclicMomentum(base_momentum=base_momentum, max_momentum=max_momentum,
                                         step_size_up=step_size_up,
                                         step_size_down=step_size_down, mode=mode, gamma=gamma,
                                         scale_fn=scale_fn, scale_mode=scale_mode))


def lambda_lr(init_value: float, fn: Callable[[Any], Any]) -> Schedule:
    r"""torch ``LambdaLR``: ``init_value`` times a traceable function of the update.

    Formula: :class:`sched_core.LambdaLR`.

    Args:
      init_value: base learning rate.
      fn: a traceable function of the integer step array (``jnp`` ops only).

    Returns:
      An ``optax.Schedule``.
    """
    return from_core(core.LambdaLR(init_value=init_value, fn=fn))


def sequential_lr(schedules: Sequence[Schedule], milestones: Sequence[int]) -> Schedule:
    r"""torch ``SequentialLR``: schedule ``i`` runs from ``milestones[i-1]``, count rebased.

    Formula: :class:`sched_core.Sequential`.

    Args:
      schedules: ``optax.Schedule`` functions (e.g. from this module).
      milestones: strictly increasing integers ``>= 1``, ``len(schedules) - 1`` of them.

    Returns:
      An ``optax.Schedule``.
    """
    return from_core(core.Sequential(schedules=schedules, milestones=milestones))


def linear_warmup(base_lr: float, warmup_steps: int) -> Schedule:
    r"""Linear warmup to ``base_lr`` that never outputs 0, then constant.

    Formula: :class:`sched_core.LinearWarmup`.

    Args:
      base_lr: target learning rate.
      warmup_steps: ramp length ``W >= 0`` (0 means constant ``base_lr``).

    Returns:
      An ``optax.Schedule``.

    Examples:
      >>> import optax_sched
      >>> s = optax_sched.linear_warmup(1.0, warmup_steps=4)
      >>> [float(s(k)) for k in range(5)]
      [0.25, 0.5, 0.75, 1.0, 1.0]
    """
    return from_core(core.LinearWarmup(base_lr=base_lr, warmup_steps=warmup_steps))


def exponential_warmup(base_lr: float, warmup_steps: int, start_lr: float = 1e-7) -> Schedule:
    r"""Geometric warmup from ``start_lr`` (never output) to ``base_lr``, then constant.

    Formula: :class:`sched_core.ExponentialWarmup`.

    Args:
      base_lr: target learning rate ``> 0``.
      warmup_steps: ramp length ``W >= 0``.
      start_lr: the (never output) value at step ``-1``, in ``(0, base_lr]``.

    Returns:
      An ``optax.Schedule``.
    """
    return from_core(core.ExponentialWarmup(base_lr=base_lr, warmup_steps=warmup_steps,
                                            start_lr=start_lr))


def cosine_warmup(base_lr: float, warmup_steps: int) -> Schedule:
    r"""Half-cosine warmup to ``base_lr`` that never outputs 0, then constant.

    Formula: :class:`sched_core.CosineWarmup`.

    Args:
      base_lr: target learning rate.
      warmup_steps: ramp length ``W >= 0``.

    Returns:
      An ``optax.Schedule``.
    """
    return from_core(core.CosineWarmup(base_lr=base_lr, warmup_steps=warmup_steps))


def warmup_with_decay(base_lr: float, warmup_steps: int, total_steps: int,
                      min_lr: float = 0.0) -> Schedule:
    r"""Linear warmup, then cosine to ``min_lr`` at update ``total_steps``, then hold.

    Formula: :class:`sched_core.WarmupWithDecay`.

    Args:
      base_lr: peak learning rate.
      warmup_steps: warmup length ``W >= 0``.
      total_steps: ``N > W``; ``min_lr`` is reached at update ``N``.
      min_lr: final learning rate.

    Returns:
      An ``optax.Schedule``.
    """
    return from_core(core.WarmupWithDecay(base_lr=base_lr, warmup_steps=warmup_steps,
                                          total_steps=total_steps, min_lr=min_lr))


def exponential_cyclic_lr(base_lr: float, max_lr: float, step_size: int,
                          gamma: float = 0.96) -> Schedule:
    r"""Exponential cycles (combined library): convex rise to a decaying peak, mirrored fall.

    Each cycle of ``step_size`` updates rises to ``max_lr * gamma ** cycle`` at its midpoint
    and falls back. Formula: :class:`sched_core.ExponentialCyclicLR`.

    Args:
      base_lr: lower bound.
      max_lr: peak of the first cycle.
      step_size: full cycle length ``L >= 2`` (the reference's ``cycle_length``).
      gamma: peak decay per cycle, in ``(0, 1]`` (reference default 0.96).

    Returns:
      An ``optax.Schedule``.
    """
    return from_core(core.ExponentialCyclicLR(base_lr=base_lr, max_lr=max_lr, step_size=step_size,
                                              gamma=gamma))


def list_schedule(values: Sequence[float]) -> Schedule:
    r"""Explicit values, the last one held.

    Formula: :class:`sched_core.ListSchedule`.

    Args:
      values: non-empty 1-D sequence of finite values ``>= 0``.

    Returns:
      An ``optax.Schedule``.
    """
    return from_core(core.ListSchedule(values=values))


def range_finder(num_steps: int, start_lr: float = 1e-7, end_lr: float = 1.0) -> Schedule:
    r"""LR range-test sweep from ``start_lr`` to ``end_lr`` (numpy ``geomspace``), then hold.

    Formula: :class:`sched_core.RangeFinder`.

    Args:
      num_steps: sweep length ``N >= 2``.
      start_lr: first value ``> 0``.
      end_lr: last value ``> start_lr``.

    Returns:
      An ``optax.Schedule``.
    """
    return from_core(core.RangeFinder(num_steps=num_steps, start_lr=start_lr, end_lr=end_lr))


def one_cycle_policy(max_lr: float, num_steps: int,
                     momentum_range: tuple[float, float] = (0.85, 0.95)
                     ) -> tuple[Schedule, Schedule]:
    r"""Smith's linear 1cycle policy (lr-momentum-scheduler): ``(lr, momentum)`` schedules.

    Formulas: :class:`sched_core.OneCyclePolicyLR` and
    :class:`sched_core.OneCyclePolicyMomentum`.

    Args:
      max_lr: peak learning rate.
      num_steps: cycle length ``N >= 3``.
      momentum_range: ``(low, high)`` momentum.

    Returns:
      ``(lr_schedule, momentum_schedule)``.
    """
    return (from_core(core.OneCyclePolicyLR(max_lr=max_lr, num_steps=num_steps)),
            from_core(core.OneCyclePolicyMomentum(num_steps=num_steps,
                                                  momentum_range=momentum_range)))


def multiplicative_lr(init_value: float, fn: Callable[[Any], Any]) -> Schedule:
    r"""torch ``MultiplicativeLR``: each update multiplies the LR by ``fn(k)``.

    Formula: :class:`sched_core.MultiplicativeLR`.

    A running product: each evaluation loops ``k`` times (``jax.lax.fori_loop``, traced
    counts are fine); for a constant factor prefer :func:`exponential_lr`. It is evaluated
    as ``exp`` of a compensated sum of ``log|fn(j)|``; in float32 the factors ``fn``
    returns are rounded to float32 first, and that rounding (up to ``6e-8`` relative per
    factor, systematic for a constant) accumulates over the ``k`` factors.

    Args:
      init_value: initial learning rate.
      fn: a traceable function of the integer update ``j >= 1`` giving its factor.

    Returns:
      An ``optax.Schedule``.

    Examples:
      >>> import optax_sched
      >>> s = optax_sched.multiplicative_lr(1.0, lambda j: 0.5)
      >>> [float(s(k)) for k in range(4)]
      [1.0, 0.5, 0.25, 0.125]
    """
    spec = core.MultiplicativeLR(init_value=init_value, fn=fn)

    def schedule(count):
        return spec(_JNP_LOOPS, _count(count), float_dtype())

    schedule.spec = spec  # type: ignore[attr-defined]
    return schedule


def swalr(init_value: float, swa_lr: float, anneal_epochs: int = 10,
          anneal_strategy: str = "cos") -> Schedule:
    r"""torch ``swa_utils.SWALR``: anneal from ``init_value`` to ``swa_lr``, then hold it.

    Formula: :class:`sched_core.SWALR`.

    ``init_value`` is the LR when SWA starts (torch's class reads it from the group); put
    the schedule after the main one with :func:`sequential_lr`.

    Args:
      init_value: the LR the annealing starts from.
      swa_lr: the SWA learning rate.
      anneal_epochs: updates of annealing, ``>= 0`` (0: ``swa_lr`` at once).
      anneal_strategy: ``"cos"`` or ``"linear"``.

    Returns:
      An ``optax.Schedule``.

    Examples:
      >>> import optax_sched
      >>> s = optax_sched.swalr(1.0, 0.1, anneal_epochs=2, anneal_strategy="linear")
      >>> [round(float(s(k)), 4) for k in range(4)]
      [1.0, 0.55, 0.1, 0.1]
    """
    return from_core(core.SWALR(init_value=init_value, swa_lr=swa_lr, anneal_epochs=anneal_epochs,
                                anneal_strategy=anneal_strategy))


def chained_scheduler(schedules: Sequence[Schedule]) -> Schedule:
    r"""torch ``ChainedScheduler``: the members' factors multiplied.

    Formula: :class:`sched_core.Chained`.

    Members are schedules of this module whose torch class is chainable (``step_lr``,
    ``multistep_lr``, ``exponential_lr``, ``constant_lr``, ``linear_lr``,
    ``polynomial_lr``, ``cosine_annealing_lr``, ``multiplicative_lr`` and the warmups);
    the base LR is the first member's. Equal to torch's ``ChainedScheduler`` over
    the same classes (for ``cosine_annealing_lr`` with ``eta_min > 0``, see docs/math.md).

    Args:
      schedules: optax_sched schedules sharing one base LR.

    Returns:
      An ``optax.Schedule``.

    Examples:
      >>> import optax_sched
      >>> s = optax_sched.chained_scheduler([
      ...     optax_sched.linear_lr(0.05, start_factor=0.4, total_iters=3),
      ...     optax_sched.exponential_lr(0.05, gamma=0.9)])
      >>> [round(float(s(k)), 5) for k in range(5)]
      [0.02, 0.027, 0.0324, 0.03645, 0.03281]
    """
    specs = []
    for i, sch in enumerate(schedules):
        spec = getattr(sch, "spec", None)
        if not isinstance(spec, core.Schedule):
            raise TypeError(f"schedules[{i}] must be a schedule made by optax_sched (it carries "
                            f"its formula as .spec), got {sch!r}")
        specs.append(spec)
    chained = core.Chained(specs=specs)

    def schedule(count):
        return chained(_JNP_LOOPS, _count(count), float_dtype())

    schedule.spec = chained  # type: ignore[attr-defined]
    return schedule
