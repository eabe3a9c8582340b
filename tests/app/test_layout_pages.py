"""Layouts on the pages: the Explorer and Compare hold their (N, C, H, W) tensor as NCHW, NHWC or
NLD tokens (L = H·W positions of D = C features), and every number follows the held tensor."""

import numpy as np
import pytest
from conftest import open_app, scheme_configs

import bnviz
from bnviz.views import compare, explorer

SHAPE = (3, 4, 2, 3)
BASE = {"eps": "default", "affine": True, "gamma": 2.0, "beta": 0.5}


def configs():
    for scheme_id, params in scheme_configs(SHAPE[1]):
        for layout in explorer.LAYOUTS:
            yield layout, scheme_id, params


@pytest.mark.parametrize("layout, scheme_id, params", list(configs()))
def test_the_explorer_computes_on_the_held_tensor_and_shows_it_cell_by_cell(
    layout, scheme_id, params
):
    x = np.random.default_rng(7).normal(1.0, 2.0, size=SHAPE).astype(np.float32)
    values = {**BASE, "layout": layout, "scheme": scheme_id, **params}
    result = explorer.compute(x, values)
    tensor = explorer.held(x, layout)
    assert tensor.shape == explorer.held_shape(SHAPE, layout)
    plain = bnviz.normalize(tensor, scheme_id, layout=layout, **params)
    # Every cell of the map holds the held tensor's value at the same place.
    np.testing.assert_array_equal(result.x_hat, explorer.back_to_cells(plain.y, layout, SHAPE))
    mean = np.broadcast_to(result.mean, SHAPE)
    labels = result.labels
    assert labels.shape == SHAPE
    for group in np.unique(labels):  # one mean per group, as the layout's groups say
        assert np.ptp(mean[labels == group]) == 0
    assert len(np.unique(labels)) == result.description.groups
    # γ and β reach each cell at its own position in the parameters (cell_details reads them).
    for cell in [(0, 0, 0, 0), (2, 3, 1, 2), (1, 2, 0, 1)]:
        details = explorer.cell_details(result, cell)
        if details.gamma is not None:
            expected = details.gamma * details.x_hat + (details.beta or 0.0)
            assert details.y == pytest.approx(expected, rel=1e-5, abs=1e-5)


def test_tokens_layer_norm_is_each_token_over_its_features():
    x = np.random.default_rng(1).normal(size=SHAPE).astype(np.float32)
    result = explorer.compute(x, {**BASE, "affine": False, "layout": "NLD", "scheme": "layer"})
    reference = bnviz.normalize(x, "layer-channels", eps=1e-5).y  # each (n, h, w) over C
    np.testing.assert_allclose(result.y, reference, atol=1e-6)
    assert (
        result.description.sentences[1]
        == "One mean and one variance for each token (n, l), over D."
    )
    assert result.description.torch_code == "torch.nn.LayerNorm((4,), eps=1e-05)(x)"


def test_channels_last_gives_the_same_groups_in_keras_words():
    x = np.random.default_rng(2).normal(size=SHAPE).astype(np.float32)
    result = explorer.compute(x, {**BASE, "affine": False, "layout": "NHWC", "scheme": "batch"})
    np.testing.assert_allclose(result.y, bnviz.normalize(x, "batch").y, atol=1e-6)
    assert ".permute(0, 3, 1, 2)" in result.description.torch_code


def test_the_explorer_page_speaks_of_tokens_and_keeps_the_layout_in_the_link():
    at = open_app(
        None, {"layout": "NLD", "scheme": "layer", "n": "4", "c": "8", "h": "2", "w": "3"}
    )
    text = " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)
    assert "each token (n, l), over D" in text
    assert "L = 6 tokens" in text and "(N, L, D) = (4, 6, 8)" in text
    assert at.query_params["layout"] == "NLD"
    at = open_app(None, {"scheme": "layer"})
    assert "layout" not in at.query_params  # the default stays out of links


def test_compare_holds_every_scheme_as_tokens():
    at = open_app("pages/compare.py", {"layout": "NLD", "schemes": "layer,batch", "c": "8"})
    table = at.table[0].value if at.table else at.dataframe[0].value
    rows = {row["scheme"]: row for row in table.to_dict("records")}
    assert rows["Layer norm"]["m′ (values per pair)"] == "D = 8"
    assert rows["Batch norm (per channel)"]["one μ and σ² for"].startswith("each feature d")
    values = compare.slot_values({**{f.key: f.default for f in compare.FIELDS}, "layout": "NLD"}, 1)
    assert values["layout"] == "NLD"


def test_group_norm_on_tokens_groups_features_and_reduces_only_those_and_l():
    d = bnviz.describe((4, 6, 8), "group", layout="NLD", num_groups=2)
    assert d.sentences[1] == (
        "One mean and one variance for each sample and group of D/G = 8/2 = 4 consecutive "
        "features, over those features and L."
    )
    assert d.factors_names == "D/G × L" and d.group_size == 4 * 6
