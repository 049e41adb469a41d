"""Root pytest configuration: names available to doctests."""

import pytest


@pytest.fixture(autouse=True)
def _doctest_names(doctest_namespace):
    import jax.numpy as jnp

    import optax_sched

    doctest_namespace["optax_sched"] = optax_sched
    doctest_namespace["jnp"] = jnp
