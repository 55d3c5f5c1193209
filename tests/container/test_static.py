"""Checks of the container files that need no docker daemon (they run in every `make test`)."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib

import pytest
import yaml

from scripts.container.runtime_requirements import canonical
from scripts.container.workflow_shell import WorkflowError, run_blocks
from tests.container.toolchain import ROOT, SCRIPTS

TRAINING_STACK = {"torch", "scikit-learn", "lightgbm", "mlflow", "statsmodels"}


def pins(path: str) -> dict[str, str]:
    lines = (ROOT / path).read_text().splitlines()
    pairs = (line.split("==") for line in lines if "==" in line and not line.startswith("#"))
    return {canonical(name): version for name, version in pairs}


def requirement_name(requirement: str) -> str:
    return canonical(re.split(r"[\[<>=;\s]", requirement)[0])


def instructions(text: str) -> list[str]:
    """Dockerfile instructions, continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n\s*", " ", text)
    lines = (line.strip() for line in joined.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def test_runtime_requirements_match_a_fresh_resolution() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPTS / "runtime_requirements.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_runtime_pins_are_the_constraints_pins() -> None:
    runtime, constraints = pins("requirements/runtime.txt"), pins("requirements/constraints.txt")
    assert runtime, "requirements/runtime.txt pins nothing"
    assert {name: constraints.get(name) for name in runtime} == runtime


def test_runtime_leaves_out_the_training_stack() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    served = {requirement_name(d) for d in project["dependencies"] + extras["api"]}
    training = {
        requirement_name(d) for extra in ("forecast", "sentiment", "vision") for d in extras[extra]
    } - served
    assert training >= TRAINING_STACK
    assert not (training | TRAINING_STACK) & set(pins("requirements/runtime.txt"))


def test_dockerfile_layout() -> None:
    text = (ROOT / "Dockerfile").read_text()
    steps = instructions(text)
    assert not re.search(r"^#\s*syntax\s*=", text, re.MULTILINE | re.IGNORECASE)
    assert steps[0] == "ARG BASE_IMAGE=python:3.12-slim"
    froms = [step for step in steps if step.startswith("FROM ")]
    assert len(froms) >= 2 and all(step.startswith("FROM ${BASE_IMAGE} AS ") for step in froms)
    final = steps[steps.index(froms[-1]) :]
    deps_stage = steps[steps.index(froms[0]) : steps.index(froms[1])]
    copies = [step for step in deps_stage if step.startswith("COPY ")]
    assert copies == ["COPY requirements/runtime.txt /tmp/runtime.txt"], copies
    venv = next(i for i, s in enumerate(final) if s.startswith("COPY --from=deps"))
    package = next(i for i, s in enumerate(final) if "/wheels/bihar-" in s)
    code = final.index("COPY api/ api/")
    assert venv < package < code
    user = [step for step in final if step.startswith("USER ")]
    assert user and user[-1] not in {"USER root", "USER 0"}
    assert any(s.startswith("HEALTHCHECK") and "/health" in s for s in final)
    assert "ARG GIT_SHA=0.0.0" in final and "ENV APP_VERSION=${GIT_SHA}" in final


def test_dockerignore_is_an_allow_list() -> None:
    lines = [
        line
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert lines[0] == "*"
    assert {"!src/", "!api/", "!requirements/runtime.txt", "!data/weather.db"} <= set(lines)


def test_compose_serves_sqlite_by_default_and_postgresql_in_a_profile() -> None:
    services = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]
    assert "profiles" not in services["api"]
    assert "DATABASE_URL" not in services["api"].get("environment", {})
    assert services["postgres"]["profiles"] == ["postgres"]
    with_postgres = services["api-postgres"]
    assert with_postgres["profiles"] == ["postgres"]
    assert with_postgres["environment"]["DATABASE_URL"].startswith("postgresql+psycopg://")
    assert with_postgres["depends_on"]["postgres"]["condition"] == "service_healthy"
    for service in services.values():
        assert all(str(port).startswith("127.0.0.1:") for port in service.get("ports", []))


def test_workflow_jobs_order_and_registry_login() -> None:
    text = (ROOT / ".github" / "workflows" / "ci.yml").read_text()
    jobs = yaml.safe_load(text)["jobs"]
    assert list(jobs) == ["test", "build-push", "api-test"]
    assert jobs["build-push"]["needs"] == "test" and jobs["api-test"]["needs"] == "build-push"
    assert jobs["build-push"]["permissions"]["packages"] == "write"
    build = next(s for s in jobs["build-push"]["steps"] if "build-push-action" in s.get("uses", ""))
    assert build["with"]["build-args"] == "GIT_SHA=${{ github.sha }}"
    assert build["with"]["push"] is True and "type=gha" in build["with"]["cache-from"]
    passwords = re.findall(r"password:\s*(.+)", text)
    assert passwords and set(passwords) == {"${{ secrets.GITHUB_TOKEN }}"}
    run_steps = " ".join(s.get("run", "") for s in jobs["api-test"]["steps"])
    assert 'api-test.sh "$IMAGE:$GITHUB_SHA" "$GITHUB_SHA"' in run_steps


def test_run_blocks_replace_expressions_and_skip_other_shells(tmp_path) -> None:
    workflow = tmp_path / "w.yml"
    workflow.write_text(
        "jobs:\n  a:\n    steps:\n"
        "      - run: echo ${{ github.sha }}\n"
        "      - uses: actions/checkout@v4\n"
        "      - run: Write-Host hi\n        shell: pwsh\n"
    )
    assert run_blocks(workflow) == [("a.0", "echo GHA_EXPR")]
    workflow.write_text("on: push\n")
    with pytest.raises(WorkflowError, match="no `jobs:`"):
        run_blocks(workflow)


@pytest.mark.container
def test_runtime_pins_have_wheels_for_the_default_base(tmp_path) -> None:
    """The GitHub build uses python:3.12-slim, not the local 3.11 base: every pin must have a
    binary wheel for that Python (the image installs with --only-binary=:all:)."""
    default = re.search(
        r"^ARG BASE_IMAGE=python:(\d+)\.(\d+)", (ROOT / "Dockerfile").read_text(), re.M
    )
    assert default, "the Dockerfile's default base is not python:X.Y…"
    abi = f"cp{default[1]}{default[2]}"
    requirements = tmp_path / "runtime.txt"
    requirements.write_text(
        "\n".join(f"{n}=={v}" for n, v in pins("requirements/runtime.txt").items())
    )
    done = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
         "--python-version", f"{default[1]}.{default[2]}", "--implementation", "cp", "--abi", abi,
         "--platform", "manylinux_2_28_x86_64", "--platform", "manylinux_2_17_x86_64",
         "--platform", "manylinux2014_x86_64", "-d", str(tmp_path / "wheels"),
         "-r", str(requirements)],
        capture_output=True,
        text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert len(list((tmp_path / "wheels").glob("*.whl"))) == len(pins("requirements/runtime.txt"))
