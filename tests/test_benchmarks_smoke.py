"""The benchmark suite runs end to end at tiny sizes (so it cannot rot); no timing asserts."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_benchmarks_run_at_tiny_size(tmp_path):
    out = tmp_path / "bench.json"
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "--size", "tiny", "--out",
                           str(out)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads(out.read_text())
    sections = {r["section"] for r in data["rows"]}
    assert sections == {"jax", "torch", "scheduler.step", "whole schedule", "torch.compile"}
    assert all(r["compilations"] == 1 for r in data["rows"] if r["section"] == "jax")
    compat = [r for r in data["rows"] if r["section"] == "torch.compile"
              and r["variant"].startswith("torch_compat")]
    assert compat and all(r["recompiles_after"] == 0 for r in compat)
    assert "| variant |" in proc.stdout
