from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from bihar.settings import get_settings

POSITIVE = [
    "Un film magnifique, des acteurs excellents et une histoire émouvante.",
    "J'ai adoré ce film, drôle et touchant, je le recommande vivement !",
    "Superbe réalisation, une très belle surprise, à voir absolument.",
    "Excellent, émouvant et drôle : un vrai bonheur du début à la fin.",
    "Un chef-d'œuvre, les acteurs sont formidables et la musique sublime.",
    "Très bon film, j'ai passé un excellent moment, bravo au réalisateur.",
]
NEGATIVE = [
    "Un film nul, ennuyeux, je ne le recommande pas du tout.",
    "Quel navet ! Les acteurs sont mauvais et l'histoire n'a aucun intérêt.",
    "Ennuyeux et raté, je n'ai jamais vu un scénario aussi mauvais.",
    "Une perte de temps, rien ne fonctionne, c'est vraiment nul.",
    "Mauvais film, long et ennuyeux, à éviter absolument.",
    "Décevant, mal joué, l'histoire ne tient pas debout, nul.",
]


@pytest.fixture
def reviews() -> pd.DataFrame:
    return pd.DataFrame(
        {"text": POSITIVE + NEGATIVE, "label": [1] * len(POSITIVE) + [0] * len(NEGATIVE)}
    )


@pytest.fixture
def allocine_dir(tmp_path: Path, reviews: pd.DataFrame) -> Path:
    """A data_dir with allocine/ train (12 reviews + 8 more) and test files sharing one review."""
    folder = tmp_path / "allocine"
    folder.mkdir()
    extra = pd.DataFrame(
        {
            "text": [f"Film numéro {i} très bien" for i in range(4)]
            + [f"Film numéro {i} pas terrible" for i in range(4)],
            "label": [1] * 4 + [0] * 4,
        }
    )
    train = pd.concat([reviews, extra], ignore_index=True)
    test = pd.DataFrame({"text": [POSITIVE[0], "Nouveau film nul.", "Nouveau film génial."],
                         "label": [1, 0, 1]})  # fmt: skip
    train.to_csv(folder / "train_data_allocine.csv", index=False)
    test.to_csv(folder / "test_data_allocine_full.csv", index=False)
    return tmp_path


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("BIHAR_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    monkeypatch.setenv("BIHAR_ROOT_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def tiny_kv():
    """3-d vectors for a few review words: positive words along +x, negative along -x."""
    import numpy as np
    from gensim.models import KeyedVectors

    kv = KeyedVectors(vector_size=3)
    words = ["excellent", "magnifique", "superbe", "nul", "ennuyeux", "mauvais", "film"]
    vectors = [[1, 0, 0], [1, 0.1, 0], [1, 0, 0.1], [-1, 0, 0], [-1, 0.1, 0], [-1, 0, 0.1],
               [0, 1, 0]]  # fmt: skip
    kv.add_vectors(words, np.array(vectors, dtype=np.float32))
    return kv
