"""``optax_sched.from_torch``: live torch / torch_compat / Hugging Face schedulers converted
to Optax schedules, compared with the sequence the scheduler itself goes on to produce."""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest
import torch
import transformers
from torch.optim import lr_scheduler as tl

import optax_sched
import torch_compat as tc
from parity_tests.harness import assert_sequences
from parity_tests.harness import jax_sequence
from parity_tests.harness import lr_sequence
from parity_tests.tolerances import assert_within
from sched_tools._parity import builtin_available
from sched_tools._parity import make_torch_scheduler
from sched_tools._records import RECORDS


def _opt(lr=0.1, groups=1):
    params = [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": lr * (i + 1)}
              for i in range(groups)]
    return torch.optim.SGD(params, lr=lr, momentum=0.9)


def _future(sched, n, group=0):
    """What the scheduler itself gives over the next ``n`` updates (on a deep copy)."""
    return lr_sequence(copy.deepcopy(sched), n, group)


def _convert(sched, n, group=0, advance=0, **kwargs):
    """Steps ``sched`` ``advance`` times, converts it (``kwargs`` go to ``from_torch``) and
    returns ``(schedule, ref)``: ``ref`` the LRs the scheduler itself gives over the next
    ``n`` updates. Asserts that a recognised scheduler converts without a warning and that
    the scheduler is never modified.

    The bulk tests pass ``check=False``: their own comparison (``assert_sequences``) is
    the float32 check ``from_torch`` would make, and skipping it saves a compilation; the
    check itself is tested below (the default path, a passing and a failing check)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(advance):
            sched.step()
    before = copy.deepcopy(sched.state_dict())
    ref = _future(sched, n, group)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a recognised scheduler converts without a warning
        schedule = optax_sched.from_torch(sched, n, group=group, **kwargs)
    assert sched.state_dict() == before  # never modified
    return schedule, ref


# one case per record: torch_compat's class, and torch's / Hugging Face's own where they exist
_ONE_CASE = {r.name: r.cases[0] for r in RECORDS.values() if r.kind == "schedule"}


def test_every_torch_compat_class_converts():
    conversions = {}
    for name, case in sorted(_ONE_CASE.items()):
        _, sched = make_torch_scheduler(case)
        for g in range(len(case.group_factors)):
            conversions[f"{name} ({type(sched).__name__}) group {g}"] = _convert(
                sched, case.steps, group=g, check=False)
    assert_sequences(conversions)


def test_every_torch_and_hugging_face_builtin_converts():
    conversions = {}
    for name, case in sorted(_ONE_CASE.items()):
        if not builtin_available(case):
            continue
        _, sched = make_torch_scheduler(case, builtin=True)
        n = case.steps if case.builtin_steps is None else case.builtin_steps
        conversions[f"{name} ({type(sched).__name__})"] = _convert(sched, n, check=False)
    assert_sequences(conversions)


def test_conversion_starts_at_the_current_step():
    """The default path of ``from_torch``: its check runs, passes, and the test's own
    comparison agrees."""
    sched = tl.CosineAnnealingLR(_opt(), T_max=20, eta_min=0.01)
    schedule, ref = _convert(sched, 30, advance=7)
    assert_sequences({"CosineAnnealingLR": (schedule, ref)})
    assert float(schedule(0)) == pytest.approx(sched.get_last_lr()[0], rel=1e-6)


def test_compositions_convert():
    opt = _opt()
    seq = tl.SequentialLR(opt, [tl.LinearLR(opt, 0.1, total_iters=5),
                                tl.CosineAnnealingLR(opt, T_max=20)], milestones=[5])
    opt = _opt()
    chain = tl.ChainedScheduler([tl.StepLR(opt, 3, 0.5), tl.ExponentialLR(opt, 0.97)])
    opt = _opt(groups=2)
    mixed = tc.SequentialLR(opt, [tc.LinearWarmup(opt, None, 4), tc.StepLR(opt, 5, 0.3)],
                            milestones=[4])
    assert_sequences({"SequentialLR": _convert(seq, 40, check=False),
                       "ChainedScheduler": _convert(chain, 30, check=False),
                       "torch_compat SequentialLR": _convert(mixed, 30, group=1, advance=3,
                                                             check=False)})


def test_every_hugging_face_get_scheduler_type_converts_exactly():
    conversions = {}
    for kind in ["linear", "cosine", "cosine_with_restarts", "polynomial", "constant",
                 "constant_with_warmup", "inverse_sqrt", "cosine_with_min_lr",
                 "warmup_stable_decay"]:
        extra = {"cosine_with_min_lr": {"min_lr_rate": 0.1},
                 "warmup_stable_decay": {"num_decay_steps": 10},
                 "cosine_with_restarts": {"num_cycles": 3}}.get(kind, {})
        sched = transformers.get_scheduler(kind, _opt(groups=2), num_warmup_steps=5,
                                           num_training_steps=40,
                                           scheduler_specific_kwargs=extra)
        for g in (0, 1):
            conversions[f"{kind} group {g}"] = _convert(sched, 60, group=g, advance=g * 3,
                                                        check=False)
    assert_sequences(conversions)


@pytest.mark.parametrize("kind,match", [("reduce_lr_on_plateau", "ReduceLROnPlateau depends"),
                                        ("greedy", "GreedyLR depends on the metrics")])
def test_hugging_face_loss_driven_types_are_refused(kind, match):
    sched = transformers.get_scheduler(kind, _opt())
    with pytest.raises(ValueError, match=match):
        optax_sched.from_torch(sched, 10)


def test_hugging_face_lr_rate_variant_falls_back_to_a_checked_table():
    sched = transformers.get_scheduler("cosine_warmup_with_min_lr", _opt(), num_warmup_steps=5,
                                       num_training_steps=40,
                                       scheduler_specific_kwargs={"min_lr_rate": 0.1})
    ref = _future(sched, 50)
    with pytest.warns(UserWarning, match="no closed form for LambdaLR; using the table"):
        schedule = optax_sched.from_torch(sched, 50)
    np.testing.assert_allclose(jax_sequence(schedule, 60)[:50], ref, rtol=1e-6)
    assert float(schedule(55)) == pytest.approx(ref[-1], rel=1e-6)  # held after the table


class _Halving(tl.LRScheduler):
    def get_lr(self):
        return [g["lr"] * (0.5 if self.last_epoch % 4 == 3 else 1.0)
                for g in self.optimizer.param_groups]


@pytest.mark.parametrize("make", [
    lambda o: tl.LambdaLR(o, lambda k: min(1.0, (k + 1) / 10)),  # Python min: not traceable
    lambda o: _Halving(o),  # a user's own scheduler class
    lambda o: tl.CyclicLR(o, 0.01, 0.1, step_size_up=3, scale_fn=lambda x: 0.9 ** x),
])
def test_unrecognised_schedulers_fall_back_to_their_sampled_sequence(make):
    sched = make(_opt())
    ref = _future(sched, 25)
    with pytest.warns(UserWarning, match="using the table of its next 25 values"):
        schedule = optax_sched.from_torch(sched, 25)
    np.testing.assert_allclose(jax_sequence(schedule, 25), ref, rtol=1e-6)


def test_a_traceable_lambda_converts_in_closed_form():
    sched = tl.LambdaLR(_opt(), lambda k: 0.95 ** k)
    assert_sequences({"LambdaLR": _convert(sched, 40, check=False)})


def test_a_scheduler_changed_by_another_fails_the_check_with_the_step():
    opt = _opt()
    sched = tl.ExponentialLR(opt, 0.9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sched.step()
    for g in opt.param_groups:  # someone else halves the LR: no longer the closed form
        g["lr"] *= 0.5
    with pytest.raises(ValueError, match=r"differ at update 1 .*torch 0\.0405\d*, optax 0\.081"):
        optax_sched.from_torch(sched, 10)
    # torch_compat knows it was changed (its chain state) and samples instead
    opt = _opt()
    compat = tc.ExponentialLR(opt, 0.9)
    cut = tc.ReduceLROnPlateau(opt, patience=0, factor=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cut.step(1.0)
        cut.step(2.0)  # worse: the LR is halved
        compat.step()
    with pytest.warns(UserWarning, match="table"):
        schedule = optax_sched.from_torch(compat, 10)
    np.testing.assert_allclose(jax_sequence(schedule, 10), _future(compat, 10), rtol=1e-6)


def test_refusals_and_bad_arguments():
    with pytest.raises(ValueError, match="ReduceLROnPlateau .* use optax_sched.reduce_on_plateau"):
        optax_sched.from_torch(tl.ReduceLROnPlateau(_opt()), 10)
    with pytest.raises(ValueError, match="GraCos depends on the gradients"):
        optax_sched.from_torch(tc.GraCos(_opt(), 0.1, 0.01, 10, 3), 10)
    with pytest.raises(TypeError, match="scheduler must be a torch.optim.lr_scheduler"):
        optax_sched.from_torch("sched", 10)
    sched = tl.StepLR(_opt(), 2)
    with pytest.raises(ValueError, match=r"num_steps must be an integer >= 1, got 0"):
        optax_sched.from_torch(sched, 0)
    with pytest.raises(ValueError, match=r"group must be an integer in \[0, 0\], got 1"):
        optax_sched.from_torch(sched, 5, group=1)


def test_import_optax_sched_does_not_import_torch_for_from_torch():
    import sys

    assert "from_torch" in optax_sched.__all__
    # the module imports torch only when called (checked end to end in test_imports)
    src = sys.modules["optax_sched._from_torch"].__file__
    text = open(src).read()
    assert "\nimport torch" not in text and "\nfrom torch" not in text


@pytest.mark.parametrize("family,kw,upe,start", [
    ("cosine", dict(t_initial=20, cycle_mul=2.0, cycle_decay=0.5, cycle_limit=3, warmup_t=5,
                    warmup_lr_init=1e-4, lr_min=1e-5, t_in_epochs=False), 1, 0),
    ("cosine", dict(t_initial=7, cycle_limit=3, k_decay=2.0, warmup_t=2,
                    noise_range_t=(3, 12)), 4, 9),  # per epoch, mid-run
    ("tanh", dict(t_initial=12, lb=-3.0, ub=5.0, cycle_limit=2, warmup_t=3,
                  t_in_epochs=False), 1, 5),
])
def test_timm_schedulers_convert_per_update_and_per_epoch(family, kw, upe, start):
    from parity_tests.timm_oracle import load_timm
    from parity_tests.timm_oracle import timm_lrs

    cosine, tanh = load_timm()
    opt = _opt()
    sched = (cosine if family == "cosine" else tanh)(opt, **kw)
    n = 120
    schedule = optax_sched.from_torch(sched, n, updates_per_epoch=upe, start=start)
    ref = timm_lrs(family, [0.1], kw, upe, None, start + n)[0][start:]
    assert_within(jax_sequence(schedule, n), ref, "float32", f"timm {family}")
    with pytest.raises(ValueError, match=r"start \(the updates this timm scheduler has seen"):
        optax_sched.from_torch(sched, n)
