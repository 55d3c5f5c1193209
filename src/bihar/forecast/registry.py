"""Model registry: immutable versions on disk (`model/registry/<name>/<version>/`) and in the
`model_versions` table, with checksummed artifacts and a promotion rule.

A version is written to a temporary folder, checksummed, renamed into place (atomic on one file
system) in the database transaction that records it, then made read-only; a failure at any step
leaves neither a folder nor a row. Only one version per name is in `production` (the one served),
which the schema enforces too.
"""

from __future__ import annotations

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

from bihar.file_registry import RegistryError, sha256_of
from bihar.forecast.db.locks import lock_until_commit
from bihar.forecast.db.models import ModelVersion

log = logging.getLogger(__name__)

MODEL_FILE = "model.joblib"
METADATA_FILE = "metadata.json"
PRODUCTION = "production"
CANDIDATE = "candidate"
ARCHIVED = "archived"
#: The metric the promotion rule compares: scale-free, so backtests of different years compare.
PROMOTION_METRIC = "mae_ratio_vs_seasonal_naive"


def model_name(location: str) -> str:
    """The registry name of the 3-hour temperature model of a location."""
    return f"temperature-3h-{location}"


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
    timezone: str = "GMT"  # the clock of the days it was trained on


def register(engine: Engine, registry_dir: Path, model: Any, new: NewVersion) -> ModelVersion:
    """Write `model` and its files as the next immutable version of `new.name`.

    The files are written to a staging folder first. The version number is then taken in the
    transaction that records it, under the name's lock (`_lock_name`), so two trainers never
    take the same one (the unique constraint on name and version backs this up); the staging
    folder is renamed to the version's folder inside that transaction. When anything fails,
    only the folder this call created is removed, never another writer's.
    """
    family = registry_dir / new.name
    family.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=family))
    published: Path | None = None
    try:
        checksum = _write_files(staging, model, new)
        with _session(engine) as session, session.begin():
            _lock_name(session, new.name)
            version = _next_version(session, family, new.name)
            _write_metadata(staging, new, version, checksum)
            final = family / str(version)
            try:
                os.rename(staging, final)  # fails when a non-empty folder has that name
            except OSError as exc:
                raise RegistryError(f"cannot publish {new.name} v{version}: {exc}") from exc
            published = final
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
                timezone=new.timezone,
            )
            session.add(row)
    except BaseException:
        shutil.rmtree(published or staging, ignore_errors=True)
        raise
    _make_read_only(published)
    log.info("registered %s version %d (%s)", new.name, row.version, published)
    return row


def _write_files(folder: Path, model: Any, new: NewVersion) -> str:
    """The model and the extra files; the model file's SHA-256."""
    import joblib  # the training stack; the API image reads the registry without it

    joblib.dump(model, folder / MODEL_FILE)
    for name, content in new.files.items():
        (folder / name).write_bytes(content)
    return sha256_of(folder / MODEL_FILE)


def _write_metadata(folder: Path, new: NewVersion, version: int, checksum: str) -> None:
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


def _session(engine: Engine) -> Session:
    return Session(engine, expire_on_commit=False)


def _lock_name(session: Session, name: str) -> None:
    """Registry writes of one model name take turns until the transaction ends."""
    lock_until_commit(session.connection(), f"registry:{name}")


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
    MAE / MAE(seasonal naive) is lower than the served version's, or when the served version
    was trained on another clock (its days are not the location's days any more)."""
    if current is None or current.timezone != candidate.timezone:
        return True
    new = candidate.metrics.get(PROMOTION_METRIC)
    old = current.metrics.get(PROMOTION_METRIC)
    if new is None:
        return False
    return old is None or float(new) < float(old)


def promote(engine: Engine, version: ModelVersion, if_better: bool = False) -> ModelVersion | None:
    """Serve `version`, archiving the version served before; with `if_better`, only when
    `should_promote` prefers it to the version served at that moment. Runs under the name's
    lock, so concurrent promotions apply one after the other (and the partial unique index
    allows one production version per name). Returns the version served afterwards."""
    with _session(engine) as session, session.begin():
        _lock_name(session, version.name)
        current = session.scalar(
            select(ModelVersion).where(
                ModelVersion.name == version.name, ModelVersion.stage == PRODUCTION
            )
        )
        if current is not None and current.id == version.id:
            return current
        if if_better and not should_promote(version, current):
            return current
        session.execute(
            update(ModelVersion)
            .where(ModelVersion.name == version.name, ModelVersion.stage == PRODUCTION)
            .values(stage=ARCHIVED)
        )
        session.execute(
            update(ModelVersion).where(ModelVersion.id == version.id).values(stage=PRODUCTION)
        )
    version.stage = PRODUCTION
    log.info("promoted %s version %d to production", version.name, version.version)
    return version


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
