"""Every figure of notebook 01 has a title, labelled axes, and a legend where series differ."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import numpy as np
import pandas as pd

from bihar.vision import plots
from bihar.vision.evaluation import evaluate
from bihar.vision.experiments import RunResult
from bihar.vision.training import History


def _titled(fig) -> bool:
    return bool(fig._suptitle and fig._suptitle.get_text()) or any(a.get_title() for a in fig.axes)


def _labelled_data_axes(fig) -> bool:
    """Axes that plot data (not images, not colour bars) name both their axes."""
    for ax in fig.axes:
        if (
            ax.images
            or ax.get_label() == "<colorbar>"
            or not (ax.lines or ax.patches or ax.collections)
        ):
            continue
        shared = ax.get_shared_y_axes().get_siblings(ax)  # a shared y axis is labelled once
        if not (ax.get_xlabel() and any(a.get_ylabel() for a in shared)):
            return False
    return True


def _evaluation(seed: int):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 4, 80)
    return evaluate(y, np.eye(4)[np.where(rng.random(80) < 0.8, y, (y + 1) % 4)], range(4))


def test_every_figure_is_titled_labelled_and_has_its_legend():
    history = History([1.0, 0.8], [0.5, 0.6], [0.9, 0.85], [0.55, 0.6], [1e-3, 1e-3], 1)
    runs = [RunResult(f"run {i}", "4-class", "scratch", {}, history, _evaluation(i), 1.0, 10)
            for i in range(2)]  # fmt: skip
    evaluations = {"scratch": _evaluation(1), "final": _evaluation(2)}
    table = pd.DataFrame(
        {"val_macro_f1": [0.9, 0.85], "best_minus_this": [0.0, 0.05], "interval_low": [0.0, -0.01],
         "interval_high": [0.0, 0.1], "within_noise": [True, True]}, index=["a", "b"])  # fmt: skip
    counts = {
        s: {"ground": 10, "crop": 3, "weeds": 5, "crop_and_weeds": 2} for s in ("train", "val")
    }
    figures = {
        "counts": plots.class_counts(counts),
        "curves": plots.learning_curves(runs, "curves"),
        "confusion": plots.confusion_matrices(evaluations, "confusion"),
        "per class": plots.per_class_scores(evaluations, "per class"),
        "selection": plots.selection_chart(table, "selection"),
    }
    for name, fig in figures.items():
        assert _titled(fig), name
        assert _labelled_data_axes(fig), name
    for name in ("counts", "curves", "per class", "selection"):
        assert any(ax.get_legend() for ax in figures[name].axes), f"{name} has no legend"
