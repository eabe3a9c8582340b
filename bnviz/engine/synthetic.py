"""Synthetic activations whose channels need normalizing: each has its own offset and scale."""

from __future__ import annotations

import numpy as np

from .errors import InputError
from .layout import check_shape


def channel_offsets_and_scales(channels: int, offset: float, spread: float):
    """Per-channel offsets and scales of :func:`synthetic`.

    Offsets run evenly from ``-offset`` to ``+offset`` across the channels (0 for one channel);
    scales run geometrically from ``1 / sqrt(spread)`` to ``sqrt(spread)``, so the largest is
    ``spread`` times the smallest.

    Returns
    -------
    offsets, scales : ndarray of float64, shape (channels,)
    """
    if not (np.isfinite(offset) and np.isfinite(spread)) or spread < 1:
        raise InputError(f"offset must be finite and spread >= 1; got {offset}, {spread}.")
    position = np.linspace(-1.0, 1.0, channels) if channels > 1 else np.zeros(1)
    return offset * position, spread ** (0.5 * position)


def synthetic(shape, *, seed: int = 0, offset: float = 0.0, spread: float = 1.0) -> np.ndarray:
    """Random activations with a per-channel offset and scale.

    Parameters
    ----------
    shape : tuple of int
        (N, C), (N, C, L) or (N, C, H, W).
    seed : int
        Seeds NumPy's default generator: the same seed gives the same tensor.
    offset, spread : float
        See :func:`channel_offsets_and_scales`.

    Returns
    -------
    x : ndarray of float32, of ``shape``
        x[n, c, ...] = offsets[c] + scales[c] * z with z standard normal.
    """
    shape = check_shape(shape)
    offsets, scales = channel_offsets_and_scales(shape[1], float(offset), float(spread))
    per_channel = (1, shape[1]) + (1,) * (len(shape) - 2)
    noise = np.random.default_rng(seed).standard_normal(shape, dtype=np.float32)
    x = noise * scales.reshape(per_channel).astype(np.float32)
    x += offsets.reshape(per_channel).astype(np.float32)
    return x
