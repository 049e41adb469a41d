"""Building optax_sched schedules by name (CLI, examples, gallery)."""

from __future__ import annotations

from typing import Any

from sched_core import catalog

__all__ = ["from_name"]


def from_name(name: str, **kwargs: Any):
    """Returns ``(lr_schedule, momentum_schedule_or_None)`` for a catalog schedule name.

    ``lambda_lr`` without ``fn`` uses ``sched_core.catalog.demo_lambda``; schedules with a
    momentum companion (``one_cycle_lr``, ``cyclic_lr``, ``one_cycle_policy``) return it,
    built from the shared cycle arguments and ``base_momentum``/``max_momentum``.
    ``gracos`` is a transformation, not a schedule, and is refused here.

    Raises:
      KeyError: unknown name (the message lists the valid ones).
      ValueError, TypeError: invalid arguments, from the factory.
    """
    import optax_sched

    if name not in catalog.CATALOG:
        raise KeyError(f"unknown schedule {name!r}; valid: {', '.join(sorted(catalog.CATALOG))}")
    entry = catalog.CATALOG[name]
    if entry.kind != "schedule":
        raise ValueError(f"{name} is a gradient transformation: use optax_sched.{name}(...)")
    kw = dict(kwargs)
    mom_kw: dict[str, Any] = {k: kw.pop(k) for k in ("base_momentum", "max_momentum")
                              if k in kw}
    if name == "lambda_lr":
        kw.setdefault("fn", catalog.demo_lambda)
    if name == "multiplicative_lr":
        kw.setdefault("fn", catalog.demo_factor)
    if name == "one_cycle_policy":
        return optax_sched.one_cycle_policy(**kw)
    lr = getattr(optax_sched, name)(**kw)
    if entry.momentum is None:
        if mom_kw:
            raise TypeError(f"{name} schedules no momentum; got {sorted(mom_kw)}")
        return lr, None
    m_kw: dict[str, Any] = dict(entry.momentum_demo(0, kw)) if entry.momentum_demo else {}
    m_kw.update(mom_kw)
    return lr, getattr(optax_sched, entry.momentum)(**m_kw)
