"""The parity case registry: framework-free data used by ``parity_tests/`` and the CLI.

A :class:`Case` names an ``optax_sched`` factory and its keyword arguments (for the
first param group), an optional momentum factory, and the matching ``torch_compat``
class. The harness builds one optax schedule per param group (scale arguments
multiplied by ``group_factors``) and one torch optimizer with those groups.

:data:`FAMILIES` says how each factory maps onto torch: the ``torch_compat`` class,
whether torch has a built-in of the same meaning, and how the LR scale reaches the
torch class (``"group"``: each param group's ``lr``; ``"list"``: a per-group list in
the named torch argument).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

__all__ = ["Family", "Case", "FAMILIES", "CASES", "case_by_id", "torch_kwargs"]


@dataclasses.dataclass(frozen=True)
class Family:
    """How an optax_sched factory maps to torch."""

    torch_class: str
    scale_args: tuple[str, ...]
    scale_mode: str  # "group" or "list"
    builtin: bool  # torch.optim.lr_scheduler has a class of this name and meaning
    rename: tuple[tuple[str, str], ...] = ()  # optax kwarg -> torch kwarg
    momentum: str | None = None  # optax factory for the momentum of the same class


FAMILIES: dict[str, Family] = {
    "step_lr": Family("StepLR", ("init_value",), "group", True),
    "multistep_lr": Family("MultiStepLR", ("init_value",), "group", True),
    "exponential_lr": Family("ExponentialLR", ("init_value",), "group", True),
    "constant_lr": Family("ConstantLR", ("init_value",), "group", True),
    "linear_lr": Family("LinearLR", ("init_value",), "group", True),
    "polynomial_lr": Family("PolynomialLR", ("init_value",), "group", True),
    "cosine_annealing_lr": Family("CosineAnnealingLR", ("init_value",), "group", True),
    "cosine_annealing_warm_restarts": Family("CosineAnnealingWarmRestarts", ("init_value",),
                                             "group", True),
    "one_cycle_lr": Family("OneCycleLR", ("max_lr",), "list", True,
                           momentum="one_cycle_momentum"),
    "cyclic_lr": Family("CyclicLR", ("base_lr", "max_lr"), "list", True,
                        momentum="cyclic_momentum"),
    "lambda_lr": Family("LambdaLR", ("init_value",), "group", True, (("fn", "lr_lambda"),)),
    "multiplicative_lr": Family("MultiplicativeLR", ("init_value",), "group", True,
                                (("fn", "lr_lambda"),)),
    "swalr": Family("SWALR", ("init_value", "swa_lr"), "group", True),
    "linear_warmup": Family("LinearWarmup", ("base_lr",), "list", False),
    "exponential_warmup": Family("ExponentialWarmup", ("base_lr",), "list", False),
    "cosine_warmup": Family("CosineWarmup", ("base_lr",), "list", False),
    "warmup_with_decay": Family("WarmupWithDecay", ("base_lr",), "list", False),
    "exponential_cyclic_lr": Family("ExponentialCyclicLR", ("base_lr", "max_lr"), "list", False),
    "list_schedule": Family("ListScheduler", (), "list", False, (("values", "lrs"),)),
    "range_finder": Family("RangeFinder", (), "list", False),
    "one_cycle_policy": Family("OneCyclePolicy", ("max_lr",), "list", False),
}


@dataclasses.dataclass(frozen=True)
class Case:
    """One parity configuration.

    Attributes:
      id: unique, readable id.
      schedule: optax_sched factory name (a key of :data:`FAMILIES`).
      kwargs: factory keyword arguments for param group 0.
      horizon: the schedule's natural length; sequences are compared over 2x it.
      momentum: keyword arguments of the family's momentum factory, or None.
      group_factors: LR-scale factor of each torch param group (2 groups by default).
      builtin_steps: how many updates to compare against torch's built-in (torch's
        OneCycleLR raises past ``total_steps``); None means the whole sequence.
      lambda_name: for lambda cases, the key of :data:`LAMBDAS` used as ``fn``.
    """

    id: str
    schedule: str
    kwargs: dict[str, Any]
    horizon: int
    momentum: dict[str, Any] | None = None
    group_factors: tuple[float, ...] = (1.0, 0.5)
    builtin_steps: int | None = None
    lambda_name: str | None = None

    @property
    def steps(self) -> int:
        """Number of updates compared (twice the horizon)."""
        return 2 * self.horizon


#: Named step functions for lambda cases; each works on ints, numpy and jax arrays.
LAMBDAS: dict[str, Any] = {
    "inverse": lambda k: 1.0 / (1.0 + 0.1 * k),
    "half_every_3": lambda k: 0.5 ** (k // 3),
    "constant_095": lambda k: 0.95,
    "alternating": lambda k: 0.875 + 0.25 * (k % 2),  # exact in float32: see multiplicative_lr
}


def _c(id_, schedule, kwargs, horizon, **extra):
    return Case(id_, schedule, kwargs, horizon, **extra)


CASES: tuple[Case, ...] = (
    # torch built-ins
    _c("step-basic", "step_lr", dict(init_value=0.1, step_size=7, gamma=0.5), 40),
    _c("step-size1", "step_lr", dict(init_value=1.0, step_size=1, gamma=0.9), 50),
    _c("step-default-gamma", "step_lr", dict(init_value=0.3, step_size=10), 35),
    _c("multistep-basic", "multistep_lr", dict(init_value=0.1, milestones=[5, 12, 20]), 30),
    _c("multistep-repeat", "multistep_lr", dict(init_value=1.0, milestones=[1, 4, 4],
                                                 gamma=0.5), 10),
    _c("multistep-late", "multistep_lr", dict(init_value=0.5, milestones=[100], gamma=0.3), 60),
    _c("exponential-basic", "exponential_lr", dict(init_value=0.1, gamma=0.95), 60),
    _c("exponential-fast", "exponential_lr", dict(init_value=1.0, gamma=0.5), 20),
    _c("exponential-slow", "exponential_lr", dict(init_value=2.0, gamma=0.999), 300),
    _c("constant-default", "constant_lr", dict(init_value=0.1), 10),
    # torch's recursive ConstantLR divides by factor at step total_iters (ZeroDivisionError):
    # the built-in comparison stops before it; tests/test_torch_compat.py pins the crash.
    _c("constant-zero", "constant_lr", dict(init_value=1.0, factor=0.0, total_iters=3), 8,
       builtin_steps=3),
    _c("constant-one-iter", "constant_lr", dict(init_value=0.2, factor=0.5, total_iters=1), 4),
    _c("linear-default", "linear_lr", dict(init_value=0.1), 10),
    _c("linear-decay", "linear_lr", dict(init_value=1.0, start_factor=1.0, end_factor=0.0,
                                         total_iters=17), 20),
    _c("linear-one-iter", "linear_lr", dict(init_value=0.5, start_factor=0.25, total_iters=1), 4),
    _c("poly-default", "polynomial_lr", dict(init_value=0.1), 10),
    _c("poly-square", "polynomial_lr", dict(init_value=1.0, total_iters=30, power=2.0), 30),
    _c("poly-sqrt", "polynomial_lr", dict(init_value=0.4, total_iters=9, power=0.5), 12),
    _c("cosine-basic", "cosine_annealing_lr", dict(init_value=0.1, T_max=25), 25),
    _c("cosine-eta-min", "cosine_annealing_lr", dict(init_value=1.0, T_max=40, eta_min=0.01), 40),
    _c("cosine-tmax1", "cosine_annealing_lr", dict(init_value=0.5, T_max=1), 6),
    _c("sgdr-torch", "cosine_annealing_warm_restarts", dict(init_value=0.1, T_0=10), 35),
    _c("sgdr-tmult2", "cosine_annealing_warm_restarts", dict(init_value=1.0, T_0=3, T_mult=2,
                                                             eta_min=0.001), 45),
    _c("sgdr-t0-1", "cosine_annealing_warm_restarts", dict(init_value=0.2, T_0=1, T_mult=3), 40),
    _c("sgdr-float-tmult", "cosine_annealing_warm_restarts", dict(init_value=1.0, T_0=4,
                                                                  T_mult=1.5), 60),
    _c("sgdr-decay-warmup", "cosine_annealing_warm_restarts",
       dict(init_value=1.0, T_0=10, T_mult=1, decay=0.75, warmup_steps=4), 60),
    _c("sgdr-decay-tmult-warmup", "cosine_annealing_warm_restarts",
       dict(init_value=0.5, T_0=5, T_mult=2, eta_min=0.01, decay=0.5, warmup_steps=12), 80),
    _c("onecycle-cos", "one_cycle_lr", dict(max_lr=0.1, total_steps=100), 100,
       momentum=dict(total_steps=100), builtin_steps=100),
    _c("onecycle-linear", "one_cycle_lr", dict(max_lr=1.0, total_steps=37, pct_start=0.25,
                                               anneal_strategy="linear"), 37,
       momentum=dict(total_steps=37, pct_start=0.25, anneal_strategy="linear"),
       builtin_steps=37),
    _c("onecycle-three-phase", "one_cycle_lr", dict(max_lr=0.5, total_steps=50, pct_start=0.4,
                                                    three_phase=True, div_factor=10.0,
                                                    final_div_factor=100.0), 50,
       momentum=dict(total_steps=50, pct_start=0.4, three_phase=True, base_momentum=0.8,
                     max_momentum=0.9), builtin_steps=50),
    _c("onecycle-short", "one_cycle_lr", dict(max_lr=0.3, total_steps=7, pct_start=0.5), 7,
       momentum=dict(total_steps=7, pct_start=0.5), builtin_steps=7),
    _c("cyclic-triangular", "cyclic_lr", dict(base_lr=0.01, max_lr=0.1, step_size_up=5), 30,
       momentum=dict(step_size_up=5)),
    _c("cyclic-triangular2", "cyclic_lr", dict(base_lr=0.001, max_lr=0.1, step_size_up=4,
                                               step_size_down=6, mode="triangular2"), 40,
       momentum=dict(step_size_up=4, step_size_down=6, mode="triangular2", base_momentum=0.85,
                     max_momentum=0.95)),
    _c("cyclic-exp-range", "cyclic_lr", dict(base_lr=0.01, max_lr=1.0, step_size_up=3,
                                             mode="exp_range", gamma=0.97), 36,
       momentum=dict(step_size_up=3, mode="exp_range", gamma=0.97)),
    _c("cyclic-step1", "cyclic_lr", dict(base_lr=0.1, max_lr=0.2, step_size_up=1), 8,
       momentum=dict(step_size_up=1)),
    _c("lambda-inverse", "lambda_lr", dict(init_value=0.1), 30, lambda_name="inverse"),
    _c("lambda-staircase", "lambda_lr", dict(init_value=1.0), 20, lambda_name="half_every_3"),
    _c("lambda-inverse-big", "lambda_lr", dict(init_value=3.0), 100, lambda_name="inverse"),
    _c("multiplicative-constant", "multiplicative_lr", dict(init_value=0.1), 40,
       lambda_name="constant_095"),
    _c("multiplicative-alternating", "multiplicative_lr", dict(init_value=1.0), 30,
       lambda_name="alternating"),
    _c("multiplicative-inverse", "multiplicative_lr", dict(init_value=0.5), 25,
       lambda_name="inverse"),
    _c("swalr-cos", "swalr", dict(init_value=0.1, swa_lr=0.01, anneal_epochs=10), 15),
    _c("swalr-linear", "swalr", dict(init_value=0.5, swa_lr=0.05, anneal_epochs=3,
                                     anneal_strategy="linear"), 6),
    _c("swalr-no-anneal", "swalr", dict(init_value=0.2, swa_lr=0.02, anneal_epochs=0), 4),
    _c("swalr-one", "swalr", dict(init_value=0.2, swa_lr=0.3, anneal_epochs=1), 4),
    # combined library
    _c("linear-warmup", "linear_warmup", dict(base_lr=0.1, warmup_steps=10), 20),
    _c("linear-warmup-0", "linear_warmup", dict(base_lr=0.1, warmup_steps=0), 5),
    _c("linear-warmup-1", "linear_warmup", dict(base_lr=1.0, warmup_steps=1), 5),
    _c("exp-warmup", "exponential_warmup", dict(base_lr=0.1, warmup_steps=20), 30),
    _c("exp-warmup-start", "exponential_warmup", dict(base_lr=1.0, warmup_steps=5,
                                                      start_lr=0.01), 10),
    _c("exp-warmup-0", "exponential_warmup", dict(base_lr=0.5, warmup_steps=0), 4),
    _c("cos-warmup", "cosine_warmup", dict(base_lr=0.1, warmup_steps=16), 20),
    _c("cos-warmup-0", "cosine_warmup", dict(base_lr=0.2, warmup_steps=0), 4),
    _c("cos-warmup-1", "cosine_warmup", dict(base_lr=0.2, warmup_steps=1), 4),
    _c("warmup-decay", "warmup_with_decay", dict(base_lr=0.1, warmup_steps=10, total_steps=100,
                                                 min_lr=1e-4), 100),
    _c("warmup-decay-0", "warmup_with_decay", dict(base_lr=1.0, warmup_steps=0,
                                                   total_steps=30), 30),
    _c("warmup-decay-1", "warmup_with_decay", dict(base_lr=0.5, warmup_steps=1, total_steps=2,
                                                   min_lr=0.1), 4),
    _c("exp-cyclic", "exponential_cyclic_lr", dict(base_lr=0.001, max_lr=0.1, step_size=10), 50),
    _c("exp-cyclic-odd", "exponential_cyclic_lr", dict(base_lr=0.0, max_lr=1.0, step_size=7,
                                                       gamma=0.5), 35),
    _c("exp-cyclic-2", "exponential_cyclic_lr", dict(base_lr=0.1, max_lr=0.2, step_size=2,
                                                     gamma=1.0), 8),
    # lr-momentum-scheduler
    _c("list-basic", "list_schedule", dict(values=[0.1, 0.05, 0.2, 0.01]), 4,
       group_factors=(1.0,)),
    _c("list-one", "list_schedule", dict(values=[0.3]), 3, group_factors=(1.0,)),
    _c("list-long", "list_schedule",
       dict(values=[round(0.1 * math.exp(-0.1 * i), 6) for i in range(25)]), 25,
       group_factors=(1.0,)),
    _c("range-finder", "range_finder", dict(num_steps=100), 100, group_factors=(1.0,)),
    _c("range-finder-short", "range_finder", dict(num_steps=2, start_lr=1e-3, end_lr=0.1), 3,
       group_factors=(1.0,)),
    _c("range-finder-custom", "range_finder", dict(num_steps=37, start_lr=1e-5, end_lr=10.0), 37,
       group_factors=(1.0,)),
    _c("one-cycle-policy", "one_cycle_policy", dict(max_lr=0.01, num_steps=10), 10),
    _c("one-cycle-policy-long", "one_cycle_policy", dict(max_lr=1.0, num_steps=101,
                                                         momentum_range=(0.8, 0.9)), 101),
    _c("one-cycle-policy-3", "one_cycle_policy", dict(max_lr=0.5, num_steps=3), 3),
)


def case_by_id(case_id: str) -> Case:
    """Returns the registered case with this id (KeyError listing the ids otherwise)."""
    for case in CASES:
        if case.id == case_id:
            return case
    raise KeyError(f"unknown case {case_id!r}; known: {[c.id for c in CASES]}")


def group_kwargs(case: Case, factor: float) -> dict[str, Any]:
    """The optax factory kwargs for a param group with LR-scale ``factor``."""
    fam = FAMILIES[case.schedule]
    kw = dict(case.kwargs)
    for name in fam.scale_args:
        kw[name] = kw[name] * factor
    return kw


def torch_kwargs(case: Case) -> tuple[list[float], dict[str, Any]]:
    """Returns ``(group_lrs, kwargs)`` for the case's torch class (no ``fn``/lambda).

    ``group_lrs`` are the param groups' initial ``lr`` values.
    """
    fam = FAMILIES[case.schedule]
    rename = dict(fam.rename)
    factors = case.group_factors
    kw = {rename.get(k, k): val for k, val in case.kwargs.items()}
    if fam.scale_mode == "group":
        # the first scale argument is each group's lr; any other one a per-group list
        lrs = [case.kwargs[fam.scale_args[0]] * f for f in factors]
        kw.pop(rename.get(fam.scale_args[0], fam.scale_args[0]))
        for name in fam.scale_args[1:]:
            kw[rename.get(name, name)] = [case.kwargs[name] * f for f in factors]
    else:
        lrs = [0.123] * len(factors)  # ignored: the class takes explicit per-group values
        for name in fam.scale_args:
            kw[rename.get(name, name)] = [case.kwargs[name] * f for f in factors]
    if case.momentum is not None:
        for key in ("base_momentum", "max_momentum"):
            if key in case.momentum:
                kw[key] = case.momentum[key]
    if case.schedule == "one_cycle_policy" and "momentum_range" in kw:
        kw["momentum_range"] = tuple(kw["momentum_range"])
    return lrs, kw
