"""The examples' Flax NNX model."""

from __future__ import annotations

import jax
from flax import nnx


class MLP(nnx.Module):
    """64 -> 64 -> 10 ReLU network (the same as the PyTorch examples' Sequential)."""

    def __init__(self, rngs: nnx.Rngs):
        self.fc1 = nnx.Linear(64, 64, rngs=rngs)
        self.fc2 = nnx.Linear(64, 10, rngs=rngs)

    def __call__(self, x):
        return self.fc2(jax.nn.relu(self.fc1(x)))
