"""Figures of the notebook: every one with a title, axis labels and (where useful) a legend."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from bihar.vision.classes import CLASS_NAMES
from bihar.vision.cwfid import CwfidSample, TileDataset
from bihar.vision.evaluation import Evaluation
from bihar.vision.experiments import RunResult
from bihar.vision.explain import TileExplanation

CLASS_COLOURS = ("#8c6d46", "#2ca02c", "#d62728", "#ff7f0e")


def photo_with_tiles(sample: CwfidSample, data: TileDataset) -> Figure:
    """A photo, its crop/weed annotation and the labelled tiles cut from it."""
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.6))
    axes[0].imshow(sample.image)
    axes[0].set_title(f"CWFID photo {sample.image_id:03d} (false colour: plants are green)")
    overlay = np.zeros((*sample.crop.shape, 3))
    overlay[sample.crop] = (0.17, 0.63, 0.17)
    overlay[sample.weed] = (0.84, 0.15, 0.16)
    axes[1].imshow(overlay)
    axes[1].set_title("annotation (green crop, red weed) and labelled tiles")
    sel = data.image_ids == sample.image_id
    tile = data.config.tile
    for (top, left), label in zip(data.boxes[sel], data.labels[sel], strict=True):
        if top % tile == 0 and left % tile == 0:  # non-overlapping subset, for readability
            axes[1].add_patch(
                Rectangle(
                    (left, top), tile, tile, fill=False, lw=1.5, edgecolor=CLASS_COLOURS[label]
                )
            )
    for ax in axes:
        ax.set_xlabel("x (px)")
        ax.set_ylabel("y (px)")
    handles = [
        Patch(edgecolor=c, fill=False, label=n)
        for c, n in zip(CLASS_COLOURS, CLASS_NAMES, strict=True)
    ]
    axes[1].legend(handles=handles, loc="lower right", fontsize=8, title="tile label")
    fig.tight_layout()
    return fig


def class_counts(counts: Mapping[str, Mapping[str, int]]) -> Figure:
    """Grouped bars: tiles per class in each split."""
    fig, ax = plt.subplots(figsize=(8, 3.6))
    splits = list(counts)
    width = 0.8 / len(CLASS_NAMES)
    for k, name in enumerate(CLASS_NAMES):
        values = [counts[s][name] for s in splits]
        ax.bar(
            np.arange(len(splits)) + k * width, values, width, label=name, color=CLASS_COLOURS[k]
        )
    ax.set_xticks(np.arange(len(splits)) + 0.4 - width / 2, splits)
    ax.set_yscale("log")
    ax.set_xlabel("split (by source photo)")
    ax.set_ylabel("number of tiles (log scale)")
    ax.set_title("CWFID tiles per class and split")
    ax.legend(title="class")
    fig.tight_layout()
    return fig


def tile_gallery(
    images: np.ndarray,
    titles: Sequence[str],
    n_cols: int,
    suptitle: str,
    row_labels: Sequence[str] | None = None,
) -> Figure:
    """A grid of tiles, one title per tile."""
    n_rows = int(np.ceil(len(images) / n_cols))
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(1.7 * n_cols, 1.9 * n_rows), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        if i < len(images):
            ax.imshow(images[i])
            ax.set_title(titles[i], fontsize=8)
        else:
            ax.axis("off")
    if row_labels is not None:
        for r, label in enumerate(row_labels):
            axes[r, 0].set_ylabel(label, fontsize=9)
    fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def learning_curves(results: Sequence[RunResult], title: str) -> Figure:
    """Train (dashed) vs validation (solid) loss and accuracy per epoch for several runs."""
    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, result in enumerate(results):
        h, c = result.history, colours[i % len(colours)]
        epochs = np.arange(1, len(h.val_loss) + 1)
        axes[0].plot(epochs, h.train_loss, "--", color=c)
        axes[0].plot(epochs, h.val_loss, "-", color=c, label=result.name)
        axes[1].plot(epochs, h.train_acc, "--", color=c)
        axes[1].plot(epochs, h.val_acc, "-", color=c, label=result.name)
        axes[0].plot(h.best_epoch + 1, h.val_loss[h.best_epoch], "o", color=c)
    axes[0].set_ylabel("class-weighted cross-entropy")
    axes[1].set_ylabel("accuracy")
    for ax, what in zip(axes, ("loss", "accuracy"), strict=True):
        ax.set_xlabel("epoch")
        ax.set_title(f"{what}: train (dashed) vs validation (solid)")
    axes[1].legend(fontsize=7, loc="lower right")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def confusion_matrices(evaluations: Mapping[str, Evaluation], title: str) -> Figure:
    """Row-normalised confusion matrices (counts written in the cells)."""
    n = len(evaluations)
    fig, axes = plt.subplots(1, n, figsize=(3.7 * n + 1, 3.8), squeeze=False)
    fig.subplots_adjust(wspace=0.6, bottom=0.24, top=0.78, left=0.08, right=0.9)
    for ax, (name, ev) in zip(axes[0], evaluations.items(), strict=True):
        cm = ev.confusion
        share = cm / cm.sum(axis=1, keepdims=True).clip(min=1)
        image = ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
        for i in range(cm.shape[0]):
            for j in range(cm.shape[1]):
                colour = "white" if share[i, j] > 0.6 else "black"
                ax.text(j, i, str(cm[i, j]), ha="center", va="center", color=colour, fontsize=9)
        ticks = np.arange(len(ev.class_names))
        short = [c.replace("crop_and_weeds", "crop+weeds") for c in ev.class_names]
        ax.set_xticks(ticks, short, rotation=30, ha="right", fontsize=8)
        ax.set_yticks(ticks, short, fontsize=8)
        ax.set_xlabel("predicted class")
        ax.set_ylabel("true class")
        ax.set_title(f"{name}\nmacro-F1 {ev.macro_f1:.3f}", fontsize=9)
    fig.colorbar(image, ax=axes[0].tolist(), shrink=0.8, label="share of the true class")
    fig.suptitle(title)
    return fig


def per_class_scores(
    evaluations: Mapping[str, Evaluation], title: str, data: str = "the test photos"
) -> Figure:
    """Precision, recall and F1 per class for several models."""
    metrics = ("precision", "recall", "f1")
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6), sharey=True)
    names = list(evaluations)
    width = 0.8 / len(names)
    for ax, metric in zip(axes, metrics, strict=True):
        for k, name in enumerate(names):
            ev = evaluations[name]
            values = [ev.per_class[c][metric] for c in ev.class_names]
            ax.bar(np.arange(len(values)) + k * width, values, width, label=name)
        classes = evaluations[names[0]].class_names
        ax.set_xticks(np.arange(len(classes)) + 0.4 - width / 2, classes, rotation=20, fontsize=8)
        ax.set_xlabel("class")
        ax.set_title(metric)
        ax.set_ylim(0, 1.05)
    axes[0].set_ylabel(f"score on {data}")
    axes[-1].legend(fontsize=7, loc="lower right")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def lime_panels(
    tiles: np.ndarray,
    explanations: Sequence[TileExplanation],
    true_names: Sequence[str],
    class_names: Sequence[str],
    title: str,
    row_label: str = "validation tile",
) -> Figure:
    """Each tile, then its LIME superpixels: green supports the predicted class, red opposes."""
    from skimage.segmentation import mark_boundaries

    n = len(tiles)
    fig, axes = plt.subplots(2, n, figsize=(1.9 * n, 4.3), squeeze=False)
    for i, (tile, ex) in enumerate(zip(tiles, explanations, strict=True)):
        axes[0, i].imshow(tile)
        axes[0, i].set_title(
            f"true {true_names[i]}\npred {class_names[ex.label]} {ex.probability:.2f}", fontsize=7
        )
        shaded = tile.astype(float) / 255
        shaded[ex.mask == 1] = 0.5 * shaded[ex.mask == 1] + 0.5 * np.array([0.0, 1.0, 0.0])
        shaded[ex.mask == -1] = 0.5 * shaded[ex.mask == -1] + 0.5 * np.array([1.0, 0.0, 0.0])
        axes[1, i].imshow(mark_boundaries(shaded, ex.segments, color=(1, 1, 0)))
        axes[1, i].set_title(f"LIME (R² {ex.score:.2f})", fontsize=7)
        for ax in axes[:, i]:
            ax.set_xticks([])
            ax.set_yticks([])
    axes[0, 0].set_ylabel(row_label, fontsize=8)
    axes[1, 0].set_ylabel("top-5 superpixels", fontsize=8)
    handles = [
        Patch(color="#00ff00", label="supports the predicted class"),
        Patch(color="#ff0000", label="speaks against it"),
    ]
    fig.legend(handles=handles, loc="lower center", ncol=2, fontsize=8)
    fig.suptitle(title)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return fig


def cell_maps(
    tiles: np.ndarray, predicted: np.ndarray, annotated: np.ndarray, title: str
) -> Figure:
    """Per tile: the image, then annotated and predicted crop and weed cover of each cell.

    `predicted` and `annotated` are N×2×G×G fractions in [0, 1] (channels crop, weed), e.g. the
    sigmoid of `native.CellSupervisedTop`'s cell logits and `cells.cell_fractions`.
    """
    columns = ("tile", "crop, annotated", "crop, predicted", "weed, annotated", "weed, predicted")
    fig, axes = plt.subplots(len(tiles), 5, figsize=(9, 1.9 * len(tiles)), squeeze=False)
    image = None
    for row, tile in enumerate(tiles):
        maps = (annotated[row, 0], predicted[row, 0], annotated[row, 1], predicted[row, 1])
        axes[row, 0].imshow(tile)
        for col, values in enumerate(maps, start=1):
            cmap = "Greens" if col <= 2 else "Reds"
            image = axes[row, col].imshow(values, cmap=cmap, vmin=0, vmax=1)
        for col, ax in enumerate(axes[row]):
            ax.set_xticks([])
            ax.set_yticks([])
            if row == 0:
                ax.set_title(columns[col], fontsize=9)
            if row == len(tiles) - 1:
                ax.set_xlabel("x (cells)" if col else "x (px)")
        axes[row, 0].set_ylabel(f"tile {row + 1}\ny")
    if image is not None:
        fig.colorbar(image, ax=axes, shrink=0.6, label="share of the cell covered")
    fig.suptitle(title)
    return fig


def selection_chart(table: pd.DataFrame, title: str) -> Figure:
    """Validation macro-F1 of each candidate, and its gap to the best with a 95 % interval
    (`selection.simplest_within_noise`'s table); candidates within the noise in blue."""
    fig, axes = plt.subplots(1, 2, figsize=(12, 0.42 * len(table) + 1.4), sharey=True)
    y = np.arange(len(table))
    colours = ["#1f77b4" if w else "#bbbbbb" for w in table["within_noise"]]
    axes[0].barh(y, table["val_macro_f1"], color=colours)
    axes[0].set_xlim(max(0.0, table["val_macro_f1"].min() - 0.1), 1.0)
    axes[0].set_xlabel("validation macro-F1")
    axes[0].set_yticks(y, table.index, fontsize=8)
    axes[0].set_ylabel("candidate model")
    axes[0].invert_yaxis()
    gap = table["best_minus_this"]
    errors = np.vstack([gap - table["interval_low"], table["interval_high"] - gap])
    axes[1].errorbar(gap, y, xerr=errors, fmt="o", color="black", ecolor="#888888", capsize=3)
    axes[1].axvline(0, color="#1f77b4", lw=1)
    axes[1].set_xlabel("best minus this model (95 % photo-bootstrap interval)")
    handles = [
        Patch(color="#1f77b4", label="not worse than the best beyond the noise"),
        Patch(color="#bbbbbb", label="worse beyond the noise"),
    ]
    axes[1].legend(handles=handles, fontsize=8, loc="lower right")
    fig.suptitle(title)
    fig.tight_layout()
    return fig
