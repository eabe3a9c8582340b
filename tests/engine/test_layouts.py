"""Layouts as data: NHWC and token (NLD) tensors go through the engine permuted, and back.

Against PyTorch where it has the layer: transformers' LayerNorm(D) and RMSNorm(D) on (N, L, D),
BatchNorm1d(D) on x.transpose(1, 2), ConvNeXt's channels-last LayerNorm, F.rms_norm over
(C, H, W); every scheme's recipe on NHWC and NLD tensors is executed.
"""

import numpy as np
import pytest
from conftest import scheme_configs

import bnviz

NHWC = (3, 4, 5, 6)
NLD = (3, 5, 8)


def _x(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape) * 2 + 1


@pytest.mark.parametrize("scheme", list(bnviz.SCHEMES))
def test_nhwc_is_nchw_transposed(scheme):
    params = {"num_groups": 2} if scheme == "group" else {}
    x = _x(NHWC)
    out = bnviz.normalize(x, scheme, layout="NHWC", **params)
    reference = bnviz.normalize(x.transpose(0, 3, 1, 2), scheme, **params)
    np.testing.assert_allclose(out.y, reference.y.transpose(0, 2, 3, 1), rtol=1e-12, atol=1e-12)
    labels = bnviz.group_labels(NHWC, scheme, layout="NHWC", **params)
    np.testing.assert_array_equal(
        labels,
        bnviz.group_labels(NHWC[:1] + NHWC[3:] + NHWC[1:3], scheme, **params).transpose(0, 2, 3, 1),
    )
    assert out.mean.ndim == 4 and np.broadcast_to(out.mean, x.shape).shape == x.shape


def test_tokens_layer_and_rms_normalize_each_token_over_its_features():
    x = _x(NLD)
    for scheme in ("layer", "rms"):
        d = bnviz.describe(NLD, scheme, layout="NLD")
        assert d.groups == 3 * 5 and d.group_size == 8 and d.param_shape == (8,)
        assert "each token (n, l), over D" in d.sentences[1]
        labels = bnviz.group_labels(NLD, scheme, layout="NLD")
        assert len(np.unique(labels[1, 2])) == 1  # one token: one group
        assert len(np.unique(labels[1, :, 0])) == 5  # the positions of a sample: five groups
    y = bnviz.normalize(x, "layer", layout="NLD").y
    np.testing.assert_allclose(y.mean(axis=2), 0, atol=1e-12)
    # Batch norm on tokens: each feature over N and L.
    d = bnviz.describe(NLD, "batch", layout="NLD")
    assert d.groups == 8 and d.group_size == 15
    # The per-sequence variant is named beside transformers' one.
    text = " ".join(bnviz.describe(NLD, "layer", layout="NLD").sentences)
    assert "per-sequence variant" in text and "m′ = L × D = 40" in text


def test_bad_layouts_are_input_errors():
    with pytest.raises(bnviz.InputError, match="Unknown layout"):
        bnviz.normalize(np.ones((2, 3, 4, 4)), "batch", layout="NCWH")
    with pytest.raises(bnviz.InputError, match="rank 3"):
        bnviz.normalize(np.ones((2, 3, 4, 4)), "batch", layout="NLD")


torch = pytest.importorskip("torch", reason="PyTorch not installed: the layout recipes cannot run")


@pytest.mark.torch
def test_transformer_layer_norm_rms_norm_and_batch_norm_on_tokens():
    x = _x(NLD).astype(np.float32)
    t = torch.from_numpy(x)
    with torch.no_grad():
        ln = torch.nn.LayerNorm(8)(t).numpy()
        rms = torch.nn.RMSNorm(8, eps=1e-6)(t).numpy()
        bn = torch.nn.BatchNorm1d(8)(t.transpose(1, 2)).transpose(1, 2).numpy()
    np.testing.assert_allclose(bnviz.normalize(x, "layer", layout="NLD").y, ln, atol=2e-6)
    np.testing.assert_allclose(bnviz.normalize(x, "rms", layout="NLD", eps=1e-6).y, rms, atol=2e-6)
    np.testing.assert_allclose(bnviz.normalize(x, "batch", layout="NLD").y, bn, atol=2e-6)


@pytest.mark.torch
def test_channels_last_layer_norm_and_rms_norm_over_c_h_w():
    x = _x(NHWC).astype(np.float32)  # (N, H, W, C)
    t = torch.from_numpy(x)
    with torch.no_grad():
        convnext = torch.nn.LayerNorm(6, eps=1e-6)(t).numpy()  # ConvNeXt's channels_last
        nchw = t.permute(0, 3, 1, 2)
        rms = torch.nn.functional.rms_norm(nchw, (6, 4, 5), eps=1e-5).numpy()
    np.testing.assert_allclose(
        bnviz.normalize(x, "layer-channels", layout="NHWC").y, convnext, atol=2e-6
    )
    ours = bnviz.normalize(x.transpose(0, 3, 1, 2), "rms", eps=1e-5).y
    np.testing.assert_allclose(ours, rms, atol=2e-6)


@pytest.mark.torch
@pytest.mark.parametrize(
    ("shape", "layout", "scheme", "params"),
    [
        (s, lay, sc, p)
        for s, lay, channels in ((NHWC, "NHWC", NHWC[3]), (NLD, "NLD", NLD[2]))
        for sc, p in scheme_configs(channels)
    ],
)
def test_every_recipe_runs_on_every_layout(shape, layout, scheme, params):
    d = bnviz.describe(shape, scheme, layout=layout, **params)
    if d.torch is None:
        assert scheme == "mvn"
        return
    x = _x(shape, seed=3)
    module = eval(d.torch.module, {"torch": torch})  # noqa: S307 (our own recipe)
    with torch.no_grad():
        theirs = eval(  # noqa: S307
            f"module({d.torch.before}){d.torch.after}",
            {"torch": torch, "x": torch.from_numpy(x), "module": module.double()},
        ).numpy()
    # ε as the recipe has it (RMS norm's default depends on the dtype; describe assumes float32).
    ours = bnviz.normalize(x, scheme, layout=layout, eps=d.eps, **params).y
    assert theirs.shape == x.shape
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-9)
