"""AdaptiveScheduler in both frameworks on sklearn's digits: LR, momentum and % frozen.

    python examples/adaptive_train.py --out out

Trains the same MLP (same initial weights, same batches) with ``optax_sched.adaptive``
(Flax NNX) and ``torch_compat.AdaptiveScheduler`` (PyTorch SGD), prints both test
accuracies and the largest LR difference between the frameworks, and writes
``OUT/adaptive_train.png``.
"""

from __future__ import annotations

import os
import time

import jax.numpy as jnp
import numpy as np
import optax
import torch
from flax import nnx

import optax_sched
import torch_compat
from _common import digits, epoch_batches, parser, plot_training, progress
from _nnx import MLP


def main(argv=None):
    p = parser(__doc__.splitlines()[0], default_schedule="adaptive")
    p.set_defaults(lr=0.05, epochs=8)
    p.add_argument("--freeze-threshold", type=float, default=8e-2,
                   help="freeze a tensor whose relative change EMA falls below this")
    p.add_argument("--min-steps-before-freeze", type=int, default=60,
                   help="updates before any tensor may freeze")
    args = p.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    xtr, xte, ytr, yte = digits()
    steps = len(xtr) // args.batch_size
    kw = dict(momentum=0.9, freeze_threshold=args.freeze_threshold,
              min_steps_before_freeze=args.min_steps_before_freeze,
              total_steps=steps * args.epochs)

    torch.manual_seed(0)
    tmodel = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.ReLU(),
                                 torch.nn.Linear(64, 10))
    model = MLP(nnx.Rngs(0))  # same initial weights (explicit pairing, transposed kernels)
    model.fc1.kernel.set_value(jnp.asarray(tmodel[0].weight.detach().numpy().T))
    model.fc1.bias.set_value(jnp.asarray(tmodel[0].bias.detach().numpy()))
    model.fc2.kernel.set_value(jnp.asarray(tmodel[2].weight.detach().numpy().T))
    model.fc2.bias.set_value(jnp.asarray(tmodel[2].bias.detach().numpy()))
    optimizer = nnx.Optimizer(model, optax_sched.adaptive(args.lr, **kw), wrt=nnx.Param)
    topt = torch.optim.SGD(tmodel.parameters(), lr=args.lr, momentum=0.9)
    sched = torch_compat.AdaptiveScheduler(topt, tmodel, **kw)

    @nnx.jit
    def train_step(model, optimizer, x, y):
        def loss_fn(m):
            return optax.softmax_cross_entropy_with_integer_labels(m(x), y).mean()

        loss, grads = nnx.value_and_grad(loss_fn)(model)
        optimizer.update(model, grads, value=loss)
        return loss

    hist = {k: {"jax": [], "torch": []} for k in ("lr", "momentum", "% frozen")}
    losses = []
    t0 = time.perf_counter()
    bar = progress(args.epochs * steps, args.no_progress)
    for epoch in range(args.epochs):
        for x, y in epoch_batches(xtr, ytr, args.batch_size, epoch):
            snap = optax_sched.adaptive_snapshot(optimizer.opt_state)
            tsnap = sched.snapshot()
            for key, j, t in (("lr", snap["lr"], tsnap["lr"]),
                              ("momentum", snap["momentum"], tsnap["momentum"]),
                              ("% frozen", snap["pct_frozen"], tsnap["pct_frozen"])):
                hist[key]["jax"].append(float(j))
                hist[key]["torch"].append(float(t))
            losses.append(float(train_step(model, optimizer, jnp.asarray(x), jnp.asarray(y))))
            loss = torch.nn.functional.cross_entropy(tmodel(torch.from_numpy(x)),
                                                     torch.from_numpy(y))
            topt.zero_grad()
            loss.backward()
            topt.step()
            sched.step(loss)
            bar.update()
            bar.set_postfix(epoch=epoch, loss=f"{losses[-1]:.4f}",
                            lr=f"{hist['lr']['jax'][-1]:.2e}")
    bar.close()
    acc_j = float(jnp.mean(jnp.argmax(model(jnp.asarray(xte)), -1) == jnp.asarray(yte)))
    with torch.no_grad():
        acc_t = float((tmodel(torch.from_numpy(xte)).argmax(-1).numpy() == yte).mean())
    print(f"frozen for the next update: {sched.frozen_names() or 'none'}")
    d = np.max(np.abs(np.asarray(hist["lr"]["jax"]) - hist["lr"]["torch"]))
    path = os.path.join(args.out, "adaptive_train.png")
    plot_training(path, "AdaptiveScheduler: Flax NNX (jax) and PyTorch (torch)",
                  {"jax": hist["lr"]["jax"], "torch": hist["lr"]["torch"]}, np.asarray(losses),
                  {"momentum": hist["momentum"], "% frozen": hist["% frozen"]}, overlay=True)
    print(f"adaptive: {args.epochs} epochs x {steps} steps, test accuracy jax {acc_j:.4f} / "
          f"torch {acc_t:.4f}, max |LR jax - LR torch| = {d:.2e}, max frozen "
          f"{max(hist['% frozen']['torch']):.1f}%, {time.perf_counter() - t0:.1f} s")
    print(f"wrote {path}")
    return acc_j, acc_t


if __name__ == "__main__":
    main()
