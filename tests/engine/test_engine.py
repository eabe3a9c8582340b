"""The engine on hand-computed cases, its error messages, and its accuracy on awkward data."""

import numpy as np
import pytest

import bnviz
from bnviz import InputError

# A (2, 2, 1, 2) tensor small enough to do by hand:
#   sample 0: channel 0 = [1, 3], channel 1 = [10, 30]
#   sample 1: channel 0 = [5, 7], channel 1 = [50, 70]
X = np.array([[[[1, 3]], [[10, 30]]], [[[5, 7]], [[50, 70]]]], dtype=np.float64)


def test_batch_hand_computed():
    out = bnviz.normalize(X, "batch", eps=0.0)
    # channel 0: values 1, 3, 5, 7 -> mean 4, biased var (9 + 1 + 1 + 9) / 4 = 5
    # channel 1: values 10, 30, 50, 70 -> mean 40, var (900 + 100 + 100 + 900) / 4 = 500
    assert out.mean.shape == (1, 2, 1, 1)
    np.testing.assert_allclose(out.mean.ravel(), [4, 40])
    np.testing.assert_allclose(out.var.ravel(), [5, 500])
    np.testing.assert_allclose(out.y[:, 0].ravel(), np.array([-3, -1, 1, 3]) / np.sqrt(5))


def test_instance_layer_pixel_location_tensor_hand_computed():
    inst = bnviz.normalize(X, "instance", eps=0.0)
    np.testing.assert_allclose(inst.mean.reshape(2, 2), [[2, 20], [6, 60]])
    np.testing.assert_allclose(inst.var.reshape(2, 2), [[1, 100], [1, 100]])

    layer = bnviz.normalize(X, "layer", eps=0.0)
    assert layer.mean.shape == (2, 1, 1, 1)
    np.testing.assert_allclose(layer.mean.ravel(), [11, 33])  # (1+3+10+30)/4, (5+7+50+70)/4

    pixel = bnviz.normalize(X, "batch-pixel", eps=0.0)
    assert pixel.mean.shape == (1, 2, 1, 2)
    np.testing.assert_allclose(pixel.mean.reshape(2, 2), [[3, 5], [30, 50]])
    np.testing.assert_allclose(pixel.var.reshape(2, 2), [[4, 4], [400, 400]])

    location = bnviz.normalize(X, "batch-location", eps=0.0)
    assert location.mean.shape == (1, 1, 1, 2)
    np.testing.assert_allclose(
        location.mean.ravel(), [(1 + 10 + 5 + 50) / 4, (3 + 30 + 7 + 70) / 4]
    )

    whole = bnviz.normalize(X, "tensor", eps=0.0)
    assert whole.mean.shape == (1, 1, 1, 1)
    np.testing.assert_allclose(whole.mean, X.mean())
    np.testing.assert_allclose(whole.var, X.var())


def test_group_statistics_repeat_per_channel():
    x = np.arange(2 * 4 * 1 * 1, dtype=float).reshape(2, 4, 1, 1)
    out = bnviz.normalize(x, "group", num_groups=2, eps=0.0)
    # sample 0: groups {0, 1} and {2, 3} -> means 0.5, 2.5, each var 0.25
    assert out.mean.shape == (2, 4, 1, 1)
    np.testing.assert_allclose(out.mean[0].ravel(), [0.5, 0.5, 2.5, 2.5])
    np.testing.assert_allclose(out.var[0].ravel(), [0.25] * 4)
    np.testing.assert_allclose(out.y[0].ravel(), [-1, 1, -1, 1])


def test_eps_inside_square_root_and_affine():
    gamma, beta = np.array([2.0, 3.0]), np.array([0.5, -1.0])
    out = bnviz.normalize(X, "batch", eps=1.0, weight=gamma, bias=beta)
    # channel 0: mean 4, var 5 -> x_hat = (x - 4) / sqrt(6)
    expected = 2.0 * (np.array([1, 3, 5, 7]) - 4) / np.sqrt(6) + 0.5
    np.testing.assert_allclose(np.sort(out.y[:, 0].ravel()), expected)
    np.testing.assert_allclose(out.std.ravel(), np.sqrt([6, 501]))


def test_labels_hand_computed():
    labels = bnviz.group_labels((2, 4, 1, 2), "group", num_groups=2)
    assert labels[0, :, 0, 0].tolist() == [0, 0, 1, 1]
    assert labels[1, :, 0, 1].tolist() == [2, 2, 3, 3]
    assert bnviz.group_labels((2, 3, 2, 2), "batch")[:, 1].ravel().tolist() == [1] * 8
    assert np.unique(bnviz.group_labels((2, 3, 2, 2), "batch-pixel")).size == 12
    assert np.unique(bnviz.group_labels((2, 3, 2, 2), "tensor")).tolist() == [0]


def test_question_one_numbers():
    """Ten 5x5 feature maps, a mini-batch of 20: 10 pairs, each over 20 * 5 * 5 = 500 values."""
    d = bnviz.describe((20, 10, 5, 5), "batch")
    assert (d.groups, d.group_size, d.param_shape, d.param_count) == (10, 500, (10,), 10)
    assert d.group_factors == (("N", 20), ("H", 5), ("W", 5))
    assert d.factors_text == "20 × 5 × 5 = 500"
    assert d.summary == (
        "Batch norm (per channel): 10 means and 10 variances, each over 20 × 5 × 5 = 500 values; "
        "γ and β have 10 entries each."
    )


@pytest.mark.parametrize(
    ("scheme", "params", "param_shape", "groups"),
    [
        ("batch", {}, (3,), 3),
        ("batch-pixel", {}, (3, 6, 6), 108),
        ("batch-location", {}, (6, 6), 36),
        ("layer", {}, (3, 6, 6), 4),
        ("instance", {}, (3,), 12),
        ("group", {"num_groups": 3}, (3,), 12),
        ("tensor", {}, (), 1),
    ],
)
def test_describe_counts(scheme, params, param_shape, groups):
    d = bnviz.describe((4, 3, 6, 6), scheme, **params)
    assert d.param_shape == param_shape
    assert d.groups == groups
    assert d.groups * d.group_size == 4 * 3 * 6 * 6
    # Batch-sharing schemes keep running statistics, as the BatchNorm module of their recipe
    # holds them: one vector of as many entries as γ.
    shares_batch = scheme.startswith("batch") or scheme == "tensor"
    assert d.running_stats_shape == ((d.param_count,) if shares_batch else None)


def test_rank_two_and_three_inputs():
    x2 = np.random.default_rng(1).normal(size=(8, 3))
    out2 = bnviz.normalize(x2, "batch")
    assert out2.mean.shape == (1, 3)
    np.testing.assert_allclose(out2.mean.ravel(), x2.mean(axis=0))
    assert bnviz.describe((8, 3), "batch").group_factors == (("N", 8),)

    x3 = np.random.default_rng(2).normal(size=(4, 3, 7)).astype(np.float32)
    out3 = bnviz.normalize(x3, "instance")
    assert out3.y.shape == x3.shape and out3.mean.shape == (4, 3, 1)
    assert bnviz.describe(x3.shape, "layer").param_shape == (3, 7)
    assert bnviz.describe(x3.shape, "batch").group_factors == (("N", 4), ("L", 7))


def test_single_value_groups_give_bias():
    x = np.random.default_rng(3).normal(size=(1, 2, 2, 2))
    beta = np.arange(8.0).reshape(2, 2, 2)
    out = bnviz.normalize(x, "batch-pixel", bias=beta)
    np.testing.assert_array_equal(out.y[0], beta)
    assert np.all(out.var == 0)
    assert any("single value" in s for s in bnviz.describe(x.shape, "batch-pixel").sentences)


def test_constant_group_with_zero_eps_is_zero_not_nan():
    out = bnviz.normalize(np.ones((2, 2, 2, 2)), "batch", eps=0.0)
    assert np.all(out.y == 0)


def test_dtype_kept_and_ints_promoted():
    x = np.arange(16, dtype=np.float32).reshape(2, 2, 2, 2)
    assert bnviz.normalize(x, "batch").y.dtype == np.float32
    assert bnviz.normalize(x.astype(np.float16), "batch").y.dtype == np.float16
    assert bnviz.normalize(x.astype(int), "batch").y.dtype == np.float64


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: bnviz.normalize(np.ones((2, 3, 2, 2)), "bogus"), "Unknown scheme 'bogus'"),
        (lambda: bnviz.normalize(np.ones((2, 3, 2, 2)), "group", num_groups=2), "must divide"),
        (lambda: bnviz.normalize(np.ones((2, 3, 2, 2)), "group"), "needs num_groups"),
        (
            lambda: bnviz.normalize(np.ones((2, 3, 2, 2)), "batch", num_groups=3),
            "takes no parameter",
        ),
        (lambda: bnviz.normalize(np.ones((2, 0, 2, 2)), "batch"), "at least one cell"),
        (lambda: bnviz.normalize(np.ones((2,)), "batch"), "rank"),
        (lambda: bnviz.normalize(np.ones((2, 2, 2, 2, 2)), "batch"), "rank"),
        (lambda: bnviz.normalize(np.full((2, 2, 2, 2), np.nan), "batch"), "NaN"),
        (lambda: bnviz.normalize(np.array([[1.0, np.inf]]), "layer"), "infinite"),
        (lambda: bnviz.normalize(np.ones((2, 3, 2, 2)), "batch", eps=-1), "eps"),
        (
            lambda: bnviz.normalize(np.ones((2, 3, 2, 2)), "batch", weight=np.ones(4)),
            r"shape \(3,\)",
        ),
        (lambda: bnviz.normalize(np.array([["a"]]), "batch"), "real numbers"),
        (lambda: bnviz.describe((2, 3, 2, 2), "group", num_groups=0), "G must divide C"),
        (lambda: bnviz.group_labels("abc", "batch"), "integers"),
    ],
)
def test_input_errors(call, message):
    with pytest.raises(InputError, match=message):
        call()


def test_input_error_is_a_value_error():
    assert issubclass(InputError, ValueError)


@pytest.mark.parametrize("scheme", [s for s in bnviz.SCHEMES if s != "group"] + ["group"])
def test_accuracy_on_large_offset_and_mixed_scales(scheme):
    """x = 1000 + noise with channels on wildly different scales: errors stay at float32 rounding."""
    rng = np.random.default_rng(4)
    scales = np.array([1e-3, 1.0, 1e3, 10.0])[None, :, None, None]
    x64 = 1000.0 + scales * rng.normal(size=(8, 4, 9, 9))
    x32 = x64.astype(np.float32)
    params = {"num_groups": 4} if scheme == "group" else {}
    out = bnviz.normalize(x32, scheme, eps=1e-5, **params)
    # Reference: float64 maths on the float32 input, written out longhand.
    lay = bnviz.layout(x32.shape, scheme, **params)
    view = x32.astype(np.float64).reshape(lay.view_shape)
    mean = view.mean(axis=lay.reduced_axes, keepdims=True)
    var = ((view - mean) ** 2).mean(axis=lay.reduced_axes, keepdims=True)
    # The scheme's own convention for eps: inside the root (PyTorch) or on the std (Caffe MVN).
    formula = lay.scheme.formula_for(lay.params)
    if formula.divide == "rms":
        std = np.sqrt((view**2).mean(axis=lay.reduced_axes, keepdims=True) + 1e-5)
        reference = (view / std).reshape(x32.shape)
    else:
        std = np.sqrt(var) + 1e-5 if formula.divide == "std_plus_eps" else np.sqrt(var + 1e-5)
        reference = ((view - mean) / std).reshape(x32.shape)
    # float32 rounding of inputs near 1000 is ~6e-5 absolute; relative to each group's std.
    tolerance = 8 * np.finfo(np.float32).eps * 1000 / std + 1e-6
    error = np.abs(
        out.y.astype(np.float64).reshape(lay.view_shape) - reference.reshape(lay.view_shape)
    )
    assert np.all(
        error
        <= np.broadcast_to(tolerance, error.shape)
        + 2e-6 * np.abs(reference.reshape(lay.view_shape))
    )
    np.testing.assert_allclose(
        out.var.reshape(-1),
        np.broadcast_to(lay.expand_stat(var), out.var.shape).reshape(-1),
        rtol=1e-5,
    )
