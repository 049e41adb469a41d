"""Runs a registered case in every implementation and returns full sequences.

Each runner returns ``(lr, momentum)``: ``lr`` has shape ``(groups, steps)``,
``momentum`` likewise or None. Row ``g`` is the param group with LR scale
``case.group_factors[g]``; column ``k`` is the value used by update ``k``.
"""

from __future__ import annotations

import warnings

import numpy as np

import sched_core as core
from sched_core.cases import FAMILIES, LAMBDAS, Case, group_kwargs, torch_kwargs
from parity_tests import oracles

# optax factory name -> sched_core class (LR), for the exact torch_compat comparison.
CORE_LR = {
    "step_lr": core.StepLR, "multistep_lr": core.MultiStepLR,
    "exponential_lr": core.ExponentialLR, "constant_lr": core.ConstantLR,
    "linear_lr": core.LinearLR, "polynomial_lr": core.PolynomialLR,
    "cosine_annealing_lr": core.CosineAnnealingLR,
    "cosine_annealing_warm_restarts": core.CosineAnnealingWarmRestarts,
    "one_cycle_lr": core.OneCycleLR, "cyclic_lr": core.CyclicLR, "lambda_lr": core.LambdaLR,
    "linear_warmup": core.LinearWarmup, "exponential_warmup": core.ExponentialWarmup,
    "cosine_warmup": core.CosineWarmup, "warmup_with_decay": core.WarmupWithDecay,
    "exponential_cyclic_lr": core.ExponentialCyclicLR, "list_schedule": core.ListSchedule,
    "range_finder": core.RangeFinder, "one_cycle_policy": core.OneCyclePolicyLR,
}
CORE_MOMENTUM = {"one_cycle_lr": core.OneCycleMomentum, "cyclic_lr": core.CyclicMomentum}


def has_momentum(case: Case) -> bool:
    """True if the case schedules momentum."""
    return case.momentum is not None or case.schedule == "one_cycle_policy"


def builtin_available(case: Case) -> bool:
    """True if torch has a built-in class with exactly this case's meaning."""
    fam = FAMILIES[case.schedule]
    if not fam.builtin:
        return False
    if case.schedule == "cosine_annealing_warm_restarts":
        kw = case.kwargs
        return (kw.get("decay", 1.0) == 1.0 and kw.get("warmup_steps", 0) == 0
                and float(kw.get("T_mult", 1)).is_integer())
    return True


def _optax_kwargs(case: Case, factor: float):
    kw = group_kwargs(case, factor)
    if case.lambda_name is not None:
        kw["fn"] = LAMBDAS[case.lambda_name]
    return kw


def run_optax(case: Case, x64: bool = False, steps: int | None = None):
    """Evaluates the optax_sched schedules under ``jax.jit(jax.vmap(...))``."""
    import jax
    import jax.numpy as jnp

    import optax_sched

    n = case.steps if steps is None else steps
    fam = FAMILIES[case.schedule]
    lrs, moms = [], []
    with jax.enable_x64(x64):
        k = jnp.arange(n, dtype=jnp.int32)
        for factor in case.group_factors:
            kw = _optax_kwargs(case, factor)
            if case.schedule == "one_cycle_policy":
                lr_s, mom_s = optax_sched.one_cycle_policy(**kw)
            else:
                lr_s = getattr(optax_sched, case.schedule)(**kw)
                mom_s = (getattr(optax_sched, fam.momentum)(**case.momentum)
                         if case.momentum is not None else None)
            lrs.append(np.asarray(jax.jit(jax.vmap(lr_s))(k), dtype=np.float64))
            if mom_s is not None:
                moms.append(np.asarray(jax.jit(jax.vmap(mom_s))(k), dtype=np.float64))
    return np.stack(lrs), (np.stack(moms) if moms else None)


def run_core(case: Case, steps: int | None = None):
    """Evaluates ``sched_core`` with numpy float64, one scalar step at a time."""
    n = case.steps if steps is None else steps
    lrs, moms = [], []
    for factor in case.group_factors:
        kw = _optax_kwargs(case, factor)
        if case.schedule == "one_cycle_policy":
            lr_spec = core.OneCyclePolicyLR(kw["max_lr"], kw["num_steps"])
            mom_spec = core.OneCyclePolicyMomentum(kw["num_steps"],
                                                   kw.get("momentum_range", (0.85, 0.95)))
        else:
            lr_spec = CORE_LR[case.schedule](**kw)
            mom_spec = (CORE_MOMENTUM[case.schedule](**case.momentum)
                        if case.momentum is not None else None)
        lrs.append([float(lr_spec(np, np.int64(k), np.float64)) for k in range(n)])
        if mom_spec is not None:
            moms.append([float(mom_spec(np, np.int64(k), np.float64)) for k in range(n)])
    return np.asarray(lrs), (np.asarray(moms) if moms else None)


def run_oracle(case: Case, steps: int | None = None):
    """Evaluates the independent ``math`` oracles."""
    n = case.steps if steps is None else steps
    lrs = np.asarray([[oracles.lr(case, f, k) for k in range(n)] for f in case.group_factors])
    if not has_momentum(case):
        return lrs, None
    row = [oracles.momentum(case, k) for k in range(n)]
    return lrs, np.asarray([row] * len(case.group_factors))


def make_torch_scheduler(case: Case, builtin: bool = False, optimizer: str = "sgd"):
    """Builds ``(optimizer, scheduler)`` for the case with one tensor per param group."""
    import torch

    import torch_compat

    fam = FAMILIES[case.schedule]
    group_lrs, kw = torch_kwargs(case)
    if case.lambda_name is not None:
        kw["lr_lambda"] = LAMBDAS[case.lambda_name]
    if fam.momentum is not None and case.momentum is None:
        kw["cycle_momentum"] = False
    params = [torch.nn.Parameter(torch.zeros(2)) for _ in group_lrs]
    groups = [{"params": [p], "lr": lr} for p, lr in zip(params, group_lrs)]
    if optimizer == "sgd":
        opt = torch.optim.SGD(groups, lr=0.1, momentum=0.9)
    elif optimizer == "adam":
        opt = torch.optim.Adam(groups, lr=0.1)
    else:
        raise ValueError(f"optimizer must be 'sgd' or 'adam', got {optimizer!r}")
    module = torch.optim.lr_scheduler if builtin else torch_compat
    sched = getattr(module, fam.torch_class)(opt, **kw)
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
