"""torch ``ReduceLROnPlateau`` decided by ``sched_core.Plateau`` (adds ``"rel_abs"``)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from torch.optim import Optimizer
from torch.optim.lr_scheduler import ReduceLROnPlateau as _TorchPlateau
from torch.optim.lr_scheduler import _update_param_group_val

from sched_core import Plateau
from torch_compat._base import per_group

__all__ = ["ReduceLROnPlateau"]


class ReduceLROnPlateau(_TorchPlateau):
    """torch's ``ReduceLROnPlateau`` (same signature and sequence on finite metrics).

    Differences: ``threshold_mode="rel_abs"`` (relative to ``|best|``, correct for negative
    metrics); non-finite metrics are skipped instead of counted as bad; arguments are
    validated; ``state_dict`` is plain data.
    """

    _state_keys = ("mode", "factor", "patience", "threshold", "threshold_mode", "cooldown",
                   "min_lrs", "eps", "best", "num_bad_epochs", "cooldown_counter", "last_epoch")

    def __init__(self, optimizer: Optimizer, mode: str = "min", factor: float = 0.1,
                 patience: int = 10, threshold: float = 1e-4, threshold_mode: str = "rel",
                 cooldown: int = 0, min_lr: float | list[float] = 0.0,
                 eps: float = 1e-8) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"optimizer must be a torch.optim.Optimizer, got "
                            f"{type(optimizer).__name__}")
        mins = per_group(optimizer, "min_lr", min_lr, None)
        rules = [Plateau(mode, factor, patience, threshold, threshold_mode, cooldown, m, eps)
                 for m in mins]
        self._rules = rules
        # torch's own init, with a threshold mode it knows; ours is restored right after.
        super().__init__(optimizer, mode=mode, factor=factor, patience=patience,
                         threshold=threshold, threshold_mode="rel", cooldown=cooldown,
                         min_lr=mins, eps=eps)
        self.threshold_mode = threshold_mode

    def _init_is_better(self, mode, threshold, threshold_mode) -> None:
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.mode, self.threshold, self.threshold_mode = mode, threshold, threshold_mode

    def _is_better(self, a, best):
        return bool(self._rules[0].is_better(np, np.float64(a), np.float64(best)))

    def step(self, metrics: Any, epoch: None = None) -> None:  # type: ignore[override]
        """One plateau step with this update's metric (a float or 0-d tensor)."""
        if epoch is not None:
            raise ValueError(f"epoch is not supported, got {epoch!r}")
        current = float(metrics)
        self.last_epoch += 1
        if not math.isfinite(current):
            return
        groups = self.optimizer.param_groups
        state = None
        for i, group in enumerate(groups):
            rule = self._rules[i] if i < len(self._rules) else self._rules[-1]
            out = rule.step(np, np.float64(self.best), np.int64(self.num_bad_epochs),
                            np.int64(self.cooldown_counter), np.float64(float(group["lr"])),
                            np.float64(current))
            if float(out[3]) != float(group["lr"]):
                _update_param_group_val(group, "lr", float(out[3]))
            state = state or out
        best, bad, cd = state[0], state[1], state[2]
        self.best, self.num_bad_epochs, self.cooldown_counter = float(best), int(bad), int(cd)
        self._last_lr = [float(g["lr"]) for g in groups]

    def state_dict(self) -> dict[str, Any]:
        """Plain-data state (torch.load(weights_only=True) safe)."""
        state = {k: getattr(self, k) for k in self._state_keys}
        state["_last_lr"] = [float(x) for x in self._last_lr]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restores :meth:`state_dict`; its hyperparameters win."""
        for k in self._state_keys:
            if k in state_dict:
                setattr(self, k, state_dict[k])
        self._last_lr = list(state_dict.get("_last_lr", self._last_lr))
        self._rules = [Plateau(self.mode, self.factor, self.patience, self.threshold,
                               self.threshold_mode, self.cooldown, m, self.eps)
                       for m in self.min_lrs]
