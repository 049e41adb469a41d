"""The examples' training picture: readable leaf names, and a per-leaf panel that stays
readable from one leaf to many (lines with markers up to 8 leaves, a heat map beyond)."""

from __future__ import annotations

import pathlib
import sys

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "examples"))
try:
    import _common
finally:
    sys.path.remove(str(ROOT / "examples"))


@pytest.mark.parametrize("name,label", [("['fc1']['kernel']", "fc1.kernel"),
                                        ("['layers'][0]['bias']", "layers.0.bias"),
                                        ("fc1.weight", "fc1.weight"), ("w", "w")])
def test_leaf_labels_are_dotted_paths(name, label):
    assert _common.leaf_label(name) == label


def test_zoom_window_is_inside_the_run():
    assert _common._zoom_window(210) == (70, 100)
    assert _common._zoom_window(20) == (0, 20)
    assert _common._zoom_window(45) == (15, 45)


@pytest.mark.parametrize("leaves", [1, 4, 12])
def test_plot_training_draws_any_number_of_leaves(tmp_path, leaves):
    import matplotlib.image

    n = 90
    k = np.arange(n)
    lrs = {f"['layer{i}']['kernel']": 0.01 * (1 + np.sin(k / 3 + i)) for i in range(leaves)}
    path = tmp_path / "run.png"
    _common.plot_training(path, "test", lrs, np.exp(-k / 30) + 0.1,
                          extra={"momentum": {"beta1": 0.9 + 0 * k}})
    image = matplotlib.image.imread(path)
    panels = 3 + (leaves > 1)
    assert image.shape[0] == 250 * panels and image.shape[1] == 800  # 8 x 2.5 in at 100 dpi


def test_overlay_draws_runs_over_each_other_without_a_zoom(tmp_path):
    import matplotlib.image

    k = np.arange(60)
    path = tmp_path / "runs.png"
    _common.plot_training(path, "jax vs torch", {"jax": 0.05 + 0 * k, "torch": 0.05 + 0 * k},
                          np.exp(-k / 30), extra={"% frozen": {"jax": 0 * k, "torch": 0 * k}},
                          overlay=True)
    assert matplotlib.image.imread(path).shape[0] == 250 * 3  # LR, loss, % frozen
