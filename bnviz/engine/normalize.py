"""Normalize a tensor with any statistic-sharing scheme, as PyTorch does in training mode."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .errors import InputError
from .layout import Layout, partition
from .moments import affine, all_finite, moments, scale_shift
from .schemes import Scheme


@dataclass(frozen=True)
class Normalized:
    """The result of :func:`normalize`.

    Attributes
    ----------
    y : ndarray, same shape and dtype as x
        weight * x_hat + bias.
    mean, var : ndarray of float64
        Each group's mean and biased variance, broadcastable to x: an axis has x's size where it
        keeps its own statistics and 1 where it is reduced (for ``group``, C entries, repeated
        within each group).
    layout : Layout
        How the scheme partitioned x (groups, group size, parameter shape), in the engine's
        channels-first order.
    eps : float
    """

    y: np.ndarray
    mean: np.ndarray
    var: np.ndarray
    layout: Layout
    eps: float

    @property
    def std(self) -> np.ndarray:
        """sqrt(var + eps): the denominator PyTorch divides by (float64, like ``var``)."""
        return np.sqrt(self.var + self.eps)


def as_float_array(x, name: str = "x") -> np.ndarray:
    """``x`` as a floating ndarray: float dtypes kept, integers and booleans as float64.

    ``name`` is what error messages call the argument.
    """
    try:
        array = np.asarray(x)
    except (TypeError, ValueError) as error:
        raise InputError(f"{name} must be a numeric array: {error}") from None
    if array.dtype.kind == "f":
        return array
    if array.dtype.kind in "biu":
        return array.astype(np.float64)
    raise InputError(f"{name} must hold real numbers; got dtype {array.dtype}.")


def check_eps(eps) -> float:
    """ε as a float; InputError unless it is a finite number ≥ 0 (every entry point checks it
    here)."""
    try:
        value = float(eps)
    except (TypeError, ValueError):
        raise InputError(f"eps must be a number, not {eps!r}.") from None
    if not (math.isfinite(value) and value >= 0):
        raise InputError(f"eps must be a finite number >= 0; got {value}.")
    return value


def resolve_eps(lay: Layout, eps, dtype) -> float:
    """ε as given, or the scheme's default for x's ``dtype``; checked (:func:`check_eps`)."""
    return check_eps(lay.scheme.default_eps(dtype) if eps is None else eps)


X_NOT_FINITE = "x contains NaN or infinite values (or values too large to square)."


def check_statistics(mean, var) -> None:
    """A NaN or infinity anywhere in x shows up in its group's statistics: checking them is
    cheap."""
    if not all_finite(mean, var):
        raise InputError(X_NOT_FINITE)


def view_param(array: np.ndarray, lay: Layout) -> np.ndarray:
    """A parameter broadcastable to (N, C, H, W) as one broadcastable to the (N, G, Cg, H, W)
    view (the channel axis split into G × Cg where it has C entries)."""
    n, c, h, w = array.shape
    groups, per_group = lay.view_shape[1:3]
    split = (groups, per_group) if c == groups * per_group else (1, 1)
    return array.reshape(n, *split, h, w)


def _param_array(name: str, value, lay: Layout, dtype) -> np.ndarray:
    """gamma or beta, checked against the scheme's parameter shape, shaped to broadcast on NCHW."""
    expected = lay.param_shape
    if expected is None or (name == "bias" and not lay.scheme.formula_for(lay.params).shift):
        raise InputError(f"Scheme {lay.scheme.id!r} has no learned {name}.")
    array = np.asarray(value, dtype=np.float64)
    # Accept the module's own shape, or the same values flattened (BatchNorm1d's (C*H*W,)).
    if array.shape != expected and array.size != math.prod(expected):
        raise InputError(
            f"{name} must have shape {expected} for {lay.scheme.id!r} on a tensor of shape "
            f"{lay.shape}; got {array.shape}."
        )
    if not np.isfinite(array).all():
        raise InputError(f"{name} must be finite.")
    return array.reshape(lay.param_broadcast_shape)


def normalize(
    x,
    scheme: str | Scheme,
    *,
    layout: str | None = None,
    eps: float | None = None,
    weight=None,
    bias=None,
    **params,
) -> Normalized:
    """Normalize ``x`` with ``scheme``, using the batch's own statistics (training mode).

    Parameters
    ----------
    x : array_like of shape (N, C), (N, C, L) or (N, C, H, W), or as ``layout`` orders the axes
        Float dtypes are kept; integers are promoted to float64.
    scheme : str
        A scheme id, see ``bnviz.SCHEMES``.
    layout : str, optional
        The axis order of ``x``: "NCHW" (default for rank 4), "NHWC", "NCL" (rank 3), "NLD" (a
        token tensor: batch, sequence, features; ``layer`` and ``rms`` then normalize each token
        over D, as transformers do), "NC" (rank 2); see :mod:`bnviz.engine.axes`.
    eps : float, optional
        ε as the scheme's formula uses it (added to σ² inside the square root for PyTorch's
        layers); default: the scheme's (1e-5 like PyTorch; for ``rms`` the machine epsilon of x's
        dtype, as PyTorch's RMSNorm).
    weight, bias : array_like, optional
        gamma and beta, of the scheme's parameter shape (``describe(...).param_shape``); default
        1 and 0.
    **params
        The scheme's hyper-parameters, e.g. ``num_groups=2`` for ``"group"``.

    Returns
    -------
    Normalized
        ``y`` (shape and dtype of x) = weight * x_hat + bias with x_hat as the scheme's formula
        says (``Scheme.formula``; PyTorch's layers: (x - mean) / sqrt(var + eps)), ``mean`` and
        ``var`` (biased, float64) computed over each group of cells that share statistics.  A
        group of one value has var = 0, so its centred x_hat is 0 and y = bias.
    """
    x_given = as_float_array(x)
    lay = partition(x_given.shape, scheme, axis_order=layout, **params)
    x = lay.order.to_engine_array(x_given)
    eps = resolve_eps(lay, eps, x.dtype)

    view = np.ascontiguousarray(x).reshape(lay.view_shape)
    mean, var = moments(view, lay.reduced_axes)
    check_statistics(mean, var)

    scale, shift = scale_shift(mean, var, eps, lay.scheme.formula_for(lay.params))
    # gamma and beta broadcast on (N, C, H, W); on the view, C splits into (G, Cg) when it is C.
    affine_params = [
        None if value is None else view_param(_param_array(name, value, lay, x.dtype), lay)
        for name, value in (("weight", weight), ("bias", bias))
    ]
    # Tiled, in x's precision, centred where a group's mean is large: see moments.affine.
    y = affine(view, lay.reduced_axes, mean, scale, shift, *affine_params)
    back = lay.order.from_engine_array
    return Normalized(
        y=back(y.reshape(x.shape)),
        mean=back(lay.expand_stat(mean)),
        var=back(lay.expand_stat(var)),
        layout=lay,
        eps=eps,
    )
