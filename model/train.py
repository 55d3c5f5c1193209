"""Backtest, train and register a new version of the temperature model.

    python model/train.py [--location boston] [--end YYYY-MM-DD] [--promote | --no-promote]

See `bihar train --help`; exit codes are documented in bihar.cli.
"""

import sys

from bihar.cli import main

if __name__ == "__main__":
    sys.exit(main(["train", *sys.argv[1:]]))
