"""Bytes to an upright RGB image, refusing anything that is not a sane photo; and pixels back to PNG bytes."""
from __future__ import annotations

import io
import warnings

import numpy as np

from PIL import Image, ImageOps, UnidentifiedImageError

from app.face.errors import IMAGE_TOO_LARGE, NOT_AN_IMAGE, FaceRejected

ORIENTATION = 0x0112  # the EXIF tag saying how the camera was held


def decode_image(data: bytes, max_bytes: int, max_pixels: int) -> Image.Image:
    """Decode JPEG/PNG/... bytes, apply EXIF orientation, return RGB.

    The pixel count is checked from the header before any pixel is decoded, so a
    small file that claims 20000x20000 costs nothing (decompression bombs).
    """
    if not data:
        raise FaceRejected(NOT_AN_IMAGE, "the upload is empty")
    if len(data) > max_bytes:
        raise FaceRejected(IMAGE_TOO_LARGE, f"the file is over the limit of {max_bytes / 2**20:.1f} MB")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width * height > max_pixels:
                raise FaceRejected(
                    IMAGE_TOO_LARGE, f"the image is {width}x{height}; the limit is {max_pixels} pixels"
                )
            image.load()
    except FaceRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise FaceRejected(IMAGE_TOO_LARGE, "the image has too many pixels") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise FaceRejected(NOT_AN_IMAGE, "the file is not a readable image (JPEG, PNG, ...)") from exc
    if image.getexif().get(ORIENTATION, 1) != 1:  # exif_transpose copies even an upright photo
        image = ImageOps.exif_transpose(image)
    return image.convert("RGB") if image.mode != "RGB" else image


def png_bytes(pixels: np.ndarray) -> bytes:
    """(H, W, 3) uint8 pixels as PNG bytes (lossless: stored crops are re-embedded from them)."""
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="PNG")
    return out.getvalue()
