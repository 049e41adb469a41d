"""LR range test for PyTorch (restores model and optimizer afterwards)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from collections.abc import Iterable
from typing import Any

import torch

from sched_core._finder import FinderConfig
from sched_core._finder import LRFinderResult
from sched_core._finder import Tracker
from sched_core._finder import batch_stream
from sched_core._finder import finish
from torch_compat._base import check_optimizer
from torch_compat._schedulers import RangeFinder

__all__ = ["LRFinder"]

_MISSING = object()


def _snapshot(x: Any) -> tuple[Any, Any]:
    """``(x, saved)``: the object itself and a detached copy of every tensor reachable from it
    through plain dicts, lists and tuples (other values are kept by reference)."""
    if isinstance(x, torch.Tensor):
        return x, x.detach().clone()
    if type(x) is dict:
        return x, {k: _snapshot(v) for k, v in x.items()}
    if type(x) in (list, tuple):
        return x, [_snapshot(v) for v in x]
    return x, None


def _restore(snap: tuple[Any, Any]) -> Any:
    """Writes a :func:`_snapshot` back into the very same objects and returns the object.

    Tensors are restored in place (``copy_``), dicts and lists get their original items
    back (keys added since are dropped), tuples have their tensors restored.
    """
    x, saved = snap
    if isinstance(x, torch.Tensor):
        with torch.no_grad():
            x.copy_(saved)
    elif type(x) is dict:
        items = {k: _restore(s) for k, s in saved.items()}
        x.clear()
        x.update(items)
    elif type(x) is list:
        x[:] = [_restore(s) for s in saved]
    elif type(x) is tuple:
        for s in saved:
            _restore(s)
    return x


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
        check_optimizer(optimizer)
        self.model, self.optimizer, self.criterion = model, optimizer, criterion
        self.result: LRFinderResult | None = None

    def range_test(self, loader: Iterable[Any], *, start_lr: float = 1e-7, end_lr: float = 1.0,
                   num_steps: int = 100, smooth: float = 0.05,
                   diverge_factor: float = 4.0) -> LRFinderResult:
        """Runs the sweep on ``(x, y)`` batches from ``loader`` and restores all state.

        The model trains (``model.train()``) with the LR of update ``i`` set to
        ``start_lr * (end_lr / start_lr) ** (i / (num_steps - 1))``; the test stops at a
        non-finite loss or on divergence (``sched_core._finder.diverged``: for a positive
        best smoothed loss, when the smoothed loss exceeds ``diverge_factor`` x the best).

        Afterwards the model's ``state_dict``, its and every submodule's train/eval mode, the
        optimizer's state and its param groups are as before: the group dicts and their
        values are the same objects, tensor values (e.g. a tensor ``lr`` or tensor ``betas``)
        are restored in place, and keys the sweep added (``initial_lr``) are removed.

        Args:
          loader: iterable of ``(x, y)`` batches, read lazily: a re-iterable (list,
            ``DataLoader``) shorter than ``num_steps`` is iterated again, an (even infinite)
            iterator is read for at most ``num_steps`` batches, and a one-shot iterator that
            runs out ends the sweep early.
          start_lr: first LR.
          end_lr: last LR.
          num_steps: sweep length.
          smooth: smoothing factor of the loss (torch-lr-finder's ``smooth_f``).
          diverge_factor: stop when the smoothed loss exceeds this multiple of the best
            (positive losses; see ``sched_core._finder.diverged`` for a best ``<= 0``).

        Returns:
          An ``LRFinderResult`` (also kept as ``self.result``).

        Raises:
          ValueError: ``loader`` yields no batch, or fewer than 3 finite losses were recorded.
        """
        cfg = FinderConfig(start_lr=start_lr, end_lr=end_lr, num_steps=num_steps, smooth=smooth,
                           diverge_factor=diverge_factor)
        opt = self.optimizer
        model_state = copy.deepcopy(self.model.state_dict())
        modes = [(m, m.training) for m in self.model.modules()]
        opt_state = {p: _snapshot(s) for p, s in opt.state.items()}
        groups = list(opt.param_groups)
        group_snaps = [{k: _snapshot(v) for k, v in g.items() if k != "params"}
                       for g in groups]
        # torch's LRScheduler wraps optimizer.step (and sets _opt_called): undo that too
        opt_attrs = {k: vars(opt).get(k, _MISSING) for k in ("step", "_opt_called")}
        stream = batch_stream(loader, num_steps, "loader")
        tracker = Tracker(cfg)
        try:
            sched = RangeFinder(opt, num_steps, start_lr, end_lr)
            self.model.train()
            for x, y in stream:
                loss = self.criterion(self.model(x), y)
                opt.zero_grad()
                loss.backward()
                opt.step()
                sched.step()
                if tracker.add(float(loss.detach())):
                    break
        finally:
            stream.close()
            self.model.load_state_dict(model_state)
            for m, training in modes:
                m.training = training
            for p in list(opt.state):
                if p not in opt_state:
                    del opt.state[p]
            for p, snap in opt_state.items():
                opt.state[p] = _restore(snap)
            opt.param_groups[:] = groups
            for g, snaps in zip(groups, group_snaps):
                for k in list(g):
                    if k != "params" and k not in snaps:
                        del g[k]  # what the sweep added (initial_lr)
                for k, snap in snaps.items():
                    g[k] = _restore(snap)
            for k, v in opt_attrs.items():
                if v is _MISSING:
                    vars(opt).pop(k, None)
                else:
                    setattr(opt, k, v)
        self.result = finish(cfg, tracker)
        return self.result

    def plot(self, ax=None, path: str | None = None):
        """Plots the last result (see ``LRFinderResult.plot``)."""
        if self.result is None:
            raise ValueError("call range_test() first")
        return self.result.plot(ax=ax, path=path)
