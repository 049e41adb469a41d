"""torch_compat: the LRScheduler contract, checkpoints, tensors, groups, torch interop."""

from __future__ import annotations

import io
import pickle
import warnings

import numpy as np
import pytest
import torch

import torch_compat
from sched_tools._records import CASES, case_by_id
from parity_tests import harness


def _opt(lrs=(0.1, 0.05), kind="sgd", tensor_lr=False):
    groups = []
    for lr in lrs:
        value = torch.tensor(lr) if tensor_lr else lr
        groups.append({"params": [torch.nn.Parameter(torch.zeros(2))], "lr": value})
    if kind == "sgd":
        return torch.optim.SGD(groups, lr=0.1, momentum=0.9)
    if kind == "adam":
        return torch.optim.Adam(groups, lr=0.1)
    return torch.optim.Adagrad(groups, lr=0.1)


def _advance(opt, sched, n):
    out = []
    for _ in range(n):
        out.append((list(sched.get_last_lr()), sched.get_last_momentum()))
        opt.step()
        sched.step()
    return out


CHECKPOINT_IDS = ["sgdr-decay-tmult-warmup", "onecycle-three-phase", "cyclic-triangular2",
                  "warmup-decay", "exp-cyclic", "list-basic", "one-cycle-policy-long",
                  "multistep-repeat", "range-finder", "sgdr-float-tmult"]


@pytest.mark.parametrize("case_id", CHECKPOINT_IDS)
@pytest.mark.parametrize("stop", [0, 3, 17])
def test_state_dict_round_trip_through_torch_save_weights_only(case_id, stop):
    case = case_by_id(case_id)
    opt, sched = harness.make_torch_scheduler(case)
    full = _advance(opt, sched, 40)

    opt, sched = harness.make_torch_scheduler(case)
    _advance(opt, sched, stop)
    buf = io.BytesIO()
    torch.save({"sched": sched.state_dict(), "opt": opt.state_dict()}, buf)
    buf.seek(0)
    ckpt = torch.load(buf, weights_only=True)

    opt2, sched2 = harness.make_torch_scheduler(case)  # rebuilt from scratch
    opt2.load_state_dict(ckpt["opt"])
    sched2.load_state_dict(ckpt["sched"])
    rest = _advance(opt2, sched2, 40 - stop)
    assert rest == full[stop:]  # bitwise: Python floats compared with ==


def test_load_state_dict_hyperparameters_win_over_the_constructor():
    opt = _opt((0.1,))
    a = torch_compat.StepLR(opt, step_size=3, gamma=0.5)
    _advance(opt, a, 4)
    opt_b = _opt((0.1,))
    b = torch_compat.StepLR(opt_b, step_size=10, gamma=0.9)
    opt_b.load_state_dict(opt.state_dict())  # torch's resume: optimizer and scheduler
    b.load_state_dict(a.state_dict())
    assert (b.step_size, b.gamma, b.last_epoch) == (3, 0.5, 4)
    for k in (5, 6, 7):
        opt_b.step()
        b.step()
        assert b.get_last_lr() == [0.1 * 0.5 ** (k // 3)]


def test_schedulers_pickle():
    opt = _opt()
    sched = torch_compat.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=1.5, decay=0.9)
    _advance(opt, sched, 5)
    clone = pickle.loads(pickle.dumps(sched))
    assert clone.lr_at(11) == sched.lr_at(11)
    assert clone.last_epoch == 5


@pytest.mark.parametrize("kind", ["sgd", "adam"])
def test_tensor_lrs_and_betas_are_filled_in_place(kind):
    groups = [{"params": [torch.nn.Parameter(torch.zeros(2))], "lr": torch.tensor(0.1)}]
    if kind == "sgd":
        opt = torch.optim.SGD(groups, momentum=torch.tensor(0.9))
    else:
        opt = torch.optim.Adam(groups, betas=(torch.tensor(0.9), torch.tensor(0.999)),
                               capturable=True)
    lr_t = opt.param_groups[0]["lr"]
    mom_t = opt.param_groups[0]["momentum"] if kind == "sgd" else opt.param_groups[0]["betas"][0]
    sched = torch_compat.OneCycleLR(opt, max_lr=0.5, total_steps=20)
    for k in range(25):
        group = opt.param_groups[0]
        assert group["lr"] is lr_t
        now = group["momentum"] if kind == "sgd" else group["betas"][0]
        assert now is mom_t
        assert float(lr_t) == pytest.approx(sched.lr_at(k)[0], rel=1e-6)
        assert float(mom_t) == pytest.approx(sched.momentum_at(k)[0], rel=1e-6)
        opt.step()
        sched.step()


def test_scale_arguments_none_number_and_per_group_list():
    opt = _opt((0.2, 0.02))
    s = torch_compat.LinearWarmup(opt, None, warmup_steps=4)
    assert s.get_last_lr() == [0.05, 0.005]
    opt = _opt((0.2, 0.02))
    s = torch_compat.LinearWarmup(opt, 1.0, warmup_steps=4)
    assert s.get_last_lr() == [0.25, 0.25]
    opt = _opt((0.2, 0.02))
    s = torch_compat.WarmupWithDecay(opt, [0.4, 0.8], 2, 10)
    assert s.get_last_lr() == [0.2, 0.4]
    with pytest.raises(ValueError, match="one entry per param group"):
        torch_compat.LinearWarmup(_opt((0.2, 0.02)), [1.0, 2.0, 3.0], 4)


def test_list_scheduler_2d_per_group_holds_last_value_and_sets_momentum():
    opt = _opt((0.1, 0.1))
    s = torch_compat.ListScheduler(opt, [[0.3, 0.2, 0.1], [0.03, 0.02, 0.01]],
                                   momentums=[0.9, 0.8])
    seq = _advance(opt, s, 5)
    assert [x[0] for x in seq] == [[0.3, 0.03], [0.2, 0.02], [0.1, 0.01], [0.1, 0.01],
                                   [0.1, 0.01]]
    assert [x[1] for x in seq] == [[0.9, 0.9], [0.8, 0.8], [0.8, 0.8], [0.8, 0.8], [0.8, 0.8]]
    with pytest.raises(ValueError, match="one row per param group"):
        torch_compat.ListScheduler(_opt((0.1, 0.1)), [[0.1], [0.2], [0.3]])


def test_lambda_scheduler_scales_group_momentum_and_leaves_it_without_lambda():
    opt = _opt((0.1,), kind="adam")
    s = torch_compat.LambdaScheduler(opt, lambda k: 0.5 ** k, momentum_lambda=lambda k: 1 - 0.1 * k)
    seq = _advance(opt, s, 3)
    assert [x[0] for x in seq] == [[0.1], [0.05], [0.025]]
    np.testing.assert_allclose([x[1][0] for x in seq], [0.9, 0.81, 0.72], rtol=1e-12)
    opt = _opt((0.1,))
    torch_compat.LambdaScheduler(opt, lambda k: 1.0)
    assert opt.param_groups[0]["momentum"] == 0.9


def test_one_cycle_policy_reproduces_the_reference_table():
    # lr-momentum-scheduler's documented example (lr=1e-2, 10 steps, P = 4).
    opt = _opt((0.5,))
    s = torch_compat.OneCyclePolicy(opt, 1e-2, 10)
    seq = _advance(opt, s, 12)
    lrs = [x[0][0] for x in seq]
    moms = [x[1][0] for x in seq]
    np.testing.assert_allclose(lrs, [1e-3, 4e-3, 7e-3, 1e-2, 1e-2, 7e-3, 4e-3, 1e-3, 1e-3, 1e-4,
                                     1e-4, 1e-4], rtol=1e-12)
    np.testing.assert_allclose(moms, [.95, .95 - .1 / 3, .85 + .1 / 3, .85, .85, .85 + .1 / 3,
                                      .95 - .1 / 3, .95, .95, .95, .95, .95], rtol=1e-12)


def test_sgdr_reference_closed_form_with_decay_and_warmup():
    # qu-gg's closed form, with our fixes: warmup starts at update 0, (k+1)/W never 0.
    opt = _opt((1.0,))
    s = torch_compat.CosineAnnealingWarmRestarts(opt, T_0=4, T_mult=2, decay=0.5, warmup_steps=3)
    got = [x[0][0] for x in _advance(opt, s, 12)]
    want = []
    for k in range(12):
        c, tau, length = 0, k, 4
        while tau >= length:
            tau, c, length = tau - length, c + 1, length * 2
        want.append(min(k + 1, 3) / 3 * 0.5 ** c * (1 + np.cos(np.pi * tau / length)) / 2)
    np.testing.assert_allclose(got, want, rtol=1e-14, atol=1e-16)


def test_momentum_on_an_optimizer_without_momentum_is_rejected():
    with pytest.raises(ValueError, match="neither 'momentum' nor 'betas'"):
        torch_compat.OneCycleLR(_opt((0.1,), kind="adagrad"), 0.1, total_steps=10)
    with pytest.raises(ValueError, match="neither 'momentum' nor 'betas'"):
        torch_compat.ListScheduler(_opt((0.1,), kind="adagrad"), [0.1], momentums=[0.9])
    torch_compat.OneCycleLR(_opt((0.1,), kind="adagrad"), 0.1, total_steps=10,
                            cycle_momentum=False)


def test_step_with_epoch_jumps_in_closed_form():
    opt = _opt((1.0,))
    s = torch_compat.CosineAnnealingLR(opt, T_max=10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s.step(7)
    assert s.get_last_lr() == s.lr_at(7)


def test_one_cycle_holds_past_total_steps_where_torch_raises():
    n = 10
    opt_t = _opt((0.1,))
    torch_sched = torch.optim.lr_scheduler.OneCycleLR(opt_t, 1.0, total_steps=n)
    opt_c = _opt((0.1,))
    ours = torch_compat.OneCycleLR(opt_c, 1.0, total_steps=n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(n):  # torch allows the n-th step (it extrapolates)...
            opt_t.step(); torch_sched.step()
            opt_c.step(); ours.step()
        with pytest.raises(ValueError, match="Tried to step"):  # ...and raises after it
            torch_sched.step()
        for _ in range(5):
            ours.step()
    assert ours.get_last_lr() == ours.lr_at(n - 1) == [1.0 / 25 / 1e4]


def test_constant_lr_factor_zero_works_where_torch_divides_by_zero():
    opt = _opt((1.0,))
    torch_sched = torch.optim.lr_scheduler.ConstantLR(opt, factor=0.0, total_iters=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        opt.step(); torch_sched.step()
        with pytest.raises(ZeroDivisionError):
            torch_sched.step()
    opt = _opt((1.0,))
    ours = torch_compat.ConstantLR(opt, factor=0.0, total_iters=2)
    assert [x[0][0] for x in _advance(opt, ours, 4)] == [0.0, 0.0, 1.0, 1.0]


def test_torch_sequential_lr_accepts_torch_compat_children():
    def build(opt):
        warm = torch_compat.LinearLR(opt, start_factor=0.1, total_iters=5)
        cos = torch_compat.CosineAnnealingLR(opt, T_max=20, eta_min=0.001)
        return warm, cos

    opt_a = _opt()
    ours = torch_compat.SequentialLR(opt_a, list(build(opt_a)), milestones=[5])
    opt_b = _opt()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = torch.optim.lr_scheduler.SequentialLR(opt_b, list(build(opt_b)), milestones=[5])
    a = [x[0] for x in _advance(opt_a, ours, 40)]
    b = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(40):
            b.append(theirs.get_last_lr())
            opt_b.step()
            theirs.step()
    np.testing.assert_allclose(a, b, rtol=1e-12)
    oracle = [[0.1 * (0.1 + 0.9 * min(k, 5) / 5) for k in range(5)]]
    np.testing.assert_allclose([x[0] for x in a[:5]], oracle[0], rtol=1e-12)


def test_invalid_arguments_raise_before_touching_the_optimizer():
    opt = _opt((0.1,))
    with pytest.raises(ValueError, match="T_max must be an integer >= 1, got 0"):
        torch_compat.CosineAnnealingLR(opt, T_max=0)
    with pytest.raises(ValueError, match="pct_start must be in"):
        torch_compat.OneCycleLR(opt, 1.0, total_steps=10, pct_start=1.5)
    assert opt.param_groups[0]["lr"] == 0.1 and "initial_lr" not in opt.param_groups[0]
    with pytest.raises(TypeError, match="optimizer must be a torch.optim.Optimizer"):
        torch_compat.StepLR(object(), 3)


@pytest.mark.parametrize("case", [c for c in CASES if c.schedule != "lambda_lr"],
                         ids=lambda c: c.id)
def test_every_case_state_dict_is_plain_data(case):
    _, sched = harness.make_torch_scheduler(case)
    buf = io.BytesIO()
    torch.save(sched.state_dict(), buf)
    buf.seek(0)
    assert torch.load(buf, weights_only=True) == sched.state_dict()
