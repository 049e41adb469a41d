"""Hugging Face ``transformers`` schedules and warmup-stable-decay as Optax schedules.

Each factory takes the arguments of the ``transformers.get_*`` function of the same name
(``init_value`` in place of the optimizer's LR) and gives Hugging Face's sequence: update
``k`` uses the LR that ``get_last_lr()`` shows after ``k`` ``scheduler.step()`` calls.
Formulas: :mod:`sched_core._hf` and docs/math.md.
"""

from __future__ import annotations

from typing import Any

from optax_sched._schedules import Schedule
from optax_sched._schedules import from_core
from sched_core import _hf as hf

__all__ = [
    "constant_with_warmup",
    "cosine_with_hard_restarts_with_warmup",
    "cosine_with_min_lr_with_warmup",
    "cosine_with_warmup",
    "inverse_sqrt",
    "linear_with_warmup",
    "polynomial_decay_with_warmup",
    "warmup_stable_decay",
]


def constant_with_warmup(init_value: float, num_warmup_steps: int) -> Schedule:
    """``get_constant_schedule_with_warmup``: linear warmup from 0, then constant.

    Formula: :class:`sched_core.ConstantWithWarmup`.

    Args:
      init_value: the LR after the warmup, ``>= 0``.
      num_warmup_steps: warmup length ``W >= 0`` (update ``k < W`` uses ``k / W``).

    Returns:
      An ``optax.Schedule``.

    Examples:
      >>> import optax_sched
      >>> s = optax_sched.constant_with_warmup(1.0, num_warmup_steps=4)
      >>> [float(s(k)) for k in range(6)]
      [0.0, 0.25, 0.5, 0.75, 1.0, 1.0]
    """
    return from_core(hf.ConstantWithWarmup(init_value=init_value,
                                           num_warmup_steps=num_warmup_steps))


def linear_with_warmup(init_value: float, num_warmup_steps: int,
                       num_training_steps: int) -> Schedule:
    """``get_linear_schedule_with_warmup``: warmup from 0, linear decay to 0 at ``T``.

    Formula: :class:`sched_core.LinearWithWarmup`.

    Args:
      init_value: the peak LR, ``>= 0``.
      num_warmup_steps: warmup length ``W >= 0``.
      num_training_steps: ``T > W``; the LR is 0 from update ``T`` on.

    Returns:
      An ``optax.Schedule``.

    Examples:
      >>> import optax_sched
      >>> s = optax_sched.linear_with_warmup(1.0, 2, 6)
      >>> [float(s(k)) for k in range(8)]
      [0.0, 0.5, 1.0, 0.75, 0.5, 0.25, 0.0, 0.0]
    """
    return from_core(hf.LinearWithWarmup(init_value=init_value,
                                         num_warmup_steps=num_warmup_steps,
                                         num_training_steps=num_training_steps))


def cosine_with_warmup(init_value: float, num_warmup_steps: int, num_training_steps: int,
                       num_cycles: float = 0.5) -> Schedule:
    """``get_cosine_schedule_with_warmup``: warmup from 0, then ``num_cycles`` cosine waves.

    Formula: :class:`sched_core.CosineWithWarmup`. As Hugging Face's, the wave continues
    after ``num_training_steps`` (it is not held at 0).

    Args:
      init_value: the peak LR, ``>= 0``.
      num_warmup_steps: warmup length ``W >= 0``.
      num_training_steps: ``T > W``.
      num_cycles: cosine waves over ``T - W`` updates (0.5: one half-cosine to 0).

    Returns:
      An ``optax.Schedule``.

    Examples:
      >>> import optax_sched
      >>> s = optax_sched.cosine_with_warmup(1.0, 1, 5)
      >>> [round(float(s(k)), 4) for k in range(6)]
      [0.0, 1.0, 0.8536, 0.5, 0.1464, 0.0]
    """
    return from_core(hf.CosineWithWarmup(init_value=init_value,
                                         num_warmup_steps=num_warmup_steps,
                                         num_training_steps=num_training_steps,
                                         num_cycles=num_cycles))


def cosine_with_min_lr_with_warmup(init_value: float, num_warmup_steps: int,
                                   num_training_steps: int, num_cycles: float = 0.5,
                                   min_lr: float | None = None,
                                   min_lr_rate: float | None = None) -> Schedule:
    """``get_cosine_with_min_lr_schedule_with_warmup``: the cosine above a floor.

    Formula: :class:`sched_core.CosineWithMinLRWithWarmup`.

    Args:
      init_value: the peak LR, ``> 0`` with ``min_lr``.
      num_warmup_steps: warmup length ``W >= 0``.
      num_training_steps: ``T > W``.
      num_cycles: cosine waves over ``T - W`` updates.
      min_lr: the floor as an LR (Hugging Face divides it by the optimizer's LR).
      min_lr_rate: the floor as a fraction of ``init_value``; exactly one of the two.

    Returns:
      An ``optax.Schedule``.

    Examples:
      >>> import optax_sched
      >>> s = optax_sched.cosine_with_min_lr_with_warmup(1.0, 0, 4, min_lr=0.2)
      >>> [round(float(s(k)), 4) for k in range(5)]
      [1.0, 0.8828, 0.6, 0.3172, 0.2]
    """
    return from_core(hf.CosineWithMinLRWithWarmup(
        init_value=init_value, num_warmup_steps=num_warmup_steps,
        num_training_steps=num_training_steps, num_cycles=num_cycles, min_lr=min_lr,
        min_lr_rate=min_lr_rate))


def cosine_with_hard_restarts_with_warmup(init_value: float, num_warmup_steps: int,
                                          num_training_steps: int,
                                          num_cycles: float = 1) -> Schedule:
    """``get_cosine_with_hard_restarts_schedule_with_warmup``: restarted half-cosines.

    Formula: :class:`sched_core.CosineWithHardRestartsWithWarmup`.

    Args:
      init_value: the peak LR, ``>= 0``.
      num_warmup_steps: warmup length ``W >= 0``.
      num_training_steps: ``T > W``; the LR is 0 from update ``T`` on.
      num_cycles: half-cosines from ``init_value`` to 0 in ``T - W`` updates.

    Returns:
      An ``optax.Schedule``.

    Examples:
      >>> import optax_sched
      >>> s = optax_sched.cosine_with_hard_restarts_with_warmup(1.0, 0, 4, num_cycles=2)
      >>> [round(float(s(k)), 4) for k in range(5)]
      [1.0, 0.5, 1.0, 0.5, 0.0]
    """
    return from_core(hf.CosineWithHardRestartsWithWarmup(
        init_value=init_value, num_warmup_steps=num_warmup_steps,
        num_training_steps=num_training_steps, num_cycles=num_cycles))


def polynomial_decay_with_warmup(init_value: float, num_warmup_steps: int,
                                 num_training_steps: int, lr_end: float = 1e-7,
                                 power: float = 1.0) -> Schedule:
    """``get_polynomial_decay_schedule_with_warmup``: warmup, then polynomial to ``lr_end``.

    Formula: :class:`sched_core.PolynomialDecayWithWarmup`.

    Args:
      init_value: the peak LR, ``> lr_end``.
      num_warmup_steps: warmup length ``W >= 0``.
      num_training_steps: ``T > W``; ``lr_end`` from update ``T`` on.
      lr_end: the final LR, ``>= 0``.
      power: the polynomial's power, ``> 0``.

    Returns:
      An ``optax.Schedule``.

    Examples:
      >>> import optax_sched
      >>> s = optax_sched.polynomial_decay_with_warmup(1.0, 1, 5, lr_end=0.2, power=2.0)
      >>> [round(float(s(k)), 4) for k in range(7)]
      [0.0, 1.0, 0.65, 0.4, 0.25, 0.2, 0.2]
    """
    return from_core(hf.PolynomialDecayWithWarmup(
        init_value=init_value, num_warmup_steps=num_warmup_steps,
        num_training_steps=num_training_steps, lr_end=lr_end, power=power))


def inverse_sqrt(init_value: float, num_warmup_steps: int,
                 timescale: int | None = None) -> Schedule:
    """``get_inverse_sqrt_schedule``: warmup, then ``init_value * sqrt(tau / (k - W + tau))``.

    Formula: :class:`sched_core.InverseSqrt`.

    Args:
      init_value: the peak LR, ``>= 0``.
      num_warmup_steps: warmup length ``W >= 0``.
      timescale: ``tau >= 1`` (default ``W``, or 10 000 when ``W = 0``).

    Returns:
      An ``optax.Schedule``.

    Examples:
      >>> import optax_sched
      >>> s = optax_sched.inverse_sqrt(1.0, 4)
      >>> [round(float(s(k)), 4) for k in (0, 2, 4, 8, 12)]
      [0.0, 0.5, 1.0, 0.7071, 0.5774]
    """
    return from_core(hf.InverseSqrt(init_value=init_value, num_warmup_steps=num_warmup_steps,
                                    timescale=timescale))


def warmup_stable_decay(init_value: float, num_warmup_steps: Any, num_decay_steps: Any,
                        num_training_steps: int | None = None, num_stable_steps: Any = None,
                        warmup_type: str = "linear", decay_type: str = "cosine",
                        min_lr_ratio: float = 0.0, num_cycles: float = 0.5) -> Schedule:
    """Warmup-stable-decay (``get_wsd_schedule``; MiniCPM, 1-sqrt cooldown).

    Formula: :class:`sched_core.WarmupStableDecay`.

    Args:
      init_value: the stable LR, ``>= 0``.
      num_warmup_steps: warmup updates, or a fraction in (0, 1) of ``num_training_steps``.
      num_decay_steps: cooldown updates, or a fraction in (0, 1) of ``num_training_steps``.
      num_training_steps: the whole run (the stable stage fills what is left).
      num_stable_steps: the stable stage's length (instead of ``num_training_steps``).
      warmup_type: ``"linear"``, ``"cosine"`` or ``"1-sqrt"``.
      decay_type: ``"linear"``, ``"cosine"`` or ``"1-sqrt"``.
      min_lr_ratio: where the warmup starts and the cooldown ends, a fraction in [0, 1].
      num_cycles: cosine waves in the cooldown (0.5: one half-cosine).

    Returns:
      An ``optax.Schedule``.

    Examples:
      >>> import optax_sched
      >>> s = optax_sched.warmup_stable_decay(1.0, 0.1, 0.2, num_training_steps=20,
      ...                                     decay_type="linear")
      >>> [round(float(s(k)), 3) for k in (0, 1, 2, 15, 16, 18, 20)]
      [0.0, 0.5, 1.0, 1.0, 1.0, 0.5, 0.0]
    """
    return from_core(hf.WarmupStableDecay(
        init_value=init_value, num_warmup_steps=num_warmup_steps,
        num_decay_steps=num_decay_steps, num_training_steps=num_training_steps,
        num_stable_steps=num_stable_steps, warmup_type=warmup_type, decay_type=decay_type,
        min_lr_ratio=min_lr_ratio, num_cycles=num_cycles))
