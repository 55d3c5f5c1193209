"""The forecasting service's commands of `bihar` (`bihar.cli`); the scripts under data/,
model/ and monitoring/ call them by name.

Exit codes (`bihar.cli`): 2 bad argument or configuration, date outside the source or after the
newest stored hour, unknown location, missing history, no model in production, a database that
cannot be opened or written, another refresh of the location running · 3 a data source failed
(network, API refusal, malformed answer). Arguments and configuration are checked before any
data is read.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from sqlalchemy import Engine

from bihar.cli import EXIT_BAD_INPUT, EXIT_SOURCE_FAILED, ErrorMap, UsageError
from bihar.forecast.locations import Location, get_location
from bihar.settings import Settings, get_settings

log = logging.getLogger("bihar.cli")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _add_acquire(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("acquire", help="download a period of hourly weather and store it")
    p.add_argument("--date", type=_date, required=True, help="last day of the period (UTC)")
    p.add_argument("--days", type=int, default=30, help="length of the period (default 30)")
    p.add_argument("--backfill", action="store_true", help="everything the source has")
    p.add_argument("--since", type=_date, help="with --backfill: first day to load")
    p.add_argument("--location", default=None, help="default: settings.default_location")
    p.add_argument("--source", choices=["auto", "offline", "live"], default=None)
    p.set_defaults(handler=_acquire, errors=errors)


def _acquire(args: argparse.Namespace) -> int:
    from bihar.forecast.acquisition import acquire, period
    from bihar.forecast.sources import open_source

    if not args.backfill and args.days < 1:
        raise UsageError("--days must be at least 1")
    if args.since and not args.backfill:
        raise UsageError("--since only goes with --backfill")
    if args.since and args.since > args.date:
        raise UsageError(f"--since {args.since} is after --date {args.date}")
    settings = get_settings()
    location = _location(args, settings)
    with _engine(settings) as engine:
        source = open_source(settings, location, args.source, progress=sys.stderr.isatty())
        start, end = period(source, args.date, args.days, args.backfill, args.since)
        result = acquire(engine, source, location, start, end)
    if result.hours == 0:
        log.error("%s returned no temperature for %s to %s", source.name, start, end)
        return EXIT_SOURCE_FAILED
    return 0


def _add_migrate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("migrate", help="bring the database to the newest schema (alembic upgrade)")
    p.set_defaults(handler=_migrate, errors=errors)


def _migrate(args: argparse.Namespace) -> int:
    with _engine(get_settings()):
        log.info("database at the newest schema")
    return 0


def _add_snapshot(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "snapshot", help="save a live archive answer as an offline snapshot (<dir>/weather/)"
    )
    p.add_argument("--location", default=None)
    p.add_argument("--start", type=_date, required=True)
    p.add_argument("--end", type=_date, required=True)
    p.add_argument("--data-dir", type=Path, help="default: BIHAR_DATA_DIR")
    p.set_defaults(handler=_snapshot, errors=errors)


def _snapshot(args: argparse.Namespace) -> int:
    from bihar.forecast.snapshots import save_snapshot

    settings = get_settings()
    folder = args.data_dir or settings.data_dir
    if folder is None:
        raise UsageError("give --data-dir (no BIHAR_DATA_DIR is configured)")
    if args.end < args.start:
        raise UsageError(f"--end {args.end} is before --start {args.start}")
    location = _location(args, settings)
    save_snapshot(settings, location, args.start, args.end, folder)
    return 0


def _add_train(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="backtest, train and register a new model version")
    p.add_argument("--location", default=None)
    p.add_argument("--end", type=_date, help="last day of training data (default: last stored)")
    p.add_argument("--config", type=Path, help="model configuration (default model/config.json)")
    promote = p.add_mutually_exclusive_group()
    promote.add_argument("--promote", dest="promote", action="store_true", default=None)
    promote.add_argument("--no-promote", dest="promote", action="store_false")
    p.add_argument("--backtest-days", type=int, default=365)
    p.add_argument("--refit-every-days", type=int, default=None)
    p.set_defaults(handler=_train, errors=errors)


def _train(args: argparse.Namespace) -> int:
    from bihar.forecast.training import load_config, train

    if args.backtest_days < 1:
        raise UsageError("--backtest-days must be at least 1")
    if args.refit_every_days is not None and args.refit_every_days < 1:
        raise UsageError("--refit-every-days must be at least 1")
    settings = get_settings()
    location = _location(args, settings)
    config = load_config(args.config or settings.model_config_path)
    with _engine(settings) as engine:
        train(
            engine,
            settings,
            location.name,
            config,
            end=args.end,
            promote_mode=args.promote,
            backtest_days=args.backtest_days,
            refit_every_days=args.refit_every_days,
        )
    return 0


def _add_predict(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("predict", help="store the serving model's forecasts of some days")
    p.add_argument("--date", type=_date, help="one day to forecast")
    p.add_argument("--start", type=_date, help="first day of a period")
    p.add_argument("--end", type=_date, help="last day of a period")
    p.add_argument("--location", default=None)
    p.set_defaults(handler=_predict, errors=errors)


def _predict(args: argparse.Namespace) -> int:
    from bihar.forecast.prediction import predict_days

    if args.date and (args.start or args.end):
        raise UsageError("give either --date or --start/--end, not both")
    if args.date:
        start = end = args.date
    elif args.start and args.end:
        start, end = args.start, args.end
    else:
        raise UsageError("give --date D, or --start D1 --end D2")
    if end < start:
        raise UsageError(f"--end {end} is before --start {start}")
    settings = get_settings()
    location = _location(args, settings)
    with _engine(settings) as engine:
        predict_days(engine, settings.registry_dir, location.name, start, end)
    return 0


def _add_refresh(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "refresh", help="acquire → train → predict the 30 days ending at --date and the next"
    )
    p.add_argument("--date", type=_date, required=True)
    p.add_argument("--days", type=int, default=30, help="days predicted up to --date")
    p.add_argument("--location", default=None)
    p.add_argument("--source", choices=["auto", "offline", "live"], default=None)
    promote = p.add_mutually_exclusive_group()
    promote.add_argument("--promote", dest="promote", action="store_true", default=None)
    promote.add_argument("--no-promote", dest="promote", action="store_false")
    p.set_defaults(handler=_refresh, errors=errors)


def _refresh(args: argparse.Namespace) -> int:
    from bihar.forecast.refresh import refresh
    from bihar.forecast.training import load_config

    if args.days < 1:
        raise UsageError("--days must be at least 1")
    settings = get_settings()
    location = _location(args, settings)
    load_config(settings.model_config_path)  # before the store is opened, let alone filled
    with _engine(settings) as engine:
        refresh(
            engine,
            settings,
            args.date,
            location.name,
            days=args.days,
            source=args.source,
            promote_mode=args.promote,
        )
    return 0


def _add_monitor(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("monitor", help="plot predicted vs observed values of a period")
    p.add_argument("--start", type=_date, required=True)
    p.add_argument("--end", type=_date, required=True)
    p.add_argument("--location", default=None)
    p.set_defaults(handler=_monitor, errors=errors)


def _monitor(args: argparse.Namespace) -> int:
    from bihar.forecast.monitoring import plot_monitoring

    if args.end < args.start:
        raise UsageError(f"--end {args.end} is before --start {args.start}")
    settings = get_settings()
    location = _location(args, settings)
    with _engine(settings, writer=False) as engine:
        plot_monitoring(
            engine,
            settings.monitoring_dir,
            location.name,
            args.start,
            args.end,
        )
    return 0


def _location(args: argparse.Namespace, settings: Settings) -> Location:
    """The known location a command names (else the default), checked before any work."""
    return get_location(args.location or settings.default_location)


@contextmanager
def _engine(settings: Settings, writer: bool = True) -> Iterator[Engine]:
    """An engine on the configured database, migrated to the newest schema."""
    from bihar.forecast.db.store import open_store

    with open_store(settings.database_url, writer=writer) as engine:
        yield engine


def errors() -> ErrorMap:
    """The forecasting errors a command maps to an exit code."""
    from bihar.forecast.db.store import StoreError
    from bihar.forecast.locations import UnknownLocationError
    from bihar.forecast.openmeteo import OpenMeteoError
    from bihar.forecast.refresh_lock import RefreshRunningError
    from bihar.forecast.registry import RegistryError
    from bihar.forecast.sources import OutOfRangeError, SourceUnavailableError

    return [
        (
            (
                OutOfRangeError,
                UnknownLocationError,
                RegistryError,
                StoreError,
                RefreshRunningError,
                ValueError,
            ),
            EXIT_BAD_INPUT,
        ),
        ((OpenMeteoError, SourceUnavailableError), EXIT_SOURCE_FAILED),
    ]


def register(sub: argparse._SubParsersAction) -> None:
    """Add the forecasting commands to `bihar`'s subcommands."""
    for add in COMMANDS:
        add(sub)


COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [
    _add_migrate,
    _add_snapshot,
    _add_acquire,
    _add_train,
    _add_predict,
    _add_refresh,
    _add_monitor,
]
