from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest
import torch

from bihar.settings import get_settings
from bihar.vision.cwfid import TileConfig, TileDataset
from bihar.vision.experiments import (
    Features,
    RunResult,
    Task,
    build_task,
    cap_per_class,
    restrict,
    run_cover_rule,
    run_ensemble,
    run_scratch,
    run_tta,
    tile_predictor,
    with_training_views,
)
from bihar.vision.training import EXPERIMENT, TrainConfig
from bihar.vision.transforms import Normalizer


def _tiles(n_per_class: dict[str, dict[int, int]]) -> TileDataset:
    """Coloured 16-px tiles: class k has a bright channel k % 3 (class 3: two channels)."""
    images, labels, splits = [], [], []
    rng = np.random.default_rng(0)
    for split, per_class in n_per_class.items():
        for label, n in per_class.items():
            for _ in range(n):
                tile = rng.integers(0, 60, (16, 16, 3), dtype=np.uint8)
                tile[..., label % 3] += 150
                if label == 3:
                    tile[..., 0] += 100
                images.append(tile)
                labels.append(label)
                splits.append(split)
    n = len(labels)
    return TileDataset(
        np.array(images),
        np.array(labels),
        np.arange(n),
        np.array(splits),
        np.zeros((n, 2), dtype=np.int32),
        np.zeros((n, 3), dtype=np.float32),
        TileConfig(tile=16, stride=16, out_size=16),
    )


SPLITS = {
    "train": {0: 30, 1: 8, 2: 12, 3: 6},
    "val": {0: 5, 1: 4, 2: 4, 3: 3},
    "test": {0: 5, 1: 4, 2: 4, 3: 3},
}


def _task4() -> Task:
    """The four-class task of the fake tiles (10 training tiles a class at most)."""
    return build_task("4-class", _tiles(SPLITS), (0, 1, 2, 3), size=16, cap=10, seed=0)


@pytest.fixture
def mlflow_uri(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh MLflow store for the test's runs (the settings re-read around the test)."""
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    get_settings.cache_clear()
    yield uri
    get_settings.cache_clear()


def test_cap_per_class_is_seeded_and_caps() -> None:
    labels = np.array([0] * 30 + [1] * 5)
    keep = cap_per_class(labels, 10, seed=1)
    assert keep[labels == 0].sum() == 10 and keep[labels == 1].sum() == 5
    np.testing.assert_array_equal(keep, cap_per_class(labels, 10, seed=1))


def test_tasks_hold_no_test_tile() -> None:
    task = _task4()
    assert not {"x_test", "y_test", "test_tiles"} & set(vars(task))
    assert set(task.val_tiles.splits) == {"val"} and task.stored_px == 16
    assert len(task.val_tiles) == len(task.y_val) == sum(SPLITS["val"].values())


def test_three_class_restriction_matches_the_three_class_task() -> None:
    data = _tiles(SPLITS)
    task4 = build_task("4-class", data, (0, 1, 2, 3), size=16, cap=10, seed=0)
    task3 = build_task("3-class", data, (0, 1, 2), size=16, cap=10, seed=0)
    fake = Features(task4.x_train.mean(dim=(2, 3)), task4.x_val.mean(dim=(2, 3)))
    small, feats = restrict(task4, (0, 1, 2), fake)
    assert torch.equal(small.x_train, task3.x_train)  # the same capped training tiles
    assert torch.equal(small.y_train, task3.y_train)
    assert torch.equal(small.y_val, task3.y_val)
    assert len(feats.train) == len(small.y_train) and len(feats.val) == len(small.y_val)
    assert len(small.val_tiles) == len(small.y_val)


def test_run_scratch_is_recorded_in_mlflow(mlflow_uri: str) -> None:
    import mlflow

    task = _task4()
    norm = Normalizer.fit(task.x_train)
    cfg = TrainConfig(epochs=2, batch_size=8)
    model, result = run_scratch(task, "tiny", "simple", 0.0, True, cfg, norm)
    assert result.val.confusion.shape == (4, 4)
    assert result.row()["epochs"] == 2 and "test_macro_f1" not in result.row()
    predict = tile_predictor(model, 16, norm, 16)
    proba = predict(task.val_tiles.images[:3])
    np.testing.assert_allclose(proba.sum(axis=1), 1, atol=1e-5)
    with pytest.raises(ValueError, match="cut photos into tiles first"):
        predict(np.zeros((1, 64, 96, 3), np.uint8))  # a whole photo is not a tile
    mlflow.set_tracking_uri(mlflow_uri)
    runs = mlflow.search_runs(experiment_names=[EXPERIMENT])
    assert list(runs["tags.mlflow.runName"]) == ["tiny"]
    assert runs["params.arch"][0] == "simple" and runs["params.stored_px"][0] == "16"
    assert {"metrics.val_macro_f1", "metrics.val_loss", "metrics.best_epoch"} <= set(runs)
    assert not [c for c in runs.columns if "test" in c]


def _fake_run(task, name: str, val_proba: np.ndarray) -> RunResult:
    from bihar.vision.evaluation import evaluate
    from bihar.vision.training import History

    labels = list(range(len(task.classes)))
    history = History([1.0], [0.5], [1.0], [0.5], [1e-3])
    val = evaluate(task.y_val.numpy(), val_proba, labels)
    return RunResult(name, task.name, "scratch", {}, history, val, 1.0, 10, val_proba)


def test_ensemble_weight_is_chosen_on_validation(mlflow_uri: str) -> None:
    task = _task4()
    y_val = task.y_val.numpy()
    right, wrong = np.eye(4)[y_val], np.eye(4)[(y_val + 1) % 4]
    first = _fake_run(task, "a", 0.9 * right + 0.1 * wrong)  # right, but not sure
    second = _fake_run(task, "b", wrong)  # sure, and wrong
    weight, result = run_ensemble(task, "a+b", first, second, weights=(0.3, 0.7))
    assert weight == 0.7 and result.val.macro_f1 == 1.0
    np.testing.assert_allclose(result.val_proba, 0.7 * first.val_proba + 0.3 * second.val_proba)
    assert result.family == "ensemble"
    assert result.row()["epochs"] == 1


def test_ensemble_needs_probabilities() -> None:
    task = _task4()
    run = _fake_run(task, "a", np.eye(4)[task.y_val.numpy()])
    run.val_proba = None
    with pytest.raises(ValueError, match="probabilities"):
        run_ensemble(task, "x", run, run)


def test_tta_run_keeps_the_base_run_and_scores_the_averaged_probabilities(mlflow_uri: str) -> None:
    task = _task4()
    y_val = task.y_val.numpy()
    base = _fake_run(task, "base", np.eye(4)[(y_val + 1) % 4])
    tta = run_tta(task, "base tta", base, np.eye(4)[y_val], (0, 4))
    with pytest.raises(ValueError, match="val_proba"):
        run_tta(task, "bad", base, np.eye(4)[y_val][:-1], (0,))
    assert base.val.macro_f1 == 0.0 and tta.val.macro_f1 == 1.0
    assert tta.params["tta_transforms"] == "0,4" and tta.params["tta_of"] == "base"
    assert tta.history is base.history and tta.family == base.family


def test_training_views_repeat_the_labels_and_leave_validation_alone() -> None:
    task = _task4()
    flipped = task.x_train.flip(-1)
    union = with_training_views(task, {0: task.x_train, 4: flipped})
    n = len(task.y_train)
    assert torch.equal(union.x_train[:n], task.x_train)
    assert torch.equal(union.x_train[n:], flipped)
    assert torch.equal(union.y_train, torch.cat([task.y_train, task.y_train]))
    assert union.x_val is task.x_val and union.y_val is task.y_val
    assert len(task.y_train) == n  # the original task is unchanged
    with pytest.raises(ValueError, match="rows"):
        with_training_views(task, {0: task.x_train[:-1]})


def test_cover_rule_threshold_is_chosen_on_validation(mlflow_uri: str) -> None:
    import mlflow

    task = _task4()
    y_val = task.y_val.numpy()
    # the (crop, weed) cover each class would have: present types cover 6 % of the tile
    cover_of = np.array([[0.0, 0.0], [0.06, 0.0], [0.0, 0.06], [0.06, 0.06]])
    val_cover = cover_of[y_val]
    val_cover[y_val == 3] = [0.04, 0.06]  # crop in crop-and-weeds tiles covers only 4 %
    base = _fake_run(task, "cells", np.eye(4)[y_val])
    threshold, rule = run_cover_rule(task, "cover", base, val_cover, (0.05, 0.02))
    assert threshold == 0.02  # 0.05 reads the crop-and-weeds tiles as weeds
    assert rule.val.macro_f1 == 1.0
    np.testing.assert_array_equal(rule.val_proba, np.eye(4)[y_val])
    assert rule.params["cover_threshold"] == 0.02 and rule.params["cover_rule_of"] == "cells"
    assert rule.history is base.history
    runs = mlflow.search_runs(experiment_names=[EXPERIMENT])
    assert set(runs["tags.mlflow.runName"]) == {"cover"}
    with pytest.raises(ValueError, match="one \\(crop, weed\\) row per validation tile"):
        run_cover_rule(task, "bad", base, val_cover[:-1], (0.02,))
    with pytest.raises(ValueError, match="four classes"):
        three = build_task("3-class", _tiles(SPLITS), (0, 1, 2), size=16, cap=10, seed=0)
        run_cover_rule(three, "bad", base, val_cover, (0.02,))


def test_a_chosen_run_becomes_the_member_that_ships(mlflow_uri: str) -> None:
    from bihar.vision.experiments import efficientnet_member, schedule_of, scratch_member
    from bihar.vision.training import History

    task = _task4()
    norm = Normalizer.fit(task.x_train)
    cfg = TrainConfig(optimizer="rmsprop", epochs=3, batch_size=8, seed=3, patience=5)
    _, run = run_scratch(task, "r", "residual", 0.1, True, cfg, norm)
    tta = run_tta(task, "r tta", run, run.val_proba, (0, 5))
    member = scratch_member(tta, "scratch", 0.4)
    assert (member.arch, member.dropout, member.views) == ("residual", 0.1, [0, 5])
    assert (member.stored_px, member.input_px, member.weight) == (16, 16, 0.4)
    kept = run.history.best_epoch + 1
    assert member.training.learning_rates == run.history.lr[:kept]
    assert member.training.optimizer == "rmsprop" and member.training.seed == 3
    history = History([1.0] * 4, [0.5] * 4, [1.0] * 4, [0.5] * 4, [1e-3, 1e-3, 3e-4, 9e-5], 2)
    head = _fake_run(task, "features", np.eye(4)[task.y_val.numpy()])
    head.params = {**asdict(TrainConfig(batch_size=128)), "mode": "feature extraction",
                   "input_px": 224}  # fmt: skip
    head.history = history
    tuned = _fake_run(task, "cells", np.eye(4)[task.y_val.numpy()])
    tuned.params = {**asdict(TrainConfig(lr=3e-4)), "mode": "fine-tuning", "input_px": 224,
                    "trainable_blocks": 2, "cell_loss_weight": 30.0, "training_views": "0,2",
                    "tta_transforms": "0,2,4,6"}  # fmt: skip
    tuned.history = history
    effnet = efficientnet_member(tuned, head, "effnet", 0.6)
    assert effnet.cell_loss_weight == 30.0 and effnet.trainable_blocks == 2
    assert effnet.training_views == [0, 2] and effnet.views == [0, 2, 4, 6]
    assert effnet.head_training.batch_size == 128
    assert effnet.training is not None and effnet.training.learning_rates == [1e-3, 1e-3, 3e-4]
    frozen = efficientnet_member(head, head, "features", 1.0)
    assert frozen.training is None and frozen.cell_loss_weight is None
    assert schedule_of(head).learning_rates == [1e-3, 1e-3, 3e-4]
