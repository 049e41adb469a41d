"""The benchmark suite runs end to end at tiny sizes (so it cannot rot); no timing asserts."""

from __future__ import annotations

import json
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1]



def test_benchmarks_run_at_tiny_size(tmp_path, capsys):
    """``python -m benchmarks --size tiny`` (its ``main(argv)``, in this process)."""
    from benchmarks.__main__ import main

    out = tmp_path / "bench.json"
    main(["--size", "tiny", "--out", str(out)])
    stdout = capsys.readouterr().out
    data = json.loads(out.read_text())
    sections = {r["section"] for r in data["rows"]}
    assert sections == {"jax", "torch", "clip (jax)", "clip (torch)", "scheduler.step",
                        "whole schedule", "torch.compile"}
    clip = [r for r in data["rows"] if r["section"].startswith("clip")]
    assert {r["variant"] for r in clip} >= {"gracos auto + clip_norm",
                                             "adaptive (adam) + clip_norm",
                                             "GraCos auto (clip_norm)",
                                             "AdaptiveScheduler (clip_norm)"}
    jax_rows = [r for r in data["rows"] if r["section"] == "jax"]
    assert all(r["compilations"] == 1 for r in jax_rows)
    by_name = {r["variant"]: r for r in jax_rows}
    # the control rows are there, and the kernel counts are real: the one-pass floor adds a
    # reduction per leaf (8 leaves) to the baseline; GraCos auto does no more than that
    from benchmarks.__main__ import AGAIN
    from benchmarks.__main__ import FLOOR
    base = by_name["adam(cosine) [baseline]"]["kernels"]
    assert by_name[AGAIN]["kernels"] == base
    assert by_name[FLOOR]["kernels"] >= base + 8
    assert by_name["gracos auto"]["kernels"] <= by_name[FLOOR]["kernels"] + 16
    torch_rows = {r["variant"]: r for r in data["rows"] if r["section"] == "torch"}
    assert torch_rows[AGAIN]["extra_device_ops"] == 0
    assert torch_rows["gracos normal"]["extra_device_ops"] == 0
    assert torch_rows["gracos auto"]["extra_device_ops"] == 1  # the copy into the buffer
    compat = [r for r in data["rows"] if r["section"] == "torch.compile"
              and r["variant"].startswith("torch_compat")]
    assert compat and all(r["recompiles_after"] == 0 for r in compat)
    assert "| variant |" in stdout
