"""Building torch_compat schedulers by name, with the optax_sched factories' arguments."""

from __future__ import annotations

from typing import Any

from torch.optim import Optimizer
from torch.optim.lr_scheduler import _update_param_group_val

from sched_core import catalog
from sched_core.cases import FAMILIES
from torch_compat._base import has_momentum

__all__ = ["from_name"]


def from_name(name: str, optimizer: Optimizer, **kwargs: Any):
    """Builds the torch_compat scheduler of catalog schedule ``name``.

    ``kwargs`` are the ``optax_sched`` factory's arguments (``init_value`` becomes every
    param group's ``lr`` for torch-signature classes), so one set of arguments gives the
    same sequence in both frameworks. Momentum is scheduled when the class does it and the
    optimizer has ``momentum``/``betas``. ``gracos`` accepts ``out_of_phase=True``
    (``GraCosOOP``).

    Raises:
      KeyError: unknown name (the message lists the valid ones).
    """
    import torch_compat

    if name not in catalog.CATALOG:
        raise KeyError(f"unknown schedule {name!r}; valid: {', '.join(sorted(catalog.CATALOG))}")
    kw = dict(kwargs)
    if name == "gracos":
        cls = torch_compat.GraCosOOP if kw.pop("out_of_phase", False) else torch_compat.GraCos
        kw.pop("inner", None)
        return cls(optimizer, **kw)
    fam = FAMILIES[name]
    if name == "lambda_lr":
        kw.setdefault("fn", catalog.demo_lambda)
    if name == "multiplicative_lr":
        kw.setdefault("fn", catalog.demo_factor)
    for src, dst in fam.rename:
        if src in kw:
            kw[dst] = kw.pop(src)
    if fam.scale_mode == "group":
        lr = kw.pop(fam.scale_args[0])
        for group in optimizer.param_groups:
            _update_param_group_val(group, "lr", lr)  # fill_ a tensor LR in place
            group.pop("initial_lr", None)
    if fam.momentum is not None:
        kw.setdefault("cycle_momentum", has_momentum(optimizer))
    cls = getattr(torch_compat, fam.torch_class)
    return cls(optimizer, **kw)
