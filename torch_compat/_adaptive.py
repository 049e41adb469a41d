"""AdaptiveScheduler for PyTorch (specification: docs/math.md, section 12).

Used exactly as the seed's loop does::

    loss.backward()
    optimizer.step()            # a step pre-hook records every gradient's norm, then
                                # hides frozen (or non-finite) gradients from the optimizer
    snap = sched.step(loss)     # LR, momentum and freeze mask for the next update
"""

from __future__ import annotations

import collections
import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
from torch.optim import Optimizer

from sched_core import AdaptiveConfig
from sched_core import _validate as v
from sched_core._adaptive import LR_RULES, MOMENTUM_RULES, AdaptiveStats
from torch_compat._base import has_momentum, read_momentum, write_momentum

__all__ = ["AdaptiveScheduler"]

_F64 = np.float64


def _global(t: torch.Tensor) -> torch.Tensor:
    """The full value of a DTensor (FSDP2 shards); plain tensors pass through."""
    return t.full_tensor() if hasattr(t, "full_tensor") else t


class AdaptiveScheduler:
    """Loss-aware LR and momentum with reversible freezing of parameter tensors.

    Args:
      optimizer: an optimizer with ``momentum`` (SGD) or ``betas`` (Adam, AdamW).
      model: the module whose ``named_parameters()`` (registration order) are the leaves.
      base_lr: base LR; None uses the first param group's LR. The same LR is written to
        every group.
      momentum: base momentum / ``betas[0]``; None uses the first group's value.
      lr_rules, momentum_rules, dynamic_weights, freeze_threshold, freeze_ema_beta,
      min_steps_before_freeze, total_steps: as ``optax_sched.adaptive``.
      freeze_mode: ``"mask"`` (default): gradients are still computed, frozen parameters
        are skipped by the optimizer (exact parity with optax_sched); ``"requires_grad"``:
        frozen parameters get ``requires_grad=False`` to save backward compute and are
        probed (gradients computed, update still masked) every ``probe_every`` updates so
        they can wake; :meth:`wake_all` wakes everything at once.
      probe_every: probing period for ``freeze_mode="requires_grad"``.
      log_size: length of the rolling :attr:`log`.
    """

    def __init__(self, optimizer: Optimizer, model: torch.nn.Module, base_lr: float | None = None,
                 momentum: float | None = None, lr_rules: Mapping[str, float] | None = None,
                 momentum_rules: Mapping[str, float] | None = None,
                 dynamic_weights: bool = True, freeze_threshold: float = 1e-4,
                 freeze_ema_beta: float = 0.9, min_steps_before_freeze: int = 100,
                 total_steps: int | None = None, *, freeze_mode: str = "mask",
                 probe_every: int = 100, log_size: int = 10_000) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"optimizer must be a torch.optim.Optimizer, got "
                            f"{type(optimizer).__name__}")
        if not isinstance(model, torch.nn.Module):
            raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
        if not has_momentum(optimizer):
            raise ValueError(f"AdaptiveScheduler schedules momentum, but "
                             f"{type(optimizer).__name__} has neither 'momentum' nor 'betas'")
        group0 = optimizer.param_groups[0]
        kw = {}
        if lr_rules is not None:
            kw["lr_rules"] = lr_rules
        if momentum_rules is not None:
            kw["momentum_rules"] = momentum_rules
        self.config = AdaptiveConfig(
            float(group0["lr"]) if base_lr is None else base_lr,
            momentum=read_momentum(group0) if momentum is None else momentum,
            dynamic_weights=dynamic_weights, freeze_threshold=freeze_threshold,
            freeze_ema_beta=freeze_ema_beta, min_steps_before_freeze=min_steps_before_freeze,
            total_steps=total_steps, **kw)
        self.freeze_mode = v.check_choice("freeze_mode", freeze_mode, ("mask", "requires_grad"))
        self.probe_every = v.check_int("probe_every", probe_every, min_value=1)
        v.check_int("log_size", log_size, min_value=1)
        self.optimizer = optimizer
        self.names, self.params = [], []
        in_opt = {id(p) for g in optimizer.param_groups for p in g["params"]}
        for name, p in model.named_parameters():
            if p.requires_grad and id(p) in in_opt:
                self.names.append(name)
                self.params.append(p)
        if not self.params:
            raise ValueError("model has no trainable parameters that are in the optimizer")
        self._sizes = np.asarray([p.numel() for p in self.params], dtype=_F64)
        n = len(self.params)
        self.count = 0
        self.stats = AdaptiveConfig.init_stats(np, _F64)
        self.leaf_count = np.zeros(n, _F64)
        self.leaf_ema = np.zeros(n, _F64)
        self.frozen = np.zeros(n, bool)
        self._pending: np.ndarray | None = None
        self.log: collections.deque = collections.deque(maxlen=log_size)
        self._apply(self.config.controls(np, self.stats, 0, _F64))
        self._hook = optimizer.register_step_pre_hook(self._pre_step)

    # ------------------------------------------------------------------ hooks
    @torch.no_grad()
    def _pre_step(self, optimizer, args, kwargs) -> None:
        """Records every gradient norm (one host read), then hides frozen/non-finite grads."""
        # one fused multi-tensor kernel, in the gradients' precision (at least float32), as
        # get_total_norm does; the statistics are then accumulated in float64 on the host
        idx = [i for i, p in enumerate(self.params) if p.grad is not None]
        parts, order = [], []  # a few device ops per gradient dtype, not one per tensor
        for dtype in {self.params[i].grad.dtype for i in idx}:
            sel = [i for i in idx if self.params[i].grad.dtype == dtype]
            acc = torch.float32 if dtype in (torch.float16, torch.bfloat16) else None
            out = torch._foreach_norm([self.params[i].grad.detach() for i in sel], 2, dtype=acc)
            parts.append(torch.stack([_global(x) for x in out]).to(torch.float64))
            order += sel
        values = (torch.cat(parts) if len(parts) > 1 else parts[0]).tolist() if parts else []
        self._pending = np.full(len(self.params), np.nan, dtype=_F64)
        self._pending[order] = values
        have = np.zeros(len(self.params), bool)
        have[order] = True
        seen = self._pending[have]
        # global norm over the gradients present (all of them in "mask" mode); any
        # non-finite gradient makes it non-finite, and it is then skipped
        self._pending_global = (float(np.sqrt(np.sum(seen ** 2))) if seen.size else float("nan"))
        for p, frozen, norm in zip(self.params, self.frozen, self._pending):
            if p.grad is not None and (frozen or not np.isfinite(norm)):
                p.grad = None

    # ------------------------------------------------------------------ the seed's API
    def step(self, loss: Any) -> dict[str, Any]:
        """Feeds this update's loss (after ``optimizer.step()``) and prepares the next update.

        Returns:
          The snapshot ``{"lr", "momentum", "pct_frozen", "lr_weights",
          "momentum_weights"}`` of the values the next update will use.
        """
        loss_value = float(loss.detach()) if isinstance(loss, torch.Tensor) else float(loss)
        if self._pending is None:  # optimizer.step() was not called (or had no grads)
            norms, gnorm = np.full(len(self.params), np.nan), float("nan")
        else:
            norms, gnorm = self._pending, self._pending_global
        self._pending = None
        cfg = self.config
        self.stats = cfg.observe(np, self.stats, _F64(loss_value), _F64(gnorm))
        self.leaf_count, self.leaf_ema = cfg.observe_leaves(np, self.leaf_count, self.leaf_ema,
                                                            norms)
        self.count += 1
        self.frozen = np.asarray(cfg.freeze(np, self.leaf_count, self.leaf_ema, self.frozen,
                                            self.count), dtype=bool)
        self._apply(cfg.controls(np, self.stats, self.count, _F64))
        if self.freeze_mode == "requires_grad":
            probe = self.count % self.probe_every == 0
            for p, frozen in zip(self.params, self.frozen):
                p.requires_grad_(bool(probe or not frozen))
        snap = self.snapshot()
        self.log.append(snap)
        return snap

    def _apply(self, controls) -> None:
        lr, mom, lw, mw = controls
        self.lr, self.momentum = float(lr), float(mom)
        self.lr_weights = {r: float(w) for r, w in zip(LR_RULES, lw)}
        self.momentum_weights = {r: float(w) for r, w in zip(MOMENTUM_RULES, mw)}
        for group in self.optimizer.param_groups:
            if isinstance(group["lr"], torch.Tensor):
                group["lr"].fill_(self.lr)
            else:
                group["lr"] = self.lr
            write_momentum(group, self.momentum)

    @property
    def pct_frozen(self) -> float:
        """Percentage of parameters (by element count) frozen for the next update."""
        return float(100.0 * np.sum(self._sizes[self.frozen]) / np.sum(self._sizes))

    def snapshot(self) -> dict[str, Any]:
        """Values the next update will use."""
        return {"lr": self.lr, "momentum": self.momentum, "pct_frozen": self.pct_frozen,
                "lr_weights": dict(self.lr_weights),
                "momentum_weights": dict(self.momentum_weights)}

    def frozen_names(self) -> list[str]:
        """Names of the parameters frozen for the next update."""
        return [n for n, f in zip(self.names, self.frozen) if f]

    def wake_all(self) -> None:
        """Unfreezes every parameter now (their statistics restart from the next gradient)."""
        self.frozen[:] = False
        self.leaf_count[:] = 0
        for p in self.params:
            p.requires_grad_(True)

    def get_last_lr(self) -> list[float]:
        """LR of every param group (torch's scheduler convention)."""
        return [float(g["lr"]) for g in self.optimizer.param_groups]

    def close(self) -> None:
        """Removes the optimizer hook."""
        self._hook.remove()

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict[str, Any]:
        """Plain-data state (``torch.load(weights_only=True)`` safe)."""
        cfg = {f.name: getattr(self.config, f.name) for f in dataclasses.fields(self.config)}
        cfg["lr_rules"], cfg["momentum_rules"] = dict(cfg["lr_rules"]), dict(cfg["momentum_rules"])
        return {"config": cfg, "freeze_mode": self.freeze_mode, "probe_every": self.probe_every,
                "count": self.count, "stats": [float(x) for x in self.stats],
                "leaf_count": self.leaf_count.tolist(), "leaf_ema": self.leaf_ema.tolist(),
                "frozen": self.frozen.tolist(), "names": list(self.names),
                "lr": self.lr, "momentum": self.momentum}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restores :meth:`state_dict` (same model layout required); its hyperparameters win,
        as with torch's schedulers."""
        if list(state_dict["names"]) != self.names:
            raise ValueError("state_dict was saved for different parameters: "
                             f"{state_dict['names'][:3]}... vs {self.names[:3]}...")
        if "config" in state_dict:
            self.config = AdaptiveConfig(**state_dict["config"])
            self.freeze_mode = state_dict.get("freeze_mode", self.freeze_mode)
            self.probe_every = int(state_dict.get("probe_every", self.probe_every))
        self.count = int(state_dict["count"])
        self.stats = AdaptiveStats(*(_F64(x) for x in state_dict["stats"]))
        self.leaf_count = np.asarray(state_dict["leaf_count"], _F64)
        self.leaf_ema = np.asarray(state_dict["leaf_ema"], _F64)
        self.frozen = np.asarray(state_dict["frozen"], bool)
        self._apply(self.config.controls(np, self.stats, self.count, _F64))
