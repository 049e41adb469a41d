"""Schedulers composed on one optimizer, torch_compat against torch's own classes.

Every ordered pair of torch-named families is stepped on one optimizer (co-stepped, and
inside torch's ``ChainedScheduler``), ``ReduceLROnPlateau`` beside each family (both
orders), ``SequentialLR`` over torch's classes, torch_compat's and user subclasses, and
seeded random mixes of torch and torch_compat schedulers. The same construction with
torch's classes is the reference; the bound is the ``builtin`` row of the tolerance table
(torch's own recursive drift). Used alone, a scheduler writes its closed form bit for bit.
"""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest
import torch
from torch.optim import lr_scheduler as tl
from torch.optim import swa_utils

import torch_compat as tc
from parity_tests.tolerances import assert_within, max_violation

STEPS = 40


class _Torch:
    """torch's classes under torch_compat's names."""

    def __getattr__(self, name):
        if name == "SWALR":
            return swa_utils.SWALR
        return getattr(tl, name)


TORCH = _Torch()

#: family -> builder(module, optimizer) -> scheduler; each ends inside its valid range.
FAMILIES = {
    "StepLR": lambda m, o: m.StepLR(o, step_size=3, gamma=0.5),
    "MultiStepLR": lambda m, o: m.MultiStepLR(o, milestones=[2, 5, 5, 11], gamma=0.3),
    "ConstantLR": lambda m, o: m.ConstantLR(o, factor=0.25, total_iters=4),
    "LinearLR": lambda m, o: m.LinearLR(o, start_factor=0.2, end_factor=0.9, total_iters=6),
    "ExponentialLR": lambda m, o: m.ExponentialLR(o, gamma=0.93),
    "PolynomialLR": lambda m, o: m.PolynomialLR(o, total_iters=9, power=2.0),
    "CosineAnnealingLR": lambda m, o: m.CosineAnnealingLR(o, T_max=7, eta_min=0.002),
    "CosineAnnealingLR0": lambda m, o: m.CosineAnnealingLR(o, T_max=5),
    "MultiplicativeLR": lambda m, o: m.MultiplicativeLR(o, lr_lambda=lambda e: 0.97),
    "LambdaLR": lambda m, o: m.LambdaLR(o, lr_lambda=lambda e: 1.0 / (1 + e)),
    "CosineAnnealingWarmRestarts": lambda m, o: m.CosineAnnealingWarmRestarts(
        o, T_0=4, T_mult=2, eta_min=0.001),
    "OneCycleLR": lambda m, o: m.OneCycleLR(o, max_lr=[0.4, 0.2], total_steps=2 * STEPS + 5),
    "CyclicLR": lambda m, o: m.CyclicLR(o, base_lr=0.01, max_lr=[0.1, 0.2], step_size_up=5,
                                        mode="triangular2"),
    "SWALR": lambda m, o: m.SWALR(o, swa_lr=0.01, anneal_epochs=5),
}


def _optimizer():
    params = [torch.nn.Parameter(torch.zeros(2)), torch.nn.Parameter(torch.zeros(3))]
    return torch.optim.SGD([{"params": [params[0]]}, {"params": [params[1]], "lr": 0.5}],
                           lr=0.05, momentum=0.9)


def _run(builder, steps=STEPS, metrics=None):
    """LR (and momentum) of every group before each update, for one construction."""
    opt = _optimizer()
    scheds = builder(opt)
    lrs, moms = [], []
    for k in range(steps):
        lrs.append([float(g["lr"]) for g in opt.param_groups])
        moms.append([float(g["momentum"]) for g in opt.param_groups])
        opt.step()
        for s in scheds:
            if isinstance(s, tl.ReduceLROnPlateau):
                s.step(metrics[k])
            else:
                s.step()
    return np.asarray(lrs).T, np.asarray(moms).T


def _compare(build, what, metrics=None):
    ours = _run(lambda o: build(tc, o), metrics=metrics)
    theirs = _run(lambda o: build(TORCH, o), metrics=metrics)
    assert_within(ours[0], theirs[0], "builtin", f"{what} lr")
    assert_within(ours[1], theirs[1], "builtin", f"{what} momentum")
    return max_violation(ours[0], theirs[0], "builtin")[0]


PAIRS = list(itertools.product(FAMILIES, repeat=2))


@pytest.mark.parametrize("first,second", PAIRS, ids=[f"{a}+{b}" for a, b in PAIRS])
def test_pair_co_stepped_and_chained_equals_torch(first, second):
    def co_stepped(m, o):
        return [FAMILIES[first](m, o), FAMILIES[second](m, o)]

    def chained(m, o):
        return [m.ChainedScheduler([FAMILIES[first](m, o), FAMILIES[second](m, o)])]

    _compare(co_stepped, f"{first} then {second}, co-stepped")
    _compare(chained, f"ChainedScheduler({first}, {second})")


def _plateau_metrics():
    # flat stretches (cuts), improvements far above the 1e-4 threshold: no near-ties
    out, value = [], 1.0
    for k in range(STEPS):
        if k % 9 == 0:
            value *= 0.5
        out.append(value)
    return out


@pytest.mark.parametrize("family", list(FAMILIES))
@pytest.mark.parametrize("plateau_first", [True, False])
def test_reduce_on_plateau_beside_each_family_equals_torch(family, plateau_first):
    def build(m, o):
        sched = FAMILIES[family](m, o)
        plateau = m.ReduceLROnPlateau(o, patience=1, factor=0.5, cooldown=1)
        return [plateau, sched] if plateau_first else [sched, plateau]

    _compare(build, f"ReduceLROnPlateau + {family}", metrics=_plateau_metrics())


def test_issue_examples_warmup_survives_chaining_and_plateau_cuts_survive_step_lr():
    lrs, _ = _run(lambda o: [tc.ChainedScheduler([tc.LinearLR(o, 0.4, total_iters=3),
                                                  tc.ExponentialLR(o, 0.9)])], steps=5)
    np.testing.assert_allclose(lrs[0], [0.02, 0.027, 0.0324, 0.03645, 0.032805], rtol=1e-12)
    flat = [1.0] * 5
    lrs, _ = _run(lambda o: [tc.ReduceLROnPlateau(o, patience=0), tc.StepLR(o, 100)],
                  steps=5, metrics=flat)
    np.testing.assert_allclose(lrs[1], [0.5, 0.5, 0.05, 0.005, 0.0005], rtol=1e-12)


class _HalvingEvery4(tl.LRScheduler):
    """A user subclass of torch's base class (chainable, like torch's own)."""

    def get_lr(self):
        if self.last_epoch > 0 and self.last_epoch % 4 == 0:
            return [g["lr"] * 0.5 for g in self.optimizer.param_groups]
        return [g["lr"] for g in self.optimizer.param_groups]


@pytest.mark.parametrize("members", [
    ("LinearLR", "CosineAnnealingLR0"),
    ("ConstantLR", "ExponentialLR", "StepLR"),
    ("OneCycleLR", "SWALR"),
    ("CyclicLR", "PolynomialLR"),
    ("CosineAnnealingWarmRestarts", "MultiplicativeLR"),
])
@pytest.mark.parametrize("member_lib", ["torch_compat", "torch", "mixed"])
def test_sequential_lr_accepts_every_scheduler(members, member_lib):
    milestones = [7 * (i + 1) for i in range(len(members) - 1)]

    def build(m, o):
        children = []
        for i, name in enumerate(members):
            lib = {"torch_compat": m, "torch": TORCH, "mixed": m if i % 2 else TORCH}[member_lib]
            children.append(FAMILIES[name](lib, o))
        return [m.SequentialLR(o, children, milestones=milestones)]

    _compare(build, f"SequentialLR{members} members from {member_lib}")


def test_sequential_lr_over_chained_scheduler_and_user_subclass():
    def build(m, o):
        warm = m.ChainedScheduler([m.LinearLR(o, 0.1, total_iters=5), m.ExponentialLR(o, 0.95)])
        return [m.SequentialLR(o, [warm, _HalvingEvery4(o), m.CosineAnnealingLR(o, 6)],
                               milestones=[6, 15])]

    _compare(build, "SequentialLR(ChainedScheduler, user subclass, cosine)")


LIBS = ("torch_compat", "torch")


def _random_build(rng: random.Random):
    """A random mix: 1-3 schedulers, each from torch or torch_compat, some wrapped."""
    names = [rng.choice(list(FAMILIES)) for _ in range(rng.randint(1, 3))]
    libs = [rng.choice(LIBS) for _ in names]
    wrap = rng.choice(["none", "chained", "sequential"])
    with_plateau = rng.random() < 0.4

    def build(m, o, force_torch=False):
        def lib(i):
            return TORCH if force_torch or libs[i] == "torch" else m
        scheds = [FAMILIES[n](lib(i), o) for i, n in enumerate(names)]
        if wrap == "chained":
            scheds = [lib(0).ChainedScheduler(scheds)]
        elif wrap == "sequential" and len(scheds) > 1:
            scheds = [lib(0).SequentialLR(o, scheds, milestones=[9 * (i + 1)
                                                                  for i in range(len(scheds) - 1)])]
        if with_plateau:
            scheds.insert(rng_pos, lib(0).ReduceLROnPlateau(o, patience=1, factor=0.5))
        return scheds

    rng_pos = rng.randint(0, 1)
    return names, libs, wrap, with_plateau, build


@pytest.mark.parametrize("seed", range(60))
def test_random_compositions_of_torch_and_torch_compat_equal_torch_alone(seed):
    names, libs, wrap, plateau, build = _random_build(random.Random(seed))
    metrics = _plateau_metrics()
    ours = _run(lambda o: build(tc, o), metrics=metrics)
    theirs = _run(lambda o: build(tc, o, force_torch=True), metrics=metrics)
    what = f"seed {seed}: {names} from {libs}, wrap={wrap}, plateau={plateau}"
    assert_within(ours[0], theirs[0], "builtin", what + " lr")
    assert_within(ours[1], theirs[1], "builtin", what + " momentum")


@pytest.mark.parametrize("family", [f for f in FAMILIES if f not in ("OneCycleLR",)])
def test_alone_every_scheduler_writes_its_closed_form_bitwise(family):
    opt = _optimizer()
    sched = FAMILIES[family](tc, opt)
    for k in range(3 * STEPS):
        assert sched.get_last_lr() == sched.lr_at(k), (family, k)
        opt.step()
        sched.step()


def test_alone_no_drift_over_300_000_steps():
    n = 300_000
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    sched = tc.ExponentialLR(opt, gamma=1 - 3e-6)
    for _ in range(n):
        sched.step()
    assert sched.get_last_lr() == sched.lr_at(n)
    assert sched._chain[0][1] is None  # never left the closed form
    np.testing.assert_allclose(sched.get_last_lr()[0], 0.1 * (1 - 3e-6) ** n, rtol=1e-12)


def test_tensor_lr_composes_without_reading_untouched_values_back():
    lr = torch.tensor(0.1, dtype=torch.float64)
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    step, plateau = tc.StepLR(opt, 2, 0.5), tc.ReduceLROnPlateau(opt, patience=0)
    ref_opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))],
                              lr=torch.tensor(0.1, dtype=torch.float64))
    ref = [tl.StepLR(ref_opt, 2, 0.5), tl.ReduceLROnPlateau(ref_opt, patience=0)]
    for k in range(10):
        assert opt.param_groups[0]["lr"] is lr  # updated in place
        assert float(lr) == pytest.approx(float(ref_opt.param_groups[0]["lr"]), rel=1e-12)
        opt.step()
        ref_opt.step()
        for s, r in ((step, ref[0]), (plateau, ref[1])):
            if isinstance(s, tl.ReduceLROnPlateau):
                s.step(1.0)
                r.step(1.0)
            else:
                s.step()
                r.step()


def test_tensor_lr_is_never_read_back_while_nobody_else_changes_it():
    """Each step fills the tensor LR in place; what it holds is rounded on the host, so a
    GPU run does not synchronise on every scheduler step."""
    from unittest import mock

    for build in (lambda o: tc.StepLR(o, 2, 0.5), lambda o: tc.OneCycleLR(o, 0.5, 20),
                  lambda o: tc.CosineAnnealingLR(o, 5, eta_min=0.01)):
        opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=torch.tensor(0.1),
                              momentum=0.9)
        sched = build(opt)
        with mock.patch.object(torch.Tensor, "item", side_effect=AssertionError("read back")):
            for _ in range(12):
                opt.step()
                sched.step()
        assert float(opt.param_groups[0]["lr"]) == pytest.approx(sched.lr_at(12)[0], rel=1e-6)
