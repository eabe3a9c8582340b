"""The Experiment page's engine: the digits asset, the layers, the whole networks' gradients
(central differences in float64, and PyTorch autograd where installed), determinism per seed,
divergence, and runs saved and loaded (the shipped default results are
tests/app/test_experiment_page.py's)."""

import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT
from hypothesis import given, settings
from hypothesis import strategies as st

import bnviz
from bnviz import InputError
from bnviz.engine import digits, nets

# --- The digits -------------------------------------------------------------------------------


def test_the_asset_holds_1797_digits_in_a_fixed_stratified_split():
    d = digits.load_digits()
    assert d.images.shape == (1797, 8, 8) and d.images.dtype == np.uint8
    assert d.images.max() == 16 and d.images.min() == 0
    assert d.train.sum() == 1438 and (~d.train).sum() == 359
    for label in range(10):  # every class on both sides, about 80 % of it in training
        members = d.target == label
        assert 0.78 < d.train[members].mean() < 0.82
    x, y = d.inputs("test")
    assert x.shape == (359, 1, 8, 8) and x.dtype == np.float64 and x.max() == 1.0
    assert y.shape == (359,)
    with pytest.raises(InputError):
        d.inputs("validation")


def test_the_script_reproduces_the_stored_split():
    sys.path.insert(0, str(ROOT / "scripts"))
    import make_digits

    d = digits.load_digits()
    assert np.array_equal(make_digits.split(d.target), d.train)


def test_the_asset_equals_scikit_learns_copy():
    datasets = pytest.importorskip("sklearn.datasets")
    reference = datasets.load_digits()
    d = digits.load_digits()
    assert np.array_equal(d.images.astype(np.float64), reference.images)
    assert np.array_equal(d.target, reference.target)


def test_a_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="Could not read the digits"):
        digits.load_digits(tmp_path / "nothing.npz")


# --- Layers, by hand ---------------------------------------------------------------------------


def test_cross_entropy_of_equal_logits_is_log_ten_and_its_gradient_sums_to_zero():
    loss, grad = nets.cross_entropy(np.zeros((4, 10)), np.array([0, 3, 9, 3]))
    assert loss == pytest.approx(np.log(10))
    assert grad[0, 0] == pytest.approx((0.1 - 1) / 4) and grad[0, 1] == pytest.approx(0.1 / 4)
    np.testing.assert_allclose(grad.sum(axis=1), 0, atol=1e-15)


def test_max_pool_sends_the_gradient_to_the_first_maximum():
    pool = nets.MaxPool2()
    x = np.array([[[[1.0, 5.0, 2.0, 2.0], [3.0, 0.0, 2.0, 1.0]]]])  # (1, 1, 2, 4)
    np.testing.assert_array_equal(pool.forward(x, True), [[[[5.0, 2.0]]]])
    dx = pool.backward(np.array([[[[10.0, 20.0]]]]))
    np.testing.assert_array_equal(dx, [[[[0, 10, 20, 0], [0, 0, 0, 0]]]])


def test_the_convolution_is_bnvizs_conv2d_with_padding_1():
    rng = np.random.default_rng(3)
    conv = nets.Conv3x3(rng, 3, 5, 1.0)
    conv.params["b"] = rng.normal(size=5)
    x = rng.normal(size=(2, 3, 6, 7))
    expected = bnviz.conv2d(x, conv.params["W"], conv.params["b"], padding=1)
    np.testing.assert_allclose(conv.forward(x, True), expected, rtol=1e-12, atol=1e-12)


def test_the_mlp_is_the_papers_shape_and_drops_biases_before_batch_norm():
    layers = nets.build(nets.Settings(norm="batch"))
    dense = [layer for layer in layers if isinstance(layer, nets.Dense)]
    assert [d.params["W"].shape for d in dense] == [(64, 100), (100, 100), (100, 100), (100, 10)]
    assert ["b" in d.params for d in dense] == [False, False, False, True]
    assert sum(isinstance(layer, nets.Sigmoid) for layer in layers) == 3
    norms = [layer for layer in layers if isinstance(layer, nets.Norm)]
    assert [n.params["weight"].shape for n in norms] == [(100,)] * 3


def test_the_cnn_puts_the_norm_before_or_after_the_relu():
    def kinds(place):
        layers = nets.build(nets.Settings(network="cnn", norm="group", place=place))
        return [type(layer).__name__ for layer in layers]

    assert kinds("before")[:4] == ["Conv3x3", "Norm", "ReLU", "MaxPool2"]
    assert kinds("after")[:4] == ["Conv3x3", "ReLU", "Norm", "MaxPool2"]
    assert kinds("before")[-1] == "Dense"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"norm": "group"}, "no channels to group"),
        ({"network": "cnn", "norm": "group", "groups": 3}, "must divide"),
        ({"norm": "batch", "batch": 1}, "Expected more than 1 value per channel"),
        ({"lr": 0.0}, "learning rate"),
        ({"network": "rnn"}, "Network must be"),
    ],
)
def test_impossible_settings_are_refused_with_a_reason(changes, message):
    with pytest.raises(InputError, match=message):
        nets.Settings(**changes)


# --- The whole network's gradient ----------------------------------------------------------------

CONFIGS = [
    {"network": "mlp", "norm": "none"},
    {"network": "mlp", "norm": "batch"},
    {"network": "mlp", "norm": "layer"},
    *[
        {"network": "cnn", "norm": norm, "place": place}
        for norm in nets.NORMS
        for place in nets.PLACES
        if not (norm == "none" and place == "after")
    ],
]


def _network(config, seed=0):
    """A network with γ and β moved off 1 and 0, so every path carries a gradient."""
    rng = np.random.default_rng(seed + 10)
    layers = nets.build(nets.Settings(**config, groups=4, seed=seed))
    for layer in layers:
        if isinstance(layer, nets.Norm):
            layer.track = False
            layer.params["weight"] += rng.normal(scale=0.2, size=layer.params["weight"].shape)
            layer.params["bias"] += rng.normal(scale=0.2, size=layer.params["bias"].shape)
        elif "b" in layer.params:
            layer.params["b"] += rng.normal(scale=0.1, size=layer.params["b"].shape)
    return layers


def _batch(seed=1, n=5):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 1, 8, 8)), rng.integers(0, 10, n)


def _loss(layers, x, y) -> float:
    return nets.cross_entropy(nets.forward(layers, x, train=True), y)[0]


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: "-".join(c.values()))
def test_every_parameters_gradient_matches_central_differences(config):
    layers = _network(config)
    x, y = _batch()
    nets.loss_and_gradients(layers, x, y)
    rng = np.random.default_rng(0)
    h = 1e-6
    for layer, name in nets.parameters(layers):
        param, grad = layer.params[name], layer.grads[name]
        assert grad.shape == param.shape
        picks = rng.choice(param.size, size=min(6, param.size), replace=False)
        for flat in picks:
            index = np.unravel_index(flat, param.shape)
            old = param[index]
            param[index] = old + h
            up = _loss(layers, x, y)
            param[index] = old - h
            down = _loss(layers, x, y)
            param[index] = old
            numeric = (up - down) / (2 * h)
            assert grad[index] == pytest.approx(numeric, rel=1e-5, abs=1e-8), (
                type(layer).__name__,
                name,
                index,
            )


def _torch_model(layers, config, torch):
    """The same network in PyTorch, float64, with the same weights."""
    modules = []
    for layer in layers:
        if isinstance(layer, nets.Dense):
            w = layer.params["W"]
            m = torch.nn.Linear(*w.shape, bias="b" in layer.params, dtype=torch.float64)
            m.weight.data = torch.tensor(w.T.copy())
            if "b" in layer.params:
                m.bias.data = torch.tensor(layer.params["b"])
            if not modules and config["network"] == "mlp":
                modules.append(torch.nn.Flatten())
        elif isinstance(layer, nets.Conv3x3):
            w = layer.params["W"]
            m = torch.nn.Conv2d(
                w.shape[1], w.shape[0], 3, padding=1, bias="b" in layer.params, dtype=torch.float64
            )
            m.weight.data = torch.tensor(w)
            if "b" in layer.params:
                m.bias.data = torch.tensor(layer.params["b"])
        elif isinstance(layer, nets.Norm):
            gamma = layer.params["weight"]
            c = gamma.shape[0]
            kw = {"eps": 1e-5, "dtype": torch.float64}
            if layer.scheme == "batch":
                mlp = config["network"] == "mlp"
                m = (torch.nn.BatchNorm1d if mlp else torch.nn.BatchNorm2d)(c, **kw)
            elif layer.scheme == "group":
                m = torch.nn.GroupNorm(4, c, **kw)
            elif layer.scheme == "layer":
                m = torch.nn.LayerNorm(gamma.shape, **kw)
            else:
                m = torch.nn.InstanceNorm2d(c, affine=True, **kw)
            m.weight.data = torch.tensor(gamma)
            m.bias.data = torch.tensor(layer.params["bias"])
        elif isinstance(layer, nets.Sigmoid):
            m = torch.nn.Sigmoid()
        elif isinstance(layer, nets.ReLU):
            m = torch.nn.ReLU()
        elif isinstance(layer, nets.MaxPool2):
            m = torch.nn.MaxPool2d(2)
        elif isinstance(layer, nets.GlobalAveragePool):
            m = torch.nn.Sequential(torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten())
        else:
            continue  # Tap
        modules.append(m)
    return torch.nn.Sequential(*modules)


@pytest.mark.torch
@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: "-".join(c.values()))
def test_every_gradient_matches_pytorch_autograd(config):
    torch = pytest.importorskip("torch")
    layers = _network(config)
    for layer in layers:
        if isinstance(layer, nets.Norm):
            layer.track = True
    model = _torch_model(layers, config, torch)
    model.train()
    x, y = _batch()
    loss = nets.loss_and_gradients(layers, x, y)
    reference = torch.nn.functional.cross_entropy(model(torch.tensor(x)), torch.tensor(y))
    reference.backward()
    assert loss == pytest.approx(reference.item(), rel=1e-12)
    ours = [layer.grads[name] for layer, name in nets.parameters(layers)]
    theirs = [p.grad.numpy() for p in model.parameters()]
    assert len(ours) == len(theirs)
    for mine, torch_grad, (layer, name) in zip(ours, theirs, nets.parameters(layers)):
        if isinstance(layer, nets.Dense) and name == "W":
            torch_grad = torch_grad.T
        np.testing.assert_allclose(mine, torch_grad, rtol=1e-9, atol=1e-12, err_msg=name)
    # Batch norm's running estimates after this step are PyTorch's (unbiased variance, 0.1).
    for layer, module in zip(
        [la for la in layers if isinstance(la, nets.Norm) and la.scheme == "batch"],
        [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)],
    ):
        np.testing.assert_allclose(layer.running.mean, module.running_mean.numpy(), rtol=1e-10)
        np.testing.assert_allclose(layer.running.var, module.running_var.numpy(), rtol=1e-10)


# --- Training -----------------------------------------------------------------------------------

TINY = {"epochs": 0.5, "evals": 3}


def _data():
    d = digits.load_digits()
    return d.inputs("train"), d.inputs("test")


def test_a_short_run_learns_and_batch_norm_evaluates_with_running_estimates():
    settings = nets.Settings(norm="batch", lr=1.0, epochs=1, evals=3)
    run = nets.train(settings, *_data())
    assert list(run.steps) == [8, 16, 24]  # 1,438 images in batches of 60: 24 steps an epoch
    assert run.diverged_at is None
    assert run.test_accuracy[-1] > 0.5  # chance is 10 %
    assert run.percentiles.shape == (3, 100, 3)
    assert np.all(np.diff(run.percentiles, axis=2) >= 0)  # 15th ≤ 50th ≤ 85th


def test_a_seed_gives_the_same_run_twice_and_seeds_differ():
    settings = nets.Settings(network="cnn", norm="batch", **TINY)
    first, again = nets.train(settings, *_data()), nets.train(settings, *_data())
    assert first == again  # every array equal (seconds are not compared)
    other = nets.train(nets.Settings(network="cnn", norm="batch", seed=1, **TINY), *_data())
    assert not np.array_equal(first.train_loss, other.train_loss)


def test_the_same_run_under_one_and_two_blas_threads():
    code = (
        "from bnviz.engine import nets, digits; d = digits.load_digits();"
        "r = nets.train(nets.Settings(network='cnn', norm='group', epochs=0.3, evals=2),"
        " d.inputs('train'), d.inputs('test')); print(repr(r.train_loss.tolist()))"
    )
    outputs = []
    for threads in ("1", "2"):
        env = {**os.environ, "OPENBLAS_NUM_THREADS": threads, "OMP_NUM_THREADS": threads}
        out = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert out.returncode == 0, out.stderr
        outputs.append(out.stdout)
    assert outputs[0] == outputs[1]


def test_a_learning_rate_far_too_large_diverges_and_says_when():
    # ReLU nets in float64 mostly die (every unit off) rather than overflow; 1e200 overflows.
    run = nets.train(nets.Settings(network="cnn", norm="none", lr=1e200, **TINY), *_data())
    assert run.diverged_at == 2
    assert np.isnan(run.test_accuracy[-1])


def test_runs_round_trip_through_a_file(tmp_path):
    run = nets.train(nets.Settings(**TINY), *_data())
    path = tmp_path / "runs.npz"
    nets.save_runs(path, [run])
    assert nets.load_runs(path) == {run.settings.key(): run}
    assert nets.load_runs(tmp_path / "missing.npz") == {}


# --- Properties ---------------------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(1, 3),
    c_in=st.integers(1, 3),
    c_out=st.integers(1, 4),
    h=st.integers(1, 5),
    w=st.integers(1, 5),
    seed=st.integers(0, 2**16),
)
def test_the_convolutions_backward_is_its_adjoint(n, c_in, c_out, h, w, seed):
    """⟨conv(x), y⟩ = ⟨x, conv_backward(y)⟩ without bias, and ∂/∂W likewise: the backward pass
    is exactly the transpose of the forward map, at any shape."""
    rng = np.random.default_rng(seed)
    conv = nets.Conv3x3(rng, c_in, c_out, 1.0, bias=False)
    x, y = rng.normal(size=(n, c_in, h, w)), rng.normal(size=(n, c_out, h, w))
    out = conv.forward(x, True)
    dx = conv.backward(y)
    assert np.vdot(out, y) == pytest.approx(np.vdot(x, dx), rel=1e-10, abs=1e-10)
    # The weight gradient: ⟨conv_W(x), y⟩ is linear in W, so it equals ⟨W, ∂W⟩.
    assert np.vdot(out, y) == pytest.approx(
        np.vdot(conv.params["W"], conv.grads["W"]), rel=1e-10, abs=1e-10
    )


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 3), c=st.integers(1, 3), half=st.integers(1, 4), seed=st.integers(0, 999))
def test_pooling_passes_each_gradient_to_one_input_of_its_window(n, c, half, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, c, 2 * half, 2 * half))
    for layer in (nets.MaxPool2(), nets.GlobalAveragePool()):
        out = layer.forward(x, True)
        dy = rng.normal(size=out.shape)
        dx = layer.backward(dy)
        # Both are linear in x near a point with distinct values: ⟨f(x), dy⟩ = ⟨x, f'ᵀ dy⟩.
        assert np.vdot(out, dy) == pytest.approx(np.vdot(x, dx), rel=1e-10, abs=1e-10)
        assert dx.sum() == pytest.approx(dy.sum())  # nothing lost, nothing added
