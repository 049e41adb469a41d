"""torch ``LRScheduler`` faces of every deterministic ``sched_core`` schedule.

Classes named like torch's take torch's exact signature (plus ``decay`` and
``warmup_steps`` for :class:`CosineAnnealingWarmRestarts`); the others take the
optimizer first, then the ``optax_sched`` factory's arguments in order.
"""

from __future__ import annotations

import bisect
import functools
import math
import types
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Sequence
from typing import Any
from typing import cast

import numpy as np
from torch.optim import Optimizer
from torch.optim.lr_scheduler import ChainedScheduler as _TorchChained
from torch.optim.lr_scheduler import SequentialLR as _TorchSequential
from torch.optim.lr_scheduler import _param_groups_val_list
from torch.optim.lr_scheduler import _update_param_group_val
from torch.optim.lr_scheduler import _warn_get_lr_called_within_step

import sched_core as core
from sched_core import _validate as v
from sched_core._scalar import SCALAR
from torch_compat._base import CoreLRScheduler
from torch_compat._base import _to_float
from torch_compat._base import check_optimizer
from torch_compat._base import has_momentum
from torch_compat._base import per_group
from torch_compat._base import read_momentum

__all__ = [
    "StepLR", "MultiStepLR", "ConstantLR", "LinearLR", "ExponentialLR", "PolynomialLR",
    "CosineAnnealingLR", "CosineAnnealingWarmRestarts", "OneCycleLR", "CyclicLR", "LambdaLR",
    "SequentialLR", "ChainedScheduler", "MultiplicativeLR", "SWALR", "LinearWarmup",
    "ExponentialWarmup", "CosineWarmup", "WarmupWithDecay", "ExponentialCyclicLR",
    "ListScheduler", "LambdaScheduler", "RangeFinder", "OneCyclePolicy",
]


class StepLR(CoreLRScheduler):
    """torch ``StepLR`` in closed form.

    Formula: :class:`sched_core.StepLR`.
    """

    _spec_class = core.StepLR
    _hyperparams = ("step_size", "gamma")

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)


class MultiStepLR(CoreLRScheduler):
    """torch ``MultiStepLR`` in closed form (milestones in any order, repeats count twice).

    Formula: :class:`sched_core.MultiStepLR`.
    """

    _spec_class = core.MultiStepLR
    _hyperparams = ("milestones", "gamma")

    def __init__(self, optimizer: Optimizer, milestones: Iterable[int], gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        # like torch's Counter: any iterable (list, tuple, set), any order, repeats count twice
        self.milestones = list(v.check_milestones("milestones", milestones, strict=False,
                                                  sort=True, min_value=0, allow_empty=True))
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)


class ConstantLR(CoreLRScheduler):
    """torch ``ConstantLR``: ``factor`` applied for the first ``total_iters`` updates.

    Formula: :class:`sched_core.ConstantLR`.
    """

    _spec_class = core.ConstantLR
    _hyperparams = ("factor", "total_iters")

    def __init__(self, optimizer: Optimizer, factor: float = 1.0 / 3, total_iters: int = 5,
                 last_epoch: int = -1) -> None:
        self.factor, self.total_iters = factor, total_iters
        super().__init__(optimizer, last_epoch)


class LinearLR(CoreLRScheduler):
    """torch ``LinearLR``: factor linear from ``start_factor`` to ``end_factor``.

    Formula: :class:`sched_core.LinearLR`.
    """

    _spec_class = core.LinearLR
    _hyperparams = ("start_factor", "end_factor", "total_iters")

    def __init__(self, optimizer: Optimizer, start_factor: float = 1.0 / 3,
                 end_factor: float = 1.0, total_iters: int = 5, last_epoch: int = -1) -> None:
        self.start_factor, self.end_factor = start_factor, end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)


class ExponentialLR(CoreLRScheduler):
    """torch ``ExponentialLR`` in closed form.

    Formula: :class:`sched_core.ExponentialLR`.
    """

    _spec_class = core.ExponentialLR
    _hyperparams = ("gamma",)

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)


class PolynomialLR(CoreLRScheduler):
    """torch ``PolynomialLR`` in closed form: decays to 0 at ``total_iters``.

    Formula: :class:`sched_core.PolynomialLR`.
    """

    _spec_class = core.PolynomialLR
    _hyperparams = ("total_iters", "power")

    def __init__(self, optimizer: Optimizer, total_iters: int = 5, power: float = 1.0,
                 last_epoch: int = -1) -> None:
        self.total_iters, self.power = total_iters, power
        super().__init__(optimizer, last_epoch)


class CosineAnnealingLR(CoreLRScheduler):
    """torch ``CosineAnnealingLR`` in closed form (periodic past ``T_max``, like torch).

    Formula: :class:`sched_core.CosineAnnealingLR`.
    """

    _spec_class = core.CosineAnnealingLR
    _hyperparams = ("T_max", "eta_min")

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0,  # noqa: N803
                 last_epoch: int = -1) -> None:
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)


class CosineAnnealingWarmRestarts(CoreLRScheduler):
    """torch ``CosineAnnealingWarmRestarts`` plus per-restart ``decay`` and a global warmup.

    With ``decay=1.0, warmup_steps=0`` it equals torch's class, including its state:
    ``T_cur`` (position in the cycle, fractional after ``step(epoch)`` with a float epoch,
    writable: setting it restarts as in torch) and ``T_i`` (the cycle's length). ``T_mult``
    may be a float (cycle lengths rounded as ``sched_core.restart_table`` says); explicit
    epochs find their cycle in that integer table instead of torch's float logarithm.
    Like torch's, it overwrites the LR from its bases (not chainable).

    Formula: :class:`sched_core.CosineAnnealingWarmRestarts`.
    """

    _spec_class = core.CosineAnnealingWarmRestarts
    _hyperparams = ("T_0", "T_mult", "eta_min", "decay", "warmup_steps")
    T_mult: float
    eta_min: float
    decay: float
    warmup_steps: int
    _lr_specs: list[Any]  # sched_core.CosineAnnealingWarmRestarts, one per group

    def __init__(self, optimizer: Optimizer, T_0: int, T_mult: float = 1,  # noqa: N803
                 eta_min: float = 0.0, last_epoch: int = -1, decay: float = 1.0,
                 warmup_steps: int = 0) -> None:
        self.T_0, self.T_mult, self.eta_min = T_0, T_mult, eta_min
        self.decay, self.warmup_steps = decay, warmup_steps
        spec = cast(core.CosineAnnealingWarmRestarts, self._specs([1.0])[0][0])  # validates
        if last_epoch >= 0:  # resuming: torch's state at update last_epoch
            c, tau, length = spec.position(SCALAR, int(last_epoch))
        else:
            c, tau, length = 0, last_epoch, T_0
        self._cycle, self.T_cur, self.T_i = int(c), tau, int(length)
        super().__init__(optimizer, last_epoch)

    def step(self, epoch: float | None = None) -> None:
        """Advances one update, or moves to ``epoch`` (int or float, as in torch).

        Like torch's, an explicit epoch is supported here (no deprecation warning):
        ``scheduler.step(epoch + i / iters)`` anneals within an epoch.
        """
        spec = cast(core.CosineAnnealingWarmRestarts,
                    self._lr_specs[0] if self._lr_specs else self._specs([1.0])[0][0])
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur = self.T_cur + 1
            if self.T_cur >= self.T_i:
                self.T_cur = self.T_cur % self.T_i
                self._cycle += 1
                self.T_i = int(spec.cycle(self._cycle)[1])
        else:
            if isinstance(epoch, bool) or not isinstance(epoch, (int, float)) \
                    or not math.isfinite(epoch):
                raise TypeError(f"epoch must be a finite number or None, got {epoch!r}")
            if epoch < 0:
                raise ValueError(f"Expected non-negative epoch, but got {epoch}")
            if spec._starts is None:
                c = int(epoch // self.T_0)
            else:
                c = bisect.bisect_right(spec._starts, epoch) - 1
            start, length = spec.cycle(c)
            self._cycle, self.T_i = c, int(length)
            self.T_cur = epoch - start if isinstance(epoch, float) else int(epoch - start)
        self.last_epoch = math.floor(epoch)
        self._sync_groups()
        with _GetLR(self):
            values = self._values_at_state()
        for group, lr in zip(self.optimizer.param_groups, values, strict=True):
            _update_param_group_val(group, "lr", lr)
        self._last_lr = _param_groups_val_list(self.optimizer, "lr")
        self._after_write()

    def _values_at_state(self) -> list[float]:
        return [float(spec.at(SCALAR, self._cycle, self.T_cur, self.T_i, self.last_epoch, float))
                for spec in self._lr_specs]

    def get_lr(self) -> list[Any]:
        """The LR of every group at the current ``T_cur`` / ``T_i`` (torch's hook)."""
        _warn_get_lr_called_within_step(self)
        return self._values_at_state()

    def state_dict(self) -> dict[str, Any]:
        """Plain-data state including torch's ``T_cur`` and ``T_i``."""
        state = super().state_dict()
        state.update(T_cur=self.T_cur, T_i=self.T_i, _cycle=self._cycle)
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restores :meth:`state_dict` (with ``T_cur``, ``T_i``)."""
        super().load_state_dict(state_dict)
        self.T_cur = state_dict.get("T_cur", self.T_cur)
        self.T_i = int(state_dict.get("T_i", self.T_i))
        self._cycle = int(state_dict.get("_cycle", self._cycle))


class _GetLR:
    """torch's ``_enable_get_lr_call``: ``get_lr()`` inside ``step()`` does not warn."""

    def __init__(self, sched: Any) -> None:
        self.sched = sched

    def __enter__(self) -> None:
        self.sched._get_lr_called_within_step = True

    def __exit__(self, *exc: Any) -> None:
        self.sched._get_lr_called_within_step = False


def _momentum_keys(optimizer: Optimizer, sched: Any) -> None:
    """torch's OneCycleLR/CyclicLR keep ``base_momentum``/``max_momentum`` in each group."""
    if not sched.cycle_momentum:
        return
    for group, b, m in zip(optimizer.param_groups, sched.base_momentums, sched.max_momentums,
                           strict=True):
        group["max_momentum"] = m
        group["base_momentum"] = b


def _check_momentum_optimizer(optimizer: Optimizer, cls: str) -> None:
    if not has_momentum(check_optimizer(optimizer)):
        raise ValueError(f"{cls}: optimizer {type(optimizer).__name__} has neither 'momentum' "
                         "nor 'betas'; pass cycle_momentum=False to schedule the LR only")


class OneCycleLR(CoreLRScheduler):
    """torch ``OneCycleLR`` (same signature); holds the final value after ``total_steps``.

    torch raises ``ValueError`` past ``total_steps``; this class holds the final LR and
    momentum instead (documented in ``docs/math.md``).

    Formula: :class:`sched_core.OneCycleLR` (LR) and :class:`sched_core.OneCycleMomentum`
    (momentum / ``betas[0]``).
    """

    _hyperparams = ("max_lrs", "total_steps", "pct_start", "anneal_strategy", "cycle_momentum",
                    "base_momentums", "max_momentums", "div_factor", "final_div_factor",
                    "three_phase")
    _from_bases = False

    def __init__(self, optimizer: Optimizer, max_lr: float | list[float],
                 total_steps: int | None = None, epochs: int | None = None,
                 steps_per_epoch: int | None = None, pct_start: float = 0.3,
                 anneal_strategy: str = "cos", cycle_momentum: bool = True,
                 base_momentum: float | list[float] = 0.85,
                 max_momentum: float | list[float] = 0.95, div_factor: float = 25.0,
                 final_div_factor: float = 1e4, three_phase: bool = False,
                 last_epoch: int = -1) -> None:
        if total_steps is None:
            if epochs is None or steps_per_epoch is None:
                raise ValueError("You must define either total_steps OR (epochs AND "
                                 f"steps_per_epoch), got total_steps=None, epochs={epochs!r}, "
                                 f"steps_per_epoch={steps_per_epoch!r}")
            total_steps = (v.check_int("epochs", epochs, min_value=1)
                           * v.check_int("steps_per_epoch", steps_per_epoch, min_value=1))
        self.cycle_momentum = v.check_bool("cycle_momentum", cycle_momentum)
        if self.cycle_momentum:
            _check_momentum_optimizer(optimizer, "OneCycleLR")
        self.max_lrs = per_group(optimizer, "max_lr", max_lr, None)
        self.total_steps = total_steps
        self.pct_start = pct_start
        self.anneal_strategy = anneal_strategy
        self.base_momentums = per_group(optimizer, "base_momentum", base_momentum, None)
        self.max_momentums = per_group(optimizer, "max_momentum", max_momentum, None)
        self.div_factor = div_factor
        self.final_div_factor = final_div_factor
        self.three_phase = three_phase
        super().__init__(optimizer, last_epoch)

    def _prepare(self, optimizer: Optimizer, last_epoch: int) -> None:
        if last_epoch == -1:
            for group, m in zip(optimizer.param_groups, self.max_lrs, strict=True):
                group["initial_lr"] = m / float(self.div_factor)
                group["max_lr"] = m
                group["min_lr"] = group["initial_lr"] / float(self.final_div_factor)
            _momentum_keys(optimizer, self)

    def _specs(self, bases):
        lrs = [core.OneCycleLR(max_lr=m, total_steps=self.total_steps, pct_start=self.pct_start,
                               anneal_strategy=self.anneal_strategy,
                               div_factor=self.div_factor, final_div_factor=self.final_div_factor,
                               three_phase=self.three_phase)
               for m in self.max_lrs]
        if not self.cycle_momentum:
            return lrs, None
        moms = [core.OneCycleMomentum(total_steps=self.total_steps, base_momentum=b,
                                      max_momentum=m, pct_start=self.pct_start,
                                      anneal_strategy=self.anneal_strategy,
                                      three_phase=self.three_phase)
                for b, m in zip(self.base_momentums, self.max_momentums, strict=True)]
        return lrs, moms


class CyclicLR(CoreLRScheduler):
    """torch ``CyclicLR`` (same signature), momentum/``betas[0]`` written with ``fill_``.

    ``scale_fn`` receives a float (cycle number or update index, as ``scale_mode`` says);
    it is not saved by ``state_dict`` (re-pass it when rebuilding).

    Formula: :class:`sched_core.CyclicLR` (LR) and :class:`sched_core.CyclicMomentum`
    (momentum / ``betas[0]``).
    """

    _hyperparams = ("max_lrs", "step_size_up", "step_size_down", "mode", "gamma",
                    "scale_mode", "cycle_momentum", "base_momentums", "max_momentums")
    _from_bases = False

    def __init__(self, optimizer: Optimizer, base_lr: float | list[float],
                 max_lr: float | list[float], step_size_up: int = 2000,
                 step_size_down: int | None = None, mode: str = "triangular",
                 gamma: float = 1.0, scale_fn: Callable[[float], float] | None = None,
                 scale_mode: str = "cycle", cycle_momentum: bool = True,
                 base_momentum: float | list[float] = 0.8,
                 max_momentum: float | list[float] = 0.9, last_epoch: int = -1) -> None:
        self.cycle_momentum = v.check_bool("cycle_momentum", cycle_momentum)
        if self.cycle_momentum:
            _check_momentum_optimizer(optimizer, "CyclicLR")
        self._explicit_bases = per_group(optimizer, "base_lr", base_lr, None)
        self.max_lrs = per_group(optimizer, "max_lr", max_lr, None)
        self.step_size_up = step_size_up
        self.step_size_down = step_size_down
        self.mode = mode
        self.gamma = gamma
        self.scale_fn = scale_fn
        self.scale_mode = scale_mode
        self.base_momentums = per_group(optimizer, "base_momentum", base_momentum, None)
        self.max_momentums = per_group(optimizer, "max_momentum", max_momentum, None)
        super().__init__(optimizer, last_epoch)

    def _prepare(self, optimizer: Optimizer, last_epoch: int) -> None:
        if last_epoch == -1:
            for group, b in zip(optimizer.param_groups, cast(list, self._explicit_bases),
                                strict=True):
                _update_param_group_val(group, "lr", b)  # fill_ a tensor LR in place
            _momentum_keys(optimizer, self)

    def get_lr(self) -> list[Any]:
        """The closed form; at construction, torch's quirk: the groups' ``initial_lr``.

        torch's CyclicLR evaluates its first value before replacing ``base_lrs`` by
        ``base_lr``, so when an earlier scheduler already set ``initial_lr`` the first LR is
        that ``initial_lr`` (otherwise it is ``base_lr``, which it just wrote there).
        """
        if self._is_initial and self.last_epoch == 0:
            _warn_get_lr_called_within_step(self)
            self._sync_groups()
            return [_to_float(g["initial_lr"]) for g in self.optimizer.param_groups]
        return super().get_lr()

    def _cycle_kwargs(self):
        return dict(step_size_up=self.step_size_up, step_size_down=self.step_size_down,
                    mode=self.mode, gamma=self.gamma, scale_fn=self.scale_fn,
                    scale_mode=self.scale_mode)

    def _specs(self, bases):
        kw = self._cycle_kwargs()
        lrs = [core.CyclicLR(base_lr=b, max_lr=m, **kw)
               for b, m in zip(bases, self.max_lrs, strict=True)]
        if not self.cycle_momentum:
            return lrs, None
        moms = [core.CyclicMomentum(base_momentum=b, max_momentum=m, **kw)
                for b, m in zip(self.base_momentums, self.max_momentums, strict=True)]
        return lrs, moms


def _callables(optimizer: Optimizer, name: str, fn: Any) -> list[Callable[[int], float]]:
    n = len(check_optimizer(optimizer).param_groups)
    fns = list(fn) if isinstance(fn, (list, tuple)) else [fn] * n
    if len(fns) != n:
        raise ValueError(f"{name} must be a callable or a list of {n} callables (one per "
                         f"param group), got {len(fns)}")
    for f in fns:
        if not callable(f):
            raise TypeError(f"{name} must be callable, got {f!r}")
    return fns


def _fn_states(fns: Sequence[Any] | None) -> list[Any] | None:
    """torch's rule: a callable object's ``__dict__`` is saved, a plain function is not."""
    if fns is None:
        return None
    return [None if isinstance(f, types.FunctionType) else dict(f.__dict__) for f in fns]


def _load_fn_states(fns: Sequence[Any] | None, states: Sequence[Any] | None) -> None:
    for f, st in zip(fns or [], states or []):
        if st is not None:
            f.__dict__.update(st)


class _CallableState(CoreLRScheduler):
    """``state_dict`` keeps the ``__dict__`` of callable objects given as lambdas (torch's
    rule: plain functions are not saved). Subclasses list the attributes in
    ``_callable_attrs``."""

    _callable_attrs: tuple[str, ...] = ("lr_lambdas",)

    def state_dict(self) -> dict[str, Any]:
        """Plain-data state plus the callable objects' ``__dict__`` (torch's rule)."""
        state = super().state_dict()
        for name in self._callable_attrs:
            state[name] = _fn_states(getattr(self, name))
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restores :meth:`state_dict` and the callable objects' attributes."""
        super().load_state_dict(state_dict)
        for name in self._callable_attrs:
            _load_fn_states(getattr(self, name), state_dict.get(name))


class LambdaLR(_CallableState):
    """torch ``LambdaLR``: one callable or one per group.

    Not chainable (it overwrites from its bases, as torch's does). ``state_dict`` saves the
    ``__dict__`` of callable objects and nothing for plain functions, as torch does.

    Formula: :class:`sched_core.LambdaLR` (``init_value`` = the group's base LR).
    """

    def __init__(self, optimizer: Optimizer, lr_lambda: Callable[[int], float] | list,
                 last_epoch: int = -1) -> None:
        self.lr_lambdas = _callables(optimizer, "lr_lambda", lr_lambda)
        super().__init__(optimizer, last_epoch)

    def _specs(self, bases):
        return [core.LambdaLR(init_value=b, fn=f) for b, f in zip(bases, self.lr_lambdas)], None


class MultiplicativeLR(_CallableState):
    """torch ``MultiplicativeLR``: each update multiplies the group's LR by ``lr_lambda(k)``.

    Chainable by definition (it multiplies whatever LR it finds). Formula when alone:
    :class:`sched_core.MultiplicativeLR`.
    """

    def __init__(self, optimizer: Optimizer, lr_lambda: Callable[[int], float] | list,
                 last_epoch: int = -1) -> None:
        self.lr_lambdas = _callables(optimizer, "lr_lambda", lr_lambda)
        super().__init__(optimizer, last_epoch)

    def _specs(self, bases):
        return [core.MultiplicativeLR(init_value=b, fn=f)
                for b, f in zip(bases, self.lr_lambdas)], None

    def get_lr(self) -> list[Any]:
        """The group's LR times ``lr_lambda(last_epoch)`` (unchanged at construction)."""
        _warn_get_lr_called_within_step(self)
        self._sync_groups()
        if self._is_initial:
            return _param_groups_val_list(self.optimizer, "lr")
        k = self.last_epoch
        return [group["lr"] * cast(core.MultiplicativeLR, spec).factor(k)
                for group, spec in zip(self.optimizer.param_groups, self._lr_specs, strict=True)]

    _get_closed_form_lr = get_lr  # torch has no closed form: step(epoch) multiplies once


class SWALR(CoreLRScheduler):
    """torch ``swa_utils.SWALR``: anneal each group's LR to ``swa_lr``, then hold it.

    Same signature and composition as torch's: the annealing starts from the LR the group
    has when it starts (and, like torch's, re-derives it from the group's LR every update,
    so a schedule stepped before it hands over seamlessly). The update index is the number
    of ``step()`` calls, as in torch. Formula: :class:`sched_core.SWALR`.
    """

    _hyperparams = ("swa_lrs", "anneal_epochs", "anneal_strategy")

    def __init__(self, optimizer: Optimizer, swa_lr: float | list[float], anneal_epochs: int = 10,
                 anneal_strategy: str = "cos", last_epoch: int = -1) -> None:
        self.swa_lrs = per_group(optimizer, "swa_lr", swa_lr, None)
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError("anneal_strategy must be one of 'cos' or 'linear', instead got "
                             f"{anneal_strategy!r}")
        if isinstance(anneal_epochs, bool) or not isinstance(anneal_epochs, int) \
                or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be an integer >= 0, got {anneal_epochs!r}")
        self.anneal_epochs, self.anneal_strategy = anneal_epochs, anneal_strategy
        # the annealing starts from each group's LR now (torch reads the group, not initial_lr)
        self._explicit_bases = [_to_float(g["lr"]) for g in optimizer.param_groups]
        super().__init__(optimizer, last_epoch)

    def _prepare(self, optimizer: Optimizer, last_epoch: int) -> None:
        for swa, group in zip(self.swa_lrs, optimizer.param_groups, strict=True):
            group["swa_lr"] = swa

    def _specs(self, bases):
        return [core.SWALR(init_value=b, swa_lr=swa, anneal_epochs=self.anneal_epochs,
                           anneal_strategy=self.anneal_strategy)
                for b, swa in zip(bases, self.swa_lrs)], None

    def get_lr(self) -> list[Any]:
        """torch's SWALR step, indexed by the number of ``step()`` calls."""
        saved = self.last_epoch
        self.last_epoch = self._step_count - 1
        try:
            return super().get_lr()
        finally:
            self.last_epoch = saved

    _get_closed_form_lr = get_lr  # torch's SWALR ignores an explicit epoch

    def _construction_reference(self, i: int, group: dict[str, Any], cur: float) -> float:
        return _to_float(self.base_lrs[i]) if i < len(self.base_lrs) else cur

    def lr_at(self, step: int) -> list[float]:
        """Closed-form LR after ``step`` calls to ``step()`` (counting construction as 0)."""
        return super().lr_at(step)


class SequentialLR(_TorchSequential):
    """torch ``SequentialLR`` (torch's own class): any ``LRScheduler`` may be a member.

    Members are stepped as torch steps them (a member starts with ``_update_lr(0)`` at its
    milestone), so stateful members (GraCos auto) keep working. Adds :meth:`lr_at` /
    :meth:`momentum_at`, closed forms available when every member has them.

    Formula: :class:`sched_core.Sequential`.
    """

    def __init__(self, optimizer: Optimizer, schedulers: Sequence[Any],
                 milestones: Sequence[int], last_epoch: int = -1) -> None:
        super().__init__(optimizer, list(schedulers), list(milestones), last_epoch)

    def _active(self, step: int) -> tuple[Any, int]:
        idx, local = core.segment(self._milestones, step)
        return self._schedulers[idx], local

    def lr_at(self, step: int) -> list[float]:
        """Closed-form LR of every group for update ``step`` (``sched_core.Sequential``)."""
        for child in self._schedulers:
            if not hasattr(child, "lr_at"):
                raise TypeError(f"{type(child).__name__} has no closed form (lr_at)")
        out = []
        for g in range(len(self.optimizer.param_groups)):
            members = [functools.partial(_group_lr, child, g) for child in self._schedulers]
            out.append(float(core.Sequential(schedules=members,
                                             milestones=self._milestones)(SCALAR, int(step),
                                                                          float)))
        return out

    def momentum_at(self, step: int) -> list[float] | None:
        """Momentum of the active member for update ``step`` (None if it has none)."""
        child, local = self._active(int(step))
        return child.momentum_at(local) if hasattr(child, "momentum_at") else None

    def get_last_momentum(self) -> list[float] | None:
        """Momentum written by the active member's last step (None if not scheduled)."""
        child, _ = self._active(self.last_epoch)
        return child.get_last_momentum() if hasattr(child, "get_last_momentum") else None


def _group_lr(child: Any, g: int, k: int) -> float:
    return child.lr_at(k)[g]


class ChainedScheduler(_TorchChained):
    """torch ``ChainedScheduler`` (torch's own class) with a closed form.

    Each ``step()`` steps every member in order; chainable members carry each other's
    changes (:func:`sched_core.chain_step`). :meth:`lr_at` is :class:`sched_core.Chained`:
    the product of the members' factors, torch's value for multiplicative members.
    """

    def lr_at(self, step: int) -> list[float]:
        """Closed-form LR of every group for update ``step`` (members' factors multiplied)."""
        out = []
        for g in range(len(self.optimizer.param_groups)):
            specs = [cast(Any, s)._lr_specs[g] for s in self._schedulers]
            out.append(float(core.Chained(specs=specs)(SCALAR, int(step), float)))
        return out

    def get_last_momentum(self) -> list[float] | None:
        """Momentum written by the last member that schedules one (None if none does)."""
        for s in reversed(self._schedulers):
            m = s.get_last_momentum() if hasattr(s, "get_last_momentum") else None
            if m is not None:
                return m
        return None


# ------------------------------------------------------------------ combined library


def _bases_arg(optimizer: Optimizer, name: str, value: Any) -> list[float] | None:
    """A per-group LR argument that defaults to each group's own LR: None stays None (the
    scheduler then uses torch's ``base_lrs``, ``initial_lr`` where set, else ``lr``)."""
    check_optimizer(optimizer)
    return None if value is None else per_group(optimizer, name, value, None)


class LinearWarmup(CoreLRScheduler):
    """Linear warmup to ``base_lr`` (never 0); ``base_lr=None`` uses each group's LR.

    Formula: :class:`sched_core.LinearWarmup`.
    """

    _spec_class = core.LinearWarmup
    _spec_base = "base_lr"
    _hyperparams = ("warmup_steps",)

    def __init__(self, optimizer: Optimizer, base_lr: float | list[float] | None,
                 warmup_steps: int, last_epoch: int = -1) -> None:
        self._explicit_bases = _bases_arg(optimizer, "base_lr", base_lr)
        self.warmup_steps = warmup_steps
        super().__init__(optimizer, last_epoch)


class ExponentialWarmup(CoreLRScheduler):
    """Geometric warmup from ``start_lr`` (never output) to ``base_lr``, then ``base_lr``.

    Formula: :class:`sched_core.ExponentialWarmup`.
    """

    _spec_class = core.ExponentialWarmup
    _spec_base = "base_lr"
    _hyperparams = ("warmup_steps", "start_lr")

    def __init__(self, optimizer: Optimizer, base_lr: float | list[float] | None,
                 warmup_steps: int, start_lr: float = 1e-7, last_epoch: int = -1) -> None:
        self._explicit_bases = _bases_arg(optimizer, "base_lr", base_lr)
        self.warmup_steps, self.start_lr = warmup_steps, start_lr
        super().__init__(optimizer, last_epoch)


class CosineWarmup(CoreLRScheduler):
    """Half-cosine ramp to ``base_lr`` over ``warmup_steps`` (never 0).

    Formula: :class:`sched_core.CosineWarmup`.
    """

    _spec_class = core.CosineWarmup
    _spec_base = "base_lr"
    _hyperparams = ("warmup_steps",)

    def __init__(self, optimizer: Optimizer, base_lr: float | list[float] | None,
                 warmup_steps: int, last_epoch: int = -1) -> None:
        self._explicit_bases = _bases_arg(optimizer, "base_lr", base_lr)
        self.warmup_steps = warmup_steps
        super().__init__(optimizer, last_epoch)


class WarmupWithDecay(CoreLRScheduler):
    """Linear warmup then cosine to ``min_lr`` at ``total_steps``, then hold.

    Formula: :class:`sched_core.WarmupWithDecay`.
    """

    _spec_class = core.WarmupWithDecay
    _spec_base = "base_lr"
    _hyperparams = ("warmup_steps", "total_steps", "min_lr")

    def __init__(self, optimizer: Optimizer, base_lr: float | list[float] | None,
                 warmup_steps: int, total_steps: int, min_lr: float = 0.0,
                 last_epoch: int = -1) -> None:
        self._explicit_bases = _bases_arg(optimizer, "base_lr", base_lr)
        self.warmup_steps, self.total_steps, self.min_lr = warmup_steps, total_steps, min_lr
        super().__init__(optimizer, last_epoch)


class ExponentialCyclicLR(CoreLRScheduler):
    """Exponential cycles of ``step_size`` updates with peak decay ``gamma`` per cycle.

    Formula: :class:`sched_core.ExponentialCyclicLR`.
    """

    _hyperparams = ("max_lrs", "step_size", "gamma")
    _from_bases = False

    def __init__(self, optimizer: Optimizer, base_lr: float | list[float] | None,
                 max_lr: float | list[float], step_size: int, gamma: float = 0.96,
                 last_epoch: int = -1) -> None:
        self._explicit_bases = _bases_arg(optimizer, "base_lr", base_lr)
        self.max_lrs = per_group(optimizer, "max_lr", max_lr, None)
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def _specs(self, bases):
        return [core.ExponentialCyclicLR(base_lr=b, max_lr=m, step_size=self.step_size,
                                         gamma=self.gamma)
                for b, m in zip(bases, self.max_lrs, strict=True)], None


# ------------------------------------------------------------------ lr-momentum-scheduler


def _rows(optimizer: Optimizer, name: str, values: Any) -> list[list[float]]:
    n = len(check_optimizer(optimizer).param_groups)
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim == 1:
        return [arr.tolist()] * n
    if arr.ndim == 2:
        if arr.shape[0] != n:
            raise ValueError(f"{name} as a 2-D array must have one row per param group ({n}), "
                             f"got {arr.shape[0]} rows")
        return arr.tolist()
    raise ValueError(f"{name} must be 1-D (all groups) or 2-D (group x step), got shape "
                     f"{arr.shape}")


class ListScheduler(CoreLRScheduler):
    """Explicit per-step LRs (and momenta), the last value held past the end.

    ``lrs``/``momentums`` are 1-D (same for every group) or 2-D (one row per group).
    Without ``momentums`` the momentum is left untouched.

    Formula: :class:`sched_core.ListSchedule` (one per row).
    """

    _hyperparams = ("lrs", "momentums")
    _from_bases = False

    def __init__(self, optimizer: Optimizer, lrs: Any, momentums: Any = None,
                 last_epoch: int = -1) -> None:
        self.lrs = _rows(optimizer, "lrs", lrs)
        self.momentums = None if momentums is None else _rows(optimizer, "momentums", momentums)
        if self.momentums is not None and not has_momentum(optimizer):
            raise ValueError(f"momentums given, but {type(optimizer).__name__} has neither "
                             "'momentum' nor 'betas'")
        super().__init__(optimizer, last_epoch)

    def _specs(self, bases):
        lrs = [core.ListSchedule(values=r) for r in self.lrs]
        moms = (None if self.momentums is None
                else [core.ListSchedule(values=r) for r in self.momentums])
        return lrs, moms


class LambdaScheduler(_CallableState):
    """``LambdaLR`` that can also schedule momentum, each as its base times its lambda.

    The momentum base is each group's momentum (``betas[0]``) at construction, kept in
    the group as ``initial_momentum``. Without ``momentum_lambda`` momentum is untouched.

    Formula: :class:`sched_core.LambdaLR` (for the LR and for the momentum).
    """

    _hyperparams = ("base_momentums",)
    _callable_attrs = ("lr_lambdas", "momentum_lambdas")

    def __init__(self, optimizer: Optimizer, lr_lambda: Callable[[int], float] | list,
                 momentum_lambda: Callable[[int], float] | list | None = None,
                 last_epoch: int = -1) -> None:
        self.lr_lambdas = _callables(optimizer, "lr_lambda", lr_lambda)
        self.momentum_lambdas = None
        self.base_momentums = None
        if momentum_lambda is not None:
            if not has_momentum(optimizer):
                raise ValueError(f"momentum_lambda given, but {type(optimizer).__name__} has "
                                 "neither 'momentum' nor 'betas'")
            self.momentum_lambdas = _callables(optimizer, "momentum_lambda", momentum_lambda)
            for i, group in enumerate(optimizer.param_groups):
                if last_epoch == -1:
                    group.setdefault("initial_momentum", read_momentum(group))
                elif "initial_momentum" not in group:
                    raise KeyError(f"param 'initial_momentum' is not specified in "
                                   f"param_groups[{i}] when resuming with last_epoch >= 0")
            self.base_momentums = [float(g["initial_momentum"]) for g in optimizer.param_groups]
        super().__init__(optimizer, last_epoch)

    def _specs(self, bases):
        lrs = [core.LambdaLR(init_value=b, fn=f) for b, f in zip(bases, self.lr_lambdas)]
        if self.momentum_lambdas is None:
            return lrs, None
        moms = [core.LambdaLR(init_value=b, fn=f)
                for b, f in zip(cast(list, self.base_momentums), self.momentum_lambdas)]
        return lrs, moms


class RangeFinder(CoreLRScheduler):
    """LR range-test sweep from ``start_lr`` to ``end_lr`` over ``num_steps`` (geometric).

    Formula: :class:`sched_core.RangeFinder` (the same for every group).
    """

    _hyperparams = ("num_steps", "start_lr", "end_lr")
    _from_bases = False

    def __init__(self, optimizer: Optimizer, num_steps: int, start_lr: float = 1e-7,
                 end_lr: float = 1.0, last_epoch: int = -1) -> None:
        self.num_steps, self.start_lr, self.end_lr = num_steps, start_lr, end_lr
        super().__init__(optimizer, last_epoch)

    def _specs(self, bases):
        spec = core.RangeFinder(num_steps=self.num_steps, start_lr=self.start_lr,
                                end_lr=self.end_lr)
        return [spec] * len(bases), None


class OneCyclePolicy(CoreLRScheduler):
    """Smith's linear 1cycle policy with momentum (lr-momentum-scheduler's OneCyclePolicy).

    ``max_lr=None`` uses each group's LR as the peak. ``momentum_range=None`` leaves
    momentum untouched.

    Formula: :class:`sched_core.OneCyclePolicyLR` (LR) and
    :class:`sched_core.OneCyclePolicyMomentum` (momentum / ``betas[0]``).
    """

    _hyperparams = ("max_lrs", "num_steps", "momentum_range")
    _from_bases = False

    def __init__(self, optimizer: Optimizer, max_lr: float | list[float] | None,
                 num_steps: int, momentum_range: tuple[float, float] | None = (0.85, 0.95),
                 last_epoch: int = -1) -> None:
        self.max_lrs = per_group(optimizer, "max_lr", max_lr,
                                 [g.get("initial_lr", g["lr"]) for g in optimizer.param_groups])
        self.num_steps = num_steps
        self.momentum_range = None if momentum_range is None else list(momentum_range)
        if self.momentum_range is not None and not has_momentum(optimizer):
            raise ValueError(f"momentum_range given, but {type(optimizer).__name__} has neither "
                             "'momentum' nor 'betas'; pass momentum_range=None")
        super().__init__(optimizer, last_epoch)

    def _specs(self, bases):
        lrs = [core.OneCyclePolicyLR(max_lr=m, num_steps=self.num_steps) for m in self.max_lrs]
        if self.momentum_range is None:
            return lrs, None
        mom = core.OneCyclePolicyMomentum(num_steps=self.num_steps,
                                          momentum_range=tuple(self.momentum_range))
        return lrs, [mom] * len(lrs)
