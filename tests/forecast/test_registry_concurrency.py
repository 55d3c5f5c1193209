"""Registry writers in separate processes, released at the same instant, on a SQLite file and
on PostgreSQL: every writer gets its own version with its own files, and promotions by the rule
end with the best version served, the only one in production. The schema refuses a second
production version, and migration 0002 repairs stores that already have one."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from datetime import datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import column, insert, select, table, text, update
from sqlalchemy.exc import IntegrityError

from bihar.forecast.db.engine import make_engine
from bihar.forecast.db.migrate import alembic_config, upgrade_head
from bihar.forecast.db.models import ModelVersion
from bihar.forecast.registry import list_versions, model_name, sha256_of

ROOT = Path(__file__).resolve().parents[2]
NAME = model_name("boston")
RATIOS = [0.9, 0.6, 0.8, 0.7, 0.95]

WRITER = textwrap.dedent(
    """
    import sys, time
    from datetime import datetime
    from pathlib import Path

    from bihar.forecast.db.engine import make_engine
    from bihar.forecast.registry import NewVersion, promote, register

    url, registry, start_at, ratio = sys.argv[1], Path(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
    engine = make_engine(url)
    new = NewVersion(
        name=sys.argv[5], location_id=None, algorithm="constant", hyperparameters={},
        features=[], train_start=datetime(2020, 1, 1), train_end=datetime(2021, 1, 1),
        metrics={"mae_ratio_vs_seasonal_naive": float(ratio)}, code_version="test",
        metadata={}, files={"ratio.txt": ratio.encode()},
    )
    time.sleep(max(0.0, start_at - time.time()))
    version = register(engine, registry, {"ratio": ratio}, new)
    promote(engine, version, if_better=True)
    print(version.version, ratio)
    """
)


def test_concurrent_writers_take_distinct_versions_and_serve_the_best(database_url, tmp_path):
    engine = make_engine(database_url)
    upgrade_head(engine)
    registry = tmp_path / "registry"
    start_at = f"{time.time() + 4:.3f}"  # every writer is started (imports done) by then
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, database_url, str(registry), start_at, str(r), NAME],
            cwd=ROOT,
            env=os.environ,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for r in RATIOS
    ]
    outputs = [writer.communicate(timeout=120) for writer in writers]
    assert [w.returncode for w in writers] == [0] * len(RATIOS), [err for _, err in outputs]
    taken = {int(out.split()[0]): out.split()[1] for out, _ in outputs}
    assert sorted(taken) == list(range(1, len(RATIOS) + 1))

    versions = list_versions(engine, NAME)
    assert [v.version for v in versions] == sorted(taken)
    for version in versions:  # every row has its own files, whole and as recorded
        folder = registry / NAME / str(version.version)
        assert sha256_of(registry / version.artifact_path) == version.artifact_sha256
        assert (folder / "ratio.txt").read_text() == taken[version.version]
    assert sorted(p.name for p in (registry / NAME).iterdir()) == sorted(
        str(v) for v in taken
    )  # no staging folder left behind
    production = [v for v in versions if v.stage == "production"]
    assert len(production) == 1
    assert production[0].metrics["mae_ratio_vs_seasonal_naive"] == min(RATIOS)
    engine.dispose()


def _row(version: int, stage: str) -> dict[str, object]:
    return {
        "name": NAME,
        "version": version,
        "algorithm": "constant",
        "hyperparameters": {},
        "features": [],
        "train_start": datetime(2020, 1, 1),
        "train_end": datetime(2021, 1, 1),
        "metrics": {},
        "artifact_path": f"{NAME}/{version}/model.joblib",
        "artifact_sha256": "0" * 64,
        "code_version": "test",
        "created_at": datetime(2021, 1, 1),
        "stage": stage,
    }


def test_the_schema_allows_one_production_version_per_name(engine):
    with engine.begin() as conn:
        conn.execute(insert(ModelVersion), [_row(1, "production"), _row(2, "candidate")])
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(
            update(ModelVersion).where(ModelVersion.version == 2).values(stage="production")
        )
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert(ModelVersion), [_row(1, "archived")])  # same name and version


def test_migration_0002_archives_all_but_the_newest_production_version(database_url):
    engine = make_engine(database_url)
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0001")
    rows = [_row(1, "production"), _row(2, "production"), _row(3, "candidate")]
    # the table as revision 0001 made it (no column of later revisions)
    columns = ModelVersion.__table__.c
    old = table("model_versions", *(column(name, columns[name].type) for name in rows[0]))
    with engine.begin() as conn:  # what two promotions at once could leave before 0002
        conn.execute(insert(old), rows)
    upgrade_head(engine)
    head = ScriptDirectory.from_config(config).get_current_head()
    with engine.connect() as conn:
        stages = dict(conn.execute(select(ModelVersion.version, ModelVersion.stage)).all())
        assert conn.execute(text("select version_num from alembic_version")).scalar() == head
    assert stages == {1: "archived", 2: "production", 3: "candidate"}
    engine.dispose()
