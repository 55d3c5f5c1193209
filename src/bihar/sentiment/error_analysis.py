"""Error analysis: flag each test review with simple, checkable hypotheses (negation, contrast,
irony markers, length, rare words) and compare how often each flag occurs among misclassified
versus correctly classified reviews."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

_NEGATION = re.compile(r"\b(?:ne|n'|pas|jamais|rien|aucun|aucune|ni|guère)\b", re.IGNORECASE)
_CONTRAST = re.compile(
    r"\b(?:mais|cependant|pourtant|néanmoins|toutefois|malgré|même si|par contre|hélas)\b",
    re.IGNORECASE,
)
_IRONY = re.compile(
    r"\.\.\.|…|\?!|!\?|\"[^\"]{1,40}\"|\b(?:bravo|génial|chef-d'œuvre|quel talent|mdr|lol)\b",
    re.IGNORECASE,
)


def flag_reviews(
    texts: Sequence[str], tokens: Sequence[Sequence[str]], train_vocab: set[str]
) -> pd.DataFrame:
    """One row per review: words, and boolean hypotheses."""
    n_words = np.array([len(t) for t in tokens])
    rare = np.array(
        [np.mean([w not in train_vocab for w in t]) if t else 0.0 for t in tokens], dtype=float
    )
    frame = pd.DataFrame(
        {
            "words": n_words,
            "negation": [bool(_NEGATION.search(t)) for t in texts],
            "contrast (mixed review)": [bool(_CONTRAST.search(t)) for t in texts],
            "irony markers": [bool(_IRONY.search(t)) for t in texts],
            "short (< 25 words)": n_words < 25,
            "long (> 150 words)": n_words > 150,
            "rare words (> 10 % unseen)": rare > 0.10,
        }
    )
    return frame


def hypothesis_table(flags: pd.DataFrame, wrong: np.ndarray) -> pd.DataFrame:
    """Share of each flag among errors vs correct predictions, and the error rate given the flag."""
    wrong = np.asarray(wrong, dtype=bool)
    rows = []
    for column in flags.columns.drop("words"):
        flag = flags[column].to_numpy(dtype=bool)
        rows.append(
            {
                "hypothesis": column,
                "share among errors": flag[wrong].mean() if wrong.any() else np.nan,
                "share among correct": flag[~wrong].mean() if (~wrong).any() else np.nan,
                "error rate with flag": wrong[flag].mean() if flag.any() else np.nan,
                "error rate without flag": wrong[~flag].mean() if (~flag).any() else np.nan,
                "reviews with flag": int(flag.sum()),
            }
        )
    return pd.DataFrame(rows).round(3)
