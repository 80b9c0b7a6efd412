"""The encoder architectures behind one interface: name -> torch module and input spec."""
from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from app.face.dlib_resnet import INPUT_SIZE as DLIB_INPUT_SIZE
from app.face.dlib_resnet import DlibResNet


class PretrainedWeightsUnavailable(RuntimeError):
    """Weights that must be downloaded could not be (no network here): fail, never hang."""


@dataclass(frozen=True)
class Architecture:
    name: str
    input_size: int
    embedding_dim: int


ARCHITECTURES = {
    "dlib_resnet": Architecture("dlib_resnet", DLIB_INPUT_SIZE, 128),
    "inception_resnet_v1": Architecture("inception_resnet_v1", 160, 512),
}


class _ScaledInput(nn.Module):
    """facenet-pytorch's InceptionResnetV1 wants (pixel - 127.5) / 128; chips arrive as 0..255."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, chips):  # noqa: ANN001, ANN201 - plain tensor pass-through
        return self.net((chips - 127.5) / 128.0)


def build_network(architecture: str, pretrained: str | None = None) -> nn.Module:
    """A fresh module of the named architecture taking 0..255 RGB chips (N, 3, S, S)."""
    if architecture == "dlib_resnet":
        if pretrained:
            raise ValueError("dlib_resnet weights come from `facegate models import-dlib`")
        return DlibResNet()
    if architecture == "inception_resnet_v1":
        from facenet_pytorch import InceptionResnetV1

        if pretrained:
            try:
                net = _download_inception(pretrained)
            except Exception as exc:  # noqa: BLE001 - any failure to fetch means the same thing
                raise PretrainedWeightsUnavailable(
                    f"InceptionResnetV1 '{pretrained}' weights could not be downloaded ({exc}); "
                    "train from scratch or start from dlib_resnet") from exc
        else:
            net = InceptionResnetV1(pretrained=None, classify=False)
        return _ScaledInput(net)
    raise ValueError(f"unknown architecture {architecture!r}; known: {sorted(ARCHITECTURES)}")


def _download_inception(pretrained: str) -> nn.Module:
    """facenet-pytorch fetches weights with no timeout; bound it so an offline host fails fast."""
    import socket

    from facenet_pytorch import InceptionResnetV1

    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(10)
    try:
        return InceptionResnetV1(pretrained=pretrained, classify=False)
    finally:
        socket.setdefaulttimeout(previous)
