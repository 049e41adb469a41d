"""LR range test (fastai / torch-lr-finder style): smoothing, divergence, suggestions."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Generator
from collections.abc import Iterable
from typing import Any

import numpy as np

from sched_core import _validate as v

__all__ = ["FinderConfig", "LRFinderResult", "suggestions"]


@dataclasses.dataclass(frozen=True, kw_only=True)
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


def diverged(s: float, best: float, first: float, diverge_factor: float) -> bool:
    """The divergence rule shared by both faces (``s`` finite; ``best = min_j s_j``).

    * ``best > 0``: ``s > diverge_factor * best`` (fastai's / torch-lr-finder's rule, unchanged).
    * ``best <= 0`` (a loss that can be negative, e.g. a log-likelihood, where a multiple of
      ``best`` is meaningless): ``s - best > (diverge_factor - 1) * max(|best|, first - best)``,
      i.e. the smoothed loss rose above its best by ``diverge_factor - 1`` times the larger of
      ``|best|`` and how far it has fallen from its first value ``first = s_0``. Both branches
      allow a rise of ``(diverge_factor - 1) * |best|`` when the loss has not fallen; the
      ``first - best`` term keeps a loss that crosses zero from stopping on a tiny rise.

    Args:
      s: the current smoothed loss.
      best: the lowest smoothed loss so far (``s`` included).
      first: the first smoothed loss ``s_0``.
      diverge_factor: ``FinderConfig.diverge_factor`` (``> 1``).

    Returns:
      True if the sweep has diverged.
    """
    if best > 0:
        return s > diverge_factor * best
    return s - best > (diverge_factor - 1) * max(-best, first - best)


class Tracker:
    """Smoothed loss ``s_i = smooth * l_i + (1 - smooth) * s_{i-1}`` and divergence check.

    Stops at the first non-finite loss, or when :func:`diverged` says so (for a positive best
    smoothed loss: ``s_i > diverge_factor * best``; see :func:`diverged` for the rule with a
    best ``<= 0``). ``diverged_`` records whether the sweep stopped that way.
    """

    def __init__(self, cfg: FinderConfig):
        self.cfg = cfg
        self.raw: list[float] = []
        self.smoothed: list[float] = []
        self.best = math.inf
        self.diverged_ = False

    def add(self, loss: float) -> bool:
        """Records a loss; returns True if the test should stop (diverged)."""
        loss = float(loss)
        self.raw.append(loss)
        if not math.isfinite(loss):
            self.diverged_ = True
            return True
        s = loss if not self.smoothed else (self.cfg.smooth * loss
                                            + (1 - self.cfg.smooth) * self.smoothed[-1])
        self.smoothed.append(s)
        self.best = min(self.best, s)
        self.diverged_ = diverged(s, self.best, self.smoothed[0], self.cfg.diverge_factor)
        return self.diverged_


def batch_stream(batches: Iterable[Any], num_steps: int, name: str = "batches"
                 ) -> Generator[Any, None, None]:
    """Yields up to ``num_steps`` batches from ``batches``, read lazily (never ``list()``-ed).

    An iterable that runs out is iterated again (a list, a ``DataLoader``: anything whose
    ``iter()`` is a fresh iterator) until ``num_steps`` batches were yielded; a one-shot
    iterator (``iter(it) is it``, e.g. a generator) that runs out ends the stream early, as
    does a re-iterable whose new pass yields nothing. Infinite iterators are fine: no batch
    beyond the ``num_steps``-th is requested.

    Raises:
      TypeError: ``batches`` is not iterable.
      ValueError: ``batches`` yields no batch at all.
    """
    try:
        it = iter(batches)
    except TypeError:
        raise TypeError(f"{name} must be iterable, got {type(batches).__name__}") from None
    one_shot = it is batches
    count = 0
    while count < num_steps:
        this_pass = 0
        for batch in it:
            count += 1
            this_pass += 1
            yield batch
            if count >= num_steps:
                return
        if count == 0:
            raise ValueError(f"{name} must yield at least one batch")
        if one_shot or this_pass == 0:
            return
        it = iter(batches)


def _valley(losses: np.ndarray) -> int:
    """fastai's valley: the middle-ish of the longest decreasing run.

    fastai's start index (``end - length``) is one before the run and is ``-1`` for a run
    that starts at 0; the index is clamped at 0 so it never wraps to the last point (a flat
    or rising curve, whose longest run is one point, gives 0: the first, smallest LR).
    """
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
    return max(max_start + int(sections) + int(sections / 2), 0)


def suggestions(lrs: Any, losses: Any) -> dict[str, float]:
    """``valley``, ``steep`` and ``minimum`` suggestions (fastai's definitions).

    The first tenth and the last five points are skipped when there are at least 20 points.
    ``valley`` is the LR a third plus a sixth of the way along the longest decreasing run;
    when the curve never decreases (flat or rising) it falls back to the first LR of that
    window (the smallest, i.e. the most conservative, LR).

    Args:
      lrs: the LRs tried.
      losses: the (smoothed) losses, one per LR, all finite.

    Returns:
      ``{"valley": lr, "steep": lr, "minimum": lr}`` (``minimum`` is the LR of the lowest
      smoothed loss divided by 10); every LR is one of ``lrs`` (``minimum``: one of them / 10).

    Raises:
      ValueError: fewer than 3 losses.
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
      stopped_early: True if the test stopped on divergence (a non-finite loss or
        :func:`diverged`). A one-shot iterator that runs out before ``num_steps`` gives a
        shorter sweep with ``stopped_early`` False.
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
        what = {"valley": "valley", "steep": "steepest descent",
                "minimum": "lowest loss / 10 (fastai's minimum)"}
        for (name, lr), color in zip(self.suggestions.items(), ("C1", "C2", "C3")):
            ax.axvline(lr, color=color, ls="--", label=f"{what.get(name, name)}: {lr:.2e}")
        ax.set_xscale("log")
        ax.set_xlabel("learning rate")
        ax.set_ylabel("loss")
        ax.legend(loc="best", fontsize=8)
        if path is not None:
            ax.figure.tight_layout()
            ax.figure.savefig(path, dpi=100)
        return ax


def finish(cfg: FinderConfig, tracker: Tracker) -> LRFinderResult:
    """Builds the result from a tracker.

    Raises:
      ValueError: fewer than 3 finite losses were recorded (no suggestion can be made).
    """
    n = len(tracker.smoothed)
    if n < 3:
        why = ("it diverged" if tracker.diverged_ else "the batches ran out")
        raise ValueError(f"the range test recorded only {n} finite loss(es) ({why} after "
                         f"{len(tracker.raw)} step(s)); need at least 3 for suggestions"
                         + ("; try a smaller start_lr" if tracker.diverged_ else ""))
    lrs = cfg.lrs()[:n]
    return LRFinderResult(lrs, np.asarray(tracker.smoothed), np.asarray(tracker.raw),
                          suggestions(lrs, tracker.smoothed), tracker.diverged_)
