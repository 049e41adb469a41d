"""LR range test edge cases on both faces: tensor LRs and train/eval modes restored, lazy
(also infinite) loaders, the valley index, and losses that go below zero."""

from __future__ import annotations

import itertools

import jax.numpy as jnp
import numpy as np
import optax
import pytest
import torch

import optax_sched
import torch_compat
from sched_core._finder import FinderConfig
from sched_core._finder import Tracker
from sched_core._finder import suggestions

# -- helpers -------------------------------------------------------------------------------


def _torch_data(n=8, seed=0):
    g = torch.Generator().manual_seed(seed)
    w = torch.randn(4, 1, generator=g)
    out = []
    for _ in range(n):
        x = torch.randn(16, 4, generator=g)
        out.append((x, x @ w))
    return out


def _torch_model():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Dropout(0.1),
                               torch.nn.Tanh(), torch.nn.Linear(8, 1))


_mse = torch.nn.functional.mse_loss


def _jax_data(n=8, seed=0):
    rng = np.random.default_rng(seed)
    w = rng.normal(size=(4,)).astype(np.float32)
    out = []
    for _ in range(n):
        x = rng.normal(size=(16, 4)).astype(np.float32)
        out.append((x, x @ w))
    return out


def _jax_loss(p, batch):
    x, y = batch
    return jnp.mean((x @ p["w"] + p["b"] - y) ** 2)


def _jax_params():
    return {"w": jnp.zeros(4), "b": jnp.zeros(())}


class _Loader:
    """Re-iterable loader (no ``len()``, no indexing) that counts passes and batches read."""

    def __init__(self, batches):
        self.batches, self.reads, self.passes = batches, 0, 0

    def __iter__(self):
        self.passes += 1
        for b in self.batches:
            self.reads += 1
            yield b


def _counting(batches, counter, limit=1000):
    """One-shot generator over ``batches`` that counts the batches read in ``counter[0]``
    (and fails fast, instead of filling memory, if someone tries to read it all)."""
    for b in batches:
        counter[0] += 1
        assert counter[0] <= limit, "the loader was read far beyond num_steps"
        yield b


class _Echo(torch.nn.Module):
    """``model(x) = x``: the batch is the loss (plus an unused parameter to optimise)."""

    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(()))

    def forward(self, x):
        return x + 0 * self.w


# -- 1. tensor-valued param-group entries (torch) -------------------------------------------


@pytest.mark.parametrize("fused", [False, True])
def test_torch_finder_restores_tensor_lr_in_place(fused):
    model = _torch_model()
    lr = torch.tensor(1e-3)
    betas = (torch.tensor(0.9), torch.tensor(0.999))
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=betas, fused=fused)
    group = opt.param_groups[0]
    groups_list = opt.param_groups
    keys = set(group)
    lr_obj, betas_obj = group["lr"], group["betas"]
    torch_compat.LRFinder(model, opt, _mse).range_test(_torch_data(), start_lr=1e-5,
                                                       end_lr=10.0, num_steps=20)
    assert opt.param_groups is groups_list and opt.param_groups[0] is group
    assert group["lr"] is lr_obj and torch.equal(group["lr"], torch.tensor(1e-3))
    assert group["betas"] is betas_obj
    assert torch.equal(torch.stack(betas_obj), torch.tensor([0.9, 0.999]))
    assert set(group) == keys and "initial_lr" not in group
    assert not opt.state
    assert "step" not in vars(opt) and not hasattr(opt, "_opt_called")  # scheduler's patch undone


def test_torch_finder_restores_existing_optimizer_state_in_place():
    model = _torch_model()
    opt = torch.optim.Adam(model.parameters(), lr=torch.tensor(1e-3))
    x, y = _torch_data()[0]
    _mse(model(x), y).backward()
    opt.step()
    before = {p: {k: v.clone() for k, v in s.items()} for p, s in opt.state.items()}
    objs = {p: (s, dict(s)) for p, s in opt.state.items()}
    torch_compat.LRFinder(model, opt, _mse).range_test(_torch_data(), start_lr=1e-5,
                                                       end_lr=1.0, num_steps=10)
    assert set(opt.state) == set(before)
    for p, s in opt.state.items():
        assert s is objs[p][0]
        for k, v in s.items():
            assert v is objs[p][1][k]
            torch.testing.assert_close(v, before[p][k], rtol=0, atol=0)
    assert torch.equal(opt.param_groups[0]["lr"], torch.tensor(1e-3))


# -- 2. train/eval modes (torch) -------------------------------------------------------------


@pytest.mark.parametrize("mode", ["eval", "train", "mixed"])
def test_torch_finder_restores_train_eval_modes(mode):
    model = _torch_model()
    if mode == "eval":
        model.eval()
    elif mode == "mixed":
        model.train()
        model[1].eval()  # a frozen dropout inside a training model
        model[3].eval()
    before = [m.training for m in model.modules()]
    seen = []
    model.register_forward_pre_hook(lambda m, a: seen.append(m.training))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    torch_compat.LRFinder(model, opt, _mse).range_test(_torch_data(), start_lr=1e-5,
                                                       end_lr=1e-1, num_steps=10)
    assert seen and all(seen)  # the sweep itself trains
    assert [m.training for m in model.modules()] == before


# -- 3. lazy loaders (both faces) ------------------------------------------------------------


def test_torch_finder_reads_an_infinite_iterator_lazily():
    data = _torch_data()
    counter = [0]
    model = _torch_model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    res = torch_compat.LRFinder(model, opt, _mse).range_test(
        _counting(itertools.cycle(data), counter), start_lr=1e-5, end_lr=1e-2, num_steps=25)
    assert len(res.raw_losses) == 25 and counter[0] == 25 and not res.stopped_early


def test_jax_finder_reads_an_infinite_iterator_lazily():
    counter = [0]
    res = optax_sched.lr_finder(_jax_loss, _jax_params(),
                                _counting(itertools.cycle(_jax_data()), counter), optax.sgd,
                                start_lr=1e-5, end_lr=1e-2, num_steps=25)
    assert len(res.raw_losses) == 25 and counter[0] == 25 and not res.stopped_early


@pytest.mark.parametrize("face", ["torch", "jax"])
def test_finder_reads_a_long_loader_lazily_and_reiterates_a_short_one(face):
    long_loader = _Loader((_torch_data if face == "torch" else _jax_data)(40))
    short_loader = _Loader((_torch_data if face == "torch" else _jax_data)(3))
    for loader, passes in ((long_loader, 1), (short_loader, 4)):
        if face == "torch":
            model = _torch_model()
            res = torch_compat.LRFinder(model, torch.optim.SGD(model.parameters(), lr=0.1),
                                        _mse).range_test(loader, start_lr=1e-5, end_lr=1e-2,
                                                         num_steps=10)
        else:
            res = optax_sched.lr_finder(_jax_loss, _jax_params(), loader, optax.sgd,
                                        start_lr=1e-5, end_lr=1e-2, num_steps=10)
        assert len(res.raw_losses) == 10
        assert loader.reads == 10 and loader.passes == passes


@pytest.mark.parametrize("face", ["torch", "jax"])
def test_finder_one_shot_iterator_ends_early_or_raises_when_empty(face):
    data = (_torch_data if face == "torch" else _jax_data)(6)

    def run(batches):
        if face == "torch":
            model = _torch_model()
            return torch_compat.LRFinder(model, torch.optim.SGD(model.parameters(), lr=0.1),
                                         _mse).range_test(batches, start_lr=1e-5, end_lr=1e-2,
                                                          num_steps=20)
        return optax_sched.lr_finder(_jax_loss, _jax_params(), batches, optax.sgd,
                                     start_lr=1e-5, end_lr=1e-2, num_steps=20)

    res = run(iter(data))
    assert len(res.raw_losses) == 6 and len(res.lrs) == 6 and not res.stopped_early
    np.testing.assert_allclose(
        res.lrs, FinderConfig(start_lr=1e-5, end_lr=1e-2, num_steps=20).lrs()[:6])
    with pytest.raises(ValueError, match="must yield at least one batch"):
        run(iter([]))
    with pytest.raises(ValueError, match="must yield at least one batch"):
        run([])


def test_torch_finder_restores_state_when_the_loader_is_empty():
    model = _torch_model().eval()
    opt = torch.optim.Adam(model.parameters(), lr=torch.tensor(1e-3))
    lr = opt.param_groups[0]["lr"]
    with pytest.raises(ValueError, match="loader must yield at least one batch"):
        torch_compat.LRFinder(model, opt, _mse).range_test(iter([]), num_steps=10)
    assert opt.param_groups[0]["lr"] is lr and torch.equal(lr, torch.tensor(1e-3))
    assert "initial_lr" not in opt.param_groups[0] and not model.training


# -- 4. valley index -------------------------------------------------------------------------


@pytest.mark.parametrize("losses", [
    [2.0, 1.0, 3.0],                    # fastai's start index is -1 here
    [1.0, 1.0, 1.0, 1.0],               # flat: no decreasing run
    [1.0, 2.0, 3.0, 4.0, 5.0],          # rising
    list(np.linspace(1.0, 5.0, 40)),    # rising, long (windowed)
    [5.0, 4.0, 6.0, 7.0, 8.0, 9.0],
])
def test_valley_never_wraps_to_the_last_lr(losses):
    lrs = np.geomspace(1e-5, 1.0, len(losses))
    s = suggestions(lrs, losses)
    lo = len(losses) // 10 if len(losses) >= 20 else 0
    assert s["valley"] == lrs[lo]  # fallback: the first (smallest) LR of the window
    assert s["steep"] in lrs


def test_valley_of_a_decreasing_curve_is_inside_it():
    lrs = np.geomspace(1e-5, 1.0, 12)
    losses = np.linspace(3.0, 1.0, 12)
    s = suggestions(lrs, losses)
    assert lrs[0] < s["valley"] < lrs[-1]
    assert s["valley"] == lrs[-1 + int(12 / 3) + int(12 / 6)]  # fastai's index (start -1)


# -- 5. losses below zero (both faces share the Tracker) ------------------------------------


def test_divergence_rule_matches_fastai_for_positive_losses_and_is_sane_below_zero():
    from sched_core._finder import diverged

    for best, s in [(0.3, 1.2), (0.3, 1.2000001), (2.0, 7.9), (2.0, 8.1), (1e-3, 4.1e-3)]:
        assert diverged(s, best, 2.3, 4.0) == (s > 4.0 * best)
    # a loss that starts below zero: its first value does not "diverge" from itself
    assert not diverged(-2.0, -2.0, -2.0, 4.0)
    assert not diverged(-1.9, -2.0, -2.0, 4.0)      # small rise
    assert not diverged(3.9, -2.0, -2.0, 4.0)       # rise of 5.9 < 3 * |best|
    assert diverged(4.1, -2.0, -2.0, 4.0)
    # a loss that crossed zero: the drop from its start sets the scale, not the tiny |best|
    assert not diverged(0.05, -0.01, 5.0, 4.0)
    assert diverged(15.1, -0.01, 5.0, 4.0)
    tr = Tracker(FinderConfig(num_steps=10))
    assert [tr.add(v) for v in (-3.0, -3.1, -3.2)] == [False, False, False]
    assert tr.add(float("nan")) and tr.diverged_


@pytest.mark.parametrize("offset", [-10.0, -100.0])
def test_torch_finder_with_a_negative_loss_sweeps_and_still_stops_on_blowup(offset):
    def crit(out, y):
        return _mse(out, y) + offset  # e.g. a log-likelihood-style loss below 0

    model = _torch_model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    res = torch_compat.LRFinder(model, opt, crit).range_test(_torch_data(), start_lr=1e-5,
                                                             end_lr=1e-2, num_steps=30)
    assert len(res.losses) == 30 and not res.stopped_early and res.losses.max() < 0
    blown = torch_compat.LRFinder(model, opt, crit).range_test(_torch_data(), start_lr=1e-4,
                                                               end_lr=1e4, num_steps=100)
    assert blown.stopped_early and 3 <= len(blown.losses) < 100


@pytest.mark.parametrize("offset", [-10.0, -100.0])
def test_jax_finder_with_a_negative_loss_sweeps_and_still_stops_on_blowup(offset):
    def loss(p, batch):
        return _jax_loss(p, batch) + offset

    data = _jax_data()
    res = optax_sched.lr_finder(loss, _jax_params(), data, optax.sgd, start_lr=1e-5,
                                end_lr=1e-2, num_steps=30)
    assert len(res.losses) == 30 and not res.stopped_early and res.losses.max() < 0
    blown = optax_sched.lr_finder(loss, _jax_params(), data, optax.sgd, start_lr=1e-4,
                                  end_lr=1e4, num_steps=100)
    assert blown.stopped_early and 3 <= len(blown.losses) < 100


def test_both_faces_stop_at_the_same_step_on_the_same_losses():
    losses = [-1.0, -1.5, -2.0, -2.2, -2.3, 0.0, 5.0, 20.0, 60.0, 100.0, 200.0]
    cfg = FinderConfig(num_steps=len(losses))

    model = _Echo()
    t = torch_compat.LRFinder(model, torch.optim.SGD(model.parameters(), lr=0.1),
                              lambda out, y: out.sum()).range_test(
        [(torch.tensor(v), None) for v in losses], num_steps=len(losses))
    j = optax_sched.lr_finder(lambda p, b: b + 0 * p, jnp.zeros(()),
                              [jnp.asarray(v) for v in losses], optax.sgd,
                              num_steps=len(losses))
    ref = Tracker(cfg)
    n = next(i + 1 for i, v in enumerate(losses) if ref.add(v))
    assert len(t.raw_losses) == len(j.raw_losses) == n > 1
    np.testing.assert_allclose(t.losses, j.losses, rtol=1e-6)
    assert t.stopped_early and j.stopped_early


def test_both_faces_valley_of_a_dip_then_rise_is_the_first_lr_not_the_last():
    losses = [2.0, 1.0] + [3.0] * 10  # smoothed: one short decrease, then rising
    model = _Echo()
    t = torch_compat.LRFinder(model, torch.optim.SGD(model.parameters(), lr=0.1),
                              lambda out, y: out).range_test(
        [(torch.tensor(v), None) for v in losses], start_lr=1e-5, end_lr=1e-1,
        num_steps=len(losses))
    j = optax_sched.lr_finder(lambda p, b: b + 0 * p, jnp.zeros(()),
                              [jnp.asarray(v) for v in losses], optax.sgd, start_lr=1e-5,
                              end_lr=1e-1, num_steps=len(losses))
    for res in (t, j):
        assert len(res.losses) == len(losses) and not res.stopped_early
        assert res.suggestions["valley"] == res.lrs[0]  # fastai's -1 would give lrs[-1]
