"""AdaptiveScheduler: loss-aware LR and momentum with reversible freezing.

No reference implementation exists; docs/math.md (section 12) is the specification and
this module implements it once, against an array namespace ``xp``. Per-leaf quantities are
vectors of length ``L`` (one entry per pytree leaf / parameter tensor).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any
from typing import NamedTuple

from sched_core import _validate as v

__all__ = ["AdaptiveConfig", "AdaptiveStats", "LR_RULES", "MOMENTUM_RULES", "CONSTANTS"]

LR_RULES = ("trend", "variance", "grad_norm", "cyclical")
MOMENTUM_RULES = ("relative", "inverse", "normalized")

#: Fixed constants of the specification (docs/math.md, section 12).
CONSTANTS: dict[str, Any] = dict(
    loss_beta=0.9,  # EMA factor of the loss and of its squared deviation
    trend_scale=1e-2,  # relative loss-EMA change per update that saturates the trend rule
    trend_gain=0.5,  # trend multiplier in (1 - gain, 1 + gain)
    variance_gain=10.0,  # variance multiplier 1 / (1 + gain * noise)
    cyclical_floor=0.1,  # cyclical multiplier in [floor, 1]
    horizon=1000,  # steps: cycle period and progress time constant without total_steps
    dynamic_floor=0.1,  # every chosen rule keeps at least this share of its profile
    lr_bounds=(0.01, 2.0),  # LR in [0.01, 2] * base_lr
    momentum_bounds=(0.0, 0.999),
    relative_gain=0.1,  # relative momentum rule in mu0 * (1 +- gain)
    wake_factor=2.0,  # a frozen leaf wakes when its EMA exceeds wake_factor * threshold
)


class AdaptiveStats(NamedTuple):
    """Running statistics (scalars). ``*_n`` count the finite values seen."""

    loss_n: Any
    loss_ema: Any
    loss_prev: Any  # the loss EMA before the last finite loss
    loss_var: Any  # EMA of the squared deviation of the loss from its EMA
    grad_n: Any
    grad_ema: Any  # EMA of the global gradient norm (beta = freeze_ema_beta)
    grad_ref: Any  # the first finite global gradient norm


def _weights(name: str, rules: Any, allowed: tuple[str, ...]) -> dict[str, float]:
    if not isinstance(rules, Mapping) or not rules:
        raise TypeError(f"{name} must be a non-empty dict of rule -> weight, got {rules!r}")
    out = {}
    for rule, w in rules.items():
        if rule not in allowed:
            raise ValueError(f"{name} has unknown rule {rule!r}; valid rules: {list(allowed)}")
        out[rule] = v.check_float(f"{name}[{rule!r}]", w, lo=0.0)
    if sum(out.values()) <= 0:
        raise ValueError(f"{name} weights must have a positive sum, got {out}")
    return out


@dataclasses.dataclass(frozen=True, kw_only=True)
class AdaptiveConfig:
    r"""Validated AdaptiveScheduler hyperparameters and the formulas that use them.

    The LR and momentum used by update ``k`` (:meth:`controls`) depend only on the losses
    and gradient norms of updates ``< k`` (:meth:`observe`):

    .. math::

       \eta_k = \mathrm{clip}\Bigl(\eta_0 \sum_r w_r(k)\, f_r,\ 0.01\,\eta_0,\ 2\,\eta_0\Bigr),
       \qquad
       \mu_k = \mathrm{clip}\Bigl(\sum_r v_r\, \mu_r,\ 0,\ 0.999\Bigr)

       f_{trend} = 1 + 0.5 \tanh(\rho / 0.01), \quad
       f_{variance} = \frac{1}{1 + 10 \nu}, \quad
       f_{grad\_norm} = \frac{2}{1 + G_{ema} / G_{ref}}, \quad
       f_{cyclical} = 0.1 + 0.9 \sin^2\!\left(\frac{\pi}{2}\, \frac{T - c}{T}\right)

       \mu_{relative} = \mu_0 \bigl(1 + 0.1 \tanh(\rho / 0.01)\bigr), \quad
       \mu_{inverse} = 1 - \frac{1}{1 + |e|}, \quad
       \mu_{normalized} = \frac{\mu_0}{1 + \nu}

    with ``eta_0 = base_lr``, ``mu_0 = momentum``, the loss EMA ``e`` (factor 0.9) and its
    previous value ``e_prev``, the trend ``rho = (e_prev - e) / (|e_prev| + 1e-12)`` (0
    before two finite losses), the noise ``nu = sqrt(s2) / (|e| + 1e-12)`` (``s2`` the EMA of
    the squared deviation of the loss from its EMA), ``G_ema`` the EMA (factor
    ``freeze_ema_beta``) of the global gradient norm and ``G_ref`` its first finite value
    (``f_grad_norm = 1`` before one; ``mu_inverse = mu_0`` before any loss). The cyclical
    rule uses ``T = total_steps``, ``c = min(k, T)`` (one decay to 0.1), or ``T = 1000``,
    ``c = k mod 1000`` (restarts) without ``total_steps``. ``v_r`` are the normalised
    ``momentum_rules`` weights; ``w_r`` the normalised ``lr_rules`` weights ``u_r``, or,
    with ``dynamic_weights``, ``u_r (0.1 + profile_r(p))`` normalised, over the progress
    ``p = min(k / total_steps, 1)`` (or ``1 - exp(-k / 1000)``) with profiles ``1 - p``
    (variance, grad_norm), ``1 - |2p - 1|`` (trend) and ``p`` (cyclical). Update 0 uses
    ``base_lr`` and ``momentum``. A leaf that has seen a finite gradient is frozen
    (:meth:`freeze`) from update ``min_steps_before_freeze`` on once its gradient-norm EMA
    is below ``freeze_threshold``, and wakes only when it exceeds twice that.
    docs/math.md, section 12, is the specification.

    References:
      Reference design "adaptive-scheduler" (README only, repository
      ``theoryjames1-glitch/ADAPTIVE-TRAINING-CONTROL``; no public implementation exists).

    Example:
      >>> import numpy as np
      >>> cfg = AdaptiveConfig(base_lr=0.1)
      >>> st = cfg.init_stats(np, np.float64)
      >>> lr, mom, _, _ = cfg.controls(np, st, 0, np.float64)
      >>> round(float(lr), 4), round(float(mom), 4)
      (0.1, 0.9)
      >>> st = cfg.observe(np, cfg.observe(np, st, 1.0, 1.0), 0.5, 1.0)
      >>> lr, mom, lr_w, _ = cfg.controls(np, st, 2, np.float64)
      >>> round(float(lr), 4), round(float(mom), 4), [round(float(w), 4) for w in lr_w]
      (0.0652, 0.8391, [0.1244, 0.6567, 0.2189, 0.0])
    """

    base_lr: float
    momentum: float = 0.9
    lr_rules: Mapping[str, float] = dataclasses.field(
        default_factory=lambda: {"trend": 0.6, "variance": 0.3, "grad_norm": 0.1})
    momentum_rules: Mapping[str, float] = dataclasses.field(
        default_factory=lambda: {"relative": 0.7, "inverse": 0.3})
    dynamic_weights: bool = True
    freeze_threshold: float = 1e-4
    freeze_ema_beta: float = 0.9
    min_steps_before_freeze: int = 100
    total_steps: int | None = None

    def __post_init__(self):
        s = object.__setattr__
        s(self, "base_lr", v.check_float("base_lr", self.base_lr, lo=0.0, lo_open=True))
        s(self, "momentum", v.check_float("momentum", self.momentum, lo=0.0,
                                          hi=CONSTANTS["momentum_bounds"][1]))
        s(self, "lr_rules", _weights("lr_rules", self.lr_rules, LR_RULES))
        s(self, "momentum_rules", _weights("momentum_rules", self.momentum_rules,
                                           MOMENTUM_RULES))
        s(self, "dynamic_weights", v.check_bool("dynamic_weights", self.dynamic_weights))
        s(self, "freeze_threshold", v.check_float("freeze_threshold", self.freeze_threshold,
                                                  lo=0.0))
        s(self, "freeze_ema_beta", v.check_float("freeze_ema_beta", self.freeze_ema_beta,
                                                 lo=0.0, hi=1.0, hi_open=True))
        s(self, "min_steps_before_freeze", v.check_int(
            "min_steps_before_freeze", self.min_steps_before_freeze, min_value=0))
        if self.total_steps is not None:
            s(self, "total_steps", v.check_int("total_steps", self.total_steps, min_value=1))

    # ------------------------------------------------------------------ statistics
    @staticmethod
    def init_stats(xp, dtype) -> AdaptiveStats:
        """All-zero statistics."""
        # one array per field: a shared buffer could not be donated (jit donate_argnums)
        return AdaptiveStats(*(xp.zeros((), dtype=dtype) for _ in AdaptiveStats._fields))

    def observe(self, xp, st: AdaptiveStats, loss, grad_norm) -> AdaptiveStats:
        """Folds in one update's loss and global gradient norm (non-finite values skipped)."""
        b = CONSTANTS["loss_beta"]
        ok = xp.isfinite(loss)
        x = xp.where(ok, loss, 0.0)
        first = st.loss_n == 0
        ema = xp.where(first, x, b * st.loss_ema + (1 - b) * x)
        var = xp.where(first, 0.0, b * st.loss_var + (1 - b) * (x - st.loss_ema) ** 2)
        loss_prev = xp.where(ok, xp.where(first, x, st.loss_ema), st.loss_prev)
        gb = self.freeze_ema_beta
        gok = xp.isfinite(grad_norm)
        g = xp.where(gok, grad_norm, 0.0)
        gfirst = st.grad_n == 0
        gema = xp.where(gfirst, g, gb * st.grad_ema + (1 - gb) * g)
        return AdaptiveStats(
            st.loss_n + xp.where(ok, 1.0, 0.0), xp.where(ok, ema, st.loss_ema), loss_prev,
            xp.where(ok, var, st.loss_var), st.grad_n + xp.where(gok, 1.0, 0.0),
            xp.where(gok, gema, st.grad_ema), xp.where(gok & gfirst, g, st.grad_ref))

    def observe_leaves(self, xp, n, ema, norms):
        """Per-leaf gradient-norm EMAs; a non-finite (or missing: NaN) norm is skipped."""
        b = self.freeze_ema_beta
        ok = xp.isfinite(norms)
        x = xp.where(ok, norms, 0.0)
        new = xp.where(n == 0, x, b * ema + (1 - b) * x)
        return n + xp.where(ok, 1.0, 0.0), xp.where(ok, new, ema)

    def freeze(self, xp, n, ema, frozen, count):
        """Freeze mask for update ``count``: hysteresis between ``thr`` and ``2 thr``."""
        thr = self.freeze_threshold
        stay = frozen & (ema <= CONSTANTS["wake_factor"] * thr)
        start = (~frozen) & (ema < thr)
        allowed = (count >= self.min_steps_before_freeze) & (n > 0)
        return allowed & (stay | start)

    # ------------------------------------------------------------------ controls
    def _signals(self, xp, st):
        c = CONSTANTS
        r = xp.where(st.loss_n >= 2, (st.loss_prev - st.loss_ema)
                     / (xp.abs(st.loss_prev) + 1e-12), 0.0)
        noise = xp.sqrt(xp.maximum(st.loss_var, 0.0)) / (xp.abs(st.loss_ema) + 1e-12)
        trend = xp.tanh(r / c["trend_scale"])
        return r, noise, trend

    def progress(self, xp, count, dtype):
        """Training progress ``p`` in [0, 1]: ``count / total_steps`` (capped), or
        ``1 - exp(-count / horizon)`` without ``total_steps``."""
        k = xp.asarray(count, dtype=dtype)
        if self.total_steps is not None:
            return xp.minimum(k / self.total_steps, 1.0)
        return 1.0 - xp.exp(-k / CONSTANTS["horizon"])

    def lr_weights(self, xp, count, dtype):
        """Normalised LR rule weights (order ``LR_RULES``; 0 for rules not chosen)."""
        base = [self.lr_rules.get(r, 0.0) for r in LR_RULES]
        if not self.dynamic_weights:
            total = sum(base)
            return [xp.asarray(w / total, dtype=dtype) for w in base]
        p = self.progress(xp, count, dtype)
        profile = {"trend": 1.0 - xp.abs(2.0 * p - 1.0), "variance": 1.0 - p,
                   "grad_norm": 1.0 - p, "cyclical": p}
        raw = [w * (CONSTANTS["dynamic_floor"] + profile[r]) for w, r in zip(base, LR_RULES)]
        total = sum(raw)
        return [w / total for w in raw]

    def momentum_weights(self, xp, dtype):
        """Normalised momentum rule weights (order ``MOMENTUM_RULES``)."""
        base = [self.momentum_rules.get(r, 0.0) for r in MOMENTUM_RULES]
        total = sum(base)
        return [xp.asarray(w / total, dtype=dtype) for w in base]

    def controls(self, xp, st: AdaptiveStats, count, dtype):
        """LR, momentum and rule weights for update ``count`` from the statistics so far.

        Returns:
          ``(lr, momentum, lr_weights, momentum_weights)``, weights as lists in rule order.
        """
        c = CONSTANTS
        _, noise, trend = self._signals(xp, st)
        f_trend = 1.0 + c["trend_gain"] * trend
        f_var = 1.0 / (1.0 + c["variance_gain"] * noise)
        have_ref = (st.grad_n > 0) & (st.grad_ref > 0)
        ratio = st.grad_ema / xp.where(have_ref, st.grad_ref, 1.0)
        f_grad = xp.where(have_ref, 2.0 / (1.0 + ratio), 1.0)
        period = self.total_steps or c["horizon"]
        k = xp.minimum(count, period) if self.total_steps is not None else count % period
        frac = xp.asarray(period - k, dtype=dtype) / period
        s = xp.sin(0.5 * math.pi * frac)
        f_cyc = c["cyclical_floor"] + (1.0 - c["cyclical_floor"]) * s * s
        lw = self.lr_weights(xp, count, dtype)
        factor = lw[0] * f_trend + lw[1] * f_var + lw[2] * f_grad + lw[3] * f_cyc
        lo, hi = c["lr_bounds"]
        lr = xp.minimum(xp.maximum(self.base_lr * factor, lo * self.base_lr), hi * self.base_lr)

        mu0 = self.momentum
        m_rel = mu0 * (1.0 + c["relative_gain"] * trend)
        m_inv = xp.where(st.loss_n > 0, 1.0 - 1.0 / (1.0 + xp.abs(st.loss_ema)), mu0)
        m_norm = mu0 / (1.0 + noise)
        mw = self.momentum_weights(xp, dtype)
        mlo, mhi = c["momentum_bounds"]
        mom = xp.minimum(xp.maximum(mw[0] * m_rel + mw[1] * m_inv + mw[2] * m_norm, mlo), mhi)
        return lr, mom, lw, mw
