"""`bihar`: the one command line of the project.

The forecasting service's commands sit at the top level (`bihar acquire`, `bihar train`, …);
each other project is a group (`bihar vision …`, `bihar sentiment …`). Every group module
exposes `register(subparsers)`, which adds its commands with a `handler` and an `errors`
function (the exceptions it maps to an exit code), and imports its heavy libraries only inside
the handlers, so `bihar --help` and the API image stay light.

Exit codes of every command: 0 done · 2 the input, the configuration or the stored state does
not allow it (the message says which) · 3 a data source failed (network, API refusal, malformed
answer) · 1 anything unexpected (logged with its traceback).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence

from bihar.logs import configure_logging
from bihar.settings import ConfigurationError, get_settings

log = logging.getLogger("bihar.cli")

EXIT_BAD_INPUT = 2
EXIT_SOURCE_FAILED = 3
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

ErrorMap = list[tuple[tuple[type[BaseException], ...], int]]
"""(exception types, exit code) pairs, the first match wins."""


class UsageError(ValueError):
    """Input a command cannot act on; the message says why and what to do."""


def no_errors() -> ErrorMap:
    return []


def build_parser() -> argparse.ArgumentParser:
    from bihar.deck import cli as deck
    from bihar.forecast import cli as forecast
    from bihar.sentiment import cli as sentiment
    from bihar.vision import cli as vision

    parser = argparse.ArgumentParser(prog="bihar", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--log-level", type=str.upper, choices=LOG_LEVELS, help="default: LOG_LEVEL or INFO"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    forecast.register(sub)
    vision.register(sub)
    sentiment.register(sub)
    deck.register(sub)
    return parser


def _exit_code(exc: BaseException, errors: Callable[[], ErrorMap]) -> int | None:
    if isinstance(exc, UsageError):
        return EXIT_BAD_INPUT
    for types, code in errors():
        if isinstance(exc, types):
            return code
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; known failures become one logged line and their exit code. The
    configuration is checked before the command starts."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        get_settings()
    except ConfigurationError as exc:
        configure_logging(args.log_level or "INFO")
        log.error("%s", exc)
        return EXIT_BAD_INPUT
    configure_logging(args.log_level)
    errors: Callable[[], ErrorMap] = getattr(args, "errors", no_errors)
    try:
        return int(args.handler(args))
    except Exception as exc:
        code = _exit_code(exc, errors)
        if code is None:
            log.exception("%s failed", args.command)
            return 1
        log.error("%s", exc)
        return code


if __name__ == "__main__":
    sys.exit(main())
