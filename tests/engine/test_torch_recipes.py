"""Every PyTorch equivalent the app names is executed: ``describe().torch_code`` against PyTorch.

For every scheme the engine has, at ranks 2, 3 and 4, the custom scheme for all 16 axis sets and
group norm at several G, including the awkward shapes (one value per group, C = 1, H = W = 1) and
ε = 0: the recipe is evaluated with ``torch`` and ``x``; its output equals ``normalize``'s (or
PyTorch refuses exactly where the description says so, with the message it quotes), and the
module's parameter and buffer shapes are the ones ``describe`` states.
"""

import math

import numpy as np
import pytest
from conftest import scheme_configs

import bnviz

torch = pytest.importorskip("torch", reason="PyTorch not installed: the recipes cannot be run")
pytestmark = pytest.mark.torch

SHAPES = [
    (6, 4, 3, 5),
    (5, 3, 7),
    (8, 6),
    (1, 4, 1, 1),
    (3, 1, 2, 2),
    (1, 3),
    (2, 4, 1, 1),
    (1, 2, 5),
]


CASES = [
    (shape, scheme, params, eps)
    for shape in SHAPES
    for scheme, params in scheme_configs(shape[1])
    for eps in (1e-5, 0.0)
]


def _run(code: str, x: np.ndarray):
    return eval(code, {"torch": torch, "x": torch.from_numpy(x)})  # noqa: S307 (our own recipe)


def _module(recipe):
    return eval(recipe.module, {"torch": torch})  # noqa: S307


@pytest.mark.parametrize(
    ("shape", "scheme", "params", "eps"),
    CASES,
    ids=[f"{s}-{sc}-{p}-eps{e}" for s, sc, p, e in CASES],
)
def test_recipe_computes_what_normalize_does(shape, scheme, params, eps):
    d = bnviz.describe(shape, scheme, eps=eps, **params)
    if d.torch is None:
        # Only Caffe's MVN (ε on σ, or no variance at all) has no PyTorch recipe.
        assert scheme == "mvn"
        assert any("No PyTorch" in s for s in d.sentences)
        return
    rng = np.random.default_rng(7)
    x = (3 + rng.normal(size=shape) * 2).astype(np.float64)
    recipe = d.torch
    module = _module(recipe)
    # The module's own parameter and buffer shapes are the ones describe states.
    weight = getattr(module, "weight", None)
    assert (None if weight is None else tuple(weight.shape)) == recipe.param_shape
    running = getattr(module, "running_mean", None)
    assert (None if running is None else tuple(running.shape)) == d.running_stats_shape
    if recipe.params_match:  # the module learns the scheme's γ (and β), or neither learns any
        assert (0 if weight is None else weight.numel()) == d.param_count
    if recipe.refusal:
        with pytest.raises(ValueError, match=recipe.refusal):
            _run(d.torch_code, x)
        assert any(recipe.refusal in s and "refuses" in s for s in d.sentences)
        assert not any("computes the same" in s for s in d.sentences)
        return
    assert any("computes the same in training mode" in s for s in d.sentences)
    with torch.no_grad():
        expected = eval(  # noqa: S307
            f"module({recipe.before}){recipe.after}",
            {"torch": torch, "x": torch.from_numpy(x), "module": module.double()},
        ).numpy()
    ours = bnviz.normalize(x, scheme, eps=eps, **params).y
    assert expected.shape == ours.shape
    undefined = np.isnan(expected)
    if undefined.any():
        # Only 0/0: ε = 0 and groups of variance 0 (here: groups of one value), as the text says.
        assert eps == 0 and d.group_size == 1 and recipe.zero_variance == "nan"
        assert any("gives NaN (0/0)" in s for s in d.sentences)
        assert np.all(ours[undefined] == 0)
    np.testing.assert_allclose(ours[~undefined], expected[~undefined], rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize(
    ("shape", "scheme", "params"),
    [(s, sc, p) for s in [(4, 3, 2, 2), (4, 3, 5), (6, 4)] for sc, p in scheme_configs(s[1])],
)
def test_zero_variance_with_eps_zero_is_what_the_text_says(shape, scheme, params):
    """ε = 0 and a constant group: bnviz gives x̂ = 0; the sentence says what PyTorch gives."""
    d = bnviz.describe(shape, scheme, eps=0.0, **params)
    x = np.random.default_rng(1).normal(size=shape).astype(np.float32)
    labels = bnviz.group_labels(shape, scheme, **params)
    # Group 0 is constant: variance 0 (all zeros for RMS, whose divisor is the mean square).
    x[labels == 0] = 0.0 if d.formula.divide == "rms" else 5.0
    ours = bnviz.normalize(x, scheme, eps=0.0, **params).y
    assert np.all(ours[labels == 0] == 0)
    if d.torch is None or d.torch.refusal or not d.formula.uses_eps:
        return
    sentence = [s for s in d.sentences if s.startswith("With ε = 0")]
    assert len(sentence) == 1
    with torch.no_grad():
        theirs = _run(d.torch_code, x).numpy()
    if "gives NaN" in sentence[0]:
        assert np.isnan(theirs[labels == 0]).all()
    else:
        assert "as PyTorch's" in sentence[0]
        np.testing.assert_allclose(theirs[labels == 0], 0.0, atol=1e-12)


def test_batch_norm_refuses_eps_zero_as_said():
    d = bnviz.describe((4, 3, 2, 2), "batch", eps=0.0)
    assert d.torch.refusal.startswith("batch_norm eps must be positive")
    with pytest.raises(ValueError, match="eps must be positive"):
        _run(d.torch_code, np.ones((4, 3, 2, 2)))


def test_examples_from_the_issue():
    assert bnviz.describe((20, 10, 5, 5), "batch").torch_code == (
        "torch.nn.BatchNorm2d(10, eps=1e-05)(x)"
    )
    assert bnviz.describe((20, 10, 5, 5), "batch-pixel").torch_code == (
        "torch.nn.BatchNorm1d(250, eps=1e-05)(x.reshape(20, -1)).reshape(20, 10, 5, 5)"
    )


@pytest.mark.parametrize("shape", [(4, 6, 5, 3), (4, 6, 5), (4, 6)])
def test_named_modules_by_rank(shape):
    """Rank 2 and 3 name the 1-D modules and the tensor's own axes (never BatchNorm2d on 2-D)."""
    rank = len(shape)
    batch = bnviz.describe(shape, "batch")
    assert batch.torch.module_name == ("BatchNorm2d" if rank == 4 else "BatchNorm1d")
    instance = bnviz.describe(shape, "instance")
    assert instance.torch.module_name == ("InstanceNorm2d" if rank == 4 else "InstanceNorm1d")
    layer = bnviz.describe(shape, "layer")
    assert layer.torch.param_shape == shape[1:]
    over = {4: "over N, H and W", 3: "over N and L", 2: "over N"}[rank]
    assert over in batch.sentences[1]
    text = " ".join(batch.sentences + instance.sentences + layer.sentences)
    if rank < 4:
        assert "H" not in text.replace("Hz", "")  # no H axis is named for (N, C) or (N, C, L)
        assert "2d" not in text


def test_batch_pixel_parameters_are_said_flat():
    d = bnviz.describe((8, 16, 5, 5), "batch-pixel")
    module = _module(d.torch)
    assert tuple(module.weight.shape) == (400,) == d.running_stats_shape
    assert "held flat as (400,) by BatchNorm1d" in d.param_text
    assert math.prod(d.param_shape) == 400
