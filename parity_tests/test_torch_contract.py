"""torch's scheduler contract, checked on torch's classes and on torch_compat's.

Each test is written from torch's documented behaviour (and from the style of torch's own
``test/optim/test_lrscheduler.py``) and runs twice: ``M`` is torch's
``torch.optim.lr_scheduler`` (plus ``swa_utils.SWALR``), proving the expectation, and
``torch_compat``, proving the drop-in. Tests that cover torch_compat's extensions
(``decay``/``warmup_steps``, float ``T_mult``, the optax face) use torch_compat only.
"""

from __future__ import annotations

import copy
import gc
import math
import pickle
import tempfile
import types
import warnings
import weakref

import numpy as np
import pytest
import torch
from torch.optim import lr_scheduler as tl
from torch.optim import swa_utils

import optax_sched
import torch_compat as tc

EPOCH_WARNING = tl.EPOCH_DEPRECATION_WARNING


class _TorchNS:
    def __getattr__(self, name):
        return swa_utils.SWALR if name == "SWALR" else getattr(tl, name)


@pytest.fixture(params=["torch", "torch_compat"])
def M(request):
    return _TorchNS() if request.param == "torch" else tc


class _Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 1, 1)
        self.conv2 = torch.nn.Conv2d(1, 1, 1)


def _opt(kind="sgd", lr=0.05):
    net = _Net()
    groups = [{"params": net.conv1.parameters()}, {"params": net.conv2.parameters(), "lr": 0.5}]
    if kind == "adam":
        return torch.optim.Adam(groups, lr=lr, betas=(0.9, 0.999))
    return torch.optim.SGD(groups, lr=lr)


def _lrs(opt):
    return [float(g["lr"]) for g in opt.param_groups]


def _drive(opt, scheds, targets, epochs):
    for epoch in range(epochs):
        for group, target in zip(opt.param_groups, targets):
            assert float(group["lr"]) == pytest.approx(target[epoch], abs=1e-5, rel=0), epoch
        opt.step()
        for s in scheds:
            s.step()


# --------------------------------------------------------------------- composition (torch's)


def test_chained_scheduler_of_constant_and_exponential(M):
    opt = _opt()
    targets = [[0.05 * 0.1 * 0.9**k if k < 4 else 0.05 * 0.9**k for k in range(10)]]
    sched = M.ChainedScheduler([M.ConstantLR(opt, factor=0.1, total_iters=4),
                                M.ExponentialLR(opt, gamma=0.9)])
    _drive(opt, [sched], targets + [[10 * x for x in targets[0]]], 10)


def test_compound_step_and_multistep(M):
    opt = _opt()
    single = [0.05] * 2 + [0.005] * 1 + [0.0005] * 2 + [0.00005] * 5
    single = [x * 0.1 ** (i // 3) for i, x in enumerate(single)]
    targets = [single, [10 * x for x in single]]
    scheds = [M.StepLR(opt, gamma=0.1, step_size=3),
              M.MultiStepLR(opt, gamma=0.1, milestones=[2, 5, 9])]
    expected = [[0.05 * 0.1 ** (k // 3) * 0.1 ** sum(m <= k for m in (2, 5, 9)) for k in range(10)]]
    _drive(opt, scheds, expected + [[10 * x for x in expected[0]]], 10)
    assert targets  # torch's own table, the same sequence written out above


def test_compound_cosine_and_linear(M):
    opt = _opt()
    eta_min, T = 1e-10, 10
    cos = [eta_min + (0.05 - eta_min) * (1 + math.cos(math.pi * k / T)) / 2 for k in range(T)]
    lin = [0.5 + 0.5 * min(k, 4) / 4 for k in range(T)]
    single = [c * f for c, f in zip(cos, lin)]
    scheds = [M.LinearLR(opt, start_factor=0.5, total_iters=4),
              M.CosineAnnealingLR(opt, T_max=T, eta_min=eta_min)]
    _drive(opt, scheds, [single, [10 * x for x in single]], T)


def test_reduce_on_plateau_with_step_lr_keeps_the_cuts(M):
    opt = _opt()
    for g in opt.param_groups:
        g["lr"] = 0.5
    plateau = M.ReduceLROnPlateau(opt, patience=0)
    step = M.StepLR(opt, step_size=100)
    seen = []
    for _ in range(4):
        seen.append(_lrs(opt)[0])
        opt.step()
        plateau.step(1.0)
        step.step()
    assert seen == pytest.approx([0.5, 0.5, 0.05, 0.005], rel=1e-12)


def test_sequential_lr_milestone_restarts_the_member(M):
    opt = _opt()
    targets = [[0.05, 0.04, 0.032] + [0.05] * 4 + [0.005] * 4 + [0.0005] * 4 + [0.00005] * 4]
    scheds = [M.ExponentialLR(opt, gamma=0.8), M.StepLR(opt, gamma=0.1, step_size=4)]
    seq = M.SequentialLR(opt, schedulers=scheds, milestones=[3])
    _drive(opt, [seq], targets + [[10 * x for x in targets[0]]], 19)


def test_sequential_lr_rejects_plateau_and_other_optimizers(M):
    opt, other = _opt(), _opt()
    with pytest.raises(ValueError, match="does not support `ReduceLROnPlateau`"):
        M.SequentialLR(opt, [M.StepLR(opt, 2), M.ReduceLROnPlateau(opt)], milestones=[2])
    with pytest.raises(ValueError, match="to belong to the same optimizer"):
        M.SequentialLR(opt, [M.StepLR(opt, 2), M.StepLR(other, 2)], milestones=[2])


def test_sequential_lr_gracos_auto_member_gets_its_epoch_statistics():
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    warm = tc.LinearLR(opt, start_factor=0.1, total_iters=5)
    gracos = tc.GraCos(opt, 0.1, 0.001, steps_per_epoch=10, total_epochs=5, mode="auto")
    seq = tc.SequentialLR(opt, [warm, gracos], milestones=[5])
    x, y = torch.randn(32, 4), torch.randn(32, 1)
    for k in range(45):
        loss = torch.nn.functional.mse_loss(model(x) * (1 + 3 * (k % 3)), y)
        opt.zero_grad()
        loss.backward()
        if k >= 5:
            gracos.update_gradient_norm()
        opt.step()
        seq.step()
    # four epochs of the member ended: each applied its statistics (auto mode is live)
    assert gracos.amp_ratio != 1.0
    assert len(gracos._norm_tensors) == (45 - 5) % 10  # the buffer is the current epoch only
    assert seq.get_last_lr() == gracos.get_last_lr()


# --------------------------------------------------------------------- SGDR state


def test_warm_restarts_T_cur_reset_restarts_as_in_torch(M):
    opt = _opt()
    sched = M.CosineAnnealingWarmRestarts(opt, T_0=4)
    for epoch in [7, 8, 9]:
        sched.T_cur = epoch
        sched.step()
        assert sched.T_cur == (epoch + 1) % sched.T_0
        assert sched.T_i == 4


@pytest.mark.parametrize("T_mult", [1, 2, 4])
def test_warm_restarts_fractional_epochs(M, T_mult):
    opt = _opt()
    eta_min = 1e-10
    sched = M.CosineAnnealingWarmRestarts(opt, T_0=10, T_mult=T_mult, eta_min=eta_min)
    T_cur, T_i = 0.0, 10
    for epoch in torch.arange(0.1, 60, 0.1):
        epoch = round(epoch.item(), 1)
        T_cur = round(T_cur + 0.1, 1)
        if T_cur >= T_i:
            T_cur, T_i = round(T_cur - T_i, 1), T_mult * T_i
        sched.step(epoch)
        expect = eta_min + (0.05 - eta_min) * (1 + math.cos(math.pi * T_cur / T_i)) / 2
        assert _lrs(opt)[0] == pytest.approx(expect, abs=1e-5)
        assert sched.T_i == T_i
        assert sched.T_cur == pytest.approx(T_cur, abs=1e-9)
        assert sched.last_epoch == math.floor(epoch)


def test_warm_restarts_interleaved_epochs_jump_anywhere(M):
    opt = _opt()
    sched = M.CosineAnnealingWarmRestarts(opt, T_0=10, T_mult=2, eta_min=1e-10)
    epochs = [0, 1, 2, 3, 4, 5, 25, 32, 33, 34, 80, 81, 3]
    T_curs = [0, 1, 2, 3, 4, 5, 15, 2, 3, 4, 10, 11, 3]
    T_is = [10, 10, 10, 10, 10, 10, 20, 40, 40, 40, 80, 80, 10]
    for epoch, T_cur, T_i in zip(epochs, T_curs, T_is):
        opt.step()
        sched.step(epoch)
        assert (sched.T_cur, sched.T_i) == (T_cur, T_i)
        expect = 1e-10 + (0.05 - 1e-10) * (1 + math.cos(math.pi * T_cur / T_i)) / 2
        assert _lrs(opt)[0] == pytest.approx(expect, abs=1e-7)


def test_warm_restarts_explicit_epoch_does_not_warn(M):
    opt = _opt()
    sched = M.CosineAnnealingWarmRestarts(opt, T_0=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()
        sched.step(1.5)


def test_warm_restarts_extension_fractional_epoch_with_float_T_mult_and_decay():
    opt = _opt()
    sched = tc.CosineAnnealingWarmRestarts(opt, T_0=4, T_mult=1.5, decay=0.5)
    spec = sched._lr_specs[0]
    starts, lengths = spec._starts, spec._lengths
    sched.step(starts[2] + 0.25)
    assert (sched.T_cur, sched.T_i, sched._cycle) == (0.25, lengths[2], 2)
    frac = (lengths[2] - 0.25) / lengths[2]
    assert _lrs(opt)[0] == pytest.approx(0.05 * 0.25 * (1 - math.cos(math.pi * frac)) / 2
                                         + 0.05 * 0.25 * (1 + math.cos(math.pi * 0.25 / lengths[2])) / 2
                                         - 0.05 * 0.25 * (1 - math.cos(math.pi * frac)) / 2,
                                         rel=1e-12)


# --------------------------------------------------------------------- one-cycle / cyclic


def _cycle_drive(opt, sched, lr_target, mom_target, use_beta1=False):
    for k in range(len(lr_target)):
        for g in opt.param_groups:
            assert float(g["lr"]) == pytest.approx(lr_target[k], abs=1e-5)
            mom = g["betas"][0] if use_beta1 else g["momentum"]
            assert float(mom) == pytest.approx(mom_target[k], abs=1e-5)
        opt.step()
        sched.step()


@pytest.mark.parametrize("kind", ["sgd", "adam"])
def test_one_cycle_linear_accepts_torch_momentum_values(M, kind):
    opt = _opt(kind)
    sched = M.OneCycleLR(opt, max_lr=25, final_div_factor=2, base_momentum=1, max_momentum=22,
                         total_steps=10, anneal_strategy="linear")
    _cycle_drive(opt, sched, [1, 13, 25, 21.5, 18, 14.5, 11, 7.5, 4, 0.5],
                 [22, 11.5, 1, 4, 7, 10, 13, 16, 19, 22], use_beta1=kind == "adam")


def test_one_cycle_three_phases(M):
    opt = _opt()
    sched = M.OneCycleLR(opt, max_lr=25, div_factor=25, base_momentum=1, max_momentum=22,
                         total_steps=10, anneal_strategy="linear", pct_start=0.4,
                         final_div_factor=4, three_phase=True)
    _cycle_drive(opt, sched, [1, 9, 17, 25, 17, 9, 1, 0.75, 0.5, 0.25],
                 [22, 15, 8, 1, 8, 15, 22, 22, 22, 22])


def test_cyclic_triangular_with_momentum_five(M):
    opt = _opt()
    sched = M.CyclicLR(opt, base_lr=1, max_lr=5, step_size_up=4, cycle_momentum=True,
                       base_momentum=1, max_momentum=5, mode="triangular")
    _cycle_drive(opt, sched, [1, 2, 3, 4, 5, 4, 3, 2, 1, 2, 3], [5, 4, 3, 2, 1, 2, 3, 4, 5, 4, 3])


def test_one_cycle_and_cyclic_write_the_momentum_keys_into_the_groups(M):
    lr = torch.as_tensor(0.1)
    opt = torch.optim.SGD([torch.nn.Parameter(torch.randn(1))], lr=lr, momentum=0.9)
    M.OneCycleLR(opt, max_lr=lr, total_steps=10, base_momentum=0.8, max_momentum=0.95)
    ori = copy.deepcopy(opt.param_groups)
    for g in opt.param_groups:
        assert (g["base_momentum"], g["max_momentum"]) == (0.8, 0.95)
        assert float(g["max_lr"]) == pytest.approx(0.1) and float(g["initial_lr"]) == pytest.approx(0.004)
    opt2 = torch.optim.SGD([torch.nn.Parameter(torch.randn(1))], lr=0.1, momentum=0.9)
    sched = M.CyclicLR(opt2, base_lr=0.01, max_lr=0.2, base_momentum=0.7, max_momentum=0.85)
    for _ in range(2):
        opt2.step()
        sched.step()
    for g in opt2.param_groups:
        assert (g["base_momentum"], g["max_momentum"]) == (0.7, 0.85)
    assert [float(x) for x in sched.base_lrs] == [0.01] and list(sched.max_lrs) == [0.2]
    assert ori[0]["initial_lr"] == opt.param_groups[0]["initial_lr"]


def test_cyclic_scheduler_is_freed_without_the_cycle_collector(M):
    gc.disable()
    try:
        def make():
            adam = torch.optim.Adam(_Net().parameters())
            return weakref.ref(M.CyclicLR(adam, base_lr=1, max_lr=5, cycle_momentum=False))
        assert make()() is None
    finally:
        gc.enable()


def test_cyclic_momentum_needs_a_momentum_optimizer(M):
    with pytest.raises(ValueError):
        M.CyclicLR(torch.optim.Rprop(_Net().parameters()), base_lr=1, max_lr=5)
    M.CyclicLR(torch.optim.Adam(_Net().parameters()), base_lr=1, max_lr=5)  # betas[0]


# --------------------------------------------------------------------- ReduceLROnPlateau


def _plateau_with_new_group(M, min_lr):
    opt = _opt()
    for g in opt.param_groups:
        g["lr"] = 0.5
    metrics = [1] * 7 + [0.6] + [0.5] * 12
    sched = M.ReduceLROnPlateau(opt, mode="min", threshold_mode="rel", threshold=0.1,
                                patience=1, cooldown=2,
                                min_lr=0 if min_lr == "scalar" else [1e-5, 1e-4])
    seen = []
    for epoch in range(20):
        if epoch == 8:
            opt.add_param_group({"params": [torch.nn.Parameter(torch.rand(2, 3))], "lr": 0.05})
            if min_lr == "list":
                sched.min_lrs.append(1e-6)
        seen.append(_lrs(opt))
        opt.step()
        sched.step(metrics[epoch])
    return seen


@pytest.mark.parametrize("min_lr", ["scalar", "list"])
def test_plateau_add_param_group(min_lr):
    ours = _plateau_with_new_group(tc, min_lr)
    theirs = _plateau_with_new_group(_TorchNS(), min_lr)
    assert len(ours[-1]) == 3
    for a, b in zip(ours, theirs):
        assert a == pytest.approx(b, rel=1e-12)
    assert ours[3][0] == pytest.approx(0.05)  # bad at epochs 1, 2 > patience 1: cut after 2
    assert ours[-1][2] < 0.05  # the new group is cut too


def test_plateau_list_min_lr_and_new_group_raises_torch_error(M):
    opt = _opt()
    sched = M.ReduceLROnPlateau(opt, min_lr=[1e-5, 1e-4], patience=0)
    opt.add_param_group({"params": [torch.nn.Parameter(torch.rand(2, 3))], "lr": 0.05})
    sched.step(1.0)
    with pytest.raises(RuntimeError, match="The number of param groups in the `optimizer`"):
        sched.step(2.0)


def test_plateau_edits_to_min_lrs_take_effect(M):
    opt = _opt()
    sched = M.ReduceLROnPlateau(opt, patience=0, factor=0.1)
    sched.step(1.0)
    sched.min_lrs = [0.01, 0.2]
    sched.step(2.0)
    assert _lrs(opt) == pytest.approx([0.01, 0.2])


def test_plateau_load_state_dict_refreshes_mode_worse(M):
    opt = _opt()
    a = M.ReduceLROnPlateau(opt, mode="max")
    b = M.ReduceLROnPlateau(opt, mode="min")
    b.load_state_dict(a.state_dict())
    assert (b.mode, b.mode_worse) == ("max", -math.inf)


# --------------------------------------------------------------------- checkpoints


class _LambdaObj:
    def __init__(self, value):
        self.value = value

    def __call__(self, epoch):
        return self.value * epoch

    def __eq__(self, other):
        return isinstance(other, type(self)) and self.__dict__ == other.__dict__


def _same_dicts(a, b, skip=("optimizer",)):
    for key in a.__dict__:
        if key not in skip:
            va, vb = a.__dict__[key], b.__dict__[key]
            assert type(va) is type(vb), key
            if isinstance(va, float) and math.isnan(va):
                assert math.isnan(vb), key
            else:
                assert va == vb or (str(va) == str(vb)), key


@pytest.mark.parametrize("name", ["LambdaLR", "MultiplicativeLR"])
def test_lambda_state_dict_keeps_callable_objects_state_not_functions(M, name):
    opt = _opt()
    cls = getattr(M, name)
    sched = cls(opt, lr_lambda=_LambdaObj(10))
    state = sched.state_dict()
    assert state["lr_lambdas"][0] == {"value": 10}
    copy_ = cls(opt, lr_lambda=_LambdaObj(-1))
    copy_.load_state_dict(state)
    assert copy_.lr_lambdas[0].value == 10
    _same_dicts(sched, copy_)
    fn_sched = cls(opt, lr_lambda=lambda e: 0.9)
    assert fn_sched.state_dict()["lr_lambdas"] == [None, None]
    pickle.dumps(fn_sched.state_dict())


BUILDERS = {
    "StepLR": (lambda M, o: M.StepLR(o, gamma=0.1, step_size=3),
               lambda M, o: M.StepLR(o, gamma=0.005, step_size=1)),
    "MultiStepLR": (lambda M, o: M.MultiStepLR(o, gamma=0.1, milestones=[2, 5]),
                    lambda M, o: M.MultiStepLR(o, gamma=0.01, milestones=[1, 4, 6])),
    "ExponentialLR": (lambda M, o: M.ExponentialLR(o, gamma=0.1),
                      lambda M, o: M.ExponentialLR(o, gamma=0.01)),
    "CosineAnnealingLR": (lambda M, o: M.CosineAnnealingLR(o, T_max=10, eta_min=0.001),
                          lambda M, o: M.CosineAnnealingLR(o, T_max=5)),
    "CosineAnnealingWarmRestarts": (
        lambda M, o: M.CosineAnnealingWarmRestarts(o, T_0=10, T_mult=2),
        lambda M, o: M.CosineAnnealingWarmRestarts(o, T_0=100)),
    "SWALR": (lambda M, o: M.SWALR(o, anneal_epochs=3, swa_lr=0.5),
              lambda M, o: M.SWALR(o, anneal_epochs=10, anneal_strategy="linear", swa_lr=5.0)),
    "ConstantLR": (lambda M, o: M.ConstantLR(o, factor=0.2, total_iters=3),
                   lambda M, o: M.ConstantLR(o, factor=0.5, total_iters=9)),
    "LinearLR": (lambda M, o: M.LinearLR(o, start_factor=0.2, total_iters=4),
                 lambda M, o: M.LinearLR(o, start_factor=0.9, total_iters=2)),
    "PolynomialLR": (lambda M, o: M.PolynomialLR(o, total_iters=7, power=2.0),
                     lambda M, o: M.PolynomialLR(o, total_iters=3)),
    "OneCycleLR": (lambda M, o: M.OneCycleLR(o, max_lr=0.1, total_steps=30),
                   lambda M, o: M.OneCycleLR(o, max_lr=0.2, total_steps=20)),
    "CyclicLR": (lambda M, o: M.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=3),
                 lambda M, o: M.CyclicLR(o, base_lr=0.02, max_lr=0.3, step_size_up=5)),
}


@pytest.mark.parametrize("name", list(BUILDERS))
def test_state_dict_restores_every_attribute(M, name):
    first, second = BUILDERS[name]
    opt = _opt() if name not in ("OneCycleLR", "CyclicLR") else torch.optim.SGD(
        [{"params": _Net().conv1.parameters()}, {"params": _Net().conv2.parameters()}],
        lr=0.05, momentum=0.9)
    sched = first(M, opt)
    for _ in range(10):
        opt.step()
        sched.step()
    other = second(M, opt)
    other.load_state_dict(sched.state_dict())
    skip = ("optimizer", "_scale_fn_ref", "_scale_fn_custom", "_anneal_func_type",
            "anneal_func", "_tensor_marks", "_schedule_phases", "use_beta1",
            "_get_lr_called_within_step", "_is_initial")
    _same_dicts(sched, other, skip=skip)
    assert sched.get_last_lr() == other.get_last_lr()


@pytest.mark.parametrize("name", list(BUILDERS))
def test_state_dict_round_trips_through_torch_load_weights_only(name):
    first, _ = BUILDERS[name]
    opt = _opt() if name not in ("OneCycleLR", "CyclicLR") else torch.optim.SGD(
        _Net().parameters(), lr=0.05, momentum=0.9)
    sched = first(tc, opt)
    opt.step()
    sched.step()
    state = sched.state_dict()
    with tempfile.TemporaryFile() as f:
        torch.save(state, f)
        f.seek(0)
        loaded = torch.load(f, weights_only=True)
    again = first(tc, opt)
    again.load_state_dict(loaded)
    assert again.state_dict() == state


# --------------------------------------------------------------------- progressive unfreezing


GROWABLE = ["StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "ConstantLR",
            "LinearLR", "PolynomialLR"]


@pytest.mark.parametrize("name", GROWABLE)
def test_add_param_group_follows_torch_for_chainable_classes(M, name):
    opt = _opt()
    sched = BUILDERS[name][0](M, opt)
    seen = []
    for k in range(10):  # torch's cosine cannot reach its trough step (k = 11) with a new group
        if k == 4:
            opt.add_param_group({"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 0.3})
        seen.append(_lrs(opt))
        opt.step()
        sched.step()
    ref_opt = _opt()
    ref = BUILDERS[name][0](_TorchNS(), ref_opt)
    ref_seen = []
    for k in range(10):
        if k == 4:
            ref_opt.add_param_group({"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 0.3})
        ref_seen.append(_lrs(ref_opt))
        ref_opt.step()
        ref.step()
    for a, b in zip(seen, ref_seen):
        assert a == pytest.approx(b, rel=1e-12)


@pytest.mark.parametrize("build", [
    lambda o: tc.LambdaLR(o, lambda k: 0.9**k),
    lambda o: tc.OneCycleLR(o, max_lr=0.5, total_steps=20),
    lambda o: tc.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=3),
    lambda o: tc.CosineAnnealingWarmRestarts(o, T_0=3),
    lambda o: tc.LinearWarmup(o, None, 5),
    lambda o: tc.WarmupWithDecay(o, None, 3, 12),
    lambda o: tc.OneCyclePolicy(o, None, 12),
    lambda o: tc.ListScheduler(o, [0.1, 0.2, 0.3]),
    lambda o: tc.SWALR(o, swa_lr=0.01, anneal_epochs=3),
], ids=["LambdaLR", "OneCycleLR", "CyclicLR", "SGDR", "LinearWarmup", "WarmupWithDecay",
        "OneCyclePolicy", "ListScheduler", "SWALR"])
def test_add_param_group_works_for_every_closed_form_class(build):
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    sched = build(opt)
    for k in range(15):
        if k == 5:
            opt.add_param_group({"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 0.05})
        opt.step()
        sched.step()
        assert len(sched.get_last_lr()) == len(opt.param_groups)
    # the new group follows group 0's shape rescaled to its own base LR
    assert all(math.isfinite(x) and x >= 0 for x in sched.get_last_lr())
    assert opt.param_groups[1]["initial_lr"] == 0.05


def test_new_group_of_a_closed_form_class_is_group_zero_rescaled():
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    sched = tc.LambdaLR(opt, lambda k: 1.0 / (k + 1))
    for _ in range(3):
        opt.step()
        sched.step()
    opt.add_param_group({"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 0.02})
    opt.step()
    sched.step()
    assert sched.get_last_lr() == pytest.approx([0.1 / 5, 0.02 / 5], rel=1e-15)


# --------------------------------------------------------------------- resume, milestones, gamma


@pytest.mark.parametrize("build", [
    lambda o, e: tc.LinearWarmup(o, None, 10, last_epoch=e),
    lambda o, e: tc.CosineWarmup(o, None, 10, last_epoch=e),
    lambda o, e: tc.ExponentialWarmup(o, None, 10, start_lr=1e-4, last_epoch=e),
    lambda o, e: tc.WarmupWithDecay(o, None, 4, 20, last_epoch=e),
    lambda o, e: tc.OneCyclePolicy(o, None, 20, last_epoch=e),
], ids=["LinearWarmup", "CosineWarmup", "ExponentialWarmup", "WarmupWithDecay", "OneCyclePolicy"])
def test_resume_with_last_epoch_uses_initial_lr_not_the_scheduled_lr(build):
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.04, momentum=0.9)
    sched = build(opt, -1)
    for _ in range(3):
        opt.step()
        sched.step()
    full = [sched.lr_at(k)[0] for k in range(12)]
    resumed_opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.04, momentum=0.9)
    resumed_opt.load_state_dict(opt.state_dict())  # lr already scheduled, initial_lr kept
    resumed = build(resumed_opt, 2)
    seen = [resumed.get_last_lr()[0]]
    for _ in range(8):
        resumed_opt.step()
        resumed.step()
        seen.append(resumed.get_last_lr()[0])
    assert seen == full[3:12]


@pytest.mark.parametrize("milestones", [lambda: [2, 5], lambda: (5, 2), lambda: {2, 5},
                                        lambda: iter([2, 5])],
                         ids=["list", "tuple-unsorted", "set", "iterator"])
def test_multistep_accepts_any_iterable_of_milestones(M, milestones):
    opt = _opt()
    sched = M.MultiStepLR(opt, milestones=milestones(), gamma=0.1)
    seen = []
    for _ in range(7):
        seen.append(_lrs(opt)[0])
        opt.step()
        sched.step()
    assert seen == pytest.approx([0.05, 0.05, 0.005, 0.005, 0.005, 0.0005, 0.0005], rel=1e-12)


@pytest.mark.parametrize("make", [
    (lambda o: tc.ExponentialLR(o, gamma=2.0), lambda: optax_sched.exponential_lr(0.05, 2.0)),
    (lambda o: tc.StepLR(o, step_size=1, gamma=2.0), lambda: optax_sched.step_lr(0.05, 1, 2.0)),
    (lambda o: tc.CyclicLR(o, 0.01, 0.1, step_size_up=3, mode="exp_range", gamma=2.0,
                           cycle_momentum=False),
     lambda: optax_sched.cyclic_lr(0.01, 0.1, 3, mode="exp_range", gamma=2.0)),
], ids=["exponential", "step", "cyclic-exp_range"])
def test_gamma_above_one_agrees_on_both_faces_and_saturates_at_inf(make):
    torch_make, optax_make = make
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.05)
    sched = torch_make(opt)
    values = [sched.get_last_lr()[0]]
    for _ in range(1100):
        opt.step()
        sched.step()
        values.append(sched.get_last_lr()[0])
    values = np.asarray(values)
    assert not np.any(np.isnan(values))
    finite = np.isfinite(values)
    assert finite[:1000].all() and np.isinf(values[-1]) or finite.all()
    import jax

    with jax.enable_x64(True):
        jvals = np.asarray(jax.vmap(optax_make())(np.arange(1101)))
    assert not np.any(np.isnan(jvals))
    np.testing.assert_array_equal(np.isinf(jvals), np.isinf(values))
    np.testing.assert_allclose(jvals[finite], values[finite], rtol=1e-10)
    f32 = np.asarray(jax.vmap(optax_make())(np.arange(1101)))
    assert not np.any(np.isnan(f32))
    big = values < 3e38
    np.testing.assert_allclose(f32[big & finite], values[big & finite], rtol=1e-5)
    assert np.all(np.isinf(f32[values > 3.5e38]))


# --------------------------------------------------------------------- SWALR and multiplicative


def test_swalr_anneals_from_a_multiplicative_schedule(M):
    opt = _opt()
    epochs, swa_start, swa_lr, anneal = 15, 5, 0.05, 5
    sched = M.MultiplicativeLR(opt, lr_lambda=lambda e: 0.9)
    swa = M.SWALR(opt, anneal_epochs=anneal, swa_lr=swa_lr)

    def coef(t):
        return 0.0 if t + 1 >= anneal else (1 + math.cos(math.pi * (t + 1) / anneal)) / 2

    for group, lr0 in zip(opt.param_groups, [0.05, 0.5]):
        group["_ref"] = [lr0 * 0.9**i for i in range(swa_start + 1)]
        last = group["_ref"][-1]
        group["_ref"] += [last * coef(t) + swa_lr * (1 - coef(t))
                          for t in range(epochs - swa_start - 1)]
    for epoch in range(epochs):
        for g in opt.param_groups:
            assert float(g["lr"]) == pytest.approx(g["_ref"][epoch], abs=1e-5), epoch
        opt.step()
        (swa if epoch >= swa_start else sched).step()


def test_swalr_and_multiplicative_match_their_optax_faces():
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.3)
    swa = tc.SWALR(opt, swa_lr=0.02, anneal_epochs=6, anneal_strategy="linear")
    mult_opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.3)
    mult = tc.MultiplicativeLR(mult_opt, lr_lambda=lambda j: 0.9 + 0.01 * (j % 3))
    a = optax_sched.swalr(0.3, 0.02, 6, "linear")
    b = optax_sched.multiplicative_lr(0.3, lambda j: 0.9 + 0.01 * (j % 3))
    for k in range(15):
        assert float(a(k)) == pytest.approx(swa.get_last_lr()[0], rel=1e-6)
        assert float(b(k)) == pytest.approx(mult.get_last_lr()[0], rel=1e-6)
        for o, s in ((opt, swa), (mult_opt, mult)):
            o.step()
            s.step()


def test_chained_scheduler_optax_face_equals_torch_chained_scheduler():
    import jax

    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.05)
    members = [tl.LinearLR(opt, 0.1, total_iters=6), tl.ExponentialLR(opt, 0.97),
               tl.MultiStepLR(opt, [8, 15], 0.5), tl.CosineAnnealingLR(opt, 20)]
    chain = tl.ChainedScheduler(members)
    ref = []
    for _ in range(60):
        ref.append(opt.param_groups[0]["lr"])
        opt.step()
        chain.step()
    sched = optax_sched.chained_scheduler([
        optax_sched.linear_lr(0.05, 0.1, total_iters=6), optax_sched.exponential_lr(0.05, 0.97),
        optax_sched.multistep_lr(0.05, [8, 15], 0.5), optax_sched.cosine_annealing_lr(0.05, 20)])
    with jax.enable_x64(True):
        got = np.asarray(jax.vmap(sched)(np.arange(60)))
    from parity_tests.tolerances import assert_within
    assert_within(got, ref, "builtin", "optax chained_scheduler vs torch ChainedScheduler")
    ours = tc.ChainedScheduler([tc.LinearLR(o := torch.optim.SGD(
        [torch.nn.Parameter(torch.zeros(1))], lr=0.05), 0.1, total_iters=6),
        tc.ExponentialLR(o, 0.97), tc.MultiStepLR(o, [8, 15], 0.5), tc.CosineAnnealingLR(o, 20)])
    assert_within([ours.lr_at(k)[0] for k in range(60)], ref, "builtin", "lr_at")


def _random_chain(rng):
    """A random chain: 2-5 chainable members, at least one a cosine with ``eta_min = 0``
    (its troughs zero the chain and its restarts add to it), in random order, as
    ``(torch class name, optax factory name, kwargs)`` triples (base LR 0.05)."""
    def member(kind):
        if kind == 0:
            return "CosineAnnealingLR", "cosine_annealing_lr", dict(T_max=int(rng.integers(1, 10)))
        if kind == 1:
            return "StepLR", "step_lr", dict(step_size=int(rng.integers(1, 8)),
                                             gamma=float(rng.uniform(0.3, 0.95)))
        if kind == 2:
            milestones = sorted(int(m) for m in rng.choice(40, 2, replace=False))
            return "MultiStepLR", "multistep_lr", dict(milestones=milestones,
                                                       gamma=float(rng.uniform(0.3, 0.9)))
        if kind == 3:
            return "ExponentialLR", "exponential_lr", dict(gamma=float(rng.uniform(0.9, 0.99)))
        if kind == 4:
            return "LinearLR", "linear_lr", dict(start_factor=float(rng.uniform(0.1, 1.0)),
                                                 end_factor=float(rng.choice([0.0, 0.5, 1.0])),
                                                 total_iters=int(rng.integers(1, 30)))
        if kind == 5:
            return "ConstantLR", "constant_lr", dict(factor=float(rng.uniform(0.2, 1.0)),
                                                     total_iters=int(rng.integers(1, 20)))
        return "PolynomialLR", "polynomial_lr", dict(total_iters=int(rng.integers(5, 60)),
                                                     power=float(rng.uniform(0.5, 2.0)))

    members = [member(0)] + [member(int(rng.integers(7))) for _ in range(rng.integers(1, 5))]
    return [members[i] for i in rng.permutation(len(members))]


def test_random_chains_of_zeroing_cosines_equal_torch_on_both_faces():
    """torch's ChainedScheduler over members that include cosines with ``eta_min = 0`` (one
    or several, any T_max, any position): their troughs zero the LR and their restarts add
    ``base * unit`` to whatever the chain holds. The closed form (sched_core.Chained) on the
    optax face (float32, one jit for all chains), in float64 (numpy) and in torch_compat's
    ``lr_at`` equals torch."""
    from parity_tests.harness import jax_sequences
    from parity_tests.tolerances import assert_within

    rng = np.random.default_rng(2026)
    n = 240
    chains = [_random_chain(rng) for _ in range(16)]
    refs = []
    for chain in chains:
        opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.05)
        sched = tl.ChainedScheduler([getattr(tl, cls)(opt, **kw) for cls, _, kw in chain])
        ref = []
        for _ in range(n):
            ref.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
        refs.append(np.asarray(ref))
    assert sum(len(c) >= 3 and sum(nm == "cosine_annealing_lr" for _, nm, _ in c) >= 2
               for c in chains) >= 3  # the hard case: several zeroing cosines with others

    schedules = [optax_sched.chained_scheduler([getattr(optax_sched, name)(0.05, **kw)
                                                for _, name, kw in chain]) for chain in chains]
    ks = np.arange(n)
    got32 = jax_sequences(schedules, n)  # float32, one program for every chain
    for i, (chain, ref, sched) in enumerate(zip(chains, refs, schedules)):
        what = f"chain {i} {[(nm, kw) for _, nm, kw in chain]}"
        assert_within(sched.spec(np, ks, np.float64), ref, "builtin", what + " (float64)")
        assert_within(got32[i], ref, "float32", what + " (optax f32)")
        opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.05)
        compat = tc.ChainedScheduler([getattr(tc, cls)(opt, **kw) for cls, _, kw in chain])
        assert_within([compat.lr_at(k)[0] for k in range(0, n, 7)], ref[::7], "builtin",
                      what + " (torch_compat lr_at)")


# --------------------------------------------------------------------- warnings


def test_new_pattern_never_warns(M):
    opt = _opt()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scheds = [M.StepLR(opt, gamma=0.1, step_size=3), M.ExponentialLR(opt, 0.9)]
        for _ in range(12):
            opt.step()
            for s in scheds:
                s.step()


def test_old_pattern_warns(M):
    opt = _opt()
    sched = M.StepLR(opt, gamma=0.1, step_size=3)
    with pytest.warns(UserWarning, match="how-to-adjust-learning-rate"):
        for _ in range(3):
            sched.step()
            opt.step()


@pytest.mark.parametrize("name", ["StepLR", "ExponentialLR", "CosineAnnealingLR", "LinearLR"])
def test_step_with_epoch_uses_the_closed_form_and_warns_once(M, name):
    opt = _opt()
    sched = BUILDERS[name][0](M, opt)
    closed = []
    for epoch in range(8):
        opt.step()
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            sched.step(epoch)
        assert [str(x.message) for x in w] == [EPOCH_WARNING]
        closed.append(_lrs(opt))
    opt2 = _opt()
    sched2 = BUILDERS[name][0](M, opt2)
    for epoch in range(8):
        assert _lrs(opt2) == pytest.approx(closed[epoch], abs=1e-9)
        opt2.step()
        sched2.step()


def test_get_lr_outside_step_warns_like_torch(M):
    sched = M.StepLR(_opt(), step_size=2)
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        sched.get_lr()


def test_constant_initial_lr_with_tensor_lr(M):
    for build in (lambda o: M.StepLR(o, step_size=30), lambda o: M.LinearLR(o),
                  lambda o: M.ChainedScheduler([M.ConstantLR(o), M.ConstantLR(o)]),
                  lambda o: M.SequentialLR(o, [M.ConstantLR(o), M.ConstantLR(o)], milestones=[2]),
                  lambda o: M.CosineAnnealingWarmRestarts(o, T_0=20)):
        lr = torch.as_tensor(0.1)
        opt = torch.optim.SGD([torch.nn.Parameter(torch.randn(1))], lr=lr)
        sched = build(opt)
        ori = copy.deepcopy(opt.param_groups)
        for _ in range(2):
            opt.step()
            sched.step()
            assert opt.param_groups[0]["lr"] is lr
            for g, o in zip(opt.param_groups, ori):
                assert g["initial_lr"] == o["initial_lr"]
