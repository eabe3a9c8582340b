"""The 8×8 handwritten digits the Experiment page trains on, from ``assets/digits.npz``.

A copy of scikit-learn's bundled ``load_digits`` (itself the test set of the UCI "Optical
Recognition of Handwritten Digits" data, Alpaydin & Kaynak 1998; see assets/README.md for source
and licence), converted once by ``scripts/make_digits.py`` so the app needs neither scikit-learn
nor a download.  The train/test split is fixed and stored in the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .errors import InputError

ASSET = Path(__file__).resolve().parents[2] / "assets" / "digits.npz"
#: Pixel values are counts of "on" pixels in 4 × 4 blocks: 0 … 16.
MAX_VALUE = 16


@dataclass(frozen=True)
class Digits:
    """The data set, split.

    Attributes
    ----------
    images : ndarray of uint8, shape (1797, 8, 8)
        Values 0–16.
    target : ndarray of uint8, shape (1797,)
        The digit each image shows.
    train : ndarray of bool, shape (1797,)
        True for the 1,438 training images, False for the 359 test images.
    """

    images: np.ndarray
    target: np.ndarray
    train: np.ndarray

    def inputs(self, part: str) -> tuple[np.ndarray, np.ndarray]:
        """``(x, y)`` of ``part`` ("train" or "test"): x float64 of shape (n, 1, 8, 8) scaled to
        0–1 (divided by 16), y int64 of shape (n,)."""
        if part not in ("train", "test"):
            raise InputError(f"part must be 'train' or 'test', not {part!r}.")
        mask = self.train if part == "train" else ~self.train
        x = self.images[mask].astype(np.float64)[:, None] / MAX_VALUE
        return x, self.target[mask].astype(np.int64)


@lru_cache(maxsize=1)
def load_digits(path: str | Path = ASSET) -> Digits:
    """The digits from ``path`` (default: the shipped asset), read once per process."""
    try:
        with np.load(path) as data:
            digits = Digits(data["images"], data["target"], data["train"].astype(bool))
    except (OSError, KeyError, ValueError) as error:
        raise InputError(f"Could not read the digits from {path}: {error}") from error
    for array in (digits.images, digits.target, digits.train):
        array.flags.writeable = False
    return digits
