"""Optax faces of timm's ``CosineLRScheduler`` and ``TanhLRScheduler``.

``schedule(k)`` is the LR timm's training loop gives update ``k`` (0-based): timm's scheduler
is constructed, ``step_update(num_updates=j)`` follows update ``j - 1`` and ``step(epoch=e)``
follows epoch ``e - 1``. timm's time is ``t = k`` with ``t_in_epochs=False`` and the epoch
``t = k // updates_per_epoch`` with ``t_in_epochs=True``; ``t = 0`` (never stepped) is what
timm's constructor writes (``base_lr``, or ``warmup_lr_init`` with a warmup), without noise.
Every time argument (``t_initial``, ``warmup_t``, ``noise_range_t``, ``noise_horizon``) is in
units of ``t``. timm's noise is reproduced exactly from ``noise_seed`` (tabulated on the host
at construction with numpy, see :func:`sched_core._timm.timm_noise`).

``base_lr``, ``lr_min`` and ``warmup_lr_init`` may be traced (sweeps under ``jax.vmap``).
"""

from __future__ import annotations

from typing import Any

from optax_sched._schedules import Schedule
from optax_sched._schedules import from_core
from sched_core._timm import TimmCosine
from sched_core._timm import TimmTanh

__all__ = ["timm_cosine", "timm_tanh"]


def timm_cosine(base_lr: float, t_initial: int, lr_min: float = 0.0, cycle_mul: float = 1.0,
                cycle_decay: float = 1.0, cycle_limit: int = 1, warmup_t: int = 0,
                warmup_lr_init: float = 0.0, warmup_prefix: bool = False,
                t_in_epochs: bool = True, noise_range_t: Any = None, noise_pct: float = 0.67,
                noise_std: float = 1.0, noise_seed: int = 42, k_decay: float = 1.0, *,
                noise_type: str = "normal", updates_per_epoch: int = 1,
                noise_horizon: int | None = None) -> Schedule:
    r"""timm ``CosineLRScheduler``: cosine cycles with k-decay, linear warmup and seeded noise.

    Formula: :class:`sched_core._timm.TimmCosine`. Arguments are timm's (same names, same
    order), with ``base_lr`` in place of the optimizer's LR.

    Args:
      base_lr: peak LR of the first cycle (timm's param group LR), ``>= 0``.
      t_initial: length of the first cycle in ``t`` units, ``>= 1``.
      lr_min: LR at the end of every cycle and after ``cycle_limit`` cycles, ``>= 0``.
      cycle_mul: cycle length multiplier, ``>= 1`` (may be a float; timm's float cycle index
        is reproduced exactly).
      cycle_decay: peak multiplier per cycle, ``> 0``.
      cycle_limit: number of cycles, ``>= 0``; after them the LR is ``lr_min``.
      warmup_t: linear warmup length in ``t`` units, ``>= 0``.
      warmup_lr_init: LR at ``t = 0`` of the warmup, ``>= 0``.
      warmup_prefix: the cycles start after the warmup (True) or under it (False, timm's
        default: the warmup replaces the first ``warmup_t`` values of the first cycle).
      t_in_epochs: timm's time counts epochs (``k // updates_per_epoch``) or updates (``k``).
      noise_range_t: None (no noise), a number ``a`` (noise for ``t >= a``) or a pair
        ``(a, b)`` (noise for ``a <= t < b``); real numbers as timm's factory makes them.
      noise_pct: noise bound (normal noise is redrawn until ``|noise| < noise_pct``).
      noise_std: standard deviation of normal noise.
      noise_seed: timm's seed; ``t`` draws with seed ``noise_seed + t``.
      k_decay: exponent ``kappa`` of ``cos(pi (tau / T_i) ** kappa)``, ``> 0``.
      noise_type: ``"normal"`` or ``"uniform"`` (timm's ``Scheduler.noise_type``; timm's
        ``CosineLRScheduler`` leaves it at ``"normal"`` unless the attribute is set).
      updates_per_epoch: optimizer updates per epoch, ``>= 1``; with ``t_in_epochs=True``
        timm's per-epoch value is held for this many updates. With ``t_in_epochs=False``
        it has no effect (timm's ``step(epoch)`` does nothing then).
      noise_horizon: first ``t`` without noise for an open-ended ``noise_range_t`` (timm
        draws noise forever; the table here is finite). May be left out when
        ``lr_min == 0``: the table then runs to the end of the last cycle, after which the
        LR is 0 and noise changes nothing.

    Returns:
      An ``optax.Schedule``.

    Examples:
      >>> import optax_sched
      >>> s = optax_sched.timm_cosine(1.0, t_initial=4, warmup_t=2, warmup_lr_init=0.1,
      ...                             warmup_prefix=True)
      >>> [round(float(s(k)), 4) for k in range(8)]
      [0.1, 0.55, 1.0, 0.8536, 0.5, 0.1464, 0.0, 0.0]
      >>> s = optax_sched.timm_cosine(1.0, t_initial=2, t_in_epochs=True, updates_per_epoch=3)
      >>> [round(float(s(k)), 4) for k in range(9)]
      [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.0, 0.0, 0.0]
    """
    return from_core(TimmCosine(
        base_lr=base_lr, t_initial=t_initial, lr_min=lr_min, cycle_mul=cycle_mul,
        cycle_decay=cycle_decay, cycle_limit=cycle_limit, warmup_t=warmup_t,
        warmup_lr_init=warmup_lr_init, warmup_prefix=warmup_prefix, t_in_epochs=t_in_epochs,
        noise_range_t=noise_range_t, noise_pct=noise_pct, noise_std=noise_std,
        noise_seed=noise_seed, k_decay=k_decay, noise_type=noise_type,
        updates_per_epoch=updates_per_epoch, noise_horizon=noise_horizon))


def timm_tanh(base_lr: float, t_initial: int, lb: float = -7.0, ub: float = 3.0,
              lr_min: float = 0.0, cycle_mul: float = 1.0, cycle_decay: float = 1.0,
              cycle_limit: int = 1, warmup_t: int = 0, warmup_lr_init: float = 0.0,
              warmup_prefix: bool = False, t_in_epochs: bool = True, noise_range_t: Any = None,
              noise_pct: float = 0.67, noise_std: float = 1.0, noise_seed: int = 42, *,
              noise_type: str = "normal", updates_per_epoch: int = 1,
              noise_horizon: int | None = None) -> Schedule:
    r"""timm ``TanhLRScheduler``: hyperbolic-tangent decay with restarts, warmup and noise.

    Formula: :class:`sched_core._timm.TimmTanh`. Arguments are timm's (same names, same
    order), with ``base_lr`` in place of the optimizer's LR; the shared ones mean what they
    mean in :func:`timm_cosine`.

    Args:
      base_lr: peak LR of the first cycle, ``>= 0``.
      t_initial: length of the first cycle in ``t`` units, ``>= 1``.
      lb: tanh argument at the start of a cycle (finite, ``< ub``).
      ub: tanh argument at the end of a cycle.
      lr_min: floor of every cycle and LR after ``cycle_limit`` cycles, ``>= 0``.
      cycle_mul: cycle length multiplier, ``>= 1``.
      cycle_decay: peak multiplier per cycle, ``> 0``.
      cycle_limit: number of cycles, ``>= 0``.
      warmup_t: linear warmup length in ``t`` units, ``>= 0``; without ``warmup_prefix`` it
        ends at the curve's value at ``t = warmup_t`` (timm's rule), with it at ``base_lr``.
      warmup_lr_init: LR at ``t = 0`` of the warmup, ``>= 0``.
      warmup_prefix: the cycles start after the warmup.
      t_in_epochs: timm's time counts epochs or updates.
      noise_range_t: None, a number or a pair, as in :func:`timm_cosine`.
      noise_pct: noise bound.
      noise_std: standard deviation of normal noise.
      noise_seed: timm's seed.
      noise_type: ``"normal"`` or ``"uniform"``.
      updates_per_epoch: optimizer updates per epoch (``t_in_epochs=True``).
      noise_horizon: first ``t`` without noise for an open-ended ``noise_range_t``.

    Returns:
      An ``optax.Schedule``.

    Examples:
      >>> import optax_sched
      >>> s = optax_sched.timm_tanh(1.0, t_initial=4, lb=-2.0, ub=2.0)
      >>> [round(float(s(k)), 4) for k in range(6)]
      [1.0, 0.8808, 0.5, 0.1192, 0.0, 0.0]
    """
    return from_core(TimmTanh(
        base_lr=base_lr, t_initial=t_initial, lb=lb, ub=ub, lr_min=lr_min,
        cycle_mul=cycle_mul, cycle_decay=cycle_decay, cycle_limit=cycle_limit,
        warmup_t=warmup_t, warmup_lr_init=warmup_lr_init, warmup_prefix=warmup_prefix,
        t_in_epochs=t_in_epochs, noise_range_t=noise_range_t, noise_pct=noise_pct,
        noise_std=noise_std, noise_seed=noise_seed, noise_type=noise_type,
        updates_per_epoch=updates_per_epoch, noise_horizon=noise_horizon))
