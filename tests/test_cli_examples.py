"""The optax-sched command line, the gallery and the examples, run as a user would."""

from __future__ import annotations

import pathlib
import re
import subprocess
import sys

import pytest

from sched_tools import _records as records

ROOT = pathlib.Path(__file__).resolve().parents[1]
PNG = b"\x89PNG\r\n\x1a\n"



def _cli(*args):
    """Runs the ``optax-sched`` command in this process (``main(argv)``, as the console
    script does), capturing its output and exit status like a subprocess would."""
    import contextlib
    import io
    import types

    from sched_tools._cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as e:  # argparse's usage errors
            code = e.code if isinstance(e.code, int) else 1
    return types.SimpleNamespace(returncode=code, stdout=out.getvalue(), stderr=err.getvalue())


def test_the_command_runs_as_a_program():
    """One real process: ``python -m optax_sched`` (the console script's entry point)."""
    proc = subprocess.run([sys.executable, "-m", "optax_sched", "list"], capture_output=True,
                          text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert "one_cycle_lr(" in proc.stdout


def _png_ok(path: pathlib.Path):
    data = path.read_bytes()
    assert data[:8] == PNG and len(data) > 5000, path
    import matplotlib.image

    img = matplotlib.image.imread(str(path))
    assert img.shape[0] > 100 and img.shape[1] > 100 and img.std() > 0.01


def test_list_shows_every_schedule_with_defaults():
    proc = _cli("list")
    assert proc.returncode == 0, proc.stderr
    for name in records.plottable():
        assert f"{name}(" in proc.stdout
    assert "one_cycle_lr(max_lr, total_steps, pct_start=0.3" in proc.stdout
    assert "reduce_on_plateau(" in proc.stdout and "adaptive(" in proc.stdout


def test_plot_draws_both_frameworks_and_reports_the_difference(tmp_path):
    out = tmp_path / "sgdr.png"
    proc = _cli("plot", "one_cycle_lr", "--steps", "120", "--pct_start", "0.25",
                "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    diff = float(re.search(r"max \|optax - torch\| = ([0-9.e+-]+)", proc.stdout).group(1))
    assert diff < 1e-7
    assert "momentum" in proc.stdout
    _png_ok(out)


def test_plot_accepts_hugging_face_names_and_draws_their_own_sequence(tmp_path):
    out = tmp_path / "hf.png"
    proc = _cli("plot", "hf:cosine", "--steps", "80", "--num_cycles", "1.5", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    diffs = re.findall(r"max \|(optax|torch_compat) - "
                       r"transformers\.get_cosine_schedule_with_warmup\| = ([0-9.e+-]+)",
                       proc.stdout)
    assert [d[0] for d in diffs] == ["optax", "torch_compat"], proc.stdout
    assert float(diffs[0][1]) < 1e-7 and float(diffs[1][1]) < 1e-12
    _png_ok(out)


def test_plot_accepts_timm_names_and_draws_timms_own_sequence(tmp_path):
    out = tmp_path / "timm.png"
    proc = _cli("plot", "timm:cosine", "--steps", "90", "--t_initial", "30", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    diffs = re.findall(r"max \|(optax|torch_compat) - timm\.CosineLRScheduler\| = ([0-9.e+-]+)",
                       proc.stdout)
    assert [d[0] for d in diffs] == ["optax", "torch_compat"], proc.stdout
    assert float(diffs[0][1]) < 1e-7 and float(diffs[1][1]) < 1e-12
    _png_ok(out)


def test_plot_draws_defaults_plus_what_was_passed(tmp_path):
    proc = _cli("plot", "cosine_annealing_warm_restarts", "--T_0", "50", "--T_mult", "2",
                "--out", str(tmp_path / "a.png"))
    assert proc.returncode == 0, proc.stderr
    assert ("cosine_annealing_warm_restarts(init_value=0.1, T_0=50, T_mult=2), other arguments "
            "at their defaults") in proc.stdout
    assert "decay" not in proc.stdout and "warmup_steps" not in proc.stdout
    proc = _cli("plot", "gracos", "--out_of_phase", "True", "--out", str(tmp_path / "b.png"))
    assert proc.returncode == 0, proc.stderr
    assert "out_of_phase=True" in proc.stdout


def test_list_explains_compositions_and_the_version_is_printed():
    proc = _cli("list")
    assert "sequential_lr(schedules, milestones), chained_scheduler(schedules)" in proc.stdout
    proc = _cli("--version")
    assert proc.returncode == 0 and proc.stdout.strip().startswith("optax-sched 0.")


def test_examples_and_benchmarks_help_name_themselves_and_show_defaults(capsys):
    proc = _example("flax_train.py", "--help")
    assert proc.returncode == 0 and "(default: 10)" in proc.stdout  # --epochs
    from benchmarks.__main__ import main

    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert out.startswith("usage: python -m benchmarks") and "(default: full)" in out


def test_no_progress_bar_without_a_terminal_and_no_tqdm_import(monkeypatch):
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        import _common
    finally:
        sys.path.remove(str(ROOT / "examples"))
    monkeypatch.setitem(sys.modules, "tqdm", None)  # importing tqdm would now fail
    bar = _common.progress(10, disable=True)
    bar.update()
    bar.set_postfix(loss=1.0)
    bar.close()
    bar = _common.progress(10, disable=False)  # pytest's stderr is not a terminal
    bar.update()


@pytest.mark.parametrize("args,needle", [
    (["plot", "cosine"], "unknown schedule 'cosine'; valid: "),
    (["plot", "step_lr", "--gamma", "-1"], "step_lr: gamma must be in (0.0, inf), got -1.0"),
    (["plot", "step_lr", "--bogus", "1"], "unexpected keyword argument 'bogus'"),
    (["plot", "step_lr", "--gamma"], "--name value pairs"),
    (["parity", "--x", "1"], "unrecognized arguments"),
    (["parity", "--case", "nope"], "unknown case 'nope'; valid: "),
    (["gallery", "--family", "nope"], "unknown family 'nope'; valid: "),
])
def test_bad_input_is_one_line_and_exit_2(args, needle, tmp_path):
    proc = _cli(*args, "--out", str(tmp_path / "x.png")) if args[0] == "plot" else _cli(*args)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], proc.stderr


def test_parity_command_runs_the_chosen_cases():
    """The command on two cases (parity_tests/test_parity.py runs every case)."""
    proc = _cli("parity", "--case", "onecycle-short", "--case", "exp-cyclic-2")
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert "2 cases, 0 failed" in proc.stdout
    rows = [line for line in proc.stdout.splitlines() if line.endswith("pass")]
    # onecycle-short against torch_compat and torch's built-in; exp-cyclic-2 torch_compat only
    assert [r.split()[0] for r in rows] == ["onecycle-short"] * 2 + ["exp-cyclic-2"]
    assert "FAIL" not in proc.stdout


def test_parity_command_reports_a_failure(monkeypatch):
    """A case whose two frameworks disagree is a FAIL row and exit status 1."""
    from sched_tools import _parity

    real = _parity.run_torch

    def skewed(case, *a, **k):
        lr, mom = real(case, *a, **k)
        return lr * (1 + 1e-4), mom

    monkeypatch.setattr(_parity, "run_torch", skewed)
    proc = _cli("parity", "--case", "step-basic")
    assert proc.returncode == 1
    assert "FAIL" in proc.stdout and "1 cases, 2 failed" in proc.stdout


def test_gallery_command_produces_valid_images(tmp_path):
    """Two families (the README's images of every family are checked below)."""
    proc = _cli("gallery", "--out-dir", str(tmp_path), "--steps", "60", "--family", "cyclic",
                "--family", "gradient-aware")
    assert proc.returncode == 0, proc.stderr
    files = sorted(tmp_path.glob("*.png"))
    assert [f.stem for f in files] == ["cyclic", "gradient-aware"]
    for f in files:
        _png_ok(f)


def test_readme_gallery_images_exist():
    readme = (ROOT / "README.md").read_text()
    for family in records.families():
        assert f"docs/gallery/{family}.png" in readme
        _png_ok(ROOT / "docs" / "gallery" / f"{family}.png")


def _example(script, *argv):
    """Runs ``examples/<script>``'s ``main(argv)`` in this process, capturing its output and
    exit status like a subprocess would (``python script ...`` from ``examples/``)."""
    import contextlib
    import importlib.util
    import io
    import types

    folder = str(ROOT / "examples")
    sys.path.insert(0, folder)
    out, err = io.StringIO(), io.StringIO()
    try:
        spec = importlib.util.spec_from_file_location(f"_example_{script[:-3]}",
                                                      ROOT / "examples" / script)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                module.main(list(argv))  # as `if __name__ == "__main__": main()` does
                code = 0
            except SystemExit as e:
                code = e.code if isinstance(e.code, int) else 1
    finally:
        sys.path.remove(folder)
    return types.SimpleNamespace(returncode=code, stdout=out.getvalue(), stderr=err.getvalue())


@pytest.mark.parametrize("script,extra,needle", [
    ("flax_train.py", [], r"test accuracy ([0-9.]+)"),
    ("flax_train.py", ["--schedule", "cosine_annealing_warm_restarts", "--T_mult", "2"],
     r"test accuracy ([0-9.]+)"),
    ("torch_train.py", [], r"test accuracy ([0-9.]+)"),
    ("torch_train.py", ["--schedule", "one_cycle_lr"], r"test accuracy ([0-9.]+)"),
    ("adaptive_train.py", [], r"torch ([0-9.]+), max"),
])
def test_examples_run_and_learn(script, extra, needle, tmp_path):
    proc = _example(script, "--epochs", "3", "--no-progress", "--out", str(tmp_path), *extra)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert float(re.search(needle, proc.stdout).group(1)) > 0.85, proc.stdout
    pngs = list(tmp_path.glob("*.png"))
    assert len(pngs) == 1
    _png_ok(pngs[0])


def test_examples_reject_unknown_schedules(tmp_path):
    proc = _example("flax_train.py", "--schedule", "nope", "--out", str(tmp_path))
    assert proc.returncode == 2 and "unknown --schedule 'nope'" in proc.stderr


def test_plots_keep_legends_off_the_curves_label_momentum_and_use_a_log_axis_for_sweeps():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from sched_tools._cli import draw

    k = np.arange(50)
    fig, ax = plt.subplots()
    long_title = "one_cycle_lr(" + ", ".join(f"arg{i}={i}" for i in range(30)) + ")"
    draw(ax, long_title, 0.1 * k, 0.1 * k, 0.9 - 0.001 * k, 0.9 - 0.001 * k)
    legend = ax.get_legend()
    labels = [t.get_text() for t in legend.get_texts()]
    assert labels == ["torch_compat LR", "optax_sched LR", "torch_compat momentum",
                      "optax_sched momentum"]
    fig.canvas.draw()
    box = legend.get_window_extent().transformed(ax.transAxes.inverted())
    assert box.y1 <= 0  # entirely below the axes: it covers no curve
    assert ax.get_title().replace("\n", " ") == long_title  # wrapped, not clipped
    fig, ax = plt.subplots()
    draw(ax, "range_finder(num_steps=50)", 1e-7 * 1.3 ** k, 1e-7 * 1.3 ** k, None, None)
    assert ax.get_yscale() == "log"
    plt.close("all")


def test_lr_finder_legend_says_what_minimum_is():
    import matplotlib

    matplotlib.use("Agg")
    import numpy as np

    from sched_core._finder import LRFinderResult

    lrs = np.geomspace(1e-5, 1.0, 30)
    losses = 1 + (np.log10(lrs) + 2) ** 2
    res = LRFinderResult(lrs=lrs, losses=losses, raw_losses=losses,
                         suggestions={"valley": 1e-3, "steep": 3e-3, "minimum": 1e-3},
                         stopped_early=False)
    ax = res.plot()
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert ax.get_xscale() == "log"
    assert any(label.startswith("lowest loss / 10 (fastai's minimum)") for label in labels)
