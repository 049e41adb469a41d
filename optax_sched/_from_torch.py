"""``from_torch``: a live PyTorch scheduler as an Optax schedule, verified.

torch is imported lazily (inside :func:`from_torch`): ``import optax_sched`` never imports it.
"""

from __future__ import annotations

import copy
import functools
import inspect
import warnings
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

import sched_core as core
from optax_sched import _hf
from optax_sched import _schedules as S
from optax_sched import _timm
from optax_sched._schedules import Schedule

__all__ = ["from_torch"]

#: the float32 row of the tolerance table (decisions.md): |a - b| <= rel |b| + abs max|b|
_REL, _ABS = 1e-6, 1e-7

#: Hugging Face's lambda functions -> (optax_sched factory, its keyword names)
_HF_LAMBDAS: dict[str, Callable[..., Schedule]] = {
    "_get_linear_schedule_with_warmup_lr_lambda": _hf.linear_with_warmup,
    "_get_cosine_schedule_with_warmup_lr_lambda": _hf.cosine_with_min_lr_with_warmup,
    "_get_cosine_with_hard_restarts_schedule_with_warmup_lr_lambda":
        _hf.cosine_with_hard_restarts_with_warmup,
    "_get_polynomial_decay_schedule_with_warmup_lr_lambda": _hf.polynomial_decay_with_warmup,
    "_get_constant_schedule_with_warmup_lr_lambda": _hf.constant_with_warmup,
    "_get_inverse_sqrt_schedule_lr_lambda": _hf.inverse_sqrt,
    "_get_wsd_scheduler_lambda": _hf.warmup_stable_decay,
}


class _Unknown(Exception):
    """This scheduler has no known closed form here (the sampled table is used)."""


def _shifted(schedule: Schedule, offset: int) -> Schedule:
    if offset == 0:
        return schedule

    def shifted(count):
        return schedule(jnp.asarray(count) + offset)

    return shifted


def _hf_schedule(fn: Any, base: float) -> Schedule:
    """The optax_sched schedule of a Hugging Face ``get_*`` lambda (a ``functools.partial``)."""
    if not isinstance(fn, functools.partial):
        raise _Unknown
    name = getattr(fn.func, "__name__", "")
    module = getattr(fn.func, "__module__", "") or ""
    if not module.startswith("transformers.") or name not in _HF_LAMBDAS:
        raise _Unknown
    kw = dict(fn.keywords)
    factory = _HF_LAMBDAS[name]
    if name == "_get_cosine_schedule_with_warmup_lr_lambda":
        kw.setdefault("min_lr_rate", 0.0)
    if name == "_get_polynomial_decay_schedule_with_warmup_lr_lambda":
        # HF's factor is ((L - e) p^q + e) / L times the group's base b
        lr_init = float(kw.pop("lr_init"))
        kw["lr_end"] = float(kw["lr_end"]) * base / lr_init
    accepted = inspect.signature(factory).parameters
    if any(k not in accepted for k in kw):
        raise _Unknown
    return factory(base, **kw)


def _convert(sched: Any, group: int, member: bool = False) -> Schedule:
    """A closed form for ``sched`` counted from its construction (update 0), or _Unknown.

    ``member``: a SequentialLR member (torch restarts it at its milestone, so the chain
    state it picked up at construction does not apply).
    """
    import torch.optim.lr_scheduler as tl
    from torch.optim import swa_utils

    import torch_compat

    cls = type(sched)
    if isinstance(sched, (tl.ReduceLROnPlateau, torch_compat.ReduceLROnPlateau)):
        raise ValueError("from_torch: ReduceLROnPlateau depends on the losses it will see, so "
                         "it has no schedule to convert; use optax_sched.reduce_on_plateau "
                         "(same decisions, reads value= in update)")
    if isinstance(sched, torch_compat.GraCos):
        raise ValueError("from_torch: GraCos depends on the gradients it will see; use "
                         "optax_sched.gracos with the same arguments")
    if isinstance(sched, torch_compat.CoreLRScheduler) and sched._per_group_specs:
        spec = sched._lr_specs[group]
        changed = sched._chain[group][1] is not None
        if spec.chain_kind in ("affine", "reset") and changed and not member:
            raise _Unknown  # another scheduler changed its LR: not its closed form now
        return S.from_core(spec)
    if isinstance(sched, tl.SequentialLR):
        members = [_convert(s, group, member=True) for s in sched._schedulers]
        return S.sequential_lr(members, list(sched._milestones))
    if isinstance(sched, tl.ChainedScheduler):
        specs = [getattr(_convert(s, group), "spec", None) for s in sched._schedulers]
        if any(s is None for s in specs):
            raise _Unknown
        return S.from_core(core.Chained(specs=[s for s in specs if s is not None]))
    base = float(sched.base_lrs[group])
    if cls is tl.LambdaLR:
        fn = sched.lr_lambdas[group]
        try:
            return _hf_schedule(fn, base)
        except _Unknown:
            return S.lambda_lr(base, fn)
    if cls is tl.StepLR:
        return S.step_lr(base, sched.step_size, sched.gamma)
    if cls is tl.MultiStepLR:
        return S.multistep_lr(base, sorted(sched.milestones.elements()), sched.gamma)
    if cls is tl.ExponentialLR:
        return S.exponential_lr(base, sched.gamma)
    if cls is tl.ConstantLR:
        return S.constant_lr(base, sched.factor, sched.total_iters)
    if cls is tl.LinearLR:
        return S.linear_lr(base, sched.start_factor, sched.end_factor, sched.total_iters)
    if cls is tl.PolynomialLR:
        return S.polynomial_lr(base, sched.total_iters, sched.power)
    if cls is tl.CosineAnnealingLR:
        return S.cosine_annealing_lr(base, sched.T_max, sched.eta_min)
    if cls is tl.CosineAnnealingWarmRestarts:
        return S.cosine_annealing_warm_restarts(base, sched.T_0, sched.T_mult, sched.eta_min)
    if cls is tl.OneCycleLR:
        g = sched.optimizer.param_groups[group]
        phases = sched._schedule_phases
        total = sched.total_steps
        return S.one_cycle_lr(
            float(g["max_lr"]), total, pct_start=(float(phases[0]["end_step"]) + 1) / total,
            anneal_strategy=getattr(sched, "_anneal_func_type", "cos"),
            div_factor=float(g["max_lr"]) / float(g["initial_lr"]),
            final_div_factor=float(g["initial_lr"]) / float(g["min_lr"]),
            three_phase=len(phases) == 3)
    if cls is tl.CyclicLR:
        if sched._scale_fn_custom is not None:
            raise _Unknown
        up = int(round(sched.step_ratio * sched.total_size))
        return S.cyclic_lr(float(sched.base_lrs[group]), float(sched.max_lrs[group]),
                           step_size_up=up, step_size_down=int(sched.total_size) - up,
                           mode=sched.mode, gamma=sched.gamma)
    if cls is swa_utils.SWALR:  # anneals from the LR it found (its base when used alone)
        g = sched.optimizer.param_groups[group]
        return S.swalr(base, float(g["swa_lr"]), sched.anneal_epochs,
                       getattr(sched, "_anneal_strategy", "cos"))
    if cls is tl.MultiplicativeLR:
        return S.multiplicative_lr(base, sched.lr_lambdas[group])
    raise _Unknown


def _offset(sched: Any) -> int:
    """The update index the scheduler is at (the closed form's count of ``schedule(0)``)."""
    import torch.optim.lr_scheduler as tl
    from torch.optim import swa_utils

    if isinstance(sched, tl.ChainedScheduler):
        return _offset(sched._schedulers[0])
    if isinstance(sched, swa_utils.SWALR):
        return int(sched._step_count) - 1  # torch's SWALR counts its step() calls
    return int(sched.last_epoch)


_TIMM_SHARED = ("t_initial", "lr_min", "cycle_mul", "cycle_decay", "cycle_limit", "warmup_t",
                "warmup_lr_init", "warmup_prefix", "t_in_epochs", "noise_range_t", "noise_pct",
                "noise_std", "noise_seed")


def _timm_family(sched: Any) -> str | None:
    """``"cosine"``/``"tanh"`` for timm's CosineLRScheduler/TanhLRScheduler, else None."""
    module = type(sched).__module__ or ""
    if not (module.startswith("timm.") or module.startswith("timm_sched")):
        return None
    return {"CosineLRScheduler": "cosine", "TanhLRScheduler": "tanh"}.get(type(sched).__name__)


def _timm_schedule(sched: Any, family: str, group: int, updates_per_epoch: int) -> Schedule:
    kw = {name: getattr(sched, name) for name in _TIMM_SHARED}
    kw["noise_type"] = sched.noise_type
    kw["updates_per_epoch"] = updates_per_epoch
    base = float(sched.base_values[group])
    if family == "cosine":
        return _timm.timm_cosine(base, k_decay=sched.k_decay, **kw)
    return _timm.timm_tanh(base, lb=sched.lb, ub=sched.ub, **kw)


def _timm_values(sched: Any, n: int, group: int, start: int, upe: int) -> np.ndarray:
    """timm's training loop on a deep copy: updates ``start .. start + n - 1``."""
    twin = copy.deepcopy(sched)
    out = []
    for k in range(start + n):
        if k >= start:
            out.append(float(twin.optimizer.param_groups[group]["lr"]))
        twin.step_update(num_updates=k + 1)
        if (k + 1) % upe == 0:
            twin.step(epoch=(k + 1) // upe)
    return np.asarray(out, dtype=np.float64)


def _values(schedule: Schedule, n: int) -> np.ndarray:
    return np.asarray(jax.jit(jax.vmap(schedule))(jnp.arange(n, dtype=jnp.int32)),
                      dtype=np.float64)


def _torch_values(sched: Any, n: int, group: int) -> np.ndarray:
    """The LR ``group`` gets at each of the next ``n`` updates, from a deep copy."""
    twin = copy.deepcopy(sched)
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(n):
            out.append(float(twin.get_last_lr()[group]))
            twin.step()
    return np.asarray(out, dtype=np.float64)


def from_torch(scheduler: Any, num_steps: int, *, group: int = 0, check: bool = True,
               updates_per_epoch: int = 1, start: int | None = None) -> Schedule:
    """The ``optax.Schedule`` giving a live PyTorch scheduler's LR sequence.

    The returned schedule starts at the scheduler's current step: ``schedule(0)`` is the LR
    the scheduler gives now (``get_last_lr()[group]``), ``schedule(k)`` the one after ``k``
    more ``step()`` calls, so a torch run continues in JAX at the same value. The scheduler
    passed in is never modified.

    Recognised, with closed forms: torch's built-in classes (``StepLR``, ``MultiStepLR``,
    ``ExponentialLR``, ``ConstantLR``, ``LinearLR``, ``PolynomialLR``,
    ``CosineAnnealingLR``, ``CosineAnnealingWarmRestarts``, ``OneCycleLR``, ``CyclicLR``,
    ``LambdaLR``, ``MultiplicativeLR``, ``swa_utils.SWALR``), every ``torch_compat`` class,
    ``SequentialLR`` and ``ChainedScheduler`` compositions of them, and the ``LambdaLR``
    schedulers Hugging Face's ``get_scheduler`` builds (recognised from their lambda's
    function and arguments). Anything else (an untraceable lambda, a ``CyclicLR`` with a
    custom ``scale_fn``, a ``torch_compat`` scheduler another one has changed, a user's own
    class) falls back to a table of the ``num_steps`` values sampled from a deep copy, held
    after, with a ``UserWarning`` saying so.
    ``ReduceLROnPlateau`` and ``GraCos`` depend on losses/gradients and are refused.

    timm's ``CosineLRScheduler`` and ``TanhLRScheduler`` convert too (``timm_cosine`` /
    ``timm_tanh``): timm does not count its own updates, so pass ``start`` (the number of
    updates done, 0 for a new scheduler; the deep copy is then replayed from construction
    with timm's training loop) and, for per-epoch stepping, ``updates_per_epoch``. A torch
    built-in whose LR another scheduler changed is not its closed form any more: the check
    reports the first update where they part.

    Args:
      scheduler: a ``torch.optim.lr_scheduler.LRScheduler`` (torch, torch_compat, HF).
      num_steps: updates to verify (and to sample for the fallback table), ``>= 1``.
      group: the param group whose LR is converted.
      check: step a deep copy ``num_steps`` times and compare with the Optax schedule
        evaluated in float32 under ``jit``; a difference beyond the float32 row of the
        tolerance table raises ``ValueError`` naming the first such update.
      updates_per_epoch: timm schedulers with ``t_in_epochs=True``: updates per epoch.
      start: timm schedulers: updates already done (required for them, refused otherwise).

    Returns:
      An ``optax.Schedule``.

    Raises:
      ValueError: bad arguments, a refused scheduler, or a failed check.
      TypeError: ``scheduler`` is not a torch LR scheduler.

    Examples:
      >>> import torch, optax_sched
      >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
      >>> sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
      >>> s = optax_sched.from_torch(sched, num_steps=6)
      >>> [round(float(s(k)), 4) for k in range(5)]
      [0.1, 0.1, 0.05, 0.05, 0.025]
    """
    import torch.optim.lr_scheduler as tl

    family = _timm_family(scheduler)
    if family is not None:
        return _from_timm(scheduler, family, num_steps, group, check, updates_per_epoch, start)
    if type(scheduler).__name__ == "GreedyLR" and (
            type(scheduler).__module__ or "").startswith("transformers"):
        raise ValueError("from_torch: Hugging Face's GreedyLR depends on the metrics it will "
                         "see, so it has no schedule to convert; use "
                         "optax_sched.reduce_on_plateau for a loss-driven LR")
    if start is not None:
        raise ValueError("start is for timm schedulers (torch schedulers know their step), "
                         f"got start={start!r} for {type(scheduler).__name__}")
    if not isinstance(scheduler, (tl.LRScheduler, tl.ReduceLROnPlateau)):
        raise TypeError("scheduler must be a torch.optim.lr_scheduler.LRScheduler, got "
                        f"{type(scheduler).__name__}")
    if isinstance(num_steps, bool) or not isinstance(num_steps, int) or num_steps < 1:
        raise ValueError(f"num_steps must be an integer >= 1, got {num_steps!r}")
    n_groups = len(scheduler.optimizer.param_groups)
    if isinstance(group, bool) or not isinstance(group, int) or not 0 <= group < n_groups:
        raise ValueError(f"group must be an integer in [0, {n_groups - 1}], got {group!r}")
    torch_values = None
    schedule: Schedule | None
    try:
        base = _convert(scheduler, group)
        schedule = _shifted(base, _offset(scheduler))
        if check:  # a Python lambda that jnp cannot trace shows up here
            ours = _values(schedule, num_steps)
    except _Unknown:
        schedule = None
    except Exception:  # noqa: BLE001 - only a user's lambda can fail to trace here
        if type(scheduler) not in (tl.LambdaLR, tl.MultiplicativeLR):
            raise
        schedule = None
    if schedule is None:
        torch_values = _torch_values(scheduler, num_steps, group)
        warnings.warn(f"from_torch: no closed form for {type(scheduler).__name__}; using the "
                      f"table of its next {num_steps} values (the last one held after)",
                      UserWarning, stacklevel=2)
        return S.list_schedule(torch_values.tolist())
    if check:
        _compare(type(scheduler).__name__, ours, _torch_values(scheduler, num_steps, group))
    return schedule


def _compare(name: str, ours: np.ndarray, theirs: np.ndarray) -> None:
    bound = _REL * np.abs(theirs) + _ABS * np.max(np.abs(theirs))
    bad = np.nonzero(~(np.abs(ours - theirs) <= bound))[0]
    if bad.size:
        k = int(bad[0])
        raise ValueError(
            f"from_torch: {name} and its Optax schedule differ at update {k} (counted from "
            f"the scheduler's current step): torch {float(theirs[k])!r}, optax "
            f"{float(ours[k])!r}, beyond the float32 tolerance ({_REL:g} relative + "
            f"{_ABS:g} of the largest value)")


def _from_timm(sched: Any, family: str, num_steps: int, group: int, check: bool,
               updates_per_epoch: int, start: int | None) -> Schedule:
    if isinstance(num_steps, bool) or not isinstance(num_steps, int) or num_steps < 1:
        raise ValueError(f"num_steps must be an integer >= 1, got {num_steps!r}")
    if start is None or isinstance(start, bool) or not isinstance(start, int) or start < 0:
        raise ValueError("start (the updates this timm scheduler has seen; timm does not count "
                         f"them) must be an integer >= 0, got {start!r}")
    n_groups = len(sched.optimizer.param_groups)
    if isinstance(group, bool) or not isinstance(group, int) or not 0 <= group < n_groups:
        raise ValueError(f"group must be an integer in [0, {n_groups - 1}], got {group!r}")
    schedule = _shifted(_timm_schedule(sched, family, group, updates_per_epoch), start)
    if check:
        _compare(type(sched).__name__, _values(schedule, num_steps),
                 _timm_values(sched, num_steps, group, start, updates_per_epoch))
    return schedule
