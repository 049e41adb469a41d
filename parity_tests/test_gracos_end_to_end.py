"""End to end: the same MLP, same initial weights, same sklearn digits batches, trained
3 epochs with SGD + GraCos auto in Flax NNX and in PyTorch."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import torch
from flax import nnx
from sklearn.datasets import load_digits

import optax_sched
import torch_compat
from parity_tests.tolerances import assert_within

BATCH, EPOCHS, HIDDEN = 128, 3, 32


def _data():
    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32)
    perm = np.random.default_rng(0).permutation(len(x))
    return x[perm], y[perm].astype(np.int64)


class NnxMLP(nnx.Module):
    def __init__(self, rngs):
        self.fc1 = nnx.Linear(64, HIDDEN, rngs=rngs)
        self.fc2 = nnx.Linear(HIDDEN, 10, rngs=rngs)

    def __call__(self, x):
        return self.fc2(jax.nn.relu(self.fc1(x)))


def _torch_model():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(64, HIDDEN), torch.nn.ReLU(),
                               torch.nn.Linear(HIDDEN, 10))


def test_flax_nnx_and_torch_train_identically_with_gracos_auto():
    x, y = _data()
    steps = len(x) // BATCH
    tmodel = _torch_model()
    # explicit leaf pairing: torch (out, in) weights are NNX (in, out) kernels
    model = NnxMLP(nnx.Rngs(0))
    model.fc1.kernel.set_value(jnp.asarray(tmodel[0].weight.detach().numpy().T))
    model.fc1.bias.set_value(jnp.asarray(tmodel[0].bias.detach().numpy()))
    model.fc2.kernel.set_value(jnp.asarray(tmodel[2].weight.detach().numpy().T))
    model.fc2.bias.set_value(jnp.asarray(tmodel[2].bias.detach().numpy()))

    tx = optax_sched.gracos(0.2, 0.02, steps, EPOCHS, mode="auto")
    optimizer = nnx.Optimizer(model, tx, wrt=nnx.Param)
    traces = []

    @nnx.jit
    def train_step(model, optimizer, xb, yb):
        traces.append(1)

        def loss_fn(m):
            return optax.softmax_cross_entropy_with_integer_labels(m(xb), yb).mean()

        loss, grads = nnx.value_and_grad(loss_fn)(model)
        optimizer.update(model, grads)
        return loss

    topt = torch.optim.SGD(tmodel.parameters(), lr=0.1)
    sched = torch_compat.GraCos(topt, 0.2, 0.02, steps, EPOCHS, mode="auto")
    jax_lrs, torch_lrs = [], []
    for epoch in range(EPOCHS):
        for i in range(steps):
            xb, yb = x[i * BATCH:(i + 1) * BATCH], y[i * BATCH:(i + 1) * BATCH]
            jax_lrs.append(float(optax_sched.current_lr(optimizer.opt_state)))
            train_step(model, optimizer, jnp.asarray(xb), jnp.asarray(yb))

            torch_lrs.append(sched.get_last_lr()[0])
            loss = torch.nn.functional.cross_entropy(tmodel(torch.tensor(xb)), torch.tensor(yb))
            topt.zero_grad()
            loss.backward()
            sched.update_gradient_norm()
            topt.step()
            sched.step()
        sched.epoch_end()

    assert len(traces) == 1  # one compilation for the whole run
    np.testing.assert_allclose(jax_lrs, torch_lrs, rtol=1e-5)
    assert len(set(np.round(torch_lrs, 8))) > steps  # the LR really moved
    pairs = [(model.fc1.kernel.get_value(), tmodel[0].weight.detach().numpy().T),
             (model.fc1.bias.get_value(), tmodel[0].bias.detach().numpy()),
             (model.fc2.kernel.get_value(), tmodel[2].weight.detach().numpy().T),
             (model.fc2.bias.get_value(), tmodel[2].bias.detach().numpy())]
    for jax_p, torch_p in pairs:
        jax_p = np.asarray(jax_p)
        scale = np.max(np.abs(torch_p))
        np.testing.assert_allclose(jax_p, torch_p, rtol=1e-4, atol=1e-4 * scale)
    assert_within(np.asarray(jax_lrs), np.asarray(torch_lrs), "stateful32", "LR sequences")
