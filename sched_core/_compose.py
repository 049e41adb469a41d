"""Composition: schedules in sequence, chained as torch chains them, and torch's recursive
classes that only exist as a composition rule (MultiplicativeLR, SWALR).

The rule torch's recursive schedulers follow when several act on one optimizer is written
once here, in :func:`chain_step`, and used by every ``torch_compat`` class whose torch
namesake is chainable. :class:`Chained` is its closed form for the Optax face (a product of
factors), :class:`Sequential` torch's ``SequentialLR``. See ``docs/math.md`` section 5.
"""

from __future__ import annotations

import bisect
import dataclasses
import math
from collections.abc import Callable
from collections.abc import Sequence
from typing import Any

from sched_core import _validate as v
from sched_core._scalar import SCALAR
from sched_core._schedules import CosineAnnealingLR
from sched_core._schedules import Schedule
from sched_core._schedules import _f
from sched_core._schedules import _lr
from sched_core._schedules import _set
from sched_core._schedules import _sin2
from sched_core._schedules import _warmup_frac

__all__ = ["Chained", "MultiplicativeLR", "SWALR", "Sequential", "Warmup", "chain_step",
           "segment"]


def chain_step(spec: Schedule, k: int, cur: float, written: float | None,
               g: float | None, *, restart: bool = False) -> tuple[float, float | None]:
    """One update of torch's composition rule for a chainable ``spec`` (Python floats).

    torch's recursive classes map the LR they find, ``cur``, to
    ``floor + (cur - floor) * unit(k) / unit(k - 1)`` (``unit(-1) = 1``); where
    ``unit(k - 1) == 0`` the change is carried additively (``cur + span * unit(k)``:
    CosineAnnealingLR at its troughs, PolynomialLR past its end) or, for ``"reset"``
    schedules (SWALR), dropped. Here the same map is kept in factored form
    ``floor + g * unit(k)``: ``g`` is re-derived from ``cur`` only when someone else
    changed the LR (``cur != written``), so a scheduler used alone returns its closed form
    ``spec(k)`` bit for bit (``g is None``) and never drifts.

    Args:
      spec: a schedule with ``chain_kind`` ``"affine"`` or ``"reset"``.
      k: the update whose value is wanted (``>= 0``).
      cur: the LR found in the param group now.
      written: what this scheduler wrote last (None before its first write).
      g: the carried factor (None while the closed form holds; NaN: re-derive from ``cur``).

      restart: ``k == 0`` reached again outside construction (torch's ``SequentialLR`` undoes
        a ``ChainedScheduler``'s members and steps them from ``last_epoch = -1``): torch's
        recursion then applies its ratio at ``k = 0`` (``spec.unit_before_start()``).

    Returns:
      ``(value, g)`` for update ``k``.
    """
    if restart:
        written, g = math.nan, None
    elif g is None and cur == written:
        return spec(SCALAR, k, float), None
    floor, span = spec.chain_floor, spec.chain_span
    if k == 0:
        u_prev = spec.unit_before_start() if restart else 1.0
    else:
        u_prev = spec.unit(SCALAR, k - 1, float)
    u_now = spec.unit(SCALAR, k, float)
    if u_prev != 0.0:
        if g is None or g != g or cur != written:
            g = (cur - floor) / u_prev
        value = floor + g * u_now
    elif spec.chain_kind == "reset":
        return spec(SCALAR, k, float), None
    else:
        value = cur + span * u_now
        g = (value - floor) / u_now if u_now != 0.0 else math.nan
    if g == span:
        return spec(SCALAR, k, float), None
    return value, g


@dataclasses.dataclass(frozen=True, kw_only=True)
class Sequential(Schedule):
    r"""torch SequentialLR: schedule ``i`` runs from milestone ``i-1`` with a rebased count.

    .. math::

       v(k) = f_i(k - m_{i-1}), \qquad i = \#\{j \,:\, m_j \le k\}, \quad m_{-1} = 0

    with ``f_i = schedules[i]`` and ``m_j = milestones[j]`` (strictly increasing integers
    ``>= 1``, one fewer than the schedules): an update equal to a milestone belongs to the
    next member, which starts its own count at 0 (:func:`segment`).

    ``schedules`` are callables ``fn(k) -> value`` in the caller's namespace (the adapters
    pass their own schedules), so any schedule of either face can be a member.

    References:
      PyTorch ``torch.optim.lr_scheduler.SequentialLR``.

    Example:
      >>> from sched_core import SCALAR, ExponentialLR, LinearWarmup
      >>> warm = LinearWarmup(base_lr=1.0, warmup_steps=2)
      >>> decay = ExponentialLR(init_value=1.0, gamma=0.5)
      >>> s = Sequential(schedules=[lambda k: warm(SCALAR, k, float),
      ...                           lambda k: decay(SCALAR, k, float)], milestones=[2])
      >>> [round(s(SCALAR, k, float), 4) for k in range(5)]
      [0.5, 1.0, 1.0, 0.5, 0.25]
    """

    schedules: Sequence[Callable[[Any], Any]]
    milestones: Sequence[int]

    def __post_init__(self):
        scheds = list(self.schedules)
        if not scheds or not all(callable(s) for s in scheds):
            raise TypeError(f"schedules must be a non-empty sequence of callables, got {scheds!r}")
        _set(self, "schedules", tuple(scheds))
        _set(self, "milestones", v.check_milestones("milestones", self.milestones, strict=True))
        if len(self.milestones) != len(scheds) - 1:
            raise ValueError(
                f"milestones must have len(schedules) - 1 = {len(scheds) - 1} entries, "
                f"got {len(self.milestones)}")

    def __call__(self, xp, k, dtype):
        """Here each entry of ``schedules`` is ``fn(k) -> value`` in the caller's namespace."""
        if getattr(xp, "is_scalar", False):  # one host step: evaluate the active member only
            idx, local = segment(self.milestones, int(k))
            return _f(xp, self.schedules[idx](local), dtype)
        out = _f(xp, self.schedules[0](k), dtype)
        for m, s in zip(self.milestones, self.schedules[1:]):
            out = xp.where(k < m, out, _f(xp, s(xp.maximum(k - m, 0)), dtype))
        return out


def segment(milestones: Sequence[int], k: int) -> tuple[int, int]:
    """``(i, k - milestone_{i-1})``: the member a sequential join runs at host step ``k``.

    Member ``i`` runs from milestone ``i - 1`` (0 for the first) with its own count; a step
    equal to a milestone belongs to the next member (torch's ``bisect_right``).
    """
    idx = bisect.bisect_right(milestones, k)
    return idx, k - (milestones[idx - 1] if idx else 0)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Warmup(Schedule):
    r"""A warmup ramp in front of another schedule (the sequential join of a ramp and it).

    .. math::

       v(k) = \begin{cases}
         v_0 + (p - v_0)\, s\!\left(\frac{\min(k, W-1) + o}{W}\right) & k < W \\
         \text{schedule}(k - W) & k \ge W,\ \text{prefix} \\
         \text{schedule}(k) & k \ge W,\ \text{not prefix}
       \end{cases}

    with ``W = warmup_steps``, ``v_0 = init_value``, ``p = peak`` (by default the schedule's
    first value after the warmup), ``s`` the ramp shape (``"linear"``: ``s(x) = x``;
    ``"cosine"``: ``s(x) = (1 - cos(pi x)) / 2``) and ``o = 1`` (``first="step"``: the
    first update already moves, the peak is reached at update ``W - 1``, this library's
    warmups) or ``o = 0`` (``first="init"``: update 0 uses ``init_value`` and the peak is
    reached at update ``W``, as Hugging Face's and timm's warmups do). ``prefix=True``
    starts the wrapped schedule's count after the warmup (timm's ``warmup_prefix``).

    Example:
      >>> from sched_core import CosineDecay, SCALAR
      >>> w = Warmup(schedule=CosineDecay(init_value=1.0, decay_steps=4), warmup_steps=2,
      ...            first="init")
      >>> [round(w(SCALAR, k, float), 4) for k in range(7)]
      [0.0, 0.5, 1.0, 0.8536, 0.5, 0.1464, 0.0]
    """

    schedule: Schedule
    warmup_steps: int
    peak: float | None = None
    init_value: float = 0.0
    shape: str = "linear"
    first: str = "step"
    prefix: bool = True

    def __post_init__(self):
        if not isinstance(self.schedule, Schedule):
            raise TypeError(f"schedule must be a sched_core Schedule, got {self.schedule!r}")
        _set(self, "warmup_steps", v.check_int("warmup_steps", self.warmup_steps, min_value=0))
        v.check_choice("shape", self.shape, ("linear", "cosine"))
        v.check_choice("first", self.first, ("step", "init"))
        _set(self, "prefix", v.check_bool("prefix", self.prefix))
        _set(self, "init_value", _lr("init_value", self.init_value))
        if self.peak is None:
            start = 0 if self.prefix else self.warmup_steps
            _set(self, "peak", float(self.schedule(SCALAR, start, float)))
        _set(self, "peak", _lr("peak", self.peak))

    scale_args = ("peak",)

    def ramp(self, xp, k, dtype):
        """The warmup value at update ``k < W`` (the ramp continued flat beyond)."""
        w = self.warmup_steps
        if self.first == "step":
            frac = _warmup_frac(xp, k, w, dtype)
        else:
            frac = _f(xp, xp.minimum(k, w), dtype) / w
        if self.shape == "cosine":
            frac = _sin2(xp, frac)
        if self.init_value == 0:
            return self.peak * frac
        return self.init_value + (self.peak - self.init_value) * frac

    def __call__(self, xp, k, dtype):
        w = self.warmup_steps
        local = xp.maximum(k - w, 0) if self.prefix else k
        if getattr(xp, "is_scalar", False):
            return self.ramp(xp, k, dtype) if k < w else self.schedule(xp, local, dtype)
        after = _f(xp, self.schedule(xp, local, dtype), dtype)
        if w == 0:
            return after
        return xp.where(k < w, self.ramp(xp, k, dtype), after)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Chained(Schedule):
    r"""torch ``ChainedScheduler`` in closed form: ``base * prod_i v_i(k) / base_i``.

    .. math::

       v(k) = b_0 \prod_i \frac{v_i(k)}{b_i}

    with ``v_i = specs[i]`` and ``b_i`` its base (its first LR-scale argument:
    ``init_value``, ``base_lr``, ...; a member with base 0 contributes its ``unit(k)``);
    ``b_0`` is the first member's. Every member must be chainable in torch (a recursive
    class: StepLR, MultiStepLR, ExponentialLR, ConstantLR, LinearLR, PolynomialLR,
    CosineAnnealingLR, MultiplicativeLR or this library's warmups); torch's chain of them
    multiplies their factors. A CosineAnnealingLR with ``eta_min = 0`` is the exception
    torch's recursion makes: it zeroes the chain at its troughs ``t = T_max (mod 2 T_max)``
    and adds ``b_0 * unit(t + 1)`` at the restart after, so the value is a sum of terms,
    one per such restart since the latest zeroing (docs/math.md, section 2.5): torch's for
    any number of such cosines in any positions. A
    CosineAnnealingLR with ``eta_min > 0`` is composed as the factor ``v(k) / base`` too,
    where torch's recursion is affine around ``eta_min`` (docs/math.md bounds the
    difference). Overwriting members (one-cycle, cyclic, SGDR, lambda) raise
    ``ValueError``: put them in :class:`Sequential`.

    References:
      PyTorch ``torch.optim.lr_scheduler.ChainedScheduler``.

    Example:
      >>> from sched_core import SCALAR, LinearLR, StepLR
      >>> s = Chained(specs=[StepLR(init_value=1.0, step_size=2, gamma=0.5),
      ...                    LinearLR(init_value=1.0, start_factor=0.5, total_iters=2)])
      >>> [round(s(SCALAR, k, float), 4) for k in range(5)]
      [0.5, 0.75, 0.5, 0.5, 0.25]
    """

    specs: Sequence[Schedule]

    def __post_init__(self):
        specs = tuple(self.specs)
        if not specs:
            raise ValueError("specs must be a non-empty sequence of chainable schedules, got []")
        for i, s in enumerate(specs):
            if not isinstance(s, Schedule) or s.chain_kind not in ("affine", "multiplicative"):
                name = type(s).__name__
                raise ValueError(
                    f"specs[{i}] ({name}) is not chainable: torch's {name} overwrites the LR "
                    "from its own bases, so a chain would keep only its last value; use "
                    "Sequential (sequential_lr) to run it before or after the others")
        _set(self, "specs", specs)

    @property
    def base(self) -> float:
        """The chain's base LR (the first member's)."""
        return float(getattr(self.specs[0], self.specs[0].scale_args[0]))

    def _factor(self, s: Schedule, xp, k, dtype):
        b = float(getattr(s, s.scale_args[0]))
        return s(xp, k, dtype) / b if b != 0 else s.unit(xp, k, dtype)

    def _ratio(self, s: Schedule, xp, k, ref, dtype):
        """``factor(k) / factor(ref)`` (1 where ``factor(ref) == 0``), from the member's
        own :meth:`Schedule.unit_ratio` where its factor is its unit (no floor)."""
        if s.chain_floor == 0 or float(getattr(s, s.scale_args[0])) == 0:
            return s.unit_ratio(xp, k, ref, dtype)
        den = self._factor(s, xp, ref, dtype)
        zero = den == 0
        return xp.where(zero, 1.0, self._factor(s, xp, k, dtype) / xp.where(zero, 1.0, den))

    def __call__(self, xp, k, dtype):
        out = _f(xp, self.base, dtype)
        units = [self._factor(s, xp, k, dtype) for s in self.specs]
        troughs = {idx: s.T_max for idx, s in enumerate(self.specs)
                   if isinstance(s, CosineAnnealingLR) and s.eta_min == 0}
        if not troughs:
            for u in units:
                out = out * u
            return out
        # torch's recursion runs the members in order at every update; a cosine with
        # eta_min = 0 multiplies the LR by 0 at its troughs t = T (mod 2T) and adds
        # base * unit(t + 1) at its restarts t + 1. The LR is therefore a sum of terms, one
        # per restart since the latest zeroing (at most one per such cosine): a restart of
        # member j at update r contributes base * unit_j(k) times, for every other member
        # p, its factor since then: unit_p(k) / unit_p(ref), ref = r (p before j) or r - 1
        # (p after j), moved to p's own restart when ref is p's trough (its factor there is
        # the addition, 1 for this term). Events are ordered (update, position).
        def is_trough(t, step):
            return (step >= t) & ((step - t) % (2 * t) == 0)

        # each such cosine's latest trough at or before update k (-1: none yet)
        last = {idx: xp.where(k >= t, k - (k - t) % (2 * t), -1) for idx, t in troughs.items()}
        zero_step, zero_pos = -1, -1  # the latest zeroing event at or before update k
        for idx, step in last.items():
            newer = (step >= 0) & (step >= zero_step)
            zero_step = xp.where(newer, step, zero_step)
            zero_pos = xp.where(newer, idx, zero_pos)
        total = None
        for j in troughs:
            r = last[j] + 1
            live = (r >= 1) & (r <= k) & ((r > zero_step) | ((r == zero_step) & (j > zero_pos)))
            term = out
            for p, (spec, u) in enumerate(zip(self.specs, units)):
                if p == j:
                    term = term * u
                    continue
                first = r + 1 if p < j else r  # p's first update applied to this term
                ref = first - 1
                if p in troughs:
                    ref = xp.where(is_trough(troughs[p], ref), ref + 1, ref)
                term = term * xp.where(first > k, 1.0,
                                       self._ratio(spec, xp, k, xp.maximum(ref, 0), dtype))
            term = xp.where(live, term, 0.0)
            total = term if total is None else total + term
        for u in units:
            out = out * u
        return xp.where(zero_step < 0, out, total)


@dataclasses.dataclass(frozen=True, kw_only=True)
class MultiplicativeLR(Schedule):
    r"""torch ``MultiplicativeLR``: ``init_value * fn(1) * fn(2) * ... * fn(k)``.

    .. math::

       v(k) = v_0 \prod_{j=1}^{k} f(j)

    with ``v_0 = init_value`` and ``f = fn`` (update 0 uses ``v_0``; update ``j >= 1``
    multiplies by ``fn(j)``). A running product: folded left on the host (numpy and the
    scalar namespace, as torch's recursion does); with a namespace offering ``fori_loop``
    (the Optax adapter passes ``jax.lax``'s) evaluated as
    ``sign * exp(sum_j log|fn(j)|)`` with a compensated sum, so float32 keeps about
    ``eps * |log(v_k / v_0)|`` relative error instead of ``k * eps``.

    References:
      PyTorch ``torch.optim.lr_scheduler.MultiplicativeLR``.

    Example:
      >>> from sched_core import SCALAR
      >>> s = MultiplicativeLR(init_value=1.0, fn=lambda j: 1.0 / (j + 1))
      >>> [round(s(SCALAR, k, float), 4) for k in range(4)]
      [1.0, 0.5, 0.1667, 0.0417]
    """

    init_value: float
    fn: Callable[[Any], Any] = dataclasses.field(compare=False)
    scale_args = ("init_value",)
    chain_kind = "multiplicative"

    def __post_init__(self):
        _set(self, "init_value", _lr("init_value", self.init_value))
        if not callable(self.fn):
            raise TypeError(f"fn must be callable, got {self.fn!r}")

    def factor(self, j: int) -> float:
        """``fn(j)`` as a Python float (the factor torch applies at update ``j >= 1``)."""
        return float(self.fn(j))

    def __call__(self, xp, k, dtype):
        if getattr(xp, "is_scalar", False):
            value = float(self.init_value)
            for j in range(1, int(k) + 1):
                value = value * self.factor(j)
            return value
        loop = getattr(xp, "fori_loop", None)
        if loop is not None:
            # The product as exp(sum of log|f|) with Kahan compensation (and the sign kept
            # apart): the float32 error is about eps * |log(v_k / v_0)| instead of k * eps.
            def body(j, carry):
                total, comp, sign = carry
                f = _f(xp, self.fn(j), dtype)
                y = xp.log(xp.abs(f)) - comp
                t = total + y
                comp = xp.where(xp.isfinite(t), (t - total) - y, 0.0)
                return t, comp, sign * xp.where(f < 0, -1.0, 1.0)
            zero = 0.0 * _f(xp, k, dtype)
            total, _, sign = loop(1, k + 1, body, (zero, zero, zero + 1.0))
            return self.init_value * sign * xp.exp(total)
        import numpy as np  # host arrays: fold per element
        ks = np.asarray(k)
        out = np.array([self(SCALAR, int(x), float) for x in ks.ravel()], dtype=dtype)
        return out.reshape(ks.shape)

    def unit(self, xp, k, dtype):
        """``prod_{j <= k} fn(j)``."""
        return MultiplicativeLR(init_value=1.0, fn=self.fn)(xp, k, dtype)


@dataclasses.dataclass(frozen=True, kw_only=True)
class SWALR(Schedule):
    r"""torch ``swa_utils.SWALR``: anneal from ``init_value`` to ``swa_lr``, then hold it.

    .. math::

       v(k) = \eta_{swa} + (v_0 - \eta_{swa})\,\bigl(1 - \alpha(t)\bigr), \qquad
       t = \frac{\min(k, A)}{A}, \qquad
       \alpha(t) = \begin{cases} (1 - \cos \pi t) / 2 & \text{"cos"} \\
                                 t & \text{"linear"} \end{cases}

    with ``v_0 = init_value``, ``eta_swa = swa_lr``, ``A = anneal_epochs`` and the
    ``anneal_strategy`` choosing ``alpha``; ``A = 0`` gives ``swa_lr`` from update 0. The
    cosine is evaluated as ``1 - alpha = sin(pi/2 * (A - min(k, A)) / A) ** 2``.
    ``init_value`` is the LR in the group when the annealing starts (torch reads it from
    the group, not from ``initial_lr``).

    References:
      Izmailov et al., `Averaging Weights Leads to Wider Optima and Better Generalization
      <https://arxiv.org/abs/1803.05407>`_, 2018

      PyTorch ``torch.optim.swa_utils.SWALR``.

    Example:
      >>> from sched_core import SCALAR
      >>> s = SWALR(init_value=1.0, swa_lr=0.1, anneal_epochs=4)
      >>> [round(s(SCALAR, k, float), 4) for k in range(6)]
      [1.0, 0.8682, 0.55, 0.2318, 0.1, 0.1]
    """

    init_value: float
    swa_lr: float
    anneal_epochs: int = 10
    anneal_strategy: str = "cos"
    scale_args = ("init_value", "swa_lr")
    chain_kind = "reset"

    def __post_init__(self):
        _set(self, "init_value", _lr("init_value", self.init_value))
        _set(self, "swa_lr", _lr("swa_lr", self.swa_lr))
        _set(self, "anneal_epochs", v.check_int("anneal_epochs", self.anneal_epochs,
                                                min_value=0))
        v.check_choice("anneal_strategy", self.anneal_strategy, ("cos", "linear"))

    @property
    def chain_floor(self) -> float:
        """torch's recursion is affine around ``swa_lr``."""
        return float(self.swa_lr)

    @property
    def chain_span(self) -> float:
        """``init_value - swa_lr``."""
        return float(self.init_value - self.swa_lr)

    def unit(self, xp, k, dtype):
        """``1 - alpha(t)``: 1 at the start, 0 once annealed."""
        a = self.anneal_epochs
        if a == 0:
            return xp.full(xp.shape(k), 0.0, dtype=dtype)
        rem = _f(xp, a - xp.minimum(xp.maximum(k, 0), a), dtype) / a  # 1 - t, exact at the ends
        if self.anneal_strategy == "linear":
            return rem
        return _sin2(xp, rem)  # 1 - (1 - cos(pi t))/2 == sin(pi/2 (1 - t))**2

    def __call__(self, xp, k, dtype):
        return self.swa_lr + (self.init_value - self.swa_lr) * self.unit(xp, k, dtype)
