"""What every face detector reports: a box, a probability and MTCNN's five landmarks."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Detection:
    box: np.ndarray  # x1, y1, x2, y2 in original image pixels
    probability: float
    landmarks: np.ndarray  # (5, 2): left eye, right eye, nose, mouth left, mouth right (image sides)

    @property
    def size(self) -> float:
        """The shorter side of the box in pixels: what 'too small' is judged on."""
        return float(min(self.box[2] - self.box[0], self.box[3] - self.box[1]))
