"""LR range test on the sklearn digits MLP, both frameworks: the suggestion trains well."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import optax_sched
import torch_compat
from sched_core._finder import suggestions


def _digits():
    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32)
    return train_test_split(x, y, test_size=0.25, random_state=0)


def _batches(x, y, size=64):
    return [(x[i:i + size], y[i:i + size]) for i in range(0, len(x) - size + 1, size)]


def _init(seed=0):
    k1, k2 = jax.random.split(jax.random.PRNGKey(seed))
    return {"w1": jax.random.normal(k1, (64, 64)) * 0.125, "b1": jnp.zeros(64),
            "w2": jax.random.normal(k2, (64, 10)) * 0.125, "b2": jnp.zeros(10)}


def _logits(p, x):
    return jax.nn.relu(x @ p["w1"] + p["b1"]) @ p["w2"] + p["b2"]


def _loss(p, batch):
    x, y = batch
    return optax.softmax_cross_entropy_with_integer_labels(_logits(p, x), y).mean()


def test_suggestions_on_a_known_curve():
    lrs = np.geomspace(1e-5, 1.0, 100)
    losses = 2.0 - np.tanh(np.log10(lrs) + 3)  # falls fastest at 1e-3, flat after
    losses[80:] += np.linspace(0, 5, 20) ** 2  # then diverges
    s = suggestions(lrs, losses)
    assert 3e-4 < s["steep"] < 3e-3
    assert s["minimum"] == pytest.approx(lrs[int(np.argmin(losses[10:95])) + 10] / 10)
    assert 1e-4 < s["valley"] < 1e-1


def test_jax_finder_stops_on_divergence_keeps_params_and_its_lr_trains():
    xtr, xte, ytr, yte = _digits()
    params = _init()
    before = jax.tree_util.tree_map(np.asarray, params)
    res = optax_sched.lr_finder(_loss, params, _batches(xtr, ytr), optax.adam, start_lr=1e-6,
                                end_lr=10.0, num_steps=120)
    jax.tree_util.tree_map(np.testing.assert_array_equal, before,
                           jax.tree_util.tree_map(np.asarray, params))
    assert res.stopped_early and len(res.losses) < 120
    lr = res.suggestions["valley"]
    assert 1e-5 < lr < 1.0
    tx = optax.adam(lr)
    state = tx.init(params)

    @jax.jit
    def step(p, s, batch):
        g = jax.grad(_loss)(p, batch)
        u, s = tx.update(g, s, p)
        return optax.apply_updates(p, u), s

    p = params
    for _ in range(5):
        for batch in _batches(xtr, ytr):
            p, state = step(p, state, batch)
    acc = float(jnp.mean(jnp.argmax(_logits(p, xte), -1) == yte))
    assert acc >= 0.90, (lr, acc)


def test_torch_finder_restores_state_and_its_lr_trains(tmp_path):
    xtr, xte, ytr, yte = _digits()
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    weights = {k: v.clone() for k, v in model.state_dict().items()}
    loader = [(torch.tensor(x), torch.tensor(y)) for x, y in _batches(xtr, ytr)]
    finder = torch_compat.LRFinder(model, opt, torch.nn.functional.cross_entropy)
    res = finder.range_test(loader, start_lr=1e-6, end_lr=10.0, num_steps=120)
    for k, v in model.state_dict().items():
        torch.testing.assert_close(v, weights[k], rtol=0, atol=0)
    assert opt.param_groups[0]["lr"] == 1e-3 and "initial_lr" not in opt.param_groups[0]
    assert not opt.state  # Adam's moments from the sweep are gone
    sgd = torch.optim.SGD(model.parameters(), lr=0.1)
    diverged = torch_compat.LRFinder(model, sgd, torch.nn.functional.cross_entropy).range_test(
        loader, start_lr=1e-4, end_lr=1e3, num_steps=100)
    assert diverged.stopped_early and len(diverged.losses) < 100
    finder.plot(path=str(tmp_path / "finder.png"))
    assert (tmp_path / "finder.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    lr = res.suggestions["valley"]
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(5):
        for x, y in loader:
            loss = torch.nn.functional.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
    with torch.no_grad():
        acc = (model(torch.tensor(xte)).argmax(-1).numpy() == yte).mean()
    assert acc >= 0.90, (lr, acc)


def test_invalid_finder_arguments():
    with pytest.raises(ValueError, match="end_lr must be in"):
        optax_sched.lr_finder(_loss, _init(), [None], optax.sgd, start_lr=1.0, end_lr=0.1)
    with pytest.raises(ValueError, match="diverge_factor must be in"):
        optax_sched.lr_finder(_loss, _init(), [None], optax.sgd, diverge_factor=1.0)
