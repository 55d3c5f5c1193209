"""Registry: immutable checksummed versions, the promotion rule, serving."""

from __future__ import annotations

import json
import os
from datetime import date

import pytest

from bihar.forecast.acquisition import acquire
from bihar.forecast.registry import (
    RegistryError,
    list_versions,
    load_model,
    promote,
    serving_version,
    sha256_of,
    should_promote,
)
from bihar.forecast.sources import open_source
from bihar.forecast.training import TrainingError, train
from tests.forecast.places import BOSTON
from tests.pipeline import FAST_CONFIG, settings_under


@pytest.fixture
def store(engine, tmp_path):
    settings = settings_under(tmp_path, str(engine.url.render_as_string(hide_password=False)))
    source = open_source(settings, BOSTON, "offline")
    coverage = source.coverage()
    acquire(engine, source, BOSTON, coverage.first, coverage.last)
    return engine, settings


def test_two_trainings_make_two_immutable_checksummed_versions(store):
    engine, settings = store
    first = train(engine, settings, "boston", FAST_CONFIG, end=date(2025, 6, 30))
    second = train(engine, settings, "boston", FAST_CONFIG, end=date(2025, 6, 30))
    assert [v.version for v in list_versions(engine)] == [1, 2]
    for result in (first, second):
        folder = settings.registry_dir / result.version.name / str(result.version.version)
        model_file = folder / "model.joblib"
        assert sha256_of(model_file) == result.version.artifact_sha256
        assert not os.access(model_file, os.W_OK) or os.geteuid() == 0
        assert oct(model_file.stat().st_mode & 0o777) == "0o444"
        metadata = json.loads((folder / "metadata.json").read_text())
        assert metadata["artifact_sha256"] == result.version.artifact_sha256
        assert metadata["training_period"]["end"].startswith("2025-07-01")
        assert {"backtest.csv", "comparison.csv", "backtest.png"} <= {
            p.name for p in folder.iterdir()
        }
    # seeds fixed: same data, same model, same metrics
    assert first.version.metrics == second.version.metrics
    assert first.version.artifact_sha256 == second.version.artifact_sha256


def test_promotion_rule(store):
    engine, settings = store
    first = train(engine, settings, "boston", FAST_CONFIG, end=date(2025, 6, 30))
    assert first.promoted  # nothing served yet
    same = train(engine, settings, "boston", FAST_CONFIG, end=date(2025, 6, 30))
    assert not same.promoted  # not strictly better
    assert serving_version(engine, first.version.name).version == 1
    forced = train(
        engine, settings, "boston", FAST_CONFIG, end=date(2025, 6, 30), promote_mode=True
    )
    assert forced.promoted
    stages = {v.version: v.stage for v in list_versions(engine)}
    assert stages == {1: "archived", 2: "candidate", 3: "production"}
    candidate, current = list_versions(engine)[1], list_versions(engine)[2]
    candidate.metrics = {**candidate.metrics, "mae_ratio_vs_seasonal_naive": 0.1}
    assert should_promote(candidate, current)
    assert not should_promote(current, candidate)
    promote(engine, list_versions(engine)[0])
    assert serving_version(engine, first.version.name).version == 1


def test_tampered_artifact_is_refused(store):
    engine, settings = store
    version = train(engine, settings, "boston", FAST_CONFIG, end=date(2025, 6, 30)).version
    path = settings.registry_dir / version.artifact_path
    path.chmod(0o644)
    path.write_bytes(path.read_bytes() + b"\0")
    with pytest.raises(RegistryError, match="corrupted"):
        load_model(settings.registry_dir, version)


def test_no_served_version_says_how_to_get_one(engine):
    with pytest.raises(RegistryError, match="--promote"):
        serving_version(engine, "temperature-3h-boston")


def test_too_little_history_is_a_clear_error(engine, tmp_path):
    settings = settings_under(tmp_path, engine.url.render_as_string(hide_password=False))
    source = open_source(settings, BOSTON, "offline")
    acquire(engine, source, BOSTON, date(2025, 1, 1), date(2025, 3, 1))
    with pytest.raises(TrainingError, match="--backfill"):
        train(engine, settings, "boston", FAST_CONFIG)
