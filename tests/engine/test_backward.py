"""The backward pass: ``bnviz.normalize_backward`` and ``bnviz.jacobian``.

Checked four ways: against PyTorch's autograd (where torch is installed), against central finite
differences of ``bnviz.normalize`` in float64 (always, for every scheme), against hand-computed
numbers, and by the properties the closed form implies, each tested as exactly as it holds.
"""

import math

import numpy as np
import pytest
from conftest import scheme_cases, scheme_configs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bnviz
import bnviz.engine.backward
from bnviz.engine.backward import backward_terms, finite_differences

SHAPES = [(4, 6, 3, 5), (5, 4, 7), (8, 6)]


CASES = [(shape, scheme, params) for shape in SHAPES for scheme, params in scheme_configs(shape[1])]


def data(shape, seed=0, offset=2.0):
    rng = np.random.default_rng(seed)
    x = offset + 3 * rng.normal(size=shape)
    dy = rng.normal(size=shape)
    return x, dy, rng


def random_weight(shape, scheme, params, rng):
    param_shape = bnviz.layout(shape, scheme, **params).param_shape
    return None if param_shape is None else rng.uniform(0.5, 2.0, size=param_shape)


def loss(x, dy, scheme, weight, eps, params):
    return float(np.sum(dy * bnviz.normalize(x, scheme, eps=eps, weight=weight, **params).y))


# --- Finite differences: every scheme, always ---------------------------------------------------


@pytest.mark.parametrize(("shape", "scheme", "params"), CASES, ids=str)
@pytest.mark.parametrize("eps", [None, 0.3])
def test_dx_is_the_central_difference_of_normalize(shape, scheme, params, eps):
    """dx against (l(x + h) − l(x − h)) / 2h of l = Σ dy · normalize(x).y, whole tensor, float64."""
    x, dy, rng = data(shape)
    weight = random_weight(shape, scheme, params, rng)
    dx = bnviz.normalize_backward(x, dy, scheme, eps=eps, weight=weight, **params).dx
    cells = [tuple(int(rng.integers(n)) for n in shape) for _ in range(4)]
    h = 1e-6
    # The losses round at ~1e-16 of their terms, up to |x| / d each: over 2h, ~1e-7 · max 1/d.
    divisor = backward_terms(x, dy, scheme, eps=eps, **params).divisor
    steepest = max(1.0, 1 / divisor[divisor > 0].min())
    for cell in cells:
        plus, minus = x.copy(), x.copy()
        plus[cell] += h
        minus[cell] -= h
        numeric = (
            loss(plus, dy, scheme, weight, eps, params)
            - loss(minus, dy, scheme, weight, eps, params)
        ) / (2 * h)
        assert dx[cell] == pytest.approx(numeric, abs=1e-7 * steepest * (1 + abs(dx[cell])))


@pytest.mark.parametrize(("shape", "scheme", "params"), CASES, ids=str)
def test_finite_differences_helper_agrees_with_the_closed_form(shape, scheme, params):
    x, dy, rng = data(shape, seed=3)
    weight = random_weight(shape, scheme, params, rng)
    cells = [tuple(int(rng.integers(n)) for n in shape) for _ in range(6)]
    numeric = finite_differences(x, dy, scheme, cells, weight=weight, **params)
    terms = backward_terms(x, dy, scheme, weight=weight, **params)
    closed = np.array([terms.dx[c] for c in cells])
    # x̂ rounds at ~1e-16; over 2h = 2e-5·d that is ~1e-11/d, at most γ·|dy| times m′ terms.
    divisor = np.broadcast_to(terms.divisor, shape)
    noise = np.array([1e-9 / divisor[c] if divisor[c] > 0 else 0 for c in cells])
    np.testing.assert_allclose(numeric, closed, rtol=1e-7, atol=noise.max())


def test_finite_differences_give_nan_where_x_hat_jumps():
    """ε = 0 and a constant group: x̂ is 0 there but jumps to ±1 at any perturbation."""
    x = np.ones((4, 2, 3, 3))
    x[:, 1] = np.arange(36).reshape(4, 3, 3)
    fd = finite_differences(x, np.ones_like(x), "batch", [(0, 0, 0, 0), (0, 1, 0, 0)], eps=0.0)
    assert np.isnan(fd[0]) and np.isfinite(fd[1])
    dx = bnviz.normalize_backward(x, np.ones_like(x), "batch", eps=0.0).dx
    assert np.all(dx[:, 0] == 0)  # x̂ = 0 whatever x: the forward's convention, gradient 0


# --- The fast path against the plain float64 reference ------------------------------------------


@pytest.mark.parametrize(("shape", "scheme", "params"), CASES, ids=str)
def test_fast_path_matches_the_float64_reference(shape, scheme, params):
    x, dy, rng = data(shape, seed=5)
    weight = random_weight(shape, scheme, params, rng)
    fast = bnviz.normalize_backward(x, dy, scheme, weight=weight, **params)
    reference = backward_terms(x, dy, scheme, weight=weight, **params)
    scale = np.abs(reference.held).max() + np.abs(reference.through_mean).max() + 1e-300
    np.testing.assert_allclose(fast.dx, reference.dx, rtol=0, atol=1e-13 * scale)
    np.testing.assert_allclose(
        reference.held + reference.through_mean + reference.through_divisor, reference.dx
    )
    lay = bnviz.layout(shape, scheme, **params)
    if lay.param_shape is None:
        assert fast.dweight is None and fast.dbias is None
    else:
        assert fast.dweight.shape == lay.param_shape
        np.testing.assert_allclose(fast.dweight, reference.dweight, rtol=1e-12, atol=1e-12)
        if lay.scheme.formula_for(lay.params).shift:
            np.testing.assert_allclose(fast.dbias, reference.dbias, rtol=1e-12, atol=1e-12)
        else:
            assert fast.dbias is None


@pytest.mark.parametrize("scheme", ["batch", "layer", "instance", "batch-pixel", "rms", "mvn"])
def test_float32_keeps_its_dtype_and_stays_accurate_on_a_large_mean(scheme):
    """x = 1000 + noise in float32: naive float32 statistics fail there (shared notes)."""
    rng = np.random.default_rng(2)
    x = (1000 + rng.normal(size=(8, 6, 10, 10))).astype(np.float32)
    dy = rng.normal(size=x.shape).astype(np.float32)
    fast = bnviz.normalize_backward(x, dy, scheme)
    assert fast.dx.dtype == np.float32
    reference = backward_terms(x, dy, scheme).dx
    error = np.abs(fast.dx - reference).max() / np.abs(reference).max()
    assert error < 2e-5, error


def test_float16_and_integers():
    x = np.arange(48).reshape(2, 3, 2, 4)
    dy = np.ones(x.shape)
    assert bnviz.normalize_backward(x, dy, "batch").dx.dtype == np.float64
    half = bnviz.normalize_backward(x.astype(np.float16), dy.astype(np.float16), "instance")
    assert half.dx.dtype == np.float16
    exact = bnviz.normalize_backward(x.astype(np.float64), dy, "instance").dx
    np.testing.assert_allclose(half.dx.astype(np.float64), exact, atol=2e-3)


# --- Hand-computed ----------------------------------------------------------------------------


def test_batch_norm_by_hand():
    """Four samples of one feature, x = 1, 2, 3, 6 (μ = 3, σ² = 3.5), ε = 0, γ = 2."""
    x = np.array([[1.0], [2.0], [3.0], [6.0]])
    s = math.sqrt(3.5)
    x_hat = np.array([-2.0, -1.0, 0.0, 3.0]) / s
    # Output cell 3 (x = 6): its own entry (1 − 1/4 − x̂₃²/4)·γ/s, the others −(1 + x̂₃x̂ⱼ)/4·γ/s.
    row = bnviz.jacobian(x, "batch", (3, 0), eps=0.0, weight=[2.0])
    expected = [-(1 + x_hat[3] * x_hat[j]) / 4 * 2 / s for j in range(3)]
    expected.append((1 - 1 / 4 - x_hat[3] ** 2 / 4) * 2 / s)
    np.testing.assert_allclose(row[:, 0], expected, rtol=1e-14)
    assert row[3, 0] == pytest.approx(3 / (14 * s), rel=1e-14)  # (1 − 1/4 − 9/14)·2/s
    # dy = (1, 0, 0, 0): dŷ = (2, 0, 0, 0), mean(dŷ) = 1/2, mean(dŷ·x̂) = x̂₀/2.
    dy = np.array([[1.0], [0.0], [0.0], [0.0]])
    out = bnviz.normalize_backward(x, dy, "batch", eps=0.0, weight=[2.0])
    by_hand = (np.array([2.0, 0, 0, 0]) - 0.5 - x_hat * x_hat[0] / 2) / s
    np.testing.assert_allclose(out.dx[:, 0], by_hand, rtol=1e-14, atol=1e-15)
    assert out.dweight == pytest.approx([x_hat[0]])  # Σ dy · x̂
    assert out.dbias == pytest.approx([1.0])  # Σ dy


def test_per_channel_gamma_beta_gradients_by_hand():
    x, dy, _ = data((3, 2, 2, 2), seed=9)
    out = bnviz.normalize_backward(x, dy, "batch")
    for c in range(2):
        values = x[:, c]
        x_hat = (values - values.mean()) / np.sqrt(values.var() + 1e-5)
        assert out.dweight[c] == pytest.approx(np.sum(dy[:, c] * x_hat), rel=1e-12)
        assert out.dbias[c] == pytest.approx(np.sum(dy[:, c]), rel=1e-12)
    layer = bnviz.normalize_backward(x, dy, "layer")  # γ per (c, h, w): sums over N only
    x_hat = bnviz.normalize(x, "layer").y
    np.testing.assert_allclose(layer.dweight, np.sum(dy * x_hat, axis=0), rtol=1e-12)
    np.testing.assert_allclose(layer.dbias, np.sum(dy, axis=0), rtol=1e-12)
    rms = bnviz.normalize_backward(x, dy, "rms")
    assert rms.dbias is None and rms.dweight.shape == (2, 2, 2)
    assert bnviz.normalize_backward(x, dy, "pixel").dweight is None


def test_mvn_by_hand():
    """Caffe's MVN divides by σ + ε: its path through σ has d/σ where PyTorch's has 1."""
    x = np.array([[[0.0, 1.0, 5.0]]])  # one (n, c) group over L = 3
    eps = 0.5
    mu, sigma = 2.0, math.sqrt(((0 - 2) ** 2 + (1 - 2) ** 2 + (5 - 2) ** 2) / 3)
    d = sigma + eps
    x_hat = (x[0, 0] - mu) / d
    row = bnviz.jacobian(x, "mvn", (0, 0, 2), eps=eps)[0, 0]
    expected = [-(1 + x_hat[2] * x_hat[j] * d / sigma) / 3 / d for j in range(3)]
    expected[2] += 1 / d
    np.testing.assert_allclose(row, expected, rtol=1e-14)
    centred = bnviz.jacobian(x, "mvn", (0, 0, 2), eps=eps, normalize_variance=False)[0, 0]
    np.testing.assert_allclose(centred, [-1 / 3, -1 / 3, 2 / 3], rtol=1e-15)


def test_rms_by_hand():
    """RMS norm subtracts no mean: (1 − x̂ᵢ²/m′)/r on the diagonal, −x̂ᵢx̂ⱼ/m′/r off it."""
    x = np.array([[3.0, 4.0]])
    eps = 1.0
    r = math.sqrt((9 + 16) / 2 + eps)
    x_hat = x[0] / r
    row = bnviz.jacobian(x, "rms", (0, 1), eps=eps)[0]
    np.testing.assert_allclose(row, [-x_hat[1] * x_hat[0] / 2 / r, (1 - x_hat[1] ** 2 / 2) / r])


# --- The Jacobian ------------------------------------------------------------------------------


@pytest.mark.parametrize(("shape", "scheme", "params"), CASES, ids=str)
def test_jacobian_row_lives_exactly_on_the_cells_group(shape, scheme, params):
    x, _, rng = data(shape, seed=11)
    weight = random_weight(shape, scheme, params, rng)
    labels = bnviz.group_labels(shape, scheme, **params)
    for _ in range(3):
        index = tuple(int(rng.integers(n)) for n in shape)
        row = bnviz.jacobian(x, scheme, index, weight=weight, **params)
        assert row.shape == shape and row.dtype == np.float64
        group = labels == labels[index]
        assert np.all(row[~group] == 0)
        if group.sum() > 1:
            assert np.all(row[group] != 0)  # random data: no entry vanishes by chance
        # The row is the backward pass of a one-hot dy.
        one_hot = np.zeros(shape)
        one_hot[index] = 1.0
        terms = backward_terms(x, one_hot, scheme, weight=weight, **params)
        dx = bnviz.normalize_backward(x, one_hot, scheme, weight=weight, **params).dx
        # Both round at ~1e-16 of the largest term, γ/d (the row itself may be far smaller).
        np.testing.assert_allclose(row, dx, rtol=1e-12, atol=1e-14 * np.abs(terms.held).max())


def test_jacobian_rejects_a_cell_outside_the_tensor():
    x = np.zeros((2, 3, 4, 4))
    for index in [(2, 0, 0, 0), (0, 0, 0), (0, -1, 0, 0), ("a", 0, 0, 0)]:
        with pytest.raises(bnviz.InputError, match="cell"):
            bnviz.jacobian(x, "batch", index)


def test_bad_inputs_are_input_errors():
    x = np.zeros((2, 3, 4, 4))
    with pytest.raises(bnviz.InputError, match="shape of x"):
        bnviz.normalize_backward(x, np.zeros((2, 3, 4)), "batch")
    with pytest.raises(bnviz.InputError, match="NaN"):
        bnviz.normalize_backward(x, np.full(x.shape, np.nan), "batch")
    with pytest.raises(bnviz.InputError, match="no learned weight"):
        bnviz.normalize_backward(x, x, "mvn", weight=np.ones(3))
    with pytest.raises(bnviz.InputError, match="eps"):
        bnviz.normalize_backward(x, x, "batch", eps=-1)
    with pytest.raises(bnviz.InputError, match="step"):
        finite_differences(x, x, "batch", [(0, 0, 0, 0)], step=0)


# --- Properties, each as exactly as it holds ----------------------------------------------------


def _group_sums(values, labels):
    return np.bincount(labels.ravel(), weights=values.ravel())


CENTRED = [
    (s, p)
    for s, p in scheme_configs(6)
    if bnviz.SCHEMES[s].formula_for({**bnviz.layout((4, 6, 3, 5), s, **p).params}).centre
]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    case=st.sampled_from(CENTRED),
    seed=st.integers(0, 2**16),
    offset=st.sampled_from([0.0, 5.0, -300.0]),
    spread=st.sampled_from([1e-3, 1.0, 50.0]),
)
def test_dx_sums_to_zero_over_every_group_of_a_centred_scheme(case, seed, offset, spread):
    """Exact in the mathematics (adding a constant to a group changes no output), so zero up to
    the rounding of the sum itself, whatever dy and γ."""
    scheme, params = case
    shape = (4, 6, 3, 5)
    rng = np.random.default_rng(seed)
    x = offset + spread * rng.normal(size=shape)
    dy = rng.normal(size=shape) * rng.choice([0.0, 1.0, 100.0], size=shape)
    weight = random_weight(shape, scheme, params, rng)
    dx = bnviz.normalize_backward(x, dy, scheme, weight=weight, **params).dx
    labels = bnviz.group_labels(shape, scheme, **params)
    sums = _group_sums(dx, labels)
    # The rounding bound: each term of dx rounds at ε_machine of its size, and x̂ = (x − μ)/d
    # carries x's rounding magnified by |x|/d (a group far from 0 with little spread).
    terms = backward_terms(x, dy, scheme, weight=weight, **params)
    size = np.abs(terms.held) + np.abs(terms.through_mean) + np.abs(terms.through_divisor)
    divisor = np.broadcast_to(terms.divisor, shape)
    conditioning = 1 + np.abs(x) / np.where(divisor > 0, divisor, np.inf)
    bound = 16 * np.finfo(float).eps * _group_sums(size * conditioning, labels)
    assert np.all(np.abs(sums) <= bound)
    assert np.all(np.abs(sums) <= 1e-9 * _group_sums(size, labels) + 1e-300)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    case=st.sampled_from([c for c in CASES if c[0] == (4, 6, 3, 5)]),
    seed=st.integers(0, 2**16),
    eps=st.sampled_from([1e-5, 0.1, 1.0, 10.0]),
)
def test_dx_along_x_hat_is_the_eps_fraction(case, seed, eps):
    """Σ dx·x̂ over a group = (m′/d)·mean(dŷ·x̂)·(1 − mean(t·x̂)): ε/(σ² + ε) of what it would
    be with the statistics held constant for PyTorch's formula, ε/(σ + ε) for MVN, ε/(mean x² + ε)
    for RMS; not 0 (scaling a group changes y through ε), ≈ 0 only where ε ≪ σ²."""
    shape, scheme, params = case
    rng = np.random.default_rng(seed)
    x = 1.0 + 2.0 * rng.normal(size=shape)
    dy = rng.normal(size=shape)
    weight = random_weight(shape, scheme, params, rng)
    terms = backward_terms(x, dy, scheme, eps=eps, weight=weight, **params)
    if not terms.formula.uses_eps:
        return
    labels = bnviz.group_labels(shape, scheme, **params)
    along = _group_sums(terms.dx * terms.x_hat, labels)
    held = _group_sums(terms.held * terms.x_hat, labels)  # (1/d)·Σ dŷ·x̂
    first = np.unique(labels.ravel(), return_index=True)[1]
    var = np.broadcast_to(terms.var, shape).ravel()[first]
    mean = np.broadcast_to(terms.mean, shape).ravel()[first]
    fraction = {
        "std": eps / (var + eps),
        "std_plus_eps": eps / (np.sqrt(var) + eps),
        "rms": eps / (var + mean**2 + eps),
    }[terms.formula.divide]
    np.testing.assert_allclose(along, held * fraction, rtol=1e-9, atol=1e-12 * np.abs(held).max())
    moved = np.abs(held) > 0  # a group of one value has x̂ = 0: nothing along it
    assert np.all(np.abs(along[moved]) > 0)


def test_the_eps_fraction_vanishes_only_where_eps_is_small_against_the_variance():
    x, dy, _ = data((4, 3, 5, 5), seed=4)
    for eps, small in ((1e-8, True), (100.0, False)):
        terms = backward_terms(x, dy, "batch", eps=eps)
        ratio = np.abs(np.sum(terms.dx * terms.x_hat)) / np.abs(np.sum(terms.held * terms.x_hat))
        assert (ratio < 1e-8) == small


# --- PyTorch's autograd ------------------------------------------------------------------------


def _torch():
    return pytest.importorskip("torch", reason="PyTorch not installed: autograd not compared")


def _module_for(torch, scheme, shape):
    """The PyTorch module for ``scheme`` on ``shape`` (ranks 2–4), and how x enters it."""
    n, c = shape[:2]
    if scheme == "batch":
        module = torch.nn.BatchNorm2d(c) if len(shape) == 4 else torch.nn.BatchNorm1d(c)
        return module, lambda x: x
    if scheme == "batch-pixel":
        return torch.nn.BatchNorm1d(math.prod(shape[1:])), lambda x: x.reshape(n, -1)
    if scheme == "layer":
        return torch.nn.LayerNorm(shape[1:]), lambda x: x
    if scheme == "instance":
        cls = torch.nn.InstanceNorm2d if len(shape) == 4 else torch.nn.InstanceNorm1d
        return cls(c, affine=True), lambda x: x
    if scheme == "group":
        return torch.nn.GroupNorm(2, c), lambda x: x
    raise AssertionError(scheme)


AUTOGRAD = [
    (scheme, shape)
    for scheme in ("batch", "batch-pixel", "layer", "instance", "group")
    for shape in [(5, 4, 3, 6), (6, 4, 7), (9, 4)]
    if not (scheme == "instance" and len(shape) == 2)  # InstanceNorm needs a spatial axis
]


@pytest.mark.torch
@pytest.mark.parametrize(("scheme", "shape"), AUTOGRAD, ids=str)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_matches_autograd_with_random_gamma(scheme, shape, dtype):
    torch = _torch()
    rng = np.random.default_rng(21)
    x = (1.5 + 2 * rng.normal(size=shape)).astype(dtype)
    dy = rng.normal(size=shape).astype(dtype)
    params = {"num_groups": 2} if scheme == "group" else {}
    gamma = rng.uniform(0.3, 2.0, size=bnviz.layout(shape, scheme, **params).param_shape)
    module, enter = _module_for(torch, scheme, shape)
    module = module.to(getattr(torch, dtype))
    with torch.no_grad():
        module.weight.copy_(torch.from_numpy(gamma.reshape(module.weight.shape)))
    xt = torch.from_numpy(x).requires_grad_()
    module(enter(xt)).reshape(shape).backward(torch.from_numpy(dy))
    ours = bnviz.normalize_backward(x, dy, scheme, weight=gamma.astype(dtype), **params)
    tolerance = {"float64": 1e-11, "float32": 2e-5}[dtype]
    # Relative to γ·dy/d, the size of dx's terms (dx itself may cancel to far less).
    scale = np.abs(backward_terms(x, dy, scheme, weight=gamma, **params).held).max()
    np.testing.assert_allclose(ours.dx, xt.grad.numpy(), rtol=0, atol=tolerance * scale)
    for mine, theirs in ((ours.dweight, module.weight.grad), (ours.dbias, module.bias.grad)):
        theirs = theirs.numpy().astype(np.float64)
        np.testing.assert_allclose(
            mine.reshape(-1),
            theirs.reshape(-1),
            rtol=tolerance,
            atol=tolerance * np.abs(theirs).max(),
        )


RECIPE_CASES = [
    (shape, scheme, params)
    for shape in [(4, 6, 3, 5), (5, 4, 7), (8, 6)]
    for scheme, params in scheme_configs(shape[1])
    if scheme != "mvn"
]


@pytest.mark.torch
@pytest.mark.parametrize(("shape", "scheme", "params"), RECIPE_CASES, ids=str)
def test_matches_autograd_through_every_recipe(shape, scheme, params):
    """Every scheme PyTorch computes (``describe().torch``), with random γ where its module
    learns the scheme's γ entry for entry."""
    torch = _torch()
    d = bnviz.describe(shape, scheme, **params)
    recipe = d.torch
    if recipe is None or recipe.refusal:
        return
    rng = np.random.default_rng(8)
    x = 2 + 3 * rng.normal(size=shape)
    dy = rng.normal(size=shape)
    module = eval(recipe.module, {"torch": torch}).double()  # noqa: S307 (our own recipe)
    gamma = None
    if recipe.params_match and getattr(module, "weight", None) is not None:
        gamma = rng.uniform(0.5, 2.0, size=d.param_shape)
        with torch.no_grad():
            module.weight.copy_(torch.from_numpy(gamma.reshape(module.weight.shape)))
    xt = torch.from_numpy(x).requires_grad_()
    out = eval(f"module({recipe.before}){recipe.after}", {"x": xt, "module": module})  # noqa: S307
    out.backward(torch.from_numpy(dy))
    ours = bnviz.normalize_backward(x, dy, scheme, eps=d.eps, weight=gamma, **params)
    np.testing.assert_allclose(ours.dx, xt.grad.numpy(), rtol=1e-10, atol=1e-10)


def test_jacobian_row_gives_the_numbers_of_its_closed_form():
    x, _, _ = data((4, 3, 2, 5), seed=6)
    row = bnviz.engine.backward.jacobian_row(x, "instance", (1, 2, 0, 3), eps=0.01)
    values = x[1, 2]
    assert row.group_size == 10 and row.mean == pytest.approx(values.mean())
    assert row.var == pytest.approx(values.var())
    assert row.divisor == pytest.approx(math.sqrt(values.var() + 0.01))
    assert row.x_hat == pytest.approx((x[1, 2, 0, 3] - values.mean()) / row.divisor)
    assert row.x_hat_of(x[1, 2, 1, 1]) == pytest.approx(
        (x[1, 2, 1, 1] - values.mean()) / row.divisor
    )
    assert row.own == pytest.approx((1 - 1 / 10 - row.x_hat**2 / 10) / row.divisor)
    assert row.group == 1 * 3 + 2 and row.gamma == 1.0 and (row.rho, row.kappa) == (1.0, 0.0)


def test_gradients_carry_the_group_means_the_coupling_uses():
    x, dy, rng = data((4, 6, 3, 5), seed=12)
    gamma = rng.uniform(0.5, 1.5, size=(6,))
    out = bnviz.normalize_backward(x, dy, "group", weight=gamma, num_groups=3)
    dy_hat = dy * gamma[None, :, None, None]
    for n, g in ((0, 0), (3, 2)):
        cells = (n, slice(2 * g, 2 * g + 2))
        assert out.mean_dy_hat[n, 2 * g, 0, 0] == pytest.approx(dy_hat[cells].mean())
        x_hat = (x[cells] - x[cells].mean()) / math.sqrt(x[cells].var() + 1e-5)
        assert out.mean_dy_hat_x_hat[n, 2 * g + 1, 0, 0] == pytest.approx(
            (dy_hat[cells] * x_hat).mean()
        )
        assert out.divisor[n, 2 * g, 0, 0] == pytest.approx(math.sqrt(x[cells].var() + 1e-5))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("scheme", ["batch", "layer", "rms"])
def test_a_non_finite_dy_anywhere_is_an_input_error(bad, scheme):
    x, dy, _ = data((3, 4, 2, 5), seed=1)
    dy[2, 3, 1, 4] = bad
    with pytest.raises(bnviz.InputError, match="dy contains NaN or infinite"):
        bnviz.normalize_backward(x.astype(np.float32), dy.astype(np.float32), scheme)


# --- The fast paths (rows sharing group and γ; the matrix form) against the float64 reference ----


# Trailing sizes up to 40 reach rows of at least MIN_ROW values (the fastest path).
FAST_PATH_CASES = scheme_cases(
    batch=st.integers(1, 6), channels=st.sampled_from([1, 2, 3, 4, 6]), side=st.integers(1, 40)
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    case=FAST_PATH_CASES,
    dtype=st.sampled_from([np.float64, np.float32]),
    offset=st.sampled_from([0.0, 0.5, 1e3]),
    eps=st.sampled_from([0.0, 1e-5, 0.3]),
    with_weight=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_fast_paths_match_the_float64_reference(case, dtype, offset, eps, with_weight, seed):
    """normalize_backward (whichever path it takes) against backward_terms, plain float64: C = 1,
    groups of one value, ranks 2 and 3, ε = 0, γ or none, means small and large."""
    shape, scheme, params = case
    rng = np.random.default_rng(seed)
    x = (offset + rng.standard_normal(shape)).astype(dtype)
    dy = rng.standard_normal(shape).astype(dtype)
    weight = random_weight(shape, scheme, params, rng) if with_weight else None
    fast = bnviz.normalize_backward(x, dy, scheme, eps=eps, weight=weight, **params)
    reference = backward_terms(
        x.astype(np.float64), dy.astype(np.float64), scheme, eps=eps, weight=weight, **params
    )
    assert fast.dx.dtype == dtype
    # dx is a sum of terms of size |γ·dy|/d each; its error is measured against them.
    size = np.abs(reference.held).max() + 1e-300
    tolerance = 1e-9 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(fast.dx, reference.dx, rtol=0, atol=tolerance * size)
    for got, want in ((fast.dweight, reference.dweight), (fast.dbias, reference.dbias)):
        assert (got is None) == (want is None)
        if want is not None:
            scale = np.abs(dy).astype(np.float64).sum() + 1e-300
            np.testing.assert_allclose(got, want, rtol=0, atol=tolerance * scale)


@pytest.mark.parametrize("scheme", list(bnviz.SCHEMES))
@pytest.mark.parametrize("shape", [(6, 4, 5, 5), (3, 2, 17, 19), (2, 6, 40)], ids=str)
def test_float32_fast_paths_stay_accurate_on_a_large_mean(scheme, shape):
    """x = 1000 + N(0, 1) in float32: Σ dy·x and k·x + e would lose ~1e-4 of dx to cancellation;
    centred on each group's mean they keep float32 rounding (measured ≤ 2e-6)."""
    rng = np.random.default_rng(5)
    params = bnviz.engine.schemes.default_params(scheme, shape[1])
    x = (1e3 + rng.standard_normal(shape)).astype(np.float32)
    dy = rng.standard_normal(shape).astype(np.float32)
    fast = bnviz.normalize_backward(x, dy, scheme, **params)
    reference = backward_terms(x.astype(np.float64), dy.astype(np.float64), scheme, **params)
    size = np.abs(reference.held).max()
    np.testing.assert_allclose(fast.dx, reference.dx, rtol=0, atol=1e-5 * size)


def test_every_scheme_with_a_torch_layer_takes_a_fast_path():
    """On an activation-like shape every scheme's gradient is computed by one of the two fast
    paths (not the general tiled one), with or without γ: what make bench times."""
    from bnviz.engine.backward import _matrix_form, _param_view_shape, _shared_rows

    shape = (4, 8, 20, 20)
    for scheme, params in scheme_configs(shape[1]):
        lay = bnviz.layout(shape, scheme, **params)
        if scheme == "custom" and params["keep"] in ("CW", "NCW", "NCHW"):
            # Kept axes on both sides of a reduced one (C and W around H), or every axis kept
            # (each value its own group): the general tiled path, tested above all the same.
            continue
        target = _param_view_shape(lay) if lay.param_shape is not None else None
        # Without γ, and with one where the scheme learns one (only its shape matters).
        for gamma in (None,) if target is None else (None, np.ones(target)):
            assert _shared_rows(lay, gamma) is not None or _matrix_form(lay, target) is not None, (
                scheme,
                params,
            )
