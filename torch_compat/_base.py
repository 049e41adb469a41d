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
import torch
from torch import Tensor
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler
from torch.optim.lr_scheduler import _warn_get_lr_called_within_step

import sched_core as core
from sched_core._scalar import SCALAR

__all__ = ["CoreLRScheduler", "check_optimizer", "has_momentum", "read_momentum",
           "write_momentum"]


def check_optimizer(optimizer: Any) -> Optimizer:
    """Returns ``optimizer`` if it is a ``torch.optim.Optimizer``; TypeError otherwise."""
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer, got "
                        f"{type(optimizer).__name__}")
    return optimizer

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
    n = len(check_optimizer(optimizer).param_groups)
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
    """A torch ``LRScheduler`` whose values come from ``sched_core`` (Python floats, float64).

    One construction path: a subclass's ``__init__`` stores its hyperparameters as
    attributes (per-group LR lists through :func:`per_group`) and calls
    ``super().__init__(optimizer, last_epoch)``, which checks the optimizer, validates by
    building the core specs (:meth:`_specs`) before anything touches the optimizer, lets
    :meth:`_prepare` write what torch's class of the same name writes into the param groups,
    then runs torch's ``LRScheduler.__init__``. A class whose spec takes the group's base LR
    only names it: ``_spec_class`` (the ``sched_core`` spec), ``_spec_base`` (the spec field
    that receives the base) and ``_hyperparams`` (the other fields, saved by
    ``state_dict``). A class whose base LR is an argument (``base_lr=...``) sets
    ``_explicit_bases``: they become ``base_lrs``, as torch's ``CyclicLR`` does.

    Composition follows torch's class of the same name: schedules whose core spec is
    chainable (``chain_kind`` ``"affine"``/``"reset"``: torch's recursive classes) apply
    :func:`sched_core.chain_step`, so changes made by other schedulers on the same
    optimizer (``ReduceLROnPlateau`` cuts, a co-stepped warmup, ``ChainedScheduler``) are
    carried forward as torch carries them; the others overwrite from their bases as torch's
    closed-form classes do. Used alone, every class writes its closed form bit for bit.
    """

    #: attribute names saved by state_dict (plain Python data only).
    _hyperparams: tuple[str, ...] = ()
    #: the sched_core spec built per group from its base LR (None: the class overrides _specs)
    _spec_class: type[core.Schedule] | None = None
    #: the spec field that receives the group's base LR
    _spec_base: str = "init_value"
    #: a param group added later gets ``_specs([its base])`` (True) or group 0's spec
    #: rescaled by the ratio of the bases (False: classes with their own per-group lists)
    _from_bases: bool = True
    #: per-group base LRs given as an argument (they become ``base_lrs``); None: torch's
    _explicit_bases: list[float] | None = None
    _lr_specs: list[core.Schedule]
    _momentum_specs: list[core.Schedule] | None = None
    #: False for schedulers that evaluate themselves (GraCos) instead of one spec per group.
    _per_group_specs: bool = True

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        check_optimizer(optimizer)
        if isinstance(last_epoch, bool) or not isinstance(last_epoch, int) or last_epoch < -1:
            raise ValueError(f"last_epoch must be an integer >= -1, got {last_epoch!r}")
        self._last_momentum: list[float] | None = None
        # per group: [the LR this scheduler wrote last, the carried chain factor or None]
        self._chain: list[list[Any]] = []
        # per group: (id, version, value) of a tensor LR we wrote, to skip reading it back
        self._tensor_marks: list[tuple[int, int, float] | None] = []
        self._values: list[Any] | None = None  # set by get_lr, consumed by _after_write
        bases = self._explicit_bases
        if bases is None:  # torch's base_lrs: initial_lr where set, else lr
            bases = [_to_float(g.get("initial_lr", g["lr"])) for g in optimizer.param_groups]
        self._check_momentum(self._specs(bases)[1], optimizer)  # validate before any write
        self._prepare(optimizer, last_epoch)
        super().__init__(optimizer, last_epoch)

    # -- subclass API --------------------------------------------------------------------
    def _specs(self, bases: list[float]) -> tuple[list[core.Schedule], list[core.Schedule] | None]:
        """One LR spec per param group from its base LR, and the momentum specs (or None)."""
        if self._spec_class is None:
            raise NotImplementedError(f"{type(self).__name__} must set _spec_class or "
                                      "override _specs")
        kw = {name: getattr(self, name) for name in self._hyperparams}
        return [self._spec_class(**{self._spec_base: b}, **kw) for b in bases], None

    def _prepare(self, optimizer: Optimizer, last_epoch: int) -> None:
        """Writes what torch's class writes into the param groups before its first step."""

    def _spec_for_base(self, base: float) -> core.Schedule:
        """LR schedule of a param group added after construction, whose base LR is ``base``."""
        if self._from_bases:
            return self._specs([base])[0][0]
        spec0, base0 = self._lr_specs[0], _to_float(self.base_lrs[0])
        return spec0.scaled(base / base0) if base0 != 0 else spec0

    def _check_momentum(self, moms: list[core.Schedule] | None, optimizer: Optimizer) -> None:
        if moms is not None and not has_momentum(optimizer):
            raise ValueError(f"{type(self).__name__} schedules momentum, but "
                             f"{type(optimizer).__name__} has neither 'momentum' nor 'betas'")

    def _rebuild(self) -> None:
        self._lr_specs, self._momentum_specs = self._specs(
            [_to_float(b) for b in self.base_lrs])
        self._check_momentum(self._momentum_specs, self.optimizer)

    def _sync_groups(self) -> None:
        """Follows ``optimizer.add_param_group()``: a new group gets a schedule and a base.

        Its base is its ``initial_lr`` (set from its LR, as torch does at construction);
        chainable schedules then carry its LR forward with torch's recursion.
        """
        groups = self.optimizer.param_groups
        n, m = len(groups), len(self._lr_specs)
        if not self._per_group_specs:
            m = n
        elif n < m:
            raise ValueError(f"{type(self).__name__}: the optimizer has {n} param groups, "
                             f"fewer than the {m} this scheduler was built for")
        for i in range(m, n):
            initial = groups[i].setdefault("initial_lr", _clone(groups[i]["lr"]))
            base = _to_float(initial)
            if len(self.base_lrs) < i + 1:
                self.base_lrs.append(initial)
            self._lr_specs.append(self._spec_for_base(base))
            if self._momentum_specs is not None:
                self._momentum_specs.append(self._momentum_specs[0])
        while len(self._chain) < n:
            self._chain.append([None, None])
        while len(self._tensor_marks) < n:
            self._tensor_marks.append(None)

    @property
    def chainable(self) -> bool:
        """True if this class composes like torch's recursive schedulers."""
        return bool(self._lr_specs) and all(
            s.chain_kind in ("affine", "reset") for s in self._lr_specs)

    # -- closed forms --------------------------------------------------------------------
    def lr_at(self, step: int) -> list[float]:
        """Closed-form LR of every param group for update ``step`` (no side effects).

        This is the value the scheduler writes when no other scheduler changes the LR.
        Evaluated by ``sched_core`` on Python floats (float64, ``math``).
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
        if self._explicit_bases is not None:  # used once: base_lrs (and state_dict) hold them
            self.base_lrs = list(self._explicit_bases)
            del self._explicit_bases
        self._rebuild()
        super()._initial_step()

    def _read_lr(self, i: int, group: dict[str, Any]) -> float:
        lr = group["lr"]
        if isinstance(lr, Tensor):
            mark = self._tensor_marks[i]
            if mark is not None and mark[0] == id(lr) and mark[1] == lr._version:
                return mark[2]  # untouched since we wrote it: no device read
            return float(lr.item())
        return float(lr)

    def get_lr(self) -> list[Any]:
        """The LR of every group for ``self.last_epoch`` (torch's hook; use ``get_last_lr``).

        Chainable classes apply torch's composition rule to the LR found in each group;
        the others return their closed form.
        """
        _warn_get_lr_called_within_step(self)
        self._sync_groups()
        k = self.last_epoch
        if not self.chainable or (self._is_initial and k > 0):
            # closed form: torch's overwriting classes, and resuming with last_epoch
            for state in self._chain:
                state[1] = None
            self._values = self.lr_at(k)
            return self._values
        out: list[Any] = []
        for i, (group, spec) in enumerate(zip(self.optimizer.param_groups, self._lr_specs,
                                              strict=True)):
            written, g = self._chain[i]
            cur = self._read_lr(i, group)
            if written is None and k == 0:
                # construction: a change another scheduler already made (cur vs the base
                # this schedule starts from) is carried as a factor on its own base
                start = spec.chain_floor + spec.chain_span
                initial = self._construction_reference(i, group, cur)
                written = start
                cur = start if cur == initial or initial == 0 else start * (cur / initial)
            value, self._chain[i][1] = core.chain_step(
                spec, k, cur, written, g, restart=(k == 0 and not self._is_initial))
            out.append(value)
        self._values = out  # what _after_write records as written (no device read-back)
        return out

    def _construction_reference(self, i: int, group: dict[str, Any], cur: float) -> float:
        """The LR this schedule's own base corresponds to at construction (``initial_lr``)."""
        return _to_float(group.get("initial_lr", cur))

    def _get_closed_form_lr(self) -> list[Any]:
        """Closed-form LR for ``self.last_epoch`` (used by the deprecated ``step(epoch)``)."""
        self._sync_groups()
        for state in self._chain:
            state[1] = None
        self._values = self.lr_at(self.last_epoch)
        return self._values

    def _update_lr(self, epoch: int | None = None) -> None:
        super()._update_lr(epoch)
        self._after_write()

    def _after_write(self) -> None:
        """Records what was written (chainable classes) and writes the momentum.

        A tensor LR holds the value rounded to its dtype: that rounding is done again on the
        host (``torch.tensor(v, dtype)``), so nothing is read back from the device.
        """
        values, self._values = self._values, None
        for i, group in enumerate(self.optimizer.param_groups):
            lr = group["lr"]
            if not self.chainable or values is None:
                self._tensor_marks[i] = None  # overwriting classes never read the LR
                continue
            if isinstance(lr, Tensor):
                value = float(torch.tensor(float(values[i]), dtype=lr.dtype))
                self._tensor_marks[i] = (id(lr), lr._version, value)
            else:
                value = float(lr)
                self._tensor_marks[i] = None
            self._chain[i][0] = value
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
        """Plain-data state: counters, base LRs, composition state and hyperparameters."""
        state = {
            "last_epoch": self.last_epoch,
            "_step_count": self._step_count,
            "base_lrs": [_to_float(x) for x in self.base_lrs],
            "_last_lr": [_to_float(x) for x in self._last_lr],
            "_last_momentum": self.get_last_momentum(),
            "_chain": [list(c) for c in self._chain],
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
        self._chain = [list(c) for c in state_dict.get("_chain", [])]
        self._tensor_marks = []
        self._rebuild()
        self._sync_groups()


def _clone(x: Any) -> Any:
    return x.clone() if isinstance(x, Tensor) else x


def _plain(x: Any) -> Any:
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, tuple):
        return list(x)
    return x

