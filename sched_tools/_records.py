"""One record per schedule: the source of the catalog, the CLI, the parity suite and the
README table.

A :class:`Record` names an ``optax_sched`` factory, its ``sched_core`` spec, its gallery
family, demo arguments for a run of ``n`` updates, README text, and at least three parity
:class:`Case` objects. Everything else is derived here: :data:`CASES` (the parity registry
run by ``parity_tests/`` and ``optax-sched parity``), :func:`demo_kwargs` and
:func:`families` (CLI, gallery, examples) and :func:`readme_table` (the README's schedule
table, checked by the test suite). How a factory's arguments reach torch is the torch
face's own knowledge (``torch_compat._by_name.FACES``); the records are framework-free data
and the library (``sched_core``, ``optax_sched``, ``torch_compat``) never imports them.

Adding a schedule: the core spec with its math (``sched_core``), a :class:`Record` here, the
factory and the class on each face (plus one ``FACES`` line), a docs/math.md section and an
oracle in ``parity_tests/oracles.py``; ``tests/test_completeness.py`` fails until all exist.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
from collections.abc import Callable
from typing import Any
from typing import cast

import sched_core as core

__all__ = [
    "CASES",
    "Case",
    "LAMBDAS",
    "RECORDS",
    "Record",
    "case_by_id",
    "demo_factor",
    "demo_kwargs",
    "demo_lambda",
    "families",
    "group_kwargs",
    "readme_table",
    "signature",
    "torch_kwargs",
]


@dataclasses.dataclass(frozen=True)
class Case:
    """One parity configuration of a record's schedule.

    Attributes:
      id: unique, readable id.
      kwargs: factory keyword arguments for param group 0.
      horizon: the schedule's natural length; sequences are compared over 2x it.
      schedule: the optax_sched factory name (filled in by the record).
      momentum: keyword arguments of the momentum companion factory, or None.
      group_factors: LR-scale factor of each torch param group (2 groups by default).
      builtin_steps: how many updates to compare against torch's built-in (torch's
        OneCycleLR raises past ``total_steps``); None means the whole sequence.
      lambda_name: for lambda cases, the key of :data:`LAMBDAS` used as ``fn``.
    """

    id: str
    kwargs: dict[str, Any]
    horizon: int
    schedule: str = ""
    momentum: dict[str, Any] | None = None
    group_factors: tuple[float, ...] = (1.0, 0.5)
    builtin_steps: int | None = None
    lambda_name: str | None = None

    @property
    def steps(self) -> int:
        """Number of updates compared (twice the horizon)."""
        return 2 * self.horizon


@dataclasses.dataclass(frozen=True)
class Record:
    """Everything about one schedule that is not code.

    Attributes:
      name: the ``optax_sched`` factory (and ``torch_compat.from_name``) name.
      core: the ``sched_core`` LR spec class (None for transforms and compositions).
      family: gallery family.
      demo: ``(n, lr) -> kwargs``: factory arguments for a demo of ``n`` updates, peak ``lr``.
      cases: the parity cases (``kind="schedule"`` needs at least 3).
      builtin: torch has a class of the same name and meaning (compared against it).
      hf: the ``transformers.optimization`` function that builds the same schedule
        (compared against it), or None.
      timm: ``"cosine"``/``"tanh"``: timm's ``CosineLRScheduler``/``TanhLRScheduler`` is
        the oracle (``parity_tests/timm_oracle.py``), or None.
      core_momentum: the ``sched_core`` momentum spec class, or None.
      kind: ``"schedule"`` (a ``count -> value`` function with parity cases),
        ``"gradient"`` (GraCos: plotted, tested by its own parity suite), ``"transform"``
        (loss-aware, tested by its own suites) or ``"composite"`` (compositions).
      readme_face: README first column when it is not the factory's signature.
      readme_torch: README second column after the torch class name.
      math: the docs/math.md anchor of its formula.
      torch_class: the torch class, for records outside ``torch_compat``'s by-name table.
    """

    name: str
    core: type | None
    family: str
    demo: Callable[[int, float], dict[str, Any]] | None = None
    cases: tuple[Case, ...] = ()
    builtin: bool = False
    hf: str | None = None
    timm: str | None = None
    core_momentum: type | None = None
    kind: str = "schedule"
    readme_face: str | None = None
    readme_torch: str = ""
    math: str = ""
    torch_class: str | None = None

    def __post_init__(self):
        object.__setattr__(
            self, "cases", tuple(dataclasses.replace(c, schedule=self.name) for c in self.cases)
        )


def _c(id_: str, kwargs: dict[str, Any], horizon: int, **extra: Any) -> Case:
    return Case(id_, kwargs, horizon, **extra)


def demo_lambda(k):
    """The demo ``fn`` of ``lambda_lr``: ``0.97 ** k`` (ints, numpy and jax arrays)."""
    return 0.97**k


def demo_factor(k):
    """The demo ``fn`` of ``multiplicative_lr``: a factor of 0.97 per update."""
    return 0.97


#: Named step functions for lambda cases; each works on ints, numpy and jax arrays.
LAMBDAS: dict[str, Any] = {
    "inverse": lambda k: 1.0 / (1.0 + 0.1 * k),
    "half_every_3": lambda k: 0.5 ** (k // 3),
    "constant_095": lambda k: 0.95,
    "alternating": lambda k: 0.875 + 0.25 * (k % 2),  # exact in float32: see multiplicative_lr
}

_TORCH = "2-ports-of-torchs-built-ins"
_HF = "15-hugging-face-schedules-and-warmup-stable-decay"

_RECORDS: tuple[Record, ...] = (
    Record(
        "step_lr",
        core.StepLR,
        "decay",
        demo=lambda n, lr: dict(init_value=lr, step_size=max(1, n // 4), gamma=0.5),
        builtin=True,
        readme_torch="(= torch)",
        math="2-ports-of-torchs-built-ins",
        cases=(
            _c("step-basic", dict(init_value=0.1, step_size=7, gamma=0.5), 40),
            _c("step-size1", dict(init_value=1.0, step_size=1, gamma=0.9), 50),
            _c("step-default-gamma", dict(init_value=0.3, step_size=10), 35),
        ),
    ),
    Record(
        "multistep_lr",
        core.MultiStepLR,
        "decay",
        demo=lambda n, lr: dict(init_value=lr, milestones=[max(1, n // 2), max(2, 3 * n // 4)]),
        builtin=True,
        readme_torch="(= torch)",
        math="2-ports-of-torchs-built-ins",
        cases=(
            _c("multistep-basic", dict(init_value=0.1, milestones=[5, 12, 20]), 30),
            _c("multistep-repeat", dict(init_value=1.0, milestones=[1, 4, 4], gamma=0.5), 10),
            _c("multistep-late", dict(init_value=0.5, milestones=[100], gamma=0.3), 60),
        ),
    ),
    Record(
        "exponential_lr",
        core.ExponentialLR,
        "decay",
        demo=lambda n, lr: dict(init_value=lr, gamma=0.01 ** (1 / max(1, n))),
        builtin=True,
        readme_torch="(= torch)",
        math="2-ports-of-torchs-built-ins",
        cases=(
            _c("exponential-basic", dict(init_value=0.1, gamma=0.95), 60),
            _c("exponential-fast", dict(init_value=1.0, gamma=0.5), 20),
            _c("exponential-slow", dict(init_value=2.0, gamma=0.999), 300),
        ),
    ),
    Record(
        "constant_lr",
        core.ConstantLR,
        "decay",
        demo=lambda n, lr: dict(init_value=lr, factor=0.5, total_iters=max(1, n // 5)),
        builtin=True,
        readme_torch="(= torch)",
        math="2-ports-of-torchs-built-ins",
        cases=(
            _c("constant-default", dict(init_value=0.1), 10),
            _c(
                "constant-zero", dict(init_value=1.0, factor=0.0, total_iters=3), 8, builtin_steps=3
            ),
            _c("constant-one-iter", dict(init_value=0.2, factor=0.5, total_iters=1), 4),
        ),
    ),
    Record(
        "linear_lr",
        core.LinearLR,
        "decay",
        demo=lambda n, lr: dict(init_value=lr, start_factor=0.1, total_iters=max(1, n // 4)),
        builtin=True,
        readme_torch="(= torch)",
        math="2-ports-of-torchs-built-ins",
        cases=(
            _c("linear-default", dict(init_value=0.1), 10),
            _c(
                "linear-decay",
                dict(init_value=1.0, start_factor=1.0, end_factor=0.0, total_iters=17),
                20,
            ),
            _c("linear-one-iter", dict(init_value=0.5, start_factor=0.25, total_iters=1), 4),
        ),
    ),
    Record(
        "polynomial_lr",
        core.PolynomialLR,
        "decay",
        demo=lambda n, lr: dict(init_value=lr, total_iters=max(1, n), power=2.0),
        builtin=True,
        readme_torch="(= torch)",
        math="2-ports-of-torchs-built-ins",
        cases=(
            _c("poly-default", dict(init_value=0.1), 10),
            _c("poly-square", dict(init_value=1.0, total_iters=30, power=2.0), 30),
            _c("poly-sqrt", dict(init_value=0.4, total_iters=9, power=0.5), 12),
        ),
    ),
    Record(
        "cosine_annealing_lr",
        core.CosineAnnealingLR,
        "cosine",
        demo=lambda n, lr: dict(init_value=lr, T_max=max(1, n // 2)),
        builtin=True,
        readme_torch="(= torch, periodic)",
        math="2-ports-of-torchs-built-ins",
        cases=(
            _c("cosine-basic", dict(init_value=0.1, T_max=25), 25),
            _c("cosine-eta-min", dict(init_value=1.0, T_max=40, eta_min=0.01), 40),
            _c("cosine-tmax1", dict(init_value=0.5, T_max=1), 6),
        ),
    ),
    Record(
        "cosine_annealing_warm_restarts",
        core.CosineAnnealingWarmRestarts,
        "cosine",
        demo=lambda n, lr: dict(
            init_value=lr, T_0=max(1, n // 8), T_mult=1.5, decay=0.8, warmup_steps=max(1, n // 20)
        ),
        builtin=True,
        readme_torch="(torch's + `decay`, `warmup_steps`, float `T_mult`)",
        math="21-sgdr-cosine_annealing_warm_restarts--cosineannealingwarmrestarts",
        cases=(
            _c("sgdr-torch", dict(init_value=0.1, T_0=10), 35),
            _c("sgdr-tmult2", dict(init_value=1.0, T_0=3, T_mult=2, eta_min=0.001), 45),
            _c("sgdr-t0-1", dict(init_value=0.2, T_0=1, T_mult=3), 40),
            _c("sgdr-float-tmult", dict(init_value=1.0, T_0=4, T_mult=1.5), 60),
            _c(
                "sgdr-decay-warmup",
                dict(init_value=1.0, T_0=10, T_mult=1, decay=0.75, warmup_steps=4),
                60,
            ),
            _c(
                "sgdr-decay-tmult-warmup",
                dict(init_value=0.5, T_0=5, T_mult=2, eta_min=0.01, decay=0.5, warmup_steps=12),
                80,
            ),
        ),
    ),
    Record(
        "one_cycle_lr",
        core.OneCycleLR,
        "one-cycle",
        demo=lambda n, lr: dict(max_lr=lr, total_steps=max(2, n)),
        core_momentum=core.OneCycleMomentum,
        builtin=True,
        readme_torch="(= torch; holds past the end)",
        math="22-one-cycle-one_cycle_lr-one_cycle_momentum--onecyclelr",
        cases=(
            _c(
                "onecycle-cos",
                dict(max_lr=0.1, total_steps=100),
                100,
                momentum=dict(total_steps=100),
                builtin_steps=100,
            ),
            _c(
                "onecycle-linear",
                dict(max_lr=1.0, total_steps=37, pct_start=0.25, anneal_strategy="linear"),
                37,
                momentum=dict(total_steps=37, pct_start=0.25, anneal_strategy="linear"),
                builtin_steps=37,
            ),
            _c(
                "onecycle-three-phase",
                dict(
                    max_lr=0.5,
                    total_steps=50,
                    pct_start=0.4,
                    three_phase=True,
                    div_factor=10.0,
                    final_div_factor=100.0,
                ),
                50,
                momentum=dict(
                    total_steps=50,
                    pct_start=0.4,
                    three_phase=True,
                    base_momentum=0.8,
                    max_momentum=0.9,
                ),
                builtin_steps=50,
            ),
            _c(
                "onecycle-short",
                dict(max_lr=0.3, total_steps=7, pct_start=0.5),
                7,
                momentum=dict(total_steps=7, pct_start=0.5),
                builtin_steps=7,
            ),
        ),
    ),
    Record(
        "cyclic_lr",
        core.CyclicLR,
        "cyclic",
        demo=lambda n, lr: dict(
            base_lr=lr / 10, max_lr=lr, step_size_up=max(1, n // 8), mode="triangular2"
        ),
        core_momentum=core.CyclicMomentum,
        builtin=True,
        readme_torch="(= torch)",
        math="23-cyclic-cyclic_lr-cyclic_momentum--cycliclr",
        cases=(
            _c(
                "cyclic-triangular",
                dict(base_lr=0.01, max_lr=0.1, step_size_up=5),
                30,
                momentum=dict(step_size_up=5),
            ),
            _c(
                "cyclic-triangular2",
                dict(
                    base_lr=0.001, max_lr=0.1, step_size_up=4, step_size_down=6, mode="triangular2"
                ),
                40,
                momentum=dict(
                    step_size_up=4,
                    step_size_down=6,
                    mode="triangular2",
                    base_momentum=0.85,
                    max_momentum=0.95,
                ),
            ),
            _c(
                "cyclic-exp-range",
                dict(base_lr=0.01, max_lr=1.0, step_size_up=3, mode="exp_range", gamma=0.97),
                36,
                momentum=dict(step_size_up=3, mode="exp_range", gamma=0.97),
            ),
            _c(
                "cyclic-step1",
                dict(base_lr=0.1, max_lr=0.2, step_size_up=1),
                8,
                momentum=dict(step_size_up=1),
            ),
        ),
    ),
    Record(
        "lambda_lr",
        core.LambdaLR,
        "decay",
        demo=lambda n, lr: dict(init_value=lr, fn=demo_lambda),
        builtin=True,
        readme_torch="(= torch)",
        math="2-ports-of-torchs-built-ins",
        cases=(
            _c("lambda-inverse", dict(init_value=0.1), 30, lambda_name="inverse"),
            _c("lambda-staircase", dict(init_value=1.0), 20, lambda_name="half_every_3"),
            _c("lambda-inverse-big", dict(init_value=3.0), 100, lambda_name="inverse"),
        ),
    ),
    Record(
        "multiplicative_lr",
        core.MultiplicativeLR,
        "decay",
        demo=lambda n, lr: dict(init_value=lr, fn=demo_factor),
        builtin=True,
        readme_torch="(= torch)",
        math="24-multiplicative_lr--multiplicativelr-swalr--swalr",
        cases=(
            _c("multiplicative-constant", dict(init_value=0.1), 40, lambda_name="constant_095"),
            _c("multiplicative-alternating", dict(init_value=1.0), 30, lambda_name="alternating"),
            _c("multiplicative-inverse", dict(init_value=0.5), 25, lambda_name="inverse"),
        ),
    ),
    Record(
        "swalr",
        core.SWALR,
        "decay",
        demo=lambda n, lr: dict(init_value=lr, swa_lr=lr / 10, anneal_epochs=max(1, n // 2)),
        builtin=True,
        readme_torch="(= torch's `swa_utils.SWALR`)",
        math="24-multiplicative_lr--multiplicativelr-swalr--swalr",
        cases=(
            _c("swalr-cos", dict(init_value=0.1, swa_lr=0.01, anneal_epochs=10), 15),
            _c(
                "swalr-linear",
                dict(init_value=0.5, swa_lr=0.05, anneal_epochs=3, anneal_strategy="linear"),
                6,
            ),
            _c("swalr-no-anneal", dict(init_value=0.2, swa_lr=0.02, anneal_epochs=0), 4),
            _c("swalr-one", dict(init_value=0.2, swa_lr=0.3, anneal_epochs=1), 4),
        ),
    ),
    Record(
        "linear_warmup",
        core.LinearWarmup,
        "warmup",
        demo=lambda n, lr: dict(base_lr=lr, warmup_steps=max(1, n // 4)),
        readme_torch="",
        math="3-the-combined-librarys-schedules",
        cases=(
            _c("linear-warmup", dict(base_lr=0.1, warmup_steps=10), 20),
            _c("linear-warmup-0", dict(base_lr=0.1, warmup_steps=0), 5),
            _c("linear-warmup-1", dict(base_lr=1.0, warmup_steps=1), 5),
        ),
    ),
    Record(
        "exponential_warmup",
        core.ExponentialWarmup,
        "warmup",
        demo=lambda n, lr: dict(base_lr=lr, warmup_steps=max(1, n // 4), start_lr=lr / 1000),
        readme_torch="",
        math="3-the-combined-librarys-schedules",
        cases=(
            _c("exp-warmup", dict(base_lr=0.1, warmup_steps=20), 30),
            _c("exp-warmup-start", dict(base_lr=1.0, warmup_steps=5, start_lr=0.01), 10),
            _c("exp-warmup-0", dict(base_lr=0.5, warmup_steps=0), 4),
        ),
    ),
    Record(
        "cosine_warmup",
        core.CosineWarmup,
        "warmup",
        demo=lambda n, lr: dict(base_lr=lr, warmup_steps=max(1, n // 4)),
        readme_torch="",
        math="3-the-combined-librarys-schedules",
        cases=(
            _c("cos-warmup", dict(base_lr=0.1, warmup_steps=16), 20),
            _c("cos-warmup-0", dict(base_lr=0.2, warmup_steps=0), 4),
            _c("cos-warmup-1", dict(base_lr=0.2, warmup_steps=1), 4),
        ),
    ),
    Record(
        "warmup_with_decay",
        core.WarmupWithDecay,
        "warmup",
        demo=lambda n, lr: dict(
            base_lr=lr, warmup_steps=max(1, n // 10), total_steps=max(2, n), min_lr=lr / 100
        ),
        readme_torch="",
        math="3-the-combined-librarys-schedules",
        cases=(
            _c(
                "warmup-decay",
                dict(base_lr=0.1, warmup_steps=10, total_steps=100, min_lr=1e-4),
                100,
            ),
            _c("warmup-decay-0", dict(base_lr=1.0, warmup_steps=0, total_steps=30), 30),
            _c("warmup-decay-1", dict(base_lr=0.5, warmup_steps=1, total_steps=2, min_lr=0.1), 4),
        ),
    ),
    Record(
        "exponential_cyclic_lr",
        core.ExponentialCyclicLR,
        "cyclic",
        demo=lambda n, lr: dict(base_lr=lr / 10, max_lr=lr, step_size=max(2, n // 5)),
        readme_torch="",
        math="3-the-combined-librarys-schedules",
        cases=(
            _c("exp-cyclic", dict(base_lr=0.001, max_lr=0.1, step_size=10), 50),
            _c("exp-cyclic-odd", dict(base_lr=0.0, max_lr=1.0, step_size=7, gamma=0.5), 35),
            _c("exp-cyclic-2", dict(base_lr=0.1, max_lr=0.2, step_size=2, gamma=1.0), 8),
        ),
    ),
    Record(
        "list_schedule",
        core.ListSchedule,
        "lists",
        demo=lambda n, lr: dict(values=[lr, lr / 2, lr / 4, lr / 8]),
        readme_torch="`ListScheduler(optimizer, lrs, momentums=None)`",
        math="4-lr-momentum-scheduler",
        cases=(
            _c("list-basic", dict(values=[0.1, 0.05, 0.2, 0.01]), 4, group_factors=(1.0,)),
            _c("list-one", dict(values=[0.3]), 3, group_factors=(1.0,)),
            _c(
                "list-long",
                dict(values=[round(0.1 * math.exp(-0.1 * i), 6) for i in range(25)]),
                25,
                group_factors=(1.0,),
            ),
        ),
    ),
    Record(
        "range_finder",
        core.RangeFinder,
        "lists",
        demo=lambda n, lr: dict(num_steps=max(2, n)),
        readme_torch="",
        math="4-lr-momentum-scheduler",
        cases=(
            _c("range-finder", dict(num_steps=100), 100, group_factors=(1.0,)),
            _c(
                "range-finder-short",
                dict(num_steps=2, start_lr=1e-3, end_lr=0.1),
                3,
                group_factors=(1.0,),
            ),
            _c(
                "range-finder-custom",
                dict(num_steps=37, start_lr=1e-5, end_lr=10.0),
                37,
                group_factors=(1.0,),
            ),
        ),
    ),
    Record(
        "one_cycle_policy",
        core.OneCyclePolicyLR,
        "one-cycle",
        demo=lambda n, lr: dict(max_lr=lr, num_steps=max(3, n)),
        core_momentum=core.OneCyclePolicyMomentum,
        readme_torch="",
        math="4-lr-momentum-scheduler",
        cases=(
            _c("one-cycle-policy", dict(max_lr=0.01, num_steps=10), 10),
            _c(
                "one-cycle-policy-long",
                dict(max_lr=1.0, num_steps=101, momentum_range=(0.8, 0.9)),
                101,
            ),
            _c("one-cycle-policy-3", dict(max_lr=0.5, num_steps=3), 3),
        ),
    ),
    Record(
        "linear_with_warmup",
        core.LinearWithWarmup,
        "llm",
        demo=lambda n, lr: dict(
            init_value=lr, num_warmup_steps=max(1, n // 10), num_training_steps=max(2, n)
        ),
        hf="get_linear_schedule_with_warmup",
        readme_torch="(= HF `get_linear_schedule_with_warmup`)",
        math=_HF,
        cases=(
            _c("hf-linear", dict(init_value=0.1, num_warmup_steps=5, num_training_steps=30), 30),
            _c("hf-linear-w0", dict(init_value=1.0, num_warmup_steps=0, num_training_steps=7), 7),
            _c("hf-linear-w1", dict(init_value=0.5, num_warmup_steps=1, num_training_steps=2), 4),
        ),
    ),
    Record(
        "cosine_with_warmup",
        core.CosineWithWarmup,
        "llm",
        demo=lambda n, lr: dict(
            init_value=lr, num_warmup_steps=max(1, n // 10), num_training_steps=max(2, n)
        ),
        hf="get_cosine_schedule_with_warmup",
        readme_torch="(= HF `get_cosine_schedule_with_warmup`, periodic)",
        math=_HF,
        cases=(
            _c("hf-cosine", dict(init_value=0.1, num_warmup_steps=10, num_training_steps=50), 50),
            _c(
                "hf-cosine-cycles",
                dict(init_value=1.0, num_warmup_steps=3, num_training_steps=40, num_cycles=1.5),
                40,
            ),
            _c(
                "hf-cosine-odd-cycles",
                dict(init_value=1.0, num_warmup_steps=0, num_training_steps=33, num_cycles=0.3),
                33,
            ),
        ),
    ),
    Record(
        "cosine_with_hard_restarts_with_warmup",
        core.CosineWithHardRestartsWithWarmup,
        "llm",
        demo=lambda n, lr: dict(
            init_value=lr,
            num_warmup_steps=max(1, n // 10),
            num_training_steps=max(2, n),
            num_cycles=3,
        ),
        hf="get_cosine_with_hard_restarts_schedule_with_warmup",
        readme_torch="(= HF `get_cosine_with_hard_restarts_schedule_with_warmup`)",
        math=_HF,
        cases=(
            _c(
                "hf-restarts",
                dict(init_value=0.1, num_warmup_steps=4, num_training_steps=40, num_cycles=3),
                40,
            ),
            _c("hf-restarts-1", dict(init_value=1.0, num_warmup_steps=0, num_training_steps=9), 9),
            _c(
                "hf-restarts-uneven",
                dict(init_value=1.0, num_warmup_steps=2, num_training_steps=25, num_cycles=4),
                25,
            ),
        ),
    ),
    Record(
        "polynomial_decay_with_warmup",
        core.PolynomialDecayWithWarmup,
        "llm",
        demo=lambda n, lr: dict(
            init_value=lr,
            num_warmup_steps=max(1, n // 10),
            num_training_steps=max(2, n),
            lr_end=lr / 100,
            power=2.0,
        ),
        hf="get_polynomial_decay_schedule_with_warmup",
        readme_torch="(= HF `get_polynomial_decay_schedule_with_warmup`)",
        math=_HF,
        cases=(
            # one param group: Hugging Face scales lr_end by the optimizer's default LR
            _c(
                "hf-poly",
                dict(init_value=0.1, num_warmup_steps=5, num_training_steps=30),
                30,
                group_factors=(1.0,),
            ),
            _c(
                "hf-poly-square",
                dict(
                    init_value=1.0,
                    num_warmup_steps=2,
                    num_training_steps=20,
                    lr_end=0.01,
                    power=2.0,
                ),
                20,
                group_factors=(1.0,),
            ),
            _c(
                "hf-poly-sqrt",
                dict(
                    init_value=0.5,
                    num_warmup_steps=0,
                    num_training_steps=11,
                    lr_end=0.05,
                    power=0.5,
                ),
                11,
                group_factors=(1.0,),
            ),
        ),
    ),
    Record(
        "constant_with_warmup",
        core.ConstantWithWarmup,
        "llm",
        demo=lambda n, lr: dict(init_value=lr, num_warmup_steps=max(1, n // 5)),
        hf="get_constant_schedule_with_warmup",
        readme_torch="(= HF `get_constant_schedule_with_warmup`)",
        math=_HF,
        cases=(
            _c("hf-constant", dict(init_value=0.1, num_warmup_steps=8), 12),
            _c("hf-constant-w0", dict(init_value=1.0, num_warmup_steps=0), 3),
            _c("hf-constant-w1", dict(init_value=0.3, num_warmup_steps=1), 3),
        ),
    ),
    Record(
        "cosine_with_min_lr_with_warmup",
        core.CosineWithMinLRWithWarmup,
        "llm",
        demo=lambda n, lr: dict(
            init_value=lr,
            num_warmup_steps=max(1, n // 10),
            num_training_steps=max(2, n),
            min_lr_rate=0.1,
        ),
        hf="get_cosine_with_min_lr_schedule_with_warmup",
        readme_torch="(= HF `get_cosine_with_min_lr_schedule_with_warmup`)",
        math=_HF,
        cases=(
            _c(
                "hf-cosine-min-rate",
                dict(init_value=0.1, num_warmup_steps=5, num_training_steps=40, min_lr_rate=0.1),
                40,
            ),
            # one param group: Hugging Face divides min_lr by the optimizer's default LR
            _c(
                "hf-cosine-min-lr",
                dict(init_value=1.0, num_warmup_steps=2, num_training_steps=30, min_lr=0.05),
                30,
                group_factors=(1.0,),
            ),
            _c(
                "hf-cosine-min-cycles",
                dict(
                    init_value=1.0,
                    num_warmup_steps=0,
                    num_training_steps=20,
                    num_cycles=1.0,
                    min_lr_rate=0.25,
                ),
                20,
            ),
        ),
    ),
    Record(
        "inverse_sqrt",
        core.InverseSqrt,
        "llm",
        demo=lambda n, lr: dict(init_value=lr, num_warmup_steps=max(1, n // 10)),
        hf="get_inverse_sqrt_schedule",
        readme_torch="(= HF `get_inverse_sqrt_schedule`)",
        math=_HF,
        cases=(
            _c("inv-sqrt", dict(init_value=0.1, num_warmup_steps=10), 50),
            _c("inv-sqrt-timescale", dict(init_value=1.0, num_warmup_steps=4, timescale=25), 40),
            _c("inv-sqrt-w0", dict(init_value=1.0, num_warmup_steps=0), 30),
        ),
    ),
    Record(
        "warmup_stable_decay",
        core.WarmupStableDecay,
        "llm",
        demo=lambda n, lr: dict(
            init_value=lr,
            num_warmup_steps=0.05,
            num_decay_steps=0.2,
            num_training_steps=max(20, n),
            decay_type="1-sqrt",
            min_lr_ratio=0.01,
        ),
        hf="get_wsd_schedule",
        readme_torch="(= HF `get_wsd_schedule`; stages may be fractions)",
        math=_HF,
        cases=(
            _c(
                "wsd-cosine",
                dict(init_value=0.1, num_warmup_steps=5, num_decay_steps=10, num_training_steps=40),
                40,
            ),
            _c(
                "wsd-1sqrt",
                dict(
                    init_value=1.0,
                    num_warmup_steps=4,
                    num_decay_steps=12,
                    num_stable_steps=10,
                    warmup_type="1-sqrt",
                    decay_type="1-sqrt",
                    min_lr_ratio=0.1,
                ),
                26,
            ),
            _c(
                "wsd-linear-cosine-warmup",
                dict(
                    init_value=1.0,
                    num_warmup_steps=6,
                    num_decay_steps=7,
                    num_training_steps=20,
                    warmup_type="cosine",
                    decay_type="linear",
                    min_lr_ratio=0.05,
                ),
                20,
            ),
            _c(
                "wsd-no-warmup-cycles",
                dict(
                    init_value=0.5,
                    num_warmup_steps=0,
                    num_decay_steps=9,
                    num_stable_steps=3,
                    num_cycles=1.0,
                ),
                12,
            ),
        ),
    ),
    Record(
        "timm_cosine",
        core.TimmCosine,
        "timm",
        demo=lambda n, lr: dict(
            base_lr=lr,
            t_initial=max(1, n // 3),
            lr_min=lr / 100,
            cycle_decay=0.7,
            cycle_limit=3,
            warmup_t=max(1, n // 20),
            warmup_lr_init=lr / 100,
            t_in_epochs=False,
        ),
        timm="cosine",
        readme_torch="(= timm `CosineLRScheduler`, stepped per update)",
        math="16-timm-cosinelrscheduler-and-tanhlrscheduler",
        cases=(
            _c(
                "timm-cos-restarts",
                dict(
                    base_lr=0.1,
                    t_initial=20,
                    cycle_mul=2.0,
                    cycle_decay=0.5,
                    cycle_limit=3,
                    warmup_t=5,
                    warmup_lr_init=1e-4,
                    lr_min=1e-5,
                    t_in_epochs=False,
                ),
                140,
            ),
            _c(
                "timm-cos-epochs-kdecay",
                dict(
                    base_lr=1.0,
                    t_initial=7,
                    cycle_mul=1.5,
                    cycle_limit=4,
                    k_decay=2.0,
                    warmup_prefix=True,
                    warmup_t=3,
                    warmup_lr_init=0.01,
                    updates_per_epoch=5,
                ),
                200,
            ),
            _c(
                "timm-cos-noise",
                dict(
                    base_lr=0.5,
                    t_initial=30,
                    k_decay=0.5,
                    cycle_limit=2,
                    noise_range_t=(5, 40),
                    t_in_epochs=False,
                ),
                60,
            ),
        ),
    ),
    Record(
        "timm_tanh",
        core.TimmTanh,
        "timm",
        demo=lambda n, lr: dict(
            base_lr=lr,
            t_initial=max(1, n // 2),
            lr_min=lr / 100,
            cycle_limit=2,
            warmup_t=max(1, n // 20),
            t_in_epochs=False,
        ),
        timm="tanh",
        readme_torch="(= timm `TanhLRScheduler`, stepped per update)",
        math="16-timm-cosinelrscheduler-and-tanhlrscheduler",
        cases=(
            _c(
                "timm-tanh",
                dict(
                    base_lr=0.1,
                    t_initial=30,
                    warmup_t=5,
                    lr_min=1e-4,
                    cycle_limit=2,
                    t_in_epochs=False,
                ),
                60,
            ),
            _c(
                "timm-tanh-lbub-epochs",
                dict(
                    base_lr=1.0,
                    t_initial=9,
                    lb=-3.0,
                    ub=5.0,
                    cycle_mul=1.7,
                    cycle_decay=0.7,
                    cycle_limit=3,
                    warmup_prefix=True,
                    warmup_t=4,
                    warmup_lr_init=1e-3,
                    updates_per_epoch=3,
                ),
                130,
            ),
            _c(
                "timm-tanh-uniform-noise",
                dict(
                    base_lr=0.3,
                    t_initial=12,
                    lb=-1.0,
                    ub=1.0,
                    cycle_limit=2,
                    noise_range_t=[0, 30],
                    noise_type="uniform",
                    t_in_epochs=False,
                ),
                30,
            ),
        ),
    ),
    Record(
        "gracos",
        core.GraCosConfig,
        "gradient-aware",
        kind="gradient",
        demo=lambda n, lr: dict(
            initial_lr=lr, final_lr=lr / 20, steps_per_epoch=max(1, n // 5), total_epochs=5
        ),
        readme_torch="`GraCos`, `GraCosOOP` (+ `per_tensor_param_groups(model, order=...)`)",
        math="10-gracos-gradient-aware-cosine-gracos--gracos-gracosoop",
        torch_class="GraCos",
    ),
    Record(
        "sequential_lr",
        core.Sequential,
        "composition",
        kind="composite",
        readme_torch="`SequentialLR` (torch's, any member)",
        math=_TORCH,
        torch_class="SequentialLR",
    ),
    Record(
        "chained_scheduler",
        core.Chained,
        "composition",
        kind="composite",
        readme_torch="`ChainedScheduler` (torch's)",
        math="25-composition-several-schedulers-on-one-optimizer",
        torch_class="ChainedScheduler",
    ),
    Record(
        "lambda_scheduler",
        core.LambdaLR,
        "lists",
        kind="composite",
        readme_face="`lambda_lr` + `inject_schedules`",
        readme_torch="`LambdaScheduler(optimizer, lr_lambda, momentum_lambda=None)`",
        math="4-lr-momentum-scheduler",
        torch_class="LambdaScheduler",
    ),
    Record(
        "reduce_on_plateau",
        core.PlateauConfig,
        "loss-aware",
        kind="transform",
        readme_torch='`ReduceLROnPlateau` (= torch, + `"rel_abs"`)',
        math="11-reduce-on-plateau-reduce_on_plateau--reducelronplateau",
        torch_class="ReduceLROnPlateau",
    ),
    Record(
        "adaptive",
        core.AdaptiveConfig,
        "loss-aware",
        kind="transform",
        readme_torch="`AdaptiveScheduler(optimizer, model, ...)`",
        math="12-adaptivescheduler-adaptive--adaptivescheduler-the-specification",
        torch_class="AdaptiveScheduler",
    ),
)

#: name -> record, in README order
RECORDS: dict[str, Record] = {r.name: r for r in _RECORDS}
#: every parity case, in record order
CASES: tuple[Case, ...] = tuple(c for r in _RECORDS for c in r.cases)


def case_by_id(case_id: str) -> Case:
    """Returns the registered case with this id (KeyError listing the ids otherwise)."""
    for case in CASES:
        if case.id == case_id:
            return case
    raise KeyError(f"unknown case {case_id!r}; known: {[c.id for c in CASES]}")


def scale_args(name: str) -> tuple[str, ...]:
    """The factory arguments that set the LR scale (the core spec's ``scale_args``)."""
    spec = RECORDS[name].core
    return tuple(getattr(spec, "scale_args", ()))


def group_kwargs(case: Case, factor: float) -> dict[str, Any]:
    """The optax factory kwargs for a param group with LR-scale ``factor``."""
    kw = dict(case.kwargs)
    for name in scale_args(case.schedule):
        if name in kw:
            kw[name] = kw[name] * factor
    return kw


def torch_kwargs(case: Case) -> tuple[list[float], dict[str, Any]]:
    """Returns ``(group_lrs, kwargs)`` for the case's torch class (no ``fn``/lambda).

    ``group_lrs`` are the param groups' initial ``lr`` values. How the optax arguments map
    onto the class is the torch face's table (``torch_compat._by_name.FACES``).
    """
    from torch_compat._by_name import FACES

    face = FACES[case.schedule]
    rename = dict(face.rename)
    factors = case.group_factors
    scales = scale_args(case.schedule)
    kw = {rename.get(k, k): val for k, val in case.kwargs.items()}
    if face.scale == "group":
        # the first scale argument is each group's lr; any other one a per-group list
        lrs = [case.kwargs[scales[0]] * f for f in factors]
        kw.pop(rename.get(scales[0], scales[0]))
        rest = scales[1:]
    else:
        lrs = [0.123] * len(factors)  # ignored: the class takes explicit per-group values
        rest = scales
    for name in rest:
        if name in case.kwargs:
            kw[rename.get(name, name)] = [case.kwargs[name] * f for f in factors]
    if case.momentum is not None:
        for key in ("base_momentum", "max_momentum"):
            if key in case.momentum:
                kw[key] = case.momentum[key]
    if case.schedule == "one_cycle_policy" and "momentum_range" in kw:
        kw["momentum_range"] = tuple(kw["momentum_range"])
    return lrs, kw


def demo_kwargs(
    name: str, steps: int, lr: float = 0.1, overrides: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Demo keyword arguments of schedule ``name`` for ``steps`` updates, then overrides.

    Raises:
      KeyError: naming the valid schedules, for an unknown name.
    """
    demos = plottable()
    if name not in demos:
        raise KeyError(f"unknown schedule {name!r}; valid: {', '.join(sorted(demos))}")
    # plottable() lists only the records that have a demo
    kw = cast(Callable[[int, float], dict[str, Any]], RECORDS[name].demo)(steps, lr)
    kw.update(overrides or {})
    return kw


def plottable() -> list[str]:
    """Names of the records with demo arguments (schedules and GraCos)."""
    return [r.name for r in _RECORDS if r.demo is not None]


def families() -> dict[str, list[str]]:
    """Gallery families -> plottable schedule names."""
    out: dict[str, list[str]] = {}
    for name in plottable():
        out.setdefault(RECORDS[name].family, []).append(name)
    return out


def signature(name: str) -> str:
    """``name(arg, arg=default, *, kw=default)``: the ``optax_sched`` factory's signature."""
    import optax_sched

    fn = getattr(optax_sched, name)
    params, star = [], False
    for p in inspect.signature(fn).parameters.values():
        if p.kind is p.KEYWORD_ONLY and not star:
            params.append("*")
            star = True
        if p.default is p.empty:
            params.append(p.name)
        else:
            default = p.default
            if isinstance(default, float) and default == 1 / 3:
                shown = "1/3"
            elif isinstance(default, str):
                shown = f'"{default}"'
            else:
                shown = repr(default)
            params.append(f"{p.name}={shown}")
    return f"{name}({', '.join(params)})"


def readme_table() -> str:
    """The README's schedule table (markdown), from the records and both faces' signatures.

    Imports both faces (jax and torch).
    """
    from optax_sched._by_name import MOMENTUM_COMPANIONS
    from torch_compat._by_name import FACES

    lines = ["| optax_sched | torch_compat | formula |", "|---|---|---|"]
    for r in _RECORDS:
        if r.readme_face is not None:
            face = r.readme_face
        else:
            face = f"`{signature(r.name)}`"
            if r.name in MOMENTUM_COMPANIONS:
                m = MOMENTUM_COMPANIONS[r.name][0]
                face += f", `{signature(m)}`"
            if r.kind == "transform":
                face += " (a transform, reads `value=`)"
            elif r.kind == "gradient":
                face += " (a transform)"
        torch_class = r.torch_class or FACES[r.name].torch_class
        torch = (
            r.readme_torch
            if r.readme_torch.startswith("`")
            else (f"`{torch_class}` {r.readme_torch}".rstrip())
        )
        lines.append(f"| {face} | {torch} | [math](docs/math.md#{r.math}) |")
    return "\n".join(lines) + "\n"
