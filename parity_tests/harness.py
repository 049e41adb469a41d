"""Runs a registered case in every implementation and returns full sequences.

Each runner returns ``(lr, momentum)``: ``lr`` has shape ``(groups, steps)``,
``momentum`` likewise or None. Row ``g`` is the param group with LR scale
``case.group_factors[g]``; column ``k`` is the value used by update ``k``.
"""

from __future__ import annotations

import numpy as np

import sched_core as core
from parity_tests import oracles
from sched_tools._parity import builtin_available
from sched_tools._parity import has_momentum
from sched_tools._parity import make_torch_scheduler
from sched_tools._parity import optax_kwargs
from sched_tools._parity import run_optax
from sched_tools._parity import run_optax_many
from sched_tools._parity import run_torch
from sched_tools._records import RECORDS
from sched_tools._records import Case

__all__ = ["builtin_available", "has_momentum", "make_torch_scheduler", "run_optax",
           "run_optax_many", "run_torch", "run_core", "run_oracle", "lr_sequence", "jax_sequence",
           "jax_sequences", "assert_sequences"]

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
        rec = RECORDS[case.schedule]
        if case.schedule == "one_cycle_policy":
            lr_spec = core.OneCyclePolicyLR(max_lr=kw["max_lr"], num_steps=kw["num_steps"])
            mom_spec = core.OneCyclePolicyMomentum(
                num_steps=kw["num_steps"], momentum_range=kw.get("momentum_range", (0.85, 0.95)))
        else:
            lr_spec = rec.core(**kw)
            mom_spec = (rec.core_momentum(**case.momentum)
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




def lr_sequence(sched, n: int, group: int = 0) -> np.ndarray:
    """Steps a torch scheduler ``n`` times, recording ``get_last_lr()[group]`` before each
    step: the LRs of its next ``n`` updates (the scheduler is advanced)."""
    import warnings

    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lr_scheduler.step() before optimizer.step()
        for _ in range(n):
            out.append(sched.get_last_lr()[group])
            sched.step()
    return np.asarray(out, dtype=np.float64)


def jax_sequence(schedule, n: int) -> np.ndarray:
    """An Optax schedule's values for updates ``0 .. n-1`` under ``jit(vmap(...))``."""
    return jax_sequences([schedule], n)[0]


def jax_sequences(schedules, n: int) -> list[np.ndarray]:
    """Each Optax schedule's values for updates ``0 .. n-1``, as :func:`jax_sequence`
    gives them, from one ``jit(vmap(...))`` program for all of them: compiling costs far
    more than evaluating on CPU (``run_optax_many`` does the same for the parity cases)."""
    import jax
    import jax.numpy as jnp

    values = jax.jit(jax.vmap(lambda k: [s(k) for s in schedules]))(jnp.arange(n))
    return [np.asarray(v, dtype=np.float64) for v in values]


def assert_sequences(expected: dict) -> None:
    """Asserts each Optax schedule gives its reference sequence within the float32 row of
    the tolerance table: ``expected`` maps a label to ``(schedule, ref)``. The schedules are
    evaluated in one program (:func:`jax_sequences`); every mismatch is reported, not only
    the first."""
    from parity_tests.tolerances import assert_within

    n = max(len(ref) for _, ref in expected.values())
    values = jax_sequences([s for s, _ in expected.values()], n)
    failures = []
    for (label, (_, ref)), actual in zip(expected.items(), values):
        try:
            assert_within(actual[:len(ref)], ref, "float32", label)
        except AssertionError as e:
            failures.append(str(e))
    assert not failures, "\n".join(failures)
