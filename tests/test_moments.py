"""The fast tiled kernels (moments, affine) against their float64 references, on every path."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
