"""AdaptiveScheduler for PyTorch (specification: docs/math.md, section 12).

Used exactly as the seed's loop does::

    loss.backward()
    optimizer.step()            # a step pre-hook records every gradient's norm, then
                                # hides frozen (or non-finite) gradients from the optimizer
    snap = sched.step(loss)     # LR, momentum and freeze mask for the next update

The hook holds the scheduler weakly (no reference cycle through the optimizer): a scheduler
that is dropped, closed or superseded by a new one on the same optimizer/model removes its
hook and gives back the ``requires_grad`` it took away.
"""

from __future__ import annotations

import collections
import dataclasses
import warnings
import weakref
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any
from typing import cast

import numpy as np
import torch
from torch.optim import Optimizer

from sched_core import AdaptiveConfig
from sched_core import _validate as v
from sched_core._adaptive import LR_RULES
from sched_core._adaptive import MOMENTUM_RULES
from sched_core._adaptive import AdaptiveStats
from torch_compat._base import check_optimizer
from torch_compat._base import has_momentum
from torch_compat._base import read_momentum
from torch_compat._base import write_momentum

__all__ = ["AdaptiveScheduler"]

_F64 = np.float64

# live (hooked) schedulers, so that a new one on the same optimizer or model supersedes them
_LIVE: weakref.WeakSet = weakref.WeakSet()


class _Release:
    """Undoes what a scheduler did to its optimizer and parameters: removes the step hook and
    sets ``requires_grad=True`` again where the scheduler had turned it off. It holds no
    reference to the scheduler, so it can run as the scheduler's finalizer."""

    def __init__(self, handle, params: Sequence[torch.Tensor], off: np.ndarray) -> None:
        self.handle, self.params, self.off = handle, params, off

    def restore_requires_grad(self) -> None:
        if not self.off.any():
            return
        for p, off in zip(self.params, self.off):
            if off and not p.requires_grad:
                p.requires_grad_(True)
        self.off[:] = False

    def __call__(self) -> None:
        if self.handle is not None:
            self.handle.remove()
            self.handle = None
        self.restore_requires_grad()


def _weak_hook(ref: weakref.ReferenceType):
    """The optimizer step pre-hook: forwards to the scheduler while it is alive."""

    def hook(optimizer, args, kwargs):
        sched = ref()
        if sched is not None:
            sched._pre_step(optimizer, args, kwargs)

    return hook


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
      lr_rules: as ``optax_sched.adaptive``; so are ``momentum_rules``,
        ``dynamic_weights``, ``freeze_threshold``, ``freeze_ema_beta``,
        ``min_steps_before_freeze`` and ``total_steps``.
      freeze_mode: ``"mask"`` (default): gradients are still computed, frozen parameters
        are skipped by the optimizer (exact parity with optax_sched); ``"requires_grad"``:
        frozen parameters get ``requires_grad=False`` to save backward compute and are
        probed (gradients computed, update still masked) every ``probe_every`` updates so
        they can wake; :meth:`wake_all` wakes everything at once. When *every* scheduled
        tensor is frozen, the last one (registration order: usually the output layer, the
        cheapest to reach by backward) keeps ``requires_grad=True`` so that
        ``loss.backward()`` still has something to differentiate (torch would otherwise
        raise "element 0 of tensors does not require grad"); its gradient is recorded but
        still hidden from the optimizer, so no parameter moves while all are frozen.
      probe_every: probing period for ``freeze_mode="requires_grad"``.
      log_size: length of the rolling :attr:`log`.

    Order of calls: ``loss.backward(); optimizer.step(); sched.step(loss)``. A ``step(loss)``
    before any ``optimizer.step()`` warns once (its update has no gradient norms).

    Lifetime: constructing a new scheduler on the same optimizer or on a model sharing
    parameters (e.g. to resume from a checkpoint) supersedes the old one: its hook is
    removed, the ``requires_grad`` it turned off is restored (so the new one sees every
    parameter) and its ``step()`` raises. :meth:`close` does the same explicitly, and a
    scheduler that is garbage collected does it too. ``copy.deepcopy`` and pickling
    ``(model, optimizer, scheduler)`` together give a scheduler hooked to the copied
    optimizer (the original keeps its own hook).
    """

    def __init__(self, optimizer: Optimizer, model: torch.nn.Module, base_lr: float | None = None,
                 momentum: float | None = None, lr_rules: Mapping[str, float] | None = None,
                 momentum_rules: Mapping[str, float] | None = None,
                 dynamic_weights: bool = True, freeze_threshold: float = 1e-4,
                 freeze_ema_beta: float = 0.9, min_steps_before_freeze: int = 100,
                 total_steps: int | None = None, *, freeze_mode: str = "mask",
                 probe_every: int = 100, log_size: int = 10_000,
                 clip_norm: float | None = None) -> None:
        check_optimizer(optimizer)
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
            base_lr=float(group0["lr"]) if base_lr is None else base_lr,
            momentum=read_momentum(group0) if momentum is None else momentum,
            dynamic_weights=dynamic_weights, freeze_threshold=freeze_threshold,
            freeze_ema_beta=freeze_ema_beta, min_steps_before_freeze=min_steps_before_freeze,
            total_steps=total_steps, **kw)
        self.freeze_mode = v.check_choice("freeze_mode", freeze_mode, ("mask", "requires_grad"))
        self.probe_every = v.check_int("probe_every", probe_every, min_value=1)
        v.check_int("log_size", log_size, min_value=1)
        self.clip_norm = (None if clip_norm is None
                          else v.check_float("clip_norm", clip_norm, lo=0.0, lo_open=True))
        # a previous scheduler on this optimizer or model (e.g. before loading a checkpoint)
        # is superseded first: its hook goes and the requires_grad it turned off comes back,
        # so that this one starts clean and sees every trainable parameter
        mine = {id(p) for p in model.parameters()}
        for old in list(_LIVE):
            if old.optimizer is optimizer or any(id(p) in mine for p in old.params):
                old._close("superseded by a new AdaptiveScheduler on the same optimizer or "
                           "model")
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
        self._rg_off = np.zeros(n, bool)  # requires_grad turned off by this scheduler
        self._pending: np.ndarray | None = None
        self._optimizer_stepped = False  # the hook ran at least once
        self._warned_order = False
        self._closed: str | None = None
        self.log: collections.deque = collections.deque(maxlen=log_size)
        self._apply(self.config.controls(np, self.stats, 0, _F64))
        self._attach()

    # ------------------------------------------------------------------ lifetime
    def _attach(self) -> None:
        """Registers the step pre-hook on ``self.optimizer`` (weakly bound to self) and a
        finalizer that undoes it (and the requires_grad changes) when self is collected."""
        handle = self.optimizer.register_step_pre_hook(_weak_hook(weakref.ref(self)))
        self._release = _Release(handle, self.params, self._rg_off)
        self._finalizer = weakref.finalize(self, self._release)
        self._finalizer.atexit = False
        _LIVE.add(self)

    def _close(self, reason: str) -> None:
        if self._closed is None:
            self._closed = reason
        self._finalizer()  # removes the hook and restores requires_grad (runs once)
        _LIVE.discard(self)

    def __getstate__(self) -> dict[str, Any]:
        # the hook handle and the finalizer belong to this process's optimizer object;
        # __setstate__ registers a new hook on the restored (copied) optimizer
        state = dict(self.__dict__)
        state.pop("_release", None)
        state.pop("_finalizer", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        if self._closed is None:
            self._attach()
        else:
            self._release = _Release(None, self.params, self._rg_off)
            self._finalizer = weakref.finalize(self, lambda: None)

    # ------------------------------------------------------------------ hooks
    @torch.no_grad()
    def _pre_step(self, optimizer, args, kwargs) -> None:
        """Records every gradient norm (one host read), then hides frozen/non-finite grads."""
        self._optimizer_stepped = True
        # one fused multi-tensor kernel, in the gradients' precision (at least float32), as
        # get_total_norm does; the statistics are then accumulated in float64 on the host
        idx = [i for i, p in enumerate(self.params) if p.grad is not None]
        parts, order = [], []  # a few device ops per gradient dtype, not one per tensor
        present = {i: cast(torch.Tensor, self.params[i].grad) for i in idx}
        for dtype in {g.dtype for g in present.values()}:
            sel = [i for i in idx if present[i].dtype == dtype]
            acc = torch.float32 if dtype in (torch.float16, torch.bfloat16) else None
            grads = [present[i].detach() for i in sel]
            # dtype=None is not free: it takes a slower path than omitting the argument
            out = (torch._foreach_norm(grads, 2) if acc is None
                   else torch._foreach_norm(grads, 2, dtype=acc))
            parts.append(torch.stack([_global(x) for x in out]).to(torch.float64))
            order += sel
        values = (torch.cat(parts) if len(parts) > 1 else parts[0]).tolist() if parts else []
        # A tensor without a gradient (unused this update) counts as a zero gradient, as its
        # zeros do on the JAX face; only one frozen through requires_grad has no reading.
        self._pending = np.where(self._no_reading(), np.nan, 0.0).astype(_F64)
        have = ~np.isnan(self._pending)
        self._pending[order] = values
        have[order] = True
        seen = self._pending[have]
        # global norm over the tensors read (all of them in "mask" mode); any non-finite
        # gradient makes it non-finite, and it is then skipped
        self._pending_global = (float(np.sqrt(np.sum(seen ** 2))) if seen.size else float("nan"))
        if self.clip_norm is not None and order:
            # torch's clip_grad_norm_ over the finite gradients, with the norms just read
            finite = [i for i in order if np.isfinite(self._pending[i])]
            total = float(np.sqrt(np.sum(self._pending[finite] ** 2))) if finite else 0.0
            torch.nn.utils.clip_grads_with_norm_(
                [self.params[i] for i in finite], self.clip_norm,
                torch.tensor(total, dtype=torch.float64))
        for p, frozen, norm in zip(self.params, self.frozen, self._pending):
            if p.grad is not None and (frozen or not np.isfinite(norm)):
                p.grad = None

    def _no_reading(self) -> np.ndarray:
        """Tensors whose missing gradient means "not computed" rather than "zero"."""
        if self.freeze_mode == "requires_grad":
            return np.asarray([not p.requires_grad for p in self.params], dtype=bool)
        return np.zeros(len(self.params), dtype=bool)

    # ------------------------------------------------------------------ the seed's API
    def step(self, loss: Any) -> dict[str, Any]:
        """Feeds this update's loss (after ``optimizer.step()``) and prepares the next update.

        Returns:
          The snapshot ``{"lr", "momentum", "pct_frozen", "lr_weights",
          "momentum_weights"}`` of the values the next update will use.
        """
        if self._closed is not None:
            raise RuntimeError(f"this AdaptiveScheduler was {self._closed}: it no longer "
                               "records gradients; step the scheduler that replaced it (or "
                               "build a new one)")
        if not self._optimizer_stepped and not self._warned_order:
            self._warned_order = True
            warnings.warn(
                "AdaptiveScheduler.step(loss) was called before any optimizer.step(). Call "
                "them in this order on every update: loss.backward(); optimizer.step(); "
                "scheduler.step(loss). optimizer.step() runs the hook that records the "
                "gradient norms step(loss) consumes; without it this update's norms are "
                "missing. If optimizer.step() was skipped on purpose (e.g. GradScaler found "
                "inf/NaN gradients), ignore this warning.", UserWarning, stacklevel=2)
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
        self._set_requires_grad()
        snap = self.snapshot()
        self.log.append(snap)
        return snap

    def _set_requires_grad(self) -> None:
        """``freeze_mode="requires_grad"``: frozen tensors stop requiring grad, except on
        probing updates and except the last one when all are frozen (backward needs one)."""
        if self.freeze_mode != "requires_grad" or self._closed is not None:
            self._release.restore_requires_grad()  # e.g. the mode changed on load
            return
        off = self.frozen.copy() if self.count % self.probe_every else np.zeros_like(self.frozen)
        if off.all():
            off[-1] = False
        for p, o in zip(self.params, off):
            if p.requires_grad == bool(o):
                p.requires_grad_(not o)
        self._rg_off[:] = off

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
        self._rg_off[:] = False

    def get_last_lr(self) -> list[float]:
        """LR of every param group (torch's scheduler convention)."""
        return [float(g["lr"]) for g in self.optimizer.param_groups]

    def close(self) -> None:
        """Removes the optimizer hook and sets ``requires_grad=True`` again on every parameter
        this scheduler had frozen that way; :meth:`step` then raises. Idempotent."""
        self._close("closed")

    # ------------------------------------------------------------------ checkpoints
    def config_args(self) -> dict[str, Any]:
        """The arguments of ``optax_sched.adaptive`` for this scheduler (its plain-data config:
        ``torch_compat.config_of``); ``base_optimizer`` follows the torch optimizer."""
        args = {f.name: getattr(self.config, f.name) for f in dataclasses.fields(self.config)}
        args["clip_norm"] = self.clip_norm
        args["base_optimizer"] = "adam" if "betas" in self.optimizer.defaults else "sgd"
        return args

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
        self._set_requires_grad()  # as step() left it: a resumed backward skips the same
