"""Running statistics and folding (bnviz.RunningStatistics, bnviz.fold_batch_norm).

PyTorch's own modules where torch is installed; Keras' and Caffe's rules written out again here,
independently, from their sources (Keras 3 keras/src/layers/normalization/batch_normalization.py;
Caffe src/caffe/layers/batch_norm_layer.cpp); hand-computed cases; hypothesis properties.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bnviz
from bnviz import InputError, RunningStatistics, fold_batch_norm
from bnviz.engine import running


def batches(shapes, seed=0, offset=3.0):
    rng = np.random.default_rng(seed)
    out = []
    for shape in shapes:
        scale = rng.uniform(0.5, 3.0, size=(1, shape[1]) + (1,) * (len(shape) - 2))
        out.append((offset + scale * rng.normal(size=shape)).astype(np.float32))
    return out


# --- hand-computed ----------------------------------------------------------------------------


def test_one_pytorch_step_by_hand():
    # One channel, values 1, 2, 3, 6: mean 3, biased var 3.5, unbiased 14/3.
    x = np.array([1.0, 2.0, 3.0, 6.0]).reshape(4, 1, 1, 1)
    stats = RunningStatistics("batch")
    out = stats.update(x)
    assert stats.steps == 1
    np.testing.assert_allclose(stats.mean, [0.9 * 0 + 0.1 * 3])
    np.testing.assert_allclose(stats.var, [0.9 * 1 + 0.1 * 14 / 3])
    # Training mode normalizes with the biased variance 3.5.
    np.testing.assert_allclose(out.y.ravel(), (x.ravel() - 3) / np.sqrt(3.5 + 1e-5))
    np.testing.assert_allclose(out.var.ravel(), [3.5])
    # Evaluation mode uses the running estimates: (x − 0.3) / √(1.36667 + 1e-5).
    y = stats.infer(x).y.ravel()
    np.testing.assert_allclose(y, (x.ravel() - 0.3) / np.sqrt(0.9 + 1.4 / 3 + 1e-5))


def test_keras_and_caffe_steps_by_hand():
    x = np.array([1.0, 2.0, 3.0, 6.0]).reshape(4, 1)
    keras = RunningStatistics("batch", convention="keras")
    keras.update(x)
    np.testing.assert_allclose(keras.mean, [0.99 * 0 + 0.01 * 3])
    np.testing.assert_allclose(keras.var, [0.99 * 1 + 0.01 * 3.5])  # biased
    assert keras.eps == 1e-3
    caffe = RunningStatistics("batch", convention="caffe")
    caffe.update(x)
    # Factor 1 after one step: the estimate is the batch's, the variance corrected by 4/3.
    np.testing.assert_allclose(caffe.mean, [3.0])
    np.testing.assert_allclose(caffe.var, [14 / 3])
    assert caffe.scale_factor == 1.0
    caffe.update(x + 1)
    # Sums: mean 4 + 0.999·3, factor 1 + 0.999.
    np.testing.assert_allclose(caffe.buffers["blobs_[0]"], [4 + 0.999 * 3])
    np.testing.assert_allclose(caffe.buffers["blobs_[2]"], [1.999])
    np.testing.assert_allclose(caffe.mean, [(4 + 0.999 * 3) / 1.999])


def test_cumulative_average_is_momentum_none():
    xs = batches([(3, 2, 2, 2)] * 4, seed=3)
    stats = RunningStatistics("batch", momentum=None)
    for x in xs:
        stats.update(x)
    means = [x.astype(np.float64).mean(axis=(0, 2, 3)) for x in xs]
    np.testing.assert_allclose(stats.mean, np.mean(means, axis=0))
    unbiased = [x.astype(np.float64).var(axis=(0, 2, 3), ddof=1) for x in xs]
    np.testing.assert_allclose(stats.var, np.mean(unbiased, axis=0))
    # Caffe with moving_average_fraction = 1 keeps the same cumulative average.
    caffe = RunningStatistics("batch", convention="caffe", momentum=1.0)
    for x in xs:
        caffe.update(x)
    np.testing.assert_allclose(caffe.mean, stats.mean)
    np.testing.assert_allclose(caffe.var, stats.var)


def test_shapes_are_the_frameworks():
    x = batches([(4, 3, 2, 5)])[0]
    for scheme, params, shape in [
        ("batch", {}, (3,)),
        ("batch-pixel", {}, (30,)),
        ("batch-location", {}, (10,)),
        ("tensor", {}, (1,)),
        ("custom", {"keep": "CW"}, (15,)),
    ]:
        stats = RunningStatistics(scheme, **params)
        assert stats.mean is None and stats.running_shape is None
        stats.update(x)
        assert stats.running_shape == shape == stats.mean.shape == stats.var.shape, scheme
        d = bnviz.describe(x.shape, scheme, **params)
        assert d.running_stats_shape == shape


def test_refusals_are_clear():
    with pytest.raises(InputError, match="keeps each sample's own statistics"):
        RunningStatistics("layer")
    with pytest.raises(InputError, match="keeps each sample's own statistics"):
        RunningStatistics("group", num_groups=2)
    with pytest.raises(InputError, match="keeps each sample"):
        RunningStatistics("custom", keep="NC")
    with pytest.raises(InputError, match="Unknown convention"):
        RunningStatistics(convention="tensorflow1")
    with pytest.raises(InputError, match="between 0 and 1"):
        RunningStatistics(momentum=1.5)
    with pytest.raises(InputError, match="moving_average_fraction = 1 keeps the cumulative"):
        RunningStatistics(convention="caffe", momentum=None)
    with pytest.raises(InputError, match="is PyTorch's"):
        RunningStatistics(convention="keras", momentum=None)
    with pytest.raises(InputError, match="no γ and β"):
        RunningStatistics(convention="caffe").update(np.ones((2, 3)), weight=np.ones(3))
    stats = RunningStatistics()
    stats.update(np.ones((2, 3, 4, 4)))
    with pytest.raises(InputError, match="Only the batch size may change"):
        stats.update(np.ones((2, 4, 4, 4)))
    stats.update(np.ones((7, 3, 4, 4)))  # another batch size is fine
    with pytest.raises(InputError, match="eps must be positive during training"):
        RunningStatistics(eps=0).update(np.ones((2, 3)))


def test_batch_size_one_refused_in_pytorch_convention_only():
    x = np.arange(3.0).reshape(1, 3, 1, 1)
    with pytest.raises(InputError) as error:
        RunningStatistics().update(x)
    assert str(error.value) == (
        "Expected more than 1 value per channel when training, got input size "
        "torch.Size([1, 3, 1, 1])"
    )
    with pytest.raises(InputError, match=r"torch.Size\(\[1, 12\]\)"):
        RunningStatistics("batch-pixel").update(np.ones((1, 3, 2, 2)))
    # One image with several locations is fine: m′ = H·W.
    RunningStatistics().update(np.ones((1, 3, 2, 1)))
    # Keras and Caffe compute: the variance is 0 (Caffe leaves m′ = 1 uncorrected).
    for convention in ("keras", "caffe"):
        stats = RunningStatistics(convention=convention)
        out = stats.update(x)
        np.testing.assert_array_equal(out.y, 0)
    np.testing.assert_allclose(stats.var, 0)
    # Evaluation takes any batch size.
    stats = RunningStatistics()
    stats.update(batches([(4, 3, 2, 2)])[0])
    assert stats.infer(x).y.shape == x.shape


def test_infer_before_any_update_uses_the_start_values():
    x = np.array([[1.0, -2.0]])
    np.testing.assert_allclose(RunningStatistics().infer(x).y, x / np.sqrt(1 + 1e-5))
    np.testing.assert_allclose(
        RunningStatistics(convention="keras").infer(x).y, x / np.sqrt(1 + 1e-3)
    )
    # Caffe scales its zero sums by 0 while its factor is 0: mean 0 and variance 0.
    np.testing.assert_allclose(RunningStatistics(convention="caffe").infer(x).y, x / np.sqrt(1e-5))


def test_momentum_conversion():
    torch_c, keras_c = running.CONVENTIONS["pytorch"], running.CONVENTIONS["keras"]
    assert keras_c.new_batch_weight(0.99) == pytest.approx(0.01)
    assert torch_c.momentum_for_weight(keras_c.new_batch_weight(0.99)) == 0.01
    assert keras_c.momentum_for_weight(torch_c.new_batch_weight(0.1)) == 0.9
    # Keras with momentum 0.9 updates the mean exactly as PyTorch with 0.1.
    xs = batches([(5, 2, 3, 3)] * 6, seed=7)
    a = RunningStatistics(momentum=0.1)
    b = RunningStatistics(convention="keras", momentum=0.9, eps=1e-5)
    for x in xs:
        a.update(x)
        b.update(x)
    np.testing.assert_allclose(a.mean, b.mean)
    # ... but the variances differ by PyTorch's unbiased correction.
    assert not np.allclose(a.var, b.var)


# --- Keras and Caffe, written out independently -----------------------------------------------


def keras_reference(xs, momentum=0.99, axes=(0, 2, 3)):
    moving_mean, moving_var = 0.0, 1.0
    for x in xs:
        x = x.astype(np.float64)
        mean, var = x.mean(axis=axes), x.var(axis=axes)
        moving_mean = moving_mean * momentum + mean * (1.0 - momentum)
        moving_var = moving_var * momentum + var * (1.0 - momentum)
    return moving_mean, moving_var


def caffe_reference(xs, fraction=0.999):
    blobs = [0.0, 0.0, 0.0]
    for x in xs:
        x = x.astype(np.float64)
        channels = x.shape[1]
        mean = x.mean(axis=(0, 2, 3))
        var = ((x - mean[None, :, None, None]) ** 2).mean(axis=(0, 2, 3))
        blobs[2] = blobs[2] * fraction + 1
        blobs[0] = mean + fraction * blobs[0]
        m = x.size // channels
        correction = m / (m - 1) if m > 1 else 1
        blobs[1] = correction * var + fraction * blobs[1]
    scale = 0 if blobs[2] == 0 else 1 / blobs[2]
    return blobs[0] * scale, blobs[1] * scale


@pytest.mark.parametrize("momentum", [0.99, 0.9, 0.5])
def test_keras_convention(momentum):
    xs = batches([(4, 3, 5, 5), (2, 3, 5, 5), (8, 3, 5, 5), (1, 3, 5, 5)], seed=1)
    stats = RunningStatistics(convention="keras", momentum=momentum)
    for x in xs:
        stats.update(x)
    mean, var = keras_reference(xs, momentum)
    np.testing.assert_allclose(stats.mean, mean, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(stats.var, var, rtol=1e-6)
    x = xs[0]
    expected = (x - mean[None, :, None, None]) / np.sqrt(var[None, :, None, None] + 1e-3)
    np.testing.assert_allclose(stats.infer(x).y, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("fraction", [0.999, 0.9])
def test_caffe_convention(fraction):
    xs = batches([(4, 3, 5, 5), (2, 3, 5, 5), (8, 3, 5, 5)], seed=2)
    stats = RunningStatistics(convention="caffe", momentum=fraction)
    stats.update(xs[0])
    first_mean, first_var = caffe_reference(xs[:1], fraction)
    # The first batch's estimate is exact (the batch's mean and unbiased variance).
    np.testing.assert_allclose(stats.mean, xs[0].astype(np.float64).mean(axis=(0, 2, 3)))
    np.testing.assert_allclose(stats.var, first_var, rtol=1e-6)
    for x in xs[1:]:
        stats.update(x)
    mean, var = caffe_reference(xs, fraction)
    np.testing.assert_allclose(stats.mean, mean, rtol=1e-6)
    np.testing.assert_allclose(stats.var, var, rtol=1e-6)
    expected = (xs[1] - mean[None, :, None, None]) / np.sqrt(var[None, :, None, None] + 1e-5)
    np.testing.assert_allclose(stats.infer(xs[1]).y, expected, rtol=1e-5, atol=1e-5)


# --- folding ------------------------------------------------------------------------------------


def test_fold_by_hand():
    weight = np.array([[[[2.0]]], [[[1.0]]]])  # 1 × 1 convolutions, 2 output channels
    w2, b2 = fold_batch_norm(
        weight, np.array([1.0, 0.0]), [3.0, -1.0], [4.0, 0.25], gamma=[2.0, 1.0], beta=0.5, eps=0
    )
    # Channel 0: scale 2/2 = 1: W′ = 2, b′ = 1·(1 − 3) + 0.5 = −1.5.
    # Channel 1: scale 1/0.5 = 2: W′ = 2, b′ = 2·(0 + 1) + 0.5 = 2.5.
    np.testing.assert_allclose(w2.ravel(), [2.0, 2.0])
    np.testing.assert_allclose(b2, [-1.5, 2.5])


@pytest.mark.parametrize("padding", ["valid", "same", 1])
def test_fold_equals_conv_then_eval_batch_norm(padding):
    rng = np.random.default_rng(5)
    x = rng.normal(size=(3, 2, 9, 8)).astype(np.float32)
    weight = rng.normal(size=(4, 2, 3, 3))
    bias = rng.normal(size=4)
    stats = RunningStatistics()
    for k in range(5):
        stats.update(bnviz.conv2d(x + k, weight, bias, padding=padding))
    gamma, beta = rng.uniform(0.5, 2, 4), rng.normal(size=4)
    w2, b2 = fold_batch_norm(
        weight, bias, stats.mean, stats.var, gamma=gamma, beta=beta, eps=stats.eps
    )
    folded = bnviz.conv2d(x.astype(np.float64), w2, b2, padding=padding)
    two_layers = stats.infer(
        bnviz.conv2d(x.astype(np.float64), weight, bias, padding=padding), weight=gamma, bias=beta
    ).y
    np.testing.assert_allclose(folded, two_layers, rtol=1e-10, atol=1e-10)


def test_fold_refuses_bad_shapes():
    with pytest.raises(InputError, match=r"mean must have shape \(Cout,\)"):
        fold_batch_norm(np.ones((2, 1, 3, 3)), None, np.zeros(3), np.ones(2))
    with pytest.raises(InputError, match="var \\+ eps must be positive"):
        fold_batch_norm(np.ones((2, 1, 3, 3)), None, np.zeros(2), np.zeros(2), eps=0)


# --- properties ---------------------------------------------------------------------------------


@st.composite
def trained(draw):
    n = draw(st.integers(2, 5))
    c = draw(st.integers(1, 4))
    h, w = draw(st.integers(1, 4)), draw(st.integers(2, 4))
    convention = draw(st.sampled_from(list(running.CONVENTIONS)))
    seed = draw(st.integers(0, 2**32 - 1))
    steps = draw(st.integers(0, 4))
    rng = np.random.default_rng(seed)
    stats = RunningStatistics(convention=convention)
    offsets = rng.uniform(-5, 5, size=(1, c, 1, 1))
    for _ in range(steps):
        stats.update(offsets + rng.normal(size=(n, c, h, w)))
    return stats, rng, (n, c, h, w), offsets


@settings(max_examples=60, deadline=None)
@given(trained())
def test_infer_is_one_affine_map_per_channel(case):
    stats, rng, shape, offsets = case
    x = offsets + rng.normal(size=shape) * 3
    a, b = stats.affine_map()
    y = stats.infer(x).y
    np.testing.assert_allclose(y, a[None, :, None, None] * x + b[None, :, None, None], atol=1e-9)
    # Affine: a shift of the input by d shifts the output by a·d, whatever the rest of x.
    d = rng.normal(size=shape)
    np.testing.assert_allclose(
        stats.infer(x + d).y - y, a[None, :, None, None] * d, rtol=1e-7, atol=1e-8
    )


@settings(max_examples=60, deadline=None)
@given(trained(), st.floats(0.5, 20), st.integers(0, 2))
def test_only_train_mode_output_depends_on_the_other_images(case, shift, extra):
    stats, rng, (n, c, h, w), offsets = case
    x = offsets + rng.normal(size=(n, c, h, w))
    # The other images moved by `shift`, and `extra` more images in the batch.
    others = np.concatenate([x[1:] + shift, offsets + rng.normal(size=(extra, c, h, w))])
    changed = np.concatenate([x[:1], others])
    scheme_probe = RunningStatistics(convention=stats.convention.id)
    train_before = scheme_probe.update(x).y[0]
    train_after = scheme_probe.update(changed).y[0]
    assert not np.allclose(train_before, train_after, atol=1e-6)
    np.testing.assert_array_equal(stats.infer(x).y[0], stats.infer(changed).y[0])
    np.testing.assert_array_equal(stats.infer(x[:1]).y[0], stats.infer(x).y[0])
    # Layer and group norm do not look at the other images either.
    for scheme, params in (("layer", {}), ("group", {"num_groups": 1})):
        np.testing.assert_allclose(
            bnviz.normalize(x, scheme, **params).y[0],
            bnviz.normalize(changed, scheme, **params).y[0],
            rtol=0,
            atol=1e-12,
        )


@settings(max_examples=40, deadline=None)
@given(trained())
def test_update_returns_exactly_normalize(case):
    stats, rng, shape, offsets = case
    x = (offsets + rng.normal(size=shape)).astype(np.float32)
    out = stats.update(x)
    expected = bnviz.normalize(x, "batch", eps=stats.eps)
    np.testing.assert_array_equal(out.y, expected.y)
    np.testing.assert_array_equal(out.mean, expected.mean)


# --- PyTorch -------------------------------------------------------------------------------------


@pytest.mark.torch
@pytest.mark.parametrize("momentum", [0.1, 0.3, None])
@pytest.mark.parametrize("rank", [2, 3, 4])
def test_matches_pytorch_buffers_and_eval_output(momentum, rank):
    torch = pytest.importorskip("torch")
    c = 3
    spatial = {2: (), 3: (7,), 4: (5, 4)}[rank]
    xs = batches([(n, c, *spatial) for n in (4, 2, 8, 3, 5)], seed=rank, offset=10.0)
    module = {2: torch.nn.BatchNorm1d, 3: torch.nn.BatchNorm1d, 4: torch.nn.BatchNorm2d}[rank]
    bn = module(c, momentum=momentum).double()
    with torch.no_grad():
        bn.weight.copy_(torch.tensor([1.5, 0.5, 2.0]))
        bn.bias.copy_(torch.tensor([0.0, -1.0, 0.25]))
    stats = RunningStatistics(momentum=None if momentum is None else momentum)
    gamma, beta = bn.weight.detach().numpy().copy(), bn.bias.detach().numpy().copy()
    for x in xs:
        expected = bn(torch.from_numpy(x.astype(np.float64))).detach().numpy()
        np.testing.assert_allclose(
            stats.update(x.astype(np.float64), weight=gamma, bias=beta).y, expected, atol=1e-10
        )
    np.testing.assert_allclose(stats.mean, bn.running_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(stats.var, bn.running_var.numpy(), rtol=1e-12)
    assert stats.buffers["num_batches_tracked"] == bn.num_batches_tracked.item() == len(xs)
    bn.eval()
    x = xs[0].astype(np.float64)
    np.testing.assert_allclose(
        stats.infer(x, weight=gamma, bias=beta).y,
        bn(torch.from_numpy(x)).detach().numpy(),
        rtol=1e-12,
        atol=1e-12,
    )


@pytest.mark.torch
def test_matches_pytorch_for_per_activation_buffers_and_float32():
    torch = pytest.importorskip("torch")
    xs = batches([(6, 2, 3, 3)] * 4, seed=9)
    bn = torch.nn.BatchNorm1d(18)
    stats = RunningStatistics("batch-pixel")
    for x in xs:
        bn(torch.from_numpy(x).reshape(6, -1))
        stats.update(x)
    np.testing.assert_allclose(stats.mean, bn.running_mean.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(stats.var, bn.running_var.numpy(), rtol=1e-5)
    bn.eval()
    y = stats.infer(xs[1]).y
    assert y.dtype == np.float32
    expected = bn(torch.from_numpy(xs[1]).reshape(6, -1)).detach().numpy().reshape(xs[1].shape)
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-5)


@pytest.mark.torch
def test_pytorch_refusal_message_is_its_own():
    torch = pytest.importorskip("torch")
    for shape, scheme, module in [
        ((1, 3, 1, 1), "batch", torch.nn.BatchNorm2d(3)),
        ((1, 5), "batch", torch.nn.BatchNorm1d(5)),
    ]:
        with pytest.raises(ValueError) as theirs:
            module(torch.zeros(shape))
        with pytest.raises(InputError) as ours:
            RunningStatistics(scheme).update(np.zeros(shape))
        assert str(ours.value) == str(theirs.value)
    with pytest.raises(ValueError) as theirs:
        torch.nn.BatchNorm1d(12)(torch.zeros(1, 3, 2, 2).reshape(1, -1))
    with pytest.raises(InputError) as ours:
        RunningStatistics("batch-pixel").update(np.zeros((1, 3, 2, 2)))
    assert str(ours.value) == str(theirs.value)


@pytest.mark.torch
def test_fold_matches_pytorch_conv_then_eval_batch_norm():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(11)
    conv = torch.nn.Conv2d(3, 4, 3, padding=1).double()
    bn = torch.nn.BatchNorm2d(4).double()
    for _ in range(3):
        bn(conv(torch.from_numpy(rng.normal(size=(4, 3, 6, 6)) + 2)))
    bn.eval()
    with torch.no_grad():
        bn.weight.copy_(torch.from_numpy(rng.uniform(0.5, 2, 4)))
        bn.bias.copy_(torch.from_numpy(rng.normal(size=4)))
        x = torch.from_numpy(rng.normal(size=(2, 3, 6, 6)))
        expected = bn(conv(x)).numpy()
    w2, b2 = fold_batch_norm(
        conv.weight.detach().numpy(),
        conv.bias.detach().numpy(),
        bn.running_mean.numpy(),
        bn.running_var.numpy(),
        gamma=bn.weight.detach().numpy(),
        beta=bn.bias.detach().numpy(),
        eps=bn.eps,
    )
    np.testing.assert_allclose(bnviz.conv2d(x.numpy(), w2, b2, padding=1), expected, atol=1e-10)
