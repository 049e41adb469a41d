"""Every schedule either face exports has its records: parity family, >= 3 parity cases, a
catalog entry (CLI/gallery), a docs/math.md section and a README row.

The check loops over what the packages *export*, not over the registries, so a schedule
added with only its library code fails here.
"""

from __future__ import annotations

import collections
import inspect
import pathlib

import pytest
from torch.optim.lr_scheduler import LRScheduler

import optax_sched
import optax_sched._schedules as optax_schedules
import torch_compat
from sched_core.cases import CASES
from sched_core.cases import FAMILIES
from sched_core.catalog import CATALOG

ROOT = pathlib.Path(__file__).resolve().parents[1]

#: optax_sched schedule factories without a parity family of their own, and why
COMPOSITES = {
    "sequential_lr": "composes other schedules (tested in parity_tests/test_torch_contract.py)",
    "chained_scheduler": "composes other schedules (tested against torch's ChainedScheduler)",
    "one_cycle_momentum": "the momentum of the one_cycle_lr family (its cases carry it)",
    "cyclic_momentum": "the momentum of the cyclic_lr family (its cases carry it)",
    "from_core": "wraps any core spec",
}
#: torch_compat LRScheduler classes outside the families, and why
TORCH_EXTRAS = {
    "CoreLRScheduler": "the base class",
    "SequentialLR": "torch's container (composition tests)",
    "ChainedScheduler": "torch's container (composition tests)",
    "ReduceLROnPlateau": "stateful (parity_tests/test_plateau_parity.py)",
    "GraCos": "stateful (parity_tests/test_gracos_parity.py)",
    "GraCosOOP": "stateful (parity_tests/test_gracos_parity.py)",
    "LambdaScheduler": "LambdaLR plus a momentum lambda (tests/test_torch_compat.py)",
}


def missing_records(optax_names, torch_classes) -> list[str]:
    """What each exported schedule lacks; empty when every record is there."""
    readme = (ROOT / "README.md").read_text()
    math_doc = (ROOT / "docs" / "math.md").read_text()
    cases = collections.Counter(c.schedule for c in CASES)
    families_by_class = {f.torch_class for f in FAMILIES.values()}
    missing = []
    for name in optax_names:
        if name in COMPOSITES:
            continue
        if name not in FAMILIES:
            missing.append(f"{name}: no parity family (sched_core.cases.FAMILIES)")
        if cases[name] < 3:
            missing.append(f"{name}: {cases[name]} parity cases, at least 3 needed")
        if name not in CATALOG:
            missing.append(f"{name}: no catalog entry (sched_core.catalog.CATALOG)")
        if name not in math_doc:
            missing.append(f"{name}: not in docs/math.md")
        if f"`{name}(" not in readme:
            missing.append(f"{name}: no README table row")
    for cls_name in torch_classes:
        if cls_name in TORCH_EXTRAS:
            continue
        if cls_name not in families_by_class:
            missing.append(f"torch_compat.{cls_name}: no parity family maps to it")
        if f"`{cls_name}" not in readme:
            missing.append(f"torch_compat.{cls_name}: no README table row")
    return missing


def _exported_factories(module_all, namespace) -> list[str]:
    return [n for n in module_all if n in optax_schedules.__all__
            and inspect.isfunction(getattr(namespace, n))]


def _exported_torch_classes() -> list[str]:
    return [n for n in torch_compat.__all__
            if inspect.isclass(getattr(torch_compat, n))
            and issubclass(getattr(torch_compat, n), LRScheduler)]


def test_every_exported_schedule_has_all_its_records():
    factories = _exported_factories(optax_sched.__all__, optax_sched)
    assert len(factories) >= 25  # the check really sees the factories
    assert missing_records(factories, _exported_torch_classes()) == []


def test_a_schedule_added_without_its_records_is_caught(monkeypatch):
    def warmup_stable_decay(init_value: float):
        """A new factory added to the library files only."""
        return optax_sched.from_core(None)

    monkeypatch.setattr(optax_schedules, "__all__",
                        [*optax_schedules.__all__, "warmup_stable_decay"])
    monkeypatch.setattr(optax_sched, "warmup_stable_decay", warmup_stable_decay,
                        raising=False)
    names = _exported_factories([*optax_sched.__all__, "warmup_stable_decay"], optax_sched)
    assert "warmup_stable_decay" in names

    class WarmupStableDecay(torch_compat.CoreLRScheduler):
        """A new torch class added without its family."""

    monkeypatch.setattr(torch_compat, "WarmupStableDecay", WarmupStableDecay, raising=False)
    missing = missing_records(names, [*_exported_torch_classes(), "WarmupStableDecay"])
    assert any(m.startswith("warmup_stable_decay: no parity family") for m in missing)
    assert any(m.startswith("warmup_stable_decay: 0 parity cases") for m in missing)
    assert any(m.startswith("warmup_stable_decay: no catalog entry") for m in missing)
    assert any(m.startswith("warmup_stable_decay: not in docs/math.md") for m in missing)
    assert any(m.startswith("torch_compat.WarmupStableDecay: no parity family") for m in missing)


@pytest.mark.parametrize("name", sorted(COMPOSITES))
def test_every_exemption_is_still_exported(name):
    assert name in optax_schedules.__all__
