"""Every schedule by name, with demo arguments for a given length (CLI, gallery, examples).

Framework-free data: names of the ``optax_sched`` factories, their families (for the
gallery), and a function filling the required arguments from a number of steps and a
peak learning rate. Users override any argument by name.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

__all__ = ["Entry", "CATALOG", "demo_kwargs", "demo_factor", "demo_lambda", "families"]


@dataclasses.dataclass(frozen=True)
class Entry:
    """A schedule of the catalog.

    Attributes:
      name: the ``optax_sched`` factory name.
      family: gallery family.
      torch_class: the ``torch_compat`` class.
      demo: ``(steps, lr) -> kwargs`` filling the required arguments for a demo.
      momentum: the ``optax_sched`` momentum factory of the same class (or None).
      momentum_demo: ``(steps, kwargs) -> momentum kwargs``.
      kind: ``"schedule"`` (a count -> value function) or ``"gradient"`` (GraCos).
    """

    name: str
    family: str
    torch_class: str
    demo: Callable[[int, float], dict[str, Any]]
    momentum: str | None = None
    momentum_demo: Callable[[int, dict[str, Any]], dict[str, Any]] | None = None
    kind: str = "schedule"


def _cycle_args(kw):
    return {k: kw[k] for k in ("step_size_up", "step_size_down", "mode", "gamma") if k in kw}


CATALOG: dict[str, Entry] = {e.name: e for e in [
    Entry("step_lr", "decay", "StepLR",
          lambda n, lr: dict(init_value=lr, step_size=max(1, n // 4), gamma=0.5)),
    Entry("multistep_lr", "decay", "MultiStepLR",
          lambda n, lr: dict(init_value=lr, milestones=[max(1, n // 2), max(2, 3 * n // 4)])),
    Entry("exponential_lr", "decay", "ExponentialLR",
          lambda n, lr: dict(init_value=lr, gamma=0.01 ** (1 / max(1, n)))),
    Entry("constant_lr", "decay", "ConstantLR",
          lambda n, lr: dict(init_value=lr, factor=0.5, total_iters=max(1, n // 5))),
    Entry("linear_lr", "decay", "LinearLR",
          lambda n, lr: dict(init_value=lr, start_factor=0.1, total_iters=max(1, n // 4))),
    Entry("polynomial_lr", "decay", "PolynomialLR",
          lambda n, lr: dict(init_value=lr, total_iters=max(1, n), power=2.0)),
    Entry("cosine_annealing_lr", "cosine", "CosineAnnealingLR",
          lambda n, lr: dict(init_value=lr, T_max=max(1, n // 2))),
    Entry("cosine_annealing_warm_restarts", "cosine", "CosineAnnealingWarmRestarts",
          lambda n, lr: dict(init_value=lr, T_0=max(1, n // 8), T_mult=1.5, decay=0.8,
                             warmup_steps=max(1, n // 20))),
    Entry("one_cycle_lr", "one-cycle", "OneCycleLR",
          lambda n, lr: dict(max_lr=lr, total_steps=max(2, n)),
          momentum="one_cycle_momentum",
          momentum_demo=lambda n, kw: {k: kw[k] for k in ("total_steps", "pct_start",
                                                           "anneal_strategy", "three_phase")
                                       if k in kw}),
    Entry("cyclic_lr", "cyclic", "CyclicLR",
          lambda n, lr: dict(base_lr=lr / 10, max_lr=lr, step_size_up=max(1, n // 8),
                             mode="triangular2"),
          momentum="cyclic_momentum", momentum_demo=lambda n, kw: _cycle_args(kw)),
    Entry("lambda_lr", "decay", "LambdaLR",
          lambda n, lr: dict(init_value=lr)),
    Entry("multiplicative_lr", "decay", "MultiplicativeLR",
          lambda n, lr: dict(init_value=lr)),
    Entry("swalr", "decay", "SWALR",
          lambda n, lr: dict(init_value=lr, swa_lr=lr / 10, anneal_epochs=max(1, n // 2))),
    Entry("linear_warmup", "warmup", "LinearWarmup",
          lambda n, lr: dict(base_lr=lr, warmup_steps=max(1, n // 4))),
    Entry("exponential_warmup", "warmup", "ExponentialWarmup",
          lambda n, lr: dict(base_lr=lr, warmup_steps=max(1, n // 4), start_lr=lr / 1000)),
    Entry("cosine_warmup", "warmup", "CosineWarmup",
          lambda n, lr: dict(base_lr=lr, warmup_steps=max(1, n // 4))),
    Entry("warmup_with_decay", "warmup", "WarmupWithDecay",
          lambda n, lr: dict(base_lr=lr, warmup_steps=max(1, n // 10), total_steps=max(2, n),
                             min_lr=lr / 100)),
    Entry("exponential_cyclic_lr", "cyclic", "ExponentialCyclicLR",
          lambda n, lr: dict(base_lr=lr / 10, max_lr=lr, step_size=max(2, n // 5))),
    Entry("list_schedule", "lists", "ListScheduler",
          lambda n, lr: dict(values=[lr, lr / 2, lr / 4, lr / 8])),
    Entry("range_finder", "lists", "RangeFinder",
          lambda n, lr: dict(num_steps=max(2, n))),
    Entry("one_cycle_policy", "one-cycle", "OneCyclePolicy",
          lambda n, lr: dict(max_lr=lr, num_steps=max(3, n))),
    Entry("gracos", "gradient-aware", "GraCos",
          lambda n, lr: dict(initial_lr=lr, final_lr=lr / 20, steps_per_epoch=max(1, n // 5),
                             total_epochs=5),
          kind="gradient"),
]}

def demo_lambda(k):
    """The demo ``fn`` of ``lambda_lr``: ``0.97 ** k`` (ints, numpy and jax arrays)."""
    return 0.97 ** k


def demo_factor(k):
    """The demo ``fn`` of ``multiplicative_lr``: a factor of 0.97 per update."""
    return 0.97


def demo_kwargs(name: str, steps: int, lr: float = 0.1,
                overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Demo keyword arguments of schedule ``name`` for ``steps`` updates, then overrides.

    Raises:
      KeyError: naming the valid schedules, for an unknown name.
    """
    if name not in CATALOG:
        raise KeyError(f"unknown schedule {name!r}; valid: {', '.join(sorted(CATALOG))}")
    kw = CATALOG[name].demo(steps, lr)
    kw.update(overrides or {})
    return kw


def families() -> dict[str, list[str]]:
    """Gallery families -> schedule names."""
    out: dict[str, list[str]] = {}
    for e in CATALOG.values():
        out.setdefault(e.family, []).append(e.name)
    return out
