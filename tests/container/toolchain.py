"""The local docker toolchain seen from the tests: a private daemon, builds and their logs.

The daemon, base image and registry are driven by the shell scripts of scripts/container (the
same ones `make` uses); this module only runs them and reads what they print.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import sqlite3
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "scripts" / "container"
DOCKER = "/usr/bin/docker"
# What the API serves from besides its code, copied into the build context when present.
DEMO_STATE = ("data/weather.db", "monitoring/output", "model/registry")

_STEP = re.compile(r"^#(\d+) (\[.+)$")
_CACHED = re.compile(r"^#(\d+) CACHED$")


class ToolchainError(Exception):
    """A docker command or toolchain script failed; the message carries its output."""


@dataclass(frozen=True)
class Docker:
    """Client of one private daemon."""

    host: str

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "DOCKER_HOST": self.host, "DOCKER_BUILDKIT": "1"}

    def run(self, *args: str, timeout: float = 600, check: bool = True) -> str:
        """Run `docker ARGS`; its stdout, or ToolchainError with stdout and stderr."""
        done = subprocess.run(
            [DOCKER, *args], env=self.env, capture_output=True, text=True, timeout=timeout
        )
        if check and done.returncode != 0:
            raise ToolchainError(
                f"docker {' '.join(args)} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
            )
        return done.stdout

    def script(self, name: str, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
        """Run scripts/container/NAME against this daemon (stdout and stderr captured)."""
        done = subprocess.run(
            [str(SCRIPTS / name), *args],
            env={**self.env, "PYTHON": str(ROOT / ".venv" / "bin" / "python")},
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=ROOT,
        )
        if done.returncode != 0:
            raise ToolchainError(
                f"{name} {' '.join(args)} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
            )
        return done

    def build(self, context: Path, tag: str, build_args: dict[str, str]) -> Build:
        """`docker build --progress=plain` of CONTEXT; its timed log."""
        args = [f"--build-arg={key}={value}" for key, value in build_args.items()]
        start = time.monotonic()
        done = subprocess.run(
            [DOCKER, "build", "--progress=plain", *args, "-t", tag, str(context)],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=1500,
        )
        seconds = time.monotonic() - start
        if done.returncode != 0:
            raise ToolchainError(f"docker build exited {done.returncode}\n{done.stderr[-6000:]}")
        return Build(tag=tag, seconds=seconds, log=done.stderr + done.stdout)


@dataclass(frozen=True)
class Build:
    tag: str
    seconds: float
    log: str
    steps: dict[str, bool] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "steps", build_steps(self.log))

    def step(self, pattern: str) -> tuple[str, bool]:
        """(title, cached) of the one step whose title matches PATTERN (a regex)."""
        found = [(t, cached) for t, cached in self.steps.items() if re.search(pattern, t)]
        if len(found) != 1:
            raise ToolchainError(f"{len(found)} build steps match {pattern!r}: {list(self.steps)}")
        return found[0]


def build_steps(log: str) -> dict[str, bool]:
    """Each `[stage n/m] INSTRUCTION` of a BuildKit plain log → whether it was CACHED."""
    titles: dict[str, str] = {}
    cached: set[str] = set()
    for line in log.splitlines():
        if match := _STEP.match(line):
            titles.setdefault(match[1], match[2])
        elif match := _CACHED.match(line):
            cached.add(match[1])
    return {title: number in cached for number, title in titles.items()}


def stage_context(dest: Path) -> str:
    """Copy the checkout as a clean clone would have it, plus the demo state, into DEST.

    Files are those git tracks or would track (`--exclude-standard`). Returns where the baked
    database came from: the checkout's data/weather.db, else an empty SQLite file made here.
    """
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for relative in filter(None, listed.split("\0")):
        source = ROOT / relative
        if source.is_file():
            (dest / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / relative)
    for relative in DEMO_STATE:
        source = ROOT / relative
        if source.is_dir():
            shutil.copytree(source, dest / relative, dirs_exist_ok=True)
        elif source.is_file():
            (dest / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / relative)
    database = dest / "data" / "weather.db"
    if database.is_file():
        return "data/weather.db of the checkout"
    database.parent.mkdir(parents=True, exist_ok=True)
    sqlite3.connect(database).close()
    return "an empty SQLite file (no data/weather.db in the checkout: run `make demo-state`)"


def free_port(preferred: int | None = None) -> int:
    """PREFERRED when nothing listens there on 127.0.0.1, else a free port."""
    for port in ([preferred] if preferred else []) + [0]:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return probe.getsockname()[1]
    raise ToolchainError("no free port on 127.0.0.1")


def git_sha() -> str:
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()


def wait_for(url: str, timeout: float = 60) -> httpx.Response:
    """The first answer of GET URL within TIMEOUT seconds (connection errors retried)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return httpx.get(url, timeout=2)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
