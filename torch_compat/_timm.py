"""torch ``LRScheduler`` faces of timm's ``CosineLRScheduler`` and ``TanhLRScheduler``.

These are ordinary torch schedulers: call ``step()`` once per optimizer update;
``get_last_lr()`` after ``k`` calls is the LR timm's training loop gives update ``k``
(construction, then ``step_update(num_updates=j)`` after update ``j - 1`` and
``step(epoch=e)`` after epoch ``e - 1``; see :mod:`sched_core._timm`). With
``t_in_epochs=True`` (timm's default) timm's per-epoch value is held for
``updates_per_epoch`` calls. timm's own ``step(epoch)`` / ``step_update(num_updates)`` API is
not offered. The base LRs are the param groups' (``initial_lr`` where set, else ``lr``), as in
timm; timm's per-group ``lr_scale`` key is not read. Like timm's, they overwrite the LR from
their bases (not chainable).
"""

from __future__ import annotations

from typing import Any

from torch.optim import Optimizer

from sched_core._timm import TimmCosine
from sched_core._timm import TimmTanh
from torch_compat._base import CoreLRScheduler

__all__ = ["TimmCosineLR", "TimmTanhLR"]

_SHARED = ("t_initial", "lr_min", "cycle_mul", "cycle_decay", "cycle_limit", "warmup_t",
           "warmup_lr_init", "warmup_prefix", "t_in_epochs", "noise_range_t", "noise_pct",
           "noise_std", "noise_seed", "noise_type", "updates_per_epoch", "noise_horizon")


class TimmCosineLR(CoreLRScheduler):
    """timm ``CosineLRScheduler`` as a torch scheduler stepped once per update.

    timm's constructor arguments (same names and order, ``initialize`` left out), then
    keyword-only ``noise_type``, ``updates_per_epoch``, ``noise_horizon`` and ``last_epoch``;
    meanings as in :func:`optax_sched._timm.timm_cosine`.

    Formula: :class:`sched_core._timm.TimmCosine`.

    Example:
      >>> import torch
      >>> import torch_compat
      >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
      >>> sched = torch_compat.TimmCosineLR(opt, t_initial=2, t_in_epochs=True, updates_per_epoch=2)
      >>> lrs = []
      >>> for _ in range(6):
      ...     lrs.append(round(sched.get_last_lr()[0], 4))
      ...     opt.step()
      ...     sched.step()
      >>> lrs
      [1.0, 1.0, 0.5, 0.5, 0.0, 0.0]
    """

    _spec_class = TimmCosine
    _spec_base = "base_lr"
    _hyperparams = (*_SHARED, "k_decay")

    def __init__(self, optimizer: Optimizer, t_initial: int, lr_min: float = 0.0,
                 cycle_mul: float = 1.0, cycle_decay: float = 1.0, cycle_limit: int = 1,
                 warmup_t: int = 0, warmup_lr_init: float = 0.0, warmup_prefix: bool = False,
                 t_in_epochs: bool = True, noise_range_t: Any = None, noise_pct: float = 0.67,
                 noise_std: float = 1.0, noise_seed: int = 42, k_decay: float = 1.0, *,
                 noise_type: str = "normal", updates_per_epoch: int = 1,
                 noise_horizon: int | None = None, last_epoch: int = -1) -> None:
        self.t_initial, self.lr_min, self.cycle_mul = t_initial, lr_min, cycle_mul
        self.cycle_decay, self.cycle_limit = cycle_decay, cycle_limit
        self.warmup_t, self.warmup_lr_init = warmup_t, warmup_lr_init
        self.warmup_prefix, self.t_in_epochs = warmup_prefix, t_in_epochs
        self.noise_range_t, self.noise_pct = noise_range_t, noise_pct
        self.noise_std, self.noise_seed, self.k_decay = noise_std, noise_seed, k_decay
        self.noise_type, self.updates_per_epoch = noise_type, updates_per_epoch
        self.noise_horizon = noise_horizon
        super().__init__(optimizer, last_epoch)


class TimmTanhLR(CoreLRScheduler):
    """timm ``TanhLRScheduler`` as a torch scheduler stepped once per update.

    timm's constructor arguments (same names and order, ``initialize`` left out), then
    keyword-only ``noise_type``, ``updates_per_epoch``, ``noise_horizon`` and ``last_epoch``;
    meanings as in :func:`optax_sched._timm.timm_tanh`.

    Formula: :class:`sched_core._timm.TimmTanh`.
    """

    _spec_class = TimmTanh
    _spec_base = "base_lr"
    _hyperparams = ("lb", "ub", *_SHARED)

    def __init__(self, optimizer: Optimizer, t_initial: int, lb: float = -7.0, ub: float = 3.0,
                 lr_min: float = 0.0, cycle_mul: float = 1.0, cycle_decay: float = 1.0,
                 cycle_limit: int = 1, warmup_t: int = 0, warmup_lr_init: float = 0.0,
                 warmup_prefix: bool = False, t_in_epochs: bool = True,
                 noise_range_t: Any = None, noise_pct: float = 0.67, noise_std: float = 1.0,
                 noise_seed: int = 42, *, noise_type: str = "normal",
                 updates_per_epoch: int = 1, noise_horizon: int | None = None,
                 last_epoch: int = -1) -> None:
        self.t_initial, self.lb, self.ub, self.lr_min = t_initial, lb, ub, lr_min
        self.cycle_mul, self.cycle_decay, self.cycle_limit = cycle_mul, cycle_decay, cycle_limit
        self.warmup_t, self.warmup_lr_init = warmup_t, warmup_lr_init
        self.warmup_prefix, self.t_in_epochs = warmup_prefix, t_in_epochs
        self.noise_range_t, self.noise_pct = noise_range_t, noise_pct
        self.noise_std, self.noise_seed = noise_std, noise_seed
        self.noise_type, self.updates_per_epoch = noise_type, updates_per_epoch
        self.noise_horizon = noise_horizon
        super().__init__(optimizer, last_epoch)
