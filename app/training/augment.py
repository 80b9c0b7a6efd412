"""Augmentation of aligned chips: what door cameras vary that identity does not."""
from __future__ import annotations

import torch
from torchvision.transforms import v2


def chip_augmentation(strength: float = 1.0) -> v2.Compose:
    """Flip, colour jitter, grayscale (lfw-dev is grayscale), small shifts/rotations."""
    return v2.Compose([
        v2.RandomHorizontalFlip(),
        v2.RandomApply([v2.ColorJitter(0.3 * strength, 0.3 * strength, 0.3 * strength, 0.03 * strength)], p=0.8),
        v2.RandomGrayscale(p=0.2),
        v2.RandomAffine(degrees=5 * strength, translate=(0.03 * strength, 0.03 * strength),
                        scale=(1 - 0.05 * strength, 1 + 0.05 * strength)),
    ])


class ChipDataset(torch.utils.data.Dataset):
    """(S, S, 3) uint8 chips -> (3, S, S) float 0..255 tensors with integer labels."""

    def __init__(self, chips, labels: list[int], augment: v2.Compose | None) -> None:  # noqa: ANN001
        self.chips = chips
        self.labels = labels
        self.augment = augment

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        chip = torch.from_numpy(self.chips[i]).permute(2, 0, 1)
        if self.augment is not None:
            chip = self.augment(chip)
        return chip.float(), self.labels[i]
