"""Plain-data configs of schedules: ``{"name": factory name, "args": {...}}``.

The name is the ``optax_sched`` factory's (also accepted by ``torch_compat.from_name``) and
the arguments are the spec's fields, which are that factory's arguments, so a config made on
one face rebuilds the same schedule on the other (``optax_sched.from_config``,
``torch_compat.from_config``). Configs are JSON-serialisable: numbers, strings, lists,
``None`` and nested configs (compositions); a schedule with a Python callable argument
(``lambda_lr``'s ``fn``, a custom ``scale_fn``) has no plain-data config and raises.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from typing import Any

from sched_core import _compose
from sched_core import _hf
from sched_core import _schedules as s
from sched_core import _timm

__all__ = ["CONFIG_NAMES", "plain", "spec_config", "unpack"]

#: core spec class -> its name in configs (the optax_sched factory / from_name key)
CONFIG_NAMES: dict[type, str] = {
    s.StepLR: "step_lr", s.MultiStepLR: "multistep_lr", s.ExponentialLR: "exponential_lr",
    s.ConstantLR: "constant_lr", s.LinearLR: "linear_lr", s.PolynomialLR: "polynomial_lr",
    s.CosineAnnealingLR: "cosine_annealing_lr",
    s.CosineAnnealingWarmRestarts: "cosine_annealing_warm_restarts",
    s.OneCycleLR: "one_cycle_lr", s.OneCycleMomentum: "one_cycle_momentum",
    s.CyclicLR: "cyclic_lr", s.CyclicMomentum: "cyclic_momentum",
    s.LinearWarmup: "linear_warmup", s.ExponentialWarmup: "exponential_warmup",
    s.CosineWarmup: "cosine_warmup", s.WarmupWithDecay: "warmup_with_decay",
    s.ExponentialCyclicLR: "exponential_cyclic_lr", s.ListSchedule: "list_schedule",
    s.RangeFinder: "range_finder", s.OneCyclePolicyLR: "one_cycle_policy",
    s.LambdaLR: "lambda_lr", _compose.MultiplicativeLR: "multiplicative_lr",
    _compose.SWALR: "swalr", _compose.Chained: "chained_scheduler",
    _compose.Sequential: "sequential_lr",
    _hf.LinearWithWarmup: "linear_with_warmup", _hf.CosineWithWarmup: "cosine_with_warmup",
    _hf.CosineWithMinLRWithWarmup: "cosine_with_min_lr_with_warmup",
    _hf.CosineWithHardRestartsWithWarmup: "cosine_with_hard_restarts_with_warmup",
    _hf.PolynomialDecayWithWarmup: "polynomial_decay_with_warmup",
    _hf.ConstantWithWarmup: "constant_with_warmup", _hf.InverseSqrt: "inverse_sqrt",
    _hf.WarmupStableDecay: "warmup_stable_decay",
    _timm.TimmCosine: "timm_cosine", _timm.TimmTanh: "timm_tanh",
}


def plain(name: str, value: Any) -> Any:
    """``value`` as JSON data (tuples become lists); ValueError naming ``name`` otherwise."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        if not math.isfinite(float(value)):
            raise ValueError(f"{name}={value!r} is not finite: no plain-data config")
        return float(value)
    if isinstance(value, (list, tuple)):
        return [plain(f"{name}[{i}]", x) for i, x in enumerate(value)]
    if isinstance(value, dict):
        if set(value) == {"name", "args"}:
            return value  # a nested config
        return {str(k): plain(f"{name}[{k!r}]", x) for k, x in value.items()}
    if callable(value):
        raise ValueError(f"{name} is a Python callable ({value!r}): a schedule with a "
                         "callable argument has no plain-data config")
    if getattr(value, "shape", None) == () and hasattr(value, "item"):
        return plain(name, value.item())  # a concrete 0-d array
    raise ValueError(f"{name}={value!r} is not plain data (number, string, list or None)")


def spec_config(spec: s.Schedule) -> dict[str, Any]:
    """The config of a core spec: ``{"name": ..., "args": {field: value}}``.

    Members of :class:`sched_core.Sequential` must carry their own spec (``.spec``, as
    ``optax_sched`` schedules do); :class:`sched_core.Chained` members are specs.

    Raises:
      ValueError: the spec has a callable or traced argument, or no config name.
    """
    cls = type(spec)
    if cls not in CONFIG_NAMES:
        raise ValueError(f"{cls.__name__} has no config name (compose it from named "
                         "schedules)")
    name = CONFIG_NAMES[cls]
    if isinstance(spec, _compose.Sequential):
        members = []
        for i, member in enumerate(spec.schedules):
            inner = getattr(member, "spec", None)
            if inner is None:
                raise ValueError(f"schedules[{i}] ({member!r}) carries no spec: only "
                                 "optax_sched schedules have a config")
            members.append(spec_config(inner))
        return {"name": name, "args": {"schedules": members,
                                       "milestones": [int(m) for m in spec.milestones]}}
    if isinstance(spec, _compose.Chained):
        return {"name": name, "args": {"schedules": [spec_config(m) for m in spec.specs]}}
    args = {f.name: plain(f"{name}: {f.name}", getattr(spec, f.name))
            for f in dataclasses.fields(spec) if f.init}  # type: ignore[arg-type]
    if isinstance(spec, _hf.CosineWithMinLRWithWarmup):
        args["min_lr"] = None  # normalised to min_lr_rate at construction
    elif isinstance(spec, _hf.CosineWithWarmup):
        args.pop("min_lr_rate")  # not an argument of cosine_with_warmup (always 0 there)
    return {"name": name, "args": args}


def unpack(config: Any) -> tuple[str, dict[str, Any]]:
    """``(name, a copy of args)`` of a config; ValueError if it is not one."""
    if not (isinstance(config, dict) and isinstance(config.get("name"), str)
            and isinstance(config.get("args"), dict)):
        raise ValueError(f"config must be a dict {{'name': str, 'args': dict}}, got {config!r}")
    return config["name"], dict(config["args"])
