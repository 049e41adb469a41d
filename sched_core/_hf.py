r"""Hugging Face ``transformers`` schedules and the LLM recipes built on them.

Each class is the schedule ``transformers.get_*`` builds (a ``LambdaLR`` whose factor
multiplies the group's initial LR), computed as Hugging Face computes it, including where
it differs from this library's other schedules:

- the warmup starts at 0: update ``k < W`` uses ``init_value * k / W`` (this library's
  ``linear_warmup`` uses ``(k + 1) / W``); it is :class:`sched_core.Warmup` with
  ``first="init"`` and ``prefix=False`` (the decay keeps counting from update 0);
- ``progress = (k - W) / max(1, T - W)`` is not clamped: the cosine schedules keep
  oscillating after ``num_training_steps`` (``num_cycles`` waves over ``T - W`` updates),
  the linear one holds 0, the polynomial one ``lr_end``;
- the cosine factor ``(1 + cos(2 pi c p)) / 2`` is evaluated without cancellation as
  ``sin(pi/2 (1 - s))**2`` with ``s`` the phase folded into ``[0, 1]`` by integer
  arithmetic whenever ``2c`` is an integer (the default ``c = 1/2`` included).

References:
  Hugging Face ``transformers.optimization`` (``get_linear_schedule_with_warmup``,
  ``get_cosine_schedule_with_warmup``, ``get_cosine_with_hard_restarts_schedule_with_warmup``,
  ``get_polynomial_decay_schedule_with_warmup``, ``get_constant_schedule_with_warmup``,
  ``get_cosine_with_min_lr_schedule_with_warmup``, ``get_inverse_sqrt_schedule``,
  ``get_wsd_schedule``), https://github.com/huggingface/transformers.
  Warmup-stable-decay: Hu et al. 2024, "MiniCPM: Unveiling the Potential of Small Language
  Models with Scalable Training Strategies", https://arxiv.org/abs/2404.06395; Hägele et al.
  2024, "Scaling Laws and Compute-Optimal Training Beyond Fixed Training Durations",
  https://arxiv.org/abs/2405.18392 (the 1-sqrt cooldown). Inverse square root: Vaswani et
  al. 2017, https://arxiv.org/abs/1706.03762; big_vision's ``rsqrt`` schedule.
"""

from __future__ import annotations

import dataclasses
from typing import Any
from typing import ClassVar

from sched_core import _validate as v
from sched_core._compose import Warmup
from sched_core._schedules import COUNT_LIMIT
from sched_core._schedules import Schedule
from sched_core._schedules import _f
from sched_core._schedules import _lr
from sched_core._schedules import _set
from sched_core._schedules import _sin2

__all__ = [
    "ConstantWithWarmup",
    "CosineWithHardRestartsWithWarmup",
    "CosineWithMinLRWithWarmup",
    "CosineWithWarmup",
    "InverseSqrt",
    "LinearWithWarmup",
    "PolynomialDecayWithWarmup",
    "WarmupStableDecay",
]

_INT_SAFE = 2**31 - 1


def _cos_wave(xp, j, span: int, cycles: float, dtype):
    """``(1 + cos(2 pi c j / span)) / 2`` for integer ``j >= 0``, cancellation-free.

    With ``a = 2c`` an integer, ``a j mod 2 span`` is folded to ``[0, span]`` in integer
    arithmetic, so the only roundings are one division and the sine.
    """
    a = 2.0 * cycles
    two = 2 * span
    if a.is_integer() and (a % two) * two < _INT_SAFE:
        r = ((int(a) % two) * (j % two)) % two
        s = xp.minimum(r, two - r)  # phase folded to [0, span]
        return _sin2(xp, _f(xp, span - s, dtype) / span)
    u = _f(xp, j, dtype) * (a / span)
    r = u - 2.0 * xp.floor(u / 2.0)
    s = xp.minimum(r, 2.0 - r)
    return _sin2(xp, 1.0 - s)


class _After(Schedule):
    """The part of an HF schedule after its warmup (absolute update index)."""

    def __init__(self, owner: _HFSchedule) -> None:
        self.owner = owner

    def __call__(self, xp, k, dtype):
        return self.owner.after(xp, k, dtype)


class _HFSchedule(Schedule):
    """Hugging Face's linear warmup from 0 (``k / W``), then :meth:`after` on update ``k``."""

    init_value: Any
    num_warmup_steps: int
    scale_args = ("init_value",)
    _composed: ClassVar[Schedule]

    def _check_warmup(self) -> None:
        _set(self, "init_value", _lr("init_value", self.init_value))
        _set(self, "num_warmup_steps", v.check_int("num_warmup_steps", self.num_warmup_steps,
                                                   min_value=0))

    def _check_training(self, value: Any) -> int:
        t = v.check_int("num_training_steps", value, min_value=1)
        if t <= self.num_warmup_steps:
            raise ValueError(f"num_training_steps must be > num_warmup_steps="
                             f"{self.num_warmup_steps}, got {t}")
        return t

    def _compose(self) -> None:
        _set(self, "_composed", Warmup(schedule=_After(self), warmup_steps=self.num_warmup_steps,
                                       peak=self.init_value, first="init", prefix=False))

    def after(self, xp, k, dtype):  # pragma: no cover - abstract
        raise NotImplementedError

    def __call__(self, xp, k, dtype):
        return self._composed(xp, k, dtype)


@dataclasses.dataclass(frozen=True, kw_only=True)
class ConstantWithWarmup(_HFSchedule):
    r"""Hugging Face ``get_constant_schedule_with_warmup``.

    .. math::

       v(k) = v_0 \min(k, W) / W \quad (v_0 \text{ for } W = 0)

    Example:
      >>> from sched_core import SCALAR
      >>> s = ConstantWithWarmup(init_value=1.0, num_warmup_steps=4)
      >>> [s(SCALAR, k, float) for k in range(6)]
      [0.0, 0.25, 0.5, 0.75, 1.0, 1.0]
    """

    init_value: Any
    num_warmup_steps: int

    def __post_init__(self):
        self._check_warmup()
        self._compose()

    def after(self, xp, k, dtype):
        """``v_0``."""
        return xp.full(xp.shape(k), 1.0, dtype=dtype) * self.init_value


@dataclasses.dataclass(frozen=True, kw_only=True)
class LinearWithWarmup(_HFSchedule):
    r"""Hugging Face ``get_linear_schedule_with_warmup``.

    .. math::

       v(k) = v_0 \begin{cases} k / W & k < W \\
              \max(0, T - k) / \max(1, T - W) & k \ge W \end{cases}

    Example:
      >>> from sched_core import SCALAR
      >>> s = LinearWithWarmup(init_value=1.0, num_warmup_steps=2, num_training_steps=6)
      >>> [s(SCALAR, k, float) for k in range(8)]
      [0.0, 0.5, 1.0, 0.75, 0.5, 0.25, 0.0, 0.0]
    """

    init_value: Any
    num_warmup_steps: int
    num_training_steps: int

    def __post_init__(self):
        self._check_warmup()
        _set(self, "num_training_steps", self._check_training(self.num_training_steps))
        self._compose()

    def after(self, xp, k, dtype):
        """``v_0 max(0, T - k) / (T - W)``."""
        t, w = self.num_training_steps, self.num_warmup_steps
        return self.init_value * (_f(xp, xp.maximum(t - k, 0), dtype) / (t - w))


@dataclasses.dataclass(frozen=True, kw_only=True)
class CosineWithWarmup(_HFSchedule):
    r"""Hugging Face ``get_cosine_schedule_with_warmup`` (``num_cycles`` waves, periodic).

    .. math::

       v(k) = v_0 \begin{cases} k / W & k < W \\
              \max\!\left(0, m + (1 - m) \frac{1 + \cos(2 \pi c\, p)}{2}\right) & k \ge W
              \end{cases}, \qquad p = \frac{k - W}{\max(1, T - W)}

    with ``c = num_cycles`` and ``m = min_lr_rate`` (0 here; see
    :class:`CosineWithMinLRWithWarmup`). ``p`` is not clamped: the wave continues after
    ``T`` as Hugging Face's does.

    Example:
      >>> from sched_core import SCALAR
      >>> s = CosineWithWarmup(init_value=1.0, num_warmup_steps=1, num_training_steps=5)
      >>> [round(s(SCALAR, k, float), 4) for k in range(7)]
      [0.0, 1.0, 0.8536, 0.5, 0.1464, 0.0, 0.1464]
    """

    init_value: Any
    num_warmup_steps: int
    num_training_steps: int
    num_cycles: float = 0.5
    min_lr_rate: float = 0.0

    def __post_init__(self):
        self._check_warmup()
        _set(self, "num_training_steps", self._check_training(self.num_training_steps))
        _set(self, "num_cycles", v.check_float("num_cycles", self.num_cycles, lo=0.0))
        _set(self, "min_lr_rate", v.check_float("min_lr_rate", self.min_lr_rate, lo=0.0,
                                                hi=1.0))
        self._compose()

    def after(self, xp, k, dtype):
        """The cosine factor of update ``k >= W`` times ``v_0``."""
        w = self.num_warmup_steps
        wave = _cos_wave(xp, xp.maximum(k - w, 0), self.num_training_steps - w,
                         self.num_cycles, dtype)
        m = self.min_lr_rate
        factor = wave if m == 0 else m + (1.0 - m) * wave
        return self.init_value * factor


@dataclasses.dataclass(frozen=True, kw_only=True)
class CosineWithMinLRWithWarmup(CosineWithWarmup):
    r"""Hugging Face ``get_cosine_with_min_lr_schedule_with_warmup``.

    :class:`CosineWithWarmup` with a floor: exactly one of ``min_lr`` (absolute; Hugging
    Face divides it by the optimizer's default LR, here by ``init_value``) or
    ``min_lr_rate`` (a fraction of ``init_value``).

    .. math::

       v(k) = v_0 \left(m + (1 - m) \frac{1 + \cos(2 \pi c\, p)}{2}\right), \quad k \ge W

    Example:
      >>> from sched_core import SCALAR
      >>> s = CosineWithMinLRWithWarmup(init_value=1.0, num_warmup_steps=0,
      ...                               num_training_steps=4, min_lr=0.2)
      >>> [round(s(SCALAR, k, float), 4) for k in range(5)]
      [1.0, 0.8828, 0.6, 0.3172, 0.2]
    """

    min_lr: float | None = None
    min_lr_rate: Any = None

    def __post_init__(self):
        if (self.min_lr is None) == (self.min_lr_rate is None):
            raise ValueError("exactly one of min_lr or min_lr_rate must be set, got "
                             f"min_lr={self.min_lr!r}, min_lr_rate={self.min_lr_rate!r}")
        if self.min_lr is not None:
            init = v.check_float("init_value", self.init_value, lo=0.0, lo_open=True)
            floor = v.check_float("min_lr", self.min_lr, lo=0.0, hi=init)
            _set(self, "min_lr_rate", floor / init)
        super().__post_init__()


@dataclasses.dataclass(frozen=True, kw_only=True)
class CosineWithHardRestartsWithWarmup(_HFSchedule):
    r"""Hugging Face ``get_cosine_with_hard_restarts_schedule_with_warmup``.

    .. math::

       v(k) = v_0 \begin{cases} k / W & k < W \\
              \frac{1 + \cos(\pi \{c\, p\})}{2} & W \le k < T \\
              0 & k \ge T \end{cases}, \qquad p = \frac{k - W}{T - W}

    with ``{x}`` the fractional part (``c = num_cycles`` hard restarts to ``v_0``).

    Example:
      >>> from sched_core import SCALAR
      >>> s = CosineWithHardRestartsWithWarmup(init_value=1.0, num_warmup_steps=0,
      ...                                      num_training_steps=4, num_cycles=2)
      >>> [round(s(SCALAR, k, float), 4) for k in range(5)]
      [1.0, 0.5, 1.0, 0.5, 0.0]
    """

    init_value: Any
    num_warmup_steps: int
    num_training_steps: int
    num_cycles: float = 1

    def __post_init__(self):
        self._check_warmup()
        _set(self, "num_training_steps", self._check_training(self.num_training_steps))
        _set(self, "num_cycles", v.check_float("num_cycles", self.num_cycles, lo=0.0))
        self._compose()

    def after(self, xp, k, dtype):
        """The restarted half-cosine of update ``k >= W`` (0 from ``T`` on) times ``v_0``."""
        w, t, c = self.num_warmup_steps, self.num_training_steps, self.num_cycles
        d = t - w
        j = xp.minimum(xp.maximum(k - w, 0), d - 1)
        if c.is_integer() and c * d < _INT_SAFE:
            r = (int(c) * j) % d  # c p mod 1 == r / d, exact
            wave = _sin2(xp, _f(xp, d - r, dtype) / d)
        else:
            u = _f(xp, j, dtype) * (c / d)
            wave = _sin2(xp, 1.0 - (u - xp.floor(u)))
        return self.init_value * xp.where(k >= t, 0.0, wave)


@dataclasses.dataclass(frozen=True, kw_only=True)
class PolynomialDecayWithWarmup(_HFSchedule):
    r"""Hugging Face ``get_polynomial_decay_schedule_with_warmup`` (BERT, fairseq).

    .. math::

       v(k) = \begin{cases} v_0 k / W & k < W \\
              (v_0 - e) \left(\frac{T - k}{T - W}\right)^{q} + e & W \le k \le T \\
              e & k > T \end{cases}

    with ``e = lr_end < v_0`` and ``q = power``. Hugging Face divides by the optimizer's
    default LR and multiplies by each group's: ``torch_compat`` scales ``lr_end`` the same.

    Example:
      >>> from sched_core import SCALAR
      >>> s = PolynomialDecayWithWarmup(init_value=1.0, num_warmup_steps=1,
      ...                               num_training_steps=5, lr_end=0.2, power=2.0)
      >>> [round(s(SCALAR, k, float), 4) for k in range(7)]
      [0.0, 1.0, 0.65, 0.4, 0.25, 0.2, 0.2]
    """

    init_value: Any
    num_warmup_steps: int
    num_training_steps: int
    lr_end: float = 1e-7
    power: float = 1.0

    def __post_init__(self):
        self._check_warmup()
        _set(self, "num_training_steps", self._check_training(self.num_training_steps))
        if not v.is_traced(self.init_value):
            _set(self, "lr_end", v.check_float("lr_end", self.lr_end, lo=0.0,
                                               hi=float(self.init_value), hi_open=True))
        _set(self, "power", v.check_float("power", self.power, lo=0.0, lo_open=True))
        self._compose()

    def after(self, xp, k, dtype):
        """``(v_0 - e) ((T - k)/(T - W))**q + e``, ``e`` after ``T``."""
        w, t = self.num_warmup_steps, self.num_training_steps
        pct = _f(xp, xp.maximum(t - k, 0), dtype) / (t - w)
        return (self.init_value - self.lr_end) * pct ** self.power + self.lr_end


@dataclasses.dataclass(frozen=True, kw_only=True)
class InverseSqrt(_HFSchedule):
    r"""Inverse square root (Hugging Face ``get_inverse_sqrt_schedule``; T5, big_vision).

    .. math::

       v(k) = v_0 \begin{cases} k / W & k < W \\
              \sqrt{\tau / (k - W + \tau)} & k \ge W \end{cases}

    with ``tau = timescale`` (default ``W``, or 10 000 when ``W = 0``).

    Example:
      >>> from sched_core import SCALAR
      >>> s = InverseSqrt(init_value=1.0, num_warmup_steps=4)
      >>> [round(s(SCALAR, k, float), 4) for k in range(0, 13, 2)]
      [0.0, 0.5, 1.0, 0.8165, 0.7071, 0.6325, 0.5774]
    """

    init_value: Any
    num_warmup_steps: int
    timescale: int | None = None

    def __post_init__(self):
        self._check_warmup()
        if self.timescale is None:
            _set(self, "timescale", self.num_warmup_steps or 10_000)
        _set(self, "timescale", v.check_int("timescale", self.timescale, min_value=1))
        self._compose()

    def after(self, xp, k, dtype):
        """``v_0 / sqrt((k - W + tau) / tau)``."""
        tau = int(self.timescale)
        j = xp.maximum(k - self.num_warmup_steps, 0)  # the warmup branch never divides by 0
        return self.init_value / xp.sqrt((_f(xp, j, dtype) + tau) / tau)


_WARMUP_TYPES = ("linear", "cosine", "1-sqrt")


def _stage(name: str, value: Any, total: int | None) -> int | None:
    """A stage length in updates: an int, or a float fraction in (0, 1) of ``total``."""
    if value is None:
        return None
    if isinstance(value, float) and 0.0 < value < 1.0:
        if total is None:
            raise ValueError(f"{name}={value} is a fraction of the run: num_training_steps "
                             "must be given")
        return int(round(value * total))
    return v.check_int(name, value, min_value=0)


@dataclasses.dataclass(frozen=True, kw_only=True)
class WarmupStableDecay(Schedule):
    r"""Warmup-stable-decay (Hugging Face ``get_wsd_schedule``; MiniCPM).

    Three stages of ``W``, ``S`` and ``D`` updates, then ``m v_0``:

    .. math::

       v(k) = v_0 \begin{cases}
         m + (1 - m)\, w(k / \max(1, W)) & k < W \\
         1 & W \le k < W + S \\
         \max(0, m + (1 - m)\, d((k - W - S) / \max(1, D))) & W + S \le k < W + S + D \\
         m & \text{after}
       \end{cases}

    with ``m = min_lr_ratio``; warmup shapes ``w(p)``: ``p`` (linear),
    ``(1 - cos(pi p)) / 2`` (cosine), ``1 - sqrt(1 - p)`` (1-sqrt); cooldown shapes
    ``d(p)``: ``1 - p`` (linear), ``(1 + cos(2 pi c p)) / 2`` (cosine, ``c = num_cycles``),
    ``1 - sqrt(p)`` (1-sqrt, Hägele et al.). ``S = T - W - D`` when ``num_stable_steps`` is
    not given. Stage lengths may also be fractions in (0, 1) of ``num_training_steps``
    (rounded to the nearest update). The 1-sqrt forms are evaluated as ``p / (1 +
    sqrt(1 - p))`` and ``(1 - p) / (1 + sqrt(p))`` (no cancellation).

    Example:
      >>> from sched_core import SCALAR
      >>> s = WarmupStableDecay(init_value=1.0, num_warmup_steps=2, num_decay_steps=4,
      ...                       num_training_steps=8, decay_type="1-sqrt", min_lr_ratio=0.1)
      >>> [round(s(SCALAR, k, float), 4) for k in range(9)]
      [0.1, 0.55, 1.0, 1.0, 1.0, 0.55, 0.3636, 0.2206, 0.1]
    """

    init_value: Any
    num_warmup_steps: Any
    num_decay_steps: Any
    num_training_steps: int | None = None
    num_stable_steps: Any = None
    warmup_type: str = "linear"
    decay_type: str = "cosine"
    min_lr_ratio: float = 0.0
    num_cycles: float = 0.5
    scale_args = ("init_value",)

    def __post_init__(self):
        _set(self, "init_value", _lr("init_value", self.init_value))
        total = (None if self.num_training_steps is None
                 else v.check_int("num_training_steps", self.num_training_steps, min_value=1))
        _set(self, "num_training_steps", total)
        w = _stage("num_warmup_steps", self.num_warmup_steps, total)
        d = _stage("num_decay_steps", self.num_decay_steps, total)
        s = _stage("num_stable_steps", self.num_stable_steps, total)
        if s is None:
            if total is None:
                raise ValueError("either num_training_steps or num_stable_steps must be given")
            s = total - int(w) - int(d)
            if s < 0:
                raise ValueError(f"num_warmup_steps + num_decay_steps = {int(w) + int(d)}"
                                 f" must be <= num_training_steps={total}")
        if int(w) + s + int(d) > COUNT_LIMIT:
            raise ValueError(f"the stages must end before update {COUNT_LIMIT}")
        _set(self, "num_warmup_steps", w)
        _set(self, "num_decay_steps", d)
        _set(self, "num_stable_steps", s)
        v.check_choice("warmup_type", self.warmup_type, _WARMUP_TYPES)
        v.check_choice("decay_type", self.decay_type, _WARMUP_TYPES)
        _set(self, "min_lr_ratio", v.check_float("min_lr_ratio", self.min_lr_ratio, lo=0.0,
                                                 hi=1.0))
        _set(self, "num_cycles", v.check_float("num_cycles", self.num_cycles, lo=0.0))

    def __call__(self, xp, k, dtype):
        w, s, d = (int(self.num_warmup_steps), int(self.num_stable_steps),
                   int(self.num_decay_steps))
        m = self.min_lr_ratio
        # warmup: p = k / max(1, W)
        kw = xp.minimum(xp.maximum(k, 0), max(1, w))
        p = _f(xp, kw, dtype) / max(1, w)
        if self.warmup_type == "linear":
            up = p
        elif self.warmup_type == "cosine":
            up = _sin2(xp, p)
        else:  # 1 - sqrt(1 - p) == p / (1 + sqrt(1 - p))
            up = p / (1.0 + xp.sqrt(_f(xp, max(1, w) - kw, dtype) / max(1, w)))
        # cooldown: j = k - W - S in [0, D]
        j = xp.minimum(xp.maximum(k - w - s, 0), max(1, d))
        q = _f(xp, j, dtype) / max(1, d)
        rest = _f(xp, max(1, d) - j, dtype) / max(1, d)  # 1 - q, exact
        if self.decay_type == "linear":
            down = rest
        elif self.decay_type == "cosine":
            down = _cos_wave(xp, j, max(1, d), self.num_cycles, dtype)
        else:  # 1 - sqrt(q) == (1 - q) / (1 + sqrt(q))
            down = rest / (1.0 + xp.sqrt(q))
        if m == 0:
            warm, cool = up, down
        else:
            warm, cool = m + (1.0 - m) * up, m + (1.0 - m) * down
        factor = xp.where(k < w, warm,
                          xp.where(k < w + s, 1.0,
                                   xp.where(k < w + s + d, xp.maximum(cool, 0.0), m)))
        return self.init_value * _f(xp, factor, dtype)
