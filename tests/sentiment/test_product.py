"""The review classifier as a product: `bihar sentiment train / classify / evaluate` on the real
offline Allociné files, the registry round trip, and every kind of bad or odd input.

One model is trained per module, with the shipped configuration (model/review_sentiment.json),
on the offline subset through the `train` command; the other tests use it.
"""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bihar.cli import main
from bihar.file_registry import RegistryError
from bihar.sentiment.model_config import load_model_config
from bihar.sentiment.pipeline import MAX_CHARS
from bihar.sentiment.review_files import ReviewInputError, read_reviews_file
from bihar.sentiment.versions import MODEL_NAME, load_review_model
from bihar.settings import get_settings

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "model" / "review_sentiment.json"
DATA = REPO.parent / "shared" / "datasets" / "allocine"
TEST_FILE = DATA / "test_data_allocine_full.csv"

pytestmark = pytest.mark.skipif(not TEST_FILE.is_file(), reason="offline Allociné files absent")


@pytest.fixture(scope="module")
def trained_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sentiment-root")
    with pytest.MonkeyPatch.context() as mp:
        _point_at(mp, root)
        assert main(["sentiment", "train", "--config", str(SHIPPED), "--source", "offline"]) == 0
    get_settings.cache_clear()
    return root


def _point_at(mp: pytest.MonkeyPatch, root: Path) -> None:
    mp.setenv("BIHAR_ROOT_DIR", str(root))
    mp.setenv("BIHAR_CACHE_DIR", str(root / "cache"))
    mp.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{root / 'mlflow.db'}")
    get_settings.cache_clear()


@pytest.fixture
def model_root(trained_root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    _point_at(monkeypatch, trained_root)
    return trained_root


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["sentiment", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def _json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


# --- train, registry, evaluate ---------------------------------------------------------------


def test_train_publishes_a_checked_version_with_its_evidence(model_root: Path) -> None:
    pipeline, stored = load_review_model(model_root / "model" / "registry")
    meta = stored.metadata
    config = load_model_config(SHIPPED)
    assert pipeline.config.name == config.name == meta["config"]
    assert set(meta["files"]) == {"pipeline.joblib", "config.json"}
    assert meta["data"]["sizes"] == {
        "train": 1597, "validation": 400, "test": 1000, "fit (train + validation)": 1997
    }  # fmt: skip
    assert "offline" in meta["data"]["source"]
    assert meta["selection"] == config.selection and meta["selection"]["rule"]
    assert meta["libraries"]["scikit-learn"] and meta["code_version"]
    low, high = meta["test"]["accuracy_interval_95"]
    assert low < meta["test"]["accuracy"] < high
    assert meta["mlflow_run_id"]
    report = json.loads((model_root / "reports" / "sentiment.json").read_text())
    assert report["shipped_model"]["test"] == meta["test"]


def test_evaluate_on_the_test_file_reproduces_the_published_test_figures(
    model_root: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out_file = tmp_path / "scores.json"
    code, out, _ = _run(capsys, "evaluate", str(TEST_FILE), "--out", str(out_file))
    assert code == 0
    document = json.loads(out)
    assert document == json.loads(out_file.read_text())
    _, stored = load_review_model(model_root / "model" / "registry")
    for key in ("accuracy", "accuracy_interval_95", "precision", "recall", "f1", "roc_auc"):
        assert document[key] == stored.metadata["test"][key], key
    matrix = np.array(document["confusion"]["matrix"])
    assert matrix.sum() == document["reviews"] == 1000
    assert matrix[1].sum() == document["positives"] == 490
    assert document["model"]["sha256"] == stored.sha256


def test_loading_refuses_a_file_that_does_not_match_its_sha256(
    model_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    source = model_root / "model" / "registry" / MODEL_NAME / "1"
    copy = tmp_path / "model" / "registry" / MODEL_NAME / "1"
    shutil.copytree(source, copy)
    for path in (copy, *copy.iterdir()):
        path.chmod(path.stat().st_mode | stat.S_IWUSR)
    with (copy / "pipeline.joblib").open("r+b") as handle:
        handle.seek(100)
        byte = handle.read(1)
        handle.seek(100)
        handle.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(RegistryError, match="does not match its SHA-256"):
        load_review_model(tmp_path / "model" / "registry")
    _point_at(monkeypatch, tmp_path)
    code, out, _ = _run(capsys, "classify", "Très bon film.")
    assert code == 2 and out == ""


def test_classify_without_a_model_says_how_to_train_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _point_at(monkeypatch, tmp_path)
    code, out, _ = _run(capsys, "classify", "Très bon film.")
    assert code == 2 and out == ""


# --- classify ---------------------------------------------------------------------------------


def test_classify_a_masterpiece_answers_positive_with_a_probability(
    model_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(capsys, "classify", "--json", "Un chef-d'œuvre, je le reverrai.",
                        "Un navet ennuyeux, mal joué, à éviter.")  # fmt: skip
    assert code == 0
    rows = _json_lines(out)
    assert [r["label"] for r in rows] == ["positive", "negative"]
    assert rows[0]["p_positive"] > 0.5 > rows[1]["p_positive"]
    code, out, _ = _run(capsys, "classify", "Un chef-d'œuvre, je le reverrai.")
    header, line = out.splitlines()
    assert header.split()[:3] == ["#", "label", "P(pos)"]
    assert line.split()[1] == "positive" and 0.5 < float(line.split()[2]) <= 1


def test_classify_as_a_process(model_root: Path) -> None:
    import os

    env = {**os.environ, "BIHAR_ROOT_DIR": str(model_root),
           "MLFLOW_TRACKING_URI": f"sqlite:///{model_root / 'mlflow.db'}"}  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "bihar.cli", "sentiment", "classify", "--json", "Superbe film."],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert _json_lines(done.stdout)[0]["label"] == "positive"
    done = subprocess.run(
        [sys.executable, "-m", "bihar.cli", "sentiment", "classify", "   "],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert [line for line in done.stderr.splitlines() if "empty review" in line]


@pytest.mark.parametrize("text", ["", "   \n\t ", "<br/><p></p>"])
def test_empty_reviews_are_refused_in_one_line(
    model_root: Path, capsys: pytest.CaptureFixture[str], text: str
) -> None:
    code, out, _ = _run(capsys, "classify", "Bon film.", text)
    assert code == 2 and out == ""


def test_neither_or_both_texts_and_file_is_a_usage_error(
    model_root: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert _run(capsys, "classify")[0] == 2
    (tmp_path / "r.txt").write_text("Bon film.\n")
    assert _run(capsys, "classify", "Bon film.", "--file", str(tmp_path / "r.txt"))[0] == 2


def _probabilities(model_root: Path, texts: list[str]) -> np.ndarray:
    pipeline, _ = load_review_model(model_root / "model" / "registry")
    return pipeline.predict_proba(texts)


def test_html_entities_tags_and_upper_case_read_as_the_plain_review(model_root: Path) -> None:
    plain = "Un film émouvant, des acteurs excellents. Je recommande !"
    variants = [
        "Un film &eacute;mouvant, des acteurs <b>excellents</b>.<br/>Je recommande&nbsp;!",
        "<p>Un film &#233;mouvant, des acteurs excellents.</p> Je recommande !",
        plain.upper(),
    ]
    prob = _probabilities(model_root, [plain, *variants])
    np.testing.assert_allclose(prob[1:], prob[0], atol=1e-9)


def test_emoji_and_other_scripts_are_scored(model_root: Path) -> None:
    texts = [
        "Excellent film 😀👍🎬 !!!",
        "😡😡😡",
        "Отличный фильм, очень понравился.",
        "这部电影非常好看。",
        "فيلم رائع جدا",
        "Nul 👎 — 最悪 — ужасно",
    ]
    prob = _probabilities(model_root, texts)
    assert prob.shape == (len(texts),)
    assert np.all((prob >= 0) & (prob <= 1))
    plain = _probabilities(model_root, ["Excellent film !!!"])
    assert prob[0] > 0.5 and plain[0] > 0.5


def test_a_very_long_review_is_read_up_to_its_first_characters(
    model_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    head = "Un film magnifique et émouvant. " * (MAX_CHARS // 30)
    long = head + "Nul, ennuyeux, un navet. " * 40_000  # about 1 million characters
    assert len(long) >= 1_000_000
    prob = _probabilities(model_root, [long, long[:MAX_CHARS]])
    assert prob[0] == prob[1]
    code, out, _ = _run(capsys, "classify", "--json", "x" * 150_000)
    assert code == 0 and _json_lines(out)[0]["truncated"] is True


# --- files ------------------------------------------------------------------------------------

REVIEWS = pd.DataFrame(
    {
        "text": ["Un chef-d'oeuvre émouvant, bravo.", "Ennuyeux; raté, je déconseille.",
                 "Très belle réussite, à voir."],
        "label": [1, 0, 1],
    }
)  # fmt: skip


def _write(path: Path, frame: pd.DataFrame, **kwargs) -> Path:
    frame.to_csv(path, index=False, **kwargs)
    return path


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("plain.csv", {}),
        ("bom.csv", {"encoding": "utf-8-sig"}),
        ("semicolon.csv", {"sep": ";"}),
        ("latin1.csv", {"encoding": "latin-1", "sep": ";"}),
        ("tabs.tsv", {"sep": "\t"}),
    ],
)
def test_csv_files_with_a_bom_semicolons_or_latin1_read_the_same_reviews(
    tmp_path: Path, name: str, kwargs: dict
) -> None:
    table = read_reviews_file(_write(tmp_path / name, REVIEWS, **kwargs), label_column="label")
    assert table.texts == REVIEWS["text"].tolist()
    assert table.labels == [1, 0, 1]


def test_classify_a_latin1_file_gives_the_probabilities_of_its_utf8_twin(
    model_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    utf8 = _write(tmp_path / "utf8.csv", REVIEWS)
    latin = _write(tmp_path / "latin.csv", REVIEWS, encoding="latin-1", sep=";")
    outs = [
        _json_lines(_run(capsys, "classify", "--json", "--file", str(p))[1]) for p in (utf8, latin)
    ]
    assert [r["p_positive"] for r in outs[0]] == [r["p_positive"] for r in outs[1]]
    assert len(outs[0]) == 3


def test_text_files_hold_one_review_per_line(tmp_path: Path) -> None:
    path = tmp_path / "reviews.txt"
    path.write_text("Bon film.\nMauvais film.\n\n\n", encoding="utf-8")
    assert read_reviews_file(path).texts == ["Bon film.", "Mauvais film."]
    path.write_text("Bon film.\n   \nMauvais film.\n", encoding="utf-8")
    with pytest.raises(ReviewInputError, match="line 2: empty review"):
        read_reviews_file(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"text,label\nBon film.,1\n,0\n", "empty text in row(s) 2"),
        (b"text,label\nBon film.,1\n   ,0\n<br>,1\n", "empty text in row(s) 2, 3"),
        (b"text,label\nBon film.,1\nMauvais.,peut-etre\n", "label 'peut-etre' in row 2"),
        (b"review,label\nBon film.,1\n", "no column 'text'"),
        (b"text,note\nBon film.,1\n", "no column 'label'"),
        (b"text,label\n", "no reviews"),
        (b"\x00\x01\x02binary", "binary file"),
        (b'text,label\n"Bon film.,1\n', "not a readable CSV"),
    ],
)
def test_bad_files_are_refused_naming_the_row_and_the_problem(
    model_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes,
    message: str,
) -> None:  # fmt: skip
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(ReviewInputError) as info:
        read_reviews_file(path, label_column="label")
    assert message in str(info.value) and str(path) in str(info.value)
    code, out, _ = _run(capsys, "evaluate", str(path))
    assert code == 2 and out == ""


def test_evaluate_reads_other_column_names(
    model_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = REVIEWS.rename(columns={"text": "avis", "label": "polarite"})
    frame["polarite"] = ["positive", "negative", "pos"]
    path = _write(tmp_path / "mine.csv", frame, sep=";")
    assert _run(capsys, "evaluate", str(path))[0] == 2
    code, out, _ = _run(capsys, "evaluate", str(path), "--text-column", "avis",
                        "--label-column", "polarite")  # fmt: skip
    assert code == 0
    document = json.loads(out)
    assert document["reviews"] == 3 and document["separator"] == ";"
    assert sum(map(sum, document["confusion"]["matrix"])) == 3


def test_a_missing_file_is_refused(model_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(capsys, "evaluate", "/nonexistent/reviews.csv")[0] == 2
    assert _run(capsys, "classify", "--file", "/nonexistent/reviews.txt")[0] == 2
