"""Building optax_sched schedules by factory name (configs, CLI, examples)."""

from __future__ import annotations

from typing import Any

__all__ = ["MOMENTUM_COMPANIONS", "from_name", "schedule_names"]

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

    return sorted(n for n in (*_schedules.__all__, *_hf.__all__) if n not in _NOT_BY_NAME)


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
