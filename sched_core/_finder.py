"""LR range test (fastai / torch-lr-finder style): smoothing, divergence, suggestions."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from sched_core import _validate as v

__all__ = ["FinderConfig", "LRFinderResult", "suggestions"]


@dataclasses.dataclass(frozen=True)
class FinderConfig:
    """Validated range-test arguments."""

    start_lr: float = 1e-7
    end_lr: float = 1.0
    num_steps: int = 100
    smooth: float = 0.05
    diverge_factor: float = 4.0

    def __post_init__(self):
        s = object.__setattr__
        s(self, "start_lr", v.check_float("start_lr", self.start_lr, lo=0.0, lo_open=True))
        s(self, "end_lr", v.check_float("end_lr", self.end_lr, lo=self.start_lr, lo_open=True))
        s(self, "num_steps", v.check_int("num_steps", self.num_steps, min_value=2))
        s(self, "smooth", v.check_float("smooth", self.smooth, lo=0.0, hi=1.0, lo_open=True))
        s(self, "diverge_factor", v.check_float("diverge_factor", self.diverge_factor, lo=1.0,
                                                lo_open=True))

    def lrs(self) -> np.ndarray:
        """The exponential sweep (numpy ``geomspace``), as ``range_finder`` evaluates it."""
        return np.geomspace(self.start_lr, self.end_lr, self.num_steps)


class Tracker:
    """Smoothed loss ``s_i = smooth * l_i + (1 - smooth) * s_{i-1}`` and divergence check.

    Stops when a loss is non-finite or the smoothed loss exceeds ``diverge_factor`` times
    the best smoothed loss so far.
    """

    def __init__(self, cfg: FinderConfig):
        self.cfg = cfg
        self.raw: list[float] = []
        self.smoothed: list[float] = []
        self.best = math.inf

    def add(self, loss: float) -> bool:
        """Records a loss; returns True if the test should stop (diverged)."""
        loss = float(loss)
        self.raw.append(loss)
        if not math.isfinite(loss):
            return True
        s = loss if not self.smoothed else (self.cfg.smooth * loss
                                            + (1 - self.cfg.smooth) * self.smoothed[-1])
        self.smoothed.append(s)
        self.best = min(self.best, s)
        return s > self.cfg.diverge_factor * self.best


def _valley(losses: np.ndarray) -> int:
    """fastai's valley: the middle-ish of the longest decreasing run."""
    n = len(losses)
    lds = [1] * n
    max_start = max_end = 0
    for i in range(1, n):
        for j in range(i):
            if losses[i] < losses[j] and lds[i] < lds[j] + 1:
                lds[i] = lds[j] + 1
            if lds[max_end] < lds[i]:
                max_end = i
                max_start = max_end - lds[max_end]
    sections = (max_end - max_start) / 3
    return max_start + int(sections) + int(sections / 2)


def suggestions(lrs: Any, losses: Any) -> dict[str, float]:
    """``valley``, ``steep`` and ``minimum`` suggestions (fastai's definitions).

    The first tenth and the last five points are skipped when there are enough of them.

    Returns:
      ``{"valley": lr, "steep": lr, "minimum": lr}`` (``minimum`` is the LR of the lowest
      smoothed loss divided by 10).
    """
    lrs = np.asarray(lrs, dtype=np.float64)
    losses = np.asarray(losses, dtype=np.float64)
    n = len(losses)
    if n < 3:
        raise ValueError(f"need at least 3 finite losses for suggestions, got {n}")
    lo, hi = (n // 10, n - 5) if n >= 20 else (0, n)
    lrs, losses = lrs[lo:hi], losses[lo:hi]
    slopes = np.gradient(losses, np.log(lrs))
    return {"valley": float(lrs[_valley(losses)]), "steep": float(lrs[int(np.argmin(slopes))]),
            "minimum": float(lrs[int(np.argmin(losses))] / 10)}


@dataclasses.dataclass
class LRFinderResult:
    """LR range-test result.

    Attributes:
      lrs: LRs tried (one per finite loss).
      losses: smoothed losses.
      raw_losses: losses as observed (may end with the diverging one).
      suggestions: ``{"valley", "steep", "minimum"}`` -> LR.
      stopped_early: True if the test stopped on divergence.
    """

    lrs: np.ndarray
    losses: np.ndarray
    raw_losses: np.ndarray
    suggestions: dict[str, float]
    stopped_early: bool

    def plot(self, ax=None, path: str | None = None):
        """Draws loss vs LR (log scale) with the suggestions; saves to ``path`` if given."""
        import matplotlib

        if ax is None:
            matplotlib.use("Agg")
            import matplotlib.pyplot as plt

            fig, ax = plt.subplots(figsize=(6, 4))
        ax.plot(self.lrs, self.losses, label="smoothed loss")
        for (name, lr), color in zip(self.suggestions.items(), ("C1", "C2", "C3")):
            ax.axvline(lr, color=color, ls="--", label=f"{name}: {lr:.2e}")
        ax.set_xscale("log")
        ax.set_xlabel("learning rate")
        ax.set_ylabel("loss")
        ax.legend()
        if path is not None:
            ax.figure.tight_layout()
            ax.figure.savefig(path, dpi=100)
        return ax


def finish(cfg: FinderConfig, tracker: Tracker) -> LRFinderResult:
    """Builds the result from a tracker."""
    n = len(tracker.smoothed)
    lrs = cfg.lrs()[:n]
    stopped = len(tracker.raw) < cfg.num_steps or (
        n > 0 and tracker.smoothed[-1] > cfg.diverge_factor * tracker.best)
    return LRFinderResult(lrs, np.asarray(tracker.smoothed), np.asarray(tracker.raw),
                          suggestions(lrs, tracker.smoothed), stopped)
