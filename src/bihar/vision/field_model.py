"""The shipped field-image model: member networks, their inputs, the ensemble and the vote.

`FieldModel.predict` takes tiles as they are cut from a photo (N×T×T×3 uint8, T the tile size
of `FieldModelConfig.tiles`) and returns, for each tile, the four class probabilities of the
configured ensemble, with every member's own probabilities and the predicted crop/weed cover:

- a scratch member sees the tile resized to `stored_px` with Pillow (how its training tiles
  were stored), then to `input_px` (antialiased bilinear), normalised with its training
  statistics; its `views` are dihedral transforms of that input;
- an EfficientNet member sees each `view` of the tile resized to `input_px`, ImageNet-normalised,
  through `EfficientNetTiles` (the frozen trunk and the fine-tuned top);
- probabilities are averaged over the views, weighted across members, and the cover vote
  (`cells.cover_votes` on the voter's predicted cover, averaged over its views) is added.

The same computation is what the C runtime in `edge/` reproduces; `edge_export` writes these
networks, inputs and weights to its file.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from bihar.device import torch_device
from bihar.vision.cells import cover_votes
from bihar.vision.classes import CLASS_NAMES
from bihar.vision.cnn import build_cnn
from bihar.vision.model_config import EfficientNetMember, FieldModelConfig, ScratchMember
from bihar.vision.native import CellSupervisedTop, EfficientNetTop, Trunk
from bihar.vision.photos import check_tiles, resize_tiles
from bihar.vision.transforms import Normalizer, dihedral, to_tensor


class EfficientNetTiles(nn.Module):
    """A whole EfficientNet member: the frozen ImageNet trunk, then the trained top."""

    def __init__(self, trunk: Trunk, top: EfficientNetTop) -> None:
        super().__init__()
        if trunk.split != top.split:
            raise ValueError(f"trunk ends at block {trunk.split}, top starts at {top.split}")
        self.trunk = trunk
        self.top = top

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.top(self.trunk(x))

    def forward_with_cells(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if not isinstance(self.top, CellSupervisedTop):
            raise TypeError("this member has no cell head")
        return self.top.forward_with_cells(self.trunk(x))


@dataclass
class MemberNetwork:
    """One member: its configuration, network (eval mode) and input normalisation."""

    config: ScratchMember | EfficientNetMember
    network: nn.Module
    normalizer: Normalizer


@dataclass(frozen=True)
class Prediction:
    """What the model says of N tiles."""

    proba: np.ndarray
    """N×4 ensemble probabilities (classes in `CLASS_NAMES` order)."""
    members: dict[str, np.ndarray]
    """Each member's N×4 probabilities, averaged over its views."""
    cover: np.ndarray | None
    """N×2 predicted crop and weed cover of the voter (None without a cover vote)."""

    @property
    def labels(self) -> np.ndarray:
        return self.proba.argmax(axis=1)


def build_member_network(
    member: ScratchMember | EfficientNetMember, backbone: nn.Module | None = None
) -> nn.Module:
    """A network of `member`'s architecture (weights: fresh, or `backbone`'s ImageNet layers)."""
    if isinstance(member, ScratchMember):
        return build_cnn(member.arch, len(CLASS_NAMES), member.dropout, member.batchnorm)
    if backbone is None:
        raise ValueError(f"{member.name}: an EfficientNet member needs its backbone")
    top_class = CellSupervisedTop if member.cell_loss_weight is not None else EfficientNetTop
    top = top_class(backbone, len(CLASS_NAMES), member.split, member.dropout)
    return EfficientNetTiles(Trunk(backbone, member.split), top)


def member_inputs(member: ScratchMember | EfficientNetMember, tiles: np.ndarray) -> torch.Tensor:
    """The [0, 1] inputs N×3×S×S of view 0 of `tiles` for `member` (before normalisation)."""
    if isinstance(member, ScratchMember):
        return to_tensor(resize_tiles(tiles, member.stored_px), member.input_px)
    return to_tensor(tiles, member.input_px)


def member_views(
    member: ScratchMember | EfficientNetMember, tiles: np.ndarray
) -> dict[int, torch.Tensor]:
    """{view k: [0, 1] inputs} of `tiles` for `member`, each view where `member` takes it."""
    if isinstance(member, ScratchMember):
        x = member_inputs(member, tiles)
        return {k: _tensor(dihedral(x, k)) for k in member.views}
    return {k: to_tensor(_array(dihedral(tiles, k)), member.input_px) for k in member.views}


def _tensor(x: np.ndarray | torch.Tensor) -> torch.Tensor:
    assert isinstance(x, torch.Tensor)
    return x


def _array(x: np.ndarray | torch.Tensor) -> np.ndarray:
    assert isinstance(x, np.ndarray)
    return x


class FieldModel:
    """The configured ensemble of trained members (see the module docstring)."""

    def __init__(self, config: FieldModelConfig, members: Mapping[str, MemberNetwork]) -> None:
        missing = {m.name for m in config.members} - set(members)
        if missing:
            raise ValueError(f"no network for members {sorted(missing)}")
        self.config = config
        self.members = dict(members)
        for m in self.members.values():
            m.network.eval()

    @property
    def tile(self) -> int:
        return self.config.tiles.tile

    @torch.inference_mode()
    def member_outputs(
        self,
        tiles: np.ndarray,
        batch_size: int = 32,
        engines: Mapping[str, Engine] | None = None,
    ) -> dict[str, MemberOutput]:
        """Each member's probabilities (and cover, with a cell head) of uint8 tiles N×T×T×3
        cut from photos (T = the tile size), averaged over its views.

        `engines` replaces a member's network by another engine computing the same function
        (e.g. onnxruntime in the edge benchmark); inputs and views stay these.
        """
        check_tiles(tiles, self.tile)
        return {
            name: member_output(member, tiles, batch_size, (engines or {}).get(name))
            for name, member in self.members.items()
        }

    def combine(self, outputs: Mapping[str, MemberOutput]) -> Prediction:
        """The ensemble of the members' outputs: Σ weight × probabilities, plus the vote."""
        n = len(next(iter(outputs.values())).proba)
        proba = np.zeros((n, len(CLASS_NAMES)), np.float64)
        for member in self.config.members:
            proba += member.weight * outputs[member.name].proba
        vote, cover = self.config.cover_vote, None
        if vote is not None:
            cover = outputs[vote.member].cover
            assert cover is not None, f"{vote.member} has no cell head"
            proba += vote.weight * cover_votes(cover, vote.threshold)
        members = {m.name: outputs[m.name].proba for m in self.config.members}
        return Prediction(proba.astype(np.float32), members, cover)

    def predict(
        self,
        tiles: np.ndarray,
        batch_size: int = 32,
        engines: Mapping[str, Engine] | None = None,
    ) -> Prediction:
        """The prediction for uint8 tiles N×T×T×3 cut from photos (see `member_outputs`)."""
        return self.combine(self.member_outputs(tiles, batch_size, engines))


@torch.inference_mode()
def member_output(
    member: MemberNetwork, tiles: np.ndarray, batch_size: int = 32, engine: Engine | None = None
) -> MemberOutput:
    """One member's view-averaged probabilities (and cover) of tiles cut from photos."""
    cells = has_cell_head(member.config)
    engine = engine or torch_engine(member.network, cells)
    return MemberOutput(*_member_predict(member, engine, tiles, batch_size, cells))


def predict_many(
    models: Mapping[str, FieldModel], tiles: np.ndarray, batch_size: int = 32
) -> dict[str, Prediction]:
    """The predictions of several models whose members may share networks (e.g. the models
    `fit.fit_field_models` trains together): each network runs once."""
    done: dict[int, MemberOutput] = {}
    out = {}
    for key, model in models.items():
        check_tiles(tiles, model.tile)
        outputs = {}
        for name, member in model.members.items():
            if id(member.network) not in done:
                done[id(member.network)] = member_output(member, tiles, batch_size)
            outputs[name] = done[id(member.network)]
        out[key] = model.combine(outputs)
    return out


@dataclass(frozen=True)
class MemberOutput:
    """One member's view-averaged N×4 probabilities, and N×2 crop/weed cover with a cell head."""

    proba: np.ndarray
    cover: np.ndarray | None


def has_cell_head(member: ScratchMember | EfficientNetMember) -> bool:
    return isinstance(member, EfficientNetMember) and member.cell_loss_weight is not None


Engine = Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor | None]]
"""Normalised inputs N×3×S×S → (class logits N×4, cell logits N×2×h×w or None)."""


def torch_engine(network: nn.Module, cells: bool) -> Engine:
    """`network` on PyTorch's device, channels-last (~1.7× faster convolutions on CPU)."""
    device = torch_device()
    network = network.to(device).eval()
    network.to(memory_format=torch.channels_last)

    def run(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        x = x.to(device).contiguous(memory_format=torch.channels_last)
        if cells:
            logits, cell_logits = network.forward_with_cells(x)
            return logits.cpu(), cell_logits.cpu()
        return network(x).cpu(), None

    return run


def _member_predict(
    member: MemberNetwork, engine: Engine, tiles: np.ndarray, batch_size: int, want_cover: bool
) -> tuple[np.ndarray, np.ndarray | None]:
    """(N×4 probabilities, N×2 cover or None) of one member, averaged over its views."""
    probas, covers = [], []
    for start in range(0, len(tiles), batch_size):
        views = member_views(member.config, tiles[start : start + batch_size])
        p_views, c_views = [], []
        for x in views.values():
            logits, cells = engine(member.normalizer(x))
            p_views.append(torch.softmax(logits, dim=1).numpy())
            if want_cover:
                assert cells is not None, f"{member.config.name} has no cell head"
                c_views.append(torch.sigmoid(cells).mean(dim=(2, 3)).numpy())
        probas.append(np.mean(p_views, axis=0))
        if want_cover:
            covers.append(np.mean(c_views, axis=0))
    width = len(CLASS_NAMES)
    proba = np.concatenate(probas) if probas else np.empty((0, width), np.float32)
    if not want_cover:
        return proba, None
    return proba, np.concatenate(covers) if covers else np.empty((0, 2), np.float32)
