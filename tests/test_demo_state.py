"""The committed demo state (data/weather.db, model/registry/, monitoring/output/) is what
`make demo-state` makes: remade into a temporary folder, it has the same rows, the same model
file (SHA-256) and the same monitoring figure."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: Columns that record when or from which checkout a row was written, not what it holds.
CIRCUMSTANTIAL = {"created_at", "ingested_at", "started_at", "finished_at", "code_version"}
#: At most this many bytes in all (the repository stays light to clone).
MAX_BYTES = 10_000_000


def _committed_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "data", "model/registry", "monitoring/output"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return [
        ROOT / name
        for name in listed
        if (ROOT / name).suffix in {".db", ".joblib", ".png", ".json", ".csv"}
    ]


def _rows(database: Path, root: Path) -> dict[str, list[tuple]]:
    """Every table's rows, circumstantial columns left out, paths made relative to `root`."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
        tables = [
            name
            for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if name != "ingestion_runs"  # timings of the acquisition, nothing served
        ]
        rows = {}
        for table in tables:
            columns = [c[1] for c in conn.execute(f'PRAGMA table_info("{table}")')]
            kept = ", ".join(f'"{c}"' for c in columns if c not in CIRCUMSTANTIAL)
            rows[table] = sorted(
                tuple(str(v).replace(str(root), "<root>") if isinstance(v, str) else v for v in row)
                for row in conn.execute(f'SELECT {kept} FROM "{table}"')
            )
    return rows


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_committed_demo_state_is_what_make_demo_state_makes(tmp_path):
    committed = ROOT / "data" / "weather.db"
    assert committed.is_file(), "no committed demo state: run make demo-state and commit it"
    env = {**os.environ, "BIHAR": str(ROOT / ".venv" / "bin" / "bihar")}
    subprocess.run(
        [str(ROOT / "scripts" / "demo_state.sh"), str(tmp_path)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=600,
    )
    made, ours = _rows(tmp_path / "data" / "weather.db", tmp_path), _rows(committed, ROOT)
    assert made.keys() == ours.keys()
    for table in made:
        assert made[table] == ours[table], f"table {table} differs from make demo-state's"
    assert len(ours["predictions"]) > 0 and len(ours["model_versions"]) == 1
    models = sorted((ROOT / "model" / "registry").glob("temperature-3h-*/*/model.joblib"))
    assert len(models) == 1, "the demo state holds one registered version"
    relative = models[0].relative_to(ROOT)
    assert _sha256(tmp_path / relative) == _sha256(models[0])
    figure = Path("monitoring/output/boston_latest.png")
    assert _sha256(tmp_path / figure) == _sha256(ROOT / figure)


def test_the_demo_state_is_small():
    files = _committed_files()
    assert any(f.name == "weather.db" for f in files), "data/weather.db is not committed"
    assert sum(f.stat().st_size for f in files) <= MAX_BYTES
