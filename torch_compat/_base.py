"""Base class: torch ``LRScheduler`` evaluated in closed form by ``sched_core``.

Contract (torch's): ``super().__init__`` is called, so ``initial_lr``/``base_lrs``
are set and construction writes the value of update 0; ``get_last_lr()`` after
``k`` calls to ``step()`` is the LR used by update ``k``; tensor LRs, momenta and
betas are updated in place with ``fill_``; ``step(epoch)`` (deprecated in torch)
jumps to any step since every value is a closed form.

Checkpoints are explicit: ``state_dict()`` holds plain Python numbers (never
``__dict__``, never callables), so ``torch.load(weights_only=True)`` works, and
loading restores hyperparameters too (torch's rule: the state wins).
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
from torch import Tensor
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler

import sched_core as core
from sched_core._scalar import SCALAR

__all__ = ["CoreLRScheduler", "has_momentum", "read_momentum", "write_momentum"]

_F64 = np.float64


def has_momentum(optimizer: Optimizer) -> bool:
    """True if the optimizer's param groups carry ``momentum`` or ``betas``."""
    return "momentum" in optimizer.defaults or "betas" in optimizer.defaults


def read_momentum(group: dict[str, Any]) -> float:
    """Returns a param group's momentum (``betas[0]`` for Adam-style optimizers)."""
    m = group["betas"][0] if "betas" in group else group["momentum"]
    return float(m)


def write_momentum(group: dict[str, Any], value: float) -> None:
    """Writes ``momentum`` or ``betas[0]``; tensors are updated in place with ``fill_``."""
    if "betas" in group:
        betas = group["betas"]
        if isinstance(betas[0], Tensor):
            betas[0].fill_(value)
        else:
            group["betas"] = (value, *betas[1:])
    elif isinstance(group["momentum"], Tensor):
        group["momentum"].fill_(value)
    else:
        group["momentum"] = value


def _to_float(x: Any) -> float:
    return float(x.item()) if isinstance(x, Tensor) else float(x)


def per_group(optimizer: Optimizer, name: str, value: Any, default: Sequence[float] | None):
    """Expands an LR-like argument to one float per param group.

    ``None`` means each group's own value (``default``); a number applies to every
    group; a list/tuple must have one entry per group.
    """
    n = len(optimizer.param_groups)
    if value is None:
        if default is None:
            raise TypeError(f"{name} must be given (a number or one per param group), got None")
        return [_to_float(x) for x in default]
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(f"{name} must have one entry per param group ({n}), "
                             f"got {len(value)}: {list(value)}")
        return [_to_float(x) for x in value]
    if isinstance(value, (numbers.Real, Tensor)) and not isinstance(value, bool):
        return [_to_float(value)] * n
    raise TypeError(f"{name} must be a number, a list of {n} numbers or None, got {value!r}")


class CoreLRScheduler(LRScheduler):
    """A torch ``LRScheduler`` whose values come from ``sched_core`` (numpy float64).

    Subclasses set their hyperparameters as attributes, list them in
    ``_hyperparams`` and implement :meth:`_build`, which returns one core LR
    schedule per param group and, optionally, one momentum schedule per group.
    """

    #: attribute names saved by state_dict (plain Python data only).
    _hyperparams: tuple[str, ...] = ()
    _lr_specs: list[core.Schedule]
    _momentum_specs: list[core.Schedule] | None = None

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"optimizer must be a torch.optim.Optimizer, got "
                            f"{type(optimizer).__name__}")
        if isinstance(last_epoch, bool) or not isinstance(last_epoch, int) or last_epoch < -1:
            raise ValueError(f"last_epoch must be an integer >= -1, got {last_epoch!r}")
        self._last_momentum: list[float] | None = None
        super().__init__(optimizer, last_epoch)

    # -- subclass API --------------------------------------------------------------------
    def _build(self) -> tuple[list[core.Schedule], list[core.Schedule] | None]:
        raise NotImplementedError

    def _rebuild(self) -> None:
        self._lr_specs, self._momentum_specs = self._build()
        if self._momentum_specs is not None and not has_momentum(self.optimizer):
            raise ValueError(
                f"{type(self).__name__} schedules momentum, but "
                f"{type(self.optimizer).__name__} has neither 'momentum' nor 'betas'")

    # -- closed forms --------------------------------------------------------------------
    def lr_at(self, step: int) -> list[float]:
        """LR of every param group for update ``step`` (no side effects).

        Evaluated by ``sched_core`` on Python floats (float64, ``math``), one step at a time.
        """
        k = int(step)
        return [float(spec(SCALAR, k, float)) for spec in self._lr_specs]

    def momentum_at(self, step: int) -> list[float] | None:
        """Momentum of every param group for update ``step``, or None if not scheduled."""
        if self._momentum_specs is None:
            return None
        k = int(step)
        return [float(spec(SCALAR, k, float)) for spec in self._momentum_specs]

    # -- torch hooks ---------------------------------------------------------------------
    def _initial_step(self) -> None:
        self._rebuild()
        super()._initial_step()

    def get_lr(self) -> list[float]:
        """Closed-form LR for ``self.last_epoch`` (torch's hook; prefer ``get_last_lr``)."""
        return self.lr_at(self.last_epoch)

    _get_closed_form_lr = get_lr

    def step(self, epoch: int | None = None) -> None:
        """Advances one update (or jumps to ``epoch``) and writes LR and momentum."""
        super().step(epoch)
        moms = self.momentum_at(self.last_epoch)
        if moms is not None:
            for group, m in zip(self.optimizer.param_groups, moms, strict=True):
                write_momentum(group, m)
            self._last_momentum = moms

    def get_last_momentum(self) -> list[float] | None:
        """Momentum written by the last ``step()`` per group (None if not scheduled)."""
        return None if self._last_momentum is None else list(self._last_momentum)

    # -- checkpoints ---------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Plain-data state: counters, base LRs and hyperparameters (no callables)."""
        state = {
            "last_epoch": self.last_epoch,
            "_step_count": self._step_count,
            "base_lrs": [_to_float(x) for x in self.base_lrs],
            "_last_lr": [_to_float(x) for x in self._last_lr],
            "_last_momentum": self.get_last_momentum(),
        }
        for name in self._hyperparams:
            state[name] = _plain(getattr(self, name))
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restores a :meth:`state_dict`; hyperparameters in it win (torch's rule)."""
        missing = [k for k in ("last_epoch", "base_lrs") if k not in state_dict]
        if missing:
            raise KeyError(f"state_dict lacks {missing}; was it made by {type(self).__name__}?")
        for name in self._hyperparams:
            if name in state_dict:
                setattr(self, name, state_dict[name])
        self.last_epoch = int(state_dict["last_epoch"])
        self._step_count = int(state_dict.get("_step_count", self._step_count))
        self.base_lrs = list(state_dict["base_lrs"])
        if "_last_lr" in state_dict:
            self._last_lr = list(state_dict["_last_lr"])
        self._last_momentum = state_dict.get("_last_momentum")
        self._rebuild()


def _plain(x: Any) -> Any:
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, tuple):
        return list(x)
    return x

