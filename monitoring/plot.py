"""Plot predicted vs observed 3-hour temperatures of a period into monitoring/output/.

    python monitoring/plot.py --start YYYY-MM-DD --end YYYY-MM-DD [--location boston]

See `bihar monitor --help`; exit codes are documented in bihar.cli.
"""

import sys

from bihar.cli import main

if __name__ == "__main__":
    sys.exit(main(["monitor", *sys.argv[1:]]))
