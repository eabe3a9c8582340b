"""Numeric kernels: group means and variances, and the affine map that normalizes.

Conventions (PyTorch's, training mode): the variance is the *biased* one (divide by the group size
m', not m' - 1); statistics are returned in float64 whatever the input dtype.

Accuracy: a one-pass float32 E[x^2] - E[x]^2 is catastrophically wrong on data with a large mean
(see shared/notes).  The kernels here cut each group into *segments* (at most ``SEGMENT``
contiguous values of one group, or ``SEGMENT_ROWS`` rows of a column), take each segment's Σx and
Σx² in one pass (BLAS dot products, float32 partial sums of at most a segment), and keep them only
where the segment is well conditioned: its squared mean at most half its mean square
(κ = mean x² / σ² ≤ 2, :data:`RAW_CANCELLATION`), so Σx² − (Σx)²/n loses at most one bit to
cancellation.  Every other segment (data with an offset, pictures in [0, 1], groups of two or
three values) is summed again centred on its own float32 mean, which is exact whatever rounding
that mean had.  The segments are merged in float64 (Chan et al.'s pairwise update).
``moments_reference`` is the plain two-pass float64 computation they are tested against: to
~1e-12 on float64 input, to float32 rounding on float32 input.

Speed: every scheme is a reduction over some axes of the 5-D view.  Dropping axes of size 1 and
merging neighbours that are both kept or both reduced leaves one of a few patterns,

    rows:     (reduced P, kept K, reduced Q)   e.g. batch norm (N | C | H*W), layer norm (N | C*H*W)
    columns:  (kept Ko, reduced P, kept K)     e.g. per-activation batch norm (N | C*H*W)

(``Q`` or ``P`` may be 1).  Rows reduce along contiguous memory with ``np.vecdot`` (BLAS dot per
row) over the whole array; columns reduce across rows with BLAS matrix-vector products against a
ones vector, in tiles of ``BLOCK_BYTES`` so a tile and its square stay in the L2 cache.  Anything
else (a future scheme keeping, say, N and H only) is transposed into the rows pattern first.
Schemes with many statistics (pixel norm keeps one pair per 3 values on RGB) spend much of their
time on per-statistic float64 work, so that is kept to a few in-place operations and reductions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .schemes import Formula

#: Bytes of x per tile: a tile, its centred copy (statistics) or its output (y) stay in L2.
BLOCK_BYTES = 256 * 1024
#: Most values of one row summed by one BLAS call in the working precision before the partial
#: sums move to float64; keeps float32 accumulation error near sqrt(SEGMENT) * eps.
SEGMENT = 4096
#: The same bound for columns: rows summed per BLAS call.
SEGMENT_ROWS = 256
#: |mean| * scale above which y is computed as (x - mean) * scale + shift instead of
#: x * scale + shift: past it, rounding x * scale in float32 would cost more than one ulp of y.
SHIFT_THRESHOLD = 1.0
#: Columns of at most this many rows (a batch of 16 for batch-pixel, 3 channels for pixel norm on
#: RGB) take whole-array passes, centred: one-pass sums of so few values are often
#: ill-conditioned (κ > 2), and tiles of a few very long rows a multiple of 4 KiB apart thrash
#: the L1 cache (measured 2x slower on (8, 3·224·224)).
FEW_ROWS = 16
#: Dtypes with fast kernels (float16 is computed in float32); others use the reference.
FAST_DTYPES = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))


def moments_reference(x: np.ndarray, reduced_axes: tuple) -> tuple[np.ndarray, np.ndarray]:
    """Mean and biased variance of ``x`` over ``reduced_axes``: two passes in float64.

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
    # Slow (full float64 copies) but exact enough for any float32 input: the yardstick.
    x64 = x.astype(np.float64, copy=False)
    # NaN or inf in x makes its group's statistics non-finite; the caller reports that.
    with np.errstate(invalid="ignore", over="ignore"):
        mean = x64.mean(axis=reduced_axes, keepdims=True)
        deviation = x64 - mean
        var = np.square(deviation, out=deviation).mean(axis=reduced_axes, keepdims=True)
    return mean, var


# --------------------------------------------------------------------------------------------
# Plans: which canonical pattern a (shape, reduced axes) pair is.


@dataclass(frozen=True)
class _Plan:
    """How to compute one (shape, reduced axes) pair.

    ``kind`` is ``"rows"`` (``dims`` = (P, K, Q), reduce axes 0 and 2) or ``"columns"`` (``dims`` =
    (Ko, P, K), reduce axis 1).  ``permutation`` is None when x is used in its own memory order,
    else the axis order (kept axes first) x is transposed into before a rows plan.
    """

    kind: str
    dims: tuple
    permutation: tuple | None = None


def _plan(shape: tuple, reduced_axes: tuple) -> _Plan:
    reduced = {axis % len(shape) for axis in reduced_axes} if shape else set()
    runs = []  # [size, kept] of maximal runs of axes with the same status
    for axis, size in enumerate(shape):
        if size == 1:  # an axis of one value is kept and reduced alike: it cannot break a run
            continue
        kept = axis not in reduced
        if runs and runs[-1][1] == kept:
            runs[-1][0] *= size
        else:
            runs.append([size, kept])
    pattern = "".join("K" if kept else "R" for _, kept in runs)
    sizes = [size for size, _ in runs]
    if pattern in ("", "K"):
        return _Plan("columns", (1, 1, math.prod(sizes)))
    if pattern == "R":
        return _Plan("rows", (1, 1, sizes[0]))
    if pattern == "KR":
        return _Plan("rows", (1, *sizes))
    if pattern == "RKR":
        return _Plan("rows", tuple(sizes))
    if pattern == "RK":
        return _Plan("columns", (1, *sizes))
    if pattern == "KRK":
        return _Plan("columns", tuple(sizes))
    kept_axes = tuple(a for a in range(len(shape)) if a not in reduced)
    reduced_order = tuple(a for a in range(len(shape)) if a in reduced)
    kept_size = math.prod(shape[a] for a in kept_axes)
    return _Plan("rows", (1, kept_size, math.prod(shape) // kept_size), kept_axes + reduced_order)


def _working_dtype(dtype: np.dtype) -> np.dtype:
    """float32 for float16 (no BLAS, too few bits to accumulate) and float32; float64 stays."""
    return np.dtype(np.float64) if dtype == np.float64 else np.dtype(np.float32)


def _canonical(x: np.ndarray, plan: _Plan) -> np.ndarray:
    """``x`` as the plan's contiguous 3-D array in the working dtype (a view when it can be)."""
    work = x.astype(_working_dtype(x.dtype), copy=False)
    if plan.permutation is not None:
        work = work.transpose(plan.permutation)
    return np.ascontiguousarray(work).reshape(plan.dims)


def _block_elements(dtype: np.dtype) -> int:
    return max(1, BLOCK_BYTES // dtype.itemsize)


#: Rows at least this long get a ufunc buffer no longer than a row (:func:`_unbuffered`).
UNBUFFERED_FROM = 512

#: Rows shorter than this are summed by one matrix-vector product (Σ a) or by einsum (Σ a·b)
#: (:func:`_dot_rows`): np.vecdot calls BLAS once per row, which costs more than a short row
#: (measured on 49 values, instance norm on 7 x 7 maps).
SHORT_ROW = 512


def _dot_rows(a: np.ndarray, b: np.ndarray | None = None, out=None) -> np.ndarray:
    """Σ a (``b`` None) or Σ a·b along each row of (M, L) arrays, in their dtype, (M,)."""
    length = a.shape[-1]
    if b is None:
        ones = np.ones(length, dtype=a.dtype)
        if length < SHORT_ROW:
            return np.matmul(a, ones, out=out)
        return np.vecdot(a, ones, out=out)
    if length < SHORT_ROW:
        return np.einsum("ij,ij->i", a, b, out=out)
    return np.vecdot(a, b, out=out)


def _unbuffered(row_length: int) -> None:
    """Shrink NumPy's ufunc buffer to about one row, inside an ``np.errstate`` block.

    A ufunc broadcasting a per-row (or per-column) coefficient over a tile whose rows are shorter
    than the buffer (8192 values) copies the tile through the buffer to lengthen its inner loop:
    measured 2x slower on (r, 784) and (r, 3136) float32 tiles than with the buffer at most a
    row long, which runs each row as one inner loop.  Below ``UNBUFFERED_FROM`` the buffered
    loop is the faster one.  ``np.errstate`` restores the size on exit (NumPy >= 2.0).
    """
    if row_length >= UNBUFFERED_FROM:
        np.setbufsize(min(8192, 16 * -(-row_length // 16)))


# --------------------------------------------------------------------------------------------
# Statistics.


def _segment_length(length: int) -> tuple[int, int]:
    """Split a row of ``length`` values into (segment length, number of full segments).

    Prefers equal segments (a divisor of ``length`` between SEGMENT/4 and SEGMENT), so no row has
    a short tail; otherwise SEGMENT-long segments and a tail of ``length % SEGMENT``.
    """
    if length <= SEGMENT:
        return length, 1
    for count in range(-(-length // SEGMENT), 4 * (-(-length // SEGMENT)) + 1):
        if length % count == 0:
            return length // count, count
    return SEGMENT, length // SEGMENT


def _centred_row_sums(segments: np.ndarray, centres, sums, squares, buffer) -> None:
    """Per-segment centre, sum and sum of squares of the deviations from the centre.

    Parameters
    ----------
    segments : ndarray of shape (A, B, L)
        A * B segments of L contiguous values each (A and B axes may be strided).
    centres, sums, squares : ndarray of shape (A * B,), working dtype
        Filled in: each segment's float32 mean c (only approximate: it just has to be close),
        sum(x - c) and sum((x - c)^2).
    buffer : ndarray, 1-D, working dtype, at least one tile long
    """
    a_count, b_count, length = segments.shape
    dtype = segments.dtype
    mean_weights = np.full(length, 1.0 / length, dtype=dtype)
    ones = np.ones(length, dtype=dtype)
    per_tile = max(1, _block_elements(dtype) // length)
    if b_count == 1:  # tiles are runs of whole rows: (rows, L), rows strided or not
        tiles = (
            (segments[a0 : a0 + per_tile, 0], slice(a0, min(a0 + per_tile, a_count)))
            for a0 in range(0, a_count, per_tile)
        )
    else:  # tiles are runs of segments within one row
        tiles = (
            (
                segments[a, b0 : b0 + per_tile],
                slice(a * b_count + b0, a * b_count + min(b0 + per_tile, b_count)),
            )
            for a in range(a_count)
            for b0 in range(0, b_count, per_tile)
        )
    with np.errstate():
        _unbuffered(length)
        for tile, where in tiles:
            rows = tile.shape[0]
            deviation = buffer[: rows * length].reshape(rows, length)
            centre = np.matmul(tile, mean_weights, out=centres[where])
            np.subtract(tile, centre[:, None], out=deviation)
            np.matmul(deviation, ones, out=sums[where])
            # vecdot is BLAS's dot per row: ~3x faster than einsum's sum of products (measured).
            np.vecdot(deviation, deviation, out=squares[where])


#: A segment's one-pass sums are kept where its squared mean is at most this fraction of its
#: mean square (condition number κ = mean x² / σ² ≤ 1 / (1 − this) = 2: at most one bit lost to
#: the cancellation in Σx² − (Σx)²/n); other segments are summed again centred on their mean.
RAW_CANCELLATION = 0.5


def _raw_row_sums(segments: np.ndarray, centres, sums, squares, buffer) -> None:
    """:func:`_centred_row_sums` in one pass where that is accurate: Σx and Σx² per segment.

    Both sums are BLAS dot products over the whole array (``np.vecdot``, or for short rows one
    matrix-vector product and einsum: :func:`_dot_rows`; one pass over memory each, no Python
    loop).  Where a segment's mean is large against its spread (κ > 2, see
    :data:`RAW_CANCELLATION`), Σx² − (Σx)²/n would cancel, so those segments (data with an
    offset, pictures in [0, 1]) are gathered and summed again centred (:func:`_centred_row_sums`);
    the others get centre 0.  Same parameters as :func:`_centred_row_sums`.
    """
    a_count, b_count, length = segments.shape
    dtype = segments.dtype
    if b_count == 1:  # whole rows (short ones, instance norm on 7 x 7 maps: see _dot_rows)
        matrix = segments.reshape(a_count, length)
        _dot_rows(matrix, out=sums)
        _dot_rows(matrix, matrix, out=squares)
    else:
        shape = (a_count, b_count)
        np.vecdot(segments, np.ones(length, dtype=dtype), out=sums.reshape(shape))
        np.vecdot(segments, segments, out=squares.reshape(shape))
    centres[...] = 0
    s1, s2 = sums.astype(np.float64), squares.astype(np.float64)
    # NaN fails the comparison too: those segments are recomputed (and stay NaN).
    bad = np.flatnonzero(~(s1 * s1 <= RAW_CANCELLATION * length * s2))
    if bad.size:
        values = segments[np.divmod(bad, b_count)][:, None, :]  # a copy: (bad, 1, L)
        redo = np.empty((3, bad.size), dtype=dtype)
        _centred_row_sums(values, *redo, buffer)
        centres[bad], sums[bad], squares[bad] = redo


def all_finite(*arrays) -> bool:
    """Whether every entry of every array is finite, at the cost of one sum per array.

    A NaN or an infinity makes the sum NaN or infinite; a finite sum proves every entry finite.
    Only a non-finite sum (possibly an overflow of finite entries) is checked entry by entry.
    """
    for array in arrays:
        with np.errstate(over="ignore", invalid="ignore"):
            total = np.add.reduce(array, axis=None)
        if not np.isfinite(total) and not np.isfinite(array).all():
            return False
    return True


def _merge(centres, sums, squares, counts, axes) -> tuple[np.ndarray, np.ndarray]:
    """Combine segment statistics into group mean and biased variance, in float64.

    ``centres``, ``sums``, ``squares`` hold each segment's centre c (None: every c is 0),
    sum(x - c) and sum((x - c)^2); ``counts`` (broadcastable to them) its number of values.  A
    group's segments lie along ``axes``.
    """
    axes = (axes,) if isinstance(axes, int) else tuple(axes)
    if all(sums.shape[a] == 1 for a in axes):
        # One segment per group (schemes with many statistics): nothing to merge, and every
        # float64 operation here is one per statistic, so as few as possible, in place.
        inverse = 1.0 / np.asarray(counts, dtype=np.float64)
        mean = np.multiply(sums, inverse, dtype=np.float64)  # mean(x - c)
        var = np.multiply(squares, inverse, dtype=np.float64)
        var -= np.square(mean)
        np.maximum(var, 0.0, out=var)
        if centres is not None:
            mean += centres
        return mean, var
    if centres is None:
        centres = np.zeros((1,) * sums.ndim)
    centres, sums, squares = (a.astype(np.float64) for a in (centres, sums, squares))
    counts = np.asarray(counts, dtype=np.float64)
    residuals = sums / counts  # mean(x - c) of each segment: small where c was taken centred
    segment_means = centres + residuals
    # Within a segment: sum((x - m_s)^2) = sum((x - c)^2) - sum(x - c)^2 / n_s; never negative.
    segment_m2 = np.maximum(squares - sums * residuals, 0.0)
    total = np.sum(np.broadcast_to(counts, segment_means.shape), axis=axes, keepdims=True)
    mean = np.sum(segment_means * counts, axis=axes, keepdims=True) / total
    # Each segment's distance from the group mean as (c - mean) + mean(x - c), not m_s - mean:
    # m_s rounded near a large mean (1e3) loses the digits of a small spread (1e-3) between
    # segments; c - mean is exact (Sterbenz) and the residual is small.  (A rounding error in
    # ``mean`` itself shifts every distance alike and costs only its square.)
    spread = (centres - mean) + residuals
    m2 = np.sum(segment_m2 + counts * spread * spread, axis=axes, keepdims=True)
    return mean, m2 / total


def _row_moments(x3: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Group statistics of the rows pattern.

    Parameters
    ----------
    x3 : ndarray of shape (P, K, Q), contiguous
        K groups, each the P rows of Q values x3[:, k, :].

    Returns
    -------
    mean, var : ndarray of float64, of shape (K,)
    """
    p, k, q = x3.shape
    matrix = x3.reshape(p * k, q)
    length, full = _segment_length(q)
    tail = q - length * full
    families = []  # (segments (A, B, L) view, stats rows, segments per row)
    if tail == 0:
        # Equal segments tile each row exactly: one contiguous (rows * segments, 1, L) family.
        families.append((matrix.reshape(p * k * full, 1, length), full, length))
    else:
        families.append((matrix[:, : full * length].reshape(p * k, full, length), full, length))
        families.append((matrix[:, full * length :].reshape(p * k, 1, tail), 1, tail))
    buffer = np.empty(_block_elements(x3.dtype) + max(length, tail), dtype=x3.dtype)
    parts = []
    for segments, per_row, count in families:
        stats = np.empty((3, p * k * per_row), dtype=x3.dtype)
        _raw_row_sums(segments, *stats, buffer)
        parts.append((stats.reshape(3, p, k, per_row), count))
    centres, sums, squares = (np.concatenate([s[i] for s, _ in parts], axis=-1) for i in range(3))
    counts = np.concatenate([np.full(s.shape[-1], c) for s, c in parts])
    mean, var = _merge(centres, sums, squares, counts, axes=(0, 2))
    return mean.reshape(k), var.reshape(k)


def _column_height(p: int) -> int:
    """Rows per column segment: all P up to SEGMENT_ROWS, else a divisor of P between
    SEGMENT_ROWS/4 and SEGMENT_ROWS (so segments tile the columns exactly), else SEGMENT_ROWS."""
    if p <= SEGMENT_ROWS:
        return p
    for height in range(SEGMENT_ROWS, SEGMENT_ROWS // 4 - 1, -1):
        if p % height == 0:
            return height
    return SEGMENT_ROWS


#: Rows per tile where a segment is wider than a tile: rows of a wide matrix often lie a multiple
#: of 4 KiB apart, and an element-wise pass over more than ~8 of them thrashes the L1 cache
#: (measured 2x slower at 32 rows).
WIDE_TILE_ROWS = 8


def _column_sum_tiles(stack: np.ndarray):
    """Tiles of a (M, R, K) stack of column segments, ~BLOCK_BYTES each: (index, rows, view).

    Narrow segments (R * K within a block) come several at a time, ``stack[m0:m1]``; wide ones
    in runs of columns of at most WIDE_TILE_ROWS rows, ``stack[m, r0:r1, k0:k1]``, whose sums
    add up into their segment's.
    """
    m_count, r, k = stack.shape
    block = _block_elements(stack.dtype)
    if r * k <= block:
        per = max(1, block // (r * k))
        for m0 in range(0, m_count, per):
            yield (slice(m0, m0 + per), slice(None)), slice(None), stack[m0 : m0 + per]
    else:
        height = min(r, WIDE_TILE_ROWS)
        columns = max(256, block // height)
        for m in range(m_count):
            for k0 in range(0, k, columns):
                for r0 in range(0, r, height):
                    rows = slice(r0, r0 + height)
                    yield (m, slice(k0, k0 + columns)), rows, stack[m, rows, k0 : k0 + columns]


def _column_segment_sums(stack: np.ndarray):
    """Per column of each segment: Σx and Σx², in the working dtype (one pass).

    BLAS matrix-vector products against a ones vector, the square of a tile in a cache-sized
    buffer.

    Parameters
    ----------
    stack : ndarray of shape (M, R, K)
        M segments of R rows; a group's segment is one column of one of them.

    Returns
    -------
    centres, sums, squares : ndarray of shape (M, K)
        ``centres`` all 0 (for :func:`_merge`'s contract).
    """
    m_count, r, k = stack.shape
    dtype = stack.dtype
    stats = np.zeros((3, m_count, k), dtype=dtype)
    centres, sums, squares = stats
    ones = np.ones(r, dtype=dtype)
    buffer = np.empty(_block_elements(dtype) + r * 256, dtype=dtype)
    with np.errstate():
        _unbuffered(min(k, _block_elements(dtype) // min(r, WIDE_TILE_ROWS)))
        for index, rows, tile in _column_sum_tiles(stack):
            work = buffer[: tile.size].reshape(tile.shape)
            height = tile.shape[-2]
            if rows == slice(None):  # whole segments: the sums are theirs
                np.matmul(ones[:height], tile, out=sums[index])
                np.multiply(tile, tile, out=work)
                np.matmul(ones[:height], work, out=squares[index])
            else:  # part of a segment's rows: added to its sums
                sums[index] += ones[:height] @ tile
                np.multiply(tile, tile, out=work)
                squares[index] += ones[:height] @ work
    return centres, sums, squares


def _column_moments(x3: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Group statistics of the columns pattern.

    Each column is cut into segments of R rows (:func:`_column_height`); a segment's Σx and Σx²
    are taken in one pass where that is accurate (κ ≤ 2, as :func:`_raw_row_sums`), the
    segments where it is not are summed again centred on their float32 mean; all merged in
    float64.

    Parameters
    ----------
    x3 : ndarray of shape (Ko, P, K), contiguous
        Ko * K groups, each the P values x3[o, :, k] of one column.

    Returns
    -------
    mean, var : ndarray of float64, of shape (Ko * K,)
    """
    outer, p, k = x3.shape
    if p == 1:  # every group is one value: its own mean, variance 0
        mean = x3.reshape(-1).astype(np.float64)
        return mean, np.zeros_like(mean)
    if p <= FEW_ROWS:
        return _few_row_moments(x3)
    height = _column_height(p)
    full = p // height
    families = [x3[:, : full * height].reshape(outer, full, height, k)]
    if full * height < p:
        families.append(x3[:, full * height :].reshape(outer, 1, p - full * height, k))
    parts = []
    for family in families:
        o, segments, r, _ = family.shape
        # (Ko, S, R, K) as one stack of Ko * S segments when that is a view, else per sample.
        stacks = (
            [family.reshape(o * segments, r, k)]
            if len(families) == 1
            else [family[i] for i in range(o)]
        )
        results = [_column_segment_sums(stack) for stack in stacks]
        centres, sums, squares = (
            np.concatenate([result[i] for result in results]).reshape(o, segments, k)
            for i in range(3)
        )
        # In the working dtype (one operation per statistic counts here); NaN fails the test
        # too, so its segment is recomputed (and stays NaN).
        bad = ~(np.square(sums) <= np.multiply(squares, RAW_CANCELLATION * r))
        segment, column = np.nonzero(bad.reshape(-1, k))  # (o * S + s, k) of each bad column
        if segment.size:
            # Only the bad columns of each segment, gathered: (bad, R) values, centred.
            values = family[segment // segments, segment % segments, :, column]
            centre = np.add.reduce(values, axis=1) * values.dtype.type(1 / r)
            values -= centre[:, None]
            index = (segment, column)
            centres.reshape(-1, k)[index] = centre
            sums.reshape(-1, k)[index] = np.add.reduce(values, axis=1)
            np.multiply(values, values, out=values)
            squares.reshape(-1, k)[index] = np.add.reduce(values, axis=1)
        parts.append((centres if segment.size else None, sums, squares, r))
    sums, squares = (np.concatenate([part[i] for part in parts], axis=1) for i in (1, 2))
    centred = any(part[0] is not None for part in parts)
    centres = (
        np.concatenate(
            [part[0] if part[0] is not None else np.zeros_like(part[1]) for part in parts], axis=1
        )
        if centred
        else None
    )
    counts = np.concatenate([np.full(part[1].shape[1], part[3]) for part in parts])
    mean, var = _merge(centres, sums, squares, counts[None, :, None], axes=1)
    return mean.reshape(-1), var.reshape(-1)


def _few_row_moments(x3: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_column_moments` for at most :data:`FEW_ROWS` rows, in whole-array passes.

    A float32 mean of the few values of each column, then the sums of the deviations from it and
    of their squares (float32, at most FEW_ROWS terms each), corrected in float64:
    var = mean(d^2) - mean(d)^2 with d = x - m, which is exact whatever rounding m had.  With so
    few rows NumPy's own axis reductions beat any tiling done from Python (measured).
    """
    outer, p, k = x3.shape
    centre = np.add.reduce(x3, axis=1)
    centre *= x3.dtype.type(1 / p)
    deviation = x3 - centre[:, None, :]
    sums = np.add.reduce(deviation, axis=1)
    np.multiply(deviation, deviation, out=deviation)
    squares = np.add.reduce(deviation, axis=1)
    mean, var = _merge(centre[:, None], sums[:, None], squares[:, None], p, axes=1)
    return mean.reshape(-1), var.reshape(-1)


def moments(x: np.ndarray, reduced_axes: tuple) -> tuple[np.ndarray, np.ndarray]:
    """Mean and biased variance of ``x`` over ``reduced_axes``, fast and accurate.

    Same contract as :func:`moments_reference`, which it matches to float32 rounding on float32
    input (float64 rounding, ~1e-12, on float64 input), including data with a large mean.

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
    x = np.asarray(x)
    if x.dtype not in FAST_DTYPES or x.size == 0:
        return moments_reference(x, reduced_axes)
    reduced = {axis % x.ndim for axis in reduced_axes}
    stat_shape = tuple(1 if axis in reduced else n for axis, n in enumerate(x.shape))
    plan = _plan(x.shape, tuple(reduced))
    x3 = _canonical(x, plan)
    # NaN/inf propagate into their groups' statistics; overflow is checked for below.
    with np.errstate(invalid="ignore", over="ignore", under="ignore"):
        kernel = _row_moments if plan.kind == "rows" else _column_moments
        mean, var = kernel(x3)
    suspicious = not all_finite(mean, var)
    if x3.dtype == np.float32 and not suspicious and var.size and var.min() < 1e-30:
        # Deviations below ~1e-19 square to float32 zero (or denormals): leave those to float64.
        suspicious = bool(np.any((var > 0) & (var < 1e-30)))
    if suspicious:  # squares overflowed (or x holds NaN/inf): float64 says which
        return moments_reference(x, tuple(reduced))
    return mean.reshape(stat_shape), var.reshape(stat_shape)


# --------------------------------------------------------------------------------------------
# The affine map.


#: PyTorch's formula, x̂ = (x − μ) / √(σ² + ε): the default of :func:`scale_shift`.
PYTORCH_FORMULA = Formula()


def scale_shift(
    mean: np.ndarray, var: np.ndarray, eps: float, formula: Formula = PYTORCH_FORMULA
) -> tuple[np.ndarray, np.ndarray]:
    """The per-group ``scale`` and ``shift`` such that x_hat = x * scale + shift.

    ``formula`` (a scheme's declaration) says what x_hat is: (x - mean) / sqrt(var + eps)
    (PyTorch), (x - mean) / (sqrt(var) + eps) (Caffe MVN), x / sqrt(mean of x² + eps) (RMSNorm,
    pixel norm; the mean of x² is var + mean²), or x - mean.  A group whose denominator is 0 (a
    constant group with eps = 0) gets scale 0, so its x_hat is 0, not NaN.  All float64, of the
    statistics' shape.
    """
    if formula.divide == "none":
        scale = np.ones_like(var)
    else:
        # In place: for batch-pixel the statistics are an eighth of x, so temporaries count.
        if formula.divide == "std_plus_eps":
            denominator = np.sqrt(var)
            denominator += eps
        else:
            denominator = var + eps
            if formula.divide == "rms":
                denominator += mean * mean
            np.sqrt(denominator, out=denominator)
        if eps > 0:  # every denominator is at least ε or √ε: no zero to guard against
            scale = np.reciprocal(denominator, out=denominator)
        else:
            scale = np.zeros_like(denominator)
            np.divide(1.0, denominator, out=scale, where=denominator > 0)
    if not formula.centre:
        return scale, np.zeros_like(scale)
    shift = np.multiply(mean, scale)
    np.negative(shift, out=shift)
    return scale, shift


def affine_reference(x, mean, scale, shift, weight=None, bias=None) -> np.ndarray:
    """y = (x * scale + shift) * weight + bias in float64, rounded once to x's dtype."""
    y = x * scale + shift
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y.astype(x.dtype, copy=False)


def _varies_along(array, axes) -> bool:
    return array is not None and any(array.shape[a] != 1 for a in axes)


def affine(
    x: np.ndarray,
    reduced_axes: tuple,
    mean: np.ndarray,
    scale: np.ndarray,
    shift: np.ndarray,
    weight: np.ndarray | None = None,
    bias: np.ndarray | None = None,
) -> np.ndarray:
    """y = (x * scale + shift) * weight + bias, computed in tiles in x's precision.

    Parameters
    ----------
    x : ndarray of a floating dtype, any shape
    reduced_axes : tuple of int
        The axes the statistics were reduced over.
    mean, scale, shift : ndarray of float64, shape of ``x`` with ``reduced_axes`` set to 1
        Each group's mean (used only to centre x before scaling, for accuracy) and the
        coefficients from :func:`scale_shift`.
    weight, bias : ndarray of float64 broadcastable to ``x``, optional
        gamma and beta; they may vary along reduced axes (layer norm's gamma of shape (C, H, W)).

    Returns
    -------
    y : ndarray, shape and dtype of ``x``
        Accurate to a few ulps of y: where a group's mean is large against its std, x is
        centred on the float32-rounded mean first (exact for values near it) and the rounding
        of that mean is corrected in the shift.
    """
    x = np.asarray(x)
    if x.dtype not in FAST_DTYPES or x.size == 0:
        return affine_reference(x, mean, scale, shift, weight, bias)
    reduced = tuple(sorted({axis % x.ndim for axis in reduced_axes}))
    stat_shape = tuple(1 if axis in reduced else n for axis, n in enumerate(x.shape))
    # gamma and beta constant over each group fold into the group's coefficients; otherwise
    # they are applied per cell after x_hat.
    per_cell = _varies_along(weight, reduced) or _varies_along(bias, reduced)
    factor, offset = scale, shift
    if not per_cell:
        if weight is not None:
            factor, offset = factor * weight, offset * weight
        if bias is not None:
            offset = offset + bias
    factor = np.broadcast_to(factor, stat_shape).reshape(-1)
    offset = np.broadcast_to(offset, stat_shape).reshape(-1)
    work_dtype = _working_dtype(x.dtype)
    centre = np.broadcast_to(mean, stat_shape).reshape(-1).astype(work_dtype)
    # Schemes with many statistics (a pair per 3 values for pixel norm on RGB) spend much of
    # their time here, one operation per statistic: reductions rather than temporaries.
    with np.errstate(invalid="ignore", over="ignore"):
        moved = np.multiply(centre, factor, dtype=np.float64)  # c * f
        shifted = bool(moved.size) and max(moved.max(), -moved.min()) > SHIFT_THRESHOLD
        if shifted:
            # (x - c) * f + (offset + c * f): c is the rounded mean, so x - c is exact near it.
            offset = offset + moved
        factor_w, offset_w = factor.astype(work_dtype), offset.astype(work_dtype)
    lossy = not all_finite(factor_w, offset_w) or (
        np.count_nonzero(factor_w) != np.count_nonzero(factor)
    )
    if lossy:  # coefficients beyond float32's range: do it all in float64
        return affine_reference(x, mean, scale, shift, weight, bias)

    plan = _plan(x.shape, reduced)
    x3 = _canonical(x, plan)
    y3 = np.empty_like(x3)
    # Nothing to add for a scheme that subtracts no mean (RMS, pixel norm) and learns no β.
    if not shifted and not offset_w.any():
        offset_w = None
    coefficients = (centre if shifted else None, factor_w, offset_w)
    if plan.kind == "rows":
        _affine_rows(x3, y3, *coefficients)
    else:
        _affine_columns(x3, y3, *coefficients)

    if plan.permutation is None:
        y = y3.reshape(x.shape)
    else:  # back from kept-axes-first order
        permuted_shape = tuple(x.shape[a] for a in plan.permutation)
        y = np.empty(x.shape, dtype=work_dtype)
        y.transpose(plan.permutation)[...] = y3.reshape(permuted_shape)
    if per_cell:
        if weight is not None:
            np.multiply(y, weight.astype(work_dtype), out=y)
        if bias is not None:
            np.add(y, bias.astype(work_dtype), out=y)
    return y.astype(x.dtype, copy=False)


def _affine_rows(x3, y3, centre, factor, offset) -> None:
    """y = (x - centre) * factor + offset per group k of a (P, K, Q) array; centre may be None."""
    p, k, q = x3.shape
    rows = p * k
    matrix, out = x3.reshape(rows, q), y3.reshape(rows, q)

    def per_row(values):  # one coefficient per row of the (P * K, Q) matrix, as a column
        return None if values is None else np.tile(values, p)[:, None]

    centre, factor, offset = per_row(centre), per_row(factor), per_row(offset)
    block = _block_elements(x3.dtype)
    if q <= block:
        per_tile = max(1, block // q)
        tiles = ((slice(r0, r0 + per_tile), slice(None)) for r0 in range(0, rows, per_tile))
    else:
        tiles = (
            (slice(r, r + 1), slice(q0, q0 + block))
            for r in range(rows)
            for q0 in range(0, q, block)
        )
    with np.errstate():
        _unbuffered(min(q, block))
        for row_slice, column_slice in tiles:
            source, target = matrix[row_slice, column_slice], out[row_slice, column_slice]
            if centre is None:
                np.multiply(source, factor[row_slice], out=target)
            else:
                np.subtract(source, centre[row_slice], out=target)
                np.multiply(target, factor[row_slice], out=target)
            if offset is not None:
                np.add(target, offset[row_slice], out=target)


def _affine_columns(x3, y3, centre, factor, offset) -> None:
    """y = (x - centre) * factor + offset per column group of a (Ko, P, K) array.

    ``centre`` and ``offset`` may be None (no centring; no offset to add).  Tiles are contiguous
    runs of whole rows (or of one row, when a row is longer than a block; or several whole
    (P, K) slabs when one is smaller): a (rows, columns) tile cut across long rows touches rows
    a power-of-two-ish stride apart, which thrashes the cache (measured 2.5x slower on
    (32, 64, 56, 56) batch-pixel).  Narrow columns (K below UNBUFFERED_FROM, e.g. the 49
    locations of a 7 x 7 map) in one slab get their coefficients repeated to a whole tile once,
    so every tile is an operation on same-shaped contiguous arrays.
    """
    outer, p, k = x3.shape
    coefficients = [None if a is None else a.reshape(outer, 1, k) for a in (centre, factor, offset)]
    block = _block_elements(x3.dtype)
    if p * k <= block:  # several whole slabs per tile
        per = max(1, block // (p * k))
        tiles = [(slice(o0, o0 + per), slice(None), slice(None)) for o0 in range(0, outer, per)]
    else:
        rows, columns = (1, block) if k >= block else (max(1, block // k), k)
        tiles = [
            (slice(o, o + 1), slice(p0, p0 + rows), slice(k0, k0 + columns))
            for o in range(outer)
            for p0 in range(0, p, rows)
            for k0 in range(0, k, columns)
        ]
        if outer == 1 and k < UNBUFFERED_FROM and rows > 1:
            coefficients = [
                None if a is None else np.ascontiguousarray(np.broadcast_to(a, (1, rows, k)))
                for a in coefficients
            ]
    with np.errstate():
        _unbuffered(min(k, block))
        for where in tiles:
            source, target = x3[where], y3[where]
            c, f, b = (_coefficient_part(a, where, target.shape[1]) for a in coefficients)
            if c is None:
                np.multiply(source, f, out=target)
            else:
                np.subtract(source, c, out=target)
                np.multiply(target, f, out=target)
            if b is not None:
                np.add(target, b, out=target)


def _coefficient_part(array, where: tuple, rows: int):
    """The part of a (Ko, 1 or R, K) coefficient array (or None) that meets the tile ``where``
    of ``rows`` rows: R > 1 is a coefficient row repeated R times (its first ``rows`` used)."""
    if array is None:
        return None
    part = array[where[0], :, where[2]]
    return part if part.shape[1] == 1 else part[:, :rows]
