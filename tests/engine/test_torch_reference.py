"""bnviz against PyTorch, an independent implementation (skipped when torch is not installed)."""

import numpy as np
import pytest

import bnviz

torch = pytest.importorskip("torch", reason="PyTorch not installed: the reference comparison skips")
F = torch.nn.functional
pytestmark = pytest.mark.torch


def _torch_reference(x, scheme, weight, bias, eps, num_groups=None):
    """PyTorch's training-mode output for the schemes PyTorch has."""
    t = torch.from_numpy(x)
    w = torch.from_numpy(weight) if weight is not None else None
    b = torch.from_numpy(bias) if bias is not None else None
    n = x.shape[0]
    if scheme == "batch":
        return F.batch_norm(t, None, None, w, b, training=True, eps=eps)
    if scheme == "batch-pixel":
        flat = t.reshape(n, -1)
        wf = w.reshape(-1) if w is not None else None
        bf = b.reshape(-1) if b is not None else None
        return F.batch_norm(flat, None, None, wf, bf, training=True, eps=eps).reshape(t.shape)
    if scheme == "layer":
        return F.layer_norm(t, t.shape[1:], w, b, eps=eps)
    if scheme == "instance":
        return F.instance_norm(t, weight=w, bias=b, eps=eps)
    if scheme == "group":
        return F.group_norm(t, num_groups, w, b, eps=eps)
    raise AssertionError(scheme)


TORCH_SCHEMES = ["batch", "batch-pixel", "layer", "instance", "group"]


@pytest.mark.parametrize("scheme", TORCH_SCHEMES)
@pytest.mark.parametrize("shape", [(4, 6, 5, 7), (3, 4, 9), (16, 6)])
@pytest.mark.parametrize("offset", [0.0, 100.0])
def test_matches_pytorch(scheme, shape, offset):
    if scheme == "instance" and len(shape) == 2:
        pytest.skip("InstanceNorm needs a spatial axis")
    rng = np.random.default_rng(hash((scheme, shape)) % 2**32)
    x = offset + rng.normal(size=shape) * rng.uniform(
        0.5, 3, size=(1, shape[1]) + (1,) * (len(shape) - 2)
    )
    x = x.astype(np.float32)
    params = {"num_groups": 2} if scheme == "group" else {}
    d = bnviz.describe(shape, scheme, **params)
    weight = rng.uniform(0.5, 2, size=d.param_shape).astype(np.float32)
    bias = rng.normal(size=d.param_shape).astype(np.float32)
    out = bnviz.normalize(x, scheme, weight=weight, bias=bias, eps=1e-5, **params)
    expected = _torch_reference(x, scheme, weight, bias, 1e-5, **params).numpy()
    assert out.y.dtype == np.float32
    np.testing.assert_allclose(out.y, expected, rtol=1e-4, atol=2e-4 * (1 + offset / 100))


def test_pytorch_refuses_single_value_batch_groups_we_explain():
    with pytest.raises(ValueError, match="Expected more than 1 value per channel"):
        torch.nn.BatchNorm1d(4).train()(torch.ones(1, 4))
    sentences = bnviz.describe((1, 4), "batch").sentences
    assert any("Expected more than 1 value per channel" in s for s in sentences)


def test_running_statistics_use_unbiased_variance_as_described():
    x = np.random.default_rng(0).normal(size=(4, 2, 3, 3)).astype(np.float32)
    module = torch.nn.BatchNorm2d(2, momentum=0.1)
    module.train()(torch.from_numpy(x))
    m = 4 * 3 * 3
    out = bnviz.normalize(x, "batch")
    expected = 0.9 * 1.0 + 0.1 * out.var.ravel() * m / (m - 1)
    np.testing.assert_allclose(module.running_var.numpy(), expected, rtol=1e-5)
