"""The linters of the container area run clean, and do catch a broken workflow."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.container.toolchain import ROOT, SCRIPTS

pytestmark = pytest.mark.container


def lint(*workflows: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(SCRIPTS / "lint.sh"), *workflows],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHON": str(ROOT / ".venv/bin/python")},
    )


def test_workflow_dockerfile_and_scripts_lint_clean() -> None:
    done = lint()
    assert done.returncode == 0, done.stdout + done.stderr


def test_lint_catches_an_unknown_job_and_a_shell_bug(tmp_path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    needs: nowhere\n"
        "    steps:\n      - run: cd $HOME/x && [ $1 == yes ]\n"
    )
    done = lint(str(broken))
    assert done.returncode == 1
    assert "nowhere" in done.stdout  # actionlint: needs an undefined job
    assert "SC2086" in done.stdout  # shellcheck: unquoted expansion
