"""Convert scikit-learn's bundled 8×8 handwritten digits into assets/digits.npz (run once).

Usage: .venv/bin/python scripts/make_digits.py   (needs scikit-learn, which the app does not)

The file holds ``images`` (1797, 8, 8) uint8 with values 0–16, ``target`` (1797,) uint8 and
``train`` (1797,) bool, a fixed stratified split: in each class, a seeded permutation's first
80 % (rounded) train, the rest test (1,438 / 359 in all). The split is stored rather than
recomputed so it never depends on a NumPy version's random streams. ``tests/engine/test_nets.py``
checks the file against scikit-learn's copy where scikit-learn is installed.
"""

from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent.parent / "assets" / "digits.npz"
TRAIN_FRACTION = 0.8
SEED = 0


def split(target: np.ndarray, fraction: float = TRAIN_FRACTION, seed: int = SEED) -> np.ndarray:
    """A boolean mask of shape target.shape: True for training examples, stratified by class."""
    rng = np.random.default_rng(seed)
    train = np.zeros(target.shape, dtype=bool)
    for label in np.unique(target):
        members = rng.permutation(np.flatnonzero(target == label))
        train[members[: round(fraction * members.size)]] = True
    return train


def main() -> None:
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = digits.images
    assert np.array_equal(images, np.round(images)) and images.min() >= 0 and images.max() <= 16
    target = digits.target.astype(np.uint8)
    np.savez_compressed(
        OUT, images=images.astype(np.uint8), target=target, train=split(digits.target)
    )
    print(f"wrote {OUT} ({OUT.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
