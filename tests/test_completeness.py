"""Every schedule either face exports has its record (``sched_tools._records``): a kind, at
least 3 parity cases for schedules, a docs/math.md section, and the README's table is the one
the records generate.

The check loops over what the packages *export*, not over the records, so a schedule added
with only its library code fails here.
"""

from __future__ import annotations

import inspect
import pathlib

import pytest
from torch.optim.lr_scheduler import LRScheduler

import optax_sched
import optax_sched._schedules as optax_schedules
import torch_compat
from optax_sched._by_name import MOMENTUM_COMPANIONS
from sched_tools._records import RECORDS
from sched_tools._records import readme_table
from torch_compat._by_name import FACES

ROOT = pathlib.Path(__file__).resolve().parents[1]

#: exported names that are parts of a record rather than schedules of their own, and why
PARTS = {
    "one_cycle_momentum": "the momentum of the one_cycle_lr record (its cases carry it)",
    "cyclic_momentum": "the momentum of the cyclic_lr record (its cases carry it)",
    "from_core": "wraps any core spec",
    "CoreLRScheduler": "the base class",
    "GraCosOOP": "the out-of-phase variant of the gracos record",
}


def _torch_class(name: str, records) -> str | None:
    rec = records[name]
    if rec.torch_class is not None:
        return rec.torch_class
    face = FACES.get(name)
    return None if face is None else face.torch_class


def missing_records(optax_names, torch_classes, records=RECORDS) -> list[str]:
    """What each exported schedule lacks; empty when every record is there."""
    math_doc = (ROOT / "docs" / "math.md").read_text()
    missing = []
    for name in optax_names:
        if name in PARTS:
            continue
        rec = records.get(name)
        if rec is None:
            missing.append(f"{name}: no record (sched_tools._records)")
            continue
        if rec.kind == "schedule" and len(rec.cases) < 3:
            missing.append(f"{name}: {len(rec.cases)} parity cases, at least 3 needed")
        if rec.kind == "schedule" and name not in FACES:
            missing.append(f"{name}: no torch face (torch_compat._by_name.FACES)")
        if not rec.math:
            missing.append(f"{name}: no docs/math.md anchor")
        if name not in math_doc:
            missing.append(f"{name}: not in docs/math.md")
    claimed = {_torch_class(n, records) for n in records}
    for cls_name in torch_classes:
        if cls_name not in PARTS and cls_name not in claimed:
            missing.append(f"torch_compat.{cls_name}: no record claims it")
    return missing


#: exported functions that are not schedules (utilities, state readers)
UTILITIES = {"adaptive_snapshot", "config_of", "current_lr", "current_momentum", "from_config",
             "from_name", "from_torch",
             "inject_schedules", "leaf_names", "lr_finder", "register_reader"}


def _exported_factories(module_all, namespace) -> list[str]:
    """Every exported function but the utilities: schedules and transforms alike."""
    return [n for n in module_all if n not in UTILITIES
            and inspect.isfunction(getattr(namespace, n))]


def _transforms() -> list[str]:
    return [n for n in ("gracos", "reduce_on_plateau", "adaptive") if n in optax_sched.__all__]


def _exported_torch_classes() -> list[str]:
    return [n for n in torch_compat.__all__
            if inspect.isclass(getattr(torch_compat, n))
            and (issubclass(getattr(torch_compat, n), LRScheduler)
                 or n == "AdaptiveScheduler")]


def test_every_exported_schedule_has_all_its_records():
    factories = _exported_factories(optax_sched.__all__, optax_sched)
    assert len(factories) >= 25  # the check really sees the factories
    assert set(_transforms()) <= set(factories)
    assert missing_records(factories, _exported_torch_classes()) == []


def test_readme_table_is_the_generated_one():
    readme = (ROOT / "README.md").read_text()
    assert readme_table() in readme, "README table is stale: paste `optax-sched table`"


def test_momentum_companions_are_exported():
    for name, (factory, shared) in MOMENTUM_COMPANIONS.items():
        assert name in RECORDS and factory in optax_sched.__all__
        params = inspect.signature(getattr(optax_sched, factory)).parameters
        assert set(shared) <= set(params), (factory, shared)


def test_a_schedule_added_without_its_records_is_caught(monkeypatch):
    def made_up_decay(init_value: float):
        """A new factory added to the library files only."""
        return optax_sched.from_core(None)

    monkeypatch.setattr(optax_sched, "made_up_decay", made_up_decay,
                        raising=False)
    names = _exported_factories([*optax_sched.__all__, "made_up_decay"], optax_sched)
    assert "made_up_decay" in names

    class MadeUpDecay(torch_compat.CoreLRScheduler):
        """A new torch class added without its record."""

    monkeypatch.setattr(torch_compat, "MadeUpDecay", MadeUpDecay, raising=False)
    missing = missing_records(names, [*_exported_torch_classes(), "MadeUpDecay"])
    assert "made_up_decay: no record (sched_tools._records)" in missing
    assert "torch_compat.MadeUpDecay: no record claims it" in missing


def test_a_record_without_cases_or_math_is_caught():
    import dataclasses

    bare = dataclasses.replace(RECORDS["step_lr"], name="made_up_decay", cases=(),
                               math="")
    missing = missing_records(["made_up_decay"], [],
                              {**RECORDS, "made_up_decay": bare})
    assert "made_up_decay: 0 parity cases, at least 3 needed" in missing
    assert "made_up_decay: no torch face (torch_compat._by_name.FACES)" in missing
    assert "made_up_decay: no docs/math.md anchor" in missing
    assert "made_up_decay: not in docs/math.md" in missing


@pytest.mark.parametrize("name", sorted(PARTS))
def test_every_exemption_is_still_exported(name):
    assert name in optax_schedules.__all__ or name in torch_compat.__all__
