"""Write every `run:` block of GitHub workflows to its own bash file, for shellcheck.

Each `${{ expression }}` becomes the word `GHA_EXPR` (actionlint checks the expressions
themselves); each file starts the way GitHub runs `shell: bash` steps (`bash -eo pipefail`).

    python workflow_shell.py OUT_DIR WORKFLOW.yml...   # prints the files written
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

EXPRESSION = re.compile(r"\$\{\{.*?\}\}", re.DOTALL)
HEADER = "#!/usr/bin/env bash\nset -eo pipefail\n"


class WorkflowError(Exception):
    """A workflow file that is not a mapping of jobs with steps."""


def run_blocks(workflow: Path) -> list[tuple[str, str]]:
    """(`job.step-index`, script) for each bash `run:` step of `workflow`."""
    document = yaml.safe_load(workflow.read_text())
    if not isinstance(document, dict) or not isinstance(document.get("jobs"), dict):
        raise WorkflowError(f"{workflow}: no `jobs:` mapping")
    default_shell = (document.get("defaults") or {}).get("run", {}).get("shell", "bash")
    blocks = []
    for job_name, job in document["jobs"].items():
        job_shell = (job.get("defaults") or {}).get("run", {}).get("shell", default_shell)
        for index, step in enumerate(job.get("steps") or []):
            if "run" in step and step.get("shell", job_shell) == "bash":
                blocks.append((f"{job_name}.{index}", EXPRESSION.sub("GHA_EXPR", step["run"])))
    return blocks


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__)
        return 2
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    for name in argv[1:]:
        workflow = Path(name)
        for step, script in run_blocks(workflow):
            target = out / f"{workflow.stem}.{step}.sh"
            target.write_text(HEADER + script)
            print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
