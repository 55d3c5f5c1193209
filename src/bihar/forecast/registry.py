"""Model registry: immutable versions on disk (`model/registry/<name>/<version>/`) and in the
`model_versions` table, with checksummed artifacts and a promotion rule.

A version is written to a temporary folder, checksummed, renamed into place (atomic on one file
system), made read-only, then registered in the database; a failure at any step leaves neither a
folder nor a row. Only one version per name is in `production` (the one served).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import stat
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from bihar.forecast.db.models import ModelVersion

log = logging.getLogger(__name__)

MODEL_FILE = "model.joblib"
METADATA_FILE = "metadata.json"
PRODUCTION = "production"
CANDIDATE = "candidate"
ARCHIVED = "archived"
#: The metric the promotion rule compares: scale-free, so backtests of different years compare.
PROMOTION_METRIC = "mae_ratio_vs_seasonal_naive"


class RegistryError(RuntimeError):
    """A registry operation that cannot be done (no serving model, corrupted artifact…)."""


def model_name(location: str) -> str:
    """The registry name of the 3-hour temperature model of a location."""
    return f"temperature-3h-{location}"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class NewVersion:
    """Everything a training run hands to the registry."""

    name: str
    location_id: int | None
    algorithm: str
    hyperparameters: Mapping[str, Any]
    features: list[str]
    train_start: datetime
    train_end: datetime
    metrics: Mapping[str, Any]
    code_version: str
    metadata: Mapping[str, Any]
    files: Mapping[str, bytes]  # extra files: backtest table, plots…


def register(engine: Engine, registry_dir: Path, model: Any, new: NewVersion) -> ModelVersion:
    """Write `model` and its files as the next immutable version of `new.name`."""
    family = registry_dir / new.name
    family.mkdir(parents=True, exist_ok=True)
    final: Path | None = None
    try:
        with _session(engine) as session, session.begin():
            version = _next_version(session, family, new.name)
            staging = Path(tempfile.mkdtemp(prefix=f".{version}-", dir=family))
            try:
                checksum = _write_version(staging, model, new, version)
                final = family / str(version)
                os.rename(staging, final)  # fails if that folder exists: never overwritten
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
            row = ModelVersion(
                name=new.name,
                version=version,
                location_id=new.location_id,
                algorithm=new.algorithm,
                hyperparameters=dict(new.hyperparameters),
                features=list(new.features),
                train_start=new.train_start,
                train_end=new.train_end,
                metrics=json.loads(json.dumps(new.metrics, default=float)),
                artifact_path=f"{new.name}/{version}/{MODEL_FILE}",
                artifact_sha256=checksum,
                code_version=new.code_version,
                stage=CANDIDATE,
            )
            session.add(row)
    except BaseException:
        if final is not None:
            shutil.rmtree(final, ignore_errors=True)
        raise
    assert final is not None
    _make_read_only(final)
    log.info("registered %s version %d (%s)", new.name, row.version, final)
    return row


def _write_version(folder: Path, model: Any, new: NewVersion, version: int) -> str:
    import joblib  # the training stack; the API image reads the registry without it

    joblib.dump(model, folder / MODEL_FILE)
    checksum = sha256_of(folder / MODEL_FILE)
    for name, content in new.files.items():
        (folder / name).write_bytes(content)
    metadata = {
        **new.metadata,
        "name": new.name,
        "version": version,
        "artifact": MODEL_FILE,
        "artifact_sha256": checksum,
    }
    (folder / METADATA_FILE).write_text(
        json.dumps(metadata, indent=2, default=str) + "\n", encoding="utf-8"
    )
    return checksum


def _session(engine: Engine) -> Session:
    return Session(engine, expire_on_commit=False)


def _next_version(session: Session, family: Path, name: str) -> int:
    in_db = session.scalar(select(func.max(ModelVersion.version)).where(ModelVersion.name == name))
    on_disk = [int(p.name) for p in family.iterdir() if p.is_dir() and p.name.isdigit()]
    return max([in_db or 0, *on_disk]) + 1


def _make_read_only(folder: Path) -> None:
    """Files read-only for everyone; the folder readable (a non-root server can load it)."""
    read = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH
    for path in folder.iterdir():
        path.chmod(read)
    folder.chmod(read | stat.S_IWUSR | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def get_version(engine: Engine, name: str, version: int) -> ModelVersion:
    with _session(engine) as session:
        row = session.scalar(
            select(ModelVersion).where(ModelVersion.name == name, ModelVersion.version == version)
        )
    if row is None:
        raise RegistryError(f"{name} has no version {version}")
    return row


def list_versions(engine: Engine, name: str | None = None) -> list[ModelVersion]:
    query = select(ModelVersion).order_by(ModelVersion.name, ModelVersion.version)
    if name is not None:
        query = query.where(ModelVersion.name == name)
    with _session(engine) as session:
        return list(session.scalars(query))


def serving_version(engine: Engine, name: str) -> ModelVersion:
    """The version in production, or a `RegistryError` saying how to get one."""
    with _session(engine) as session:
        row = session.scalar(
            select(ModelVersion).where(ModelVersion.name == name, ModelVersion.stage == PRODUCTION)
        )
    if row is None:
        raise RegistryError(
            f"no version of {name} is in production; train one with `python model/train.py "
            "--promote`"
        )
    return row


def should_promote(candidate: ModelVersion, current: ModelVersion | None) -> bool:
    """The rule: promote when nothing is served, or when the candidate's backtest ratio
    MAE / MAE(seasonal naive) is lower than the served version's."""
    if current is None:
        return True
    new = candidate.metrics.get(PROMOTION_METRIC)
    old = current.metrics.get(PROMOTION_METRIC)
    if new is None:
        return False
    return old is None or float(new) < float(old)


def promote(engine: Engine, version: ModelVersion) -> None:
    """Serve `version`; the previously served version of its name is archived."""
    with engine.begin() as conn:
        conn.execute(
            update(ModelVersion)
            .where(ModelVersion.name == version.name, ModelVersion.stage == PRODUCTION)
            .values(stage=ARCHIVED)
        )
        conn.execute(
            update(ModelVersion).where(ModelVersion.id == version.id).values(stage=PRODUCTION)
        )
    log.info("promoted %s version %d to production", version.name, version.version)


def load_model(registry_dir: Path, version: ModelVersion) -> Any:
    """The version's model, after checking its artifact against the recorded SHA-256."""
    path = registry_dir / version.artifact_path
    if not path.is_file():
        raise RegistryError(f"artifact of {version.name} v{version.version} missing: {path}")
    actual = sha256_of(path)
    if actual != version.artifact_sha256:
        raise RegistryError(
            f"artifact of {version.name} v{version.version} is corrupted: SHA-256 {actual} "
            f"!= recorded {version.artifact_sha256}"
        )
    import joblib

    return joblib.load(path)
