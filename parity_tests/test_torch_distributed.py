"""torch.distributed (gloo, 2 CPU processes): DDP and FSDP2 give the same LR sequences on
every rank, equal to the single-process run (global gradient norms, not per shard)."""

from __future__ import annotations

import json
import pathlib
import socket
import subprocess
import sys

import numpy as np
import pytest

from parity_tests.tolerances import assert_within

ROOT = pathlib.Path(__file__).resolve().parents[1]

# one pytest-xdist worker runs this module (``--dist loadgroup``): the gloo run
# and the single-process reference (module fixtures) run once, not once per worker
pytestmark = pytest.mark.xdist_group("test_torch_distributed")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(mode):
    proc = subprocess.run([sys.executable, "-m", "parity_tests.torch_dist_check", mode,
                           str(_free_port())], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = [json.loads(line[7:]) for line in proc.stdout.splitlines()
            if line.startswith("RESULT ")]
    return sorted(rows, key=lambda r: r["rank"])


@pytest.fixture(scope="module")
def single():
    from parity_tests.torch_dist_check import model_fn
    from parity_tests.torch_dist_check import train

    return train(model_fn, 0, 1)  # the single-process reference, in this process


@pytest.fixture(scope="module")
def ranks():
    return _run("ddp,fsdp2")  # both modes in one spawn of two gloo processes


@pytest.mark.parametrize("mode", ["ddp", "fsdp2"])
def test_every_rank_matches_the_single_process_run(mode, single, ranks):
    assert [r["rank"] for r in ranks] == [0, 1]
    for name in ("gracos", "adaptive"):
        a, b = np.asarray(ranks[0][mode][name]), np.asarray(ranks[1][mode][name])
        np.testing.assert_array_equal(a, b)  # ranks agree exactly
        ref = np.asarray(single[name])
        assert len(np.unique(np.round(ref, 8))) > 5
        assert_within(a, ref, "stateful32", f"{mode} {name} vs single process")
