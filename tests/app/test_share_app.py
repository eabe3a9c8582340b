"""The Explorer's teaching mode, presentation setting and share panel, headless (AppTest)."""

import json
from urllib.parse import parse_qsl, urlsplit

import numpy as np
import pytest
from conftest import open_app
from test_app import GROUP_VIEW
from test_share import answer_cell_numbers, answer_counts, numpy_cell

import bnviz
from bnviz.engine import synthetic
from bnviz.figures import style
from bnviz.text import answers
from bnviz.text.describe import shape_text
from bnviz.ui import share as ui_share
from bnviz.views import explorer, source, urlstate

SHARE_PANEL = "Share this view: link, answer text, downloads"
DOWNLOADS = [
    "Tensor x (.npy)",
    "Output y (.npy)",
    "Statistics (.npy)",
    "Statistics (.csv)",
    "Every cell (.csv)",
]


def run(query=None):
    return open_app(None, query)


def figure(at, index=0):
    return json.loads(at.get("plotly_chart")[index].proto.spec)


def answer(at) -> str:
    (code,) = [c for c in at.code if c.language == "markdown"]
    return code.value


def link(at) -> str:
    (code,) = [c for c in at.code if c.language != "markdown"]
    return code.value


def state_from_link(url: str) -> dict:
    query = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
    values, notices = urlstate.parse(explorer.FIELDS + ui_share.VIEW_FIELDS, query)
    assert not notices
    return values


def shape_of(query):
    defaults = {f.key: f.default for f in source.FIELDS}
    return tuple(int(query.get(k, defaults[k])) for k in "nchw")


def test_question_one_answer_in_the_page():
    at = run({"n": "20", "c": "10", "h": "5", "w": "5"})
    text = answer(at)
    assert (
        "10 means and 10 variances, each over 20 × 5 × 5 = 500 values; γ and β have 10 "
        "entries each" in text
    )
    assert "- **Mean/variance pairs:** 10, one for each channel" in text
    assert "- **γ and β:** 10 entries each, shape (10,)" in text
    expander = [e for e in at.expander if e.label == SHARE_PANEL]
    assert expander and expander[0].proto.expanded


CASES = [
    {"n": "20", "c": "10", "h": "5", "w": "5", "cell": "3,7,4,1"},
    {"scheme": "group", "c": "6", "num_groups": "3", "n": "2", "cell": "1,4,2,3"},
    {
        "scheme": "layer",
        "n": "3",
        "c": "2",
        "h": "4",
        "w": "3",
        "cell": "2,1,3,0",
        "affine": "1",
        "gamma": "2",
        "beta": "-1",
    },
    {"scheme": "instance", "cell": "1,2,5,5", "eps": "0.1"},
    {"scheme": "batch-pixel", "n": "5", "cell": "4,0,1,2", "affine": "1", "gamma": "0.5"},
    {"scheme": "mvn", "across_channels": "1", "cell": "0,1,2,3"},
    {"scheme": "custom", "keep": "NW", "cell": "1,1,1,1", "affine": "1", "beta": "3"},
    {"scheme": "tensor", "n": "2", "c": "2", "h": "3", "w": "3", "cell": "1,1,2,2"},
]


@pytest.mark.parametrize("query", CASES, ids=lambda q: q.get("scheme", "batch"))
def test_answer_numbers_equal_describe_and_numpy(query):
    at = run(query)
    text = answer(at)
    values = state_from_link(link(at))
    shape = shape_of(query)
    scheme = values["scheme"]
    params = explorer.scheme_params(values)
    if scheme == "group":
        params = {"num_groups": int(query["num_groups"])}
    d = bnviz.describe(shape, scheme, **params)
    counts = answer_counts(text)
    assert counts["groups"] == d.groups
    assert counts["m"] == f"{d.factors_names} = {d.factors_text}"
    if d.param_shape is not None:
        assert counts["param_shape"] == shape_text(d.param_shape)
        assert counts["param_count"] == d.param_count
    assert f"> {answers.escape_markdown(d.summary)}" in text
    assert at.info[0].value == d.summary  # the same sentence as the page shows
    # The selected cell, against NumPy on the same synthetic tensor.
    defaults = {f.key: f.default for f in source.FIELDS}
    x = synthetic.synthetic(
        shape, seed=defaults["seed"], offset=defaults["offset"], spread=defaults["spread"]
    )
    cell = tuple(int(v) for v in query["cell"].split(","))
    eps = bnviz.SCHEMES[scheme].eps_default if values["eps"] == "default" else float(values["eps"])
    has_params = d.param_shape is not None and values["affine"]
    gamma, beta = (values["gamma"], values["beta"]) if has_params else (1.0, 0.0)
    expected = numpy_cell(x, scheme, params, cell, eps, gamma, beta)
    written = answer_cell_numbers(text)
    assert set(written) == {"x", "μ", "σ²", "x̂", "y"}
    for key, value in written.items():
        np.testing.assert_allclose(value, expected[key], rtol=2e-5, atol=2e-5, err_msg=key)
    assert f"({', '.join(map(str, cell))})" in text


def test_link_holds_the_whole_state_and_follows_the_controls():
    query = {**GROUP_VIEW, "seed": "7"}
    at = run(query)
    url = link(at)
    # No browser here, so no address: the path from the server's root, correct on its own.
    assert url.startswith("/?")
    values = state_from_link(url)
    for key, raw in query.items():
        field = {f.key: f for f in explorer.FIELDS}[key]
        assert urlstate.format_value(field, values[key]) == raw
    assert values["cell"] == (1, 4, 2, 3)
    # Everything else is at its default, as the page shows it.
    assert dict(parse_qsl(urlsplit(url).query)) == dict(at.query_params)
    # The link follows a control, and the view toggles join it.
    at.selectbox(key="w.scheme").set_value("layer").run()
    at.toggle(key="w.teach").set_value(True).run()
    values = state_from_link(link(at))
    assert (
        values["scheme"] == "layer" and values["teach"] is True and values["cell"] == (1, 4, 2, 3)
    )
    assert at.query_params["teach"] == "1"
    assert "**Layer norm** on a tensor of shape (N, C, H, W) = (2, 6, 6, 6)." in answer(at)


def test_the_link_opens_the_same_view():
    first = run({"scheme": "instance", "c": "5", "cell": "2,3,1,4", "colour": "x"})
    url = link(first)
    again = run(dict(parse_qsl(urlsplit(url).query)))
    assert answer(again) == answer(first)
    assert link(again) == url


def test_teaching_mode_draws_frames_play_and_slider():
    at = run({"teach": "1", "scheme": "group", "c": "8", "num_groups": "4", "n": "2"})
    assert at.toggle(key="w.teach").value is True
    spec = figure(at)
    frames = spec["frames"]
    assert len(frames) == 8
    assert frames[5]["layout"]["title"]["text"].startswith(
        "<b>Group 5 of 8: sample 1, channels 2–3, over those channels, H and W"
    )
    assert frames[5]["traces"] == [1]
    assert (frames[5]["data"][0]["zmin"], frames[5]["data"][0]["zmax"]) == (4, 6)
    (menu,) = spec["layout"]["updatemenus"]
    assert [b["label"] for b in menu["buttons"]] == ["▶ Play", "❚❚ Pause"]
    assert [s["args"][0] for s in spec["layout"]["sliders"][0]["steps"]] == [
        [str(g)] for g in range(8)
    ]
    assert any("Press ▶ Play" in c.value for c in at.caption)
    # The chart's camera button saves a PNG named after the view.
    config = json.loads(at.get("plotly_chart")[0].proto.config)
    assert config["toImageButtonOptions"]["filename"] == "bnviz-group-2x8x6x6-teaching"
    # Off again: the map drawn in the browser, no animated figure left.
    at.toggle(key="w.teach").set_value(False).run()
    assert not at.get("plotly_chart") and at.get("bidi_component")
    assert "teach" not in at.query_params


def test_teaching_mode_says_when_it_steps_through_only_some_groups():
    at = run({"teach": "1", "scheme": "instance", "n": "16", "c": "16", "h": "4", "w": "4"})
    assert len(figure(at)["frames"]) == 64
    assert any("Stepping through 64 of the 256 groups" in c.value for c in at.caption)


def presentation_css(at) -> bool:
    return any("font-size: 22px" in h.proto.body for h in at.get("html"))


def test_presentation_enlarges_fonts_and_folds_the_share_panel():
    at = run({"present": "1", "boxes": "1"})
    assert at.toggle(key="w.present").value is True
    assert presentation_css(at)
    assert at.get("plotly_chart")  # the box plots, at projector size
    for index in range(len(at.get("plotly_chart"))):
        layout = figure(at, index)["layout"]
        assert layout["font"]["size"] == style.PROJECTOR_FONT
        assert layout["xaxis"]["tickfont"]["size"] == style.PROJECTOR_FONT
    (panel,) = [e for e in at.expander if e.label == SHARE_PANEL]
    assert not panel.proto.expanded
    assert at.query_params["present"] == "1"

    plain = run({"boxes": "1"})
    assert not presentation_css(plain)
    assert "font" not in figure(plain)["layout"]


def test_presentation_toggle_and_teaching_together():
    at = run({"teach": "1"})
    at.toggle(key="w.present").set_value(True).run()
    assert presentation_css(at)
    spec = figure(at)
    assert spec["layout"]["font"]["size"] == style.PROJECTOR_FONT
    assert spec["layout"]["title"]["font"]["size"] == style.PROJECTOR_FONT + 2
    assert spec["frames"]
    assert at.query_params["present"] == "1" and at.query_params["teach"] == "1"
    at.toggle(key="w.present").set_value(False).run()
    assert not presentation_css(at)
    assert "present" not in at.query_params


def test_download_buttons_exist():
    at = run({"n": "2", "c": "3", "h": "4", "w": "4"})
    labels = [b.proto.label for b in at.get("download_button")]
    assert sorted(labels) == sorted(DOWNLOADS)  # three columns: listed column by column
    # Built only when pressed (deferred), so a large view costs nothing until then.
    assert all(b.proto.deferred_file_id for b in at.get("download_button"))


def test_large_tensor_offers_npy_but_no_cell_table():
    at = run({"n": "64", "c": "64", "h": "32", "w": "32"})
    labels = [b.proto.label for b in at.get("download_button")]
    assert sorted(labels) == sorted(DOWNLOADS[:4])
    assert any("this tensor has 4,194,304: use the .npy files" in c.value for c in at.caption)


def test_answer_without_a_selected_cell_has_no_cell_lines():
    at = run()
    text = answer(at)
    assert "Selected cell" not in text
    assert text.rstrip().endswith("See it: open `/` on the bnviz server.")


def test_relative_link_respects_the_base_path(monkeypatch):
    """Without the browser's address, the link is the path from the server's root."""
    options = {"server.baseUrlPath": "/tools/bnviz/"}
    monkeypatch.setattr(ui_share.st, "get_option", options.get)
    assert ui_share._base_url() == "/tools/bnviz/"
    assert ui_share._base_url("images") == "/tools/bnviz/images"
    options["server.baseUrlPath"] = ""
    assert ui_share._base_url() == "/"
    assert ui_share._base_url("/images/") == "/images"
