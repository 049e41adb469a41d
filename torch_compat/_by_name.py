"""Building torch_compat schedulers by optax_sched factory name, with the factory's arguments."""

from __future__ import annotations

import dataclasses
from typing import Any

from torch.optim import Optimizer
from torch.optim.lr_scheduler import _update_param_group_val

from sched_core._config import unpack
from torch_compat._base import check_optimizer
from torch_compat._base import has_momentum

__all__ = ["FACES", "TorchFace", "config_of", "from_config", "from_name"]


@dataclasses.dataclass(frozen=True)
class TorchFace:
    """How an ``optax_sched`` factory's arguments map onto a ``torch_compat`` class.

    Attributes:
      torch_class: the ``torch_compat`` class name.
      scale: ``"group"``: the factory's ``lr_arg`` is each param group's ``lr`` (torch's
        signature; other scale arguments become per-group lists); ``"list"``: the
        scale arguments are passed to the class, one value or one per param group.
      rename: ``(factory argument, torch argument)`` pairs.
      momentum: the class schedules momentum when the optimizer has one (``cycle_momentum``).
      lr_arg: the factory argument that becomes each group's ``lr`` (``scale="group"``).
    """

    torch_class: str
    scale: str = "group"
    rename: tuple[tuple[str, str], ...] = ()
    momentum: bool = False
    lr_arg: str = "init_value"


#: optax_sched factory name -> its torch_compat face
FACES: dict[str, TorchFace] = {
    "step_lr": TorchFace("StepLR"),
    "multistep_lr": TorchFace("MultiStepLR"),
    "exponential_lr": TorchFace("ExponentialLR"),
    "constant_lr": TorchFace("ConstantLR"),
    "linear_lr": TorchFace("LinearLR"),
    "polynomial_lr": TorchFace("PolynomialLR"),
    "cosine_annealing_lr": TorchFace("CosineAnnealingLR"),
    "cosine_annealing_warm_restarts": TorchFace("CosineAnnealingWarmRestarts"),
    "one_cycle_lr": TorchFace("OneCycleLR", "list", momentum=True),
    "cyclic_lr": TorchFace("CyclicLR", "list", momentum=True),
    "lambda_lr": TorchFace("LambdaLR", rename=(("fn", "lr_lambda"),)),
    "multiplicative_lr": TorchFace("MultiplicativeLR", rename=(("fn", "lr_lambda"),)),
    "swalr": TorchFace("SWALR"),
    "linear_warmup": TorchFace("LinearWarmup", "list"),
    "exponential_warmup": TorchFace("ExponentialWarmup", "list"),
    "cosine_warmup": TorchFace("CosineWarmup", "list"),
    "warmup_with_decay": TorchFace("WarmupWithDecay", "list"),
    "exponential_cyclic_lr": TorchFace("ExponentialCyclicLR", "list"),
    "list_schedule": TorchFace("ListScheduler", "list", rename=(("values", "lrs"),)),
    "range_finder": TorchFace("RangeFinder", "list"),
    "one_cycle_policy": TorchFace("OneCyclePolicy", "list"),
    "constant_with_warmup": TorchFace("ConstantWithWarmup"),
    "cosine_with_hard_restarts_with_warmup": TorchFace("CosineWithHardRestartsWithWarmup"),
    "cosine_with_min_lr_with_warmup": TorchFace("CosineWithMinLRWithWarmup"),
    "cosine_with_warmup": TorchFace("CosineWithWarmup"),
    "inverse_sqrt": TorchFace("InverseSqrt"),
    "linear_with_warmup": TorchFace("LinearWithWarmup"),
    "polynomial_decay_with_warmup": TorchFace("PolynomialDecayWithWarmup"),
    "warmup_stable_decay": TorchFace("WarmupStableDecay"),
    "timm_cosine": TorchFace("TimmCosineLR", lr_arg="base_lr"),
    "timm_tanh": TorchFace("TimmTanhLR", lr_arg="base_lr"),
    "gracos": TorchFace("GraCos", "list"),
}


def _absolute_to_hf(name: str, kw: dict[str, Any], init_value: float, default: float) -> None:
    """Hugging Face's polynomial and min-LR cosine read their absolute LR arguments against
    the optimizer's default LR; the factory's are absolute for ``init_value``."""
    if name == "polynomial_decay_with_warmup" and kw.get("lr_end") is not None:
        kw["lr_end"] = kw["lr_end"] * default / init_value if init_value else kw["lr_end"]
    if name == "cosine_with_min_lr_with_warmup" and kw.get("min_lr") is not None:
        if not init_value > 0:
            raise ValueError(f"init_value must be > 0 with min_lr, got {init_value!r}")
        kw["min_lr_rate"], kw["min_lr"] = kw["min_lr"] / init_value, None


def from_name(name: str, optimizer: Optimizer, **kwargs: Any):
    """Builds the torch_compat scheduler of ``optax_sched`` factory ``name``.

    ``kwargs`` are the ``optax_sched`` factory's arguments (for torch-signature classes the
    first LR-scale argument, e.g. ``init_value``, becomes every param group's ``lr``), so one
    set of arguments gives the same sequence in both frameworks. Momentum is scheduled when
    the class does it and the optimizer has ``momentum``/``betas``. ``gracos`` accepts
    ``out_of_phase=True`` (``GraCosOOP``).

    Raises:
      KeyError: unknown name (the message lists the valid ones).
      ValueError, TypeError: invalid arguments, from the class.
    """
    import torch_compat

    check_optimizer(optimizer)
    if name not in FACES:
        raise KeyError(f"unknown schedule {name!r}; valid: {', '.join(sorted(FACES))}")
    face = FACES[name]
    kw = dict(kwargs)
    if name == "gracos":
        cls = torch_compat.GraCosOOP if kw.pop("out_of_phase", False) else torch_compat.GraCos
        kw.pop("inner", None)  # the torch optimizer is the inner transform
        kw.pop("leaf_order", None)  # the param groups' order is the leaf order in torch
        return cls(optimizer, **kw)
    for src, dst in face.rename:
        if src in kw:
            kw[dst] = kw.pop(src)
    if face.scale == "group":
        if face.lr_arg in kw:
            lr = kw.pop(face.lr_arg)
            _absolute_to_hf(name, kw, lr, float(optimizer.defaults.get("lr", lr)))
            for group in optimizer.param_groups:
                _update_param_group_val(group, "lr", lr)  # fill_ a tensor LR in place
                group.pop("initial_lr", None)
    if face.momentum:
        kw.setdefault("cycle_momentum", has_momentum(optimizer))
    return getattr(torch_compat, face.torch_class)(optimizer, **kw)


def config_of(scheduler: Any, group: int = 0) -> dict[str, Any]:
    """The plain-data config of param group ``group``'s schedule: ``{"name", "args"}``.

    The name and arguments are the ``optax_sched`` factory's, so ``optax_sched.from_config``
    rebuilds the same sequence in JAX (and :func:`from_config` on another optimizer).
    Momentum settings (``base_momentum``/``max_momentum``, ``momentum_range``) are included
    when the scheduler writes momentum. ``SequentialLR`` and ``ChainedScheduler`` nest their
    members' configs.

    Raises:
      ValueError: a callable argument (``LambdaLR``), a stateful scheduler (``GraCos``,
        ``ReduceLROnPlateau``) or a class this package did not make.
    """
    import sched_core as core
    import torch_compat

    if isinstance(scheduler, torch_compat.SequentialLR):
        return {"name": "sequential_lr",
                "args": {"schedules": [config_of(m, group) for m in scheduler._schedulers],
                         "milestones": [int(m) for m in scheduler._milestones]}}
    if isinstance(scheduler, torch_compat.GraCos):
        args = {n: getattr(scheduler, n) for n in scheduler._hyperparams}
        args.update(clip_norm=scheduler.clip_norm,
                    out_of_phase=isinstance(scheduler, torch_compat.GraCosOOP))
        return {"name": "gracos", "args": {k: core._config.plain(k, x) for k, x in args.items()}}
    if isinstance(scheduler, torch_compat.ReduceLROnPlateau):
        g = scheduler.optimizer.param_groups[group]
        return {"name": "reduce_on_plateau", "args": {
            "init_value": float(g.get("initial_lr", g["lr"])), "mode": scheduler.mode,
            "factor": float(scheduler.factor), "patience": int(scheduler.patience),
            "threshold": float(scheduler.threshold), "threshold_mode": scheduler.threshold_mode,
            "cooldown": int(scheduler.cooldown), "min_lr": float(scheduler.min_lrs[group]),
            "eps": float(scheduler.eps)}}
    if isinstance(scheduler, torch_compat.AdaptiveScheduler):
        return {"name": "adaptive", "args": {k: core._config.plain(k, x)
                                             for k, x in scheduler.config_args().items()}}
    if isinstance(scheduler, torch_compat.ChainedScheduler):
        return {"name": "chained_scheduler",
                "args": {"schedules": [config_of(m, group) for m in scheduler._schedulers]}}
    if not (isinstance(scheduler, torch_compat.CoreLRScheduler)
            and scheduler._per_group_specs):
        raise ValueError(f"{type(scheduler).__name__} has no plain-data config (only "
                         "torch_compat's closed-form schedulers and their compositions)")
    config = core.spec_config(scheduler._lr_specs[group])
    moms = scheduler._momentum_specs
    if isinstance(scheduler, torch_compat.OneCyclePolicy):
        mom: Any = None if moms is None else moms[group]
        config["args"]["momentum_range"] = (
            None if mom is None else [float(x) for x in mom.momentum_range])
    elif moms is not None and config["name"] in ("one_cycle_lr", "cyclic_lr"):
        mom = moms[group]
        config["args"]["base_momentum"] = float(mom.base_momentum)
        config["args"]["max_momentum"] = float(mom.max_momentum)
    return config


def from_config(config: Any, optimizer: Optimizer, model: Any = None):
    """Builds the torch_compat scheduler a config describes (:func:`config_of`, or
    ``optax_sched.config_of`` on the JAX face) on ``optimizer``, as :func:`from_name` does.

    ``adaptive`` (``AdaptiveScheduler``) also needs the ``model``.

    Raises:
      ValueError: not a config; KeyError: unknown name; ValueError/TypeError: bad arguments.
    """
    import torch_compat

    name, args = unpack(config)
    if name == "sequential_lr":
        members = [from_config(c, optimizer) for c in args["schedules"]]
        return torch_compat.SequentialLR(optimizer, members, args["milestones"])
    if name == "chained_scheduler":
        return torch_compat.ChainedScheduler(
            [from_config(c, optimizer) for c in args["schedules"]])
    if name == "reduce_on_plateau":
        lr = args.pop("init_value")
        for g in check_optimizer(optimizer).param_groups:
            _update_param_group_val(g, "lr", lr)
            g.pop("initial_lr", None)
        return torch_compat.ReduceLROnPlateau(optimizer, **args)
    if name == "adaptive":
        if model is None:
            raise ValueError("an adaptive config rebuilds torch_compat.AdaptiveScheduler, which "
                             "needs the model: from_config(config, optimizer, model=model)")
        args.pop("base_optimizer", None)  # the torch optimizer is the one passed in
        return torch_compat.AdaptiveScheduler(optimizer, model, **args)
    return from_name(name, optimizer, **args)
