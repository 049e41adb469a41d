"""timm's own schedulers, run as timm's training loop (the reference the CLI draws and the
parity suite compares against).

timm's package ``__init__`` imports torchvision, which need not load beside the CPU torch
wheel; ``timm/scheduler/*.py`` need only torch, so they are imported by path as a stand-in
package ``timm_sched``. timm itself is installed without dependencies (``pip install
--no-deps timm``).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import types
from typing import Any

import numpy as np

__all__ = ["load_timm", "timm_lrs", "timm_lrs_for"]


def load_timm() -> tuple[Any, Any]:
    """``(CosineLRScheduler, TanhLRScheduler)`` from the installed timm.

    Raises:
      ImportError: timm is not installed (saying how to install it).
    """
    spec = importlib.util.find_spec("timm")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("timm's schedulers need timm: pip install --no-deps timm")
    folder = os.path.join(list(spec.submodule_search_locations)[0], "scheduler")
    if "timm_sched" not in sys.modules:
        pkg = types.ModuleType("timm_sched")
        pkg.__path__ = [folder]
        sys.modules["timm_sched"] = pkg
    cosine = importlib.import_module("timm_sched.cosine_lr")
    tanh = importlib.import_module("timm_sched.tanh_lr")
    return cosine.CosineLRScheduler, tanh.TanhLRScheduler


def timm_lrs(family: str, base_lrs: Any, kw: dict[str, Any], updates_per_epoch: int,
             noise_type: str | None, n: int) -> np.ndarray:
    """timm's training loop (``train.py``): construct, then ``step_update(num_updates=j)``
    after update ``j`` and ``step(epoch=e + 1)`` after epoch ``e``. Row ``g``, column ``k``:
    the LR group ``g`` holds when update ``k`` runs."""
    import torch

    cosine, tanh = load_timm()
    opt = torch.optim.SGD([{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": b}
                           for b in base_lrs])
    sched = (cosine if family == "cosine" else tanh)(opt, **kw)
    if noise_type is not None:
        sched.noise_type = noise_type  # not a constructor argument of timm's subclasses
    out = []
    for k in range(n):
        out.append([g["lr"] for g in opt.param_groups])
        sched.step_update(num_updates=k + 1)
        if (k + 1) % updates_per_epoch == 0:
            sched.step(epoch=(k + 1) // updates_per_epoch)
    return np.asarray(out, dtype=np.float64).T


def timm_lrs_for(family: str, factory_kwargs: dict[str, Any], n: int) -> np.ndarray:
    """timm's LRs for the arguments of ``optax_sched.timm_cosine`` / ``timm_tanh``: their
    ``base_lr`` is the group's LR, ``updates_per_epoch`` drives the loop, ``noise_type`` is
    set on the scheduler and ``noise_horizon`` (a bound of this library's finite noise table)
    has no timm counterpart."""
    kw = dict(factory_kwargs)
    base = kw.pop("base_lr")
    upe = int(kw.pop("updates_per_epoch", 1))
    noise_type = kw.pop("noise_type", None)
    kw.pop("noise_horizon", None)
    return timm_lrs(family, [base], kw, upe, noise_type, n)[0]
