from __future__ import annotations

import platform
import subprocess
import sys

import pytest
import torch

from bihar.cpu import configure_cpu, tune_allocator

GLIBC = platform.libc_ver()[0] == "glibc"

# mallocs, fills and frees a 32 MiB block 20 times and prints the minor page faults of the loop;
# with "tune", `tune_allocator` runs first.
_FAULTS = """
import ctypes, resource, sys
from bihar.cpu import tune_allocator
if sys.argv[1] == "tune":
    assert tune_allocator()
libc = ctypes.CDLL(None)
libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    block = libc.malloc(32 << 20)
    ctypes.memset(block, 1, 32 << 20)
    libc.free(block)
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _faults(mode: str) -> int:
    out = subprocess.run(
        [sys.executable, "-c", _FAULTS, mode], capture_output=True, text=True, check=True
    )
    return int(out.stdout.strip())


@pytest.mark.skipif(not GLIBC, reason="mallopt is glibc's")
def test_tuned_allocator_reuses_freed_blocks_instead_of_faulting_new_pages() -> None:
    default, tuned = _faults("default"), _faults("tune")
    pages = 20 * (32 << 20) // 4096
    assert default > pages // 2  # each 32 MiB block is mapped afresh: a fault per page
    assert tuned < default // 10  # the first block is reused by the next 19


@pytest.mark.skipif(not GLIBC, reason="mallopt is glibc's")
def test_configure_cpu_sets_threads_and_reports_the_allocator() -> None:
    before = torch.get_num_threads()
    try:
        settings = configure_cpu(1)
        assert settings.threads == torch.get_num_threads() == 1
        assert settings.allocator_tuned
    finally:
        torch.set_num_threads(before)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="threads"):
        configure_cpu(0)
    with pytest.raises(ValueError, match="threshold"):
        tune_allocator(0)
