"""Runners of the parity registry in both frameworks (used by parity_tests and the CLI).

torch is imported lazily inside the functions: ``import optax_sched`` never needs it.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from sched_tools._records import LAMBDAS
from sched_tools._records import RECORDS
from sched_tools._records import Case
from sched_tools._records import group_kwargs
from sched_tools._records import torch_kwargs

__all__ = ["has_momentum", "builtin_available", "optax_kwargs", "run_optax", "run_optax_many",
           "make_torch_scheduler", "run_torch"]


def optax_kwargs(case: Case, factor: float):
    """The optax factory kwargs of the param group with LR scale ``factor``."""
    kw = group_kwargs(case, factor)
    if case.lambda_name is not None:
        kw["fn"] = LAMBDAS[case.lambda_name]
    return kw


def has_momentum(case: Case) -> bool:
    """True if the case schedules momentum."""
    return case.momentum is not None or case.schedule == "one_cycle_policy"


def builtin_available(case: Case) -> bool:
    """True if torch (or Hugging Face) has a built-in scheduler with this case's meaning."""
    if RECORDS[case.schedule].hf is not None:
        return True
    if not RECORDS[case.schedule].builtin:
        return False
    if case.schedule == "cosine_annealing_warm_restarts":
        kw = case.kwargs
        return (kw.get("decay", 1.0) == 1.0 and kw.get("warmup_steps", 0) == 0
                and float(kw.get("T_mult", 1)).is_integer())
    return True


def _optax_schedules(case: Case) -> tuple[list[Any], list[Any]]:
    """The case's optax_sched schedules: one LR schedule per param group, and its momentum
    schedules (one per group, or none)."""
    import optax_sched
    from optax_sched._by_name import MOMENTUM_COMPANIONS

    lr_fns: list[Any] = []
    mom_fns: list[Any] = []
    for factor in case.group_factors:
        kw = optax_kwargs(case, factor)
        if case.schedule == "one_cycle_policy":
            lr_s, mom_s = optax_sched.one_cycle_policy(**kw)
        else:
            lr_s = getattr(optax_sched, case.schedule)(**kw)
            mom_s = None
            if case.momentum is not None:
                factory = MOMENTUM_COMPANIONS[case.schedule][0]
                mom_s = getattr(optax_sched, factory)(**case.momentum)
        lr_fns.append(lr_s)
        if mom_s is not None:
            mom_fns.append(mom_s)
    return lr_fns, mom_fns


def run_optax_many(cases: list[Case], x64: bool = False, steps: int | None = None):
    """Evaluates the optax_sched schedules of many cases under one ``jax.jit(jax.vmap(...))``.

    Every case's schedules (each param group's LR, and its momentum) are traced into one XLA
    program over ``arange(max steps)``: one compilation for the lot (compiling costs far more
    than evaluating on CPU), each schedule still jitted and vmapped as a user runs it. Returns
    one ``(lr, momentum)`` per case, as :func:`run_optax`.
    """
    import jax
    import jax.numpy as jnp

    lengths = [case.steps if steps is None else steps for case in cases]
    with jax.enable_x64(x64):
        fns = [_optax_schedules(case) for case in cases]

        def every_case(k):
            return [([f(k) for f in lr_fns], [f(k) for f in mom_fns])
                    for lr_fns, mom_fns in fns]

        out = jax.jit(jax.vmap(every_case))(jnp.arange(max(lengths), dtype=jnp.int32))
        results = []
        for (lrs, moms), n in zip(out, lengths):
            lr = np.stack([np.asarray(x, dtype=np.float64)[:n] for x in lrs])
            mom = (np.stack([np.asarray(x, dtype=np.float64)[:n] for x in moms])
                   if moms else None)
            results.append((lr, mom))
    return results


def run_optax(case: Case, x64: bool = False, steps: int | None = None):
    """Evaluates one case's optax_sched schedules under ``jax.jit(jax.vmap(...))``: every
    param group (and momentum) in one compilation."""
    return run_optax_many([case], x64=x64, steps=steps)[0]


def make_torch_scheduler(case: Case, builtin: bool = False, optimizer: str = "sgd"):
    """Builds ``(optimizer, scheduler)`` for the case with one tensor per param group."""
    import torch

    import torch_compat
    from torch_compat._by_name import FACES

    face = FACES[case.schedule]
    group_lrs, kw = torch_kwargs(case)
    if case.lambda_name is not None:
        kw["lr_lambda"] = LAMBDAS[case.lambda_name]
    if face.momentum and case.momentum is None:
        kw["cycle_momentum"] = False
    params = [torch.nn.Parameter(torch.zeros(2)) for _ in group_lrs]
    groups = [{"params": [p], "lr": lr} for p, lr in zip(params, group_lrs)]
    opt: torch.optim.Optimizer
    if optimizer == "sgd":
        # the default LR is group 0's (Hugging Face's polynomial and min_lr read it)
        opt = torch.optim.SGD(groups, lr=group_lrs[0], momentum=0.9)
    elif optimizer == "adam":
        opt = torch.optim.Adam(groups, lr=group_lrs[0])
    else:
        raise ValueError(f"optimizer must be 'sgd' or 'adam', got {optimizer!r}")
    hf = RECORDS[case.schedule].hf
    if builtin and hf is not None:
        from transformers import optimization

        return opt, getattr(optimization, hf)(opt, **kw)
    if builtin:
        module = torch.optim.swa_utils if face.torch_class == "SWALR" else torch.optim.lr_scheduler
    else:
        module = torch_compat
    sched = getattr(module, face.torch_class)(opt, **kw)
    return opt, sched


def run_torch(case: Case, builtin: bool = False, steps: int | None = None,
              optimizer: str = "sgd"):
    """Steps a torch scheduler (torch_compat or torch's built-in) and records values."""
    from torch_compat import read_momentum

    n = case.steps if steps is None else steps
    if builtin and case.builtin_steps is not None:
        n = min(n, case.builtin_steps)
    opt, sched = make_torch_scheduler(case, builtin=builtin, optimizer=optimizer)
    lrs, moms = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for k in range(n):
            if k:
                opt.step()
                sched.step()
            lrs.append([float(x) for x in sched.get_last_lr()])
            moms.append([read_momentum(g) for g in opt.param_groups])
    lr = np.asarray(lrs).T
    return lr, (np.asarray(moms).T if has_momentum(case) else None)
