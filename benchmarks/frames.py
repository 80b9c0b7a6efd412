"""Door-camera frames made from data-set photos (no PyTorch: the serving-only install runs these benchmarks too)."""
from __future__ import annotations

import io
from pathlib import Path

from PIL import Image


def letterbox_jpeg(path: Path, size: tuple[int, int], face_scale: float = 1.0) -> bytes:
    """A data-set photo as a door camera frame: fitted into `size` (aspect kept; `face_scale` of
    that, for a more distant face), grey around."""
    photo = Image.open(path).convert("RGB")
    scale = min(size[0] / photo.width, size[1] / photo.height) * face_scale
    photo = photo.resize((round(photo.width * scale), round(photo.height * scale)), Image.BILINEAR)
    canvas = Image.new("RGB", size, (128, 128, 128))
    canvas.paste(photo, ((size[0] - photo.width) // 2, (size[1] - photo.height) // 2))
    buffer = io.BytesIO()
    canvas.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()
