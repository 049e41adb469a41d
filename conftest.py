"""Suite-wide pytest setup: torch on one intra-op thread inside pytest-xdist workers.

The suite runs a worker per core (``-n 2``), so torch's default of a thread per core
oversubscribes them: an op it splits across threads (``sqrt`` of a few thousand floats, in
every Adam step) then waits milliseconds for a busy core instead of taking microseconds.
A single process (no xdist) keeps torch's default.
"""

from __future__ import annotations

import os


def pytest_configure(config):
    if os.environ.get("PYTEST_XDIST_WORKER"):
        try:
            import torch
        except ImportError:  # the jax-only install
            return
        torch.set_num_threads(1)
