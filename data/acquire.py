"""Download recent hourly weather for a given date and store it in the database.

    python data/acquire.py [--date 2025-10-30] [--days 30] [--location boston] [--backfill]

See `bihar acquire --help`; exit codes are documented in bihar.cli.
"""

import sys

from bihar.cli import main

if __name__ == "__main__":
    sys.exit(main(["acquire", *sys.argv[1:]]))
