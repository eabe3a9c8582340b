"""The Explorer page, headless (Streamlit's AppTest)."""

import json

import numpy as np
import pytest
from conftest import open_app

import bnviz
from bnviz.figures.groupmap import read_payload


def run(query=None):
    return open_app(None, query)


def group_map(at, index=0):
    """The header and arrays of a group map's payload, as the browser gets them."""
    return read_payload(at.get("bidi_component")[index].proto.bytes)


def test_default_view_shows_summary_and_map():
    at = run()
    assert at.info[0].value == bnviz.describe((4, 3, 6, 6), "batch").summary
    header, arrays = group_map(at)
    assert header["shape"] == [4, 3, 6, 6] and header["selected"] is None
    # Batch norm: one group per channel, so the drawn group ids are the channel of each cell.
    ids = arrays["group_id"][arrays["group"]].reshape(4, 3, 6, 6)
    np.testing.assert_array_equal(
        ids, np.broadcast_to(np.arange(3)[None, :, None, None], ids.shape)
    )
    assert not at.warning


@pytest.mark.parametrize("scheme", list(bnviz.SCHEMES))
def test_every_scheme_renders(scheme):
    at = run({"scheme": scheme, "c": "4"})
    params = {"num_groups": 2} if scheme == "group" else {}
    assert at.info[0].value == bnviz.describe((4, 4, 6, 6), scheme, **params).summary
    assert at.selectbox(key="w.scheme").value == scheme


def test_controls_change_the_view_and_the_url():
    at = run()
    at.selectbox(key="w.scheme").set_value("layer").run()
    at.number_input(key="w.c").set_value(5).run()
    assert at.info[0].value == bnviz.describe((4, 5, 6, 6), "layer").summary
    assert at.query_params["scheme"] == "layer"
    assert at.query_params["c"] == "5"


# An Explorer view that its URL moves away from the defaults: group norm and its G, sizes, a
# selected cell, colour by y, γ and ε (test_share_app adds the seed).
GROUP_VIEW = {
    "scheme": "group",
    "c": "6",
    "num_groups": "3",
    "n": "2",
    "cell": "1,4,2,3",
    "colour": "y",
    "affine": "1",
    "gamma": "2",
    "eps": "1e-3",
}


def test_url_round_trip_restores_view_and_selected_cell():
    at = run(GROUP_VIEW)
    assert at.selectbox(key="w.num_groups").value == 3
    assert at.radio(key="w.colour").value == "y"
    assert [at.number_input(key=f"w.cell.{a}").value for a in "nchw"] == [1, 4, 2, 3]
    assert any("Group 5" in m.value for m in at.markdown)  # sample 1, channels 4-5: group 1*3 + 2
    header, arrays = group_map(at)
    assert header["selected"] == [1, 4, 2, 3] and header["colour_by"] == "y"
    k = np.ravel_multi_index((1, 4, 2, 3), header["shape"])
    assert arrays["group_id"][arrays["group"][k]] == 5
    for key, value in GROUP_VIEW.items():
        assert at.query_params[key] == value


def test_picking_a_cell_with_the_keyboard_inputs():
    at = run({"cell": "0,0,0,0"})
    at.number_input(key="w.cell.c").set_value(2).run()
    assert at.query_params["cell"] == "0,2,0,0"
    latex = " ".join(el.value for el in at.latex)
    assert r"\hat{x}" in latex and r"\sqrt" in latex


@pytest.mark.parametrize(
    ("query", "warning"),
    [
        ({"n": "-5"}, "N (batch)"),
        ({"scheme": "<script>alert(1)</script>"}, "scheme"),
        ({"c": "6", "scheme": "group", "num_groups": "4"}, "G must divide C"),
        ({"cell": "99,0,0,0"}, "outside"),
        ({"n": "256", "c": "512", "h": "512", "w": "512"}, "shrunk"),
        ({"eps": "banana"}, "ε"),
        ({"cell": "x,y"}, "selected cell"),
    ],
)
def test_bad_url_values_are_replaced_with_a_notice(query, warning):
    at = run(query)
    assert any(warning in w.value for w in at.warning), [w.value for w in at.warning]
    assert at.info  # the page still shows its summary


def test_large_tensor_draws_a_capped_map():
    at = run({"n": "64", "c": "64", "h": "32", "w": "32"})
    assert any("the statistics use the whole tensor" in c.value for c in at.caption)
    payload = at.get("bidi_component")[0].proto.bytes
    assert len(payload) < 1_500_000
    header, _ = read_payload(payload)
    # Every axis is drawn in part: several samples, several channels, a downsampled map.
    s, c, h, w = header["shape"]
    assert s >= 4 and c >= 8 and 1 < h < 32 and 1 < w < 32


def test_scheme_without_learned_parameters_disables_gamma_beta():
    mvn = [s for s, spec in bnviz.SCHEMES.items() if spec.param_axes is None]
    if not mvn:
        pytest.skip("no scheme without γ/β registered")
    at = run({"scheme": mvn[0], "affine": "1"})
    assert at.checkbox(key="w.affine").disabled


def test_custom_axes_from_the_url_and_its_control():
    at = run({"scheme": "custom", "keep": "hw", "c": "4"})
    assert at.selectbox(key="w.keep").value == "HW"
    # Keeping H and W is batch norm per location: the page names it.
    assert any("Batch norm per location" in m.value for m in at.markdown)
    assert at.info[0].value == bnviz.describe((4, 4, 6, 6), "custom", keep="HW").summary
    at.selectbox(key="w.keep").set_value("").run()
    assert at.query_params["keep"] == "none"
    assert at.info[0].value == bnviz.describe((4, 4, 6, 6), "custom", keep="").summary


def test_box_plots_start_hidden_and_show_the_groups_in_the_map_colours():
    at = run({"c": "3"})
    assert not at.get("plotly_chart")  # no Plotly on the first view: it opens faster
    at.toggle(key="w.boxes").set_value(True).run()
    (chart,) = at.get("plotly_chart")
    spec = json.loads(chart.proto.spec)
    colours = {t["name"]: t["fillcolor"] for t in spec["data"][:3]}
    assert len(set(colours.values())) == 3  # three channels, three colours as on the map
    assert at.query_params["boxes"] == "1"
    assert "variance 1" in spec["layout"]["annotations"][1]["text"]


def test_rms_norm_offers_a_scale_and_no_shift():
    at = run({"scheme": "rms", "affine": "1", "gamma": "2", "cell": "1,1,2,2"})
    assert at.checkbox(key="w.affine").label == "Learned γ"
    assert not [n for n in at.sidebar.number_input if n.key == "w.beta"]
    captions = " ".join(c.value for c in at.caption)
    assert "γ: 108 entries, shape (3, 6, 6)." in captions
    assert any(r"y &= \gamma \hat{x}" in line.value for line in at.latex)
