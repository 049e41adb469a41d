"""Deterministic schedules, written once against an explicit array namespace.

Each schedule is a frozen dataclass. Construction validates the arguments and
precomputes host constants in float64 (cycle tables, logarithms, phase ends).
Calling ``sched(xp, k, dtype)`` evaluates the value used by update ``k``
(0-based) with array namespace ``xp`` (``numpy`` or ``jax.numpy``) in float
dtype ``dtype``. ``k`` is an integer array; the step never meets a Python
``if``: discrete indices use integer arithmetic, floats appear last.

Cosine pieces use the cancellation-free form
``(1 + cos(pi * t / T)) / 2 == sin(pi/2 * (T - t) / T) ** 2``.
"""

from __future__ import annotations

import bisect
import dataclasses
import math
from collections.abc import Callable
from collections.abc import Sequence
from typing import Any
from typing import ClassVar
from typing import cast

import numpy as np

from sched_core import _validate as v

__all__ = [
    "COUNT_LIMIT",
    "Schedule",
    "StepLR",
    "MultiStepLR",
    "ExponentialLR",
    "ConstantLR",
    "LinearLR",
    "PolynomialLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "OneCycleLR",
    "OneCycleMomentum",
    "CyclicLR",
    "CyclicMomentum",
    "LambdaLR",
    "LinearWarmup",
    "ExponentialWarmup",
    "CosineWarmup",
    "WarmupWithDecay",
    "CosineDecay",
    "ExponentialCyclicLR",
    "ListSchedule",
    "RangeFinder",
    "OneCyclePolicyLR",
    "OneCyclePolicyMomentum",
    "restart_table",
]

#: Counts are int32 on the JAX side; every table is built up to this step.
COUNT_LIMIT = 2**31 - 1
#: Largest number of SGDR cycles a float ``T_mult`` may create below COUNT_LIMIT.
MAX_RESTART_TABLE = 100_000

_HALF_PI = 0.5 * math.pi
#: Periods whose double must still fit int32 (cosine half period, cyclic half cycles).
_HALF_LIMIT = COUNT_LIMIT // 2


def _f(xp, x, dtype):
    return xp.asarray(x, dtype=dtype)


def _sin2(xp, frac):
    """``sin(pi/2 * frac)**2 == (1 + cos(pi * (1 - frac))) / 2`` for ``frac`` in [0, 1].

    The sine form is used below 1/2 (full relative accuracy near 0, where
    ``1 + cos`` cancels); the cosine form from 1/2 on, where it has no
    cancellation, ``1 - frac`` is exact (Sterbenz) and 1/2 and 1 come out exactly.
    """
    if getattr(xp, "is_scalar", False):  # one Python float: evaluate one branch only
        if frac < 0.5:
            s = math.sin(_HALF_PI * frac)
            return s * s
        return 0.5 + 0.5 * math.cos(math.pi * (1 - frac))
    s = xp.sin(_HALF_PI * frac)
    return xp.where(frac < 0.5, s * s, 0.5 + 0.5 * xp.cos(math.pi * (1 - frac)))


def _exp_int(xp, log_base: float, n, dtype):
    """``base ** n`` for integer arrays ``n`` as ``exp(n * log(base))``.

    ``log(base)`` is taken once in float64 on the host, so a float32 evaluation
    does not amplify the rounding of ``base`` by ``n``.
    """
    return xp.exp(_f(xp, n, dtype) * log_base)


#: ``h * base**n`` is evaluated as ``h * exp(x)`` while ``x = n * log(base)`` is at most
#: this (exact as before for every decaying schedule); above it as ``exp(x + log h)``, so the
#: value is finite exactly while it is representable and +inf after, never NaN.
_POW_SPLIT = 60.0


def _mul_pow(xp, h, log_base: float, n, dtype):
    """``h * base ** n`` for ``h >= 0`` and integer arrays ``n``, overflow-safe.

    Growing schedules (``gamma > 1``) give the same finite values on every namespace
    while they are representable and ``+inf`` after (``0`` stays ``0``); Python's
    ``math.exp`` raising ``OverflowError`` is mapped to ``+inf`` too.
    """
    x = _f(xp, n, dtype) * log_base
    if getattr(xp, "is_scalar", False):
        if x <= _POW_SPLIT:
            return h * math.exp(x)
        if h == 0:
            return 0.0
        try:
            return math.exp(x + math.log(h))
        except OverflowError:
            return math.inf
    if log_base <= 0:  # host constant: a decay cannot overflow
        return h * xp.exp(x)
    small = h * xp.exp(xp.minimum(x, _POW_SPLIT))
    positive = h > 0
    big = xp.exp(x + xp.log(xp.where(positive, h, 1.0)))
    return xp.where(x <= _POW_SPLIT, small, xp.where(positive, big, 0.0 * small))


def _safe_div(xp, num, den, fallback):
    """``num / den`` where ``den != 0``, else ``fallback`` (no NaN either way)."""
    zero = den == 0
    return xp.where(zero, fallback, num / xp.where(zero, 1, den))


def _warmup_frac(xp, k, w, dtype):
    """``min(k + 1, w) / w`` without overflowing at the largest int32 count."""
    return _f(xp, xp.minimum(k, w - 1) + 1, dtype) / w


def _itable(xp, table, k):
    """An integer lookup table in ``k``'s integer dtype (a list on the scalar namespace)."""
    if getattr(xp, "is_scalar", False):
        return list(table)
    return xp.asarray(table, dtype=k.dtype)


def _lr(name, value):
    return v.check_lr(name, value)


class Schedule:
    """Base class: ``sched(xp, k, dtype) -> value used by update k``.

    Chainable schedules (torch's recursive classes) also describe themselves as
    ``v(k) = chain_floor + chain_span * unit(k)`` with ``unit(-1) = 1``; the composition
    rule in :mod:`sched_core._compose` carries other schedulers' changes through the
    ratios of ``unit`` exactly as torch's recursive forms do.
    """

    #: Names of the arguments that set the LR scale (per param group in torch).
    scale_args: tuple[str, ...] = ()
    #: How torch's class of the same name composes with other schedulers on one optimizer:
    #: ``"overwrite"`` (closed form from its bases: OneCycleLR, CyclicLR, SGDR, LambdaLR),
    #: ``"affine"`` (recursive: ``new - floor = (lr - floor) * unit(k) / unit(k-1)``, the
    #: change carried unchanged where ``unit(k-1) == 0``) or ``"reset"`` (affine, but a
    #: zero ``unit(k-1)`` restarts from the closed form: SWALR).
    chain_kind: str = "overwrite"

    def __call__(self, xp, k, dtype):  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def chain_floor(self) -> float:
        """The value the recursive form is affine around (0 for multiplicative families)."""
        return 0.0

    @property
    def chain_span(self) -> float:
        """``v(-1) - chain_floor``: the base the unit multiplies."""
        return float(getattr(self, self.scale_args[0]))

    def unit(self, xp, k, dtype):
        """``(v(k) - floor) / span``: the scale-free shape whose ratios torch multiplies by."""
        raise NotImplementedError(f"{type(self).__name__} is not chainable")

    def unit_ratio(self, xp, k, ref, dtype):
        """``unit(k) / unit(ref)``: the factor torch's recursion applies over updates
        ``ref + 1 .. k`` (1 where ``unit(ref) == 0``: the recursion then carries the value
        unchanged). Exponential families override it with the power of the exponent
        difference, exact in float32 where a quotient of two large powers is not."""
        den = self.unit(xp, ref, dtype)
        zero = den == 0
        return xp.where(zero, 1.0, self.unit(xp, k, dtype) / xp.where(zero, 1.0, den))

    def unit_before_start(self) -> float:
        """The unit torch divides by when update 0 is reached outside construction.

        1 (update 0 applies ``unit(0)``) for most classes; torch's ExponentialLR,
        PolynomialLR and CosineAnnealingLR evaluate their ratio formula at ``k = 0``, i.e.
        divide by ``unit(-1)``.
        """
        return 1.0

    def scaled(self, ratio: float) -> Schedule:
        """The same schedule with every LR-scale argument multiplied by ``ratio``."""
        if not self.scale_args:
            return self
        return dataclasses.replace(  # type: ignore[type-var]  # subclasses are dataclasses
            self, **{a: getattr(self, a) * ratio for a in self.scale_args})


def _set(obj, name, value):
    object.__setattr__(obj, name, value)


# --------------------------------------------------------------------------- torch built-ins


@dataclasses.dataclass(frozen=True, kw_only=True)
class StepLR(Schedule):
    r"""Step decay: ``init_value`` multiplied by ``gamma`` every ``step_size`` updates.

    .. math::

       v(k) = v_0 \, \gamma^{\lfloor k / s \rfloor}

    with ``v_0 = init_value``, ``gamma`` and ``s = step_size``. A growing ``gamma > 1``
    gives finite values while they are representable and ``+inf`` after (torch raises
    ``OverflowError`` there).

    References:
      PyTorch ``torch.optim.lr_scheduler.StepLR``.

    Example:
      >>> from sched_core import SCALAR
      >>> s = StepLR(init_value=1.0, step_size=2, gamma=0.5)
      >>> [round(s(SCALAR, k, float), 4) for k in range(6)]
      [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    """

    init_value: float
    step_size: int
    gamma: float = 0.1
    scale_args = ("init_value",)

    def __post_init__(self):
        _set(self, "init_value", _lr("init_value", self.init_value))
        _set(self, "step_size", v.check_int("step_size", self.step_size, min_value=1))
        _set(self, "gamma", v.check_float("gamma", self.gamma, lo=0.0, lo_open=True))

    chain_kind = "affine"

    def __call__(self, xp, k, dtype):
        return _mul_pow(xp, self.init_value, math.log(self.gamma), k // self.step_size, dtype)

    def unit(self, xp, k, dtype):
        """``gamma ** (k // step_size)``."""
        return _mul_pow(xp, 1.0, math.log(self.gamma), k // self.step_size, dtype)

    def unit_ratio(self, xp, k, ref, dtype):
        """``gamma ** (k // step_size - ref // step_size)``."""
        return _mul_pow(xp, 1.0, math.log(self.gamma),
                        k // self.step_size - ref // self.step_size, dtype)


@dataclasses.dataclass(frozen=True, kw_only=True)
class MultiStepLR(Schedule):
    r"""Milestone decay: ``init_value`` multiplied by ``gamma`` at every milestone.

    .. math::

       v(k) = v_0 \, \gamma^{\#\{i \,:\, m_i \le k\}}

    with ``v_0 = init_value`` and ``m_i`` the entries of ``milestones``. As torch's
    ``Counter``, the milestones may come in any order (they are stored sorted), may be
    empty, a repeated milestone counts twice and a milestone ``0`` applies from update 0.

    References:
      PyTorch ``torch.optim.lr_scheduler.MultiStepLR``.

    Example:
      >>> from sched_core import SCALAR
      >>> s = MultiStepLR(init_value=1.0, milestones=[2, 4, 4], gamma=0.5)
      >>> [round(s(SCALAR, k, float), 4) for k in range(6)]
      [1.0, 1.0, 0.5, 0.5, 0.125, 0.125]
    """

    init_value: float
    milestones: Sequence[int]
    gamma: float = 0.1
    scale_args = ("init_value",)

    def __post_init__(self):
        _set(self, "init_value", _lr("init_value", self.init_value))
        # torch keeps a Counter: any iterable, any order, repeats and 0 allowed
        _set(self, "milestones", v.check_milestones("milestones", self.milestones, strict=False,
                                                    sort=True, min_value=0, allow_empty=True))
        _set(self, "gamma", v.check_float("gamma", self.gamma, lo=0.0, lo_open=True))

    chain_kind = "affine"

    def __call__(self, xp, k, dtype):
        return _mul_pow(xp, self.init_value, math.log(self.gamma), self._count(xp, k), dtype)

    def _count(self, xp, k):
        return xp.searchsorted(_itable(xp, self.milestones, k), k, side="right")

    def unit(self, xp, k, dtype):
        """``gamma ** #{m <= k}``."""
        return _mul_pow(xp, 1.0, math.log(self.gamma), self._count(xp, k), dtype)

    def unit_ratio(self, xp, k, ref, dtype):
        """``gamma ** #{ref < m <= k}``."""
        return _mul_pow(xp, 1.0, math.log(self.gamma),
                        self._count(xp, k) - self._count(xp, ref), dtype)


@dataclasses.dataclass(frozen=True, kw_only=True)
class ExponentialLR(Schedule):
    r"""Exponential decay: ``init_value`` multiplied by ``gamma`` at every update.

    .. math::

       v(k) = v_0 \, \gamma^{k}

    with ``v_0 = init_value``; ``gamma ** k`` is evaluated as ``exp(k * log(gamma))`` with
    ``log(gamma)`` taken in float64 on the host. A growing ``gamma > 1`` gives finite values
    while they are representable and ``+inf`` after.

    References:
      PyTorch ``torch.optim.lr_scheduler.ExponentialLR``.

    Example:
      >>> from sched_core import SCALAR
      >>> s = ExponentialLR(init_value=1.0, gamma=0.5)
      >>> [round(s(SCALAR, k, float), 4) for k in range(4)]
      [1.0, 0.5, 0.25, 0.125]
    """

    init_value: float
    gamma: float
    scale_args = ("init_value",)

    def __post_init__(self):
        _set(self, "init_value", _lr("init_value", self.init_value))
        _set(self, "gamma", v.check_float("gamma", self.gamma, lo=0.0, lo_open=True))

    chain_kind = "affine"

    def __call__(self, xp, k, dtype):
        return _mul_pow(xp, self.init_value, math.log(self.gamma), k, dtype)

    def unit_before_start(self) -> float:
        """torch's ratio formula at update 0 divides by ``unit(-1)``."""
        from sched_core._scalar import SCALAR
        return self.unit(SCALAR, -1, float)

    def unit(self, xp, k, dtype):
        """``gamma ** k``."""
        return _mul_pow(xp, 1.0, math.log(self.gamma), k, dtype)

    def unit_ratio(self, xp, k, ref, dtype):
        """``gamma ** (k - ref)``."""
        return _mul_pow(xp, 1.0, math.log(self.gamma), k - ref, dtype)


@dataclasses.dataclass(frozen=True, kw_only=True)
class ConstantLR(Schedule):
    r"""``init_value`` scaled by ``factor`` for the first ``total_iters`` updates, then unscaled.

    .. math::

       v(k) = \begin{cases} v_0 f & k < T \\ v_0 & k \ge T \end{cases}

    with ``v_0 = init_value``, ``f = factor`` (in ``[0, 1]``) and ``T = total_iters``.
    With ``factor = 0`` the value is ``init_value`` from ``total_iters`` on (torch's
    recursion raises ``ZeroDivisionError`` there).

    References:
      PyTorch ``torch.optim.lr_scheduler.ConstantLR``.

    Example:
      >>> from sched_core import SCALAR
      >>> s = ConstantLR(init_value=1.0, factor=0.5, total_iters=2)
      >>> [round(s(SCALAR, k, float), 4) for k in range(4)]
      [0.5, 0.5, 1.0, 1.0]
    """

    init_value: float
    factor: float = 1.0 / 3
    total_iters: int = 5
    scale_args = ("init_value",)

    def __post_init__(self):
        _set(self, "init_value", _lr("init_value", self.init_value))
        _set(self, "factor", v.check_float("factor", self.factor, lo=0.0, hi=1.0))
        _set(self, "total_iters", v.check_int("total_iters", self.total_iters, min_value=1))

    chain_kind = "affine"

    def __call__(self, xp, k, dtype):
        return self.init_value * self.unit(xp, k, dtype)

    def unit(self, xp, k, dtype):
        """``factor`` for ``k < total_iters``, then 1."""
        return xp.where(k < self.total_iters, _f(xp, self.factor, dtype), _f(xp, 1.0, dtype))


@dataclasses.dataclass(frozen=True, kw_only=True)
class LinearLR(Schedule):
    r"""``init_value`` times a factor moving linearly from ``start_factor`` to ``end_factor``.

    .. math::

       v(k) = v_0 \left(s + (e - s)\,\frac{\min(k, T)}{T}\right)
            = v_0 \left(e + (s - e)\,\frac{T - \min(k, T)}{T}\right)

    with ``v_0 = init_value``, ``s = start_factor``, ``e = end_factor`` and
    ``T = total_iters``; the second form (interpolated from the end, so the end value is
    exact) is the one evaluated.

    References:
      PyTorch ``torch.optim.lr_scheduler.LinearLR``.

    Example:
      >>> from sched_core import SCALAR
      >>> s = LinearLR(init_value=1.0, start_factor=0.25, total_iters=3)
      >>> [round(s(SCALAR, k, float), 4) for k in range(5)]
      [0.25, 0.5, 0.75, 1.0, 1.0]
    """

    init_value: float
    start_factor: float = 1.0 / 3
    end_factor: float = 1.0
    total_iters: int = 5
    scale_args = ("init_value",)

    def __post_init__(self):
        _set(self, "init_value", _lr("init_value", self.init_value))
        _set(self, "start_factor", v.check_float("start_factor", self.start_factor, lo=0.0,
                                                 hi=1.0, lo_open=True))
        _set(self, "end_factor", v.check_float("end_factor", self.end_factor, lo=0.0, hi=1.0))
        _set(self, "total_iters", v.check_int("total_iters", self.total_iters, min_value=1))

    chain_kind = "affine"

    def __call__(self, xp, k, dtype):
        return self.init_value * self.unit(xp, k, dtype)

    def unit(self, xp, k, dtype):
        """The factor ``s + (e - s) * min(k, T) / T``."""
        # Interpolate from the end with the integer remainder: the end value is exact
        # (0 * x == 0) even when XLA turns the division into a reciprocal and an FMA.
        rem = _f(xp, self.total_iters - xp.minimum(k, self.total_iters), dtype) / self.total_iters
        return self.end_factor + (self.start_factor - self.end_factor) * rem


@dataclasses.dataclass(frozen=True, kw_only=True)
class PolynomialLR(Schedule):
    r"""Polynomial decay from ``init_value`` to 0 at update ``total_iters``, then 0.

    .. math::

       v(k) = v_0 \left(\frac{T - \min(k, T)}{T}\right)^{p}

    with ``v_0 = init_value``, ``T = total_iters`` and ``p = power``; ``power = 0`` gives
    the constant ``v_0`` (torch's ``0.0 ** 0 == 1``).

    References:
      PyTorch ``torch.optim.lr_scheduler.PolynomialLR``.

    Example:
      >>> from sched_core import SCALAR
      >>> s = PolynomialLR(init_value=1.0, total_iters=4, power=2.0)
      >>> [round(s(SCALAR, k, float), 4) for k in range(6)]
      [1.0, 0.5625, 0.25, 0.0625, 0.0, 0.0]
    """

    init_value: float
    total_iters: int = 5
    power: float = 1.0
    scale_args = ("init_value",)

    def __post_init__(self):
        _set(self, "init_value", _lr("init_value", self.init_value))
        _set(self, "total_iters", v.check_int("total_iters", self.total_iters, min_value=1))
        _set(self, "power", v.check_float("power", self.power, lo=0.0))

    chain_kind = "affine"

    def __call__(self, xp, k, dtype):
        return self.init_value * self.unit(xp, k, dtype)

    def unit_before_start(self) -> float:
        """torch's ratio formula at update 0 divides by ``unit(-1)``."""
        from sched_core._scalar import SCALAR
        return self.unit(SCALAR, -1, float)

    def unit(self, xp, k, dtype):
        """``((T - min(k, T)) / T) ** power``."""
        rem = _f(xp, self.total_iters - xp.minimum(k, self.total_iters), dtype) / self.total_iters
        if self.power == 0:  # torch: 0.0 ** 0 == 1, constant
            return xp.ones_like(rem)
        # 0 ** p == 0 for every p > 0, also when p underflows in float32
        return xp.where(rem == 0, 0.0, rem ** self.power)


@dataclasses.dataclass(frozen=True, kw_only=True)
class CosineAnnealingLR(Schedule):
    r"""torch's periodic cosine: down to ``eta_min`` at ``T_max``, back up, period ``2 T_max``.

    .. math::

       v(k) = \eta_{min} + (v_0 - \eta_{min})\,\frac{1 + \cos(\pi k / T)}{2}
            = \eta_{min} + (v_0 - \eta_{min})
              \sin^2\!\left(\frac{\pi}{2}\,\frac{T - r}{T}\right),
       \qquad r = \min(k \bmod 2T,\ 2T - k \bmod 2T)

    with ``v_0 = init_value``, ``eta_min`` and ``T = T_max``. The reflection ``r`` (integer
    arithmetic) maps every update into ``[0, T]``; the second, cancellation-free form is the
    one evaluated. Unlike ``optax.cosine_decay_schedule`` it does not hold after ``T_max``:
    it continues torch's recursive form, which goes back up.

    References:
      PyTorch ``torch.optim.lr_scheduler.CosineAnnealingLR``.

      Loshchilov & Hutter, `SGDR: Stochastic Gradient Descent with Warm Restarts
      <https://arxiv.org/abs/1608.03983>`_, 2017

    Example:
      >>> from sched_core import SCALAR
      >>> s = CosineAnnealingLR(init_value=1.0, T_max=4, eta_min=0.2)
      >>> [round(s(SCALAR, k, float), 4) for k in range(10)]
      [1.0, 0.8828, 0.6, 0.3172, 0.2, 0.3172, 0.6, 0.8828, 1.0, 0.8828]
    """

    init_value: float
    T_max: int
    eta_min: float = 0.0
    scale_args = ("init_value",)

    def __post_init__(self):
        _set(self, "init_value", _lr("init_value", self.init_value))
        _set(self, "T_max", v.check_int("T_max", self.T_max, min_value=1, max_value=_HALF_LIMIT))
        _set(self, "eta_min", _lr("eta_min", self.eta_min))

    chain_kind = "affine"

    @property
    def chain_floor(self) -> float:
        """torch's recursion is affine around ``eta_min``."""
        return float(self.eta_min)

    @property
    def chain_span(self) -> float:
        """``init_value - eta_min``."""
        return float(self.init_value - self.eta_min)

    def __call__(self, xp, k, dtype):
        return self.eta_min + (self.init_value - self.eta_min) * self.unit(xp, k, dtype)

    def unit_before_start(self) -> float:
        """torch's ratio formula at update 0 divides by ``unit(-1)``."""
        from sched_core._scalar import SCALAR
        return self.unit(SCALAR, -1, float)

    def unit(self, xp, k, dtype):
        """``(1 + cos(pi k / T_max)) / 2`` (0 at the troughs ``k = T_max (mod 2 T_max)``)."""
        t = self.T_max
        r = k % (2 * t)
        r = xp.minimum(r, 2 * t - r)  # reflection: cos(pi r / T) is even about T
        frac = _f(xp, t - r, dtype) / t
        return _sin2(xp, frac)


def restart_table(T_0: int, T_mult: float, limit: int = COUNT_LIMIT):
    """Cycle starts and lengths of SGDR up to step ``limit`` (int64 arrays).

    Cycle ``i`` has length ``T_0 * T_mult**i``, exactly for integral ``T_mult``
    and ``floor(T_0 * T_mult**i + 0.5)`` (round half up, float64) otherwise.
    Lengths are capped at ``limit`` so they fit int32.
    """
    integral = float(T_mult).is_integer()
    starts, lengths = [0], []
    i = 0
    while True:
        if integral:
            length = T_0 * int(T_mult) ** i
        else:
            length = int(math.floor(T_0 * float(T_mult) ** i + 0.5))
        lengths.append(min(length, limit))
        nxt = starts[-1] + length
        if nxt > limit:
            break
        starts.append(nxt)
        i += 1
        if i >= MAX_RESTART_TABLE:
            raise ValueError(
                f"T_mult={T_mult} with T_0={T_0} needs more than {MAX_RESTART_TABLE} cycles "
                f"below step {limit}; use T_mult = 1 or a T_mult further from 1")
    return np.asarray(starts, dtype=np.int64), np.asarray(lengths, dtype=np.int64)


@dataclasses.dataclass(frozen=True, kw_only=True)
class CosineAnnealingWarmRestarts(Schedule):
    r"""SGDR: torch's warm restarts, plus per-cycle peak decay and a global warmup.

    .. math::

       v(k) = w(k) \left[\eta_{min} + (v_0 d^{c} - \eta_{min})\,
              \frac{1 + \cos(\pi \tau / T_c)}{2}\right],
       \qquad w(k) = \begin{cases} \min(k + 1, W) / W & W > 0 \\ 1 & W = 0 \end{cases}

    with ``v_0 = init_value``, ``eta_min``, ``d = decay`` and ``W = warmup_steps``. Update
    ``k`` lies in cycle ``c`` (0-based), which starts at update ``S_c`` and has length
    ``T_c = T_0 * T_mult ** c`` (exact integers for an integral ``T_mult``,
    ``floor(T_0 * T_mult ** c + 0.5)`` for a float one), and ``tau = k - S_c``. Cycles are
    looked up in an integer table (:func:`restart_table`), never with a float logarithm;
    the cosine is evaluated as ``sin(pi/2 * (T_c - tau) / T_c) ** 2``. The warmup multiplies
    the first ``W`` updates only (it is not repeated at restarts). With ``decay = 1`` and
    ``warmup_steps = 0`` this is torch's class.

    References:
      Loshchilov & Hutter, `SGDR: Stochastic Gradient Descent with Warm Restarts
      <https://arxiv.org/abs/1608.03983>`_, 2017

      PyTorch ``torch.optim.lr_scheduler.CosineAnnealingWarmRestarts``.

      Peak decay and global warmup: repository
      ``qu-gg/pytorch-cosine-annealing-with-decay-and-initial-warmup`` (reference design
      "cosine-warm-restarts-decay-warmup"); its warmup is replaced by this library's
      ``(k + 1) / W`` convention.

    Example:
      >>> from sched_core import SCALAR
      >>> s = CosineAnnealingWarmRestarts(init_value=1.0, T_0=2, T_mult=2)
      >>> [round(s(SCALAR, k, float), 4) for k in range(8)]
      [1.0, 0.5, 1.0, 0.8536, 0.5, 0.1464, 1.0, 0.9619]
      >>> s = CosineAnnealingWarmRestarts(init_value=1.0, T_0=2, decay=0.5, warmup_steps=2)
      >>> [round(s(SCALAR, k, float), 4) for k in range(6)]
      [0.5, 0.5, 0.5, 0.25, 0.25, 0.125]
    """

    init_value: float
    T_0: int
    T_mult: float = 1
    eta_min: float = 0.0
    decay: float = 1.0
    warmup_steps: int = 0
    scale_args = ("init_value",)
    # host tables set in __post_init__ (ClassVar: not dataclass fields)
    _starts: ClassVar[tuple[int, ...] | None]
    _lengths: ClassVar[tuple[int, ...] | None]

    def __post_init__(self):
        _set(self, "init_value", _lr("init_value", self.init_value))
        _set(self, "T_0", v.check_int("T_0", self.T_0, min_value=1))
        t_mult = v.check_float("T_mult", self.T_mult, lo=1.0)
        _set(self, "T_mult", int(t_mult) if t_mult.is_integer() else t_mult)
        _set(self, "eta_min", _lr("eta_min", self.eta_min))
        _set(self, "decay", v.check_float("decay", self.decay, lo=0.0, hi=1.0, lo_open=True))
        _set(self, "warmup_steps", v.check_int("warmup_steps", self.warmup_steps, min_value=0))
        if self.T_mult != 1:
            starts, lengths = (tuple(a.tolist()) for a in restart_table(self.T_0, self.T_mult))
        else:
            starts = lengths = None
        _set(self, "_starts", starts)
        _set(self, "_lengths", lengths)

    def position(self, xp, k):
        """``(cycle, T_cur, T_i)`` of update ``k``: torch's state, from integers only."""
        if self._starts is None:  # host constant: equal cycles, pure integer arithmetic
            return k // self.T_0, k % self.T_0, self.T_0
        starts = _itable(xp, self._starts, k)
        c = xp.searchsorted(starts, k, side="right") - 1
        return c, k - starts[c], _itable(xp, self._lengths, k)[c]

    def cycle(self, c: int) -> tuple[int, int]:
        """``(start, length)`` of cycle ``c`` (host integers)."""
        if self._starts is None:
            return c * self.T_0, self.T_0
        return self._starts[c], cast(tuple[int, ...], self._lengths)[c]

    def __call__(self, xp, k, dtype):
        c, tau, length = self.position(xp, k)
        return self.at(xp, c, tau, length, k, dtype)

    def at(self, xp, c, tau, length, k, dtype):
        """The value at ``T_cur = tau`` of cycle ``c`` (length ``T_i``), global update ``k``.

        ``tau`` may be fractional (torch's ``step(epoch + i / iters)``); the warmup uses ``k``.
        """
        frac = _f(xp, length - tau, dtype) / _f(xp, length, dtype)
        peak = self.init_value * _exp_int(xp, math.log(self.decay), c, dtype)
        out = self.eta_min + (peak - self.eta_min) * _sin2(xp, frac)
        if self.warmup_steps > 0:
            out = out * _warmup_frac(xp, k, self.warmup_steps, dtype)
        return out


def _phase_table(ends, values):
    """Tables of torch OneCycleLR's phases: thresholds, ends, values, lengths.

    Host floats, except traced values (a traced ``max_lr``), which are kept as they are.
    """
    starts = [0.0] + list(ends[:-1])

    def host(x):
        return x if v.is_traced(x) else float(x)

    return (tuple(math.floor(e) for e in ends[:-1]), tuple(float(e) for e in ends),
            tuple(host(a) for a, _ in values), tuple(host(b) for _, b in values),
            tuple(b - a for a, b in zip(starts, ends)))


def _phased(xp, k, dtype, table, strategy):
    """torch OneCycleLR's phase walk: first phase with ``k <= end`` (else last).

    ``table`` comes from :func:`_phase_table`. Zero-length phases evaluate to their end
    value (torch divides by zero there).
    """
    thresholds, ends, v0s, v1s, dens = table
    if getattr(xp, "is_scalar", False):  # one Python step: plain indexing, same arithmetic
        p = bisect.bisect_left(thresholds, k)  # == number of thresholds below k (sorted)
        e, v0, v1, den = ends[p], v0s[p], v1s[p], dens[p]
        rem = (e - float(k)) / den if den != 0 else 0.0
        if strategy == "cos":
            return v1 + (v0 - v1) * _sin2(xp, rem)
        return v1 + (v0 - v1) * rem
    else:
        p = xp.zeros_like(k)
        for t in thresholds:
            p = p + xp.where(k > t, 1, 0)
        e = xp.asarray(ends, dtype=dtype)[p]
        v0 = xp.asarray(v0s, dtype=dtype)[p]
        v1 = xp.asarray(v1s, dtype=dtype)[p]
        den = xp.asarray(dens, dtype=dtype)[p]
    kf = _f(xp, k, dtype)
    # Interpolate from the phase end, (e - k)/(e - s): the last phase ends at the integer
    # N - 1, so the smallest values (the final LR) carry no rounding from the float start.
    rem = _safe_div(xp, e - kf, den, 0.0)
    if strategy == "cos":
        return v1 + (v0 - v1) * _sin2(xp, rem)
    return v1 + (v0 - v1) * rem


def _one_cycle_ends(total_steps, pct_start, three_phase):
    if three_phase:
        return [float(pct_start * total_steps) - 1, float(2 * pct_start * total_steps) - 2,
                float(total_steps - 1)]
    return [float(pct_start * total_steps) - 1, float(total_steps - 1)]


def _check_one_cycle(obj):
    _set(obj, "total_steps", v.check_int("total_steps", obj.total_steps, min_value=2))
    _set(obj, "pct_start", v.check_float("pct_start", obj.pct_start, lo=0.0, hi=1.0,
                                         lo_open=True, hi_open=True))
    v.check_choice("anneal_strategy", obj.anneal_strategy, ("cos", "linear"))
    _set(obj, "three_phase", v.check_bool("three_phase", obj.three_phase))
    if obj.three_phase and obj.pct_start > 0.5:
        raise ValueError(
            f"pct_start must be in (0, 0.5] when three_phase=True, got {obj.pct_start}")


@dataclasses.dataclass(frozen=True, kw_only=True)
class OneCycleLR(Schedule):
    r"""torch's OneCycleLR for ``k < total_steps``; holds the final value after.

    .. math::

       v(k) = \begin{cases}
         b_i + (a_i - b_i)\,\dfrac{1 + \cos\left(\pi \frac{\kappa - e_{i-1}}
           {e_i - e_{i-1}}\right)}{2} & \text{(cos)} \\[2ex]
         a_i + (b_i - a_i)\,\dfrac{\kappa - e_{i-1}}{e_i - e_{i-1}}
           & \text{(linear)}
       \end{cases}

    by ``anneal_strategy``, with ``kappa = min(k, N - 1)``, ``N = total_steps``, and phase
    ``i`` the first whose end satisfies ``kappa <= e_i`` (``e_{-1} = 0``). The phase ends
    are torch's floats, with
    ``p = pct_start``: ``e_0 = p N - 1``, ``e_1 = N - 1``, or with ``three_phase``
    ``e_0 = p N - 1``, ``e_1 = 2 p N - 2``, ``e_2 = N - 1``. With
    ``v_init = max_lr / div_factor`` and ``v_min = v_init / final_div_factor`` the phases run
    ``(a_i -> b_i)`` = ``(v_init -> max_lr)``, ``(max_lr -> v_min)``, or with
    ``three_phase`` ``(v_init -> max_lr)``, ``(max_lr -> v_init)``, ``(v_init -> v_min)``.
    Both forms are evaluated from the phase end, ``(e_i - kappa) / (e_i - e_{i-1})`` (the
    cosine as ``sin^2``), and a zero-length phase gives its end value ``b_i`` (torch divides
    by zero there). torch raises after ``total_steps`` updates; this schedule holds
    ``v(N - 1)``.

    References:
      Smith & Topin, `Super-Convergence: Very Fast Training of Neural Networks Using Large
      Learning Rates <https://arxiv.org/abs/1708.07120>`_, 2018

      Smith, `A disciplined approach to neural network hyper-parameters: Part 1 -- learning
      rate, batch size, momentum, and weight decay <https://arxiv.org/abs/1803.09820>`_, 2018

      PyTorch ``torch.optim.lr_scheduler.OneCycleLR``.

    Example:
      >>> from sched_core import SCALAR
      >>> s = OneCycleLR(max_lr=1.0, total_steps=6, pct_start=0.5, div_factor=4.0,
      ...                final_div_factor=25.0)
      >>> [round(s(SCALAR, k, float), 4) for k in range(7)]
      [0.25, 0.625, 1.0, 0.7525, 0.2575, 0.01, 0.01]
    """

    max_lr: float
    total_steps: int
    pct_start: float = 0.3
    anneal_strategy: str = "cos"
    div_factor: float = 25.0
    final_div_factor: float = 1e4
    three_phase: bool = False
    scale_args = ("max_lr",)

    def __post_init__(self):
        _set(self, "max_lr", _lr("max_lr", self.max_lr))
        _check_one_cycle(self)
        _set(self, "div_factor", v.check_float("div_factor", self.div_factor, lo=0.0,
                                               lo_open=True))
        _set(self, "final_div_factor", v.check_float("final_div_factor", self.final_div_factor,
                                                     lo=0.0, lo_open=True))
        if not v.is_traced(self.max_lr):
            _set(self, "_table", self._phases())

    def _phases(self):
        """The phase table (built inside the trace when ``max_lr`` is traced)."""
        initial = self.max_lr / self.div_factor
        low = initial / self.final_div_factor
        m = self.max_lr
        vals = ([(initial, m), (m, initial), (initial, low)] if self.three_phase
                else [(initial, m), (m, low)])
        return _phase_table(_one_cycle_ends(self.total_steps, self.pct_start, self.three_phase),
                            vals)

    def __call__(self, xp, k, dtype):
        table = getattr(self, "_table", None)
        if table is None:  # traced max_lr: build the value table inside the trace
            table = self._phases()
        return _phased(xp, xp.minimum(k, self.total_steps - 1), dtype, table,
                       self.anneal_strategy)


@dataclasses.dataclass(frozen=True, kw_only=True)
class OneCycleMomentum(Schedule):
    r"""Momentum of torch's OneCycleLR (inverse to the LR); holds after the end.

    .. math::

       v(k) = \begin{cases}
         b_i + (a_i - b_i)\,\dfrac{1 + \cos\left(\pi \frac{\kappa - e_{i-1}}
           {e_i - e_{i-1}}\right)}{2} & \text{(cos)} \\[2ex]
         a_i + (b_i - a_i)\,\dfrac{\kappa - e_{i-1}}{e_i - e_{i-1}}
           & \text{(linear)}
       \end{cases}

    by ``anneal_strategy``, with the phases ``e_i`` and ``kappa = min(k, total_steps - 1)``
    of :class:`OneCycleLR` (same ``total_steps``, ``pct_start`` and ``three_phase``) and the
    values
    ``(a_i -> b_i)`` = ``(max_momentum -> base_momentum)``,
    ``(base_momentum -> max_momentum)``, plus ``(max_momentum -> max_momentum)`` with
    ``three_phase``: the momentum is lowest where the LR peaks.

    References:
      Smith, `A disciplined approach to neural network hyper-parameters: Part 1 -- learning
      rate, batch size, momentum, and weight decay <https://arxiv.org/abs/1803.09820>`_, 2018

      PyTorch ``torch.optim.lr_scheduler.OneCycleLR`` (``cycle_momentum=True``).

    Example:
      >>> from sched_core import SCALAR
      >>> s = OneCycleMomentum(total_steps=6, pct_start=0.5)
      >>> [round(s(SCALAR, k, float), 4) for k in range(7)]
      [0.95, 0.9, 0.85, 0.875, 0.925, 0.95, 0.95]
    """

    total_steps: int
    base_momentum: float = 0.85
    max_momentum: float = 0.95
    pct_start: float = 0.3
    anneal_strategy: str = "cos"
    three_phase: bool = False

    def __post_init__(self):
        _check_one_cycle(self)
        # torch's classes accept any momentum (its own tests use 1 and 22): finite, >= 0
        _set(self, "base_momentum", v.check_float("base_momentum", self.base_momentum, lo=0.0))
        _set(self, "max_momentum", v.check_float("max_momentum", self.max_momentum, lo=0.0))
        lo, hi = self.base_momentum, self.max_momentum
        vals = [(hi, lo), (lo, hi), (hi, hi)] if self.three_phase else [(hi, lo), (lo, hi)]
        _set(self, "_table", _phase_table(
            _one_cycle_ends(self.total_steps, self.pct_start, self.three_phase), vals))

    def __call__(self, xp, k, dtype):
        return _phased(xp, xp.minimum(k, self.total_steps - 1), dtype, self._table,
                       self.anneal_strategy)


_CYCLIC_MODES = ("triangular", "triangular2", "exp_range")


def _check_cyclic(obj):
    _set(obj, "step_size_up", v.check_int("step_size_up", obj.step_size_up, min_value=1,
                                          max_value=_HALF_LIMIT))
    down = obj.step_size_up if obj.step_size_down is None else obj.step_size_down
    _set(obj, "step_size_down", v.check_int("step_size_down", down, min_value=1,
                                            max_value=_HALF_LIMIT))
    _set(obj, "gamma", v.check_float("gamma", obj.gamma, lo=0.0, lo_open=True))
    v.check_choice("scale_mode", obj.scale_mode, ("cycle", "iterations"))
    if obj.scale_fn is None:
        v.check_choice("mode", obj.mode, _CYCLIC_MODES)
    elif not callable(obj.scale_fn):
        raise TypeError(f"scale_fn must be callable or None, got {obj.scale_fn!r}")


def _cyclic_shape(obj, xp, k, dtype, height=1.0):
    """Returns ``height * scale_factor * scale_fn(.)`` of torch's CyclicLR.

    ``height`` (``max - base``) enters the power for ``exp_range`` so a growing ``gamma``
    stays finite exactly while the product is representable.
    """
    up, down = obj.step_size_up, obj.step_size_down
    total = up + down
    cycle = k // total + 1
    pos = k % total
    sf = xp.where(pos <= up, _f(xp, pos, dtype) / up, _f(xp, total - pos, dtype) / down)
    if obj.scale_fn is not None:
        arg = cycle if obj.scale_mode == "cycle" else k
        scale = obj.scale_fn(_f(xp, arg, dtype))
    elif obj.mode == "triangular":
        scale = 1.0
    elif obj.mode == "triangular2":
        scale = xp.exp2(-_f(xp, cycle - 1, dtype))
    else:  # exp_range, scale_mode "iterations": sf * gamma**k, +inf (not NaN) past overflow
        return _mul_pow(xp, height * sf, math.log(obj.gamma), k, dtype)
    return height * (sf * scale)


@dataclasses.dataclass(frozen=True, kw_only=True)
class CyclicLR(Schedule):
    r"""torch's CyclicLR (triangular, triangular2, exp_range or a custom scale_fn).

    .. math::

       v(k) = \eta_b + (\eta_m - \eta_b)\, x(k)\, \sigma(k), \qquad
       x(k) = \begin{cases} p / U & p \le U \\ (U + D - p) / D & p > U \end{cases}

    with ``eta_b = base_lr``, ``eta_m = max_lr``, ``U = step_size_up``,
    ``D = step_size_down`` (default ``U``), position ``p = k mod (U + D)`` and cycle
    ``c = k // (U + D) + 1``. The scale ``sigma`` is 1 (``mode="triangular"``),
    ``2 ** -(c - 1)`` (``"triangular2"``) or ``gamma ** k`` (``"exp_range"``); with a
    ``scale_fn`` it is ``scale_fn(c)`` (``scale_mode="cycle"``) or ``scale_fn(k)``
    (``"iterations"``), called with a float array, and ``mode`` is ignored. As in torch,
    ``scale_mode`` is ignored unless ``scale_fn`` is given.

    References:
      Smith, `Cyclical Learning Rates for Training Neural Networks
      <https://arxiv.org/abs/1506.01186>`_, 2017

      PyTorch ``torch.optim.lr_scheduler.CyclicLR``.

    Example:
      >>> from sched_core import SCALAR
      >>> s = CyclicLR(base_lr=0.1, max_lr=1.0, step_size_up=2, mode="triangular2")
      >>> [round(s(SCALAR, k, float), 4) for k in range(9)]
      [0.1, 0.55, 1.0, 0.55, 0.1, 0.325, 0.55, 0.325, 0.1]
    """

    base_lr: float
    max_lr: float
    step_size_up: int = 2000
    step_size_down: int | None = None
    mode: str = "triangular"
    gamma: float = 1.0
    scale_fn: Callable[[Any], Any] | None = dataclasses.field(default=None, compare=False)
    scale_mode: str = "cycle"
    scale_args = ("base_lr", "max_lr")

    def __post_init__(self):
        _set(self, "base_lr", _lr("base_lr", self.base_lr))
        _set(self, "max_lr", _lr("max_lr", self.max_lr))
        _check_cyclic(self)

    def __call__(self, xp, k, dtype):
        return self.base_lr + _cyclic_shape(self, xp, k, dtype, self.max_lr - self.base_lr)


@dataclasses.dataclass(frozen=True, kw_only=True)
class CyclicMomentum(Schedule):
    r"""Momentum of torch's CyclicLR: highest where the LR is lowest.

    .. math::

       v(k) = \mu_{max} - (\mu_{max} - \mu_{base})\, x(k)\, \sigma(k)

    with ``mu_max = max_momentum``, ``mu_base = base_momentum`` and the shape ``x(k)`` and
    scale ``sigma(k)`` of :class:`CyclicLR` (same ``step_size_up``, ``step_size_down``,
    ``mode``, ``gamma``, ``scale_fn`` and ``scale_mode``).

    References:
      Smith, `A disciplined approach to neural network hyper-parameters: Part 1 -- learning
      rate, batch size, momentum, and weight decay <https://arxiv.org/abs/1803.09820>`_, 2018

      PyTorch ``torch.optim.lr_scheduler.CyclicLR`` (``cycle_momentum=True``).

    Example:
      >>> from sched_core import SCALAR
      >>> s = CyclicMomentum(base_momentum=0.8, max_momentum=0.9, step_size_up=2)
      >>> [round(s(SCALAR, k, float), 4) for k in range(5)]
      [0.9, 0.85, 0.8, 0.85, 0.9]
    """

    base_momentum: float = 0.8
    max_momentum: float = 0.9
    step_size_up: int = 2000
    step_size_down: int | None = None
    mode: str = "triangular"
    gamma: float = 1.0
    scale_fn: Callable[[Any], Any] | None = dataclasses.field(default=None, compare=False)
    scale_mode: str = "cycle"

    def __post_init__(self):
        # torch's classes accept any momentum (its own tests use 1 and 22): finite, >= 0
        _set(self, "base_momentum", v.check_float("base_momentum", self.base_momentum, lo=0.0))
        _set(self, "max_momentum", v.check_float("max_momentum", self.max_momentum, lo=0.0))
        _check_cyclic(self)

    def __call__(self, xp, k, dtype):
        return self.max_momentum - _cyclic_shape(self, xp, k, dtype,
                                                 self.max_momentum - self.base_momentum)


@dataclasses.dataclass(frozen=True, kw_only=True)
class LambdaLR(Schedule):
    r"""``init_value`` times a user function of the update index.

    .. math::

       v(k) = v_0 \, f(k)

    with ``v_0 = init_value`` and ``f = fn``; ``fn`` receives the integer step array of the
    caller's namespace (a Python ``int`` on :data:`sched_core.SCALAR`) and its result is
    converted to ``dtype``. Like torch's class it overwrites the LR from its base (it is not
    chainable).

    References:
      PyTorch ``torch.optim.lr_scheduler.LambdaLR``.

    Example:
      >>> from sched_core import SCALAR
      >>> s = LambdaLR(init_value=2.0, fn=lambda k: 1.0 / (k + 1))
      >>> [round(s(SCALAR, k, float), 4) for k in range(4)]
      [2.0, 1.0, 0.6667, 0.5]
    """

    init_value: float
    fn: Callable[[Any], Any] = dataclasses.field(compare=False)
    scale_args = ("init_value",)

    def __post_init__(self):
        _set(self, "init_value", _lr("init_value", self.init_value))
        if not callable(self.fn):
            raise TypeError(f"fn must be callable, got {self.fn!r}")

    def __call__(self, xp, k, dtype):
        return self.init_value * _f(xp, self.fn(k), dtype)


# --------------------------------------------------------------------------- combined library


class _Multiplicative(Schedule):
    """Composes like torch's multiplicative classes: ``unit(k) = v(k) / base``."""

    chain_kind = "affine"

    def unit(self, xp, k, dtype):
        """``v(k) / base`` (1 for a zero base, whose schedule is identically 0)."""
        span = self.chain_span
        if span == 0:
            return xp.full(xp.shape(k), 1.0, dtype=dtype)
        return self(xp, k, dtype) / span


@dataclasses.dataclass(frozen=True, kw_only=True)
class LinearWarmup(_Multiplicative):
    r"""Linear warmup to ``base_lr`` over ``warmup_steps`` updates (never 0), then constant.

    .. math::

       v(k) = b \, \frac{\min(k + 1, W)}{W}

    with ``b = base_lr`` and ``W = warmup_steps``: update 0 already uses ``b / W`` and ``b``
    is reached at update ``W - 1``. ``warmup_steps = 0`` gives the constant ``b``.

    References:
      Goyal et al., `Accurate, Large Minibatch SGD: Training ImageNet in 1 Hour
      <https://arxiv.org/abs/1706.02677>`_, 2017

      Combined library ``LinearWarmup`` (reference design "combined-lr-schedulers";
      repository ``SungchulLee/deep_learning_book_writing``, ``lr_warmup.py``).

    Example:
      >>> from sched_core import SCALAR
      >>> s = LinearWarmup(base_lr=1.0, warmup_steps=4)
      >>> [round(s(SCALAR, k, float), 4) for k in range(5)]
      [0.25, 0.5, 0.75, 1.0, 1.0]
    """

    base_lr: float
    warmup_steps: int
    scale_args = ("base_lr",)

    def __post_init__(self):
        _set(self, "base_lr", _lr("base_lr", self.base_lr))
        _set(self, "warmup_steps", v.check_int("warmup_steps", self.warmup_steps, min_value=0))

    def __call__(self, xp, k, dtype):
        if self.warmup_steps == 0:
            return xp.full(xp.shape(k), self.base_lr, dtype=dtype)
        return self.base_lr * _warmup_frac(xp, k, self.warmup_steps, dtype)


@dataclasses.dataclass(frozen=True, kw_only=True)
class ExponentialWarmup(_Multiplicative):
    r"""Geometric warmup from just above ``start_lr`` to ``base_lr``, then constant.

    .. math::

       v(k) = s \left(\frac{b}{s}\right)^{\min(k + 1, W) / W}
            = b \left(\frac{s}{b}\right)^{(W - 1 - \min(k, W - 1)) / W}

    with ``b = base_lr``, ``s = start_lr`` (the value of update ``-1``, never output) and
    ``W = warmup_steps``; the second form (measured from the end, so ``b`` is exact from
    update ``W - 1`` on) is the one evaluated. ``warmup_steps = 0`` gives the constant
    ``b``.

    References:
      Goyal et al., `Accurate, Large Minibatch SGD: Training ImageNet in 1 Hour
      <https://arxiv.org/abs/1706.02677>`_, 2017

      Combined library ``ExponentialWarmup`` (reference design "combined-lr-schedulers";
      repository ``SungchulLee/deep_learning_book_writing``, ``lr_warmup.py``).

    Example:
      >>> from sched_core import SCALAR
      >>> s = ExponentialWarmup(base_lr=1.0, warmup_steps=3, start_lr=1e-3)
      >>> [round(s(SCALAR, k, float), 4) for k in range(4)]
      [0.01, 0.1, 1.0, 1.0]
    """

    base_lr: float
    warmup_steps: int
    start_lr: float = 1e-7
    scale_args = ("base_lr",)

    def __post_init__(self):
        _set(self, "base_lr", v.check_float("base_lr", self.base_lr, lo=0.0, lo_open=True))
        _set(self, "warmup_steps", v.check_int("warmup_steps", self.warmup_steps, min_value=0))
        _set(self, "start_lr", v.check_float("start_lr", self.start_lr, lo=0.0,
                                             hi=self.base_lr, lo_open=True))

    def __call__(self, xp, k, dtype):
        if self.warmup_steps == 0:
            return xp.full(xp.shape(k), self.base_lr, dtype=dtype)
        # base * (start/base) ** ((W - 1 - min(k, W - 1)) / W): measured from the end, so
        # the large values (near base_lr) carry the smallest float32 exponent error.
        w = self.warmup_steps
        log_ratio = math.log(self.start_lr) - math.log(self.base_lr)
        rem = _f(xp, w - 1 - xp.minimum(k, w - 1), dtype) / w
        return self.base_lr * xp.exp(log_ratio * rem)


@dataclasses.dataclass(frozen=True, kw_only=True)
class CosineWarmup(_Multiplicative):
    r"""Half-cosine warmup to ``base_lr`` over ``warmup_steps`` updates (never 0), then constant.

    .. math::

       v(k) = b \, \frac{1 - \cos(\pi \min(k + 1, W) / W)}{2}
            = b \sin^2\!\left(\frac{\pi}{2}\, \frac{\min(k + 1, W)}{W}\right)

    with ``b = base_lr`` and ``W = warmup_steps`` (the cancellation-free ``sin^2`` form is
    evaluated). ``warmup_steps = 0`` gives the constant ``b``.

    References:
      Goyal et al., `Accurate, Large Minibatch SGD: Training ImageNet in 1 Hour
      <https://arxiv.org/abs/1706.02677>`_, 2017

      Combined library ``CosineWarmup`` (reference design "combined-lr-schedulers";
      repository ``SungchulLee/deep_learning_book_writing``, ``lr_warmup.py``).

    Example:
      >>> from sched_core import SCALAR
      >>> s = CosineWarmup(base_lr=1.0, warmup_steps=4)
      >>> [round(s(SCALAR, k, float), 4) for k in range(5)]
      [0.1464, 0.5, 0.8536, 1.0, 1.0]
    """

    base_lr: float
    warmup_steps: int
    scale_args = ("base_lr",)

    def __post_init__(self):
        _set(self, "base_lr", _lr("base_lr", self.base_lr))
        _set(self, "warmup_steps", v.check_int("warmup_steps", self.warmup_steps, min_value=0))

    def __call__(self, xp, k, dtype):
        if self.warmup_steps == 0:
            return xp.full(xp.shape(k), self.base_lr, dtype=dtype)
        return self.base_lr * _sin2(xp, _warmup_frac(xp, k, self.warmup_steps, dtype))


@dataclasses.dataclass(frozen=True, kw_only=True)
class CosineDecay(Schedule):
    r"""Half-cosine from ``init_value`` to ``end_value`` over ``decay_steps``, then hold.

    .. math::

       v(k) = e + (v_0 - e)\,\frac{1 + \cos(\pi \min(k, T) / T)}{2}
            = e + (v_0 - e) \sin^2\!\left(\frac{\pi}{2} \frac{T - \min(k, T)}{T}\right)

    (the second, cancellation-free form is the one evaluated). This is
    ``optax.cosine_decay_schedule(init_value, T, alpha=e / v_0)`` and the decay part of
    Hugging Face's ``get_cosine_schedule_with_warmup`` (half a cycle).

    Example:
      >>> from sched_core import SCALAR
      >>> s = CosineDecay(init_value=1.0, decay_steps=4, end_value=0.2)
      >>> [round(s(SCALAR, k, float), 4) for k in range(6)]
      [1.0, 0.8828, 0.6, 0.3172, 0.2, 0.2]
    """

    init_value: float
    decay_steps: int
    end_value: float = 0.0
    scale_args = ("init_value",)

    def __post_init__(self):
        _set(self, "init_value", _lr("init_value", self.init_value))
        _set(self, "decay_steps", v.check_int("decay_steps", self.decay_steps, min_value=1))
        _set(self, "end_value", _lr("end_value", self.end_value))

    def __call__(self, xp, k, dtype):
        t = self.decay_steps
        rem = _f(xp, xp.maximum(t - xp.maximum(k, 0), 0), dtype) / t
        return self.end_value + (self.init_value - self.end_value) * _sin2(xp, rem)


@dataclasses.dataclass(frozen=True, kw_only=True)
class WarmupWithDecay(_Multiplicative):
    r"""Linear warmup, then cosine from ``base_lr`` to ``min_lr`` at ``total_steps``, then hold.

    .. math::

       v(k) = \begin{cases}
         b \, (k + 1) / W & k < W \\
         \eta_{min} + (b - \eta_{min})\,
           \dfrac{1 + \cos\left(\pi \min(k - W, N - W) / (N - W)\right)}{2} & k \ge W
       \end{cases}

    with ``b = base_lr``, ``eta_min = min_lr``, ``W = warmup_steps`` and
    ``N = total_steps > W``. With a warmup, ``b`` is used by updates ``W - 1`` and ``W``;
    ``min_lr`` is reached at update ``N`` and held. It is the composition
    ``Warmup(schedule=CosineDecay(base_lr, total_steps - W, min_lr), warmup_steps=W)``
    (:class:`sched_core.Warmup`, ``first="step"``; :class:`CosineDecay`).

    References:
      Goyal et al., `Accurate, Large Minibatch SGD: Training ImageNet in 1 Hour
      <https://arxiv.org/abs/1706.02677>`_, 2017

      Loshchilov & Hutter, `SGDR: Stochastic Gradient Descent with Warm Restarts
      <https://arxiv.org/abs/1608.03983>`_, 2017

      Combined library ``WarmupWithDecay`` (reference design "combined-lr-schedulers";
      repository ``SungchulLee/deep_learning_book_writing``, ``lr_warmup.py``).

    Example:
      >>> from sched_core import SCALAR
      >>> s = WarmupWithDecay(base_lr=1.0, warmup_steps=2, total_steps=6, min_lr=0.1)
      >>> [round(s(SCALAR, k, float), 4) for k in range(8)]
      [0.5, 1.0, 1.0, 0.8682, 0.55, 0.2318, 0.1, 0.1]
    """

    base_lr: float
    warmup_steps: int
    total_steps: int
    min_lr: float = 0.0
    scale_args = ("base_lr",)
    _composed: ClassVar[Schedule]

    def __post_init__(self):
        from sched_core._compose import Warmup  # the composition module builds on this one

        _set(self, "base_lr", _lr("base_lr", self.base_lr))
        _set(self, "warmup_steps", v.check_int("warmup_steps", self.warmup_steps, min_value=0))
        _set(self, "total_steps", v.check_int("total_steps", self.total_steps, min_value=1))
        if self.total_steps <= self.warmup_steps:
            raise ValueError(f"total_steps must be > warmup_steps={self.warmup_steps}, "
                             f"got {self.total_steps}")
        _set(self, "min_lr", _lr("min_lr", self.min_lr))
        decay = CosineDecay(init_value=self.base_lr,
                            decay_steps=self.total_steps - self.warmup_steps,
                            end_value=self.min_lr)
        _set(self, "_composed", Warmup(schedule=decay, warmup_steps=self.warmup_steps,
                                       peak=self.base_lr))

    def __call__(self, xp, k, dtype):
        return self._composed(xp, k, dtype)


@dataclasses.dataclass(frozen=True, kw_only=True)
class ExponentialCyclicLR(Schedule):
    r"""Cycles of ``step_size`` steps: convex rise to ``max_lr * gamma**cycle``, mirrored fall.

    .. math::

       v(k) = \begin{cases}
         \eta_b + (M_c - \eta_b)\, \dfrac{e^{q} - 1}{e - 1}, \quad q = 2\tau / L
           & 2\tau < L \\[2ex]
         M_c - (M_c - \eta_b)\, \dfrac{e^{q} - 1}{e - 1}, \quad q = (2\tau - L) / L
           & 2\tau \ge L
       \end{cases}

    with ``eta_b = base_lr``, ``L = step_size`` (the **full** cycle length, the reference's
    ``cycle_length``), cycle ``c = k // L``, offset ``tau = k mod L`` and peak
    ``M_c = max_lr * gamma ** c`` (``gamma`` is the reference's ``decay_rate``). The value
    is continuous, peaks at ``tau = L / 2`` and returns to ``base_lr`` at every cycle start.

    References:
      Smith, `Cyclical Learning Rates for Training Neural Networks
      <https://arxiv.org/abs/1506.01186>`_, 2017

      Combined library ``ExponentialCyclicLR`` (reference design "combined-lr-schedulers";
      repository ``SungchulLee/deep_learning_book_writing``, ``cyclical_lr.py``).

    Example:
      >>> from sched_core import SCALAR
      >>> s = ExponentialCyclicLR(base_lr=0.1, max_lr=1.0, step_size=4, gamma=0.5)
      >>> [round(s(SCALAR, k, float), 4) for k in range(9)]
      [0.1, 0.4398, 1.0, 0.6602, 0.1, 0.251, 0.5, 0.349, 0.1]
    """

    base_lr: float
    max_lr: float
    step_size: int
    gamma: float = 0.96
    scale_args = ("base_lr", "max_lr")

    def __post_init__(self):
        _set(self, "base_lr", _lr("base_lr", self.base_lr))
        _set(self, "max_lr", _lr("max_lr", self.max_lr))
        _set(self, "step_size", v.check_int("step_size", self.step_size, min_value=2))
        _set(self, "gamma", v.check_float("gamma", self.gamma, lo=0.0, hi=1.0, lo_open=True))

    def __call__(self, xp, k, dtype):
        length = self.step_size
        c = k // length
        tau = k % length
        peak = self.max_lr * _exp_int(xp, math.log(self.gamma), c, dtype)
        rising = tau < length - tau  # 2 * tau < length, without int32 overflow
        q = xp.where(rising, 2 * _f(xp, tau, dtype), _f(xp, tau - (length - tau), dtype)) / length
        shape = xp.expm1(q) / math.expm1(1.0)
        return xp.where(rising, self.base_lr + (peak - self.base_lr) * shape,
                        peak - (peak - self.base_lr) * shape)


# --------------------------------------------------------------------------- lr-momentum-scheduler


@dataclasses.dataclass(frozen=True, kw_only=True)
class ListSchedule(Schedule):
    r"""Explicit per-update values, the last one held.

    .. math::

       v(k) = x_{\min(k,\, n - 1)}

    with ``x = values`` (a non-empty 1-D sequence of finite values ``>= 0``, stored as float64
    and converted to ``dtype``) and ``n = len(values)``. The reference appends 0 past the
    end and then raises; this schedule holds ``values[-1]``.

    References:
      lr-momentum-scheduler ``ListScheduler`` (reference design "lr-momentum-scheduler";
      repository ``timesler/lr-momentum-scheduler``).

    Example:
      >>> from sched_core import SCALAR
      >>> s = ListSchedule(values=[0.3, 0.2, 0.1])
      >>> [round(s(SCALAR, k, float), 4) for k in range(5)]
      [0.3, 0.2, 0.1, 0.1, 0.1]
    """

    values: Sequence[float]

    def __post_init__(self):
        arr = np.asarray(self.values, dtype=np.float64)
        if arr.ndim != 1 or arr.size == 0:
            raise ValueError(f"values must be a non-empty 1-D sequence, got shape {arr.shape}")
        if not np.all(np.isfinite(arr)) or np.any(arr < 0):
            raise ValueError("values must be finite and >= 0, got "
                             f"{arr[~(np.isfinite(arr) & (arr >= 0))][:3].tolist()}...")
        _set(self, "values", tuple(arr.tolist()))

    def __call__(self, xp, k, dtype):
        table = xp.asarray(self.values, dtype=dtype)
        return table[xp.clip(k, 0, len(self.values) - 1)]


@dataclasses.dataclass(frozen=True, kw_only=True)
class RangeFinder(Schedule):
    r"""Exponential sweep ``start_lr -> end_lr`` over ``num_steps`` (logspace), then hold.

    .. math::

       v(k) = s \left(\frac{e}{s}\right)^{\min(k, N - 1) / (N - 1)}
            = e \left(\frac{s}{e}\right)^{(N - 1 - \min(k, N - 1)) / (N - 1)}

    with ``s = start_lr``, ``e = end_lr > s`` and ``N = num_steps >= 2``: the values of
    ``numpy.geomspace(start_lr, end_lr, num_steps)``, ``end_lr`` held after. The second form
    (measured from the end, see :class:`ExponentialWarmup`) is the one evaluated.

    References:
      Smith, `Cyclical Learning Rates for Training Neural Networks
      <https://arxiv.org/abs/1506.01186>`_, 2017 (the LR range test)

      lr-momentum-scheduler ``RangeFinder`` (reference design "lr-momentum-scheduler";
      repository ``timesler/lr-momentum-scheduler``).

    Example:
      >>> from sched_core import SCALAR
      >>> s = RangeFinder(num_steps=4, start_lr=1e-3, end_lr=1.0)
      >>> [round(s(SCALAR, k, float), 4) for k in range(5)]
      [0.001, 0.01, 0.1, 1.0, 1.0]
    """

    num_steps: int
    start_lr: float = 1e-7
    end_lr: float = 1.0

    def __post_init__(self):
        _set(self, "num_steps", v.check_int("num_steps", self.num_steps, min_value=2))
        _set(self, "start_lr", v.check_float("start_lr", self.start_lr, lo=0.0, lo_open=True))
        _set(self, "end_lr", v.check_float("end_lr", self.end_lr, lo=self.start_lr, lo_open=True))

    def __call__(self, xp, k, dtype):
        n = self.num_steps - 1
        rem = _f(xp, n - xp.clip(k, 0, n), dtype) / n  # from the end: see ExponentialWarmup
        return self.end_lr * xp.exp((math.log(self.start_lr) - math.log(self.end_lr)) * rem)


def _policy_len(num_steps):
    return int(0.45 * num_steps)


def _linspace_at(xp, j, n, a, b, dtype):
    """``numpy.linspace(a, b, n)[j]`` for integer arrays ``j`` (n == 1 gives ``a``)."""
    if n <= 1:
        return xp.full(xp.shape(j), a, dtype=dtype)
    return a + (b - a) * (_f(xp, j, dtype) / (n - 1))


def _three_linear(xp, k, dtype, num_steps, segs):
    p = _policy_len(num_steps)
    kk = xp.clip(k, 0, num_steps - 1)
    (a0, b0), (a1, b1), (a2, b2) = segs
    first = _linspace_at(xp, kk, p, a0, b0, dtype)
    second = _linspace_at(xp, kk - p, p, a1, b1, dtype)
    third = _linspace_at(xp, kk - 2 * p, num_steps - 2 * p, a2, b2, dtype)
    return xp.where(kk < p, first, xp.where(kk < 2 * p, second, third))


@dataclasses.dataclass(frozen=True, kw_only=True)
class OneCyclePolicyLR(Schedule):
    r"""Smith's linear 1cycle (lr-momentum-scheduler): 45% up, 45% down, 10% annihilation.

    .. math::

       v(k) = \begin{cases}
         \ell(m/10,\ m,\ P)_{\kappa} & \kappa < P \\
         \ell(m,\ m/10,\ P)_{\kappa - P} & P \le \kappa < 2P \\
         \ell(m/10,\ m/100,\ N - 2P)_{\kappa - 2P} & \kappa \ge 2P
       \end{cases}
       \qquad \ell(a, b, n)_j = a + (b - a)\,\frac{j}{n - 1}

    with ``m = max_lr``, ``N = num_steps >= 3``, ``P = int(0.45 * N)``,
    ``kappa = min(k, N - 1)`` and ``l(a, b, n)`` ``numpy.linspace(a, b, n)`` (``a`` when
    ``n = 1``). Since ``linspace`` includes both ends, the peak ``m`` and ``m / 10`` each
    appear on two consecutive updates; ``v(N - 1)`` is held after the end.

    References:
      Smith, `A disciplined approach to neural network hyper-parameters: Part 1 -- learning
      rate, batch size, momentum, and weight decay <https://arxiv.org/abs/1803.09820>`_, 2018

      lr-momentum-scheduler ``OneCyclePolicy`` (reference design "lr-momentum-scheduler";
      repository ``timesler/lr-momentum-scheduler``).

    Example:
      >>> from sched_core import SCALAR
      >>> s = OneCyclePolicyLR(max_lr=1.0, num_steps=10)
      >>> [round(s(SCALAR, k, float), 4) for k in range(11)]
      [0.1, 0.4, 0.7, 1.0, 1.0, 0.7, 0.4, 0.1, 0.1, 0.01, 0.01]
    """

    max_lr: float
    num_steps: int
    scale_args = ("max_lr",)

    def __post_init__(self):
        _set(self, "max_lr", _lr("max_lr", self.max_lr))
        _set(self, "num_steps", v.check_int("num_steps", self.num_steps, min_value=3))

    def __call__(self, xp, k, dtype):
        m = self.max_lr
        return _three_linear(xp, k, dtype, self.num_steps,
                             [(m / 10, m), (m, m / 10), (m / 10, m / 100)])


def _check_momentum_range(obj):
    rng = obj.momentum_range
    if not isinstance(rng, Sequence) or isinstance(rng, str) or len(rng) != 2:
        raise TypeError(f"momentum_range must be a pair (low, high), got {rng!r}")
    lo = v.check_float("momentum_range[0]", rng[0], lo=0.0, hi=1.0)
    hi = v.check_float("momentum_range[1]", rng[1], lo=lo, hi=1.0)
    _set(obj, "momentum_range", (lo, hi))


@dataclasses.dataclass(frozen=True, kw_only=True)
class OneCyclePolicyMomentum(Schedule):
    r"""Momentum of the 1cycle policy: high -> low -> high, then held high.

    .. math::

       v(k) = \begin{cases}
         \ell(\mu_{hi},\ \mu_{lo},\ P)_{\kappa} & \kappa < P \\
         \ell(\mu_{lo},\ \mu_{hi},\ P)_{\kappa - P} & P \le \kappa < 2P \\
         \mu_{hi} & \kappa \ge 2P
       \end{cases}

    with ``(mu_lo, mu_hi) = momentum_range`` and ``P``, ``kappa`` and the ``linspace``
    ``l(a, b, n)`` of :class:`OneCyclePolicyLR` (same ``num_steps``): the momentum is lowest
    where the LR peaks.

    References:
      Smith, `A disciplined approach to neural network hyper-parameters: Part 1 -- learning
      rate, batch size, momentum, and weight decay <https://arxiv.org/abs/1803.09820>`_, 2018

      lr-momentum-scheduler ``OneCyclePolicy`` (reference design "lr-momentum-scheduler";
      repository ``timesler/lr-momentum-scheduler``).

    Example:
      >>> from sched_core import SCALAR
      >>> s = OneCyclePolicyMomentum(num_steps=10, momentum_range=(0.85, 0.95))
      >>> [round(s(SCALAR, k, float), 4) for k in range(11)]
      [0.95, 0.9167, 0.8833, 0.85, 0.85, 0.8833, 0.9167, 0.95, 0.95, 0.95, 0.95]
    """

    num_steps: int
    momentum_range: tuple[float, float] = (0.85, 0.95)

    def __post_init__(self):
        _set(self, "num_steps", v.check_int("num_steps", self.num_steps, min_value=3))
        _check_momentum_range(self)

    def __call__(self, xp, k, dtype):
        lo, hi = self.momentum_range
        return _three_linear(xp, k, dtype, self.num_steps, [(hi, lo), (lo, hi), (hi, hi)])
