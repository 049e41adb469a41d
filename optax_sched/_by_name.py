"""Building optax_sched schedules by factory name (configs, CLI, examples)."""

from __future__ import annotations

from typing import Any

__all__ = ["MOMENTUM_COMPANIONS", "config_of", "from_config", "from_name", "schedule_names"]

#: LR factory -> (its momentum factory, the LR arguments the momentum shares)
MOMENTUM_COMPANIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "one_cycle_lr": ("one_cycle_momentum",
                     ("total_steps", "pct_start", "anneal_strategy", "three_phase")),
    "cyclic_lr": ("cyclic_momentum", ("step_size_up", "step_size_down", "mode", "gamma")),
}
#: factories that are not a schedule of their own arguments
_NOT_BY_NAME = ("sequential_lr", "chained_scheduler", "from_core", "one_cycle_momentum",
                "cyclic_momentum")


def schedule_names() -> list[str]:
    """The factory names :func:`from_name` accepts (sorted)."""
    from optax_sched import _hf
    from optax_sched import _schedules
    from optax_sched import _timm

    names = (*_schedules.__all__, *_hf.__all__, *_timm.__all__)
    return sorted(n for n in names if n not in _NOT_BY_NAME)


def from_name(name: str, **kwargs: Any):
    """Returns ``(lr_schedule, momentum_schedule_or_None)`` for a schedule factory name.

    ``kwargs`` are the factory's arguments. Schedules with a momentum companion
    (``one_cycle_lr``, ``cyclic_lr``, ``one_cycle_policy``) return it, built from the shared
    cycle arguments and ``base_momentum``/``max_momentum``. ``torch_compat.from_name`` takes
    the same name and arguments, so one set of arguments gives the same sequence in both
    frameworks.

    Raises:
      KeyError: unknown name (the message lists the valid ones).
      ValueError, TypeError: invalid arguments, from the factory.

    Example:
      >>> import optax_sched
      >>> lr, mom = optax_sched.from_name("step_lr", init_value=0.1, step_size=2)
      >>> [round(float(lr(k)), 4) for k in range(5)], mom
      ([0.1, 0.1, 0.01, 0.01, 0.001], None)
    """
    import optax_sched

    names = schedule_names()
    if name not in names:
        if name == "gracos":
            raise KeyError("gracos is a gradient transformation, not a schedule: use "
                           "optax_sched.gracos(...)")
        raise KeyError(f"unknown schedule {name!r}; valid: {', '.join(names)}")
    kw = dict(kwargs)
    mom_kw: dict[str, Any] = {k: kw.pop(k) for k in ("base_momentum", "max_momentum")
                              if k in kw}
    if name == "one_cycle_policy":
        return optax_sched.one_cycle_policy(**kw)
    lr = getattr(optax_sched, name)(**kw)
    if name not in MOMENTUM_COMPANIONS:
        if mom_kw:
            raise TypeError(f"{name} schedules no momentum; got {sorted(mom_kw)}")
        return lr, None
    factory, shared = MOMENTUM_COMPANIONS[name]
    m_kw = {k: kw[k] for k in shared if k in kw}
    m_kw.update(mom_kw)
    return lr, getattr(optax_sched, factory)(**m_kw)


def config_of(schedule: Any) -> dict[str, Any]:
    """The plain-data config of an ``optax_sched`` schedule: ``{"name": ..., "args": ...}``.

    JSON-serialisable; ``torch_compat.from_config`` (or :func:`from_config`) rebuilds the
    same schedule from it. Compositions (``sequential_lr``, ``chained_scheduler``) nest their
    members' configs; the stateful transforms (``gracos``, ``reduce_on_plateau``,
    ``adaptive``) give their arguments (``inner=`` other than None has no plain data).

    Raises:
      ValueError: the schedule has a callable argument (``lambda_lr``'s ``fn``) or was not
        made by this package.

    Example:
      >>> import json, optax_sched
      >>> cfg = optax_sched.config_of(optax_sched.step_lr(0.1, step_size=30))
      >>> json.dumps(cfg)
      '{"name": "step_lr", "args": {"init_value": 0.1, "step_size": 30, "gamma": 0.1}}'
    """
    from sched_core import spec_config
    from sched_core._config import plain

    attached = getattr(getattr(schedule, "init", None), "config", None)
    if attached is not None:  # gracos, reduce_on_plateau, adaptive (transforms)
        name = attached["name"]
        return {"name": name, "args": {k: plain(f"{name}: {k}", x)
                                       for k, x in attached["args"].items()}}
    spec = getattr(schedule, "spec", None)
    if spec is None:
        raise ValueError(f"{schedule!r} is not an optax_sched schedule (it has no .spec): "
                         "no config")
    return spec_config(spec)


def from_config(config: Any):
    """Rebuilds ``(schedule, momentum_or_None)`` from a config (:func:`config_of`, or
    ``torch_compat.config_of`` on the torch face), as :func:`from_name` does.

    A momentum config (``one_cycle_momentum``, ``cyclic_momentum``) returns
    ``(momentum_schedule, None)``; a transform's (``gracos``, ``reduce_on_plateau``,
    ``adaptive``) returns ``(transform, None)``.

    Raises:
      ValueError: not a config; KeyError: unknown name; ValueError/TypeError: bad arguments.
    """
    import optax_sched
    from sched_core._config import unpack

    name, args = unpack(config)
    if name in ("sequential_lr", "chained_scheduler"):
        members = [from_config(c)[0] for c in args.pop("schedules")]
        return getattr(optax_sched, name)(members, **args), None
    if name in ("one_cycle_momentum", "cyclic_momentum", "gracos", "reduce_on_plateau",
                "adaptive"):  # momentum schedules and the stateful transforms
        return getattr(optax_sched, name)(**args), None
    return from_name(name, **args)

