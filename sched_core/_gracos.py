"""GraCos: gradient-aware cosine oscillation around a linear decay (docs/math.md, section 10).

The formulas are written against an array namespace ``xp`` that may be numpy,
jax.numpy or torch (the torch face keeps its gradient statistics on the
gradients' device). Only elementwise operations, ``where`` and ``isfinite``
are used on per-step quantities.
"""

from __future__ import annotations

import dataclasses
import math
import re
from typing import cast

from sched_core import _validate as v

__all__ = ["GraCosConfig", "MODES", "natural_key", "path_order"]

MODES = ("normal", "auto")
_ALIASES = {"constant": "normal"}
#: amplitude factor bounds of the reference: clip(exp(-mean), 0.05, 1.5)
FACTOR_MIN, FACTOR_MAX = 0.05, 1.5
_INT32_MAX = 2**31 - 1


@dataclasses.dataclass(frozen=True, kw_only=True)
class GraCosConfig:
    r"""GraCos: a gradient-aware cosine wave around a linear decay (validated hyperparameters).

    With ``W = warmup_epochs * S`` warmup updates, ``M = (E - We) * S`` decay updates and
    ``j = max(k - W, 0)``, the LR used by update ``k`` (:meth:`lr`) is

    .. math::

       \mathrm{lr}(k) = \begin{cases}
         \eta_{lo} + (\eta_{hi} - \eta_{lo})\, \dfrac{\min(k, W - 1) + 1}{W} & k < W \\[2ex]
         \max\!\left(b_k - A_k + 2 A_k \sin^2(\pi x_k)\, \dfrac{\min(k, B)}{B},\
           0.1\, \eta_{lo}\right) & W = 0 \\[2ex]
         \max\!\left(b_k + A_k \sin(2 \pi x_k),\ 0.1\, \eta_{lo}\right) & k \ge W > 0
       \end{cases}

       b_k = \eta_{lo} + (\eta_{hi} - \eta_{lo})\, \frac{M - \min(j, M)}{M}, \qquad
       A_k = \min(a\, g\, b_k,\ b_k), \qquad
       x_k = \left(\frac{(F (k \bmod S)) \bmod S}{S} + \phi\right) \bmod 1

    with ``eta_hi = initial_lr``, ``eta_lo = final_lr``, ``S = steps_per_epoch``,
    ``E = total_epochs``, ``We = warmup_epochs``, ``a = amplitude``, ``B = ceil(S / F)``
    (early-stage blending over one oscillation period), ``phi`` the out-of-phase shift
    (``(i + 1) / L`` for leaf / param group ``i`` of ``L``, else 0), and the epoch's
    amplitude ratio ``g`` and integer frequency ``F`` (``g = 1`` and ``F = frequency`` in
    normal mode; in auto mode :meth:`epoch_end` sets them from the epoch's gradient
    statistic for the next epoch). Without a warmup update 0 sits at the trough; after one
    the wave starts on the trajectory, rising (evaluated as
    ``b - A + 2 A cos^2(pi x - pi/4)``). The wave is off (``A_k = 0``, so
    ``lr = max(b_k, 0.1 eta_lo)`` after the warmup) when ``S < 4`` or ``amplitude = 0``.
    See docs/math.md, section 10.

    Args:
      initial_lr: trajectory start (after warmup), ``> 0``.
      final_lr: trajectory end, in ``[0, initial_lr]``.
      steps_per_epoch: updates per epoch ``S >= 1``.
      total_epochs: epochs ``E >= 1``, warmup included.
      mode: ``"normal"`` (alias ``"constant"``) or ``"auto"``.
      warmup_epochs: linear warmup epochs, ``0 <= We < E``.
      amplitude: amplitude factor ``a >= 0`` (1.0: the peak is twice the trajectory).
      frequency: oscillations per epoch, an integer ``>= 1``; default ``round(sqrt(S))``.

    References:
      Repository ``OscarGVelasco/gradient-cosine-decay-scheduler`` (reference design
      "gracos": ``GradientCosineScheduler`` and ``GradientCosineOOPScheduler``); the
      differences from it are listed in docs/math.md, section 10.

    Example:
      >>> from sched_core import SCALAR
      >>> g = GraCosConfig(initial_lr=1.0, final_lr=0.0, steps_per_epoch=4, total_epochs=2,
      ...            frequency=1)
      >>> [round(g.lr(SCALAR, k, 1.0, g.frequency, float), 4) for k in range(9)]
      [0.0, 0.2187, 0.75, 0.4688, 0.0, 0.375, 0.5, 0.125, 0.0]
    """

    initial_lr: float
    final_lr: float
    steps_per_epoch: int
    total_epochs: int
    mode: str = "normal"
    warmup_epochs: int = 0
    amplitude: float = 1.0
    frequency: int | None = None

    def __post_init__(self):
        init = v.check_float("initial_lr", self.initial_lr, lo=0.0, lo_open=True)
        object.__setattr__(self, "initial_lr", init)
        object.__setattr__(self, "final_lr", v.check_float("final_lr", self.final_lr, lo=0.0,
                                                           hi=init))
        s = v.check_int("steps_per_epoch", self.steps_per_epoch, min_value=1)
        object.__setattr__(self, "steps_per_epoch", s)
        e = v.check_int("total_epochs", self.total_epochs, min_value=1)
        object.__setattr__(self, "total_epochs", e)
        mode = _ALIASES.get(self.mode, self.mode) if isinstance(self.mode, str) else self.mode
        object.__setattr__(self, "mode", v.check_choice("mode", mode, MODES + tuple(_ALIASES)))
        object.__setattr__(self, "warmup_epochs", v.check_int(
            "warmup_epochs", self.warmup_epochs, min_value=0, max_value=e - 1))
        object.__setattr__(self, "amplitude", v.check_float("amplitude", self.amplitude, lo=0.0))
        freq = self.default_frequency if self.frequency is None else self.frequency
        freq = v.check_int("frequency", freq, min_value=1)
        if freq * s > _INT32_MAX:
            raise ValueError(f"frequency * steps_per_epoch must be <= {_INT32_MAX} (int32 phase "
                             f"arithmetic), got {freq} * {s}")
        object.__setattr__(self, "frequency", freq)
        if e * s > _INT32_MAX:
            raise ValueError(f"total_epochs * steps_per_epoch must be <= {_INT32_MAX}, got "
                             f"{e} * {s}")

    # ------------------------------------------------------------------ derived constants
    @property
    def default_frequency(self) -> int:
        """``round(sqrt(S))`` (half up), at least 1."""
        return max(1, int(math.floor(math.sqrt(self.steps_per_epoch) + 0.5)))

    @property
    def warmup_steps(self) -> int:
        """``W = warmup_epochs * S``."""
        return self.warmup_epochs * self.steps_per_epoch

    @property
    def main_steps(self) -> int:
        """``M = (E - We) * S`` steps of linear decay."""
        return (self.total_epochs - self.warmup_epochs) * self.steps_per_epoch

    @property
    def oscillates(self) -> bool:
        """The wave is off when ``S < 4`` (too few steps per epoch to oscillate)."""
        return self.steps_per_epoch >= 4 and self.amplitude > 0

    @property
    def floor(self) -> float:
        """LR floor ``0.1 * final_lr``."""
        return 0.1 * self.final_lr

    @property
    def blend_steps(self) -> int:
        """Early-stage blending window: one oscillation period, ``ceil(S / F)`` updates."""
        return -(-self.steps_per_epoch // cast(int, self.frequency))  # set in __post_init__

    # ------------------------------------------------------------------ the LR
    def lr(self, xp, k, amp_ratio, freq, dtype, shifts=0.0):
        """LR used by update ``k`` given the epoch's amplitude ratio and frequency.

        Args:
          xp: array namespace.
          k: integer step (array).
          amp_ratio: amplitude ratio ``g`` of the current epoch (1 in normal mode).
          freq: integer frequency ``F`` of the current epoch.
          dtype: float dtype.
          shifts: phase shifts in cycles, ``(i + 1) / L`` per leaf for out-of-phase (an
            array of shape ``(L,)``), 0 for the plain schedule.

        Returns:
          The LR (broadcast against ``shifts``).
        """
        lo, hi = self.final_lr, self.initial_lr
        s, w, m = self.steps_per_epoch, self.warmup_steps, self.main_steps
        j = xp.maximum(k - w, 0) if w else k
        rem = xp.asarray(m - xp.minimum(j, m), dtype=dtype) / m
        base = lo + (hi - lo) * rem
        if self.oscillates:
            amp = xp.minimum(self.amplitude * amp_ratio * base, base)
            u = (freq * (k % s)) % s
            x = xp.asarray(u, dtype=dtype) / s + shifts
            x = x - xp.floor(x)
            if w:  # phase -pi/2: joins the warmup at the trajectory, rising
                c = xp.cos(math.pi * x - 0.25 * math.pi)
                lr = base - amp + amp * (2 * c * c)
            else:  # phase pi: update 0 at the trough; 1 + cos(2 pi x + pi) = 2 sin(pi x)^2
                sn = xp.sin(math.pi * x)
                excursion = amp * (2 * sn * sn)
                b = xp.asarray(xp.minimum(k, self.blend_steps), dtype=dtype) / self.blend_steps
                lr = base - amp + excursion * b
        else:
            lr = base + 0.0 * xp.asarray(shifts, dtype=dtype)
        lr = xp.maximum(lr, self.floor)
        if w:
            ramp = lo + (hi - lo) * (xp.asarray(xp.minimum(k, w - 1) + 1, dtype=dtype) / w)
            lr = xp.where(k < w, ramp + 0.0 * lr, lr)
        return lr

    # ------------------------------------------------------------------ statistics (auto)
    @staticmethod
    def stat_update(xp, n, mean, m2, g):
        """Welford update of the epoch's gradient statistic; non-finite ``g`` is skipped.

        Returns the new ``(n, mean, m2)``; ``n`` counts the finite values seen.
        """
        ok = xp.isfinite(g)
        g0 = xp.where(ok, g, 0.0)
        n1 = n + xp.where(ok, 1, 0)
        delta = g0 - mean
        mean1 = xp.where(ok, mean + delta / xp.where(ok, n1, 1), mean)
        m2_1 = xp.where(ok, m2 + delta * (g0 - mean1), m2)
        return n1, mean1, m2_1

    def epoch_end(self, xp, n, mean, m2, amp_ratio, freq, dtype):
        """New ``(amp_ratio, freq)`` for the next epoch from the epoch's statistics.

        ``g = clip(exp(-mean), 0.05, 1.5)`` (the reference's factor) and
        ``F = clip(floor(F0 / (1 + cv) + 1/2), 1, F0)`` with ``cv = std / mean`` the
        coefficient of variation. An epoch without a finite statistic keeps both values.
        """
        have = n > 0
        safe_n = xp.where(have, n, 1)
        mean = xp.asarray(mean, dtype=dtype)
        g = xp.minimum(xp.maximum(xp.exp(-mean), FACTOR_MIN), FACTOR_MAX)
        std = xp.sqrt(xp.maximum(xp.asarray(m2, dtype=dtype) / safe_n, 0.0))
        cv = xp.where(mean > 0, std / xp.where(mean > 0, mean, 1.0), 0.0)
        f0 = self.frequency
        f_new = xp.floor(f0 / (1.0 + cv) + 0.5)
        f_new = xp.minimum(xp.maximum(f_new, 1.0), float(f0))
        return xp.where(have, g, amp_ratio), xp.where(have, f_new, freq)


def natural_key(name: str) -> tuple:
    """Sort key of a parameter path: ``.`` and ``/`` separate parts, digit runs compare as
    numbers (``"layers/10/w"`` after ``"layers/2/w"``; torch's ``"0.weight"`` and Flax's
    ``"0/kernel"`` split alike)."""
    out = []
    for part in re.split(r"[./]", name):
        for tok in re.findall(r"\d+|\D+", part):
            out.append((0, int(tok), "") if tok.isdigit() else (1, 0, tok))
        out.append((-1, 0, ""))  # part separator sorts before any token
    return tuple(out)


def path_order(names: list[str]) -> list[int]:
    """Indices of ``names`` sorted by :func:`natural_key`: the out-of-phase order "path".

    Both faces use it: ``gracos(..., out_of_phase=True, leaf_order="path")`` on the JAX side,
    ``per_tensor_param_groups(model, order="path")`` on the torch side, so tensor ``i`` of the
    sorted names gets phase ``2*pi*(i+1)/L`` in both frameworks.
    """
    if len(set(names)) != len(names):
        raise ValueError(f"parameter paths must be unique, got {names}")
    return sorted(range(len(names)), key=lambda i: natural_key(names[i]))
