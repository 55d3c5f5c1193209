"""The review classifier to ship, chosen by repeated cross-validation:
`model/review_sentiment.json`.

`bihar sentiment select` (and notebook 02, through the same function) writes the file;
`bihar sentiment train` reads it and fits exactly that pipeline on train + validation. It says
how reviews are preprocessed (`Preprocessing`, the fields of `PreprocessConfig`), which sparse
features are built (`features`), the logistic regression's `C`, and the evidence behind the
choice (`selection`, free-form figures copied from the selection run).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bihar.atomic_write import write_text_atomic
from bihar.sentiment.preprocessing import PreprocessConfig

FeatureKind = Literal[
    "bow_word", "tfidf_word", "tfidf_char", "tfidf_word+char", "nb-tfidf_word+char"
]


class ModelConfigError(ValueError):
    """The model configuration file is missing or invalid; the message says where."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Preprocessing(_Strict):
    """The fields of `preprocessing.PreprocessConfig`, validated."""

    tokenizer: Literal["spacy", "regex"] = "spacy"
    lowercase: bool = True
    strip_accents: bool = False
    expand_elisions: bool = True
    remove_stopwords: bool = True
    keep_negations: bool = True
    keep_exclamations: bool = True
    reduction: Literal["none", "simplemma", "snowball"] = "none"
    min_length: int = Field(1, ge=1)

    def config(self) -> PreprocessConfig:
        return PreprocessConfig(**self.model_dump())

    @classmethod
    def of(cls, config: PreprocessConfig) -> Preprocessing:
        return cls(**{name: getattr(config, name) for name in cls.model_fields})


class ReviewModelConfig(_Strict):
    """One sparse pipeline: preprocessing → n-gram features (optionally NB-weighted) → logistic
    regression with `C`, seeded."""

    name: str = Field(min_length=1)
    preprocessing: Preprocessing = Preprocessing()
    features: FeatureKind = "nb-tfidf_word+char"
    classifier: Literal["logreg"] = "logreg"
    C: float = Field(gt=0)
    min_df: int = Field(2, ge=1)
    max_features: int | None = Field(200_000, ge=1)
    seed: int = 42
    selection: dict[str, Any] = Field(default_factory=dict)


def load_model_config(path: Path) -> ReviewModelConfig:
    """Read and validate `path`; `ModelConfigError` names the file and the first problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ModelConfigError(f"{path}: cannot read the model configuration ({exc})") from exc
    try:
        return ReviewModelConfig.model_validate_json(text)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"]) or "(file)"
        raise ModelConfigError(f"{path}: {where}: {error['msg']}") from None


def write_model_config(config: ReviewModelConfig, path: Path) -> Path:
    """Write `config` atomically (a reader never sees half a file)."""
    document = json.loads(config.model_dump_json())
    return write_text_atomic(path, json.dumps(document, indent=2, ensure_ascii=False) + "\n")
