"""Plain-data configs: every schedule's config is JSON, rebuilds the same sequence on the
other face, and a run moves mid-way from PyTorch to JAX with the same LRs."""

from __future__ import annotations

import json

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
import torch

import optax_sched
import torch_compat as tc
from parity_tests.harness import assert_sequences
from parity_tests.harness import jax_sequences
from parity_tests.harness import lr_sequence
from parity_tests.tolerances import assert_within
from sched_tools._parity import make_torch_scheduler
from sched_tools._parity import optax_kwargs
from sched_tools._records import RECORDS

_CASES = [c for r in RECORDS.values() if r.kind == "schedule" for c in r.cases
          if c.lambda_name is None]



def _opt(groups=1):
    return torch.optim.SGD([{"params": [torch.nn.Parameter(torch.zeros(1))]}
                            for _ in range(groups)], lr=0.1, momentum=0.9)


def test_optax_config_rebuilds_the_same_torch_scheduler():
    """Every other case (the rest go the other way below)."""
    expected = {}
    for case in _CASES[::2]:
        lr, _ = optax_sched.from_name(case.schedule, **optax_kwargs(case, 1.0))
        cfg = json.loads(json.dumps(optax_sched.config_of(lr)))  # plain JSON both ways
        assert cfg["name"] == case.schedule, case.id
        sched = tc.from_config(cfg, _opt())
        expected[case.id] = (lr, lr_sequence(sched, case.steps))
    assert_sequences(expected)


def test_torch_config_rebuilds_the_same_optax_schedule():
    expected = {}
    for case in _CASES[1::2]:
        _, sched = make_torch_scheduler(case)
        group = len(case.group_factors) - 1  # the last group (its own scale)
        cfg = json.loads(json.dumps(tc.config_of(sched, group=group)))
        lr, mom = optax_sched.from_config(cfg)
        expected[case.id] = (lr, lr_sequence(sched, case.steps, group))
        if case.momentum is not None or case.schedule == "one_cycle_policy":
            assert mom is not None, case.id
    assert_sequences(expected)


def test_compositions_round_trip_on_both_faces():
    seq = optax_sched.sequential_lr([optax_sched.linear_warmup(0.1, 5),
                                     optax_sched.cosine_annealing_lr(0.1, 20)], [5])
    cfg = json.loads(json.dumps(optax_sched.config_of(seq)))
    assert [c["name"] for c in cfg["args"]["schedules"]] == ["linear_warmup",
                                                             "cosine_annealing_lr"]
    sched = tc.from_config(cfg, _opt())
    torch_seq = lr_sequence(sched, 40)
    back, _ = optax_sched.from_config(tc.config_of(sched))
    chain = optax_sched.chained_scheduler([optax_sched.step_lr(0.1, 4, 0.5),
                                           optax_sched.exponential_lr(0.1, 0.95)])
    cfg = json.loads(json.dumps(optax_sched.config_of(chain)))
    torch_chain = lr_sequence(tc.from_config(cfg, _opt()), 30)
    seq_values, back_values, chain_values = jax_sequences([seq, back, chain], 40)
    assert_within(seq_values, torch_seq, "float32", "sequential")
    assert_within(back_values, seq_values, "float32", "sequential back")
    assert_within(chain_values[:30], torch_chain, "float32", "chained")


def test_schedules_without_plain_data_say_why():
    with pytest.raises(ValueError, match=r"fn is a Python callable"):
        optax_sched.config_of(optax_sched.lambda_lr(0.1, lambda k: 0.9 ** k))
    with pytest.raises(ValueError, match=r"no config"):
        optax_sched.config_of(optax.constant_schedule(0.1))
    with pytest.raises(ValueError, match=r"StepLR has no plain-data config"):
        tc.config_of(torch.optim.lr_scheduler.StepLR(_opt(), 3))  # torch's own class
    with pytest.raises(ValueError, match=r"inner\[0\] is a Python callable"):
        optax_sched.config_of(optax_sched.gracos(0.1, 0.01, 10, 3, inner=optax.scale_by_adam()))
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


def test_stateful_transforms_have_configs_that_cross_faces():
    # GraCos: the torch scheduler's config rebuilds the same optax transform, and back
    opt = _opt()
    gra = tc.GraCosOOP(opt, 0.1, 0.01, steps_per_epoch=10, total_epochs=4, warmup_epochs=1,
                       clip_norm=1.0)
    cfg = json.loads(json.dumps(tc.config_of(gra)))
    tx, none = optax_sched.from_config(cfg)
    jax_cfg = optax_sched.config_of(tx)  # plus the JAX-only inner=None, leaf_order="tree"
    assert none is None and {k: jax_cfg["args"][k] for k in cfg["args"]} == cfg["args"]
    assert tc.config_of(tc.from_config(jax_cfg, _opt())) == cfg
    assert cfg["args"]["out_of_phase"] is True and cfg["args"]["clip_norm"] == 1.0
    again = tc.from_config(cfg, _opt())
    assert isinstance(again, tc.GraCosOOP) and tc.config_of(again) == cfg
    # normal mode needs no gradients: the LR sequences agree
    state = tx.init({"w": jnp.zeros(2)})
    update = jax.jit(tx.update)
    jax_lrs = []
    for _ in range(40):
        jax_lrs.append(float(np.ravel(np.asarray(optax_sched.current_lr(state)["w"]))[0]))
        _, state = update({"w": jnp.ones(2)}, state, {"w": jnp.zeros(2)})
    assert_within(np.asarray(jax_lrs), lr_sequence(again, 40), "float32", "gracos")
    # ReduceLROnPlateau: same losses, same cuts
    opt = _opt()
    plateau = tc.ReduceLROnPlateau(opt, factor=0.5, patience=1, min_lr=0.01)
    cfg = json.loads(json.dumps(tc.config_of(plateau)))
    tx, _ = optax_sched.from_config(cfg)
    losses = [1.0, 0.9, 0.95, 0.96, 0.97, 0.5, 0.6, 0.7, 0.8, 0.9]
    state = tx.init({"w": jnp.zeros(1)})
    jax_lrs, torch_lrs = [], []
    for loss in losses:
        _, state = tx.update({"w": jnp.ones(1)}, state, value=jnp.asarray(loss))
        jax_lrs.append(float(optax_sched.current_lr(state)))
        plateau.step(loss)
        torch_lrs.append(opt.param_groups[0]["lr"])
    assert_within(np.asarray(jax_lrs), np.asarray(torch_lrs), "float32", "plateau")
    assert min(torch_lrs) < 0.1  # it did cut
    # AdaptiveScheduler: the same arguments on both faces
    model = torch.nn.Linear(3, 1)
    ada = tc.AdaptiveScheduler(torch.optim.Adam(model.parameters(), lr=3e-3), model,
                               total_steps=100, clip_norm=2.0)
    cfg = json.loads(json.dumps(tc.config_of(ada)))
    assert cfg["args"]["base_optimizer"] == "adam"
    assert optax_sched.config_of(optax_sched.from_config(cfg)[0]) == cfg
    with pytest.raises(ValueError, match="needs the model"):
        tc.from_config(cfg, torch.optim.Adam(model.parameters()))
    rebuilt = tc.from_config(cfg, torch.optim.Adam(model.parameters(), lr=3e-3), model=model)
    assert tc.config_of(rebuilt) == cfg
