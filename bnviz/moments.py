"""Numeric kernels: group means and variances, and the affine map that normalizes.

Conventions (PyTorch's, training mode): the variance is the *biased* one (divide by the group size
m', not m' - 1); statistics are returned in float64 whatever the input dtype.

Accuracy: a one-pass float32 E[x^2] - E[x]^2 is catastrophically wrong on data with a large mean
(see shared/notes), so the sums here are taken of values shifted by a sample of their own group and
accumulated in float64.
"""

from __future__ import annotations

import numpy as np


def moments(x: np.ndarray, reduced_axes: tuple) -> tuple[np.ndarray, np.ndarray]:
    """Mean and biased variance of ``x`` over ``reduced_axes``.

    Parameters
    ----------
    x : ndarray of a floating dtype, any shape
    reduced_axes : tuple of int
        The axes to reduce; the others keep their own statistics.

    Returns
    -------
    mean, var : ndarray of float64, shape of ``x`` with ``reduced_axes`` set to 1
        ``var`` is the uncorrected sample variance, mean((x - mean)^2).
    """
    # Two passes in float64: exact enough for any float32 input, and the reference the faster
    # kernels are tested against.
    x64 = x.astype(np.float64, copy=False)
    # NaN or inf in x makes its group's statistics non-finite; the caller reports that.
    with np.errstate(invalid="ignore", over="ignore"):
        mean = x64.mean(axis=reduced_axes, keepdims=True)
        deviation = x64 - mean
        var = np.square(deviation, out=deviation).mean(axis=reduced_axes, keepdims=True)
    return mean, var


def scale_shift(
    mean: np.ndarray,
    var: np.ndarray,
    eps: float,
    *,
    eps_on_std: bool = False,
    normalize_variance: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """The per-group ``scale`` and ``shift`` such that x_hat = x * scale + shift.

    x_hat = (x - mean) / sqrt(var + eps)  (PyTorch), or (x - mean) / (sqrt(var) + eps) when
    ``eps_on_std`` (Caffe MVN), or x - mean when not ``normalize_variance``.  A group whose
    denominator is 0 (a constant group with eps = 0) gets scale 0, so its x_hat is 0, not NaN.
    All float64, of the statistics' shape.
    """
    if not normalize_variance:
        scale = np.ones_like(var)
    else:
        denominator = np.sqrt(var) + eps if eps_on_std else np.sqrt(var + eps)
        with np.errstate(divide="ignore"):
            scale = np.where(denominator > 0, 1.0 / denominator, 0.0)
    return scale, -mean * scale
