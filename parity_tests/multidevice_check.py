"""Run in a subprocess with XLA_FLAGS=--xla_force_host_platform_device_count=8.

Trains a small MLP with gracos(auto, out_of_phase) and adaptive on one device and on an
8-device mesh (FSDP-style parameter sharding + data parallelism), prints JSON with both LR
sequences and whether the optimizer state kept the parameters' sharding.
"""

from __future__ import annotations

import json

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P

import optax_sched

STEPS = 30


def params0():
    """The MLP's initial parameters (numpy draws: nothing to compile per device count)."""
    rng = np.random.default_rng(1)
    return {"w1": (rng.normal(size=(64, 32)) * 0.1).astype(np.float32),
            "b1": np.zeros(32, np.float32),
            "w2": (rng.normal(size=(32, 16)) * 0.1).astype(np.float32)}


def batches():
    rng = np.random.default_rng(0)
    return [(rng.normal(size=(64, 64)).astype(np.float32),
             rng.normal(size=(64, 16)).astype(np.float32)) for _ in range(STEPS)]


def loss_fn(p, x, y):
    return jnp.mean((jnp.tanh(x @ p["w1"] + p["b1"]) @ p["w2"] - y) ** 2)


def run(tx, needs_value, shard):
    mesh = Mesh(np.array(jax.devices()), ("x",))
    specs = {"w1": P("x", None), "b1": P(), "w2": P("x", None)}
    p = params0()
    if shard:
        p = {k: jax.device_put(v, NamedSharding(mesh, specs[k])) for k, v in p.items()}
    else:
        p = {k: jnp.asarray(v) for k, v in p.items()}
    state = jax.jit(tx.init)(p)  # one compilation instead of one per eager op
    if shard:  # the scalars replicated on the mesh, as the step returns them (no recompile)
        state = jax.tree_util.tree_map(
            lambda x: x if isinstance(x.sharding, NamedSharding)
            else jax.device_put(x, NamedSharding(mesh, P())), state)

    @jax.jit
    def step(p, state, x, y):
        loss, g = jax.value_and_grad(loss_fn)(p, x, y)
        kw = {"value": loss} if needs_value else {}
        u, state = tx.update(g, state, p, **kw)
        return optax.apply_updates(p, u), state

    lrs = []
    for x, y in batches():
        if shard:
            x = jax.device_put(x, NamedSharding(mesh, P("x", None)))
            y = jax.device_put(y, NamedSharding(mesh, P("x", None)))
        lr = optax_sched.current_lr(state)
        lrs.append([float(v) for v in jax.tree_util.tree_leaves(lr)])
        p, state = step(p, state, x, y)
    kept = True
    if shard:
        assert _param_like(state, p), "no parameter-shaped optimizer state found"
        for leaf_state in _param_like(state, p):
            for k in p:
                kept &= leaf_state[k].sharding.is_equivalent_to(p[k].sharding, p[k].ndim)
    return lrs, kept


def _param_like(state, p):
    """Optimizer-state subtrees shaped like the params (trace, Adam moments)."""
    out = []
    keys = set(p)

    def visit(node):
        if isinstance(node, dict) and set(node) == keys:
            if all(np.shape(node[k]) == p[k].shape for k in keys):  # not the per-leaf LRs
                out.append(node)
        elif isinstance(node, (tuple, list)):
            for c in node:
                visit(c)

    visit(state)
    return out


def main():
    results = {"devices": len(jax.devices())}
    makers = {
        "gracos": (lambda: optax_sched.gracos(0.05, 0.005, 6, 5, mode="auto", out_of_phase=True,
                                              inner=optax.scale_by_adam()), False),
        "adaptive": (lambda: optax_sched.adaptive(0.05, min_steps_before_freeze=5,
                                                  freeze_threshold=0.05), True),
    }
    for name, (make, needs_value) in makers.items():
        single, _ = run(make(), needs_value, shard=False)
        sharded, kept = run(make(), needs_value, shard=True)
        results[name] = {"single": single, "sharded": sharded, "sharding_kept": kept}
    print(json.dumps(results))


if __name__ == "__main__":
    main()
