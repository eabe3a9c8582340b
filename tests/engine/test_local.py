"""The local normalizations before batch norm (LRN, MatConvNet's) and Caffe's MVN.

Checked on hand-computed cases, against PyTorch's local_response_norm, against a per-cell
reference written straight from the formulas, through the equivalences between the schemes, and
(for :func:`bnviz.neighbourhood`) by perturbing cells one at a time.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bnviz
from bnviz import InputError

# One sample, three channels holding 1, 2, 3 at a single location.
CHANNELS_123 = np.array([1.0, 2.0, 3.0]).reshape(1, 3, 1, 1)
# One sample, one channel, one row [1, 2, 3, 4].
ROW_1234 = np.array([1.0, 2.0, 3.0, 4.0]).reshape(1, 1, 1, 4)
# One sample, one channel, the 2 x 2 image [[1, 2], [3, 4]].
SQUARE_1234 = np.array([[1.0, 2.0], [3.0, 4.0]]).reshape(1, 1, 2, 2)


# --- hand-computed cases -------------------------------------------------------------------------


def test_lrn_odd_size_hand_computed():
    # size 3, alpha 3 (so alpha/n = 1), beta 1, k 1: y = x / (1 + sum of squares of c-1 .. c+1).
    y = bnviz.local_normalize(CHANNELS_123, "lrn", size=3, alpha=3.0, beta=1.0, k=1.0)
    # c0: 0 + 1 + 4 = 5 (channel -1 is padding); c1: 1 + 4 + 9 = 14; c2: 4 + 9 + 0 = 13.
    np.testing.assert_allclose(y.ravel(), [1 / 6, 2 / 15, 3 / 14])


def test_lrn_even_size_takes_the_extra_channel_before():
    # size 2 (PyTorch: channels c-1 .. c), alpha 2 (alpha/n = 1), beta 1, k 1.
    y = bnviz.local_normalize(CHANNELS_123, "lrn", size=2, alpha=2.0, beta=1.0, k=1.0)
    # c0: 0 + 1 = 1; c1: 1 + 4 = 5; c2: 4 + 9 = 13.
    np.testing.assert_allclose(y.ravel(), [1 / 2, 2 / 6, 3 / 14])


def test_lrn_divides_by_n_even_at_the_edges():
    # k = 1, alpha = 1, beta = 1, size 5 on the single-channel tensor [2]: 1 + 4/5.
    x = np.array([[2.0]])
    assert bnviz.local_normalize(x, "lrn", size=5, alpha=1.0, beta=1.0)[0, 0] == pytest.approx(
        2 / 1.8
    )


def test_cross_channel_even_depth_takes_the_extra_channel_after():
    # depth 2 (MatConvNet: channels c .. c+1), alpha not divided, kappa 1, beta 1.
    y = bnviz.local_normalize(CHANNELS_123, "cross-channel", depth=2, kappa=1.0, alpha=1.0, beta=1)
    # c0: 1 + 4 = 5; c1: 4 + 9 = 13; c2: 9 (channel 3 does not exist).
    np.testing.assert_allclose(y.ravel(), [1 / 6, 2 / 14, 3 / 10])


def test_cross_channel_odd_depth_and_kappa():
    # depth 3, kappa 2, alpha 0.5, beta 0.5: y = x / sqrt(2 + 0.5 * S).
    y = bnviz.local_normalize(CHANNELS_123, "cross-channel", depth=3, kappa=2, alpha=0.5, beta=0.5)
    np.testing.assert_allclose(
        y.ravel(), [1 / math.sqrt(4.5), 2 / math.sqrt(9), 3 / math.sqrt(8.5)]
    )


def test_lrn_within_hand_computed():
    # size 3, alpha 9 (alpha / n^2 = 1), beta 1: each cell's 3 x 3 window meets the single row at
    # columns w-1 .. w+1; sums 0+1+4, 1+4+9, 4+9+16, 9+16+0.
    y = bnviz.local_normalize(ROW_1234, "lrn-within", size=3, alpha=9.0, beta=1.0)
    np.testing.assert_allclose(y.ravel(), [1 / 6, 2 / 15, 3 / 30, 4 / 26])


def test_spatial_means_over_in_image_cells_only():
    # height 1, width 2: columns w .. w+1; the last column's window has one in-image cell.
    y = bnviz.local_normalize(ROW_1234, "spatial", height=1, width=2, alpha=1.0, beta=1.0)
    np.testing.assert_allclose(y.ravel(), [1 / 3.5, 2 / 7.5, 3 / 13.5, 4 / 17])


def test_spatial_default_window_at_the_corners():
    # Default 2 x 2 window: rows h .. h+1, columns w .. w+1.
    y = bnviz.local_normalize(SQUARE_1234, "spatial", alpha=1.0, beta=1.0)
    # (0,0): all four cells, mean 30/4; (0,1): cells 2 and 4, mean 10; (1,0): 3 and 4, mean 12.5;
    # (1,1): only itself, mean 16.
    np.testing.assert_allclose(y[0, 0], [[1 / 8.5, 2 / 11], [3 / 13.5, 4 / 17]])


def test_spatial_defaults_are_matconvnet_dagnn():
    # param = [2 2 10 2] on a constant image of ones: every mean of x^2 is 1.
    y = bnviz.local_normalize(np.ones((1, 1, 3, 3)), "spatial")
    np.testing.assert_allclose(y, np.full((1, 1, 3, 3), 1 / 11**2))


# --- PyTorch ------------------------------------------------------------------------------------


@pytest.mark.torch
@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 6, 7, 8, 11])
@pytest.mark.parametrize(
    ("alpha", "beta", "k"), [(1e-4, 0.75, 1.0), (0.5, 0.75, 2.0), (3.0, 1.3, 0.5)]
)
@pytest.mark.parametrize("shape", [(3, 7, 5, 4), (2, 6, 9)])
def test_lrn_matches_torch(size, alpha, beta, k, shape):
    torch = pytest.importorskip("torch")
    x = (4 * np.random.default_rng(size).normal(size=shape)).astype(np.float32)
    y = bnviz.local_normalize(x, "lrn", size=size, alpha=alpha, beta=beta, k=k)
    expected = torch.nn.functional.local_response_norm(
        torch.from_numpy(x), size, alpha=alpha, beta=beta, k=k
    ).numpy()
    assert y.dtype == np.float32 and y.shape == x.shape
    np.testing.assert_allclose(y, expected, rtol=4 * np.finfo(np.float32).eps, atol=1e-30)


@pytest.mark.torch
@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 6])
def test_torch_window_found_by_perturbation_is_bnviz_window(size):
    """Derive PyTorch's window from PyTorch itself: which channels move the output of channel c."""
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    channels = 9
    x = torch.linspace(0.7, 1.9, channels, dtype=torch.float64).reshape(1, channels, 1, 1)
    for c in range(channels):
        base = F.local_response_norm(x, size, alpha=1.0, beta=1.0, k=1.0)[0, c]
        moved = []
        for j in range(channels):
            bumped = x.clone()
            bumped[0, j] += 0.37
            if F.local_response_norm(bumped, size, alpha=1.0, beta=1.0, k=1.0)[0, c] != base:
                moved.append(j)
        win = bnviz.window((1, channels, 1, 1), "lrn", (0, c, 0, 0), size=size)
        assert moved == list(range(*win.inside_start, *win.inside_stop))
        # The divisor stays n at the edges: with ones and k ~ 0, y = 1 / (in-tensor cells / n).
        ones = torch.ones_like(x)
        y0 = F.local_response_norm(ones, size, alpha=1.0, beta=1.0, k=1e-300)[0, c].item()
        assert 1 / y0 == pytest.approx(win.inside_cells / win.divisor)
        assert win.divisor == size


# --- a per-cell reference written from the formulas ------------------------------------------------


def reference(x, scheme, **p):
    """Each cell by explicit loops over its window, straight from the issue's formulas."""
    x = np.asarray(x, dtype=np.float64)
    N, C, H, W = x.shape
    y = np.empty_like(x)
    for n, c, h, w in np.ndindex(x.shape):
        if scheme == "lrn":
            s = p["size"]
            lo, hi = c - s // 2, c + (s - 1) // 2
            total = sum(x[n, j, h, w] ** 2 for j in range(lo, hi + 1) if 0 <= j < C)
            base = p["k"] + p["alpha"] / s * total
        elif scheme == "cross-channel":
            s = p["depth"]
            lo = max(0, c - (s - 1) // 2)
            hi = min(C - 1, c + (s - 1 - (s - 1) // 2))
            base = p["kappa"] + p["alpha"] * sum(x[n, j, h, w] ** 2 for j in range(lo, hi + 1))
        elif scheme == "lrn-within":
            s, r = p["size"], (p["size"] - 1) // 2
            total = sum(
                x[n, c, i, j] ** 2
                for i in range(h - r, h + r + 1)
                for j in range(w - r, w + r + 1)
                if 0 <= i < H and 0 <= j < W
            )
            base = 1 + p["alpha"] / s**2 * total
        elif scheme == "spatial":
            ph, pw = p["height"], p["width"]
            rows = [i for i in range(h - (ph - 1) // 2, h - (ph - 1) // 2 + ph) if 0 <= i < H]
            cols = [j for j in range(w - (pw - 1) // 2, w - (pw - 1) // 2 + pw) if 0 <= j < W]
            mean = np.mean([x[n, c, i, j] ** 2 for i in rows for j in cols])
            base = 1 + p["alpha"] * mean
        y[n, c, h, w] = x[n, c, h, w] * base ** (-p["beta"])
    return y


@st.composite
def local_cases(draw, min_side=1):
    scheme = draw(st.sampled_from(list(bnviz.LOCAL_SCHEMES)))
    shape = (
        draw(st.integers(1, 2)),
        draw(st.integers(1, 6)),
        draw(st.integers(min_side, 5)),
        draw(st.integers(min_side, 5)),
    )
    alpha = draw(st.sampled_from([0.0, 1e-4, 0.3, 2.0]))
    beta = draw(st.sampled_from([0.75, 0.5, 1.0, 1.7]))
    if scheme == "lrn":
        p = {"size": draw(st.integers(1, 8)), "k": draw(st.sampled_from([1.0, 2.0, 0.3]))}
    elif scheme == "cross-channel":
        p = {"depth": draw(st.integers(1, 8)), "kappa": draw(st.sampled_from([1.0, 2.0, 0.3]))}
    elif scheme == "lrn-within":
        p = {"size": draw(st.sampled_from([1, 3, 5, 7]))}
    else:
        p = {"height": draw(st.integers(1, 6)), "width": draw(st.integers(1, 6))}
    p.update(alpha=alpha, beta=beta)
    seed = draw(st.integers(0, 2**32 - 1))
    x = draw(st.sampled_from([1.0, 5.0])) * np.random.default_rng(seed).normal(size=shape)
    return x, scheme, p


@given(local_cases())
@settings(max_examples=120, deadline=None)
def test_local_normalize_matches_the_per_cell_reference(case):
    x, scheme, p = case
    np.testing.assert_allclose(
        bnviz.local_normalize(x, scheme, **p), reference(x, scheme, **p), rtol=1e-12, atol=1e-300
    )


@given(local_cases())
@settings(max_examples=80, deadline=None)
def test_local_terms_agree_with_the_vectorised_output(case):
    x, scheme, p = case
    y = bnviz.local_normalize(x, scheme, **p)
    for index in [(0, 0, 0, 0), tuple(n - 1 for n in x.shape), tuple(n // 2 for n in x.shape)]:
        terms = bnviz.local_terms(x, scheme, index, **p)
        assert terms.y == pytest.approx(y[index], rel=1e-12, abs=1e-300)
        assert terms.x == x[index]
        assert terms.window_values.shape == terms.window.shape
        # Padding shows as zeros, the rest are x's values; S is their sum of squares.
        assert np.all(terms.window_values[~terms.window.inside_mask()] == 0)
        assert terms.sum_squares == pytest.approx(np.sum(terms.window_values**2))
        assert terms.base == pytest.approx(
            terms.offset + terms.alpha / terms.divisor * terms.sum_squares
        )
        assert terms.denominator == pytest.approx(terms.base**terms.beta)
        assert terms.latex.startswith("y = ")


def test_local_terms_in_float32_agree_to_float32_rounding():
    x = np.random.default_rng(3).normal(size=(2, 6, 4, 5)).astype(np.float32) * 3
    for scheme in bnviz.LOCAL_SCHEMES:
        y = bnviz.local_normalize(x, scheme)
        for index in np.ndindex(x.shape):
            terms = bnviz.local_terms(x, scheme, index)
            assert terms.y == pytest.approx(float(y[index]), rel=4e-7, abs=1e-30)


def test_local_terms_numbers_for_a_corner():
    terms = bnviz.local_terms(ROW_1234, "lrn-within", (0, 0, 0, 3), size=3, alpha=9.0, beta=1.0)
    assert terms.window.start == (-1, 2) and terms.window.stop == (2, 5)
    assert terms.window.cells == 9 and terms.window.inside_cells == 2
    assert terms.window.padded_cells == 7
    np.testing.assert_array_equal(terms.window_values, [[0, 0, 0], [3, 4, 0], [0, 0, 0]])
    assert (terms.sum_squares, terms.divisor, terms.offset) == (25.0, 9, 1.0)
    assert terms.base == pytest.approx(26.0) and terms.y == pytest.approx(4 / 26)


# --- equivalences ---------------------------------------------------------------------------------

X = np.random.default_rng(7).normal(size=(3, 7, 6, 5)) * 2 + 0.5


@pytest.mark.parametrize("scheme", list(bnviz.LOCAL_SCHEMES))
def test_alpha_zero_divides_by_the_constant_only(scheme):
    # alpha = 0: y = x / k^beta, so the identity for k = 1 (the constant of the spatial schemes).
    np.testing.assert_allclose(bnviz.local_normalize(X, scheme, alpha=0.0), X, rtol=1e-15)
    if scheme == "lrn":
        y = bnviz.local_normalize(X, "lrn", alpha=0.0, k=4.0, beta=0.5)
        np.testing.assert_allclose(y, X / 2)


@pytest.mark.parametrize("size", [1, 3, 5, 7])
def test_cross_channel_with_alpha_over_n_equals_lrn_for_odd_n(size):
    lrn = bnviz.local_normalize(X, "lrn", size=size, alpha=0.8, beta=0.75, k=2.0)
    cross = bnviz.local_normalize(X, "cross-channel", depth=size, alpha=0.8 / size, kappa=2.0)
    np.testing.assert_allclose(cross, lrn, rtol=1e-13)


def test_cross_channel_and_lrn_differ_for_even_n():
    lrn = bnviz.local_normalize(X, "lrn", size=4, alpha=0.8)
    cross = bnviz.local_normalize(X, "cross-channel", depth=4, alpha=0.8 / 4)
    assert not np.allclose(cross, lrn)
    # Reversing the channels swaps the longer side: the two then agree.
    flipped = bnviz.local_normalize(X[:, ::-1], "cross-channel", depth=4, alpha=0.8 / 4)
    np.testing.assert_allclose(flipped[:, ::-1], lrn, rtol=1e-13)


@pytest.mark.parametrize("size", [1, 3, 5])
def test_spatial_equals_lrn_within_away_from_the_borders(size):
    within = bnviz.local_normalize(X, "lrn-within", size=size, alpha=1.5, beta=0.75)
    spatial = bnviz.local_normalize(X, "spatial", height=size, width=size, alpha=1.5, beta=0.75)
    r = (size - 1) // 2
    inner = (slice(None), slice(None), slice(r, X.shape[2] - r), slice(r, X.shape[3] - r))
    np.testing.assert_allclose(spatial[inner], within[inner], rtol=1e-13)
    if size > 1:  # at the borders spatial divides by fewer cells, so it normalizes more strongly
        assert np.all(np.abs(spatial[:, :, 0, 0]) < np.abs(within[:, :, 0, 0]))


def test_rank_three_and_two_equal_rank_four_for_channel_schemes():
    x3 = X[:, :, 0, :]  # (N, C, L)
    x2 = X[:, :, 0, 0]  # (N, C)
    for scheme in ("lrn", "cross-channel"):
        full = bnviz.local_normalize(X, scheme, alpha=0.7)
        np.testing.assert_allclose(bnviz.local_normalize(x3, scheme, alpha=0.7), full[:, :, 0, :])
        np.testing.assert_allclose(bnviz.local_normalize(x2, scheme, alpha=0.7), full[:, :, 0, 0])


def test_presets_run_and_agree():
    presets = bnviz.LOCAL_PRESETS
    assert len(presets) >= 4
    outputs = {}
    for label, preset in presets.items():
        assert preset.scheme in bnviz.LOCAL_SCHEMES and preset.sentence
        outputs[label] = bnviz.local_normalize(X, preset.scheme, **preset.params)
    # MatConvNet's [5 1 0.0001/5 0.75] is PyTorch's defaults in other words.
    np.testing.assert_allclose(
        outputs["MatConvNet DagNN default [5 1 0.0001/5 0.75]"],
        outputs["PyTorch defaults"],
        rtol=1e-13,
    )
    # AlexNet's formula (alpha not divided by n) is cross-channel with kappa 2, alpha 1e-4.
    alexnet = next(v for k, v in outputs.items() if k.startswith("AlexNet"))
    np.testing.assert_allclose(
        alexnet,
        bnviz.local_normalize(X, "cross-channel", depth=5, kappa=2.0, alpha=1e-4, beta=0.75),
        rtol=1e-13,
    )
    # The PyTorch defaults preset is the scheme's own defaults.
    np.testing.assert_allclose(outputs["PyTorch defaults"], bnviz.local_normalize(X, "lrn"))


# --- Caffe MVN: a statistic-sharing scheme -----------------------------------------------------


def mvn_reference(x, axes, eps, normalize_variance=True):
    mean = x.mean(axis=axes, keepdims=True)
    if not normalize_variance:
        return x - mean
    return (x - mean) / (x.std(axis=axes, keepdims=True) + eps)


@pytest.mark.parametrize("across", [False, True])
def test_mvn_formula_with_eps_on_the_standard_deviation(across):
    axes = (1, 2, 3) if across else (2, 3)
    for eps in (1e-9, 0.5):
        out = bnviz.normalize(X, "mvn", across_channels=across, eps=eps)
        np.testing.assert_allclose(out.y, mvn_reference(X, axes, eps), rtol=1e-12)
    default = bnviz.normalize(X, "mvn", across_channels=across)
    assert default.eps == 1e-9
    assert default.mean.shape == ((3, 1, 1, 1) if across else (3, 7, 1, 1))


def test_mvn_without_variance_only_subtracts_the_mean():
    out = bnviz.normalize(X, "mvn", normalize_variance=False)
    np.testing.assert_allclose(out.y, mvn_reference(X, (2, 3), 0.0, normalize_variance=False))


def test_mvn_within_is_instance_and_across_is_layer_up_to_eps():
    np.testing.assert_allclose(
        bnviz.normalize(X, "mvn", eps=0.0).y, bnviz.normalize(X, "instance", eps=0.0).y, rtol=1e-12
    )
    np.testing.assert_allclose(
        bnviz.normalize(X, "mvn", across_channels=True, eps=0.0).y,
        bnviz.normalize(X, "layer", eps=0.0).y,
        rtol=1e-12,
    )
    # With eps they differ, only by where eps goes: sqrt(var) + eps against sqrt(var + eps).
    eps = 0.3
    var = X.var(axis=(2, 3), keepdims=True)
    ratio = np.sqrt(var + eps) / (np.sqrt(var) + eps)
    np.testing.assert_allclose(
        bnviz.normalize(X, "mvn", eps=eps).y, bnviz.normalize(X, "instance", eps=eps).y * ratio
    )


def test_mvn_labels_and_describe():
    shape = (2, 3, 4, 4)
    np.testing.assert_array_equal(
        bnviz.group_labels(shape, "mvn"), bnviz.group_labels(shape, "instance")
    )
    np.testing.assert_array_equal(
        bnviz.group_labels(shape, "mvn", across_channels=True), bnviz.group_labels(shape, "layer")
    )
    d = bnviz.describe(shape, "mvn")
    assert d.param_shape is None and d.param_count == 0
    assert d.summary == (
        "Mean-variance norm (Caffe MVN): 6 means and 6 variances, each over 4 × 4 = 16 values; "
        "no learned γ and β."
    )
    text = " ".join(d.sentences)
    assert "y = x̂ = (x − μ) / (σ + ε)" in text
    assert "γ ·" not in text  # no affine formula for a scheme without γ and β
    assert "each sample and channel (n, c), over H and W" in d.sentences[1]
    across = bnviz.describe(shape, "mvn", across_channels=True)
    assert across.groups == 2 and "each sample n, over C, H and W" in across.sentences[1]
    off = bnviz.describe(shape, "mvn", normalize_variance=False)
    assert "no variances" in off.summary and "y = x̂ = x − μ" in " ".join(off.sentences)
    single = bnviz.describe((2, 3), "mvn")
    assert any("the output is 0 everywhere" in s for s in single.sentences)
    # The PyTorch schemes keep their sentences.
    batch = " ".join(bnviz.describe(shape, "batch").sentences)
    assert "y = γ · (x − μ) / √(σ² + ε) + β" in batch


# --- neighbourhood, window ------------------------------------------------------------------------


def brute_force_neighbourhood(x, scheme, index, **params):
    """The cells whose perturbation changes the output at ``index``: an independent definition."""
    if scheme in bnviz.LOCAL_SCHEMES:
        run = lambda values: bnviz.local_normalize(values, scheme, **params)  # noqa: E731
    else:
        run = lambda values: bnviz.normalize(values, scheme, **params).y  # noqa: E731
    base = run(x)[index]
    mask = np.zeros(x.shape, dtype=bool)
    for cell in np.ndindex(x.shape):
        bumped = x.copy()
        bumped[cell] += 0.37 + abs(bumped[cell])
        # Influence is a change far above rounding: the fast kernels may pick their centring
        # for the whole tensor, which can move unrelated outputs by an ulp.
        mask[cell] = abs(run(bumped)[index] - base) > 1e-9 * (1 + abs(base))
    return mask


@given(local_cases(), st.data())
@settings(max_examples=40, deadline=None)
def test_neighbourhood_of_local_schemes_by_perturbation(case, data):
    x, scheme, p = case
    p["alpha"] = max(p["alpha"], 0.3)  # alpha = 0 reads no neighbour at all
    x = x + np.where(x >= 0, 0.2, -0.2)  # no zero cells: a zero output cannot move
    index = tuple(data.draw(st.integers(0, n - 1)) for n in x.shape)
    expected = brute_force_neighbourhood(x, scheme, index, **p)
    np.testing.assert_array_equal(bnviz.neighbourhood(x.shape, scheme, index, **p), expected)
    assert expected.sum() == bnviz.window(x.shape, scheme, index, **p).inside_cells


@pytest.mark.parametrize(
    ("scheme", "params"),
    [
        ("batch", {}),
        ("batch-pixel", {}),
        ("batch-location", {}),
        ("layer", {}),
        ("instance", {}),
        ("group", {"num_groups": 2}),
        ("tensor", {}),
        ("mvn", {}),
        ("mvn", {"across_channels": True}),
        ("mvn", {"normalize_variance": False}),
    ],
)
def test_neighbourhood_of_statistic_schemes_by_perturbation(scheme, params):
    x = np.random.default_rng(5).normal(size=(3, 4, 2, 3))
    for index in [(0, 0, 0, 0), (2, 3, 1, 2), (1, 2, 0, 1)]:
        expected = brute_force_neighbourhood(x, scheme, index, **params)
        np.testing.assert_array_equal(
            bnviz.neighbourhood(x.shape, scheme, index, **params), expected
        )
    # Scheme objects are accepted as well as ids.
    np.testing.assert_array_equal(
        bnviz.neighbourhood(x.shape, bnviz.SCHEMES[scheme], (2, 3, 1, 2), **params),
        bnviz.neighbourhood(x.shape, scheme, (2, 3, 1, 2), **params),
    )


def test_window_reaches_outside_the_tensor():
    shape = (1, 6, 4, 4)
    lrn = bnviz.window(shape, "lrn", (0, 0, 2, 2), size=5)
    assert lrn.ranges == (range(-2, 3),) and lrn.divisor == 5 and lrn.padded_cells == 2
    assert bnviz.window(shape, "lrn", (0, 5, 0, 0), size=4).ranges == (range(3, 7),)
    cross = bnviz.window(shape, "cross-channel", (0, 5, 0, 0), depth=4)
    assert cross.ranges == (range(4, 8),) and cross.divisor == 1 and cross.inside_cells == 2
    within = bnviz.window(shape, "lrn-within", (0, 3, 0, 3), size=3)
    assert within.axes == ("H", "W") and within.ranges == (range(-1, 2), range(2, 5))
    assert within.divisor == 9 and within.inside_cells == 4
    spatial = bnviz.window(shape, "spatial", (0, 0, 3, 0), height=4, width=3)
    # PH = 4: one row before, two after; PW = 3: one column each side.
    assert spatial.ranges == (range(2, 6), range(-1, 2))
    assert spatial.divisor == spatial.inside_cells == 2 * 2
    np.testing.assert_array_equal(
        spatial.inside_mask(), [[False, True, True], [False, True, True]] + [[False] * 3] * 2
    )


# --- dtypes, accuracy, errors -------------------------------------------------------------------


def test_dtypes_are_kept_and_integers_promoted():
    x = np.arange(24).reshape(1, 4, 2, 3)
    assert bnviz.local_normalize(x, "lrn").dtype == np.float64
    for dtype in (np.float16, np.float32, np.float64):
        y = bnviz.local_normalize(x.astype(dtype), "spatial")
        assert y.dtype == dtype and y.shape == x.shape


def test_float32_values_too_large_to_square_in_float32_are_still_right():
    x = np.array([3e20, -1e21, 2e19, 1.0], dtype=np.float32).reshape(1, 4, 1, 1)
    y = bnviz.local_normalize(x, "lrn", alpha=1.0)
    expected = reference(x.astype(np.float64), "lrn", size=5, alpha=1.0, beta=0.75, k=1.0)
    assert np.isfinite(y).all()
    np.testing.assert_allclose(y, expected.astype(np.float32), rtol=1e-6)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: bnviz.local_normalize(X, "lrm"), "Unknown local scheme"),
        (lambda: bnviz.local_normalize(X, "batch"), "use bnviz.normalize"),
        (lambda: bnviz.local_normalize(X, ["lrn"]), "Unknown local scheme"),  # unhashable
        (lambda: bnviz.local_normalize(X, "lrn-within", size=4), "must be odd"),
        (lambda: bnviz.local_normalize(X, "lrn", size=0), "at least 1"),
        (lambda: bnviz.local_normalize(X, "spatial", width=0), "at least 1"),
        (lambda: bnviz.local_normalize(X, "lrn", size=2.5), "not a valid int"),
        (lambda: bnviz.local_normalize(X, "lrn", alpha=-1.0), "alpha must be >= 0"),
        (lambda: bnviz.local_normalize(X, "lrn", k=0.0), "k must be > 0"),
        (lambda: bnviz.local_normalize(X, "cross-channel", kappa=-1), "kappa must be > 0"),
        (lambda: bnviz.local_normalize(X, "lrn", beta=float("nan")), "must be finite"),
        (lambda: bnviz.local_normalize(X, "lrn", depth=3), "takes no parameter depth"),
        (lambda: bnviz.local_normalize(X[:, :, 0], "spatial"), r"needs a tensor of shape"),
        (lambda: bnviz.local_normalize(X[None], "lrn"), "rank"),
        (lambda: bnviz.local_normalize(X[0, 0, 0], "lrn"), "rank"),
        (lambda: bnviz.local_normalize(np.full((1, 2, 1, 1), np.nan), "lrn"), "NaN"),
        (lambda: bnviz.local_normalize(np.full((1, 2, 1, 1), np.inf), "spatial"), "infinite"),
        (lambda: bnviz.local_normalize(np.full((1, 2), 1e200), "lrn"), "too large"),
        (lambda: bnviz.local_normalize(np.array([["a"]]), "lrn"), "real numbers"),
        (lambda: bnviz.window(X.shape, "lrn", (0, 7, 0, 0)), "not a cell"),
        (lambda: bnviz.window(X.shape, "lrn", (0, 0, 0)), "not a cell"),
        (lambda: bnviz.neighbourhood(X.shape, "batch", (3, 0, 0, 0)), "not a cell"),
        (lambda: bnviz.neighbourhood(X.shape, "nope", (0, 0, 0, 0)), "Unknown local scheme"),
        (lambda: bnviz.local_terms(np.full((1, 2, 1, 1), np.nan), "lrn", (0, 0, 0, 0)), "NaN"),
    ],
)
def test_bad_input_raises_input_error(call, message):
    with pytest.raises(InputError, match=message):
        call()


def test_every_local_scheme_is_declared_completely():
    for scheme_id, scheme in bnviz.LOCAL_SCHEMES.items():
        assert scheme.id == scheme_id and scheme.formula and scheme.framework
        assert scheme.longer_side in ("before", "after")
        assert scheme.divisor in ("window", "one", "inside")
        names = {p.name for p in scheme.params}
        assert set(scheme.size_params) <= names and {"alpha", "beta"} <= names
        assert not isinstance(scheme.offset, str) or scheme.offset in names
        assert all(p.default is not None for p in scheme.params)
