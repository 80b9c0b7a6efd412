"""Gradient x feature attribution of the probe-template cosine, written as a plain forward graph.

Which cells of the aligned chips made the probe and its prototype agree? For each cell of
level 3 of dlib's ResNet (8x8 cells of ~19 px, the last grid fine enough for face parts) its
pull on the embeddings' cosine: sum over channels of f * d(cosine)/d f, for the probe and the
template, each through both of its flip-averaged views (the mirrored view's map is mirrored
back). That is, to first order, how much the cosine would fall were the cell's features taken
away (positive: the cell holds the faces together; negative: it pushes them apart). The pulls
sum to about zero, not to the cosine: scaling all features together leaves a cosine unchanged.
benchmarks/explanation_masking.py checks that masking the top cells moves the distance more
than masking random ones (the cosine of features per cell, as in ProtoPNet, does not).

The gradient through the network's last two levels is written out by hand (transposed
convolutions, ReLU masks, pooling spread back) so that the whole computation exports to ONNX
and serving needs no autograd and no PyTorch; tests check it against autograd.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from app.face.dlib_resnet import Block, DlibResNet

EXPLAIN_BLOCKS = 10  # features after blocks[:10]: level 3, 128 channels on 8x8 cells


def _block_backward(block: Block, x: torch.Tensor, grad_out: torch.Tensor) -> torch.Tensor:
    """d(output)/d(x) transposed, applied to grad_out, for one residual block at input x."""
    a = block.conv1(x)
    b = block.affine1(a)
    y = block.affine2(block.conv2(F.relu(b)))
    shortcut = F.avg_pool2d(x, 2, 2) if block.down else x
    channels, height, width = (max(shortcut.shape[d], y.shape[d]) for d in (1, 2, 3))
    grown_y = F.pad(y, [0, width - y.shape[3], 0, height - y.shape[2], 0, channels - y.shape[1]])
    grown_s = F.pad(shortcut, [0, width - shortcut.shape[3], 0, height - shortcut.shape[2],
                               0, channels - shortcut.shape[1]])
    g = grad_out * ((grown_s + grown_y) > 0).to(grad_out.dtype)
    g_y = g[:, :y.shape[1], :y.shape[2], :y.shape[3]]  # zero padding's gradient is a crop
    g_s = g[:, :shortcut.shape[1], :shortcut.shape[2], :shortcut.shape[3]]
    g_r = F.conv_transpose2d(g_y * block.affine2.gamma.view(1, -1, 1, 1), block.conv2.weight, padding=1)
    g_a = g_r * (b > 0).to(g_r.dtype) * block.affine1.gamma.view(1, -1, 1, 1)
    stride, padding = block.conv1.stride[0], block.conv1.padding[0]
    kernel = block.conv1.kernel_size[0]
    extra = [x.shape[d] - ((a.shape[d] - 1) * stride - 2 * padding + kernel) for d in (2, 3)]
    g_x = F.conv_transpose2d(g_a, block.conv1.weight, stride=stride, padding=padding, output_padding=extra)
    if block.down:
        g_s = F.interpolate(g_s, scale_factor=2.0, mode="nearest") / 4.0
        g_s = F.pad(g_s, [0, x.shape[3] - g_s.shape[3], 0, x.shape[2] - g_s.shape[2]])
    return g_x + g_s


class CellAttribution(nn.Module):
    """Chips (4, 3, S, S), 0..255, in the order probe, template, mirrored probe, mirrored template ->
    cells (4, H, W): each view's f * d(cosine)/d f summed over channels, not yet mirrored back;
    features (4, C, H, W): the level-3 features; cosine (1,): the cosine of the flip-averaged
    embeddings (the one the decision's distance comes from: distance = sqrt(2 - 2 cosine))."""

    def __init__(self, network: DlibResNet, blocks: int = EXPLAIN_BLOCKS) -> None:
        super().__init__()
        self.network, self.blocks = network, blocks

    def forward(self, chips: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        features = self.network.trunk(chips, self.blocks)
        inputs, x = [], features
        for block in list(self.network.blocks)[self.blocks:]:
            inputs.append(x)
            x = block(x)
        raw = self.network.fc(x.mean(dim=(2, 3)))
        probe, template = raw[0] + raw[2], raw[1] + raw[3]
        probe_norm, template_norm = probe.norm(), template.norm()
        e_probe, e_template = probe / probe_norm, template / template_norm
        cosine = (e_probe * e_template).sum()
        g_probe = (e_template - cosine * e_probe) / probe_norm
        g_template = (e_probe - cosine * e_template) / template_norm
        grad = torch.stack([g_probe, g_template, g_probe, g_template]) @ self.network.fc.weight
        grad = (grad / (x.shape[2] * x.shape[3]))[:, :, None, None].expand_as(x)
        for block, block_input in zip(reversed(list(self.network.blocks)[self.blocks:]), reversed(inputs)):
            grad = _block_backward(block, block_input, grad)
        return (features * grad).sum(dim=1), features, cosine.reshape(1)
