"""CPU settings for training PyTorch models on a few cores, applied once per process.

Two settings matter on a 2-core machine:

- **Threads.** `torch.set_num_threads(n)`: one thread per core, no oversubscription.
- **The allocator.** glibc's `malloc` serves large blocks (a batch of activations is megabytes)
  with `mmap` and gives them back to the kernel on `free`, so every training step maps fresh
  pages again and the kernel zeroes each of them on first touch. On a 128-px scratch CNN,
  system time was 9.8 s of an 11.9-s epoch of 640 tiles, and 0 s with the allocator tuned
  (`make bench-vision-training`, reports/vision_training.md). `tune_allocator` raises glibc's
  mmap and trim thresholds (`mallopt`) so freed blocks stay in the heap and are reused. It does
  what the `MALLOC_MMAP_THRESHOLD_` / `MALLOC_TRIM_THRESHOLD_` environment variables do, but
  from inside a running process (a notebook kernel). Memory the process has freed is then kept
  rather than returned to the system, which is the trade wanted for one training job.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
from dataclasses import dataclass

import torch

log = logging.getLogger(__name__)

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
ALLOCATOR_THRESHOLD = 1 << 30
"""1 GiB: blocks under this size come from the heap, and up to this much freed memory stays."""


@dataclass(frozen=True)
class CpuSettings:
    """What `configure_cpu` applied: torch's thread count, and whether glibc's malloc was tuned."""

    threads: int
    allocator_tuned: bool


def tune_allocator(threshold: int = ALLOCATOR_THRESHOLD) -> bool:
    """Raise glibc malloc's mmap and trim thresholds to `threshold` bytes.

    Returns False, and changes nothing, where the C library is not glibc (no `mallopt`).
    """
    if threshold <= 0:
        raise ValueError(f"threshold must be positive, got {threshold}")
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):
        log.info("no glibc mallopt in %s; allocator left as it is", name)
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    ok = bool(mallopt(_M_MMAP_THRESHOLD, threshold)) and bool(mallopt(_M_TRIM_THRESHOLD, threshold))
    log.info("glibc malloc mmap/trim thresholds %s %d bytes", "at" if ok else "NOT at", threshold)
    return ok


def configure_cpu(threads: int) -> CpuSettings:
    """Use `threads` torch threads and tune the allocator (see the module docstring)."""
    if threads < 1:
        raise ValueError(f"threads must be at least 1, got {threads}")
    torch.set_num_threads(threads)
    return CpuSettings(threads=torch.get_num_threads(), allocator_tuned=tune_allocator())
