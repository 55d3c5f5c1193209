"""The API image has no training stack: what it runs must not import it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TRAINING_STACK = ("joblib", "sklearn", "lightgbm", "mlflow", "matplotlib", "statsmodels", "torch")


def test_api_and_cli_import_no_training_library():
    code = (
        "import sys, api.main, bihar.cli as cli\n"
        "parser = cli.build_parser()\n"
        f"print(','.join(m for m in {TRAINING_STACK!r} if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == ""
