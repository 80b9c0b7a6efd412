"""dlib's metric-learning face ResNet (dlib_face_recognition_resnet_model_v1) as a torch module.

The layer order and residual topology follow dlib's `anet_type` definition; the file
stores parameters only, so the wiring lives here. dlib's frozen batch norm ("affine_")
is a learnable per-channel scale and shift, which keeps fine-tuning free of batch
statistics (small PK batches would make running means noisy).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

INPUT_SIZE = 150
EMBEDDING_DIM = 128
CHANNEL_MEANS = (122.782, 117.001, 104.298)  # R, G, B, from the model file's input layer
INPUT_SCALE = 256.0

# Levels bottom-up: (channels, plain residual blocks, starts with a down block).
LEVELS: tuple[tuple[int, int, bool], ...] = (
    (32, 3, False),
    (64, 3, True),
    (128, 2, True),
    (256, 2, True),
    (256, 0, True),
)


class Affine(nn.Module):
    """Per-channel y = gamma * x + beta (dlib's affine_ layer, a frozen batch norm)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(channels))
        self.beta = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gamma.view(1, -1, 1, 1) + self.beta.view(1, -1, 1, 1)


def add_zero_padded(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """dlib's add_prev: the smaller operand is zero-padded at the end of each dim."""
    shape = [max(sa, sb) for sa, sb in zip(a.shape, b.shape)]

    def grow(t: torch.Tensor) -> torch.Tensor:
        pad: list[int] = []
        for dim in (3, 2, 1):
            pad += [0, shape[dim] - t.shape[dim]]
        return F.pad(t, pad) if any(pad) else t

    return grow(a) + grow(b)


class Block(nn.Module):
    """conv3x3-affine-relu-conv3x3-affine plus shortcut, then relu (dlib's ares / ares_down)."""

    def __init__(self, in_channels: int, channels: int, down: bool) -> None:
        super().__init__()
        stride = 2 if down else 1
        padding = 0 if down else 1
        self.down = down
        self.conv1 = nn.Conv2d(in_channels, channels, 3, stride=stride, padding=padding)
        self.affine1 = Affine(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)
        self.affine2 = Affine(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.affine2(self.conv2(F.relu(self.affine1(self.conv1(x)))))
        shortcut = F.avg_pool2d(x, 2, 2) if self.down else x
        return F.relu(add_zero_padded(shortcut, y))


class DlibResNet(nn.Module):
    """150x150 RGB chip (0..255) -> 128-d descriptor (not normalised; callers normalise)."""

    def __init__(self) -> None:
        super().__init__()
        self.stem_conv = nn.Conv2d(3, 32, 7, stride=2)
        self.stem_affine = Affine(32)
        blocks: list[nn.Module] = []
        channels = 32
        for width, plain, down in LEVELS:
            if down:
                blocks.append(Block(channels, width, down=True))
                channels = width
            blocks.extend(Block(channels, width, down=False) for _ in range(plain))
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(256, EMBEDDING_DIM, bias=False)
        self.register_buffer("mean", torch.tensor(CHANNEL_MEANS).view(1, 3, 1, 1), persistent=False)

    def forward(self, chips: torch.Tensor) -> torch.Tensor:
        return self.fc(self.trunk(chips, len(self.blocks)).mean(dim=(2, 3)))

    def trunk(self, chips: torch.Tensor, blocks: int) -> torch.Tensor:
        """The convolutional features after the stem and the first `blocks` residual blocks
        (10: level 3's 128 channels on an 8x8 grid; 13: level 4's 256 on 4x4)."""
        x = (chips - self.mean) / INPUT_SCALE
        x = F.max_pool2d(F.relu(self.stem_affine(self.stem_conv(x))), 3, 2)
        for block in list(self.blocks)[:blocks]:
            x = block(x)
        return x

    def ordered_layers(self) -> list[nn.Module]:
        """Conv, Affine and Linear layers in dlib's bottom-up file order."""
        layers: list[nn.Module] = [self.stem_conv, self.stem_affine]
        for block in self.blocks:
            layers += [block.conv1, block.affine1, block.conv2, block.affine2]
        return layers + [self.fc]
