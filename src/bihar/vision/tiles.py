"""`python -m bihar.vision.tiles`: build (or reuse) the cached CWFID tile dataset.

Prints nothing; logs the source used, the cache file and the class counts per split.
"""

from __future__ import annotations

import argparse
import json
import logging

from bihar.settings import get_settings
from bihar.vision.cwfid import TileConfig, build_tile_dataset, locate_cwfid

log = logging.getLogger("bihar.vision.tiles")


def main(argv: list[str] | None = None) -> int:
    defaults = TileConfig()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tile", type=int, default=defaults.tile)
    parser.add_argument("--stride", type=int, default=defaults.stride)
    parser.add_argument("--out-size", type=int, default=defaults.out_size)
    parser.add_argument("--source", choices=["auto", "local", "online"], default="auto")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    settings = get_settings()
    root = locate_cwfid(settings.data_dir, settings.cache_dir, args.source)
    cfg = TileConfig(tile=args.tile, stride=args.stride, out_size=args.out_size)
    data = build_tile_dataset(root, cfg, settings.cache_dir, seed=settings.seed)
    log.info("class counts: %s", json.dumps(data.class_counts()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
