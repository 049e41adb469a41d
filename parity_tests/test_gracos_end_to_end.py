"""End to end: the same MLP, same initial weights, same sklearn digits batches, trained
3 epochs with SGD + GraCos auto in Flax NNX and in PyTorch."""

from __future__ import annotations

import functools

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


@functools.lru_cache(maxsize=1)
def _data():
    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32)
    perm = np.random.default_rng(0).permutation(len(x))
    x, y = x[perm], y[perm].astype(np.int64)
    x.flags.writeable = y.flags.writeable = False  # shared by the tests (cached)
    return x, y


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


def _paired_models():
    """The NNX MLP with the torch model's initial weights (explicit leaf pairing: torch
    (out, in) weights are NNX (in, out) kernels). The NNX module is built abstractly
    (``nnx.eval_shape``: no random initialisation to compile) and every one of its four
    arrays is then set from torch."""
    tmodel = _torch_model()
    model = nnx.eval_shape(lambda: NnxMLP(nnx.Rngs(0)))
    model.fc1.kernel.set_value(jnp.asarray(tmodel[0].weight.detach().numpy().T))
    model.fc1.bias.set_value(jnp.asarray(tmodel[0].bias.detach().numpy()))
    model.fc2.kernel.set_value(jnp.asarray(tmodel[2].weight.detach().numpy().T))
    model.fc2.bias.set_value(jnp.asarray(tmodel[2].bias.detach().numpy()))
    return model, tmodel


def test_flax_nnx_and_torch_train_identically_with_gracos_auto():
    x, y = _data()
    steps = len(x) // BATCH
    model, tmodel = _paired_models()

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
    for _epoch in range(EPOCHS):
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


def test_flax_and_torch_out_of_phase_with_clipping_give_each_tensor_the_same_lr():
    """The examples' recipe: GraCos auto, out of phase in the "path" order, built-in clipping."""
    x, y = _data()
    steps = len(x) // BATCH
    model, tmodel = _paired_models()
    kw = dict(initial_lr=0.5, final_lr=0.05, steps_per_epoch=steps, total_epochs=EPOCHS,
              mode="auto")
    tx = optax_sched.gracos(**kw, out_of_phase=True, leaf_order="path", clip_norm=0.25)
    optimizer = nnx.Optimizer(model, tx, wrt=nnx.Param)

    @nnx.jit
    def train_step(model, optimizer, xb, yb):
        def loss_fn(m):
            return optax.softmax_cross_entropy_with_integer_labels(m(xb), yb).mean()

        loss, grads = nnx.value_and_grad(loss_fn)(model)
        optimizer.update(model, grads)
        return loss

    groups = torch_compat.per_tensor_param_groups(tmodel, order="path")
    topt = torch.optim.SGD(groups, lr=0.1)
    sched = torch_compat.GraCosOOP(topt, **kw, clip_norm=0.25)
    pairing = {"fc1/bias": "0.bias", "fc1/kernel": "0.weight", "fc2/bias": "2.bias",
               "fc2/kernel": "2.weight"}
    jax_lrs, torch_lrs, clipped = [], [], 0
    for _epoch in range(EPOCHS):
        for i in range(steps):
            xb, yb = x[i * BATCH:(i + 1) * BATCH], y[i * BATCH:(i + 1) * BATCH]
            lr = optax_sched.current_lr(optimizer.opt_state)
            jax_lrs.append([float(lr[a][b]) for a, b in (n.split("/") for n in pairing)])
            train_step(model, optimizer, jnp.asarray(xb), jnp.asarray(yb))

            by_name = dict(zip((g["name"] for g in groups), sched.get_last_lr(),
                               strict=True))
            torch_lrs.append([by_name[pairing[n]] for n in pairing])
            loss = torch.nn.functional.cross_entropy(tmodel(torch.tensor(xb)), torch.tensor(yb))
            topt.zero_grad()
            loss.backward()
            clipped += float(sched.update_gradient_norm()) > 0.25
            topt.step()
            sched.step()

    assert clipped > 0  # the clip was active
    jax_lrs, torch_lrs = np.asarray(jax_lrs).T, np.asarray(torch_lrs).T
    assert_within(jax_lrs, torch_lrs, "stateful32", "per-tensor LRs")
    assert np.mean(np.ptp(torch_lrs, axis=0) > 0.01) > 0.9  # the tensors really are out of phase
    pairs = [(model.fc1.kernel.get_value(), tmodel[0].weight.detach().numpy().T),
             (model.fc2.bias.get_value(), tmodel[2].bias.detach().numpy())]
    for jax_p, torch_p in pairs:
        scale = np.max(np.abs(torch_p))
        np.testing.assert_allclose(np.asarray(jax_p), torch_p, rtol=1e-4, atol=1e-4 * scale)
