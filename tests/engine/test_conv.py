"""conv2d against a naive loop and PyTorch; the shape arithmetic; the filter bank."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bnviz
from bnviz import InputError
from bnviz.engine.conv import (
    FILTERS,
    NAMED_SIZES,
    conv2d,
    filter_kernel,
    make_filter_bank,
    output_shape,
    output_size,
    random_filters,
    same_padding,
    shape_arithmetic,
)


def naive_conv2d(x, weight, bias=None, stride=(1, 1), pads=((0, 0), (0, 0))):
    """The definition, one output cell at a time, in float64."""
    n, c_in, h, w = x.shape
    c_out, _, kh, kw = weight.shape
    (top, bottom), (left, right) = pads
    padded = np.zeros((n, c_in, h + top + bottom, w + left + right))
    padded[:, :, top : top + h, left : left + w] = x
    out_h = (padded.shape[2] - kh) // stride[0] + 1
    out_w = (padded.shape[3] - kw) // stride[1] + 1
    out = np.zeros((n, c_out, out_h, out_w))
    for b in range(n):
        for o in range(c_out):
            for i in range(out_h):
                for j in range(out_w):
                    patch = padded[
                        b, :, i * stride[0] : i * stride[0] + kh, j * stride[1] : j * stride[1] + kw
                    ]
                    out[b, o, i, j] = np.sum(patch * weight[o]) + (0.0 if bias is None else bias[o])
    return out


@st.composite
def conv_cases(draw):
    n, c_in, c_out = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    pad_h, pad_w = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    # The input must hold the kernel once padded.
    h = draw(st.integers(max(1, kh - 2 * pad_h), 8))
    w = draw(st.integers(max(1, kw - 2 * pad_w), 8))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, c_in, h, w))
    weight = rng.normal(size=(c_out, c_in, kh, kw))
    bias = rng.normal(size=c_out) if draw(st.booleans()) else None
    return x, weight, bias, stride, (pad_h, pad_w)


@settings(max_examples=150, deadline=None)
@given(conv_cases())
def test_conv2d_matches_naive_loop(case):
    x, weight, bias, stride, (pad_h, pad_w) = case
    got = conv2d(x, weight, bias, stride=stride, padding=(pad_h, pad_w))
    want = naive_conv2d(x, weight, bias, stride, ((pad_h, pad_h), (pad_w, pad_w)))
    assert got.shape == want.shape
    assert got.shape == output_shape(x.shape, weight.shape, stride=stride, padding=(pad_h, pad_w))
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 9), st.integers(1, 9), st.integers(1, 5), st.integers(1, 5), st.integers(0, 99)
)
def test_same_padding_keeps_size_and_matches_naive(h, w, kh, kw, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(1, 2, h, w))
    weight = rng.normal(size=(3, 2, kh, kw))
    got = conv2d(x, weight, padding="same")
    assert got.shape == (1, 3, h, w)
    np.testing.assert_allclose(
        got, naive_conv2d(x, weight, pads=(same_padding(kh), same_padding(kw))), atol=1e-10
    )


def test_same_padding_puts_the_extra_after():
    assert same_padding(3) == (1, 1)
    assert same_padding(4) == (1, 2)
    assert same_padding(1) == (0, 0)


def test_float32_in_float32_out_and_unbatched():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 10, 12)).astype(np.float32)
    weight = rng.normal(size=(5, 3, 3, 3)).astype(np.float32)
    out = conv2d(x, weight, np.zeros(5, np.float32))
    assert out.dtype == np.float32
    assert out.shape == (5, 8, 10)
    np.testing.assert_allclose(out, conv2d(x[None], weight)[0], rtol=1e-6)
    assert conv2d(x.astype(int), weight.astype(int)).dtype == np.float64


def test_identity_filter_returns_the_input():
    x = np.random.default_rng(1).uniform(size=(2, 1, 6, 7)).astype(np.float32)
    weight = make_filter_bank(["identity"], 1, 5)
    np.testing.assert_array_equal(conv2d(x, weight, padding="same"), x)


def test_course_question_50x50_seven_5x5_filters():
    """A 50 × 50 picture, 7 filters of 5 × 5, no padding: 7 feature maps of 46 × 46."""
    x = np.random.default_rng(0).uniform(size=(1, 1, 50, 50)).astype(np.float32)
    weight = random_filters(7, 1, 5, seed=0)
    assert conv2d(x, weight, padding="valid").shape == (1, 7, 46, 46)
    assert output_size(50, 5) == 46
    assert shape_arithmetic(50, 5) == "50 − 5 + 1 = 46"
    assert shape_arithmetic(50, 5, general=True) == "(50 + 2·0 − 5) / 1 + 1 = 46"
    # A colour version: the kernel spans all 3 channels, still 7 maps.
    assert output_shape((1, 3, 50, 50), (7, 3, 5, 5)) == (1, 7, 46, 46)


@pytest.mark.parametrize(
    ("args", "text", "value"),
    [
        ((50, 3, 1, 1), "50 + 2·1 − 3 + 1 = 50", 50),
        ((50, 5, 2), "⌊(50 − 5) / 2⌋ + 1 = ⌊45 / 2⌋ + 1 = 23", 23),
        ((51, 5, 2), "(51 − 5) / 2 + 1 = 23 + 1 = 24", 24),
        ((32, 3, 2, 1), "⌊(32 + 2·1 − 3) / 2⌋ + 1 = ⌊31 / 2⌋ + 1 = 16", 16),
        ((50, 5, 1, "same"), "50 + 2·2 − 5 + 1 = 50", 50),
        ((50, 4, 1, "same"), "50 + 1 + 2 − 4 + 1 = 50", 50),
        ((50, 5, 1, "valid"), "50 − 5 + 1 = 46", 46),
    ],
)
def test_shape_arithmetic(args, text, value):
    assert shape_arithmetic(*args) == text
    assert output_size(*args) == value
    assert shape_arithmetic(*args, general=True).endswith(f"= {value}")


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: conv2d(np.zeros((1, 3, 8, 8)), np.zeros((2, 1, 3, 3))), "3 channel"),
        (lambda: conv2d(np.zeros((1, 1, 4, 4)), np.zeros((2, 1, 5, 5))), "does not fit"),
        (lambda: conv2d(np.zeros((8, 8)), np.zeros((2, 1, 3, 3))), "x must have shape"),
        (lambda: conv2d(np.zeros((1, 1, 8, 8)), np.zeros((3, 3))), "weight must have shape"),
        (lambda: conv2d(np.zeros((1, 1, 8, 8)), np.zeros((2, 1, 3, 3)), stride=0), "stride"),
        (lambda: conv2d(np.zeros((1, 1, 8, 8)), np.zeros((2, 1, 3, 3)), stride=1.5), "stride"),
        (lambda: conv2d(np.zeros((1, 1, 8, 8)), np.zeros((2, 1, 3, 3)), padding=-1), "padding"),
        (lambda: conv2d(np.zeros((1, 1, 8, 8)), np.zeros((2, 1, 3, 3)), padding="full"), "padding"),
        (
            lambda: conv2d(
                np.zeros((1, 1, 8, 8)), np.zeros((2, 1, 3, 3)), stride=2, padding="same"
            ),
            "stride 1",
        ),
        (lambda: conv2d(np.zeros((1, 1, 8, 8)), np.zeros((2, 1, 3, 3)), bias=np.zeros(3)), "bias"),
        (lambda: conv2d(np.array([["a"]]), np.zeros((2, 1, 3, 3))), "real numbers"),
        (lambda: output_size(4, 7), "does not fit"),
        (lambda: output_size(0, 3), "size"),
        (lambda: filter_kernel("blurry"), "Unknown filter"),
        (lambda: filter_kernel("edge-x", 4), "odd sizes"),
        (lambda: make_filter_bank([], 3), "at least one"),
        (lambda: random_filters(0, 3), "count"),
        (lambda: random_filters(2, 3, 99), "size"),
    ],
)
def test_bad_arguments_raise_input_error(call, match):
    with pytest.raises(InputError, match=match):
        call()


def test_filter_bank_shapes_and_colour_rule():
    bank = make_filter_bank(["edge-x", "edge-y", "gaussian-blur"], in_channels=3, size=5)
    assert bank.shape == (3, 3, 5, 5)
    assert bank.dtype == np.float32
    # Each channel holds kernel / 3: the filter sees the mean of the channels.
    np.testing.assert_allclose(bank[0].sum(axis=0), filter_kernel("edge-x", 5), rtol=1e-6)
    rng = np.random.default_rng(0)
    colour = rng.uniform(size=(1, 3, 12, 12)).astype(np.float32)
    gray = colour.mean(axis=1, keepdims=True)
    np.testing.assert_allclose(
        conv2d(colour, bank),
        conv2d(gray, make_filter_bank(["edge-x", "edge-y", "gaussian-blur"], 1, 5)),
        atol=1e-5,
    )
    assert make_filter_bank("sharpen", 1).shape == (1, 1, 3, 3)
    assert make_filter_bank(7, 3, 4).shape == (7, 3, 4, 4)


@pytest.mark.parametrize("name", list(FILTERS))
@pytest.mark.parametrize("size", NAMED_SIZES[:3])
def test_named_filters_properties(name, size):
    kernel = filter_kernel(name, size)
    assert kernel.shape == (size, size)
    if name in ("edge-x", "edge-y", "laplacian"):
        assert abs(kernel.sum()) < 1e-6  # flat areas give 0
    if name in ("identity", "box-blur", "gaussian-blur", "sharpen", "emboss"):
        assert kernel.sum() == pytest.approx(1.0)  # flat areas keep their value
    if name == "edge-x":
        ramp = np.tile(np.arange(10.0), (10, 1))[None, None]  # brightness rising to the right
        assert (conv2d(ramp, kernel[None, None]) > 0).all()


def test_classic_3x3_kernels():
    np.testing.assert_array_equal(filter_kernel("edge-x"), [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    np.testing.assert_array_equal(filter_kernel("laplacian"), [[0, 1, 0], [1, -4, 1], [0, 1, 0]])
    np.testing.assert_array_equal(filter_kernel("sharpen"), [[0, -1, 0], [-1, 5, -1], [0, -1, 0]])
    np.testing.assert_array_equal(filter_kernel("emboss"), [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]])
    np.testing.assert_array_equal(
        filter_kernel("gaussian-blur") * 16, [[1, 2, 1], [2, 4, 2], [1, 2, 1]]
    )


def test_random_filters_are_seeded_he_normal():
    a = random_filters(64, 8, 5, seed=3)
    np.testing.assert_array_equal(a, random_filters(64, 8, 5, seed=3))
    assert not np.array_equal(a, random_filters(64, 8, 5, seed=4))
    assert a.std() == pytest.approx(np.sqrt(2 / (8 * 25)), rel=0.05)


def test_exported_from_package():
    assert bnviz.conv2d is conv2d
    assert bnviz.FILTERS is FILTERS


@pytest.mark.torch
@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@settings(max_examples=60, deadline=None)
@given(conv_cases(), st.booleans())
def test_conv2d_matches_torch(case, same):
    torch = pytest.importorskip("torch", reason="PyTorch not installed")
    x, weight, bias, stride, padding = case
    if same:
        stride, padding = (1, 1), "same"
    x32, w32 = x.astype(np.float32), weight.astype(np.float32)
    b32 = None if bias is None else bias.astype(np.float32)
    want = torch.nn.functional.conv2d(
        torch.from_numpy(x32),
        torch.from_numpy(w32),
        None if b32 is None else torch.from_numpy(b32),
        stride=stride,
        padding=padding,
    ).numpy()
    got = conv2d(x32, w32, b32, stride=stride, padding=padding)
    assert got.dtype == np.float32
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
