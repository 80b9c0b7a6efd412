"""Reader for dlib's binary serialization of dlib_face_recognition_resnet_model_v1.dat.

Only the primitives and layer records this network uses are implemented; anything
else raises, so a different file fails loudly instead of loading wrong weights.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


class DlibFormatError(ValueError):
    """The file is not the dlib metric network this reader understands."""


@dataclass
class LayerRecord:
    kind: str
    params: np.ndarray | None = None
    ints: list[int] = field(default_factory=list)


@dataclass
class DlibNetwork:
    loss: str
    margin: float
    distance_threshold: float
    input_means: tuple[float, float, float]
    input_size: tuple[int, int]
    layers: list[LayerRecord]

    def count(self, kind: str) -> int:
        return sum(layer.kind == kind for layer in self.layers)

    @property
    def parameter_count(self) -> int:
        return sum(layer.params.size for layer in self.layers if layer.params is not None)


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def byte(self) -> int:
        if self.pos >= len(self.data):
            raise DlibFormatError("unexpected end of file")
        value = self.data[self.pos]
        self.pos += 1
        return value

    def integer(self) -> int:
        control = self.byte()
        size = control & 0x0F
        if not 1 <= size <= 8:
            raise DlibFormatError(f"bad integer control byte {control:#x} at {self.pos - 1}")
        value = int.from_bytes(self.data[self.pos : self.pos + size], "little")
        self.pos += size
        return -value if control & 0x80 else value

    def peek_integer(self) -> int:
        start = self.pos
        try:
            return self.integer()
        finally:
            self.pos = start

    def string(self) -> str:
        length = self.integer()
        raw = self.data[self.pos : self.pos + length]
        self.pos += length
        return raw.decode("ascii")

    def boolean(self) -> bool:
        char = chr(self.byte())
        if char not in "01":
            raise DlibFormatError(f"bad bool {char!r} at {self.pos - 1}")
        return char == "1"

    def scalar(self) -> float:
        mantissa = self.integer()
        exponent = self.integer()
        if exponent in (32000, 32001, 32002):
            return (float("inf"), float("-inf"), float("nan"))[exponent - 32000]
        return float(mantissa) * 2.0**exponent

    def tensor(self) -> np.ndarray:
        version = self.integer()
        if version != 2:
            raise DlibFormatError(f"unknown tensor version {version}")
        shape = tuple(self.integer() for _ in range(4))
        count = int(np.prod(shape))
        end = self.pos + 4 * count
        if end > len(self.data):
            raise DlibFormatError("unexpected end of file inside a tensor")
        values = np.frombuffer(self.data[self.pos : end], dtype="<f4").copy()
        self.pos = end
        return values.reshape(shape)

    def alias_tensor(self) -> tuple[int, ...]:
        if self.integer() != 1:
            raise DlibFormatError("unknown alias_tensor version")
        return tuple(self.integer() for _ in range(4))


def _layer(reader: _Reader) -> LayerRecord:
    kind = reader.string()
    if kind == "con_4":
        params = reader.tensor()
        ints = [reader.integer() for _ in range(7)]  # filters, nr, nc, strides, paddings
        filters, _biases = reader.alias_tensor(), reader.alias_tensor()
        for _ in range(4):  # learning-rate and weight-decay multipliers
            reader.scalar()
        return LayerRecord(kind, params.reshape(-1), ints + list(filters))
    if kind == "affine_":
        params = reader.tensor()
        reader.alias_tensor(), reader.alias_tensor()
        return LayerRecord(kind, params.reshape(-1), [reader.integer()])
    if kind in ("relu_", "add_prev_"):
        return LayerRecord(kind)
    if kind in ("max_pool_2", "avg_pool_2"):
        return LayerRecord(kind, ints=[reader.integer() for _ in range(6)])
    if kind == "fc_2":
        outputs, inputs = reader.integer(), reader.integer()
        params = reader.tensor()
        reader.alias_tensor(), reader.alias_tensor()
        bias_mode = reader.integer()
        for _ in range(4):  # learning-rate and weight-decay multipliers
            reader.scalar()
        return LayerRecord(kind, params.reshape(-1), [outputs, inputs, bias_mode])
    raise DlibFormatError(f"unsupported layer {kind!r}")


def read_dlib_network(path: Path) -> DlibNetwork:
    """Parse the whole file and check that every byte was consumed."""
    reader = _Reader(Path(path).read_bytes())
    if reader.integer() != 1:
        raise DlibFormatError("unknown loss layer version")
    loss = reader.string()
    if loss != "loss_metric_2":
        raise DlibFormatError(f"not a metric network: {loss!r}")
    margin, threshold = reader.scalar(), reader.scalar()
    versions: list[int] = []
    while reader.peek_integer() in (1, 2, 3):
        versions.append(reader.integer())
    if reader.string() != "input_rgb_image_sized":
        raise DlibFormatError("expected input_rgb_image_sized")
    means = (reader.scalar(), reader.scalar(), reader.scalar())
    size = (reader.integer(), reader.integer())
    layers = [_layer(reader)]
    # The bottom layer also stores x_grad, cached_output, grad_final and the
    # sample expansion factor; every other layer x_grad, cached_output, params_grad.
    for _ in range(3):
        reader.boolean()
    for _ in range(3):
        reader.tensor()
    reader.integer()
    while reader.pos < len(reader.data):
        layers.append(_layer(reader))
        for _ in range(3):
            reader.boolean()
        for _ in range(3):
            reader.tensor()
    return DlibNetwork(loss, margin, threshold, means, size, layers)
