"""The C runtime (`edge/`, `libbihar_edge.so`) called from Python through ctypes.

For the parity tests and the benchmark: the same weight file, the same tiles, numpy arrays in
and out. The library is built with `make -C edge`; `EdgeModel` owns one opened model and its
arena (a numpy buffer, so inference inside the library allocates nothing).
"""

from __future__ import annotations

import ctypes
from pathlib import Path
from typing import Literal

import numpy as np

from bihar.settings import ROOT

N_CLASSES = 4
Kernels = Literal["auto", "scalar", "avx2", "neon"]
_KERNELS = {"auto": 0, "scalar": 1, "avx2": 2, "neon": 3}

_u8p = ctypes.POINTER(ctypes.c_uint8)
_f32p = ctypes.POINTER(ctypes.c_float)
_i32p = ctypes.POINTER(ctypes.c_int)


class EdgeError(RuntimeError):
    """The C library refused a call; the message is its reason."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def default_library() -> Path:
    """`edge/build/libbihar_edge.so` of the checkout this package runs from."""
    return ROOT / "edge" / "build" / "libbihar_edge.so"


def load_library(path: Path | None = None) -> ctypes.CDLL:
    """The shared library with its functions' signatures declared."""
    path = path or default_library()
    if not path.is_file():
        raise FileNotFoundError(f"{path}: build it with `make -C edge`")
    lib = ctypes.CDLL(str(path))
    sig = {
        "be_status_string": (ctypes.c_char_p, [ctypes.c_int]),
        "be_model_open_memory": (
            ctypes.c_int,
            [ctypes.c_void_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_void_p), ctypes.c_char_p,
             ctypes.c_size_t],
        ),
        "be_model_close": (None, [ctypes.c_void_p]),
        "be_model_arena_size": (ctypes.c_size_t, [ctypes.c_void_p]),
        "be_model_set_kernels": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_int]),
        "be_model_kernels": (ctypes.c_int, [ctypes.c_void_p]),
        "be_model_tile": (ctypes.c_int, [ctypes.c_void_p]),
        "be_model_stride": (ctypes.c_int, [ctypes.c_void_p]),
        "be_model_version": (ctypes.c_int, [ctypes.c_void_p]),
        "be_model_member_count": (ctypes.c_int, [ctypes.c_void_p]),
        "be_photo_tile_count": (ctypes.c_size_t, [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]),
        "be_classify_tile": (
            ctypes.c_int,
            [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t, _u8p, ctypes.c_size_t, _f32p],
        ),
        "be_classify_photo": (
            ctypes.c_int,
            [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t, _u8p, ctypes.c_int, ctypes.c_int,
             ctypes.c_size_t, _f32p, _i32p, _i32p, ctypes.c_size_t],
        ),
        "be_member_input_size": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_int]),
        "be_member_value": (
            ctypes.c_int,
            [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, _f32p, ctypes.c_int,
             _f32p, ctypes.c_size_t],
        ),
        "be_member_input": (
            ctypes.c_int,
            [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, _u8p,
             ctypes.c_size_t, ctypes.c_int, _f32p, ctypes.c_size_t],
        ),
        "be_member_predict": (
            ctypes.c_int,
            [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, _u8p,
             ctypes.c_size_t, _f32p, _f32p],
        ),
    }  # fmt: skip
    for name, (restype, argtypes) in sig.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes
    return lib


def _ptr(array: np.ndarray, kind: type) -> ctypes._Pointer:
    return array.ctypes.data_as(kind)


class EdgeModel:
    """One weight file opened by the C library (from memory), with its arena."""

    def __init__(self, data: bytes, lib: ctypes.CDLL | None = None) -> None:
        self.lib = lib or load_library()
        # the library reads the bytes in place: keep them alive and 64-byte aligned
        self._data = np.zeros(len(data) + 64, np.uint8)
        start = (-self._data.ctypes.data) % 64
        self._bytes = self._data[start : start + len(data)]
        self._bytes[:] = np.frombuffer(data, np.uint8)
        handle = ctypes.c_void_p()
        why = ctypes.create_string_buffer(512)
        status = self.lib.be_model_open_memory(
            self._bytes.ctypes.data, len(data), ctypes.byref(handle), why, len(why)
        )
        if status != 0:
            raise EdgeError(status, why.value.decode())
        self.handle = handle
        self.arena_size = int(self.lib.be_model_arena_size(handle))
        self.arena = np.zeros(self.arena_size, np.uint8)
        self.tile = int(self.lib.be_model_tile(handle))
        self.stride = int(self.lib.be_model_stride(handle))

    @classmethod
    def open(cls, path: Path, lib: ctypes.CDLL | None = None) -> EdgeModel:
        return cls(Path(path).read_bytes(), lib)

    def close(self) -> None:
        if self.handle:
            self.lib.be_model_close(self.handle)
            self.handle = ctypes.c_void_p()

    def __enter__(self) -> EdgeModel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check(self, status: int) -> None:
        if status != 0:
            raise EdgeError(status, self.lib.be_status_string(status).decode())

    @property
    def kernels(self) -> str:
        code = int(self.lib.be_model_kernels(self.handle))
        return next(k for k, v in _KERNELS.items() if v == code)

    def set_kernels(self, kernels: Kernels) -> None:
        self._check(self.lib.be_model_set_kernels(self.handle, _KERNELS[kernels]))

    def classify_tiles(self, tiles: np.ndarray) -> np.ndarray:
        """N×4 probabilities of uint8 tiles N×T×T×3."""
        tiles = np.ascontiguousarray(tiles, dtype=np.uint8)
        out = np.zeros((len(tiles), N_CLASSES), np.float32)
        for i, tile in enumerate(tiles):
            self._check(
                self.lib.be_classify_tile(
                    self.handle, self.arena.ctypes.data, self.arena_size, _ptr(tile, _u8p),
                    self.tile * 3, _ptr(out[i], _f32p),
                )
            )  # fmt: skip
        return out

    def classify_photo(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(N×4 probabilities, N×2 top/left boxes) of every tile of an H×W×3 uint8 photo."""
        image = np.ascontiguousarray(image, dtype=np.uint8)
        height, width = image.shape[:2]
        n = int(self.lib.be_photo_tile_count(self.handle, width, height))
        probs = np.zeros((n, N_CLASSES), np.float32)
        tops, lefts = np.zeros(n, np.int32), np.zeros(n, np.int32)
        self._check(
            self.lib.be_classify_photo(
                self.handle, self.arena.ctypes.data, self.arena_size, _ptr(image, _u8p), width,
                height, width * 3, _ptr(probs, _f32p), _ptr(tops, _i32p), _ptr(lefts, _i32p), n,
            )
        )  # fmt: skip
        return probs, np.stack([tops, lefts], axis=1)

    def member_input(self, member: int, tile: np.ndarray, view: int) -> np.ndarray:
        """The member's normalised input (S×S×3) of view `view` of one tile."""
        size = int(self.lib.be_member_input_size(self.handle, member))
        out = np.zeros((size, size, 3), np.float32)
        tile = np.ascontiguousarray(tile, dtype=np.uint8)
        self._check(
            self.lib.be_member_input(
                self.handle, self.arena.ctypes.data, self.arena_size, member, _ptr(tile, _u8p),
                self.tile * 3, view, _ptr(out, _f32p), out.size,
            )
        )  # fmt: skip
        return out

    def member_value(
        self, member: int, x: np.ndarray, value: int, shape: tuple[int, int, int]
    ) -> np.ndarray:
        """Value `value` (H×W×C) of member `member` run on the normalised input `x` (S×S×3)."""
        x = np.ascontiguousarray(x, dtype=np.float32)
        out = np.zeros(shape, np.float32)
        self._check(
            self.lib.be_member_value(
                self.handle, self.arena.ctypes.data, self.arena_size, member, _ptr(x, _f32p),
                value, _ptr(out, _f32p), out.size,
            )
        )  # fmt: skip
        return out

    def member_predict(self, member: int, tile: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(4 probabilities, 2 cover fractions) of one member on one tile."""
        tile = np.ascontiguousarray(tile, dtype=np.uint8)
        probs, cover = np.zeros(N_CLASSES, np.float32), np.zeros(2, np.float32)
        self._check(
            self.lib.be_member_predict(
                self.handle, self.arena.ctypes.data, self.arena_size, member, _ptr(tile, _u8p),
                self.tile * 3, _ptr(probs, _f32p), _ptr(cover, _f32p),
            )
        )  # fmt: skip
        return probs, cover
