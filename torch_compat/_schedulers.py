"""torch ``LRScheduler`` faces of every deterministic ``sched_core`` schedule.

Classes named like torch's take torch's exact signature (plus ``decay`` and
``warmup_steps`` for :class:`CosineAnnealingWarmRestarts`); the others take the
optimizer first, then the ``optax_sched`` factory's arguments in order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from torch.optim import Optimizer
from torch.optim.lr_scheduler import _update_param_group_val

import sched_core as core
from sched_core import _validate as v
from torch_compat._base import CoreLRScheduler, has_momentum, per_group, read_momentum

__all__ = [
    "StepLR", "MultiStepLR", "ConstantLR", "LinearLR", "ExponentialLR", "PolynomialLR",
    "CosineAnnealingLR", "CosineAnnealingWarmRestarts", "OneCycleLR", "CyclicLR", "LambdaLR",
    "SequentialLR", "LinearWarmup", "ExponentialWarmup", "CosineWarmup", "WarmupWithDecay",
    "ExponentialCyclicLR", "ListScheduler", "LambdaScheduler", "RangeFinder", "OneCyclePolicy",
]


class _BaseLRScaled(CoreLRScheduler):
    """Schedules scaled by each group's ``initial_lr`` (torch's ``base_lrs``)."""

    _core: type[core.Schedule]

    def _kwargs(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self._hyperparams}

    def _build(self):
        kw = self._kwargs()
        return [self._core(float(b), **kw) for b in self.base_lrs], None

    def _validate(self) -> None:
        self._core(1.0, **self._kwargs())  # raises ValueError/TypeError before any work


def _init(self, optimizer, last_epoch, **hyper):
    for name, value in hyper.items():
        setattr(self, name, value)
    self._validate()
    CoreLRScheduler.__init__(self, optimizer, last_epoch)


class StepLR(_BaseLRScaled):
    """torch ``StepLR`` in closed form: ``base_lr * gamma ** (k // step_size)``."""

    _core = core.StepLR
    _hyperparams = ("step_size", "gamma")

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        _init(self, optimizer, last_epoch, step_size=step_size, gamma=gamma)


class MultiStepLR(_BaseLRScaled):
    """torch ``MultiStepLR``: ``base_lr * gamma ** #{milestones <= k}``."""

    _core = core.MultiStepLR
    _hyperparams = ("milestones", "gamma")

    def __init__(self, optimizer: Optimizer, milestones: Sequence[int], gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        _init(self, optimizer, last_epoch,
              milestones=list(v.check_milestones("milestones", milestones, strict=False)),
              gamma=gamma)


class ConstantLR(_BaseLRScaled):
    """torch ``ConstantLR``: ``base_lr * factor`` for ``k < total_iters``."""

    _core = core.ConstantLR
    _hyperparams = ("factor", "total_iters")

    def __init__(self, optimizer: Optimizer, factor: float = 1.0 / 3, total_iters: int = 5,
                 last_epoch: int = -1) -> None:
        _init(self, optimizer, last_epoch, factor=factor, total_iters=total_iters)


class LinearLR(_BaseLRScaled):
    """torch ``LinearLR``: factor linear from ``start_factor`` to ``end_factor``."""

    _core = core.LinearLR
    _hyperparams = ("start_factor", "end_factor", "total_iters")

    def __init__(self, optimizer: Optimizer, start_factor: float = 1.0 / 3,
                 end_factor: float = 1.0, total_iters: int = 5, last_epoch: int = -1) -> None:
        _init(self, optimizer, last_epoch, start_factor=start_factor, end_factor=end_factor,
              total_iters=total_iters)


class ExponentialLR(_BaseLRScaled):
    """torch ``ExponentialLR``: ``base_lr * gamma ** k``."""

    _core = core.ExponentialLR
    _hyperparams = ("gamma",)

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        _init(self, optimizer, last_epoch, gamma=gamma)


class PolynomialLR(_BaseLRScaled):
    """torch ``PolynomialLR``: ``base_lr * (1 - min(k, T)/T) ** power``."""

    _core = core.PolynomialLR
    _hyperparams = ("total_iters", "power")

    def __init__(self, optimizer: Optimizer, total_iters: int = 5, power: float = 1.0,
                 last_epoch: int = -1) -> None:
        _init(self, optimizer, last_epoch, total_iters=total_iters, power=power)


class CosineAnnealingLR(_BaseLRScaled):
    """torch ``CosineAnnealingLR`` in closed form (periodic past ``T_max``, like torch)."""

    _core = core.CosineAnnealingLR
    _hyperparams = ("T_max", "eta_min")

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0,  # noqa: N803
                 last_epoch: int = -1) -> None:
        _init(self, optimizer, last_epoch, T_max=T_max, eta_min=eta_min)


class CosineAnnealingWarmRestarts(_BaseLRScaled):
    """torch ``CosineAnnealingWarmRestarts`` plus per-restart ``decay`` and a global warmup.

    With ``decay=1.0, warmup_steps=0`` it equals torch's class; ``T_mult`` may be a float.
    Unlike torch, ``step(epoch)`` takes integer update indices only.
    """

    _core = core.CosineAnnealingWarmRestarts
    _hyperparams = ("T_0", "T_mult", "eta_min", "decay", "warmup_steps")

    def __init__(self, optimizer: Optimizer, T_0: int, T_mult: float = 1,  # noqa: N803
                 eta_min: float = 0.0, last_epoch: int = -1, decay: float = 1.0,
                 warmup_steps: int = 0) -> None:
        _init(self, optimizer, last_epoch, T_0=T_0, T_mult=T_mult, eta_min=eta_min, decay=decay,
              warmup_steps=warmup_steps)


def _check_momentum_optimizer(optimizer: Optimizer, cls: str) -> None:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer, got "
                        f"{type(optimizer).__name__}")
    if not has_momentum(optimizer):
        raise ValueError(f"{cls}: optimizer {type(optimizer).__name__} has neither 'momentum' "
                         "nor 'betas'; pass cycle_momentum=False to schedule the LR only")


class OneCycleLR(CoreLRScheduler):
    """torch ``OneCycleLR`` (same signature); holds the final value after ``total_steps``.

    torch raises ``ValueError`` past ``total_steps``; this class holds the final LR and
    momentum instead (documented in ``docs/math.md``).
    """

    _hyperparams = ("max_lrs", "total_steps", "pct_start", "anneal_strategy", "cycle_momentum",
                    "base_momentums", "max_momentums", "div_factor", "final_div_factor",
                    "three_phase")

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
        self._build()  # validate before touching the optimizer
        if last_epoch == -1:
            for group, m in zip(optimizer.param_groups, self.max_lrs, strict=True):
                group["initial_lr"] = m / float(div_factor)
                group["max_lr"] = m
                group["min_lr"] = group["initial_lr"] / float(final_div_factor)
        super().__init__(optimizer, last_epoch)

    def _build(self):
        lrs = [core.OneCycleLR(m, self.total_steps, self.pct_start, self.anneal_strategy,
                               self.div_factor, self.final_div_factor, self.three_phase)
               for m in self.max_lrs]
        if not self.cycle_momentum:
            return lrs, None
        moms = [core.OneCycleMomentum(self.total_steps, b, m, self.pct_start,
                                      self.anneal_strategy, self.three_phase)
                for b, m in zip(self.base_momentums, self.max_momentums, strict=True)]
        return lrs, moms


class CyclicLR(CoreLRScheduler):
    """torch ``CyclicLR`` (same signature), momentum/``betas[0]`` written with ``fill_``.

    ``scale_fn`` receives a float (cycle number or update index, as ``scale_mode`` says);
    it is not saved by ``state_dict`` (re-pass it when rebuilding).
    """

    _hyperparams = ("base_lrs_arg", "max_lrs", "step_size_up", "step_size_down", "mode",
                    "gamma", "scale_mode", "cycle_momentum", "base_momentums", "max_momentums")

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
        self.base_lrs_arg = per_group(optimizer, "base_lr", base_lr, None)
        self.max_lrs = per_group(optimizer, "max_lr", max_lr, None)
        self.step_size_up = step_size_up
        self.step_size_down = step_size_down
        self.mode = mode
        self.gamma = gamma
        self.scale_fn = scale_fn
        self.scale_mode = scale_mode
        self.base_momentums = per_group(optimizer, "base_momentum", base_momentum, None)
        self.max_momentums = per_group(optimizer, "max_momentum", max_momentum, None)
        self._build()
        if last_epoch == -1:
            for group, b in zip(optimizer.param_groups, self.base_lrs_arg, strict=True):
                _update_param_group_val(group, "lr", b)  # fill_ a tensor LR in place
        super().__init__(optimizer, last_epoch)
        self.base_lrs = list(self.base_lrs_arg)

    def _cycle_kwargs(self):
        return dict(step_size_up=self.step_size_up, step_size_down=self.step_size_down,
                    mode=self.mode, gamma=self.gamma, scale_fn=self.scale_fn,
                    scale_mode=self.scale_mode)

    def _build(self):
        kw = self._cycle_kwargs()
        lrs = [core.CyclicLR(b, m, **kw)
               for b, m in zip(self.base_lrs_arg, self.max_lrs, strict=True)]
        if not self.cycle_momentum:
            return lrs, None
        moms = [core.CyclicMomentum(b, m, **kw)
                for b, m in zip(self.base_momentums, self.max_momentums, strict=True)]
        return lrs, moms


def _callables(optimizer: Optimizer, name: str, fn: Any) -> list[Callable[[int], float]]:
    n = len(optimizer.param_groups)
    fns = list(fn) if isinstance(fn, (list, tuple)) else [fn] * n
    if len(fns) != n:
        raise ValueError(f"{name} must be a callable or a list of {n} callables (one per "
                         f"param group), got {len(fns)}")
    for f in fns:
        if not callable(f):
            raise TypeError(f"{name} must be callable, got {f!r}")
    return fns


class LambdaLR(CoreLRScheduler):
    """torch ``LambdaLR``: ``base_lr * lr_lambda(k)``; one callable or one per group.

    The callables are not part of ``state_dict`` (pass them again when rebuilding).
    """

    def __init__(self, optimizer: Optimizer, lr_lambda: Callable[[int], float] | list,
                 last_epoch: int = -1) -> None:
        self.lr_lambdas = _callables(optimizer, "lr_lambda", lr_lambda)
        super().__init__(optimizer, last_epoch)

    def _build(self):
        return [core.LambdaLR(float(b), f) for b, f in zip(self.base_lrs, self.lr_lambdas)], None


class SequentialLR(CoreLRScheduler):
    """torch ``SequentialLR`` over torch_compat schedulers, evaluated in closed form.

    Scheduler ``i`` is active from ``milestones[i-1]`` with its count rebased to 0;
    its momentum schedule (if any) is followed too.
    """

    def __init__(self, optimizer: Optimizer, schedulers: Sequence[CoreLRScheduler],
                 milestones: Sequence[int], last_epoch: int = -1) -> None:
        scheds = list(schedulers)
        if not scheds:
            raise ValueError("schedulers must be a non-empty list of torch_compat schedulers")
        for i, s in enumerate(scheds):
            if not isinstance(s, CoreLRScheduler):
                raise TypeError(f"schedulers[{i}] must be a torch_compat scheduler (closed "
                                f"form), got {type(s).__name__}")
            if s.optimizer is not optimizer:
                raise ValueError(f"schedulers[{i}] is attached to a different optimizer")
        self.milestones = list(v.check_milestones("milestones", milestones, strict=True))
        if len(self.milestones) != len(scheds) - 1:
            raise ValueError(f"milestones must have len(schedulers) - 1 = {len(scheds) - 1} "
                             f"entries, got {len(self.milestones)}")
        self._schedulers = scheds
        super().__init__(optimizer, last_epoch)

    def _build(self):
        return [], None

    def _active(self, step: int) -> tuple[CoreLRScheduler, int]:
        idx = int(np.searchsorted(self.milestones, step, side="right"))
        start = 0 if idx == 0 else self.milestones[idx - 1]
        return self._schedulers[idx], step - start

    def lr_at(self, step: int) -> list[float]:
        """LR of every group for update ``step``, from the active child."""
        child, local = self._active(step)
        return child.lr_at(local)

    def momentum_at(self, step: int) -> list[float] | None:
        """Momentum of the active child for update ``step`` (None if it has none)."""
        child, local = self._active(step)
        return child.momentum_at(local)

    def state_dict(self) -> dict[str, Any]:
        """As :meth:`CoreLRScheduler.state_dict`, plus the children's states."""
        state = super().state_dict()
        state["milestones"] = list(self.milestones)
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restores this scheduler and its children."""
        for child, sd in zip(self._schedulers, state_dict.get("_schedulers", []), strict=True):
            child.load_state_dict(sd)
        if "milestones" in state_dict:
            self.milestones = list(state_dict["milestones"])
        super().load_state_dict(state_dict)


# ------------------------------------------------------------------ combined library


class _ScaleArg(CoreLRScheduler):
    """Schedules whose LR-scale arguments are ``None`` (group LR), a number, or a list."""

    _core: type[core.Schedule]
    _scales: tuple[str, ...] = ("base_lr",)

    def _setup(self, optimizer, last_epoch, scales: dict[str, Any], **hyper):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"optimizer must be a torch.optim.Optimizer, got "
                            f"{type(optimizer).__name__}")
        groups_lr = [g["lr"] for g in optimizer.param_groups]
        for name, value in scales.items():
            setattr(self, name + "_list", per_group(optimizer, name, value, groups_lr))
        for name, value in hyper.items():
            setattr(self, name, value)
        self._build()
        CoreLRScheduler.__init__(self, optimizer, last_epoch)

    def _build(self):
        n = len(getattr(self, self._scales[0] + "_list"))
        extra = {h: getattr(self, h) for h in self._hyperparams
                 if h not in {s + "_list" for s in self._scales}}
        specs = []
        for g in range(n):
            scales = {s: getattr(self, s + "_list")[g] for s in self._scales}
            specs.append(self._core(**scales, **extra))
        return specs, None


class LinearWarmup(_ScaleArg):
    """``base_lr * min(k + 1, W) / W``; ``base_lr=None`` uses each group's LR."""

    _core = core.LinearWarmup
    _hyperparams = ("base_lr_list", "warmup_steps")

    def __init__(self, optimizer: Optimizer, base_lr: float | list[float] | None,
                 warmup_steps: int, last_epoch: int = -1) -> None:
        self._setup(optimizer, last_epoch, {"base_lr": base_lr}, warmup_steps=warmup_steps)


class ExponentialWarmup(_ScaleArg):
    """``start_lr * (base_lr/start_lr) ** ((k+1)/W)`` for ``k < W``, then ``base_lr``."""

    _core = core.ExponentialWarmup
    _hyperparams = ("base_lr_list", "warmup_steps", "start_lr")

    def __init__(self, optimizer: Optimizer, base_lr: float | list[float] | None,
                 warmup_steps: int, start_lr: float = 1e-7, last_epoch: int = -1) -> None:
        self._setup(optimizer, last_epoch, {"base_lr": base_lr}, warmup_steps=warmup_steps,
                    start_lr=start_lr)


class CosineWarmup(_ScaleArg):
    """Half-cosine ramp to ``base_lr`` over ``warmup_steps`` (never 0)."""

    _core = core.CosineWarmup
    _hyperparams = ("base_lr_list", "warmup_steps")

    def __init__(self, optimizer: Optimizer, base_lr: float | list[float] | None,
                 warmup_steps: int, last_epoch: int = -1) -> None:
        self._setup(optimizer, last_epoch, {"base_lr": base_lr}, warmup_steps=warmup_steps)


class WarmupWithDecay(_ScaleArg):
    """Linear warmup then cosine to ``min_lr`` at ``total_steps``, then hold."""

    _core = core.WarmupWithDecay
    _hyperparams = ("base_lr_list", "warmup_steps", "total_steps", "min_lr")

    def __init__(self, optimizer: Optimizer, base_lr: float | list[float] | None,
                 warmup_steps: int, total_steps: int, min_lr: float = 0.0,
                 last_epoch: int = -1) -> None:
        self._setup(optimizer, last_epoch, {"base_lr": base_lr}, warmup_steps=warmup_steps,
                    total_steps=total_steps, min_lr=min_lr)


class ExponentialCyclicLR(_ScaleArg):
    """Exponential cycles of ``step_size`` updates with peak decay ``gamma`` per cycle."""

    _core = core.ExponentialCyclicLR
    _scales = ("base_lr", "max_lr")
    _hyperparams = ("base_lr_list", "max_lr_list", "step_size", "gamma")

    def __init__(self, optimizer: Optimizer, base_lr: float | list[float] | None,
                 max_lr: float | list[float], step_size: int, gamma: float = 0.96,
                 last_epoch: int = -1) -> None:
        self._setup(optimizer, last_epoch, {"base_lr": base_lr, "max_lr": max_lr},
                    step_size=step_size, gamma=gamma)


# ------------------------------------------------------------------ lr-momentum-scheduler


def _rows(optimizer: Optimizer, name: str, values: Any) -> list[list[float]]:
    arr = np.asarray(values, dtype=np.float64)
    n = len(optimizer.param_groups)
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
    """

    _hyperparams = ("lrs", "momentums")

    def __init__(self, optimizer: Optimizer, lrs: Any, momentums: Any = None,
                 last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"optimizer must be a torch.optim.Optimizer, got "
                            f"{type(optimizer).__name__}")
        self.lrs = _rows(optimizer, "lrs", lrs)
        self.momentums = None if momentums is None else _rows(optimizer, "momentums", momentums)
        if self.momentums is not None and not has_momentum(optimizer):
            raise ValueError(f"momentums given, but {type(optimizer).__name__} has neither "
                             "'momentum' nor 'betas'")
        self._build()
        super().__init__(optimizer, last_epoch)

    def _build(self):
        lrs = [core.ListSchedule(r) for r in self.lrs]
        moms = None if self.momentums is None else [core.ListSchedule(r) for r in self.momentums]
        return lrs, moms


class LambdaScheduler(CoreLRScheduler):
    """``LambdaLR`` that can also schedule momentum: ``base * fn(k)`` for LR and momentum.

    The momentum base is each group's momentum (``betas[0]``) at construction, kept in
    the group as ``initial_momentum``. Without ``momentum_lambda`` momentum is untouched.
    """

    _hyperparams = ("base_momentums",)

    def __init__(self, optimizer: Optimizer, lr_lambda: Callable[[int], float] | list,
                 momentum_lambda: Callable[[int], float] | list | None = None,
                 last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"optimizer must be a torch.optim.Optimizer, got "
                            f"{type(optimizer).__name__}")
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

    def _build(self):
        lrs = [core.LambdaLR(float(b), f) for b, f in zip(self.base_lrs, self.lr_lambdas)]
        if self.momentum_lambdas is None:
            return lrs, None
        moms = [core.LambdaLR(b, f) for b, f in zip(self.base_momentums, self.momentum_lambdas)]
        return lrs, moms


class RangeFinder(CoreLRScheduler):
    """LR range-test sweep from ``start_lr`` to ``end_lr`` over ``num_steps`` (geometric)."""

    _hyperparams = ("num_steps", "start_lr", "end_lr")

    def __init__(self, optimizer: Optimizer, num_steps: int, start_lr: float = 1e-7,
                 end_lr: float = 1.0, last_epoch: int = -1) -> None:
        self.num_steps, self.start_lr, self.end_lr = num_steps, start_lr, end_lr
        self._build()
        super().__init__(optimizer, last_epoch)

    def _build(self):
        spec = core.RangeFinder(self.num_steps, self.start_lr, self.end_lr)
        n = len(self.optimizer.param_groups) if hasattr(self, "optimizer") else 1
        return [spec] * n, None


class OneCyclePolicy(CoreLRScheduler):
    """Smith's linear 1cycle policy with momentum (lr-momentum-scheduler's OneCyclePolicy).

    ``max_lr=None`` uses each group's LR as the peak. ``momentum_range=None`` leaves
    momentum untouched.
    """

    _hyperparams = ("max_lrs", "num_steps", "momentum_range")

    def __init__(self, optimizer: Optimizer, max_lr: float | list[float] | None,
                 num_steps: int, momentum_range: tuple[float, float] | None = (0.85, 0.95),
                 last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"optimizer must be a torch.optim.Optimizer, got "
                            f"{type(optimizer).__name__}")
        self.max_lrs = per_group(optimizer, "max_lr", max_lr,
                                 [g["lr"] for g in optimizer.param_groups])
        self.num_steps = num_steps
        self.momentum_range = None if momentum_range is None else list(momentum_range)
        if self.momentum_range is not None and not has_momentum(optimizer):
            raise ValueError(f"momentum_range given, but {type(optimizer).__name__} has neither "
                             "'momentum' nor 'betas'; pass momentum_range=None")
        self._build()
        super().__init__(optimizer, last_epoch)

    def _build(self):
        lrs = [core.OneCyclePolicyLR(m, self.num_steps) for m in self.max_lrs]
        if self.momentum_range is None:
            return lrs, None
        mom = core.OneCyclePolicyMomentum(self.num_steps, tuple(self.momentum_range))
        return lrs, [mom] * len(lrs)
