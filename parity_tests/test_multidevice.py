"""8 host devices (subprocess): sharded training gives the single-device LR sequences and
keeps the parameters' sharding in the optimizer state."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from parity_tests.tolerances import assert_within

ROOT = pathlib.Path(__file__).resolve().parents[1]

# one pytest-xdist worker runs this module (``--dist loadgroup``): the 8-device
# subprocess (a module fixture) runs once, not once per worker
pytestmark = pytest.mark.xdist_group("test_multidevice")


@pytest.fixture(scope="module")
def results():
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=8",
               JAX_PLATFORMS="cpu")
    proc = subprocess.run([sys.executable, "-m", "parity_tests.multidevice_check"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_eight_devices(results):
    assert results["devices"] == 8


@pytest.mark.parametrize("name", ["gracos", "adaptive"])
def test_sharded_lr_equals_single_device(results, name):
    single = np.asarray(results[name]["single"]).T
    sharded = np.asarray(results[name]["sharded"]).T
    assert single.shape == sharded.shape and single.shape[1] == 30
    assert_within(sharded, single, "stateful32", f"{name}: sharded vs single device")
    assert len(np.unique(np.round(single, 7))) > 5  # the LR really moved


@pytest.mark.parametrize("name", ["gracos", "adaptive"])
def test_optimizer_state_keeps_param_sharding(results, name):
    assert results[name]["sharding_kept"] is True
