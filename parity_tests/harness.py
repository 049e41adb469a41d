"""Runs a registered case in every implementation and returns full sequences.

Each runner returns ``(lr, momentum)``: ``lr`` has shape ``(groups, steps)``,
``momentum`` likewise or None. Row ``g`` is the param group with LR scale
``case.group_factors[g]``; column ``k`` is the value used by update ``k``.
"""

from __future__ import annotations

import numpy as np

import sched_core as core
from sched_tools._parity import (builtin_available, has_momentum, make_torch_scheduler,
                                 optax_kwargs, run_optax, run_torch)
from sched_core.cases import Case
from parity_tests import oracles

__all__ = ["builtin_available", "has_momentum", "make_torch_scheduler", "run_optax",
           "run_torch", "run_core", "run_oracle", "CORE_LR", "CORE_MOMENTUM"]

# optax factory name -> sched_core class (LR), for the exact torch_compat comparison.
CORE_LR = {
    "step_lr": core.StepLR, "multistep_lr": core.MultiStepLR,
    "exponential_lr": core.ExponentialLR, "constant_lr": core.ConstantLR,
    "linear_lr": core.LinearLR, "polynomial_lr": core.PolynomialLR,
    "cosine_annealing_lr": core.CosineAnnealingLR,
    "cosine_annealing_warm_restarts": core.CosineAnnealingWarmRestarts,
    "one_cycle_lr": core.OneCycleLR, "cyclic_lr": core.CyclicLR, "lambda_lr": core.LambdaLR,
    "multiplicative_lr": core.MultiplicativeLR, "swalr": core.SWALR,
    "linear_warmup": core.LinearWarmup, "exponential_warmup": core.ExponentialWarmup,
    "cosine_warmup": core.CosineWarmup, "warmup_with_decay": core.WarmupWithDecay,
    "exponential_cyclic_lr": core.ExponentialCyclicLR, "list_schedule": core.ListSchedule,
    "range_finder": core.RangeFinder, "one_cycle_policy": core.OneCyclePolicyLR,
}
CORE_MOMENTUM = {"one_cycle_lr": core.OneCycleMomentum, "cyclic_lr": core.CyclicMomentum}


def run_core(case: Case, steps: int | None = None, xp=None):
    """Evaluates ``sched_core`` in float64 one step at a time: on Python scalars (the
    namespace torch_compat uses) by default, or with numpy (``xp=numpy``)."""
    from sched_core._scalar import SCALAR

    xp = SCALAR if xp is None else xp
    to_k = int if xp is SCALAR else np.int64
    dt = float if xp is SCALAR else np.float64
    n = case.steps if steps is None else steps
    lrs, moms = [], []
    for factor in case.group_factors:
        kw = optax_kwargs(case, factor)
        if case.schedule == "one_cycle_policy":
            lr_spec = core.OneCyclePolicyLR(kw["max_lr"], kw["num_steps"])
            mom_spec = core.OneCyclePolicyMomentum(kw["num_steps"],
                                                   kw.get("momentum_range", (0.85, 0.95)))
        else:
            lr_spec = CORE_LR[case.schedule](**kw)
            mom_spec = (CORE_MOMENTUM[case.schedule](**case.momentum)
                        if case.momentum is not None else None)
        lrs.append([float(lr_spec(xp, to_k(k), dt)) for k in range(n)])
        if mom_spec is not None:
            moms.append([float(mom_spec(xp, to_k(k), dt)) for k in range(n)])
    return np.asarray(lrs), (np.asarray(moms) if moms else None)


def run_oracle(case: Case, steps: int | None = None):
    """Evaluates the independent ``math`` oracles."""
    n = case.steps if steps is None else steps
    lrs = np.asarray([[oracles.lr(case, f, k) for k in range(n)] for f in case.group_factors])
    if not has_momentum(case):
        return lrs, None
    row = [oracles.momentum(case, k) for k in range(n)]
    return lrs, np.asarray([row] * len(case.group_factors))


