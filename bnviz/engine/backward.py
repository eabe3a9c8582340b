"""The backward pass of every statistic-sharing scheme, in closed form, and its Jacobian.

For one group of m′ cells that share statistics, with dŷ = γ · ∂l/∂y,

    ∂l/∂x = (1/d) · (dŷ − c · mean(dŷ) − t · mean(dŷ · x̂)),

where d is the group's divisor, x̂ = (x − c·μ)/d, and the two subtracted terms are the
statistics' own gradient.  Everything is read from the scheme's
:class:`~bnviz.engine.schemes.Formula`: ``centre`` gives c = 1 (the mean is subtracted) or 0,
``divide`` gives d and t (t · mean(dŷ · x̂)/d is the path through the divisor's statistic):

========================  =====================  ===========================================
``divide``                d                      t
========================  =====================  ===========================================
``"std"`` (PyTorch)       √(σ² + ε)              x̂
``"rms"`` (RMSNorm)       √(mean x² + ε)         x / d (= x̂: nothing is centred)
``"std_plus_eps"`` (MVN)  σ + ε                  (x − μ) / σ = x̂ · d/σ (0 where σ = 0)
``"none"``                1                      0
========================  =====================  ===========================================

The Jacobian of one output cell i follows: for j in i's group (0 elsewhere),

    ∂y_i/∂x_j = γ_i/d · (δ_ij − c/m′ − x̂_i · t_j/m′),

for PyTorch's layers (1 − 1/m′ − x̂_i²/m′)·γ/s on the diagonal and −(1 + x̂_i x̂_j)/m′·γ/s off it,
s = √(σ² + ε).  Consequences the tests check: where the mean is subtracted, dx sums to 0 over
every group whatever dy and γ (adding a constant to a group changes no output); Σ dx·x̂ over a
group is (m′/d)·mean(dŷ·x̂)·(1 − mean(t·x̂)), i.e. a fraction ε/(σ² + ε) (ε/(σ + ε) for MVN,
ε/(mean x² + ε) for RMS) of what it would be with the statistics held constant.

Conventions: a group whose divisor is 0 (a constant group with ε = 0) has x̂ = 0 whatever x (the
forward pass's convention), so its gradient is 0; at σ = 0 MVN's σ is not differentiable and its
path through σ is taken as 0 (every deviation x − μ is 0 there; central differences agree).

Three implementations: :func:`normalize_backward` (fast: the forward pass's statistics, then the
per-group sums Σ dy and Σ dy·x by BLAS dot or matrix-vector products, everything per group or per
γ entry from those in float64, and one tiled pass writing dx = f·dy + k·x + e; the view is read
either as rows that share their group and γ entry (batch, instance, group norm) or as a matrix
whose groups are its rows or its columns (layer, RMS, batch-pixel, pixel norm, …); x is centred on
each group's mean where that mean is large against its spread; a general tiled path covers any
other layout, and also takes batch, instance and group norm whenever some group's mean² exceeds
its variance (x shifted away from 0, as pictures in [0, 1]), where the rows' sums would cancel:
about 2.7x slower than the rows, 25-27 ms against 9-10 ms on a float32 32 x 64 x 56 x 56 tensor
with one BLAS thread), :func:`backward_terms` (plain float64, each path separately: the
yardstick the tests hold the fast paths to) and :func:`finite_differences` (central
differences in float64).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .errors import InputError
from .layout import Layout, group_index, layout
from .moments import (
    FAST_DTYPES,
    SEGMENT,
    SEGMENT_ROWS,
    WIDE_TILE_ROWS,
    _block_elements,
    _dot_rows,
    _plan,
    _segment_length,
    _unbuffered,
    _varies_along,
    _working_dtype,
    moments,
    moments_reference,
    scale_shift,
)
from .normalize import _param_array, as_float_array, check_statistics, resolve_eps, view_param
from .schemes import Formula, Scheme

# --------------------------------------------------------------------------------------------
# Results.


@dataclass(frozen=True)
class Gradients:
    """The result of :func:`normalize_backward`.

    Attributes
    ----------
    dx : ndarray, shape and dtype of x
        ∂l/∂x.
    dweight : ndarray of float64 or None
        ∂l/∂γ = Σ ∂l/∂y · x̂ over the cells that share each γ entry, of the scheme's parameter
        shape (``layout.param_shape``); None for a scheme without learned parameters.
    dbias : ndarray of float64 or None
        ∂l/∂β = Σ ∂l/∂y likewise; None for a scheme without a learned shift β.
    mean, var : ndarray of float64, broadcastable to x
        Each group's mean and biased variance, as :func:`bnviz.normalize` gives them.
    divisor : ndarray of float64, broadcastable to x
        Each group's d (√(σ² + ε), σ + ε, √(mean x² + ε) or 1); 0 marks a group whose x̂ is 0
        whatever x.
    mean_dy_hat, mean_dy_hat_x_hat : ndarray of float64, broadcastable to x
        Each group's mean(dŷ) and mean(dŷ · x̂): the coupling terms are −c·mean(dŷ)/d and
        −t·mean(dŷ · x̂)/d.
    layout : Layout
    eps : float
    """

    dx: np.ndarray
    dweight: np.ndarray | None
    dbias: np.ndarray | None
    mean: np.ndarray
    var: np.ndarray
    divisor: np.ndarray
    mean_dy_hat: np.ndarray
    mean_dy_hat_x_hat: np.ndarray
    layout: Layout
    eps: float


@dataclass(frozen=True)
class GradientTerms:
    """∂l/∂x split into the paths it takes, all float64 of x's shape (:func:`backward_terms`).

    Attributes
    ----------
    x_hat : ndarray
        x̂, the normalized input.
    dy_hat : ndarray
        dŷ = γ · ∂l/∂y (∂l/∂y where no γ is given).
    held : ndarray
        dŷ / d: the gradient if the group's statistics were constants.
    through_mean : ndarray
        −c · mean(dŷ) / d: the path through μ (0 where the scheme subtracts no mean).
    through_divisor : ndarray
        −t · mean(dŷ · x̂) / d: the path through the divisor's statistic (σ², σ for MVN, mean x²
        for RMS; 0 where the scheme does not divide).
    dx : ndarray
        held + through_mean + through_divisor.
    mean, var, divisor : ndarray of float64, broadcastable to x
        Each group's μ, σ² and d (d = 0: a group whose x̂ is 0 whatever x).
    dweight, dbias : ndarray of float64 or None
        As in :class:`Gradients`.
    layout : Layout
    eps : float
    formula : Formula
    """

    x_hat: np.ndarray
    dy_hat: np.ndarray
    held: np.ndarray
    through_mean: np.ndarray
    through_divisor: np.ndarray
    dx: np.ndarray
    mean: np.ndarray
    var: np.ndarray
    divisor: np.ndarray
    dweight: np.ndarray | None
    dbias: np.ndarray | None
    layout: Layout
    eps: float
    formula: Formula


# --------------------------------------------------------------------------------------------
# Checks and per-group coefficients shared by every entry point.


DY_NOT_FINITE = "dy contains NaN or infinite values."


@dataclass(frozen=True)
class _Inputs:
    x: np.ndarray
    dy: np.ndarray | None
    layout: Layout
    eps: float
    formula: Formula
    gamma: np.ndarray | None  # γ broadcastable to the (N, G, Cg, H, W) view, float64


def _inputs(x, dy, scheme, eps, weight, params, check_dy: bool = True) -> _Inputs:
    """Checked x and dy, the layout, ε, the formula and γ shaped for the view.

    ``check_dy=False`` leaves dy's finiteness to the caller (the fast path sees it in its sums).
    """
    x = as_float_array(x)
    lay = layout(x.shape, scheme, **params)
    if dy is not None:
        dy = as_float_array(dy, "dy")
        if dy.shape != x.shape:
            raise InputError(f"dy must have the shape of x, {x.shape}; got {dy.shape}.")
        if check_dy and not np.isfinite(dy).all():
            raise InputError(DY_NOT_FINITE)
    eps = resolve_eps(lay, eps, x.dtype)
    gamma = None
    if weight is not None:
        gamma = view_param(_param_array("weight", weight, lay, x.dtype), lay)
    return _Inputs(x, dy, lay, eps, lay.scheme.formula_for(lay.params), gamma)


def _param_view_shape(lay: Layout) -> tuple:
    """The shape γ has on the view: the view's size along axes γ varies along, 1 elsewhere."""
    n, c, h, w = lay.param_broadcast_shape
    groups, per_group = lay.view_shape[1:3]
    return (n, groups, per_group, h, w) if c == lay.nchw[1] else (n, 1, 1, h, w)


def _coupling(formula: Formula, mean, var, scale):
    """Per group ρ and κ with t = ρ · x̂ + κ, and where each path exists (see the module table).

    For "std" and "rms" t = x̂ (ρ = 1, κ = 0); for "std_plus_eps" t = x̂ · d/σ (ρ = d/σ, 0 where
    σ = 0); for "none" t = 0.  A group with divisor 0 (scale 0) gets ρ = 0: its x̂ is constant.
    Float64 arrays of the statistics' shape.
    """
    if formula.divide in ("std", "rms"):
        rho = np.where(scale > 0, 1.0, 0.0)
        # x / d − x̂ = c·μ/d: nothing for the formulas declared (RMS centres nothing).
        kappa = (
            scale * mean if (formula.divide == "rms" and formula.centre) else np.zeros_like(scale)
        )
    elif formula.divide == "std_plus_eps":
        sigma = np.sqrt(var)
        divisor = _divisor(scale)
        # d/σ = (σ + ε)/σ; at σ = 0 the path through σ is taken as 0 (module docstring).
        rho = np.zeros_like(sigma)
        np.divide(divisor, sigma, out=rho, where=(sigma > 0) & (scale > 0))
        kappa = np.zeros_like(scale)
    else:
        rho = np.zeros_like(scale)
        kappa = np.zeros_like(scale)
    return rho, kappa


# --------------------------------------------------------------------------------------------
# The plain float64 computation, path by path.


def backward_terms(
    x, dy, scheme: str | Scheme, *, eps=None, weight=None, **params
) -> GradientTerms:
    """∂l/∂x of ``scheme`` split into its paths, in float64 (the readable reference).

    Parameters
    ----------
    x : array_like of shape (N, C), (N, C, L) or (N, C, H, W)
    dy : array_like, shape of x
        ∂l/∂y, the gradient arriving from the layers above.
    scheme : str
        A scheme id (``bnviz.SCHEMES``).
    eps : float, optional
        As in :func:`bnviz.normalize` (default: the scheme's, for x's dtype).
    weight : array_like, optional
        γ, of the scheme's parameter shape; default 1.
    **params
        The scheme's hyper-parameters.

    Returns
    -------
    GradientTerms
        x̂, dŷ, the gradient with the statistics held constant, the paths through the mean and
        through the divisor's statistic, and their sum dx (each float64 of x's shape), the
        group statistics, and ∂l/∂γ, ∂l/∂β.
    """
    inputs = _inputs(x, dy, scheme, eps, weight, params)
    lay, formula, gamma = inputs.layout, inputs.formula, inputs.gamma
    reduced = lay.reduced_axes
    view = inputs.x.astype(np.float64).reshape(lay.view_shape)
    g = inputs.dy.astype(np.float64).reshape(lay.view_shape)
    mean, var = moments_reference(view, reduced)
    check_statistics(mean, var)
    scale, shift = scale_shift(mean, var, inputs.eps, formula)
    rho, kappa = _coupling(formula, mean, var, scale)
    x_hat = view * scale + shift
    dy_hat = g * gamma if gamma is not None else g
    held = dy_hat * scale
    through_mean = np.zeros_like(view)
    if formula.centre:
        through_mean += -scale * dy_hat.mean(axis=reduced, keepdims=True)
    projection = (dy_hat * x_hat).mean(axis=reduced, keepdims=True)
    through_divisor = -scale * (rho * x_hat + kappa) * projection
    dx = held + through_mean + through_divisor
    divisor = _divisor(scale)
    dweight, dbias = _param_gradients(lay, formula, g, g * x_hat)

    def shaped(array):
        return np.ascontiguousarray(np.broadcast_to(array, view.shape)).reshape(inputs.x.shape)

    return GradientTerms(
        x_hat=shaped(x_hat),
        dy_hat=shaped(dy_hat),
        held=shaped(held),
        through_mean=shaped(through_mean),
        through_divisor=shaped(through_divisor),
        dx=shaped(dx),
        mean=lay.expand_stat(mean),
        var=lay.expand_stat(var),
        divisor=lay.expand_stat(divisor),
        dweight=dweight,
        dbias=dbias,
        layout=lay,
        eps=inputs.eps,
        formula=formula,
    )


def _divisor(scale: np.ndarray) -> np.ndarray:
    """1 / s for each group's divisor s (0 where s is 0: such a group's x̂ is 0)."""
    divisor = np.zeros_like(scale)
    np.divide(1.0, scale, out=divisor, where=scale > 0)
    return divisor


def _gradients(inputs, dx, dweight, dbias, mean, var, scale, mean_dyhat, projection) -> Gradients:
    """:class:`Gradients` from a path's results; ``dx`` (x's size, the working dtype) is given
    x's shape and the dtype of x and dy; the per-group arrays (statistics, s, the means of dŷ and
    dŷ·x̂), each of the scheme's statistics shape ``lay.stat_shape``, are expanded to the
    tensor's."""
    lay = inputs.layout
    dtype = np.result_type(inputs.x.dtype, inputs.dy.dtype)
    return Gradients(
        dx=dx.reshape(inputs.x.shape).astype(dtype, copy=False),
        dweight=dweight,
        dbias=dbias,
        mean=lay.expand_stat(mean),
        var=lay.expand_stat(var),
        divisor=lay.expand_stat(_divisor(scale)),
        mean_dy_hat=lay.expand_stat(mean_dyhat),
        mean_dy_hat_x_hat=lay.expand_stat(projection),
        layout=lay,
        eps=inputs.eps,
    )


def _param_total(per_cell: np.ndarray, lay: Layout) -> np.ndarray:
    """Σ of a float64 array on the view over the axes γ does not vary along, in γ's shape."""
    target = _param_view_shape(lay)
    axes = tuple(a for a, size in enumerate(target) if size == 1 and per_cell.shape[a] != 1)
    total = per_cell.sum(axis=axes, keepdims=True) if axes else per_cell
    total = np.broadcast_to(total, target)
    return np.ascontiguousarray(total, dtype=np.float64).reshape(lay.param_shape)


def _param_gradients(lay: Layout, formula: Formula, sum_dy, sum_dy_x_hat) -> tuple:
    """(∂l/∂γ, ∂l/∂β) = (Σ dy·x̂, Σ dy) in γ's shape, from float64 sums on the view (per cell,
    per group or per γ entry: :func:`_param_total` adds up the rest); None for each parameter
    the scheme does not learn (both without γ and β, ∂l/∂β without β)."""
    if lay.param_shape is None:
        return None, None
    dbias = _param_total(sum_dy, lay) if formula.shift else None
    return _param_total(sum_dy_x_hat, lay), dbias


# --------------------------------------------------------------------------------------------
# The fast path.


def _tiles(shape: tuple, block: int):
    """Index tuples (slices) covering an array of ``shape`` in C order, each tile at most
    ``block`` elements (or one run of the last axis of ``block``), so that a few temporaries of a
    tile stay in the cache."""
    inner = 1
    split = len(shape)
    while split > 0 and inner * shape[split - 1] <= block:
        split -= 1
        inner *= shape[split]
    if split == 0:
        yield tuple(slice(None) for _ in shape)
        return
    axis = split - 1  # chunked; the axes before it are walked one index at a time
    step = max(1, block // inner)
    for outer in np.ndindex(*shape[:axis]):
        for start in range(0, shape[axis], step):
            yield (
                tuple(slice(i, i + 1) for i in outer)
                + (slice(start, start + step),)
                + tuple(slice(None) for _ in shape[axis + 1 :])
            )


def _part(array: np.ndarray, tile: tuple) -> tuple:
    """The index of the part of ``array`` (axes of size 1 or full) that meets ``tile``."""
    return tuple(slice(None) if n == 1 else part for n, part in zip(array.shape, tile))


def _deviation_tile(view, centre, tile, out) -> np.ndarray:
    """x − c on one tile, into ``out`` (c: each group's mean rounded to the working precision)."""
    return np.subtract(view[tile], centre[_part(centre, tile)], out=out)


def _tile_sum(a: np.ndarray, axes: tuple) -> np.ndarray:
    """Σ of a contiguous tile over ``axes``, as float64 with those axes kept as 1.

    As the forward pass's moments: BLAS matrix-vector products against a ones vector over runs
    of at most SEGMENT values (or SEGMENT_ROWS rows) in the tile's precision, the partial sums
    added in float64; a pattern of axes that does not reduce to rows or columns is summed by
    NumPy in float64.
    """
    shape = tuple(1 if i in axes else n for i, n in enumerate(a.shape))
    if shape == a.shape:  # nothing to sum within this tile
        return a.astype(np.float64)
    plan = _plan(a.shape, axes)
    ones = _ONES.get(a.dtype)
    if plan.permutation is None:
        if plan.kind == "rows":
            p, k, q = plan.dims
            length, count = _segment_length(q)
            if length * count == q and length <= len(ones):
                rows = a.reshape(p * k * count, length) @ ones[:length]
                return rows.reshape(p, k, count).sum(axis=(0, 2), dtype=np.float64).reshape(shape)
        else:
            outer, p, k = plan.dims
            if p <= SEGMENT_ROWS:
                return (ones[:p] @ a.reshape(outer, p, k)).astype(np.float64).reshape(shape)
    return np.add.reduce(a, axis=axes, dtype=np.float64, keepdims=True)


#: Ones vectors for :func:`_tile_sum`, one per working dtype.
_ONES = {np.dtype(t): np.ones(SEGMENT, dtype=t) for t in (np.float32, np.float64)}


def _first_pass(view, g, centre, x_hat_map, cell_gamma, reduced, stat_shape, params):
    """One tiled read of x and dy: per group Σ g and Σ g·(x − c) (g = γ·dy where γ varies
    within a group, else dy); with ``params`` = (shape, axes), also Σ dy and Σ dy·x̂ over those
    axes (x̂ = (x − c)·scale + offset from ``x_hat_map``), for ∂l/∂γ and ∂l/∂β.

    The deviations and products live only in cache-sized buffers.
    """
    block = _block_elements(g.dtype)
    buffers = np.empty((3, block), dtype=g.dtype)
    sums = [np.zeros(stat_shape), np.zeros(stat_shape)]
    param_sums = [np.zeros(params[0]), np.zeros(params[0])] if params is not None else None
    tiles = list(_tiles(view.shape, block))
    if param_sums is not None:
        # Tiles that add into the same part of the parameters' sums one after the other, so
        # that part stays in the cache (layer norm: every sample of a run of channels).
        def order(tile):
            starts = [part.start or 0 for part in tile]
            summed = [starts[a] for a in params[1]]
            return [v for a, v in enumerate(starts) if a not in params[1]] + summed

        tiles.sort(key=order)
    for tile in tiles:
        gs = g[tile]
        size, shape = gs.size, gs.shape
        deviation = _deviation_tile(view, centre, tile, buffers[0, :size].reshape(shape))
        product = np.multiply(gs, deviation, out=buffers[1, :size].reshape(shape))
        if param_sums is not None:
            scale, offset = x_hat_map
            x_hat = np.multiply(deviation, scale[_part(scale, tile)], out=deviation)
            np.add(x_hat, offset[_part(offset, tile)], out=x_hat)
            where = _part(param_sums[0], tile)
            param_sums[0][where] += _tile_sum(gs, params[1])
            param_sums[1][where] += _tile_sum(np.multiply(gs, x_hat, out=x_hat), params[1])
        if cell_gamma is not None:
            weights = cell_gamma[_part(cell_gamma, tile)]
            gs = np.multiply(gs, weights, out=buffers[2, :size].reshape(shape))
            product = np.multiply(product, weights, out=product)
        where = _part(sums[0], tile)
        sums[0][where] += _tile_sum(gs, reduced)
        sums[1][where] += _tile_sum(product, reduced)
    return (*sums, *(param_sums or (None, None)))


def _second_pass(view, g, centre, out, factors, K, E) -> None:
    """out = g · Π factors + K · (x − c) + E, tile by tile (one read of x and dy, one write).

    ``factors``, ``K`` and ``E`` broadcast against the view.
    """
    block = _block_elements(g.dtype)
    buffer = np.empty(block, dtype=g.dtype)
    for tile in _tiles(g.shape, block):
        target = out[tile]
        work = _deviation_tile(view, centre, tile, buffer[: target.size].reshape(target.shape))
        np.multiply(work, K[_part(K, tile)], out=work)
        np.add(work, E[_part(E, tile)], out=work)
        np.multiply(g[tile], factors[0][_part(factors[0], tile)], out=target)
        for factor in factors[1:]:
            np.multiply(target, factor[_part(factor, tile)], out=target)
        np.add(target, work, out=target)


# --------------------------------------------------------------------------------------------
# The fastest path: rows of values that share their group and their γ.

#: Rows shorter than this take the general tiled path (per-row work would dominate).
MIN_ROW = 16


def _shared_from(lay: Layout, split: int, *shapes) -> int:
    """Walk ``split`` back over the view's reduced axes just before it along which none of
    ``shapes`` (shapes on the view, or None) varies; the first axis of the block so found."""
    while split > 0:
        axis = split - 1
        if axis not in lay.reduced_axes or any(s is not None and s[axis] != 1 for s in shapes):
            break
        split = axis
    return split


def _shared_rows(lay: Layout, gamma) -> int | None:
    """Where the view's trailing block of rows begins: the first of the last axes along which
    every cell shares its group's statistics and its γ entry (reduced axes where γ, or the
    scheme's parameters, do not vary).  None when that block is shorter than MIN_ROW."""
    target = _param_view_shape(lay) if lay.param_shape is not None else None
    split = _shared_from(lay, len(lay.view_shape), target, None if gamma is None else gamma.shape)
    return split if math.prod(lay.view_shape[split:]) >= MIN_ROW else None


def _row_dots(a: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    """Σ a·b (Σ a when ``b`` is None) along each row of two (M, T) arrays, as float64 (M,).

    BLAS dot products (``np.vecdot``) over segments of at most SEGMENT values in the working
    precision, the segments added in float64 (as the forward pass's moments).
    """
    m, t = a.shape
    length, count = _segment_length(t)
    if length * count != t:  # no equal split: whole rows (BLAS accumulates in many lanes)
        length, count = t, 1
    a2 = a.reshape(m * count, length)
    dots = _dot_rows(a2, None if b is None else b.reshape(m * count, length))
    return np.add.reduce(dots.reshape(m, count), axis=1, dtype=np.float64)


def _dx_coefficients(formula: Formula, scale, rho, kappa, sum_dyhat, sum_projection, m: int):
    """Per group: the means of dŷ and of dŷ·x̂ over its ``m`` cells, and K and E such that
    dx = scale·γ·dy + K·x̂ + E (t = ρ·x̂ + κ from :func:`_coupling`; E has the mean path only
    where the formula centres)."""
    mean_dyhat, mean_projection = sum_dyhat / m, sum_projection / m
    K = -scale * rho * mean_projection
    E = -scale * kappa * mean_projection
    if formula.centre:
        E = E - scale * mean_dyhat
    return mean_dyhat, mean_projection, K, E


def _fast_backward(view, g, lay, formula, gamma, scale, shift, rho, kappa, split):
    """:func:`normalize_backward`'s sums and dx where rows of the view share group and γ.

    The view is seen as (M, T) rows (T the trailing block from ``split``); per row two dot
    products, Σ dy and Σ dy·x (BLAS, one pass each); everything per group or per γ entry from
    those in float64 (x̂ = x·scale + shift, so Σ dy·x̂ = scale·Σ dy·x + shift·Σ dy); then one
    tiled pass writing dx = f·dy + k·x + e with per-row f, k, e.  Used where every group's mean
    is small against its spread (mean² ≤ σ²), so Σ dy·x and k·x + e do not cancel, and for a
    formula that centres nothing whatever the means (x̂ = x·scale: no shift to cancel against).

    Returns
    -------
    dx, sum_g, sum_g_x_hat, mean_dyhat, mean_projection
        dx in the working dtype, of the view's shape; per row Σ dy and Σ dy·x̂ (float64, the
        view's shape up to ``split``, 1 after it); per group mean(dŷ) and mean(dŷ·x̂) (float64,
        ``lay.stat_shape``).
    """
    shape = lay.view_shape
    row_shape = shape[:split] + (1,) * (len(shape) - split)
    t = math.prod(shape[split:])
    rows_x, rows_g = view.reshape(-1, t), g.reshape(-1, t)
    sum_g = _row_dots(rows_g, None).reshape(row_shape)  # Σ dy per row
    sum_gx = _row_dots(rows_g, rows_x).reshape(row_shape)  # Σ dy·x per row
    # Σ dy·x̂ per row: x̂ = x·scale + shift with the group's coefficients.
    sum_g_x_hat = scale * sum_gx + shift * sum_g
    reduced = lay.reduced_axes
    if gamma is not None:
        sum_dyhat = np.sum(gamma * sum_g, axis=reduced, keepdims=True)
        sum_projection = np.sum(gamma * sum_g_x_hat, axis=reduced, keepdims=True)
    else:
        sum_dyhat = np.sum(sum_g, axis=reduced, keepdims=True)
        sum_projection = np.sum(sum_g_x_hat, axis=reduced, keepdims=True)
    mean_dyhat, mean_projection, K, E = _dx_coefficients(
        formula, scale, rho, kappa, sum_dyhat, sum_projection, lay.group_size
    )
    # dx = scale·γ·dy + K·x̂ + E = scale·γ·dy + (K·scale)·x + (K·shift + E), per row.
    work = view.dtype
    # dx's coefficients vary only with the group and γ: its rows may be longer than the sums'
    # (group norm without γ: a whole group, C/G channels, rather than one channel's H × W).
    split = _shared_from(lay, split, None if gamma is None else gamma.shape)
    row_shape = shape[:split] + (1,) * (len(shape) - split)
    t = math.prod(shape[split:])
    rows_x, rows_g = view.reshape(-1, t), g.reshape(-1, t)
    per_row = [
        scale * gamma if gamma is not None else scale,
        K * scale,
        K * shift + E,
    ]
    f, k, e = (
        np.ascontiguousarray(np.broadcast_to(c, row_shape), dtype=work).reshape(-1, 1)
        for c in per_row
    )
    out = np.empty_like(rows_g)
    block = _block_elements(rows_g.dtype)
    if t <= block:  # tiles of whole rows
        per = max(1, block // t)
        tiles = [(slice(r0, r0 + per), slice(None)) for r0 in range(0, out.shape[0], per)]
    else:  # tiles along each long row
        tiles = [
            (slice(r, r + 1), slice(c0, c0 + block))
            for r in range(out.shape[0])
            for c0 in range(0, t, block)
        ]
    buffer = np.empty(block, dtype=work)  # no tile exceeds block
    with np.errstate(over="ignore", invalid="ignore"):
        _unbuffered(min(t, block))  # one inner loop per row rather than through NumPy's buffer
        for rows, columns in tiles:
            target = out[rows, columns]
            np.multiply(rows_x[rows, columns], k[rows], out=target)
            np.add(target, e[rows], out=target)
            temporary = buffer[: target.size].reshape(target.shape)
            np.multiply(rows_g[rows, columns], f[rows], out=temporary)
            np.add(target, temporary, out=target)
    return out.reshape(shape), sum_g, sum_g_x_hat, mean_dyhat, mean_projection


def normalize_backward(
    x, dy, scheme: str | Scheme, *, eps=None, weight=None, **params
) -> Gradients:
    """The backward pass of :func:`bnviz.normalize` (training mode), in closed form.

    Parameters
    ----------
    x : array_like of shape (N, C), (N, C, L) or (N, C, H, W)
        The layer's input; float dtypes are kept, integers promoted to float64.
    dy : array_like, shape of x
        ∂l/∂y, the gradient of the loss with respect to the layer's output.
    scheme : str
        A scheme id (``bnviz.SCHEMES``), ``custom`` and ``mvn`` included.
    eps : float, optional
        As in :func:`bnviz.normalize` (default: the scheme's, for x's dtype).
    weight : array_like, optional
        γ, of the scheme's parameter shape (``describe(...).param_shape``); default 1.  β does
        not enter any gradient.
    **params
        The scheme's hyper-parameters, e.g. ``num_groups=2``.

    Returns
    -------
    Gradients
        ``dx`` (shape and dtype of x) = (1/d)·(dŷ − c·mean(dŷ) − t·mean(dŷ·x̂)) over each group
        (module docstring), ``dweight`` = Σ dy·x̂ and ``dbias`` = Σ dy over the cells sharing
        each γ/β entry (float64, the parameter shape; None where the scheme learns none), and
        the forward statistics.  Statistics and sums are float64; the cell-by-cell work is in
        x's precision (float32 for float16), tile by tile, centred on each group's mean as the
        forward pass is (accurate where a group's mean is large).
    """
    inputs = _inputs(x, dy, scheme, eps, weight, params, check_dy=False)
    lay, formula, gamma = inputs.layout, inputs.formula, inputs.gamma
    dtype = np.result_type(inputs.x.dtype, inputs.dy.dtype)
    # float16 is computed in float32, dtypes without fast kernels (longdouble) in float64.
    work = _working_dtype(dtype) if dtype in FAST_DTYPES else np.dtype(np.float64)
    x, dy = inputs.x, inputs.dy
    if x.dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
        x = x.astype(work)
    reduced = lay.reduced_axes
    view = np.ascontiguousarray(x).reshape(lay.view_shape)
    g = np.ascontiguousarray(dy, dtype=work).reshape(lay.view_shape)
    mean, var = moments(view, reduced)
    check_statistics(mean, var)
    scale, shift = scale_shift(mean, var, inputs.eps, formula)
    rho, kappa = _coupling(formula, mean, var, scale)
    fast = view.dtype == g.dtype and view.dtype in (np.float32, np.float64)
    split = _shared_rows(lay, gamma) if fast else None
    # Σ dy·x and k·x + e cancel where a group's mean is large against its spread: there the
    # matrix and tiled paths below centre x on each group's mean first.
    large_means = fast and formula.centre and not bool(np.all(mean * mean <= var))
    if split is not None and not large_means:
        return _fast_gradients(inputs, view, g, mean, var, scale, shift, rho, kappa, split)
    form = None
    if fast:
        form = _matrix_form(lay, _param_view_shape(lay) if lay.param_shape is not None else None)
    if form is not None:
        return _matrix_gradients(
            inputs, view, g, mean, var, scale, shift, rho, kappa, form, large_means
        )
    # x̂ = (x − c)·scale + offset with c the mean rounded to the working precision and
    # offset = c·scale + shift (as moments.affine computes it): x − c is exact near a large mean.
    centre = mean.astype(work)
    offset = centre.astype(np.float64) * scale + shift
    per_cell = _varies_along(gamma, reduced)
    cell_gamma = gamma.astype(work) if per_cell else None
    # ∂l/∂γ and ∂l/∂β sum over the axes γ does not vary along: where those hold every reduced
    # axis (γ constant over each group), the groups' own sums add up; otherwise they are
    # summed cell by cell in the same pass.
    params = None
    if lay.param_shape is not None:
        target = _param_view_shape(lay)
        sum_axes = tuple(a for a, n in enumerate(target) if n == 1 and lay.view_shape[a] > 1)
        if per_cell or not {a for a in reduced if lay.view_shape[a] > 1} <= set(sum_axes):
            params = (target, sum_axes)
    x_hat_map = (scale.astype(work), offset.astype(work))
    sum_g, sum_g_dev, param_dy, param_dy_x_hat = _first_pass(
        view, g, centre, x_hat_map, cell_gamma, reduced, lay.stat_shape, params
    )
    # A NaN or infinity in dy shows in its group's sums (checked here, not cell by cell).
    if not (np.isfinite(sum_g).all() and np.isfinite(sum_g_dev).all()):
        raise InputError(DY_NOT_FINITE)
    # Σ g·x̂ = scale·Σ g·(x − c) + offset·Σ g, per group.
    sum_g_x_hat = scale * sum_g_dev + offset * sum_g
    # Σ dŷ and Σ dŷ·x̂ over each group (γ constant over a group multiplies its sums).
    if gamma is not None and not per_cell:
        sum_dyhat, sum_projection = sum_g * gamma, sum_g_x_hat * gamma
    else:
        sum_dyhat, sum_projection = sum_g, sum_g_x_hat
    mean_dyhat, mean_projection, K, E = _dx_coefficients(
        formula, scale, rho, kappa, sum_dyhat, sum_projection, lay.group_size
    )
    # dx = scale·γ·dy + K·x̂ + E per group = scale·γ·dy + K·scale·(x − c) + (K·offset + E).
    E = K * offset + E
    K = K * scale
    first = scale * gamma if gamma is not None and not per_cell else scale
    factors = [first.astype(work)] + ([cell_gamma] if per_cell else [])
    out = np.empty_like(g)
    with np.errstate(over="ignore", invalid="ignore"):
        _second_pass(view, g, centre, out, factors, K.astype(work), E.astype(work))

    # The groups' own sums, or the ones summed cell by cell where γ needed them.
    param_sums = (sum_g, sum_g_x_hat) if params is None else (param_dy, param_dy_x_hat)
    dweight, dbias = _param_gradients(lay, formula, *param_sums)
    return _gradients(inputs, out, dweight, dbias, mean, var, scale, mean_dyhat, mean_projection)


#: Most rows a tile of :func:`_matrix_backward` sums in the working precision at once.
MAX_TILE_ROWS = 1024


def _matrix_form(lay: Layout, gamma_shape: tuple | None):
    """The view as a matrix problem for :func:`_matrix_backward`, or None.

    Returns (dims, groups, gamma_axis): ``dims`` = (O, P, K), the view's shape with neighbouring
    axes merged; ``groups`` = "columns" (each group is the P values of a column (o, k)) or
    "rows" (O = 1, each group one row p of K values); ``gamma_axis`` = the one axis (1 for P, 2
    for K) along which the scheme's γ entries vary, or None for one γ (or none) per group set.
    None where the view does not merge so (groups over both P and K, γ along both, or along
    part of a merged run).
    """
    plan = _plan(lay.view_shape, lay.reduced_axes)
    if plan.permutation is not None:
        return None
    reduced = set(lay.reduced_axes)
    runs = []  # [axes, kept] of maximal runs of axes (of size > 1) with the same status
    for axis, size in enumerate(lay.view_shape):
        if size == 1:
            continue
        kept = axis not in reduced
        if runs and runs[-1][1] == kept:
            runs[-1][0].append(axis)
        else:
            runs.append([[axis], kept])
    pattern = "".join("K" if kept else "R" for _, kept in runs)
    layouts = {"KRK": ("columns", 0), "RK": ("columns", 1), "KR": ("rows", 1)}
    if pattern not in layouts:
        return None
    groups, first = layouts[pattern]
    positions = list(range(first, first + len(runs)))  # each run's position in (O, P, K)
    if groups == "rows":
        positions = [1, 2]
    dims = [1, 1, 1]
    gamma_axes = set()
    for (axes, _), position in zip(runs, positions, strict=True):
        dims[position] = math.prod(lay.view_shape[a] for a in axes)
        if gamma_shape is not None:
            varying = [gamma_shape[a] != 1 for a in axes]
            if any(varying) and not all(varying):
                return None
            if all(varying):
                gamma_axes.add(position)
    if len(gamma_axes) > 1 or 0 in gamma_axes:
        return None
    if groups == "rows" and 1 in gamma_axes:
        return None
    return tuple(dims), groups, (gamma_axes.pop() if gamma_axes else None)


def _along(values, axis: int) -> np.ndarray:
    """A 1-D array laid along ``axis`` (1 or 2) of the (O, P, K) matrix form."""
    shape = [1, 1, 1]
    shape[axis] = -1
    return values.reshape(shape)


def _matrix_backward(x3, g3, groups, gamma_axis, gammas, coefficients, want_params, centre):
    """Sums and dx on an (O, P, K) matrix form (:func:`_matrix_form`), one tiled pass each.

    Parameters
    ----------
    x3, g3 : ndarray of shape (O, P, K), the working dtype
    groups : "columns" or "rows"
    gamma_axis : 1, 2 or None
        The axis the scheme's γ entries vary along (None: one per group set).
    gammas : (group_gamma, cell_gamma)
        The given γ, one of them not None (both None without γ): ``group_gamma`` (float64, a
        scalar or :func:`_along` ``gamma_axis``) where γ is constant over each group, so it
        multiplies the groups' sums; ``cell_gamma`` (the working dtype, along ``gamma_axis``)
        where γ varies across each group's cells, so it weights them.
    coefficients : (sums_to_dx, (scale, shift))
        ``sums_to_dx(A, B)`` turning the groups' Σ dŷ and Σ dŷ·x (float64, (O, P or 1, K or 1))
        into per-group (scale·γ, k, e) for dx = scale·γ·dy + k·x + e; per-group (scale, shift)
        for Σ dy·x̂ = scale·Σ dy·x + shift·Σ dy.
    want_params : bool
    centre : ndarray or None
        Each group's mean in the working dtype (shaped as the groups' sums): x − centre takes
        the place of x everywhere (for groups whose mean is large against their spread).

    Returns
    -------
    dx, A, B, raw, param_g, param_z
        dx (O, P, K) in the working dtype; the groups' Σ dŷ and Σ dŷ·x; ``raw`` = (A, B) before
        ``group_gamma`` multiplies them (the groups' Σ dy and Σ dy·x where γ does not vary across
        a group); for each γ entry along ``gamma_axis`` where that axis runs across the groups,
        Σ dy and Σ dy·x̂ (float64; None otherwise, or without parameters).
    """
    o_count, p, k = x3.shape
    dtype = x3.dtype
    block = _block_elements(dtype)
    if k * WIDE_TILE_ROWS <= min(block, p * k):
        rows = max(1, min(MAX_TILE_ROWS, block // k))
        columns = k
    else:  # a few rows of a run of columns: each sum covers several rows at once
        # Rows of a wide matrix lie a multiple of 4 KiB apart; a tile of more than ~8 of them
        # thrashes the L1 cache (measured 2x slower at 32 rows, 4x at 1 row).
        rows = min(p, WIDE_TILE_ROWS)
        columns = max(256, block // rows)
    tiles = [
        (o, slice(p0, p0 + rows), slice(k0, k0 + columns))
        for o in range(o_count)
        for p0 in range(0, p, rows)
        for k0 in range(0, k, columns)
    ]
    column_groups = groups == "columns"
    stat_shape = (o_count, 1, k) if column_groups else (o_count, p, 1)
    A, B = np.zeros(stat_shape), np.zeros(stat_shape)
    # Weights summing each group: γ where it varies across the group's cells, else ones.
    across = 1 if column_groups else 2
    ones_p, ones_k = np.ones(p, dtype=dtype), np.ones(k, dtype=dtype)
    group_gamma, cell_gamma = gammas  # γ = 1 where none is given: no multiplications by it
    weight = (
        cell_gamma.reshape(-1) if cell_gamma is not None else (ones_p if column_groups else ones_k)
    )
    buffer = np.empty(rows * columns, dtype=dtype)
    deviations = np.empty(rows * columns, dtype=dtype) if centre is not None else None
    scale, shift = coefficients[1]
    # Σ dy and Σ dy·x̂ per γ entry, where they are not the groups' own sums.
    cross = want_params and gamma_axis == across
    param_g = param_z = None
    if cross:
        n = p if gamma_axis == 1 else k
        param_g, param_z = np.zeros(n), np.zeros(n)
        scale_w = scale.astype(dtype)
        shift_w = shift.astype(dtype)
    with np.errstate(over="ignore", invalid="ignore"):
        _unbuffered(columns)
        for o, rs, cs in tiles:
            gt, xt = g3[o, rs, cs], x3[o, rs, cs]
            if centre is not None:
                part = (o, slice(None), cs) if column_groups else (o, rs, slice(None))
                xt = np.subtract(xt, centre[part], out=deviations[: gt.size].reshape(gt.shape))
            z = np.multiply(gt, xt, out=buffer[: gt.size].reshape(gt.shape))
            if column_groups:
                w = weight[rs] if weight.shape[0] == p else weight
                A[o, 0, cs] += w @ gt
                B[o, 0, cs] += w @ z
                if cross:  # γ along P: Σ over o and k of dy and of scale·dy·x + shift·dy
                    param_g[rs] += gt @ ones_k[cs]
                    param_z[rs] += z @ scale_w[o, 0, cs] + gt @ shift_w[o, 0, cs]
            else:
                w = weight[cs] if weight.shape[0] == k else weight
                A[o, rs, 0] += gt @ w
                B[o, rs, 0] += z @ w
                if cross:  # γ along K: Σ over the rows of dy and of scale·dy·x + shift·dy
                    param_g[cs] += ones_p[rs] @ gt
                    param_z[cs] += scale_w[o, rs, 0] @ z + shift_w[o, rs, 0] @ gt
    raw = (A, B)  # unweighted where γ does not vary across a group
    if group_gamma is not None:  # γ constant over a group
        A, B = A * group_gamma, B * group_gamma
    f, kx, e = (c.astype(dtype) for c in coefficients[0](A, B))
    out = np.empty_like(g3)
    # dx in runs of whole rows (or of one row, when a row is longer than a tile): same-shaped
    # contiguous operands, no conflicts between rows.
    rows, columns = (max(1, block // k), k) if k <= block else (1, block)
    tiles = [
        (o, slice(p0, p0 + rows), slice(k0, k0 + columns))
        for o in range(o_count)
        for p0 in range(0, p, rows)
        for k0 in range(0, k, columns)
    ]
    if rows * columns > buffer.size:
        buffer = np.empty(rows * columns, dtype=dtype)
    with np.errstate(over="ignore", invalid="ignore"):
        _unbuffered(columns)
        for o, rs, cs in tiles:
            target = out[o, rs, cs]
            part = (o, slice(None), cs) if column_groups else (o, rs, slice(None))
            if centre is not None:
                np.subtract(x3[o, rs, cs], centre[part], out=target)
                np.multiply(target, kx[part], out=target)
            else:
                np.multiply(x3[o, rs, cs], kx[part], out=target)
            np.add(target, e[part], out=target)
            temporary = buffer[: target.size].reshape(target.shape)
            np.multiply(g3[o, rs, cs], f[part], out=temporary)
            if cell_gamma is not None:
                np.multiply(
                    temporary,
                    cell_gamma[
                        0,
                        rs if gamma_axis == 1 else slice(None),
                        cs if gamma_axis == 2 else slice(None),
                    ],
                    out=temporary,
                )
            np.add(target, temporary, out=target)
    return out, A, B, raw, param_g, param_z


def _matrix_gradients(
    inputs, view, g, mean, var, scale, shift, rho, kappa, form, large_means
) -> Gradients:
    """:class:`Gradients` by :func:`_matrix_backward` (see :func:`normalize_backward`);
    ``large_means``: some group's mean² exceeds its variance and the formula centres."""
    lay, formula, gamma = inputs.layout, inputs.formula, inputs.gamma
    dims, groups, gamma_axis = form
    stat3 = (dims[0], 1, dims[2]) if groups == "columns" else (dims[0], dims[1], 1)
    scale3, shift3, rho3, kappa3 = (np.reshape(a, stat3) for a in (scale, shift, rho, kappa))
    centre = None
    if large_means:
        # x̂ = (x − c)·scale + (shift + c·scale) with c the mean in the working precision:
        # x − c is exact near a large mean (as the forward pass).
        centre = np.reshape(mean, stat3).astype(view.dtype)
        shift3 = shift3 + centre.astype(np.float64) * scale3
    m = lay.group_size
    across = 1 if groups == "columns" else 2
    # The given γ, constant over each group (it multiplies the groups' sums) or varying across
    # each group's cells (it weights them).
    group_gamma = cell_gamma = None
    if gamma is not None and gamma_axis is None:
        group_gamma = float(gamma.reshape(-1)[0])
    elif gamma is not None and gamma_axis != across:
        group_gamma = _along(gamma.reshape(-1), gamma_axis)
    elif gamma is not None:
        cell_gamma = _along(gamma.reshape(-1).astype(view.dtype), gamma_axis)
    saved = {}

    def sums_to_dx(A, B):
        # One float64 operation per statistic each (batch-pixel keeps C·H·W of them), in place
        # where possible: K = −scale·ρ·mean(dŷ·x̂), E = −scale·κ·mean(dŷ·x̂) − c·scale·mean(dŷ).
        projection = np.multiply(scale3, B)
        work = np.multiply(shift3, A)
        projection += work
        projection *= 1 / m  # mean(dŷ·x̂)
        mean_dyhat = np.multiply(A, 1 / m)
        saved["means"] = mean_dyhat, projection
        np.multiply(scale3, rho3, out=work)
        work *= projection
        np.negative(work, out=work)  # K
        kx = np.multiply(work, scale3)
        e = np.multiply(work, shift3)
        if kappa3.any():
            np.multiply(scale3, kappa3, out=work)
            work *= projection
            e -= work
        if formula.centre:
            np.multiply(scale3, mean_dyhat, out=work)
            e -= work
        return (scale3 * group_gamma if group_gamma is not None else scale3), kx, e

    want = lay.param_shape is not None
    with np.errstate(over="ignore", invalid="ignore"):
        dx, A, B, raw, param_g, param_z = _matrix_backward(
            view.reshape(dims),
            g.reshape(dims),
            groups,
            gamma_axis,
            (group_gamma, cell_gamma),
            (sums_to_dx, (scale3, shift3)),
            want,
            centre,
        )
    if not (np.isfinite(A).all() and np.isfinite(B).all()):
        raise InputError(DY_NOT_FINITE)
    dweight = dbias = None
    if want:
        if param_g is not None:
            dweight = param_z.reshape(lay.param_shape)
            dbias = param_g.reshape(lay.param_shape) if formula.shift else None
        else:
            raw_g, raw_z = raw
            per_group_x_hat = (scale3 * raw_z + shift3 * raw_g).reshape(lay.stat_shape)
            dweight, dbias = _param_gradients(
                lay, formula, raw_g.reshape(lay.stat_shape), per_group_x_hat
            )
        if not (np.isfinite(dweight).all() and (dbias is None or np.isfinite(dbias).all())):
            raise InputError(DY_NOT_FINITE)
    mean_dyhat, projection = (np.reshape(a, lay.stat_shape) for a in saved["means"])
    return _gradients(inputs, dx, dweight, dbias, mean, var, scale, mean_dyhat, projection)


def _fast_gradients(inputs, view, g, mean, var, scale, shift, rho, kappa, split) -> Gradients:
    """:class:`Gradients` by :func:`_fast_backward` (see :func:`normalize_backward`)."""
    lay, formula, gamma = inputs.layout, inputs.formula, inputs.gamma
    with np.errstate(over="ignore", invalid="ignore"):
        dx, sum_g, sum_g_x_hat, mean_dyhat, mean_projection = _fast_backward(
            view, g, lay, formula, gamma, scale, shift, rho, kappa, split
        )
    # A NaN or infinity in dy shows in its rows' sums (checked here, not cell by cell).
    if not (np.isfinite(sum_g).all() and np.isfinite(sum_g_x_hat).all()):
        raise InputError(DY_NOT_FINITE)
    dweight, dbias = _param_gradients(lay, formula, sum_g, sum_g_x_hat)
    return _gradients(inputs, dx, dweight, dbias, mean, var, scale, mean_dyhat, mean_projection)


# --------------------------------------------------------------------------------------------
# One output cell: the Jacobian row; and central differences.


def _cell_index(index, shape: tuple) -> tuple:
    """``index`` checked as one cell of a tensor of ``shape``; InputError otherwise."""
    try:
        index = tuple(int(i) for i in index)
    except (TypeError, ValueError):
        raise InputError(f"A cell index is a tuple of integers, not {index!r}.") from None
    if len(index) != len(shape) or any(not 0 <= i < n for i, n in zip(index, shape)):
        raise InputError(f"Cell {index} is not a cell of a tensor of shape {tuple(shape)}.")
    return index


@dataclass(frozen=True)
class _Group:
    """One cell's group, float64: its values, statistics and coefficients on the view."""

    where: tuple  # index of the group's cells into the view (ints at kept axes)
    position: tuple  # the cell's position within ``view[where]``
    values: np.ndarray
    mean: float
    var: float
    scale: float
    shift: float
    rho: float
    kappa: float


def _group_coefficients(values: np.ndarray, eps: float, formula: Formula):
    """scale and shift (x̂ = x·scale + shift) of one group's float64 values, and its (μ, σ²),
    each as a (1,)-array: the shared kernels work in place on arrays."""
    mean = values.mean()
    var = np.square(values - mean).mean()
    stats = np.array([mean]), np.array([var])
    scale, shift = scale_shift(*stats, eps, formula)
    return scale, shift, stats


def _group_of(lay: Layout, view: np.ndarray, index: tuple, eps: float, formula: Formula) -> _Group:
    flat = np.ravel_multi_index(index, lay.shape)
    view_index = np.unravel_index(flat, lay.view_shape)
    label = int(lay.labels()[index])
    where = group_index(lay, label)
    position = tuple(int(view_index[a]) for a in lay.reduced_axes)
    values = np.array(view[where], dtype=np.float64)  # 0-d where every axis is kept
    scale, shift, stats = _group_coefficients(values, eps, formula)
    mean, var = stats[0][0], stats[1][0]
    rho, kappa = _coupling(formula, *stats, scale)
    return _Group(where, position, values, mean, var, scale[0], shift[0], rho[0], kappa[0])


@dataclass(frozen=True)
class JacobianRow:
    """One output cell's row of the Jacobian, with the numbers of its closed form.

    Attributes
    ----------
    index : tuple of int
        The output cell i.
    row : ndarray of float64, shape of x
        ∂y_i/∂x_j for every input cell j: γ_i/d · (δ_ij − c/m′ − x̂_i · t_j/m′) on i's group, 0
        elsewhere.
    group : int
        i's group label (:func:`bnviz.group_labels`).
    group_size : int
        m′.
    mean, var, divisor : float
        The group's μ, σ² and d (0: x̂ is 0 whatever x, and so is the row).
    x_hat : float
        x̂_i.
    gamma : float
        γ_i (1 where no γ is given).
    rho, kappa : float
        t_j = ρ · x̂_j + κ for every j of the group (module docstring).
    formula : Formula
    eps : float
    """

    index: tuple
    row: np.ndarray
    group: int
    group_size: int
    mean: float
    var: float
    divisor: float
    x_hat: float
    gamma: float
    rho: float
    kappa: float
    formula: Formula
    eps: float

    @property
    def own(self) -> float:
        """∂y_i/∂x_i, the cell's own entry."""
        return float(self.row[self.index])

    def x_hat_of(self, value: float) -> float:
        """x̂ of an input value of the group: (x − c·μ)/d (0 where d = 0)."""
        if self.divisor == 0:
            return 0.0
        return (value - (self.mean if self.formula.centre else 0.0)) / self.divisor


def jacobian_row(x, scheme: str | Scheme, index, *, eps=None, weight=None, **params) -> JacobianRow:
    """:func:`jacobian` with the numbers of its closed form (group statistics, x̂_i, γ_i, t)."""
    inputs = _inputs(x, None, scheme, eps, weight, params)
    lay = inputs.layout
    index = _cell_index(index, lay.shape)
    view = inputs.x.reshape(lay.view_shape)
    group = _group_of(lay, view, index, inputs.eps, inputs.formula)
    m = lay.group_size
    x_hat = group.values * group.scale + group.shift
    t = group.rho * x_hat + group.kappa
    gamma_i = 1.0
    if inputs.gamma is not None:
        flat = np.ravel_multi_index(index, lay.shape)
        view_index = np.unravel_index(flat, lay.view_shape)
        gamma_i = float(np.broadcast_to(inputs.gamma, lay.view_shape)[view_index])
    centre = 1.0 if inputs.formula.centre else 0.0
    row = np.asarray(-(centre + x_hat[group.position] * t) / m)  # 0-d for a one-cell group
    row[group.position] += 1.0
    out = np.zeros(lay.view_shape)
    out[group.where] = gamma_i * group.scale * row
    return JacobianRow(
        index=index,
        row=out.reshape(lay.shape),
        group=int(lay.labels()[index]),
        group_size=m,
        mean=float(group.mean),
        var=float(group.var),
        divisor=float(1 / group.scale) if group.scale > 0 else 0.0,
        x_hat=float(x_hat[group.position]),
        gamma=gamma_i,
        rho=float(group.rho),
        kappa=float(group.kappa),
        formula=inputs.formula,
        eps=inputs.eps,
    )


def jacobian(x, scheme: str | Scheme, index, *, eps=None, weight=None, **params) -> np.ndarray:
    """∂y[index]/∂x: how one output cell depends on every input cell, in closed form.

    Parameters
    ----------
    x : array_like of shape (N, C), (N, C, L) or (N, C, H, W)
    scheme : str
        A scheme id (``bnviz.SCHEMES``).
    index : tuple of int
        The output cell, one index per axis of x.
    eps, weight, **params
        As in :func:`normalize_backward`.

    Returns
    -------
    ndarray of float64, shape of x
        0 outside the cell's group; on it, γ_i/d · (δ_ij − c/m′ − x̂_i · t_j/m′) (module
        docstring): (1 − 1/m′ − x̂_i²/m′)·γ/s at the cell itself and −(1 + x̂_i x̂_j)/m′·γ/s at
        the others for PyTorch's layers.  Equal to ``normalize_backward(x, e_i, ...).dx`` with
        e_i the one-hot dy of the cell.  :func:`jacobian_row` also returns the numbers.
    """
    return jacobian_row(x, scheme, index, eps=eps, weight=weight, **params).row


def finite_differences(
    x, dy, scheme: str | Scheme, cells, *, eps=None, weight=None, step: float = 1e-5, **params
) -> np.ndarray:
    """Central differences of l = Σ dy · y at ``cells``, in float64: the closed form's check.

    Parameters
    ----------
    x, dy : array_like of the same shape
    scheme : str
    cells : sequence of tuple of int
        The input cells to perturb.
    eps, weight, **params
        As in :func:`normalize_backward`.
    step : float
        The perturbation as a fraction of the cell's group divisor d: h = step · d (x̂ moves by
        about ``step``).

    Returns
    -------
    ndarray of float64, shape (len(cells),)
        (l(x + h e_j) − l(x − h e_j)) / 2h for each cell j.  Only the cell's group changes, so
        only its outputs are recomputed, and the difference is taken output by output before
        summing.  NaN for a cell whose group has divisor 0 (ε = 0 and no spread: x̂ jumps there).
    """
    if not (isinstance(step, (int, float)) and math.isfinite(step) and step > 0):
        raise InputError(f"step must be a positive number; got {step!r}.")
    inputs = _inputs(x, dy, scheme, eps, weight, params)
    lay, formula = inputs.layout, inputs.formula
    view = inputs.x.reshape(lay.view_shape)
    dy_view = inputs.dy.astype(np.float64).reshape(lay.view_shape)
    gamma = np.broadcast_to(inputs.gamma, lay.view_shape) if inputs.gamma is not None else None
    out = np.empty(len(cells))
    for k, cell in enumerate(cells):
        index = _cell_index(cell, lay.shape)
        group = _group_of(lay, view, index, inputs.eps, formula)
        if group.scale == 0:
            out[k] = np.nan
            continue
        weights = dy_view[group.where] * (gamma[group.where] if gamma is not None else 1.0)
        h = step / group.scale
        x_hats = []
        for sign in (1.0, -1.0):
            values = group.values.copy()
            values[group.position] += sign * h
            scale, shift, _ = _group_coefficients(values, inputs.eps, formula)
            x_hats.append(values * scale[0] + shift[0])
        out[k] = float(np.sum(weights * (x_hats[0] - x_hats[1]))) / (2 * h)
    return out
