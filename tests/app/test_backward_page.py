"""The Backward page, headless (Streamlit's AppTest), and its model and sentences.

Expected numbers come from the engine or from the tensor by hand here, never from the page's own
text: the page must show what bnviz.jacobian, bnviz.normalize_backward and central differences say.
"""

import math
import re
from urllib.parse import parse_qsl, urlsplit

import numpy as np
import pytest
from conftest import open_app
from test_links import opened_values, page_fields, share_link

import bnviz
from bnviz.engine.backward import finite_differences
from bnviz.figures.groupmap import read_payload
from bnviz.text import backward as words
from bnviz.views import backward, source, urlstate
from bnviz.views.questions import QUESTIONS_BY_ID
from bnviz.views.urlstate import parse

PAGE = "pages/backward.py"


def run(query=None):
    return open_app(PAGE, query)


def maps(at) -> list[tuple]:
    """Every map's (header, arrays) as the browser gets them, in page order: the Jacobian rows,
    dy, the dx maps, then the held and true dx of the scheme in detail."""
    return [read_payload(m.proto.bytes) for m in at.get("bidi_component")]


def values_for(query=None) -> dict:
    values, _ = parse(backward.FIELDS, dict(query or {}))
    values, _ = backward.constrain(values)
    return values


def tensor_for(values) -> np.ndarray:
    return source.build(values, ()).x.astype(np.float64)


def markdown(at) -> str:
    """The page's Markdown, without the share panel's preview of the answer."""
    return "\n".join(m.value for m in at.markdown if not m.value.startswith("**How one value"))


def latex(at) -> list[str]:
    return [line.value.strip("$\n") for line in at.latex]


def captions(at) -> str:
    return "\n".join(c.value for c in at.caption)


def drawn_value(header, arrays, cell, name="y"):
    """A drawn cell's value in a payload."""
    s, c, h, w = (header[k].index(v) for k, v in zip(("samples", "channels", "rows", "cols"), cell))
    S, C, H, W = header["shape"]
    return float(arrays[name][((s * C + c) * H + h) * W + w])


# --- The page opens on the Group Normalization paper's four schemes ----------------------------


def test_default_view_shows_every_section_with_no_message():
    at = run()
    assert not at.warning and not at.error
    found = maps(at)
    assert len(found) == 4 + 1 + 4 + 2
    titles = [h["title"] for h, _ in found]
    assert titles[0].startswith("1. Batch norm") and titles[3].startswith("4. Group norm")
    assert titles[4] == "dy = ∂l/∂y, the same for every scheme"
    assert [h["y_label"] for h, _ in found[:4]] == ["∂y(0, 0, 0, 0)/∂x"] * 4
    assert {h["y_label"] for h, _ in found[5:9]} == {"∂l/∂x"}
    headers = [h.value for h in at.main.subheader]
    assert headers == [
        "One output cell, every input",
        "A loss to push on",
        "Without the statistics' gradient",
        "Check the gradient",
    ]
    assert len(at.latex) == 4  # formula, s, own entry, strongest other


def test_jacobian_maps_are_the_engine_rows_and_light_exactly_the_group():
    at = run({"cell": "1,2,3,4"})
    values = values_for({"cell": "1,2,3,4"})
    x = tensor_for(values)
    for (header, arrays), scheme, params in zip(
        maps(at)[:4],
        ("batch", "layer", "instance", "group"),
        ({}, {}, {}, {"num_groups": 2}),
    ):
        row = bnviz.jacobian(x, scheme, (1, 2, 3, 4), **params)
        labels = bnviz.group_labels(x.shape, scheme, **params)
        assert header["selected"] == [1, 2, 3, 4]
        drawn = arrays["y"].reshape(header["shape"])
        np.testing.assert_allclose(drawn, row.astype(np.float32), rtol=1e-6)
        group = labels == labels[1, 2, 3, 4]
        assert np.all(drawn[~group] == 0) and np.all(drawn[group] != 0)


def test_formula_with_the_numbers_put_in_is_batch_norms_by_hand():
    at = run({"cell": "0,1,2,3", "schemes": "batch,instance"})
    x = tensor_for(values_for({"cell": "0,1,2,3", "schemes": "batch,instance"}))
    channel = x[:, 1]
    m = channel.size
    s = math.sqrt(channel.var() + 1e-5)
    x_hat = (x[0, 1, 2, 3] - channel.mean()) / s
    own = (1 - 1 / m - x_hat**2 / m) / s
    lines = latex(at)
    assert lines[0].startswith(r"\frac{\partial y_i}{\partial x_j} = \frac{\gamma_i}{s}")
    assert words.tex(s) in lines[1] and words.tex(channel.var()) in lines[1]
    assert lines[2].endswith(f"= {words.tex(own)}") and f"{{{m}}}" in lines[2]
    assert words.tex(x_hat) in lines[2]
    others = np.abs(bnviz.jacobian(x, "batch", (0, 1, 2, 3)))
    others[0, 1, 2, 3] = 0
    j = np.unravel_index(np.argmax(others), x.shape)
    x_hat_j = (x[j] - channel.mean()) / s
    other = -(1 + x_hat * x_hat_j) / m / s
    assert lines[3].endswith(f"= {words.tex(other)}") and words.tex(x_hat_j) in lines[3]
    text = captions(at)
    assert f"nonzero on {m} of {x.size} cells" in text
    assert f"Its own entry is {words.number(own)}" in text


def test_the_formula_follows_the_scheme_chosen_in_detail():
    at = run({"schemes": "batch,rms,mvn", "focus": "2", "cell": "0,0,1,1"})
    lines = latex(at)
    assert r"\frac{\gamma_i}{r}" in lines[0] and r"\frac{1}{m'}" not in lines[0]  # no mean
    assert lines[1].startswith(r"r = \sqrt{\overline{x^2} + \varepsilon}")
    at.radio(key="w.focus").set_value(3).run()
    lines = latex(at)
    assert r"\frac{\sigma + \varepsilon}{\sigma}" in lines[0]  # MVN: ε on σ
    assert lines[1].startswith(r"d = \sigma + \varepsilon")
    assert at.query_params["focus"] == "3"


# --- A loss pushed through the schemes ---------------------------------------------------------


def test_a_push_on_one_cell_crosses_samples_only_under_batch_norm():
    at = run({"schemes": "batch,layer,instance", "loss": "cell", "cell": "2,1,0,0"})
    text = markdown(at)
    batch = re.search(r"\*\*Batch norm \(per channel\)\*\*.*", text).group(0)
    layer = re.search(r"\*\*Layer norm\*\*.*", text).group(0)
    instance = re.search(r"\*\*Instance norm\*\*.*", text).group(0)
    # By hand: batch norm's group of (2, 1, 0, 0) is channel 1, N·H·W = 4·6·6 = 144 cells.
    assert (
        "dx moves 144 of 864 cells, in all 4 samples although dy is nonzero only in sample 2"
        in batch
    )
    assert "dx moves 216 of 864 cells." in layer and "span the batch" not in layer
    assert "dx moves 36 of 864 cells." in instance
    assert all("Over every group dx sums to 0" in t for t in (batch, layer, instance))


def test_pushing_a_whole_sample_moves_nothing_where_the_group_is_within_the_sample():
    at = run({"schemes": "batch,layer,group", "loss": "sample", "cell": "0,0,0,0"})
    text = markdown(at)
    assert "dx moves 864 of 864 cells, in all 4 samples" in text  # batch norm
    assert text.count("dx is 0 on every cell (to rounding)") == 2  # layer, group
    assert "On 1 group dŷ is the same at every cell, so dx is 0 there" in text  # layer
    assert "On 2 groups dŷ is the same at every cell" in text  # group norm, G = 2


def test_dx_maps_are_normalize_backward_of_the_loss():
    query = {"schemes": "batch,group", "loss": "channel", "cell": "0,3,0,0", "gammas": "random"}
    at = run(query)
    values = values_for(query)
    x = tensor_for(values)
    dy = np.zeros(x.shape)
    dy[:, 3] = 1.0
    found = maps(at)
    header, arrays = found[2]
    np.testing.assert_array_equal(arrays["y"].reshape(header["shape"]), dy.astype(np.float32))
    for (header, arrays), slot, scheme, params in (
        (found[3], 1, "batch", {}),
        (found[4], 2, "group", {"num_groups": 2}),
    ):
        lay = bnviz.layout(x.shape, scheme, **params)
        gamma = np.random.default_rng([0, 2, slot]).uniform(0.5, 1.5, size=lay.param_shape)
        dx = bnviz.normalize_backward(x, dy, scheme, weight=gamma, **params).dx
        np.testing.assert_allclose(arrays["y"].reshape(header["shape"]), dx, rtol=1e-5, atol=1e-6)


def test_gamma_and_beta_gradients_are_written_out():
    at = run({"schemes": "batch,layer", "loss": "cell", "cell": "1,2,3,4"})
    x = tensor_for(values_for({"schemes": "batch,layer", "cell": "1,2,3,4"}))
    channel = x[:, 2]
    x_hat = (x[1, 2, 3, 4] - channel.mean()) / math.sqrt(channel.var() + 1e-5)
    tables = [t.value for t in at.dataframe]
    batch = tables[0]
    assert list(batch["γ entry"]) == [f"c = {c}" for c in range(6)]
    assert batch["∂l/∂γ = Σ dy·x̂"][2] == pytest.approx(x_hat)  # dy is one-hot: dy·x̂ there
    assert batch["∂l/∂β = Σ dy"][2] == 1.0 and batch["∂l/∂β = Σ dy"][0] == 0.0
    text = captions(at)
    assert (
        "∂l/∂γ for c = 2, Σ dy·x̂ over the 144 cells sharing it (N × H × W = 4 × 6 × 6 = 144)"
        in text
    )
    assert f"… (144 terms) = {words.number(x_hat, 5)}" in text
    layer = tables[1]
    assert "(c, h, w) = (2, 3, 4)" in list(layer["γ entry"])  # the selected cell's entry is listed
    assert "over the 4 cells sharing it (N = 4)" in text
    assert "These cells belong to 4 groups" in text


def test_a_scheme_without_learned_parameters_says_so():
    at = run({"schemes": "batch,pixel"})
    assert "This scheme learns no γ and β." in captions(at)


# --- Without the statistics' gradient ------------------------------------------------------------


def test_held_constant_gradient_and_the_paths_sum_as_the_text_says():
    at = run({"schemes": "batch,layer", "cell": "0,0,0,0"})
    held_header, held = maps(at)[-2]
    assert held_header["y_label"] == "dŷ/s (μ and σ² held)"
    assert held_header["title"] == "μ and σ² held constant"
    x = tensor_for(values_for({"schemes": "batch,layer"}))
    dy = backward.loss_gradient("random", x.shape, (0, 0, 0, 0), 0)
    channel = x[:, 0]
    s = math.sqrt(channel.var() + 1e-5)
    np.testing.assert_allclose(
        held["y"].reshape(held_header["shape"])[:, 0], dy[:, 0] / s, rtol=1e-6
    )
    rows = at.dataframe[-1].value  # the table of paths (the check is off)
    assert list(rows["path"]) == [
        "μ and σ² held constant: dŷ/s",
        "through μ",
        "through σ²",
        "dx, their sum",
    ]
    sums = list(rows["Σ over the group"])
    assert sums[0] == pytest.approx(dy[:, 0].sum() / s)
    assert sums[1] == pytest.approx(-sums[0])
    assert sums[2] == 0 and sums[3] == 0  # exact zeros (x̂ sums to 0 over the group)
    along = list(rows["Σ ·x̂ over the group"])
    fraction = 1e-5 / (channel.var() + 1e-5)
    assert along[3] == pytest.approx(along[0] * fraction, rel=1e-6)
    text = markdown(at)
    assert f"a fraction ε/(σ² + ε) = {words.number(fraction)} of it" in text


def test_rms_has_no_path_through_a_mean():
    at = run({"schemes": "rms,layer", "cell": "0,0,0,0"})
    rows = at.dataframe[-1].value
    assert list(rows["path"]) == [
        "mean x² held constant: dŷ/r",
        "through mean x²",
        "dx, their sum",
    ]
    text = markdown(at)
    assert "Nothing is subtracted, so there is no path through a mean" in text
    assert "This scheme subtracts no mean, so dx need not sum to 0 over a group." in text


# --- The gradient check --------------------------------------------------------------------------


def test_gradient_check_runs_on_demand_and_agrees():
    at = run({"schemes": "batch,mvn"})
    assert "Turn it on" in captions(at)
    at.toggle(key="w.check").set_value(True).run()
    assert at.query_params["check"] == "1"
    table = at.dataframe[-1].value
    assert list(table.columns) == [
        "scheme",
        "cell",
        "closed form",
        "finite difference",
        "|difference|",
    ]
    assert len(table) == backward.CHECK_ROWS
    assert table["|difference|"].max() < 1e-6
    # The rows are the largest differences, each a central difference of its own.
    x = tensor_for(values_for({"schemes": "batch,mvn"}))
    dy = backward.loss_gradient("random", x.shape, (0, 0, 0, 0), 0)
    first = table.iloc[0]
    scheme = "batch" if first["scheme"].startswith("Batch") else "mvn"
    cell = tuple(int(i) for i in first["cell"].strip("()").split(","))
    numeric = finite_differences(x, dy, scheme, [cell], eps=None if scheme == "mvn" else 1e-5)
    assert first["finite difference"] == pytest.approx(numeric[0], rel=1e-9)
    assert re.search(r"\d+ cells checked: the largest difference .* is \d", markdown(at))


# --- State, links, sharing ----------------------------------------------------------------------


def test_url_round_trip_and_a_click_on_a_map():
    query = {"schemes": "instance,group", "num_groups2": "3", "loss": "channel", "cell": "1,1,2,2"}
    at = run(query)
    for key, value in query.items():
        assert at.query_params[key] == value, key
    at.session_state["w.cell"] = (3, 0, 5, 5)  # what a click on a map sets
    at.run()
    assert at.query_params["cell"] == "3,0,5,5"
    assert maps(at)[0][0]["y_label"] == "∂y(3, 0, 5, 5)/∂x"


@pytest.mark.parametrize(
    ("query", "warning"),
    [
        ({"focus": "4", "schemes": "batch,layer"}, "scheme in detail: 4 given"),
        ({"cell": "9,9,9,9"}, "is outside the tensor"),
        ({"loss": "nonsense"}, "loss: 'nonsense' is not valid here"),
    ],
)
def test_bad_url_values_are_replaced_with_a_notice(query, warning):
    at = run(query)
    assert any(warning in w.value for w in at.warning), [w.value for w in at.warning]
    assert len(maps(at)) >= 2 * 2 + 3


def test_a_tensor_the_user_must_fix_is_an_error_message():
    at = run({"source": "upload"})
    assert "No pictures yet" in at.error[0].value
    assert not at.get("bidi_component")


def test_presentation_draws_larger_maps():
    at = run({"present": "1"})
    assert all(h["font_px"] == 18 for h, _ in maps(at))


def answer(at) -> str:
    found = [c.value for c in at.code if c.language == "markdown"]
    assert len(found) == 1
    return found[0].replace("\\", "")


def test_the_readme_question_is_answered_by_one_link():
    """ "How does one value of a feature map influence the others in batch norm's backward
    pass?": every value of the channel, across the batch, through μ and σ²."""
    link = QUESTIONS_BY_ID["backward-influence"].link  # the README's table is made from it
    parts = urlsplit(link)
    assert parts.path == "/backward"
    at = run(parse_qsl(parts.query))
    assert not at.warning
    text = answer(at)
    x = tensor_for(values_for(parse_qsl(parts.query)))
    cell = tuple(int(i) for i in dict(parse_qsl(parts.query))["cell"].split(","))
    channel = x[:, cell[1]]
    m = channel.size
    s = math.sqrt(channel.var() + 1e-5)
    x_hat = (x[cell] - channel.mean()) / s
    assert (
        f"nonzero on {m} of {x.size} cells, the cell's group (each channel c, over N, H and W"
        in text
    )
    assert f"Its own entry is {words.number((1 - 1 / m - x_hat**2 / m) / s)}" in text
    assert f"in all {x.shape[0]} samples although dy is nonzero only in sample {cell[0]}" in text
    assert "the true dx sums to" in text and "0 up to rounding" in text
    assert parts.query.replace("%2C", ",") in text.replace("%2C", ",")  # the link reopens it


def test_a_fresh_page_writes_no_parameters_and_every_default_spelled_out_is_left_out():
    """As tests/app/test_links.py checks for the other pages."""
    fresh = run()
    assert dict(fresh.query_params) == {}
    assert "?" not in share_link(fresh)
    fields = page_fields(fresh)
    opened = opened_values(fresh, fields)
    query = {
        f.key: urlstate.format_value(f, value)
        for f, value in zip(fields, opened.values())
        if value is not None
    }
    at = run({**query, "present": "0"})
    assert not at.warning, [w.value for w in at.warning]
    assert opened_values(at, fields) == opened
    assert "?" not in share_link(at)


# --- The model and its sentences, for every scheme ---------------------------------------------


def every_config():
    for scheme in bnviz.SCHEMES.values():
        if scheme.id == "custom":
            for keep in ("", "N", "C", "NC", "HW", "NCHW"):
                yield scheme.id, {"keep1": keep}
        elif scheme.id == "mvn":
            for across in ("0", "1"):
                for variance in ("0", "1"):
                    yield scheme.id, {"across_channels1": across, "normalize_variance1": variance}
        else:
            yield scheme.id, {}


@pytest.mark.parametrize(("scheme", "params"), list(every_config()), ids=str)
@pytest.mark.parametrize("loss", list(words.LOSSES))
def test_every_scheme_and_loss_gives_sentences_that_match_the_engine(scheme, params, loss):
    query = {
        "schemes": f"{scheme},batch",
        "loss": loss,
        "cell": "1,2,1,0",
        "n": "3",
        "c": "4",
        "h": "3",
        "w": "2",
        "gammas": "random",
        **params,
    }
    values = values_for(query)
    x = tensor_for(values)
    values, _ = backward.fit_to_shape(values, x.shape)
    result = backward.compute(x.astype(np.float32), values)
    first = result.slots[0]
    lay = first.description.layout
    labels = lay.labels()
    group = labels == labels[1, 2, 1, 0]
    # The Jacobian's facts are the engine's.
    j = first.jacobian
    assert j.group_size == group.sum() == lay.group_size
    eps = backward.eps_for(values, lay)
    gamma = backward.gamma_for(values, lay, 1)
    params_of = backward.compare.slot_params(values, 1)
    row = bnviz.jacobian(x, scheme, (1, 2, 1, 0), eps=eps, weight=gamma, **params_of)
    assert j.nonzero == np.count_nonzero(row) and j.own == pytest.approx(row[1, 2, 1, 0])
    # The push's facts are the engine's dx.
    dy = backward.loss_gradient(loss, x.shape, (1, 2, 1, 0), 0)
    dx = bnviz.normalize_backward(x, dy, scheme, eps=eps, weight=gamma, **params_of).dx
    p = first.push
    assert p.largest == pytest.approx(dx[p.largest_cell])
    assert p.low == pytest.approx(dx.min()) and p.high == pytest.approx(dx.max())
    if first.description.formula.centre:
        assert p.largest_sum <= 1e-9 * max(p.size, 1e-300) + 1e-300
    sentence = words.push_sentence(p, x.shape[0])
    assert ("dx moves" in sentence) == (p.cells_moved > 0)
    assert ("sums to 0" in sentence) == first.description.formula.centre
    # Every line of the formula renders the declared terms.
    lines = words.jacobian_lines(j)
    assert ("m'" in lines[0]) == (j.formula.centre or j.formula.divide != "none")
    assert words.jacobian_reading(j.formula, j.learned)


def test_readings_follow_the_formula_not_the_scheme():
    from bnviz.engine.schemes import Formula

    assert "through μ alone" in words.jacobian_reading(Formula(divide="none", shift=False), False)
    assert "nothing is subtracted" in words.jacobian_reading(
        Formula(centre=False, divide="rms"), True
    )
    assert "through the spread" in words.jacobian_reading(Formula(divide="std_plus_eps"), False)
    assert words.held_name(Formula(divide="std_plus_eps")) == "dŷ/d (μ and σ held)"
    assert words.held_name(Formula(divide="none")) == "dŷ (μ held)"
    assert words.held_name(Formula(centre=False, divide="rms")) == "dŷ/r (mean x² held)"


def test_why_names_each_term_where_it_holds():
    from bnviz.engine.schemes import Formula

    pytorch, rms = Formula(), Formula(centre=False, divide="rms", shift=False)
    both = words.why_sentence([pytorch, pytorch], "cell", (0, 0, 0, 0))
    assert "subtracts the mean of dŷ over its group and x̂ times" in both
    mixed = words.why_sentence([rms, pytorch], "cell", (0, 0, 0, 0))
    assert "the mean of dŷ over its group (in the schemes that subtract a mean) and" in mixed
    assert "(in the schemes that divide by a spread)" not in mixed
