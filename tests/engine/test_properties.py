"""Property-based tests over random shapes, schemes and data."""

import numpy as np
import pytest
from conftest import scheme_cases
from hypothesis import given, settings
from hypothesis import strategies as st

import bnviz


def expected_output_variance(scheme_id, params, var, eps):
    """The variance of x_hat for a group of variance ``var``, in the scheme's own convention."""
    formula = bnviz.SCHEMES[scheme_id].formula_for(
        {p.name: params.get(p.name, p.default) for p in bnviz.SCHEMES[scheme_id].params}
    )
    if formula.divide == "none":
        return var  # x_hat = x - mean
    if formula.divide == "std_plus_eps":
        return var / (np.sqrt(var) + eps) ** 2
    if formula.divide == "rms":
        return None  # no mean subtracted: x_hat's variance depends on the group's mean too
    return var / (var + eps)


@st.composite
def tensors(draw):
    shape, scheme, params = draw(scheme_cases())
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    offset = draw(st.sampled_from([0.0, 5.0, -300.0]))
    scale = draw(st.sampled_from([1e-2, 1.0, 50.0]))
    x = offset + scale * rng.normal(size=shape)
    return x, scheme, params


@given(scheme_cases())
@settings(max_examples=150, deadline=None)
def test_labels_partition_the_tensor(case):
    shape, scheme, params = case
    labels = bnviz.group_labels(shape, scheme, **params)
    d = bnviz.describe(shape, scheme, **params)
    assert labels.shape == shape
    # Labels are exactly 0 .. groups-1, each used by group_size cells.
    counts = np.bincount(labels.ravel())
    assert counts.size == d.groups
    assert np.all(counts == d.group_size)
    assert int(np.prod([size for _, size in d.group_factors])) == d.group_size


@given(tensors())
@settings(max_examples=150, deadline=None)
def test_each_group_is_standardized(case):
    x, scheme, params = case
    eps = 1e-5
    out = bnviz.normalize(x, scheme, eps=eps, **params)
    labels = bnviz.group_labels(x.shape, scheme, **params)
    for label in np.unique(labels):
        cells = labels == label
        values, y = x[cells], out.y[cells]
        var = values.var()
        expected = expected_output_variance(scheme, params, var, eps)
        if expected is None:
            # No mean subtracted (RMS): the mean square of x̂ is ms / (ms + ε) instead.
            square = (values**2).mean()
            np.testing.assert_allclose((y**2).mean(), square / (square + eps), rtol=1e-6)
            continue
        assert abs(y.mean()) < 1e-9 * max(1.0, np.abs(x).max()) + 1e-7
        np.testing.assert_allclose(y.var(), expected, rtol=1e-6, atol=1e-9)


@given(tensors())
@settings(max_examples=150, deadline=None)
def test_labels_agree_with_statistics(case):
    """Cells with one label have one (mean, var); cells with different labels were computed apart."""
    x, scheme, params = case
    out = bnviz.normalize(x, scheme, **params)
    labels = bnviz.group_labels(x.shape, scheme, **params)
    mean = np.broadcast_to(out.mean, x.shape)
    var = np.broadcast_to(out.var, x.shape)
    for label in np.unique(labels):
        cells = labels == label
        assert np.ptp(mean[cells]) == 0 and np.ptp(var[cells]) == 0
        np.testing.assert_allclose(mean[cells][0], x[cells].mean(), rtol=1e-12, atol=1e-9)
        np.testing.assert_allclose(var[cells][0], x[cells].var(), rtol=1e-9, atol=1e-9)


@given(tensors(), st.floats(0.1, 3.0), st.floats(-2.0, 2.0))
@settings(max_examples=60, deadline=None)
def test_affine_parameters_scale_and_shift(case, gamma, beta):
    x, scheme, params = case
    d = bnviz.describe(x.shape, scheme, **params)
    if d.param_shape is None:
        return  # the scheme learns no gamma and beta (test_engine checks it refuses them)
    plain = bnviz.normalize(x, scheme, **params).y
    weight = np.full(d.param_shape, gamma)
    if not d.formula.shift:  # a scale γ and no shift β (RMSNorm): a β is refused
        with pytest.raises(bnviz.InputError, match="no learned bias"):
            bnviz.normalize(x, scheme, weight=weight, bias=weight, **params)
        out = bnviz.normalize(x, scheme, weight=weight, **params).y
        np.testing.assert_allclose(out, gamma * plain, rtol=1e-9, atol=1e-9)
        return
    bias = np.full(d.param_shape, beta)
    out = bnviz.normalize(x, scheme, weight=weight, bias=bias, **params).y
    np.testing.assert_allclose(out, gamma * plain + beta, rtol=1e-9, atol=1e-9)
