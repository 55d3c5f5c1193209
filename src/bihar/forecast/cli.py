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
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from bihar.cli import EXIT_BAD_INPUT, EXIT_SOURCE_FAILED, ErrorMap, UsageError
from bihar.forecast.locations import Location
from bihar.settings import Settings, get_settings

if TYPE_CHECKING:
    from bihar.forecast.sources import WeatherSource

log = logging.getLogger("bihar.cli")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _add_acquire(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("acquire", help="download a period of hourly weather and store it")
    p.add_argument(
        "--date", type=_date, help="last local day of the period (default: the source's last)"
    )
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
    if args.since and args.date and args.since > args.date:
        raise UsageError(f"--since {args.since} is after --date {args.date}")
    settings = get_settings()
    with _engine(settings) as engine:
        location = _location(engine, args, settings)
        source = open_source(settings, location, args.source, progress=sys.stderr.isatty())
        day = args.date or _last_day(source, location)
        start, end = period(source, day, args.days, args.backfill, args.since)
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
    with _engine(settings, writer=False) as engine:
        location = _location(engine, args, settings)
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
    config = load_config(args.config or settings.model_config_path)
    with _engine(settings) as engine:
        location = _location(engine, args, settings)
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
    with _engine(settings) as engine:
        location = _location(engine, args, settings)
        predict_days(engine, settings.registry_dir, location.name, start, end)
    return 0


def _add_refresh(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "refresh", help="acquire → train → predict the 30 days ending at --date and the next"
    )
    p.add_argument(
        "--date", type=_date, help="the refresh's local day (default: the source's last full one)"
    )
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
    load_config(settings.model_config_path)  # before the store is opened, let alone filled
    with _engine(settings) as engine:
        location = _location(engine, args, settings)
        day = args.date
        if day is None:
            from bihar.forecast.sources import open_source

            day = _last_day(open_source(settings, location, args.source), location)
        refresh(
            engine,
            settings,
            day,
            location.name,
            days=args.days,
            source=args.source,
            promote_mode=args.promote,
        )
    return 0


def _add_monitor(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("monitor", help="plot predicted vs observed values of a period")
    p.add_argument("--start", type=_date, help="default: 29 days before --end")
    p.add_argument("--end", type=_date, help="default: the last predicted day")
    p.add_argument("--location", default=None)
    p.set_defaults(handler=_monitor, errors=errors)


def _monitor(args: argparse.Namespace) -> int:
    from bihar.forecast.monitoring import plot_monitoring
    from bihar.forecast.queries import predicted_days

    if args.start and args.end and args.end < args.start:
        raise UsageError(f"--end {args.end} is before --start {args.start}")
    settings = get_settings()
    with _engine(settings, writer=False) as engine:
        location = _location(engine, args, settings)
        end = args.end
        if end is None:
            with engine.connect() as conn:
                span = predicted_days(conn, location.name)
            if span is None:
                raise UsageError(f"no predictions stored for {location.name}; run a refresh first")
            end = span[1]
        start = args.start or end - timedelta(days=29)
        if end < start:
            raise UsageError(f"--end {end} is before --start {start}")
        plot_monitoring(engine, settings.monitoring_dir, location.name, start, end)
    return 0


def _last_day(source: WeatherSource, location: Location) -> date:
    """The last local day of `location` the source holds whole (the commands' default date)."""
    from bihar.forecast.sources import last_local_day

    day = last_local_day(source.coverage(), location.timezone)
    log.info("date: %s, the last full local day %s holds for %s", day, source.name, location.name)
    return day


def _location(engine: Engine, args: argparse.Namespace, settings: Settings) -> Location:
    """The stored location a command names (else the default), checked before any work."""
    from bihar.forecast.locations import find_location

    with engine.connect() as conn:
        return find_location(conn, args.location or settings.default_location)


def _add_locations(sub: argparse._SubParsersAction) -> None:
    group = sub.add_parser("locations", help="the places the service knows: add, list, remove")
    commands = group.add_subparsers(dest="locations_command", required=True)
    add = commands.add_parser(
        "add",
        help="add a place: found by name with Open-Meteo's geocoding API, or given by coordinates",
    )
    add.add_argument("name", help="the name commands and the API will use (e.g. turin)")
    add.add_argument("--pick", type=int, help="take the N-th geocoding candidate (from 1)")
    add.add_argument("--country", help="keep candidates of this country (code or name)")
    add.add_argument("--search", help="the name to geocode, when it differs from NAME")
    add.add_argument("--latitude", type=float, help="with --longitude: no geocoding (offline)")
    add.add_argument("--longitude", type=float)
    add.add_argument(
        "--timezone", help="IANA time zone (default offline: Etc/GMT±N from the longitude)"
    )
    add.add_argument("--elevation", type=float, help="metres (default: learnt at acquisition)")
    add.set_defaults(handler=_locations_add, errors=errors)
    listing = commands.add_parser("list", help="the stored places")
    listing.set_defaults(handler=_locations_list, errors=errors)
    remove = commands.add_parser("remove", help="delete a place (refused while it has data)")
    remove.add_argument("name")
    remove.add_argument(
        "--purge", action="store_true", help="delete its observations, predictions and models too"
    )
    remove.set_defaults(handler=_locations_remove, errors=errors)


def _locations_add(args: argparse.Namespace) -> int:
    from bihar.forecast.locations import (
        add_location,
        check_coordinates,
        check_timezone,
        normalise_name,
    )

    name = normalise_name(args.name)
    if (args.latitude is None) != (args.longitude is None):
        raise UsageError("give both --latitude and --longitude, or neither")
    if args.pick is not None and args.pick < 1:
        raise UsageError("--pick counts from 1")
    settings = get_settings()
    if args.latitude is not None:
        if args.pick is not None or args.country or args.search:
            raise UsageError("--pick, --country and --search go with geocoding, not coordinates")
        check_coordinates(args.latitude, args.longitude)
        timezone = args.timezone or _standard_zone(args.longitude)
        check_timezone(timezone)
        if args.timezone is None:
            log.warning(
                "no --timezone: %s keeps %s (UTC%+d all year); give --timezone for its local clock",
                name,
                timezone,
                -int(timezone.removeprefix("Etc/GMT") or 0),
            )
        location = Location(
            name, args.latitude, args.longitude, timezone, args.elevation, source="manual"
        )
    else:
        if args.timezone:
            check_timezone(args.timezone)
        location = _geocoded(settings, name, args)
    with _engine(settings) as engine, engine.begin() as conn:
        stored = add_location(conn, location)
    log.info(
        "added %s: %.4f, %.4f, %s (%s)",
        stored.name,
        stored.latitude,
        stored.longitude,
        stored.timezone,
        stored.source,
    )
    return 0


def _standard_zone(longitude: float) -> str:
    """The fixed-offset zone nearest to a longitude's solar time (Etc/GMT-1 is UTC+1)."""
    hours = round(longitude / 15)
    return "Etc/GMT" if hours == 0 else f"Etc/GMT{-hours:+d}"


def _geocoded(settings: Settings, name: str, args: argparse.Namespace) -> Location:
    """The candidate of Open-Meteo's geocoding API that the arguments choose."""
    from bihar.forecast.openmeteo import OpenMeteoClient

    query = args.search or args.name.strip()
    with OpenMeteoClient(settings.geocoding_base_url) as client:
        places = client.search(query)
    if args.country:
        wanted = args.country.strip().lower()
        places = [p for p in places if wanted in (p.country_code.lower(), p.country.lower())]
    if not places:
        where = f" in {args.country}" if args.country else ""
        raise UsageError(
            f"the geocoding API knows no place called {query!r}{where}; check the spelling, or "
            "give --latitude, --longitude and --timezone"
        )
    listing = "\n".join(f"  {i}. {p.describe()}" for i, p in enumerate(places, 1))
    sys.stdout.write(f"candidates for {query!r}:\n{listing}\n")
    if args.pick is not None:
        if args.pick > len(places):
            raise UsageError(f"--pick {args.pick}: there are {len(places)} candidates")
        place = places[args.pick - 1]
    elif len(places) == 1 or args.country:
        place = places[0]
    else:
        raise UsageError(
            f"{len(places)} places are called {query!r}; choose one with --pick N or --country"
        )
    return Location(
        name,
        place.latitude,
        place.longitude,
        args.timezone or place.timezone,
        args.elevation if args.elevation is not None else place.elevation,
        source="geocoded",
    )


def _locations_list(args: argparse.Namespace) -> int:
    from bihar.forecast.locations import stored_locations

    with _engine(get_settings(), writer=False) as engine, engine.connect() as conn:
        places = stored_locations(conn)
    sys.stdout.write(f"{'name':<20} {'latitude':>9} {'longitude':>10} {'elevation':>9}  timezone\n")
    for p in places:
        elevation = "" if p.elevation is None else f"{p.elevation:.0f} m"
        sys.stdout.write(
            f"{p.name:<20} {p.latitude:>9.4f} {p.longitude:>10.4f} {elevation:>9}  "
            f"{p.timezone} ({p.source})\n"
        )
    return 0


def _locations_remove(args: argparse.Namespace) -> int:
    from bihar.forecast.locations import remove_location

    with _engine(get_settings()) as engine, engine.begin() as conn:
        counts = remove_location(conn, args.name, purge=args.purge)
    deleted = ", ".join(f"{n} {table}" for table, n in counts.items() if n) or "no data"
    log.info("removed %s (%s)", args.name.strip().lower(), deleted)
    return 0


@contextmanager
def _engine(settings: Settings, writer: bool = True) -> Iterator[Engine]:
    """An engine on the configured database, migrated to the newest schema."""
    from bihar.forecast.db.store import open_store

    with open_store(settings.database_url, writer=writer) as engine:
        yield engine


def errors() -> ErrorMap:
    """The forecasting errors a command maps to an exit code."""
    from bihar.forecast.db.store import StoreError
    from bihar.forecast.locations import LocationError, UnknownLocationError
    from bihar.forecast.openmeteo import OpenMeteoError
    from bihar.forecast.refresh_lock import RefreshRunningError
    from bihar.forecast.registry import RegistryError
    from bihar.forecast.sources import OutOfRangeError, SourceUnavailableError

    return [
        (
            (
                OutOfRangeError,
                UnknownLocationError,
                LocationError,
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
    _add_locations,
    _add_snapshot,
    _add_acquire,
    _add_train,
    _add_predict,
    _add_refresh,
    _add_monitor,
]
