"""Candidate stacking bases against the two-base stack (NB-weighted TF-IDF + averaged fastText),
on the offline subset.

Every base's hyper-parameter is chosen on the validation split (the base alone, train →
validation); each candidate stack is then scored on validation and on the same 5 paired folds
of train + validation (`experiments.paired_folds`); a stack passing that rule is checked on a
second 5-fold split (kept only if better over the 10 folds). The test file is never read. Writes
reports/sentiment_stack_candidates.json.

    make sentiment-candidates   # ~16 min on one core
"""

from __future__ import annotations

import json
import logging
import time

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold

from bihar.sentiment import candidates as cand
from bihar.sentiment.allocine import load_allocine
from bihar.sentiment.corpus import W2V_CONFIG
from bihar.sentiment.experiments import StackSpec, paired_folds
from bihar.sentiment.preprocessing import PreprocessConfig, Preprocessor
from bihar.sentiment.stacking import BaseModel
from bihar.sentiment.word2vec import load_spacy_vectors
from bihar.settings import get_settings

log = logging.getLogger("sentiment_stack_candidates")
PIPELINE = PreprocessConfig(strip_accents=True)  # the notebook's kept preprocessing
SPEC = StackSpec(vectors_c=0.3)  # the notebook's chosen stack (reports/sentiment.json)
REFERENCE, SPARSE, VECTORS = "reference stack", cand.SPARSE, cand.VECTORS


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    for noisy in ("gensim", "bihar.sentiment.stacking"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    start = time.perf_counter()
    seed = get_settings().seed
    splits = load_allocine()
    data, y, folds = paired_folds(splits, SPEC.folds)
    settings = cand.evaluation_settings(len(splits.train), len(data), folds)
    texts = data["text"].tolist()
    w2v_docs = Preprocessor(W2V_CONFIG).batch(texts)
    kv = load_spacy_vectors({t for doc in w2v_docs for t in doc})
    bases, tuning = cand.candidate_bases(texts, y, settings, kv, PIPELINE, SPEC, seed)

    predictions: cand.Predictions = {}
    for name, base in bases.items():
        t = time.perf_counter()
        predictions[name] = cand.base_predictions(base, y, settings, SPEC.folds, seed)
        log.info("%s scored in every setting in %.0f s", name, time.perf_counter() - t)

    candidates = cand.candidate_sets(list(bases), REFERENCE)
    table = cand.compare_stacks(predictions, candidates, y, settings)
    summary = cand.apply_rule(table, REFERENCE)
    log.info("\n%s", summary.round(4).to_string())

    passing = [str(n) for n, row in summary.iterrows() if row["passes rule"]]
    confirmation = confirm(passing, candidates, bases, y, texts, seed, table)

    report = {
        "rule": "a candidate replaces the reference stack only if its validation accuracy and its "
        "mean accuracy over the same 5 paired folds of train + validation are both higher; "
        "base hyper-parameters chosen on validation (base alone); test never read",
        "confirmation": "added after one candidate passed the rule by a single review, before "
        "its result was seen: a candidate passing the rule is kept only if its mean accuracy over "
        "10 folds (the 5 paired folds + a second 5-fold split, seed + 1) is also higher",
        "reference": {"bases": [SPARSE, VECTORS], "spec": SPEC.__dict__},
        "base_tuning": tuning,
        "candidates": {
            name: {
                "bases": candidates[name],
                **{
                    k: (bool(v) if k == "passes rule" else round(float(v), 4))
                    for k, v in row.items()
                },
            }
            for name, row in summary.to_dict(orient="index").items()
        },
        "passes_rule": passing,
        "second_split": confirmation,
        "kept": [n for n in passing if confirmation[n]["kept"]],
        "seconds": round(time.perf_counter() - start),
        "command": "make sentiment-candidates",
    }
    path = get_settings().root_dir / "reports" / "sentiment_stack_candidates.json"
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    log.info("wrote %s in %d s; kept: %s", path, report["seconds"], report["kept"] or "none")


def confirm(
    passing: list[str],
    candidates: dict[str, list[str]],
    bases: dict[str, BaseModel],
    y: np.ndarray,
    texts: list[str],
    seed: int,
    table: pd.DataFrame,
) -> dict[str, dict]:
    """Candidates passing the rule against the reference stack on a second 5-fold split of the
    same rows (seed + 1): kept only if their mean over the 10 folds is higher."""
    if not passing:
        return {}
    second = StratifiedKFold(SPEC.folds, shuffle=True, random_state=seed + 1).split(texts, y)
    settings = cand.evaluation_settings(0, 0, list(second))
    del settings["validation"]
    chosen = {REFERENCE: candidates[REFERENCE], **{n: candidates[n] for n in passing}}
    needed = {b for names in chosen.values() for b in names}
    predictions = {b: cand.base_predictions(bases[b], y, settings, SPEC.folds, seed)
                   for b in bases if b in needed}  # fmt: skip
    second_table = cand.compare_stacks(predictions, chosen, y, settings)
    first = table[table["setting"] != "validation"]

    def ten_fold_mean(name: str) -> float:
        both = pd.concat([first[first["candidate"] == name],
                          second_table[second_table["candidate"] == name]])  # fmt: skip
        return float(both["accuracy"].mean())

    out = {}
    reference = ten_fold_mean(REFERENCE)
    for name in passing:
        rows = second_table[second_table["candidate"] == name]["accuracy"].to_numpy()
        ref_rows = second_table[second_table["candidate"] == REFERENCE]["accuracy"].to_numpy()
        out[name] = {"second split mean": round(float(rows.mean()), 4),
                     "reference second split mean": round(float(ref_rows.mean()), 4),
                     "second split folds better": int((rows > ref_rows).sum()),
                     "10-fold mean": round(ten_fold_mean(name), 4),
                     "reference 10-fold mean": round(reference, 4),
                     "kept": ten_fold_mean(name) > reference}  # fmt: skip
        log.info("%s on the second split: %s", name, out[name])
    return out


if __name__ == "__main__":
    np.seterr(over="ignore")
    main()
