"""Plain-data configs: every schedule's config is JSON, rebuilds the same sequence on the
other face, and a run moves mid-way from PyTorch to JAX with the same LRs."""

from __future__ import annotations

import json
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
import torch

import optax_sched
import torch_compat as tc
from parity_tests.tolerances import assert_within
from sched_tools._parity import make_torch_scheduler
from sched_tools._parity import optax_kwargs
from sched_tools._records import RECORDS

_CASES = [c for r in RECORDS.values() if r.kind == "schedule" for c in r.cases
          if c.lambda_name is None]


def _opt(groups=1):
    return torch.optim.SGD([{"params": [torch.nn.Parameter(torch.zeros(1))]}
                            for _ in range(groups)], lr=0.1, momentum=0.9)


def _torch_lrs(sched, n, group=0):
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(n):
            out.append(sched.get_last_lr()[group])
            sched.step()
    return np.asarray(out)


def _jax(schedule, n):
    return np.asarray(jax.jit(jax.vmap(schedule))(jnp.arange(n)), dtype=np.float64)


@pytest.mark.parametrize("case", _CASES[::2], ids=lambda c: c.id)
def test_optax_config_rebuilds_the_same_torch_scheduler(case):
    lr, _ = optax_sched.from_name(case.schedule, **optax_kwargs(case, 1.0))
    cfg = json.loads(json.dumps(optax_sched.config_of(lr)))  # plain JSON both ways
    assert cfg["name"] == case.schedule
    sched = tc.from_config(cfg, _opt())
    assert_within(_jax(lr, case.steps), _torch_lrs(sched, case.steps), "float32", case.id)


@pytest.mark.parametrize("case", _CASES[1::2], ids=lambda c: c.id)
def test_torch_config_rebuilds_the_same_optax_schedule(case):
    _, sched = make_torch_scheduler(case)
    group = len(case.group_factors) - 1  # the last group (its own scale)
    cfg = json.loads(json.dumps(tc.config_of(sched, group=group)))
    lr, mom = optax_sched.from_config(cfg)
    assert_within(_jax(lr, case.steps), _torch_lrs(sched, case.steps, group), "float32",
                  case.id)
    if case.momentum is not None or case.schedule == "one_cycle_policy":
        assert mom is not None


def test_compositions_round_trip_on_both_faces():
    seq = optax_sched.sequential_lr([optax_sched.linear_warmup(0.1, 5),
                                     optax_sched.cosine_annealing_lr(0.1, 20)], [5])
    cfg = json.loads(json.dumps(optax_sched.config_of(seq)))
    assert [c["name"] for c in cfg["args"]["schedules"]] == ["linear_warmup",
                                                             "cosine_annealing_lr"]
    sched = tc.from_config(cfg, _opt())
    assert_within(_jax(seq, 40), _torch_lrs(sched, 40), "float32", "sequential")
    back, _ = optax_sched.from_config(tc.config_of(sched))
    assert_within(_jax(back, 40), _jax(seq, 40), "float32", "sequential back")
    chain = optax_sched.chained_scheduler([optax_sched.step_lr(0.1, 4, 0.5),
                                           optax_sched.exponential_lr(0.1, 0.95)])
    cfg = json.loads(json.dumps(optax_sched.config_of(chain)))
    assert_within(_jax(chain, 30), _torch_lrs(tc.from_config(cfg, _opt()), 30), "float32",
                  "chained")


def test_schedules_without_plain_data_say_why():
    with pytest.raises(ValueError, match=r"fn is a Python callable"):
        optax_sched.config_of(optax_sched.lambda_lr(0.1, lambda k: 0.9 ** k))
    with pytest.raises(ValueError, match=r"no config"):
        optax_sched.config_of(optax.constant_schedule(0.1))
    with pytest.raises(ValueError, match=r"GraCos has no plain-data config"):
        tc.config_of(tc.GraCos(_opt(), 0.1, 0.01, 10, 3))
    with pytest.raises(ValueError, match=r"config must be a dict"):
        optax_sched.from_config({"name": "step_lr"})
    with pytest.raises(KeyError, match=r"unknown schedule 'nope'"):
        tc.from_config({"name": "nope", "args": {}}, _opt())


def test_a_run_moves_from_torch_to_jax_mid_way_with_the_same_lrs():
    """The examples' MLP on digits: 20 Adam updates in PyTorch with a warmup-stable-decay
    schedule, then params, Adam moments and the schedule's position move to JAX/Optax; both
    continue on the same batches with the same LRs (and nearly the same weights)."""
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32)
    y = y.astype(np.int64)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.ReLU(),
                                torch.nn.Linear(64, 10))
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    sched = tc.WarmupStableDecay(opt, num_warmup_steps=5, num_decay_steps=20,
                                 num_training_steps=60, decay_type="1-sqrt")
    batches = [np.arange(i * 32, (i + 1) * 32) % len(x) for i in range(50)]

    def torch_update(idx):
        loss = torch.nn.functional.cross_entropy(model(torch.from_numpy(x[idx])),
                                                 torch.from_numpy(y[idx]))
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()

    for idx in batches[:20]:
        torch_update(idx)
    # --- the move: config, parameters, Adam state, position (all plain data)
    cfg = json.loads(json.dumps(tc.config_of(sched)))
    schedule, _ = optax_sched.from_config(cfg)
    k = sched.last_epoch
    layers = [model[0], model[2]]
    params = {f"l{i}": {"w": jnp.asarray(m.weight.detach().numpy().T),
                        "b": jnp.asarray(m.bias.detach().numpy())}
              for i, m in enumerate(layers)}
    state = opt.state

    def moments(key):
        return {f"l{i}": {"w": jnp.asarray(state[m.weight][key].numpy().T),
                          "b": jnp.asarray(state[m.bias][key].numpy())}
                for i, m in enumerate(layers)}

    tx = optax.chain(optax.scale_by_adam(b1=0.9, b2=0.999, eps=1e-8),
                     optax.scale_by_learning_rate(schedule))
    opt_state = (optax.ScaleByAdamState(count=jnp.asarray(k, jnp.int32), mu=moments("exp_avg"),
                                        nu=moments("exp_avg_sq")),
                 optax.ScaleByScheduleState(count=jnp.asarray(k, jnp.int32)))

    def loss_fn(p, xb, yb):
        h = jax.nn.relu(xb @ p["l0"]["w"] + p["l0"]["b"])
        logits = h @ p["l1"]["w"] + p["l1"]["b"]
        return optax.softmax_cross_entropy_with_integer_labels(logits, yb).mean()

    @jax.jit
    def jax_update(p, s, xb, yb):
        g = jax.grad(loss_fn)(p, xb, yb)
        u, s = tx.update(g, s, p)
        return optax.apply_updates(p, u), s

    torch_lrs, jax_lrs = [], []
    for idx in batches[20:]:
        torch_lrs.append(sched.get_last_lr()[0])
        jax_lrs.append(float(schedule(opt_state[1].count)))
        params, opt_state = jax_update(params, opt_state, x[idx], y[idx])
        torch_update(idx)
    assert_within(np.asarray(jax_lrs), np.asarray(torch_lrs), "float32", "LRs after the move")
    assert len(set(np.round(torch_lrs, 8))) >= 10  # the stable stage and the cooldown
    np.testing.assert_allclose(np.asarray(params["l1"]["w"]),
                               model[2].weight.detach().numpy().T, rtol=1e-3, atol=1e-5)
