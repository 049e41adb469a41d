"""Hugging Face ``transformers`` schedules and warmup-stable-decay as torch LRSchedulers.

Each class takes the arguments of the ``transformers.get_*`` function of the same meaning
(after the optimizer) and gives the same sequence per param group; unlike those functions'
``LambdaLR`` it checks its arguments at construction, keeps plain-data ``state_dict``
entries and has closed forms (``lr_at``). Like them it overwrites the LR from each group's
``initial_lr`` (not chainable). Formulas: :mod:`sched_core._hf`.
"""

from __future__ import annotations

from typing import Any

from torch.optim import Optimizer

from sched_core import _hf as hf
from sched_core import _validate as v
from torch_compat._base import CoreLRScheduler
from torch_compat._base import check_optimizer

__all__ = [
    "ConstantWithWarmup",
    "CosineWithHardRestartsWithWarmup",
    "CosineWithMinLRWithWarmup",
    "CosineWithWarmup",
    "InverseSqrt",
    "LinearWithWarmup",
    "PolynomialDecayWithWarmup",
    "WarmupStableDecay",
]


class ConstantWithWarmup(CoreLRScheduler):
    """``get_constant_schedule_with_warmup``. Formula: :class:`sched_core.ConstantWithWarmup`."""

    _spec_class = hf.ConstantWithWarmup
    _hyperparams = ("num_warmup_steps",)

    def __init__(self, optimizer: Optimizer, num_warmup_steps: int,
                 last_epoch: int = -1) -> None:
        self.num_warmup_steps = num_warmup_steps
        super().__init__(optimizer, last_epoch)


class LinearWithWarmup(CoreLRScheduler):
    """``get_linear_schedule_with_warmup``. Formula: :class:`sched_core.LinearWithWarmup`."""

    _spec_class = hf.LinearWithWarmup
    _hyperparams = ("num_warmup_steps", "num_training_steps")

    def __init__(self, optimizer: Optimizer, num_warmup_steps: int, num_training_steps: int,
                 last_epoch: int = -1) -> None:
        self.num_warmup_steps, self.num_training_steps = num_warmup_steps, num_training_steps
        super().__init__(optimizer, last_epoch)


class CosineWithWarmup(CoreLRScheduler):
    """``get_cosine_schedule_with_warmup``. Formula: :class:`sched_core.CosineWithWarmup`."""

    _spec_class = hf.CosineWithWarmup
    _hyperparams = ("num_warmup_steps", "num_training_steps", "num_cycles")

    def __init__(self, optimizer: Optimizer, num_warmup_steps: int, num_training_steps: int,
                 num_cycles: float = 0.5, last_epoch: int = -1) -> None:
        self.num_warmup_steps, self.num_training_steps = num_warmup_steps, num_training_steps
        self.num_cycles = num_cycles
        super().__init__(optimizer, last_epoch)


class CosineWithMinLRWithWarmup(CoreLRScheduler):
    """``get_cosine_with_min_lr_schedule_with_warmup``.

    ``min_lr`` is divided by the optimizer's default LR, as Hugging Face does, and the
    resulting ``min_lr_rate`` applies to every group. Formula:
    :class:`sched_core.CosineWithMinLRWithWarmup`.
    """

    _spec_class = hf.CosineWithMinLRWithWarmup
    _hyperparams = ("num_warmup_steps", "num_training_steps", "num_cycles", "min_lr_rate")

    def __init__(self, optimizer: Optimizer, num_warmup_steps: int, num_training_steps: int,
                 num_cycles: float = 0.5, last_epoch: int = -1, min_lr: float | None = None,
                 min_lr_rate: float | None = None) -> None:
        if (min_lr is None) == (min_lr_rate is None):
            raise ValueError("exactly one of min_lr or min_lr_rate must be set, got "
                             f"min_lr={min_lr!r}, min_lr_rate={min_lr_rate!r}")
        if min_lr is not None:
            default = v.check_float("optimizer.defaults['lr']",
                                    check_optimizer(optimizer).defaults["lr"], lo=0.0,
                                    lo_open=True)
            min_lr_rate = v.check_float("min_lr", min_lr, lo=0.0, hi=default) / default
        self.num_warmup_steps, self.num_training_steps = num_warmup_steps, num_training_steps
        self.num_cycles, self.min_lr_rate = num_cycles, min_lr_rate
        super().__init__(optimizer, last_epoch)


class CosineWithHardRestartsWithWarmup(CoreLRScheduler):
    """``get_cosine_with_hard_restarts_schedule_with_warmup``.

    Formula: :class:`sched_core.CosineWithHardRestartsWithWarmup`.
    """

    _spec_class = hf.CosineWithHardRestartsWithWarmup
    _hyperparams = ("num_warmup_steps", "num_training_steps", "num_cycles")

    def __init__(self, optimizer: Optimizer, num_warmup_steps: int, num_training_steps: int,
                 num_cycles: float = 1, last_epoch: int = -1) -> None:
        self.num_warmup_steps, self.num_training_steps = num_warmup_steps, num_training_steps
        self.num_cycles = num_cycles
        super().__init__(optimizer, last_epoch)


class PolynomialDecayWithWarmup(CoreLRScheduler):
    """``get_polynomial_decay_schedule_with_warmup``.

    Hugging Face computes the factor with the optimizer's default LR ``L`` and multiplies
    each group's initial LR ``b`` by it: group ``b`` decays to ``lr_end * b / L``. Formula:
    :class:`sched_core.PolynomialDecayWithWarmup`.
    """

    _hyperparams = ("num_warmup_steps", "num_training_steps", "lr_end", "power",
                    "default_lr")

    def __init__(self, optimizer: Optimizer, num_warmup_steps: int, num_training_steps: int,
                 lr_end: float = 1e-7, power: float = 1.0, last_epoch: int = -1) -> None:
        self.default_lr = v.check_float("optimizer.defaults['lr']",
                                        check_optimizer(optimizer).defaults["lr"], lo=0.0,
                                        lo_open=True)
        if not lr_end < self.default_lr:
            raise ValueError(f"lr_end must be < the optimizer's lr={self.default_lr}, "
                             f"got {lr_end!r}")
        self.num_warmup_steps, self.num_training_steps = num_warmup_steps, num_training_steps
        self.lr_end, self.power = lr_end, power
        super().__init__(optimizer, last_epoch)

    def _specs(self, bases: list[float]) -> tuple[list[Any], None]:
        return [hf.PolynomialDecayWithWarmup(
            init_value=b, num_warmup_steps=self.num_warmup_steps,
            num_training_steps=self.num_training_steps, lr_end=self.lr_end * b / self.default_lr,
            power=self.power) for b in bases], None


class InverseSqrt(CoreLRScheduler):
    """``get_inverse_sqrt_schedule``. Formula: :class:`sched_core.InverseSqrt`."""

    _spec_class = hf.InverseSqrt
    _hyperparams = ("num_warmup_steps", "timescale")

    def __init__(self, optimizer: Optimizer, num_warmup_steps: int,
                 timescale: int | None = None, last_epoch: int = -1) -> None:
        self.num_warmup_steps, self.timescale = num_warmup_steps, timescale
        super().__init__(optimizer, last_epoch)


class WarmupStableDecay(CoreLRScheduler):
    """``get_wsd_schedule`` (MiniCPM's warmup-stable-decay; 1-sqrt cooldown).

    Stage lengths may also be fractions in (0, 1) of ``num_training_steps``. Formula:
    :class:`sched_core.WarmupStableDecay`.
    """

    _spec_class = hf.WarmupStableDecay
    _hyperparams = ("num_warmup_steps", "num_decay_steps", "num_training_steps",
                    "num_stable_steps", "warmup_type", "decay_type", "min_lr_ratio",
                    "num_cycles")

    def __init__(self, optimizer: Optimizer, num_warmup_steps: Any, num_decay_steps: Any,
                 num_training_steps: int | None = None, num_stable_steps: Any = None,
                 warmup_type: str = "linear", decay_type: str = "cosine",
                 min_lr_ratio: float = 0.0, num_cycles: float = 0.5,
                 last_epoch: int = -1) -> None:
        self.num_warmup_steps, self.num_decay_steps = num_warmup_steps, num_decay_steps
        self.num_training_steps, self.num_stable_steps = num_training_steps, num_stable_steps
        self.warmup_type, self.decay_type = warmup_type, decay_type
        self.min_lr_ratio, self.num_cycles = min_lr_ratio, num_cycles
        super().__init__(optimizer, last_epoch)
