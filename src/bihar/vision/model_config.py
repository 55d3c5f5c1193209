"""The field-image model to ship, as notebook 01 chose it on validation: `model/field_images.json`.

The notebook writes the file; `bihar vision train` reads it and trains exactly that model on
the training + validation photos (`fit.fit_field_model`). It says:

- how photos are cut into tiles and how training tiles are labelled (`TileSettings`);
- the member networks (`ScratchMember`, `EfficientNetMember`): architecture, input size, the
  dihedral views averaged at prediction time, and each one's weight in the ensemble;
- the training schedule of each, replayed epoch by epoch (`Schedule`): the learning rates of
  the epochs kept by early stopping on validation, so the refit needs no held-out photos;
- the cover vote, if any (`CoverVote`): the labelling rule applied to a member's predicted crop
  and weed cover, with its threshold and weight;
- the validation evidence behind the choice (`selection`, free-form figures).

Member weights and the vote's weight sum to 1: the model's probabilities of a tile are
Σ weight × member probabilities + vote weight × one-hot vote.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bihar.atomic_write import write_text_atomic
from bihar.vision.classes import CLASS_NAMES
from bihar.vision.cwfid import TileConfig
from bihar.vision.training import History, TrainConfig
from bihar.vision.transforms import DIHEDRAL

View = Annotated[int, Field(ge=min(DIHEDRAL), le=max(DIHEDRAL))]


class ModelConfigError(ValueError):
    """The model configuration file is missing or invalid; the message says where."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TileSettings(_Strict):
    """Tile geometry (photo pixels) and the labelling thresholds of the training tiles."""

    tile: int = Field(160, ge=16)
    stride: int = Field(80, ge=1)
    ground_max_vegetation: float = Field(0.005, gt=0, lt=1)
    present_min: float = Field(0.02, gt=0, lt=1)
    absent_max: float = Field(0.002, ge=0, lt=1)
    unlabelled_max: float = Field(0.01, gt=0, lt=1)

    def tile_config(self, out_size: int) -> TileConfig:
        """The `cwfid.TileConfig` of these settings, tiles stored at `out_size` px."""
        return TileConfig(**self.model_dump(), out_size=out_size)


class Schedule(_Strict):
    """One training phase replayed: the optimiser settings and one learning rate per epoch."""

    optimizer: Literal["adam", "rmsprop", "adagrad", "sgd"] = "adam"
    weight_decay: float = Field(1e-4, ge=0)
    batch_size: int = Field(64, ge=1)
    augment: bool = False
    class_weighted: bool = True
    seed: int = 42
    learning_rates: list[Annotated[float, Field(gt=0)]] = Field(min_length=1)

    @classmethod
    def replaying(cls, cfg: TrainConfig, history: History) -> Schedule:
        """The schedule of a run chosen on validation: its settings, and the learning rate of
        each epoch up to the one early stopping kept."""
        return cls(
            optimizer=cfg.optimizer,
            weight_decay=cfg.weight_decay,
            batch_size=cfg.batch_size,
            augment=cfg.augment,
            class_weighted=cfg.class_weighted,
            seed=cfg.seed,
            learning_rates=history.lr[: history.best_epoch + 1],
        )

    def train_config(self) -> TrainConfig:
        return TrainConfig(
            optimizer=self.optimizer,
            lr=self.learning_rates[0],
            weight_decay=self.weight_decay,
            epochs=len(self.learning_rates),
            batch_size=self.batch_size,
            augment=self.augment,
            class_weighted=self.class_weighted,
            seed=self.seed,
        )


class ScratchMember(_Strict):
    """A CNN trained from scratch (`cnn.build_cnn`) on tiles stored at `stored_px`, resized to
    `input_px` and normalised with the training tiles' channel statistics; `views` are applied
    to its input."""

    kind: Literal["scratch_cnn"] = "scratch_cnn"
    name: str
    arch: Literal["simple", "residual"]
    dropout: float = Field(ge=0, lt=1)
    batchnorm: bool
    stored_px: int = Field(ge=16)
    input_px: int = Field(ge=16)
    views: list[View] = Field(default=[0], min_length=1)
    weight: float = Field(ge=0, le=1)
    training: Schedule


class EfficientNetMember(_Strict):
    """ImageNet EfficientNet-Lite0 on tiles resized to `input_px`: blocks before `split` frozen,
    a linear head on the pooled features, then (with a `training` schedule) the last
    `trainable_blocks` fine-tuned, with a per-cell crop/weed head when `cell_loss_weight` is
    set; `views` (averaged at prediction) and `training_views` are applied to the tile before
    resizing."""

    kind: Literal["efficientnet_lite0"] = "efficientnet_lite0"
    name: str
    input_px: int = Field(224, ge=32)
    split: int = Field(12, ge=0, le=15)
    trainable_blocks: int = Field(2, ge=0)
    dropout: float = Field(0.2, ge=0, lt=1)
    cell_grid: int = Field(7, ge=1)
    cell_loss_weight: float | None = Field(None, gt=0)
    training_views: list[View] = Field(default=[0], min_length=1)
    """The views of every training tile the top is fine-tuned on (the head: view 0)."""
    views: list[View] = Field(default=[0], min_length=1)
    weight: float = Field(ge=0, le=1)
    head_training: Schedule
    training: Schedule | None
    """None: frozen features and the linear head only (no fine-tuning)."""

    @model_validator(mode="after")
    def _cells_need_fine_tuning(self) -> EfficientNetMember:
        if self.cell_loss_weight is not None and self.training is None:
            raise ValueError(f"{self.name}: a cell loss needs a fine-tuning schedule")
        return self


Member = Annotated[ScratchMember | EfficientNetMember, Field(discriminator="kind")]


class CoverVote(_Strict):
    """The labelling rule on `member`'s predicted crop and weed cover (`cells.cover_votes`)."""

    member: str
    threshold: float = Field(gt=0, lt=1)
    weight: float = Field(gt=0, le=1)


class FieldModelConfig(_Strict):
    """The whole model; see the module docstring."""

    classes: tuple[str, ...] = CLASS_NAMES
    tiles: TileSettings = TileSettings()
    cap_per_class: int = Field(700, ge=1)
    val_fraction: float = Field(0.2, gt=0, lt=1)
    seed: int = 42
    members: list[Member] = Field(min_length=1)
    cover_vote: CoverVote | None = None
    selection: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> FieldModelConfig:
        if self.classes != CLASS_NAMES:
            raise ValueError(f"classes must be {list(CLASS_NAMES)}")
        names = [m.name for m in self.members]
        if len(set(names)) != len(names):
            raise ValueError(f"member names must differ, got {names}")
        total = sum(m.weight for m in self.members)
        if self.cover_vote is not None:
            total += self.cover_vote.weight
            voter = next((m for m in self.members if m.name == self.cover_vote.member), None)
            if not isinstance(voter, EfficientNetMember) or voter.cell_loss_weight is None:
                raise ValueError(
                    f"the cover vote needs an efficientnet_lite0 member with a cell head, "
                    f"not {self.cover_vote.member!r}"
                )
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"member and vote weights must sum to 1, got {total:.6f}")
        return self

    def member(self, name: str) -> ScratchMember | EfficientNetMember:
        for m in self.members:
            if m.name == name:
                return m
        raise KeyError(name)


def load_model_config(path: Path) -> FieldModelConfig:
    """Read and validate the configuration file; `ModelConfigError` names the problem."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelConfigError(
            f"{path}: no model configuration (notebook 01 writes it: make notebook-vision)"
        ) from None
    except (OSError, ValueError) as exc:
        raise ModelConfigError(f"{path}: not readable JSON ({exc})") from None
    try:
        return FieldModelConfig.model_validate(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise ModelConfigError(f"{path}: {where}: {first['msg']}") from None


def save_model_config(config: FieldModelConfig, path: Path) -> Path:
    """Write the configuration atomically (what notebook 01 does with its final choice)."""
    return write_text_atomic(path, config.model_dump_json(indent=2) + "\n")
