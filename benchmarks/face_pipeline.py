"""Cost of each face-pipeline stage on real photos, on this machine's CPU.

    .venv/bin/python -m benchmarks.face_pipeline [--runs 50] [--threads 2]

Door-like inputs: CelebA photos (colour, faces not centred) resized to 640x480 and
1280x720 JPEGs. Prints median and p95 per stage, the detection yield of each MTCNN
setting, and ratios against facenet-pytorch's MTCNN at its defaults on the full photo.
Run it on an idle machine: two busy cores make every figure several times worse.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from app.core.settings import Settings
from app.face.align import align_face
from app.face.decode import decode_image
from app.face.detect import FaceDetector
from app.face.encoder import Encoder
from app.face.quality import QualityPolicy, select_door_face
from app.training.data import data_root
from benchmarks.frames import letterbox_jpeg

DATA = data_root() / "celeba-dev"


def timed(fn, runs: int) -> list[float]:  # noqa: ANN001
    fn()  # warm-up
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def summary(name: str, ms: list[float]) -> float:
    median = statistics.median(ms)
    p95 = float(np.percentile(ms, 95))
    print(f"  {name:<46} median {median:8.1f} ms   p95 {p95:8.1f} ms")
    return median


def door_photos(size: tuple[int, int], count: int) -> list[bytes]:
    return [letterbox_jpeg(path, size) for path in sorted(DATA.glob("*/*.jpg"))[::37][:count]]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--photos", type=int, default=40)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as graphs:
        run(args, Path(graphs))


def run(args: argparse.Namespace, graphs: Path) -> None:
    settings = Settings()
    encoder = Encoder.load(settings.model_card)
    onnx = Encoder.load_onnx(settings.model_card, args.threads)
    channels_last = Encoder.load(settings.model_card)
    channels_last.network.to(memory_format=torch.channels_last)  # the other CPU option, for comparison
    policy = QualityPolicy()
    ours = FaceDetector(settings.min_face_size, settings.mtcnn_scale_factor, settings.detect_max_side)
    ours_onnx = FaceDetector(settings.min_face_size, settings.mtcnn_scale_factor, settings.detect_max_side)
    ours_onnx.use_onnx(graphs, args.threads)
    default = FaceDetector(min_face_size=20, scale_factor=0.709, max_side=100_000)
    ours_label = f"ours (min {settings.min_face_size}px, max side {settings.detect_max_side})"
    print(f"threads={args.threads} runs={args.runs} model={encoder.model_id} flip_average={encoder.flip_average}")
    for size in ((640, 480), (1280, 720)):
        photos = door_photos(size, args.photos)
        images = [decode_image(p, settings.max_upload_bytes, settings.max_image_pixels) for p in photos]
        print(f"\n{size[0]}x{size[1]} JPEG, {len(photos)} CelebA photos")
        n = len(photos)
        cycle = iter(range(10**9))
        summary("decode (Pillow, EXIF, RGB)", timed(lambda: decode_image(
            photos[next(cycle) % n], settings.max_upload_bytes, settings.max_image_pixels), args.runs))
        medians = {}
        for label, detector in (("MTCNN facenet-pytorch defaults", default), (f"MTCNN {ours_label}", ours),
                                ("MTCNN ours, stages on ONNX Runtime", ours_onnx)):
            cycle = iter(range(10**9))
            medians[label] = summary(label, timed(lambda d=detector: d.detect(images[next(cycle) % n]),
                                                  args.runs))
            usable = 0
            for image in images:
                try:
                    select_door_face(detector.detect(image), policy)
                    usable += 1
                except Exception:  # noqa: BLE001 - counting refusals
                    pass
            print(f"  {'':<46} exactly one usable face: {usable}/{n}")
        cycle = iter(range(10**9))
        batched = [t / 4 for t in timed(lambda: ours_onnx.detect_many(
            [images[(next(cycle) * 4 + i) % n] for i in range(4)]), max(10, args.runs // 4))]
        medians["batched"] = summary("MTCNN ours on ONNX, per photo in a batch of 4", batched)
        base, torch_ours, onnx_ours, onnx_batched = medians.values()
        print(f"  MTCNN speed-up vs defaults: ours {base / torch_ours:.1f}x, on ONNX {base / onnx_ours:.1f}x, "
              f"on ONNX batched {base / onnx_batched:.1f}x")
        image = next(im for im in images if ours.detect(im))
        face = max(ours.detect(image), key=lambda d: d.size)
        align = encoder.alignment
        summary("align (similarity warp to 150x150)", timed(
            lambda: align_face(image, face.landmarks, align.template, align.size), args.runs))
        chip = align_face(image, face.landmarks, align.template, align.size)[None]
        batch = np.repeat(chip, 16, axis=0)
        for name, model in (("PyTorch", encoder), ("PyTorch channels-last", channels_last), ("ONNX Runtime", onnx)):
            summary(f"{name}: encode 1 face (flip-averaged)", timed(lambda m=model: m.embed(chip), args.runs))
            per_chip = [t / 16 for t in timed(lambda m=model: m.embed(batch), max(10, args.runs // 5))]
            summary(f"{name}: encode, per face in a batch of 16", per_chip)
            summary(f"{name}: align + encode 1 face", timed(lambda m=model: m.embed(
                align_face(image, face.landmarks, align.template, align.size)[None]), args.runs))


if __name__ == "__main__":
    main()
