"""The fast tiled kernels (moments, affine) against their float64 references, on every path."""

import numpy as np
import pytest
from conftest import scheme_cases
from hypothesis import example, given, settings
from hypothesis import strategies as st

import bnviz
from bnviz.engine import moments as kernels

# Shapes that reach each plan: rows (reduce trailing axes), columns with few rows (FEW_ROWS or
# fewer), columns with many rows, a mix needing a transpose, and a row longer than a block.
CASES = [
    ((4, 3, 6, 6), (0, 2, 3)),  # batch norm: mixed (transpose)
    ((4, 3, 6, 6), (1, 2, 3)),  # layer norm: rows
    ((4, 3, 6, 6), (2, 3)),  # instance norm: rows
    ((8, 300, 7), (0,)),  # batch-pixel, few rows
    ((40, 300, 7), (0,)),  # batch-pixel, many rows (segments of SEGMENT_ROWS)
    ((600, 5, 3), (0, 1)),  # batch-location: columns, more rows than a segment
    ((2, 3, 70_000), (2,)),  # one row longer than a block
    ((3, 1), (0,)),
]


@pytest.mark.parametrize(("shape", "axes"), CASES)
@pytest.mark.parametrize("offset", [0.0, 1000.0])
def test_moments_match_float64_reference(shape, axes, offset):
    rng = np.random.default_rng(1)
    scales = rng.uniform(0.01, 100, size=shape[-1]).astype(np.float32)
    x = (offset + rng.standard_normal(shape, dtype=np.float32) * scales).astype(np.float32)
    mean, var = kernels.moments(x, axes)
    ref_mean, ref_var = kernels.moments_reference(x.astype(np.float64), axes)
    assert mean.shape == ref_mean.shape and mean.dtype == np.float64
    np.testing.assert_allclose(mean, ref_mean, rtol=1e-6, atol=1e-6 * np.abs(ref_var).max() ** 0.5)
    np.testing.assert_allclose(var, ref_var, rtol=2e-5)


@pytest.mark.parametrize(("shape", "axes"), CASES)
def test_affine_matches_reference(shape, axes):
    rng = np.random.default_rng(2)
    x = (500 + rng.standard_normal(shape, dtype=np.float32)).astype(np.float32)
    mean, var = kernels.moments_reference(x.astype(np.float64), axes)
    scale, shift = kernels.scale_shift(mean, var, 1e-5)
    y = kernels.affine(x, axes, mean, scale, shift)
    expected = kernels.affine_reference(x.astype(np.float64), mean, scale, shift)
    assert y.dtype == np.float32 and y.shape == x.shape
    np.testing.assert_allclose(y, expected, atol=5e-5)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.integers(1, 40),
    columns=st.integers(1, 50),
    offset=st.sampled_from([0.0, 1.0, -250.0, 1e4]),
    seed=st.integers(0, 2**16),
)
def test_column_moments_any_height(rows, columns, offset, seed):
    x = (offset + np.random.default_rng(seed).standard_normal((rows, columns))).astype(np.float32)
    mean, var = kernels.moments(x, (0,))
    np.testing.assert_allclose(mean.ravel(), x.astype(np.float64).mean(0), rtol=1e-6, atol=1e-5)
    np.testing.assert_allclose(var.ravel(), x.astype(np.float64).var(0), rtol=1e-4, atol=1e-6)


# --- The one-pass kernels against a float64 two-pass reference, on awkward shapes ----------------

LAYOUTS = {2: [None], 3: [None, "NLD"], 4: [None, "NHWC"]}


def grouped_reference(x: np.ndarray, labels: np.ndarray):
    """Each cell's group mean and biased variance, two passes in float64 over the declared
    groups (``group_labels``): independent of the kernels' plans and segments."""
    x64 = x.astype(np.float64).ravel()
    flat = labels.ravel()
    count = np.bincount(flat)
    mean = np.bincount(flat, x64) / count
    deviation = x64 - mean[flat]
    var = np.bincount(flat, deviation * deviation) / count
    return mean[flat].reshape(x.shape), var[flat].reshape(x.shape)


@st.composite
def awkward_cases(draw):
    shape, scheme, params = draw(
        scheme_cases(channels=st.sampled_from([1, 2, 3, 4, 6]), side=st.integers(1, 24))
    )
    layout = draw(st.sampled_from(LAYOUTS[len(shape)]))
    if layout is not None:  # the same axes, channels last: (N, H, W, C) or (N, L, D)
        shape = (shape[0], *shape[2:], shape[1])
    return shape, layout, scheme, params


@settings(max_examples=1000, deadline=None)
@example(  # a CI failure: segment means near 1e3 lost the 1e-3 spread between them (fixed)
    case=((2, 2, 2), None, "batch", {}),
    dtype=np.float64,
    offset=1e3,
    spread=1e-3,
    eps=0.0,
    seed=0,
)
@given(
    case=awkward_cases(),
    dtype=st.sampled_from([np.float64, np.float32]),
    offset=st.sampled_from([0.0, 0.7, -3.0, 1e3]),
    spread=st.sampled_from([1.0, 1e-3]),
    eps=st.sampled_from([0.0, 1e-5]),
    seed=st.integers(0, 2**16),
)
def test_statistics_match_a_float64_two_pass_reference(case, dtype, offset, spread, eps, seed):
    """normalize's statistics (one-pass sums where κ ≤ 2, centred elsewhere) against the plain
    two-pass float64 computation over the declared groups: C = 1, groups of one value, ranks 2
    and 3, channels-last layouts, ε = 0, large means and tiny spreads."""
    shape, layout, scheme, params = case
    rng = np.random.default_rng(seed)
    x = (offset + spread * rng.standard_normal(shape)).astype(dtype)
    out = bnviz.normalize(x, scheme, layout=layout, eps=eps, **params)
    labels = bnviz.group_labels(shape, scheme, layout=layout, **params)
    mean, var = grouped_reference(x, labels)
    got_mean = np.broadcast_to(out.mean, shape)
    got_var = np.broadcast_to(out.var, shape)
    size = abs(offset) + spread
    if dtype == np.float64:
        np.testing.assert_allclose(got_mean, mean, rtol=1e-12, atol=1e-12 * size)
        np.testing.assert_allclose(got_var, var, rtol=1e-12, atol=1e-13 * spread**2)
    else:  # float32 values, summed in float32 segments: float32 rounding of the statistics
        np.testing.assert_allclose(got_mean, mean, rtol=1e-6, atol=1e-6 * size)
        np.testing.assert_allclose(got_var, var, rtol=2e-5, atol=1e-6 * spread**2)


@pytest.mark.parametrize(
    ("shape", "axes"),
    [
        ((64, 4096), (1,)),  # rows: one segment per row
        ((8, 3, 9000), (2,)),  # rows: several segments per row, with a tail
        ((600, 300), (0,)),  # columns: segments of rows
        ((5, 700, 49), (1,)),  # columns, narrow, several per tile, per sample
    ],
)
def test_one_pass_sums_fall_back_only_where_they_would_cancel(shape, axes):
    """Half the groups far from zero (κ ≫ 2: centred again), half near it (one pass kept): every
    group as accurate as the reference, whichever path it took."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal(shape).astype(np.float32)
    kept = [a for a in range(len(shape)) if a not in axes]
    offsets = np.where(np.arange(shape[kept[-1]]) % 2, 1e4, 0.0)
    index = [None] * len(shape)
    index[kept[-1]] = slice(None)
    x = (x + offsets[tuple(index)]).astype(np.float32)
    mean, var = kernels.moments(x, axes)
    ref_mean, ref_var = kernels.moments_reference(x.astype(np.float64), axes)
    np.testing.assert_allclose(mean, ref_mean, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(var, ref_var, rtol=2e-5)
