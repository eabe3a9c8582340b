"""The "Local normalizations" page, headless (Streamlit's AppTest)."""

import base64
import io
import json

import numpy as np
import pytest
from conftest import open_app
from PIL import Image

import bnviz
from bnviz.figures.groupmap import read_payload
from bnviz.text.latex import latex_number
from bnviz.views import local_norms, source, urlstate

PAGE = "pages/local.py"
PYTORCH = "PyTorch defaults"
CAFFE = "Caffe defaults (α = 1)"
MATCONVNET = "MatConvNet DagNN default [5 1 0.0001/5 0.75]"


def run(query=None):
    return open_app(PAGE, query)


def markdown(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def latex(at) -> str:
    return "\n".join(m.value for m in at.latex)


def maps(at) -> list:
    """Each browser-drawn map's (header, arrays)."""
    return [read_payload(m.proto.bytes) for m in at.get("bidi_component")]


def charts(at) -> list:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def array(data) -> np.ndarray:
    """A figure array from its JSON: a list, or plotly's typed array {dtype, bdata, shape}."""
    if isinstance(data, dict):
        values = np.frombuffer(base64.b64decode(data["bdata"]), dtype=data["dtype"])
        shape = data.get("shape")
        if shape:
            values = values.reshape([int(k) for k in str(shape).split(",")])
        return values
    return np.asarray(data, dtype=float)


def table(at):
    """The equivalences table as a DataFrame."""
    return at.table[0].value


def test_page_opens_on_caffe_against_matconvnet_and_shows_their_difference():
    at = run()
    assert not at.error and not at.warning
    assert at.selectbox(key="local.preset.a").value == CAFFE
    assert at.selectbox(key="local.preset.b").value == MATCONVNET
    assert at.radio(key="w.local").value == "lrn"
    assert at.radio(key="w.vs").value == "cross-channel"
    text = markdown(at)
    # The point of the page at once: they differ, why, and what makes them agree.
    assert "**A and B differ**" in text
    assert "A multiplies the sum of squares by α/5 = 1/5 = 0.2; B by α = 2e-05" in text
    assert "set B's alpha = 0.2 (α_B = α_A / 5" in text
    # Each convention is stated from its declaration.
    for scheme_id in ("lrn", "cross-channel"):
        scheme = bnviz.LOCAL_SCHEMES[scheme_id]
        for part in (scheme.framework, scheme.detail, scheme.divisor_rule, scheme.borders):
            assert part in text
    specs = charts(at)
    # Both windows as figures; the value map and the difference map drawn in the browser.
    assert len(specs) == 2
    assert (
        "Window of cell (0, 0, 0, 0): 5 cells, 2 hatched ones"
        in specs[0]["layout"]["title"]["text"]
    )
    (value_map, _), (diff_map, diff_arrays) = maps(at)
    # Hovering lights convention A's window (LRN across 5 channels: 2 before, 2 after).
    assert value_map["window"] == {"axis": "C", "extents": [[2, 2]]}
    # The difference map is not blank: y_A − y_B reaches several units.
    assert diff_map["colour_label"] == "y_A − y_B"
    assert np.max(np.abs(diff_arrays["extra1"])) > 1
    assert len(at.table) == 1
    rows = table(at)
    assert list(rows.columns) == list(local_norms.Equivalence("", "", "", 0, True).row())
    assert list(rows["holds here"]) == ["yes"] * 5


def test_headings_do_not_nest_brackets_and_labels_fit_the_sidebar():
    at = run()
    headings = [h.value for h in at.subheader]
    assert "A: Local response norm across channels" in headings
    assert "B: Cross-channel norm (MatConvNet)" in headings
    assert not any("((" in h or "))" in h for h in headings)
    # The schemes are radio buttons (a box would cut their names); presets show short labels.
    assert at.radio(key="w.local").options == [
        local_norms.scheme_name(s) for s in local_norms.SCHEME_IDS
    ]
    options = at.selectbox(key="local.preset.a").options
    assert all(len(option) <= local_norms.LABEL_WIDTH for option in options)
    assert "AlexNet paper" in options


def test_pytorch_against_matconvnet_agree():
    at = run()
    at.selectbox(key="local.preset.a").set_value(PYTORCH).run()
    assert at.query_params["lrn.alpha"] == "0.0001"
    assert "**A and B agree on this tensor**" in markdown(at)


def test_presets_change_the_parameters_and_the_url():
    at = run()
    at.selectbox(key="local.preset.a").set_value(PYTORCH).run()
    assert at.number_input(key="w.lrn.alpha").value == 1e-4
    assert at.query_params["lrn.alpha"] == "0.0001"
    at.selectbox(key="local.preset.a").set_value(CAFFE).run()
    assert at.number_input(key="w.lrn.alpha").value == 1.0
    assert "lrn.alpha" not in at.query_params  # the page opens on it
    assert "**A and B differ**" in markdown(at)
    at.selectbox(key="local.preset.a").set_value(
        next(label for label in bnviz.LOCAL_PRESETS if label.startswith("AlexNet"))
    ).run()
    assert at.number_input(key="w.lrn.k").value == 2.0
    assert at.number_input(key="w.lrn.alpha").value == pytest.approx(5e-4)
    at.selectbox(key="local.preset.b").set_value("Caffe within-channel defaults").run()
    assert at.radio(key="w.vs").value == "lrn-within"
    assert at.query_params["vs"] == "lrn-within"
    assert "No window setting makes them agree" in markdown(at)
    # Editing a number leaves the preset: the box then says so.
    at.number_input(key="w.lrn.beta").set_value(0.5).run()
    assert at.selectbox(key="local.preset.a").value == "Custom settings"


def test_scheme_parameters_are_the_schemes_own():
    at = run({"local": "cross-channel", "vs": "spatial"})
    labels_a = [n.label for n in at.sidebar.number_input if n.key.startswith("w.cross-channel.")]
    assert labels_a == ["depth", "kappa", "alpha", "beta"]
    labels_b = [n.label for n in at.sidebar.number_input if n.key.startswith("w.vs.spatial.")]
    assert labels_b == ["height", "width", "alpha", "beta"]
    at = run({"local": "mvn"})
    assert [c.label for c in at.sidebar.checkbox if c.key.startswith("w.mvn.")] == [
        "across_channels",
        "normalize_variance",
    ]
    assert at.number_input(key="w.mvn.eps").value == 1e-9


def test_url_round_trip_restores_the_view_and_the_selected_cell():
    query = {
        "lrn.size": "4",
        "lrn.alpha": "0.5",
        "lrn.k": "2",
        "vs.cross-channel.depth": "4",
        "vs.cross-channel.alpha": "0.125",
        "vs.cross-channel.kappa": "2",
        "local.colour": "y_b",
        "cell": "1,2,3,4",
        "c": "6",
        "n": "2",
        "present": "1",
    }
    at = run(query)
    assert at.number_input(key="w.lrn.size").value == 4
    assert at.number_input(key="w.vs.cross-channel.alpha").value == 0.125
    assert at.radio(key="w.local.colour").value == "y_b"
    assert [at.number_input(key=f"local.cell.{a}").value for a in "nchw"] == [1, 2, 3, 4]
    for key, value in query.items():
        assert at.query_params[key] == value
    text = markdown(at)
    assert "Cell **(1, 2, 3, 4)**" in text
    assert "extra cell before the centre in A and after it in B" in text
    assert "set A's size = 5, B's depth = 5, B's alpha = 0.1" in text
    # The map is coloured by B's output.
    assert maps(at)[0][0]["colour_label"] == "y_B"


def test_selected_cell_shows_its_formula_with_numbers():
    at = run({"cell": "0,1,2,3", "lrn.alpha": "2", "lrn.size": "3"})
    x = source.build(_tensor_defaults()).x
    terms = bnviz.local_terms(x, "lrn", (0, 1, 2, 3), size=3, alpha=2.0)
    text = latex(at)
    assert "D = 3" in text
    assert f"= {latex_number(terms.sum_squares)}" in text
    y = f"{terms.y:.4g}"
    assert y.rstrip("0") in text
    assert "All 3 window cells lie inside the tensor." in " ".join(c.value for c in at.caption)


def _tensor_defaults() -> dict:
    values, _ = urlstate.parse(source.FIELDS, {})
    return values


def test_picking_a_cell_with_the_number_inputs():
    at = run()
    at.number_input(key="local.cell.c").set_value(2).run()
    assert at.query_params["cell"] == "0,2,0,0"
    spec = charts(at)[1]
    assert "Window of cell (0, 2, 0, 0)" in spec["layout"]["title"]["text"]
    # The window c − 2 … c + 2 at c = 2 reaches channels 3 and 4: C = 3, so both are ghosts.
    assert "2 hatched ones" in spec["layout"]["title"]["text"]


@pytest.mark.parametrize(
    ("query", "warning"),
    [
        ({"local": "<script>alert(1)</script>"}, "convention A"),
        ({"vs": "batch"}, "convention B"),
        ({"lrn.size": "-3"}, "A: lrn size"),
        ({"lrn-within.size": "4", "local": "lrn-within"}, "must be odd"),
        ({"lrn.k": "0"}, "A: lrn k"),
        ({"vs.cross-channel.alpha": "banana"}, "B: cross-channel alpha"),
        ({"cell": "99,0,0,0"}, "outside"),
        ({"cell": "x,y"}, "selected cell"),
        ({"local.colour": "purple"}, "colour by"),
        ({"n": "256", "c": "512", "h": "512", "w": "512"}, "shrunk"),
    ],
)
def test_bad_url_values_give_a_notice(query, warning):
    at = run(query)
    assert any(warning in w.value for w in at.warning), [w.value for w in at.warning]
    assert not at.error
    assert "**A and B" in markdown(at)  # the page still compares


def test_sample_pictures_flow_into_the_page():
    at = run({"source": "samples", "samples": "sunset,sea", "size": "8", "local": "lrn-within"})
    assert not at.error
    assert "2 pictures brought to 8 × 8" in markdown(at)
    header, _ = maps(at)[0]
    assert header["sample_names"] == ["sunset", "sea"]
    assert header["channel_names"] == ["R", "G", "B"]
    assert "D = 25" in latex(at)


def test_uploaded_pictures_flow_into_the_page():
    at = run({"source": "upload"})
    assert "No pictures yet" in at.error[0].value
    buffer = io.BytesIO()
    Image.new("RGB", (20, 12), (200, 40, 10)).save(buffer, "PNG")
    at.file_uploader(key="w.uploader").set_value(
        [("red.png", buffer.getvalue(), "image/png")]
    ).run()
    assert not at.exception and not at.error
    assert "1 picture brought to 32 × 32" in markdown(at)
    # A flat red picture: channel 0 is 200/255 everywhere.
    cell = at.markdown[[i for i, m in enumerate(at.markdown) if "Cell **" in m.value][0]].value
    assert "x = `0.784314`" in cell


def test_large_tensor_draws_a_capped_map():
    at = run({"n": "64", "c": "64", "h": "32", "w": "32"})
    assert any("the outputs use the whole tensor" in c.value for c in at.caption)
    assert all(len(m.proto.bytes) < 1_500_000 for m in at.get("bidi_component"))


def test_mvn_highlights_the_group_and_shows_mu_and_sigma():
    at = run({"local": "mvn", "mvn.across_channels": "1", "cell": "1,0,0,0"})
    text = latex(at)
    assert r"\sigma + \varepsilon" in text and "m' = 108" in text  # C·H·W = 3·6·6
    header, arrays = maps(at)[0]
    assert header["window"] is None and header["selected"] == [1, 0, 0, 0]
    ids = arrays["group_id"][arrays["group"]]
    k = np.ravel_multi_index((1, 0, 0, 0), header["shape"])
    assert np.sum(ids == ids[k]) == 108  # lit: sample 1, every channel and location
    assert any("MVN shares statistics" in c.value for c in at.caption)
    assert "statistics shared by each sample, over its channels and locations" in markdown(at)
