"""Store the serving model's day-ahead forecasts for a date or a period.

    python model/predict.py --date YYYY-MM-DD [--location boston]
    python model/predict.py --start YYYY-MM-DD --end YYYY-MM-DD

See `bihar predict --help`; exit codes are documented in bihar.cli.
"""

import sys

from bihar.cli import main

if __name__ == "__main__":
    sys.exit(main(["predict", *sys.argv[1:]]))
