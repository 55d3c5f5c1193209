"""The field-image model as the C runtime's weight file (`edge/FORMAT.md`, extension `.bhe`).

`edge_graph` turns each member network of a `FieldModel` into a flat list of layers over
activation tensors ("values", one tile, height × width × channels): convolutions (batch norm
folded in, explicit per-side padding, including EfficientNet's asymmetric TF-style "same"
padding read from the modules themselves), additions, max pooling, global mean, dense layers.
Weights are stored in the layouts the C kernels read: the matrices of dense convolutions (HWIO,
kh·kw·in × out) and dense layers (in × out) in panels of 16 columns, depthwise kernels as
H×W×C, each tensor 64-byte aligned.

`run_graph` executes that list with PyTorch's functional operations, value by value: it checks
the export against the modules, and gives the C runtime a reference for every layer.
`write_edge_file` writes the file, with a CRC-32 and the SHA-256 of the registry version.
"""

from __future__ import annotations

import logging
import os
import struct
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional

from bihar.file_registry import StoredVersion
from bihar.vision.cnn import ResidualCNN, SimpleCNN, _ResidualBlock
from bihar.vision.field_model import EfficientNetTiles, FieldModel
from bihar.vision.model_config import ScratchMember
from bihar.vision.native import CellSupervisedTop

log = logging.getLogger(__name__)

MAGIC = b"BIHAREDG"
FORMAT_VERSION = 1
HEADER_BYTES = 256
MEMBER_BYTES = 128
VALUE_BYTES = 16
LAYER_BYTES = 96
ALIGN = 64
NONE = 0xFFFFFFFF
MAX_MEMBERS = 8

OP_CONV, OP_ADD, OP_MAXPOOL, OP_MEAN, OP_DENSE = 1, 2, 3, 4, 5
ACT_NONE, ACT_RELU, ACT_RELU6 = 0, 1, 2
VIEW_ON_TILE, VIEW_ON_INPUT = 0, 1


class EdgeExportError(ValueError):
    """A network the C runtime's format cannot express."""


@dataclass(frozen=True)
class Value:
    height: int
    width: int
    channels: int


@dataclass
class Layer:
    op: int
    out: int
    a: int
    b: int = NONE
    act: int = ACT_NONE
    kernel: tuple[int, int] = (1, 1)
    stride: tuple[int, int] = (1, 1)
    pad: tuple[int, int, int, int] = (0, 0, 0, 0)  # top, bottom, left, right
    groups: int = 1
    weights: np.ndarray | None = None
    bias: np.ndarray | None = None
    name: str = ""


@dataclass
class MemberGraph:
    name: str
    first_layer: int
    n_layers: int
    input: int
    logits: int
    cells: int
    stored_px: int
    input_px: int
    view_stage: int
    views: list[int]
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    weight: float


@dataclass
class EdgeGraph:
    """Every member's layers over one list of values, and the ensemble around them."""

    tile: int
    stride: int
    values: list[Value] = field(default_factory=list)
    layers: list[Layer] = field(default_factory=list)
    members: list[MemberGraph] = field(default_factory=list)
    vote_member: int = -1
    vote_threshold: float = 0.0
    vote_weight: float = 0.0

    def value(self, shape: Value) -> int:
        self.values.append(shape)
        return len(self.values) - 1

    # --- layer builders: each appends one layer and returns its output value -------------
    def conv(self, x: int, conv: nn.Conv2d, bn: nn.Module | None, act: int, name: str) -> int:
        src = self.values[x]
        weight = conv.weight.detach().double()
        bias = conv.bias.detach().double() if conv.bias is not None else None
        out_c, in_per_group, kh, kw = weight.shape
        if conv.dilation != (1, 1):
            raise EdgeExportError(f"{name}: dilated convolutions are not supported")
        if in_per_group * conv.groups != src.channels:
            raise EdgeExportError(f"{name}: {src.channels} input channels, conv wants "
                                  f"{in_per_group * conv.groups}")  # fmt: skip
        if conv.groups not in (1, src.channels) or (conv.groups > 1 and out_c != src.channels):
            raise EdgeExportError(f"{name}: only dense or depthwise convolutions are supported")
        weight, bias = _fold(weight, bias, bn, out_c)
        pad = _padding(conv)
        sh, sw = conv.stride if len(conv.stride) == 2 else (conv.stride[0],) * 2
        oh = (src.height + pad[0] + pad[1] - kh) // sh + 1
        ow = (src.width + pad[2] + pad[3] - kw) // sw + 1
        # O I kh kw -> kh kw I O (dense), C 1 kh kw -> kh kw C (depthwise)
        w = weight.permute(2, 3, 1, 0) if conv.groups == 1 else weight[:, 0].permute(1, 2, 0)
        out = self.value(Value(oh, ow, out_c))
        self.layers.append(
            Layer(
                OP_CONV, out, x, act=act, kernel=(kh, kw), stride=(sh, sw), pad=pad,
                groups=conv.groups, weights=_f32(w), bias=_f32(bias), name=name,
            )
        )  # fmt: skip
        return out

    def add(self, a: int, b: int, act: int, name: str) -> int:
        if self.values[a] != self.values[b]:
            raise EdgeExportError(f"{name}: adding {self.values[a]} and {self.values[b]}")
        out = self.value(self.values[a])
        self.layers.append(Layer(OP_ADD, out, a, b, act=act, name=name))
        return out

    def maxpool(self, x: int, pool: nn.MaxPool2d, name: str) -> int:
        k = _pair(pool.kernel_size)
        s = _pair(pool.stride if pool.stride is not None else pool.kernel_size)
        p = _pair(pool.padding)
        if pool.ceil_mode or _pair(pool.dilation) != (1, 1):
            raise EdgeExportError(f"{name}: ceil mode and dilation are not supported")
        src = self.values[x]
        oh = (src.height + 2 * p[0] - k[0]) // s[0] + 1
        ow = (src.width + 2 * p[1] - k[1]) // s[1] + 1
        out = self.value(Value(oh, ow, src.channels))
        pad = (p[0], p[0], p[1], p[1])
        self.layers.append(Layer(OP_MAXPOOL, out, x, kernel=k, stride=s, pad=pad, name=name))
        return out

    def mean(self, x: int, name: str) -> int:
        out = self.value(Value(1, 1, self.values[x].channels))
        self.layers.append(Layer(OP_MEAN, out, x, name=name))
        return out

    def dense(self, x: int, linear: nn.Linear, name: str) -> int:
        src = self.values[x]
        if (src.height, src.width, src.channels) != (1, 1, linear.in_features):
            raise EdgeExportError(f"{name}: dense layer on a {src} value")
        out = self.value(Value(1, 1, linear.out_features))
        bias = linear.bias.detach() if linear.bias is not None else torch.zeros(linear.out_features)
        w = linear.weight.detach().t()
        self.layers.append(Layer(OP_DENSE, out, x, weights=_f32(w), bias=_f32(bias), name=name))
        return out


def _pair(v: int | tuple[int, ...]) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


def _f32(t: torch.Tensor) -> np.ndarray:
    return np.ascontiguousarray(t.detach().cpu().numpy().astype(np.float32))


def _fold(
    weight: torch.Tensor, bias: torch.Tensor | None, bn: nn.Module | None, out_c: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Batch norm (eval: running statistics) folded into the convolution, in float64."""
    bias = bias if bias is not None else torch.zeros(out_c, dtype=torch.float64)
    if bn is None or isinstance(bn, nn.Identity):
        return weight, bias
    if not isinstance(bn, nn.BatchNorm2d):
        raise EdgeExportError(f"cannot fold {type(bn).__name__} into a convolution")
    assert bn.running_mean is not None and bn.running_var is not None
    scale = bn.weight.detach().double() / torch.sqrt(bn.running_var.double() + bn.eps)
    shift = bn.bias.detach().double() - bn.running_mean.double() * scale
    return weight * scale.view(-1, 1, 1, 1), bias * scale + shift


def _padding(conv: nn.Conv2d) -> tuple[int, int, int, int]:
    """(top, bottom, left, right): the module's own padding plus a static "same" padding."""
    if isinstance(conv.padding, str):
        raise EdgeExportError(f"string padding {conv.padding!r} is not supported")
    ph, pw = conv.padding
    top, bottom, left, right = ph, ph, pw, pw
    static = getattr(conv, "static_padding", None)
    if isinstance(static, nn.ZeroPad2d):
        sl, sr, st, sb = static.padding
        top, bottom, left, right = top + st, bottom + sb, left + sl, right + sr
    elif static is not None and not _is_identity(static):
        raise EdgeExportError(f"unknown padding module {type(static).__name__}")
    return top, bottom, left, right


def _is_identity(module: nn.Module) -> bool:
    """nn.Identity, or a parameter-free module that returns its input (the EfficientNet
    package has its own `Identity`)."""
    if isinstance(module, nn.Identity):
        return True
    probe = torch.randn(1, 2, 3, 3)
    return not list(module.parameters()) and torch.equal(module(probe), probe)


# --- members ------------------------------------------------------------------------------


def _act_of(module: nn.Module) -> int:
    if isinstance(module, nn.ReLU6):
        return ACT_RELU6
    if isinstance(module, nn.ReLU):
        return ACT_RELU
    if isinstance(module, nn.Identity):
        return ACT_NONE
    raise EdgeExportError(f"activation {type(module).__name__} is not supported")


def _scratch(g: EdgeGraph, x: int, net: nn.Module) -> int:
    """SimpleCNN / ResidualCNN features and head; returns the logits value."""
    if not isinstance(net, SimpleCNN | ResidualCNN):
        raise EdgeExportError(f"unknown scratch network {type(net).__name__}")
    layers = list(net.features)
    i = 0
    while i < len(layers):
        m = layers[i]
        name = f"features.{i}"
        if isinstance(m, nn.Conv2d):
            bn, act = layers[i + 1], layers[i + 2]
            x = g.conv(x, m, bn, _act_of(act), name)
            i += 3
        elif isinstance(m, nn.MaxPool2d):
            x = g.maxpool(x, m, name)
            i += 1
        elif isinstance(m, _ResidualBlock):
            x = _residual_block(g, x, m, name)
            i += 1
        else:
            raise EdgeExportError(f"{name}: unsupported layer {type(m).__name__}")
    head = list(net.head)
    if not (isinstance(head[0], nn.AdaptiveAvgPool2d) and isinstance(head[-1], nn.Linear)):
        raise EdgeExportError("the head must be pooling … linear")
    return g.dense(g.mean(x, "head.pool"), head[-1], "head.linear")


def _residual_block(g: EdgeGraph, x: int, block: _ResidualBlock, name: str) -> int:
    conv1, bn1, act1, conv2, bn2 = list(block.body)
    y = g.conv(x, conv1, bn1, _act_of(act1), f"{name}.body.0")
    y = g.conv(y, conv2, bn2, ACT_NONE, f"{name}.body.3")
    if isinstance(block.shortcut, nn.Identity):
        s = x
    else:
        conv, bn = list(block.shortcut)
        s = g.conv(x, conv, bn, ACT_NONE, f"{name}.shortcut")
    return g.add(y, s, _act_of(block.act), f"{name}.add")


def _mbconv(g: EdgeGraph, x: int, block: nn.Module, name: str) -> int:
    """An EfficientNet-Lite MBConv block (no squeeze-excitation), as its forward computes it."""
    args = block._block_args
    if getattr(block, "has_se", False):
        raise EdgeExportError(f"{name}: squeeze-excitation is not supported")
    act = _act_of(block._swish)
    y = x
    if args.expand_ratio != 1:
        y = g.conv(y, block._expand_conv, block._bn0, act, f"{name}.expand")
    y = g.conv(y, block._depthwise_conv, block._bn1, act, f"{name}.depthwise")
    y = g.conv(y, block._project_conv, block._bn2, ACT_NONE, f"{name}.project")
    # the block's own skip rule (stride may be an int or a one-element list)
    if block.id_skip and args.stride == 1 and args.input_filters == args.output_filters:
        y = g.add(y, x, ACT_NONE, f"{name}.skip")
    return y


def _efficientnet(g: EdgeGraph, x: int, net: EfficientNetTiles) -> tuple[int, int]:
    """(logits, cell logits or NONE) of the trunk and top."""
    trunk, top = net.trunk, net.top
    x = g.conv(x, trunk.conv_stem, trunk.bn0, _act_of(trunk.act), "trunk.stem")
    for i, block in enumerate(trunk.blocks):
        x = _mbconv(g, x, block, f"trunk.blocks.{i}")
    for i, block in enumerate(top.blocks):
        x = _mbconv(g, x, block, f"top.blocks.{top.split + i}")
    fmap = g.conv(x, top.conv_head, top.bn_head, _act_of(top.act), "top.head_conv")
    logits = g.dense(g.mean(fmap, "top.pool"), top.head, "top.head")
    cells = NONE
    if isinstance(top, CellSupervisedTop):
        cells = g.conv(fmap, top.cell_head, None, ACT_NONE, "top.cell_head")
    return logits, cells


def edge_graph(model: FieldModel) -> EdgeGraph:
    """The graph of every member of `model`, and its ensemble and vote."""
    config = model.config
    if len(config.members) > MAX_MEMBERS:
        raise EdgeExportError(f"at most {MAX_MEMBERS} members")
    g = EdgeGraph(config.tiles.tile, config.tiles.stride)
    for member_config in config.members:
        member = model.members[member_config.name]
        first = len(g.layers)
        size = member_config.input_px
        x = g.value(Value(size, size, 3))
        network = member.network.eval()
        if isinstance(member_config, ScratchMember):
            logits, cells = _scratch(g, x, network), NONE
            stored, stage = member_config.stored_px, VIEW_ON_INPUT
        else:
            if not isinstance(network, EfficientNetTiles):
                raise EdgeExportError(f"{member_config.name}: not an EfficientNetTiles network")
            logits, cells = _efficientnet(g, x, network)
            stored, stage = 0, VIEW_ON_TILE
        g.members.append(
            MemberGraph(
                member_config.name, first, len(g.layers) - first, x, logits, cells,
                stored if stored != config.tiles.tile else 0, size, stage,
                list(member_config.views), member.normalizer.mean, member.normalizer.std,
                member_config.weight,
            )
        )  # fmt: skip
    if config.cover_vote is not None:
        names = [m.name for m in g.members]
        g.vote_member = names.index(config.cover_vote.member)
        g.vote_threshold = config.cover_vote.threshold
        g.vote_weight = config.cover_vote.weight
    return g


# --- the reference interpreter -----------------------------------------------------------


@torch.no_grad()
def run_graph(g: EdgeGraph, member: int, x: torch.Tensor) -> dict[int, torch.Tensor]:
    """Every value of `member`'s layers for normalised inputs N×3×S×S (N×C×H×W tensors)."""
    m = g.members[member]
    values: dict[int, torch.Tensor] = {m.input: x}
    for layer in g.layers[m.first_layer : m.first_layer + m.n_layers]:
        a = values[layer.a]
        if layer.op == OP_CONV:
            assert layer.weights is not None and layer.bias is not None
            w = torch.from_numpy(layer.weights)
            w = w.permute(3, 2, 0, 1) if layer.groups == 1 else w.permute(2, 0, 1).unsqueeze(1)
            top, bottom, left, right = layer.pad
            y = functional.conv2d(
                functional.pad(a, (left, right, top, bottom)), w, torch.from_numpy(layer.bias),
                layer.stride, 0, 1, layer.groups,
            )  # fmt: skip
        elif layer.op == OP_ADD:
            y = a + values[layer.b]
        elif layer.op == OP_MAXPOOL:
            top, _, left, _ = layer.pad
            y = functional.max_pool2d(a, layer.kernel, layer.stride, (top, left))
        elif layer.op == OP_MEAN:
            y = a.mean(dim=(2, 3), keepdim=True)
        elif layer.op == OP_DENSE:
            assert layer.weights is not None and layer.bias is not None
            flat = a.flatten(1) @ torch.from_numpy(layer.weights) + torch.from_numpy(layer.bias)
            y = flat.view(len(a), -1, 1, 1)
        else:
            raise EdgeExportError(f"unknown op {layer.op}")
        if layer.act == ACT_RELU:
            y = y.clamp_min(0)
        elif layer.act == ACT_RELU6:
            y = y.clamp(0, 6)
        values[layer.out] = y
    return values


# --- the file ----------------------------------------------------------------------------


PANEL = 16
"""Matrix weights (dense convolutions, dense layers) are stored in panels of 16 columns."""


def pack_panels(matrix: np.ndarray) -> np.ndarray:
    """K×N → the panels of 16 columns one after the other, each K×width (FORMAT.md)."""
    n = matrix.shape[1]
    parts = [matrix[:, j : j + PANEL].reshape(-1) for j in range(0, n, PANEL)]
    return np.ascontiguousarray(np.concatenate(parts) if parts else matrix.reshape(-1))


def stored_weights(layer: Layer) -> np.ndarray:
    """A layer's weights as the file stores them: matrices packed in panels."""
    assert layer.weights is not None
    if layer.op == OP_DENSE or (layer.op == OP_CONV and layer.groups == 1):
        n = layer.weights.shape[-1]
        return pack_panels(layer.weights.reshape(-1, n))
    return layer.weights


def _pad_to(buffer: bytearray, align: int) -> None:
    buffer.extend(b"\0" * (-len(buffer) % align))


def edge_bytes(g: EdgeGraph, stored: StoredVersion) -> bytes:
    """The file's bytes (see edge/FORMAT.md)."""
    data = bytearray()
    offsets: list[tuple[int, int, int, int]] = []
    for layer in g.layers:
        entry = []
        weights = stored_weights(layer) if layer.weights is not None else None
        for tensor in (weights, layer.bias):
            if tensor is None:
                entry += [0, 0]
                continue
            _pad_to(data, ALIGN)
            entry += [len(data), tensor.size]
            data.extend(tensor.astype("<f4").tobytes())
        offsets.append((entry[0], entry[1], entry[2], entry[3]))
    _pad_to(data, ALIGN)

    tables = bytearray()
    for m in g.members:
        views = bytes(m.views) + b"\0" * (8 - len(m.views))
        tables += struct.pack(
            "<9I8s3f3f4xd32s16x",
            m.first_layer, m.n_layers, m.input, m.logits, m.cells, m.stored_px, m.input_px,
            m.view_stage, len(m.views), views, *m.mean, *m.std, m.weight,
            m.name.encode("ascii")[:31],
        )  # fmt: skip
    for v in g.values:
        tables += struct.pack("<4I", v.height, v.width, v.channels, 0)
    for layer, (w_off, w_n, b_off, b_n) in zip(g.layers, offsets, strict=True):
        tables += struct.pack(
            "<14I4Q8x",
            layer.op, layer.act, layer.a, layer.b, layer.out, *layer.kernel, *layer.stride,
            *layer.pad, layer.groups, w_off, w_n, b_off, b_n,
        )  # fmt: skip
    _pad_to(tables, ALIGN)
    data_offset = HEADER_BYTES + len(tables)
    total = data_offset + len(data)
    header = struct.pack(
        "<8sIIQIIIIQQIIII32s32si4xdd96x",
        MAGIC, FORMAT_VERSION, HEADER_BYTES, total, 0, len(g.members), len(g.values),
        len(g.layers), data_offset, len(data), g.tile, g.stride, 4, stored.version,
        bytes.fromhex(stored.sha256), stored.name.encode("ascii")[:31],
        g.vote_member, g.vote_threshold, g.vote_weight,
    )  # fmt: skip
    assert len(header) == HEADER_BYTES, len(header)
    blob = bytearray(header + tables + data)
    struct.pack_into("<I", blob, 24, zlib.crc32(blob) & 0xFFFFFFFF)
    return bytes(blob)


def export_edge(model: FieldModel, stored: StoredVersion, out: Path) -> Path:
    """Write the weight file of `model` (registry version `stored`) to `out`, atomically."""
    blob = edge_bytes(edge_graph(model), stored)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".part", dir=out.parent)
    try:
        os.fchmod(fd, 0o644)
        with os.fdopen(fd, "wb") as handle:
            handle.write(blob)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    log.info("wrote %s (%d bytes) from %s v%d", out, len(blob), stored.name, stored.version)
    return out
