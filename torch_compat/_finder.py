"""LR range test for PyTorch (restores model and optimizer afterwards)."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from typing import Any

import torch

from sched_core._finder import FinderConfig, LRFinderResult, Tracker, finish
from torch_compat._schedulers import RangeFinder

__all__ = ["LRFinder"]


class LRFinder:
    """fastai-style LR range test: ``LRFinder(model, optimizer, criterion).range_test(...)``.

    Args:
      model: the module to probe.
      optimizer: its optimizer (its LR is overwritten during the test, then restored).
      criterion: ``criterion(model(x), y) -> loss``.
    """

    def __init__(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer,
                 criterion: Callable[[Any, Any], torch.Tensor]) -> None:
        if not isinstance(model, torch.nn.Module):
            raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise TypeError(f"optimizer must be a torch.optim.Optimizer, got "
                            f"{type(optimizer).__name__}")
        self.model, self.optimizer, self.criterion = model, optimizer, criterion
        self.result: LRFinderResult | None = None

    def range_test(self, loader: Iterable[Any], *, start_lr: float = 1e-7, end_lr: float = 1.0,
                   num_steps: int = 100, smooth: float = 0.05,
                   diverge_factor: float = 4.0) -> LRFinderResult:
        """Runs the sweep on ``(x, y)`` batches from ``loader`` and restores all state.

        Returns:
          An ``LRFinderResult`` (also kept as ``self.result``).
        """
        cfg = FinderConfig(start_lr, end_lr, num_steps, smooth, diverge_factor)
        model_state = copy.deepcopy(self.model.state_dict())
        opt_state = copy.deepcopy(self.optimizer.state_dict())
        groups = [{k: v for k, v in g.items() if k != "params"}
                  for g in self.optimizer.param_groups]
        try:
            sched = RangeFinder(self.optimizer, num_steps, start_lr, end_lr)
            tracker = Tracker(cfg)
            batches = list(loader)
            if not batches:
                raise ValueError("loader must yield at least one batch")
            self.model.train()
            for i in range(num_steps):
                x, y = batches[i % len(batches)]
                loss = self.criterion(self.model(x), y)
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
                sched.step()
                if tracker.add(float(loss.detach())):
                    break
        finally:
            self.model.load_state_dict(model_state)
            self.optimizer.load_state_dict(opt_state)
            for g, saved in zip(self.optimizer.param_groups, groups):
                # drop what the sweep added (initial_lr) and restore the group's values
                for k in list(g):
                    if k != "params" and k not in saved:
                        del g[k]
                g.update(saved)
        self.result = finish(cfg, tracker)
        return self.result

    def plot(self, ax=None, path: str | None = None):
        """Plots the last result (see ``LRFinderResult.plot``)."""
        if self.result is None:
            raise ValueError("call range_test() first")
        return self.result.plot(ax=ax, path=path)
