"""Logging configured once for scripts, notebooks and the API.

Every line carries the id of the HTTP request it belongs to (`-` outside requests).
"""

from __future__ import annotations

import logging
import sys

FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"


def configure_logging(level: str | None = None) -> None:
    """Send log records to stderr at `level` (default: the settings' LOG_LEVEL).

    Idempotent: calling it again only changes the level.
    """
    from bihar.settings import get_settings
    from bihar.web.request_context import RequestIdFilter

    level = (level or get_settings().log_level).upper()
    root = logging.getLogger()
    if not any(getattr(h, "_bihar", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(FORMAT))
        handler.addFilter(RequestIdFilter())
        handler._bihar = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("httpx", "httpx2", "httpcore", "alembic", "matplotlib", "urllib3"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
