"""torch ``ReduceLROnPlateau`` decided by ``sched_core.PlateauConfig`` (adds ``"rel_abs"``)."""

from __future__ import annotations

import functools
import math
import warnings
from typing import Any

import numpy as np
from torch.optim import Optimizer
from torch.optim.lr_scheduler import EPOCH_DEPRECATION_WARNING
from torch.optim.lr_scheduler import ReduceLROnPlateau as _TorchPlateau
from torch.optim.lr_scheduler import _param_groups_val_list
from torch.optim.lr_scheduler import _update_param_group_val

from sched_core import PlateauConfig
from torch_compat._base import check_optimizer
from torch_compat._base import per_group

__all__ = ["ReduceLROnPlateau"]


@functools.lru_cache(maxsize=64)
def _rule(mode, factor, patience, threshold, threshold_mode, cooldown, eps) -> PlateauConfig:
    return PlateauConfig(mode=mode, factor=factor, patience=patience, threshold=threshold,
                   threshold_mode=threshold_mode, cooldown=cooldown, min_lr=0.0, eps=eps)


class ReduceLROnPlateau(_TorchPlateau):
    """torch's ``ReduceLROnPlateau`` (same signature, sequence and composition).

    It multiplies whatever LR the group holds, so it composes with any scheduler stepped
    beside it exactly as torch's does. ``min_lrs`` / ``factor`` / ... are read at every
    step (edit them as in torch); a list ``min_lr`` plus ``optimizer.add_param_group()``
    raises torch's error at the next cut, a scalar one extends to the new group.
    Differences: ``threshold_mode="rel_abs"`` (relative to ``|best|``, correct for
    negative metrics); non-finite metrics are skipped instead of counted as bad; arguments
    are validated; ``state_dict`` is plain data.
    """

    _state_keys = ("mode", "factor", "patience", "threshold", "threshold_mode", "cooldown",
                   "min_lrs", "default_min_lr", "eps", "best", "num_bad_epochs",
                   "cooldown_counter", "last_epoch")

    def __init__(self, optimizer: Optimizer, mode: str = "min", factor: float = 0.1,
                 patience: int = 10, threshold: float = 1e-4, threshold_mode: str = "rel",
                 cooldown: int = 0, min_lr: float | list[float] = 0.0,
                 eps: float = 1e-8) -> None:
        check_optimizer(optimizer)
        mins = per_group(optimizer, "min_lr", min_lr, None)
        for m in mins:  # validates every argument before touching anything
            PlateauConfig(mode=mode, factor=factor, patience=patience, threshold=threshold,
                    threshold_mode=threshold_mode, cooldown=cooldown, min_lr=m, eps=eps)
        # torch's own init, with a threshold mode it knows; ours is restored right after.
        super().__init__(optimizer, mode=mode, factor=factor,  # type: ignore[arg-type]
                         patience=patience,
                         threshold=threshold, threshold_mode="rel", cooldown=cooldown,
                         min_lr=mins if isinstance(min_lr, (list, tuple)) else mins[0], eps=eps)
        self.threshold_mode = threshold_mode

    def _init_is_better(self, mode, threshold, threshold_mode) -> None:
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.mode, self.threshold, self.threshold_mode = mode, threshold, threshold_mode

    def _plateau(self) -> PlateauConfig:
        return _rule(self.mode, float(self.factor), int(self.patience), float(self.threshold),
                     self.threshold_mode, int(self.cooldown), float(self.eps))

    def _is_better(self, a, best):
        return bool(self._plateau().is_better(np, np.float64(a), np.float64(best)))

    def step(self, metrics: Any, epoch: int | None = None) -> None:  # type: ignore[override]
        """One plateau step with this update's metric (a float or 0-d tensor)."""
        current = float(metrics)
        if epoch is None:
            epoch = self.last_epoch + 1
        else:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        self.last_epoch = epoch
        if math.isfinite(current):
            rule = self._plateau()
            best, bad, cd, _, reduced = rule.step(
                np, np.float64(self.best), np.int64(self.num_bad_epochs),
                np.int64(self.cooldown_counter), np.float64(0.0), np.float64(current))
            self.best, self.num_bad_epochs = float(best), int(bad)
            self.cooldown_counter = int(cd)
            if bool(reduced):
                self._reduce(rule)
        self._last_lr = _param_groups_val_list(self.optimizer, "lr")

    def _reduce(self, rule: PlateauConfig) -> None:
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise RuntimeError(
                    "The number of param groups in the `optimizer` "
                    f"({len(groups)}) differs from when `ReduceLROnPlateau` was initialized "
                    f"({len(self.min_lrs)}), usually due to a new param group being added to "
                    "the optimizer. Please modify the `min_lrs` field to match the length of "
                    "the `optimizer` param groups.")
            self.min_lrs = [self.default_min_lr] * len(groups)
        for group, min_lr in zip(groups, self.min_lrs, strict=True):
            old = float(group["lr"])
            new = float(rule.reduce(np, np.float64(old), np.float64(float(min_lr))))
            if new != old:
                _update_param_group_val(group, "lr", new)

    def state_dict(self) -> dict[str, Any]:
        """Plain-data state (torch.load(weights_only=True) safe)."""
        state = {k: getattr(self, k) for k in self._state_keys}
        state["min_lrs"] = [float(x) for x in self.min_lrs]
        state["_last_lr"] = [float(x) for x in self._last_lr]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restores :meth:`state_dict`; its hyperparameters win (``mode_worse`` follows)."""
        for k in self._state_keys:
            if k in state_dict:
                setattr(self, k, state_dict[k])
        self.min_lrs = list(self.min_lrs)
        self._last_lr = list(state_dict.get("_last_lr", self._last_lr))
        self._init_is_better(self.mode, self.threshold, self.threshold_mode)
