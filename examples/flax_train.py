"""Train a Flax NNX MLP on sklearn's digits with GraCos (auto, out-of-phase, Adam).

    python examples/flax_train.py --out out             # GraCos, 10 epochs
    python examples/flax_train.py --schedule one_cycle_lr --epochs 5

Writes ``OUT/flax_train.png`` (LR of every parameter leaf, and the loss) and prints the
test accuracy. Any schedule of the library can be chosen with ``--schedule NAME``; its
arguments can be overridden with ``--NAME value`` pairs (e.g. ``--T_mult 2``).
"""

from __future__ import annotations

import time

import jax
import jax.numpy as jnp
import optax
from flax import nnx

import optax_sched
from _common import digits, epoch_batches, parse, parser, progress, report, schedule_kwargs
from _nnx import MLP


def make_tx(name, kw):
    """GraCos as the optimizer, or Adam driven by any other schedule (and its momentum)."""
    if name == "gracos":
        # clip_norm reuses the gradient norm GraCos reads anyway (one pass), and the "path"
        # order gives each tensor the phase examples/torch_train.py gives its twin
        return optax_sched.gracos(**kw, out_of_phase=True, leaf_order="path", clip_norm=1.0,
                                  inner=optax.scale_by_adam())
    lr, mom = optax_sched.from_name(name, **kw)
    hp = {"learning_rate": lr} if mom is None else {"learning_rate": lr, "b1": mom}
    return optax.chain(optax.clip_by_global_norm(1.0),
                       optax_sched.inject_schedules(optax.adam, **hp))


def main(argv=None):
    args, over = parse(parser(__doc__.splitlines()[0]), argv)
    xtr, xte, ytr, yte = digits()
    steps = len(xtr) // args.batch_size
    kw = schedule_kwargs(args.schedule, steps, args.epochs, args.lr, over)
    model = MLP(nnx.Rngs(0))
    optimizer = nnx.Optimizer(model, make_tx(args.schedule, kw), wrt=nnx.Param)

    @nnx.jit
    def train_step(model, optimizer, x, y):
        def loss_fn(m):
            return optax.softmax_cross_entropy_with_integer_labels(m(x), y).mean()

        loss, grads = nnx.value_and_grad(loss_fn)(model)
        optimizer.update(model, grads)
        return loss

    lrs, losses = {}, []
    t0 = time.perf_counter()
    bar = progress(args.epochs * steps, args.no_progress)
    for epoch in range(args.epochs):
        for x, y in epoch_batches(xtr, ytr, args.batch_size, epoch):
            lr = optax_sched.current_lr(optimizer.opt_state)
            leaves = jax.tree_util.tree_leaves_with_path(lr)
            for path, value in leaves:
                name = jax.tree_util.keystr(path) or "lr"
                lrs.setdefault(name, []).append(float(value))
            loss = float(train_step(model, optimizer, jnp.asarray(x), jnp.asarray(y)))
            losses.append(loss)
            bar.update()
            bar.set_postfix(epoch=epoch, loss=f"{loss:.4f}", lr=f"{float(leaves[0][1]):.2e}")
    bar.close()
    acc = float(jnp.mean(jnp.argmax(model(jnp.asarray(xte)), -1) == jnp.asarray(yte)))
    report(args, "flax", steps, lrs, losses, acc, t0)
    return acc


if __name__ == "__main__":
    main()
