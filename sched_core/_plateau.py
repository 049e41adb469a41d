"""Reduce-on-plateau with torch's exact semantics, plus a sign-correct threshold mode."""

from __future__ import annotations

import dataclasses

from sched_core import _validate as v

__all__ = ["PlateauConfig", "PLATEAU_MODES", "THRESHOLD_MODES"]

PLATEAU_MODES = ("min", "max")
THRESHOLD_MODES = ("rel", "abs", "rel_abs")


@dataclasses.dataclass(frozen=True, kw_only=True)
class PlateauConfig:
    r"""torch ``ReduceLROnPlateau`` decision rule (docs/math.md, section 11).

    For each metric ``a`` (the value of update ``k``, fed after it; the LR it produces is
    used from update ``k + 1`` on), :meth:`step` applies, in mode ``"min"`` (one line per
    ``threshold_mode``):

    .. math::

       \text{better} = \begin{cases}
         a < \beta\,(1 - t) & \mathrm{(rel)} \\
         a < \beta - t & \mathrm{(abs)} \\
         a < \beta - t\,|\beta| & \mathrm{(rel\_abs)}
       \end{cases}

       \beta \leftarrow a \text{ if better}, \qquad
       n \leftarrow 0 \text{ if better else } n + 1, \qquad
       (c, n) \leftarrow (c - 1, 0) \text{ if } c > 0

       \text{if } n > P:\quad \eta' = \max(f \eta,\ \eta_{min}),\quad
       \eta \leftarrow \eta' \text{ if } \eta - \eta' > \epsilon,\quad
       c \leftarrow C,\quad n \leftarrow 0

    with ``beta`` the best metric so far (starts at :attr:`worst`), ``n`` the bad-epoch
    count, ``c`` the cooldown counter, ``t = threshold``, ``f = factor``, ``P = patience``,
    ``C = cooldown``, ``eta_min = min_lr`` and ``epsilon = eps``. Mode ``"max"`` flips the
    comparisons and the sign of ``t`` (``a > beta (1 + t)``, ``a > beta + t``,
    ``a > beta + t |beta|``). So on a flat metric the first value sets ``beta`` and the cut
    comes after ``patience + 1`` bad values. A non-finite metric changes nothing (torch
    counts it as a bad epoch). ``threshold_mode="rel_abs"`` measures the relative threshold
    against ``|best|``, which is correct for negative metrics (torch's ``"rel"`` treats a
    flat negative metric as an improvement forever).

    References:
      PyTorch ``torch.optim.lr_scheduler.ReduceLROnPlateau``.

    Example:
      >>> from sched_core import SCALAR
      >>> p = PlateauConfig(factor=0.5, patience=1)
      >>> best, bad, cooldown, lr = p.worst, 0, 0, 1.0
      >>> lrs = []
      >>> for metric in [1.0, 1.0, 1.0, 1.0, 1.0]:
      ...     best, bad, cooldown, lr, _ = p.step(SCALAR, best, bad, cooldown, lr, metric)
      ...     lrs.append(lr)
      >>> lrs
      [1.0, 1.0, 0.5, 0.5, 0.25]
    """

    mode: str = "min"
    factor: float = 0.1
    patience: int = 10
    threshold: float = 1e-4
    threshold_mode: str = "rel"
    cooldown: int = 0
    min_lr: float = 0.0
    eps: float = 1e-8

    def __post_init__(self):
        v.check_choice("mode", self.mode, PLATEAU_MODES)
        object.__setattr__(self, "factor", v.check_float("factor", self.factor, lo=0.0, hi=1.0,
                                                         lo_open=True, hi_open=True))
        object.__setattr__(self, "patience", v.check_int("patience", self.patience, min_value=0))
        object.__setattr__(self, "threshold", v.check_float("threshold", self.threshold, lo=0.0))
        v.check_choice("threshold_mode", self.threshold_mode, THRESHOLD_MODES)
        object.__setattr__(self, "cooldown", v.check_int("cooldown", self.cooldown, min_value=0))
        object.__setattr__(self, "min_lr", v.check_float("min_lr", self.min_lr, lo=0.0))
        object.__setattr__(self, "eps", v.check_float("eps", self.eps, lo=0.0))

    @property
    def worst(self) -> float:
        """Initial ``best``: +inf for ``"min"``, -inf for ``"max"``."""
        return float("inf") if self.mode == "min" else float("-inf")

    def is_better(self, xp, a, best):
        """torch's ``_is_better`` (``rel``/``abs``) or the sign-correct ``rel_abs``."""
        t = self.threshold
        if self.mode == "min":
            if self.threshold_mode == "rel":
                return a < best * (1.0 - t)
            if self.threshold_mode == "abs":
                return a < best - t
            fin = xp.isfinite(best)
            b0 = xp.where(fin, best, 0.0)  # no inf - inf
            return a < xp.where(fin, b0 - t * xp.abs(b0), best)
        if self.threshold_mode == "rel":
            return a > best * (t + 1.0)
        if self.threshold_mode == "abs":
            return a > best + t
        fin = xp.isfinite(best)
        b0 = xp.where(fin, best, 0.0)
        return a > xp.where(fin, b0 + t * xp.abs(b0), best)

    def reduce(self, xp, lr, min_lr):
        """torch's cut: ``max(lr * factor, min_lr)``, ignored when smaller than ``eps``."""
        cut = xp.maximum(lr * self.factor, min_lr)
        return xp.where(lr - cut > self.eps, cut, lr)

    def step(self, xp, best, num_bad, cooldown_counter, lr, metric):
        """One ``scheduler.step(metric)``; a non-finite metric changes nothing.

        Args:
          xp: array namespace.
          best: best metric so far.
          num_bad: bad epochs since the last improvement (int).
          cooldown_counter: remaining cooldown (int).
          lr: the current learning rate (array; per group on the torch face).
          metric: this step's metric.

        Returns:
          ``(best, num_bad, cooldown_counter, lr, reduced)``.
        """
        ok = xp.isfinite(metric)
        better = self.is_better(xp, metric, best)
        new_best = xp.where(better, metric, best)
        bad = xp.where(better, 0, num_bad + 1)
        in_cd = cooldown_counter > 0
        cd = xp.where(in_cd, cooldown_counter - 1, cooldown_counter)
        bad = xp.where(in_cd, 0, bad)
        reduce = bad > self.patience
        new_lr = xp.where(reduce, self.reduce(xp, lr, self.min_lr), lr)
        cd = xp.where(reduce, self.cooldown, cd)
        bad = xp.where(reduce, 0, bad)
        return (xp.where(ok, new_best, best), xp.where(ok, bad, num_bad),
                xp.where(ok, cd, cooldown_counter), xp.where(ok, new_lr, lr), ok & reduce)
