"""The Compare page, headless (Streamlit's AppTest)."""

import json

import numpy as np
import pytest
from conftest import open_app

import bnviz
from bnviz.engine.schemes import default_groups
from bnviz.figures.groupmap import read_payload

PAGE = "pages/compare.py"
QUESTION_5 = {"schemes": "batch-location,batch-pixel,batch", "n": "2", "c": "3", "h": "4", "w": "4"}


def run(query=None):
    return open_app(PAGE, query)


def figures(at) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def maps(at) -> list[tuple]:
    """Each group map's (header, arrays), as the browser gets them."""
    return [read_payload(m.proto.bytes) for m in at.get("bidi_component")]


def cubes(at) -> list[dict]:
    return [f for f in figures(at) if any(t["type"] == "mesh3d" for t in f["data"])]


def cell_lines(at) -> list[str]:
    return [m.value for m in at.markdown if m.value.startswith("**Cell (")]


def summaries(at) -> list[str]:
    return [i.value for i in at.info]


def test_default_view_is_the_group_norm_papers_four_schemes():
    at = run()
    shape = (4, 6, 6, 6)  # six channels: group norm's G = 2 differs from layer and instance
    g = default_groups(6)
    assert g == 2
    assert summaries(at) == [
        bnviz.describe(shape, "batch").summary,
        bnviz.describe(shape, "layer").summary,
        bnviz.describe(shape, "instance").summary,
        bnviz.describe(shape, "group", num_groups=g).summary,
    ]
    # The cubes start hidden (they cost most of the page's time); one toggle shows all four.
    assert len(maps(at)) == 4 and not cubes(at)
    at.toggle(key="w.cubes").set_value(True).run()
    assert len(cubes(at)) == 4 and at.query_params["cubes"] == "1"
    assert not at.warning and not at.error
    assert not [c.value for c in at.caption if "same groups as scheme" in c.value]
    # The default cell (0, 0, 0, 0) is selected in every view.
    assert len(cell_lines(at)) == 4
    assert all(line.startswith("**Cell (0, 0, 0, 0)**") for line in cell_lines(at))


def test_question_5_link_opens_the_three_methods_side_by_side():
    at = run(QUESTION_5)
    shape = (2, 3, 4, 4)
    assert summaries(at) == [
        bnviz.describe(shape, s).summary for s in ("batch-location", "batch-pixel", "batch")
    ]
    assert [at.selectbox(key=f"compare.scheme{k}").value for k in (1, 2, 3)] == [
        "batch-location",
        "batch-pixel",
        "batch",
    ]
    assert at.radio(key="compare.count").value == 3
    for key, value in QUESTION_5.items():
        assert at.query_params[key] == value
    # Every scheme is in the table, with its counts.
    table = at.table[0].value
    assert len(table) == len(bnviz.SCHEMES)
    assert "48" in table.to_string()


def test_count_of_schemes_shrinks_and_grows():
    at = run(QUESTION_5)
    at.radio(key="compare.count").set_value(2).run()
    assert at.query_params["schemes"] == "batch-location,batch-pixel"
    assert len(maps(at)) == 2
    at.radio(key="compare.count").set_value(4).run()
    # Grown with the defaults not yet shown, in their order.
    assert at.query_params["schemes"] == "batch-location,batch-pixel,batch,layer"
    assert len(summaries(at)) == 4


def test_changing_one_slot_keeps_the_others():
    at = run(QUESTION_5)
    at.selectbox(key="compare.scheme2").set_value("group").run()
    assert at.query_params["schemes"] == "batch-location,group,batch"
    assert at.selectbox(key="w.num_groups2").value == default_groups(3)
    # The page's own choice of G is what a link without num_groups2 opens on: left out.
    assert "num_groups2" not in at.query_params
    at.selectbox(key="w.num_groups2").set_value(1).run()
    assert at.query_params["num_groups2"] == "1"


def test_each_slot_has_its_own_parameters():
    at = run(
        {
            "schemes": "group,group,mvn,mvn",
            "c": "6",
            "num_groups1": "2",
            "num_groups2": "3",
            "across_channels4": "1",
        }
    )
    shape = (4, 6, 6, 6)
    assert summaries(at) == [
        bnviz.describe(shape, "group", num_groups=2).summary,
        bnviz.describe(shape, "group", num_groups=3).summary,
        bnviz.describe(shape, "mvn").summary,
        bnviz.describe(shape, "mvn", across_channels=True).summary,
    ]
    assert at.selectbox(key="w.num_groups1").options == ["1", "2", "3", "6"]
    at.selectbox(key="w.num_groups1").set_value(6).run()
    assert at.selectbox(key="w.num_groups2").value == 3
    assert at.query_params["num_groups1"] == "6" and at.query_params["num_groups2"] == "3"
    at.checkbox(key="w.normalize_variance3").uncheck().run()
    assert at.query_params["normalize_variance3"] == "0"
    assert "normalize_variance4" not in at.query_params
    assert "no variances" in summaries(at)[2] and "no variances" not in summaries(at)[3]


def test_custom_axes_say_which_scheme_they_are():
    at = run({"schemes": "custom,layer", "keep1": "N", "n": "2", "c": "3", "h": "4", "w": "4"})
    assert at.multiselect(key="compare.keep1").value == ["N"]
    text = "\n".join(m.value for m in at.markdown)
    assert "Keeping N groups the cells exactly as **Layer norm** (`layer`)" in text
    at.multiselect(key="compare.keep1").set_value(["H", "W"]).run()
    assert at.query_params["keep1"] == "HW"
    text = "\n".join(m.value for m in at.markdown)
    assert "**Batch norm per location** (`batch-location`)" in text
    at.multiselect(key="compare.keep1").set_value([]).run()
    assert at.query_params["keep1"] == "none"
    assert summaries(at)[0] == bnviz.describe((2, 3, 4, 4), "custom", keep="").summary
    assert "**Whole-tensor norm** (`tensor`)" in "\n".join(m.value for m in at.markdown)


def test_a_scheme_grouping_like_an_earlier_one_says_so():
    at = run({"schemes": "instance,group,layer", "c": "3", "num_groups2": "3"})
    twins = [c.value for c in at.caption if "same groups as scheme" in c.value]
    assert twins == ["On this tensor these are the same groups as scheme 1 (Instance norm)."]


def test_url_round_trip_restores_every_slot_and_the_cell():
    query = {
        "schemes": "custom,group,mvn,batch-pixel",
        "keep1": "NHW",
        "num_groups2": "1",  # not the page's own choice for C = 4 (2): kept in the link
        "across_channels3": "1",
        "normalize_variance3": "0",
        "c": "4",
        "n": "2",
        "cell": "1,3,5,2",
        "seed": "7",
    }
    at = run(query)
    assert not at.warning
    for key, value in query.items():
        assert at.query_params[key] == value, key
    # A new session opening the written link sees the same page.
    again = run(dict(at.query_params))
    assert summaries(again) == summaries(at)
    assert cell_lines(again) == cell_lines(at)


@pytest.mark.parametrize(
    ("query", "warning"),
    [
        ({"schemes": "batch,<script>"}, "schemes"),
        ({"schemes": "batch"}, "at least 2"),
        ({"schemes": "batch,layer,group,mvn,tensor"}, "at most 4"),
        ({"schemes": "group,batch", "c": "6", "num_groups1": "4"}, "Scheme 1: num_groups=4"),
        ({"schemes": "custom,batch", "keep1": "XYZ"}, "keep"),
        ({"cell": "9,9,9,9"}, "outside"),
        ({"cell": "a,b"}, "selected cell"),
        ({"n": "-5"}, "N (batch)"),
        ({"across_channels2": "maybe"}, "across_channels"),
    ],
)
def test_bad_url_values_are_replaced_with_a_notice(query, warning):
    at = run(query)
    assert any(warning in w.value for w in at.warning), [w.value for w in at.warning]
    assert len(summaries(at)) >= 2  # the page still compares


def test_a_tensor_the_user_must_fix_is_an_error_message():
    at = run({"source": "upload"})
    assert "No pictures yet" in at.error[0].value
    assert not at.get("plotly_chart") and not at.get("bidi_component")


def test_one_selected_cell_is_shown_in_every_view():
    at = run({**QUESTION_5, "cubes": "1"})
    at.number_input(key="w.cell.n").set_value(1).run()
    at.number_input(key="w.cell.c").set_value(2).run()
    at.number_input(key="w.cell.h").set_value(2).run()
    at.number_input(key="w.cell.w").set_value(1).run()
    assert at.query_params["cell"] == "1,2,2,1"
    lines = cell_lines(at)
    assert len(lines) == 3 and all(line.startswith("**Cell (1, 2, 2, 1)**") for line in lines)
    # The same cell, three groups: location (2, 1), activation (2, 2, 1), channel 2.
    assert "group 9 of 16" in lines[0]
    assert "group 41 of 48" in lines[1]
    assert "group 2 of 3" in lines[2]
    # Every map outlines that cell and lights its own group of it; hovering one lights all.
    for (header, arrays), group in zip(maps(at), (9, 41, 2)):
        assert header["selected"] == [1, 2, 2, 1] and header["link"] == "compare"
        k = np.ravel_multi_index((1, 2, 2, 1), header["shape"])
        assert arrays["group_id"][arrays["group"][k]] == group
    # One plan for every map, so they line up.
    assert len({tuple(h["shape"]) for h, _ in maps(at)}) == 1
    # Every cube shades that cell's group.
    assert [c["layout"]["meta"]["members"] for c in cubes(at)] == [6, 2, 32]


def test_state_set_cell_selects_it_everywhere_like_a_click():
    # What a click does (the chart callback writes the shared cell), done through session state.
    at = run(QUESTION_5)
    at.session_state["w.cell"] = (0, 1, 3, 3)
    at.run()
    lines = cell_lines(at)
    assert all(line.startswith("**Cell (0, 1, 3, 3)**") for line in lines)
    assert [
        "group 15 of 16" in lines[0],
        "group 31 of 48" in lines[1],
        "group 1 of 3" in lines[2],
    ] == [True] * 3
    assert at.query_params["cell"] == "0,1,3,3"


def test_axes_in_frameworks_section_is_computed():
    at = run(QUESTION_5)
    text = "\n".join(m.value for m in at.markdown)
    assert "NCHW" in text and "NHWC" in text and "keeps" in text
    tables = [t.value for t in at.table]
    checks = tables[-1]
    assert list(checks["PyTorch layer"]) == ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d"]
    assert all(float(v) < 1e-5 for v in checks["max |difference|"])
    assert "NHWC (2, 4, 4, 3)" in list(checks["shape, channels last"])
