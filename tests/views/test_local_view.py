"""The "Local normalizations" page's model and figures, without Streamlit.

Hand-computed formulas, the comparison's explanations checked against the numbers (every change
it proposes must really make the two conventions agree), the equivalences, URL fields and presets.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bnviz
from bnviz.figures import local_norms as local_figures
from bnviz.figures.groupmap import read_payload
from bnviz.text import local_norms as local_words
from bnviz.views import explorer, source, urlstate
from bnviz.views import local_norms as lv

CHANNELS_123 = np.array([1.0, 2.0, 3.0]).reshape(1, 3, 1, 1)
X = (np.random.default_rng(11).normal(size=(2, 6, 5, 7)) * 2 + 0.3).astype(np.float32)


def defaults(**changes) -> dict:
    values, notices = urlstate.parse(lv.FIELDS, {})
    assert not notices
    values.update(changes)
    return values


def with_conventions(a_scheme, a_params, b_scheme, b_params, **more) -> dict:
    values = defaults(local=a_scheme, vs=b_scheme, **more)
    for name, value in a_params.items():
        values[lv.param_key("a", a_scheme, name)] = value
    for name, value in b_params.items():
        values[lv.param_key("b", b_scheme, name)] = value
    return values


# --- fields, presets, constraints -----------------------------------------------------------------


def test_fields_are_unique_and_default_to_each_schemes_declared_defaults():
    keys = [f.key for f in lv.FIELDS]
    assert len(keys) == len(set(keys))
    # Only the tensor and the selected cell are shared with the Explorer's fields (the Explorer's
    # "scheme", "eps", "beta", "colour" mean other things there).
    shared = set(keys) & {f.key for f in explorer.FIELDS}
    assert shared == {f.key for f in source.FIELDS} | {"cell"}
    for slot in lv.SLOTS:
        opening = bnviz.LOCAL_PRESETS[lv.DEFAULT_PRESETS[slot]]
        for scheme_id, scheme in bnviz.LOCAL_SCHEMES.items():
            for p in scheme.params:
                # The scheme's own default, but for the preset the convention opens on.
                want = (
                    opening.params.get(p.name, p.default)
                    if scheme_id == opening.scheme
                    else p.default
                )
                assert lv.FIELDS_BY_KEY[lv.param_key(slot, scheme_id, p.name)].default == want
        mvn = bnviz.SCHEMES["mvn"]
        assert lv.FIELDS_BY_KEY[lv.param_key(slot, "mvn", "eps")].default == mvn.eps_default
    assert lv.param_key("a", "lrn", "size") == "lrn.size"
    assert lv.param_key("b", "lrn", "size") == "vs.lrn.size"


@pytest.mark.parametrize("label", list(bnviz.LOCAL_PRESETS))
@pytest.mark.parametrize("slot", lv.SLOTS)
def test_presets_apply_and_are_recognised_after_a_url_round_trip(label, slot):
    values = defaults()
    values.update(lv.preset_values(slot, label))
    assert lv.matching_preset(values, slot) == label
    query = urlstate.to_query(lv.FIELDS, values)
    parsed, notices = urlstate.parse(lv.FIELDS, query)
    assert not notices
    assert lv.matching_preset(parsed, slot) == label
    conv = lv.convention(parsed, slot)
    preset = bnviz.LOCAL_PRESETS[label]
    assert conv.scheme_id == preset.scheme
    for name, value in preset.params.items():
        assert conv.params[name] == pytest.approx(value, rel=1e-5)


def test_default_conventions_are_caffe_against_matconvnet():
    values = defaults()
    assert lv.matching_preset(values, "a") == "Caffe defaults (α = 1)"
    assert lv.matching_preset(values, "b") == "MatConvNet DagNN default [5 1 0.0001/5 0.75]"
    values["lrn.alpha"] = 0.5
    assert lv.matching_preset(values, "a") is None


def test_the_first_view_differs_visibly_and_says_why():
    text = sentences(defaults())
    assert text.startswith("**A and B differ**: max |y_A − y_B| = ")
    max_diff = float(text.split("= ", 1)[1].split(".\n")[0])
    assert max_diff > 1  # visible: x is of order 1 to 10 here
    assert (
        "A multiplies the sum of squares by α/5 = 1/5 = 0.2; B by α = 2e-05 "
        "(A's is 10,000 times B's)." in text
    )
    assert "set B's alpha = 0.2 (α_B = α_A / 5: A divides α by 5, B does not divide α.)" in text


def test_short_labels_fit_the_sidebar_and_stay_distinct():
    labels = [lv.short_label(label) for label in bnviz.LOCAL_PRESETS]
    assert all(len(label) <= lv.LABEL_WIDTH for label in labels)
    assert len(set(labels)) == len(labels)
    assert lv.short_label("Caffe defaults (α = 1)") == "Caffe defaults (α = 1)"
    assert any(label == "AlexNet paper" for label in labels)


def test_constrain_makes_within_channel_sizes_odd_with_a_notice():
    values, notices = lv.constrain(defaults(**{"lrn-within.size": 4, "vs.lrn-within.size": 31}))
    assert values["lrn-within.size"] == 5 and values["vs.lrn-within.size"] == 31
    assert notices == ["A: lrn-within size must be odd; using 5, not 4."]


def test_fit_to_shape_drops_a_cell_outside_the_tensor():
    values, notices = lv.fit_to_shape(defaults(cell=(0, 5, 0, 0)), (1, 3, 4, 4))
    assert values["cell"] is None and "outside the tensor" in notices[0]
    values, notices = lv.fit_to_shape(defaults(cell=(0, 2, 3, 3)), (1, 3, 4, 4))
    assert values["cell"] == (0, 2, 3, 3) and not notices


def test_param_steps():
    fields = lv.FIELDS_BY_KEY
    assert lv.param_step(fields["lrn.alpha"]) == pytest.approx(1e-5)
    assert lv.param_step(fields["spatial.alpha"]) == pytest.approx(1.0)
    assert lv.param_step(fields["lrn.size"]) == 1


def test_convention_sentences_come_from_the_declarations():
    lrn = lv.convention(defaults(), "a")
    text = " ".join(lv.convention_sentences(lrn))
    scheme = bnviz.LOCAL_SCHEMES["lrn"]
    for part in (scheme.detail, scheme.divisor_rule, scheme.borders, *scheme.notes):
        assert part in text
    even = lv.convention(defaults(**{"lrn.size": 4}), "a")
    assert "the extra cell is before the centre (here channels c − 2 … c + 1)" in " ".join(
        lv.convention_sentences(even)
    )
    mvn = lv.convention(defaults(local="mvn"), "a")
    assert "added to σ" in " ".join(lv.convention_sentences(mvn))


# --- windows --------------------------------------------------------------------------------------


@pytest.mark.parametrize("scheme_id", list(bnviz.LOCAL_SCHEMES))
def test_axis_extent_agrees_with_the_engines_window(scheme_id):
    scheme = bnviz.LOCAL_SCHEMES[scheme_id]
    for size in range(1, 13):
        if scheme.odd_only and size % 2 == 0:
            continue
        params = {name: size for name in scheme.size_params}
        conv = lv.Convention("a", scheme_id, params)
        assert lv.window_extents(conv) == tuple(
            lv.axis_extent(scheme, size) for _ in scheme.size_params
        )


def test_window_extents_by_hand():
    assert lv.window_extents(lv.Convention("a", "lrn", {"size": 4})) == ((2, 1),)
    assert lv.window_extents(lv.Convention("a", "cross-channel", {"depth": 4})) == ((1, 2),)
    assert lv.window_extents(lv.Convention("a", "spatial", {"height": 2, "width": 3})) == (
        (0, 1),
        (1, 1),
    )


# --- both conventions ----------------------------------------------------------------------------


def test_compute_runs_both_conventions_and_their_difference():
    values = with_conventions("lrn", {"alpha": 1.0}, "spatial", {})
    result = lv.compute(X, values)
    np.testing.assert_array_equal(result.y_a, bnviz.local_normalize(X, "lrn", alpha=1.0))
    np.testing.assert_array_equal(result.y_b, bnviz.local_normalize(X, "spatial"))
    np.testing.assert_allclose(result.diff, result.y_a.astype(float) - result.y_b)
    assert result.max_diff == pytest.approx(np.abs(result.diff).max())
    cell = (1, 0, 2, 3)
    np.testing.assert_array_equal(
        result.highlight(cell), bnviz.neighbourhood(X.shape, "lrn", cell, alpha=1.0)
    )


def test_mvn_convention_uses_caffes_eps_on_sigma():
    values = with_conventions("mvn", {"eps": 0.5, "across_channels": True}, "lrn", {})
    result = lv.compute(X, values)
    x = X.astype(np.float64)
    mean = x.mean(axis=(1, 2, 3), keepdims=True)
    expected = (x - mean) / (x.std(axis=(1, 2, 3), keepdims=True) + 0.5)
    np.testing.assert_allclose(result.y_a, expected, rtol=2e-5, atol=1e-6)
    np.testing.assert_array_equal(
        result.highlight((1, 2, 0, 0)),
        np.broadcast_to(np.arange(2)[:, None, None, None] == 1, X.shape),
    )


def test_large_tensors_are_drawn_cropped_not_strided():
    plan = lv.map_plan((64, 64, 32, 32))
    assert plan.stride == 1 and list(plan.rows) == list(range(len(plan.rows)))
    assert "rows 0–" in plan.text_with("the outputs use the whole tensor")


# --- the comparison sentence ---------------------------------------------------------------------


def sentences(values, x=X) -> str:
    return "\n".join(lv.comparison_sentences(lv.compute(x, values)))


def test_pytorch_and_matconvnet_defaults_agree_and_say_why():
    text = sentences(defaults(**lv.preset_values("a", "PyTorch defaults")))
    assert text.startswith("**A and B agree on this tensor**: max |y_A − y_B| = 0")
    assert "channels c − 2 … c + 2" in text
    assert "A: α/5 = 0.0001/5 = 2e-05; B: α = 2e-05" in text


def test_same_alpha_in_both_differs_by_the_factor_n():
    values = with_conventions("lrn", {"alpha": 1e-3}, "cross-channel", {"alpha": 1e-3})
    text = sentences(values)
    assert text.startswith("**A and B differ**")
    assert (
        "A multiplies the sum of squares by α/5 = 0.001/5 = 0.0002; B by α = 0.001 "
        "(B's is 5 times A's)." in text
    )
    assert "set B's alpha = 0.0002" in text and "α_B = α_A / 5" in text
    cmp = lv.compare(lv.convention(values, "a"), lv.convention(values, "b"))
    assert cmp.changes == (("b", "alpha", pytest.approx(2e-4)),)


def test_even_n_places_the_windows_differently():
    values = with_conventions(
        "lrn", {"size": 4, "alpha": 1.0}, "cross-channel", {"depth": 4, "alpha": 0.25}
    )
    text = sentences(values)
    assert "A's window covers channels c − 2 … c + 1, B's channels c − 1 … c + 2." in text
    assert "an even window has its extra cell before the centre in A and after it in B" in text
    # α/n already matches: only the windows differ, and an odd n in both fixes them.
    assert "multiplies" not in text
    assert "set A's size = 5, B's depth = 5, B's alpha = 0.2" in text


def test_spatial_and_within_channel_agree_away_from_the_borders():
    values = with_conventions(
        "lrn-within",
        {"size": 3, "alpha": 2.0},
        "spatial",
        {"height": 3, "width": 3, "alpha": 2.0, "beta": 0.75},
    )
    text = sentences(values)
    assert text.startswith("**A and B agree away from the borders** (max |y_A − y_B| = 0")
    assert "B divides α by the window cells inside the image only" in text


def test_different_kinds_cannot_agree():
    text = sentences(with_conventions("lrn", {}, "lrn-within", {}))
    assert "No window setting makes them agree" in text
    text = sentences(with_conventions("mvn", {}, "cross-channel", {}))
    assert "No setting makes them agree" in text


def test_mvn_against_mvn_names_the_eps():
    values = with_conventions("mvn", {}, "mvn", {"eps": 0.1})
    assert "A adds ε = 1e-09 to σ, B ε = 0.1." in sentences(values)
    assert "set B's eps = 1e-09" in sentences(values)


def test_agreeing_only_because_the_tensor_is_degenerate_is_said():
    # One channel: the even windows c − 2 … c + 1 and c − 1 … c + 2 both hold only channel c.
    values = with_conventions(
        "lrn", {"size": 4, "alpha": 0.4}, "cross-channel", {"depth": 4, "alpha": 0.1}
    )
    text = sentences(values, X[:, :1])
    assert text.startswith("**A and B agree on this tensor**")
    assert "In general they differ, but not on this tensor" in text
    assert "In general: A's window covers channels c − 2 … c + 1" in text


# The values drawn for each local convention's parameters.
DRAWN_PARAMS = {
    "lrn": {
        "size": range(1, 8),
        "alpha": [0.0, 1e-3, 0.5, 2.0],
        "beta": [0.5, 0.75, 1.0],
        "k": [1.0, 2.0],
    },
    "cross-channel": {
        "depth": range(1, 8),
        "alpha": [0.0, 1e-3, 0.1, 2.0],
        "beta": [0.5, 0.75, 1.0],
        "kappa": [1.0, 2.0],
    },
    "lrn-within": {"size": [1, 3, 5], "alpha": [0.0, 0.5, 2.0], "beta": [0.75, 1.0]},
    "spatial": {
        "height": range(1, 6),
        "width": range(1, 6),
        "alpha": [0.0, 0.5, 10.0],
        "beta": [0.75, 2.0],
    },
}
# (scheme id, its parameters) for the comparisons.
local_conventions = st.one_of(
    st.tuples(
        st.just(scheme),
        st.fixed_dictionaries({name: st.sampled_from(values) for name, values in params.items()}),
    )
    for scheme, params in DRAWN_PARAMS.items()
)


@given(local_conventions, local_conventions)
@settings(max_examples=150, deadline=None)
def test_the_proposed_changes_really_make_the_conventions_agree(a, b):
    """Whatever the comparison says would make A and B agree is checked on numbers."""
    x = X[:, :, :, :]
    values = with_conventions(a[0], a[1], b[0], b[1])
    cmp = lv.compare(lv.convention(values, "a"), lv.convention(values, "b"))
    result = lv.compute(x, values)
    if cmp.agree:
        assert result.max_diff <= result.tolerance
    if not cmp.same_kind or not cmp.changes:
        if cmp.same_kind and not cmp.reasons and cmp.border_note is None:
            assert result.max_diff <= result.tolerance
        return
    for slot, name, value in cmp.changes:
        scheme_id = values[lv.SCHEME_KEYS[slot]]
        values[lv.param_key(slot, scheme_id, name)] = value
    fixed = lv.compute(x, values)
    after = lv.compare(fixed.a, fixed.b)
    assert not after.reasons and not after.changes
    if after.border_note is None:
        assert fixed.max_diff <= fixed.tolerance, lv.comparison_sentences(result)
    else:
        inner = lv.interior_mask(x.shape, fixed.a, fixed.b)
        assert np.abs(fixed.diff[inner]).max(initial=0) <= fixed.tolerance


def test_interior_mask_keeps_cells_whose_windows_fit():
    a = lv.Convention("a", "lrn-within", {"size": 3})
    b = lv.Convention("b", "spatial", {"height": 2, "width": 4})
    mask = lv.interior_mask((1, 1, 5, 7), a, b)
    # rows: within needs 1 before and after, spatial (PH 2) 0 before, 1 after -> rows 1..3;
    # columns: spatial PW 4 takes 1 before, 2 after -> columns 1..4.
    expected = np.zeros((5, 7), dtype=bool)
    expected[1:4, 1:5] = True
    np.testing.assert_array_equal(mask[0, 0], expected)
    assert lv.interior_mask((1, 1, 5, 7), a, lv.Convention("b", "lrn", {})) is None


# --- equivalences --------------------------------------------------------------------------------


def test_equivalences_hold_on_the_page_defaults():
    rows = lv.equivalences(X, defaults())
    assert len(rows) == 5
    assert all(row.holds for row in rows), [r.row() for r in rows]
    claims = " ".join(r.claim for r in rows)
    for words in (
        "instance norm",
        "layer norm",
        "identity",
        "odd n is LRN",
        "away from the borders",
    ):
        assert words in claims
    mvn_within = rows[0]
    # With eps = 1e-5 in both, the place of eps shows: bounded by the difference of the divisors.
    assert "With ε = 1e-05 in both they differ by up to" in mvn_within.note
    border = rows[4]
    assert border.note.startswith("Near the borders they differ by up to")


def test_equivalence_with_an_even_n_fails_and_says_why():
    rows = lv.equivalences(X, defaults(**{"lrn.size": 4, "lrn.alpha": 1.0}))
    cross = rows[3]
    assert not cross.holds and cross.max_diff > 1e-3
    assert "n = 4 is even: LRN's window is c − 2 … c + 1, MatConvNet's c − 1 … c + 2" in cross.note
    assert rows[3].row()["holds here"] == "no"


def test_equivalence_rows_measure_the_difference():
    values = defaults(**{"lrn-within.size": 3, "lrn-within.alpha": 4.0})
    spatial = lv.equivalences(X, values)[4]
    within = bnviz.local_normalize(X, "lrn-within", size=3, alpha=4.0)
    other = bnviz.local_normalize(X, "spatial", height=3, width=3, alpha=4.0, beta=0.75)
    inner = np.abs(within[:, :, 1:-1, 1:-1] - other[:, :, 1:-1, 1:-1]).max()
    assert spatial.max_diff == pytest.approx(inner, abs=1e-12)
    border = np.abs(within.astype(float) - other).max()
    assert f"{border:.3g}" in spatial.note
    tiny = lv.equivalences(X[:, :, :2, :2], values)[4]
    assert tiny.max_diff is None and not tiny.holds
    assert "No cell is that far from the borders" in tiny.note


# --- one cell's formula --------------------------------------------------------------------------


def test_cell_formula_numbers_by_hand():
    conv = lv.Convention("a", "lrn", {"size": 3, "alpha": 3.0, "beta": 1.0, "k": 1.0})
    formula = lv.cell_formula(CHANNELS_123, conv, (0, 0, 0, 0))
    text = "\n".join(formula.lines)
    # Window c − 1 … c + 1 at c = 0: padding, 1, 2; S = 0 + 1 + 4 = 5; D = 3; base 1 + 5 = 6.
    assert r"\color{gray}{0^2} + 1^2 + 2^2" in text
    assert r"&= 5 \end{aligned}" in text
    assert "D = 3" in text
    assert r"1 + \tfrac{3}{3} \cdot 5 = 6" in text
    assert r"\left(6\right)^{1} = 6" in text
    assert text.endswith(r"= 0.1667")
    assert formula.notes == (
        "1 of the 3 window cells lies outside the tensor: it counts 0.",
        "D = 3: α is divided by the full window, padding included.",
    )


def test_cell_formula_divisors_of_the_other_schemes():
    row = np.array([1.0, 2.0, 3.0, 4.0]).reshape(1, 1, 1, 4)
    spatial = lv.Convention("a", "spatial", {"height": 1, "width": 2, "alpha": 1.0, "beta": 1.0})
    formula = lv.cell_formula(row, spatial, (0, 0, 0, 3))
    # The last column's window holds itself and one outside cell: the mean is over 1 cell.
    assert "D = 1" in formula.lines and formula.lines[-1].endswith("= 0.2353")  # 4 / 17
    assert "the window cells inside the image (of 2)" in formula.notes[1]
    cross = lv.Convention(
        "a", "cross-channel", {"depth": 3, "kappa": 2.0, "alpha": 0.5, "beta": 0.5}
    )
    formula = lv.cell_formula(CHANNELS_123, cross, (0, 1, 0, 0))
    assert r"\kappa + " in formula.lines[2] and "α is not divided" in formula.notes[1]
    assert formula.lines[-1].endswith("= 0.6667")  # 2 / sqrt(2 + 0.5 · 14)


def test_cell_formula_shows_enough_digits_to_see_the_change():
    conv = lv.Convention("a", "lrn", {"size": 5, "alpha": 1e-4, "beta": 0.75, "k": 1.0})
    formula = lv.cell_formula(CHANNELS_123, conv, (0, 2, 0, 0))
    # base = 1 + 1e-4/5 · 14 = 1.00028: four digits would print 1.
    assert formula.lines[2].endswith("= 1.00028")
    y = bnviz.local_normalize(CHANNELS_123, "lrn")[0, 2, 0, 0]
    assert formula.lines[-1].endswith(f"= {y:.6g}")


def test_cell_formula_for_mvn():
    x = np.array([1.0, 2.0, 3.0, 6.0]).reshape(1, 1, 2, 2)
    conv = lv.Convention("a", "mvn", {"across_channels": False, "normalize_variance": True}, 0.5)
    formula = lv.cell_formula(x, conv, (0, 0, 1, 1))
    # mean 3, sigma = sqrt((4 + 1 + 0 + 9) / 4) = 1.871; y = 3 / (1.871 + 0.5) = 1.265.
    assert "= 3, \\quad m' = 4" in formula.lines[0]
    assert formula.lines[1].endswith("= 1.871")
    assert formula.lines[2].endswith("= 1.265")
    off = lv.Convention("a", "mvn", {"across_channels": False, "normalize_variance": False}, 0.5)
    assert lv.cell_formula(x, off, (0, 0, 1, 1)).lines[-1] == r"y = x - \mu = 6 - 3 = 3"


def test_digits():
    assert local_words.digits(1.0, 1.0) == 4
    assert local_words.digits(1.00028, 1.0) == 6
    assert local_words.digits(2.0, 1.0) == 4
    assert local_words.digits(1 + 1e-14, 1.0) == 10


# --- figures ------------------------------------------------------------------------------------


def test_value_map_payload_lights_the_window_of_the_hovered_cell():
    result = lv.compute(X, with_conventions("lrn", {"size": 3}, "cross-channel", {}))
    header, arrays = read_payload(lv.map_payload(result, "y_a", cell=(1, 0, 2, 3)))
    # LRN over 3 channels: the window is c − 1 … c + 1 at one location.
    assert header["window"] == {"axis": "C", "extents": [[1, 1]]}
    assert header["selected"] == [1, 0, 2, 3] and not header["statistics"]
    assert header["colour_label"] == "y_A"
    np.testing.assert_allclose(arrays["y"], result.y_a.reshape(-1), rtol=1e-6)
    np.testing.assert_allclose(arrays["extra1"], result.diff.reshape(-1), rtol=1e-6, atol=1e-7)
    # The differences are coloured on a scale centred on 0.
    header, _ = read_payload(lv.map_payload(result, "diff"))
    low, high = header["scale"]
    assert low == -high


@pytest.mark.parametrize(
    ("scheme", "params", "cell", "ghosts"),
    [
        ("lrn", {"size": 5}, (0, 0, 1, 1), 2),
        ("cross-channel", {"depth": 4}, (0, 5, 0, 0), 2),
        ("lrn-within", {"size": 3}, (1, 2, 0, 6), 5),
        ("spatial", {"height": 2, "width": 2}, (0, 0, 4, 3), 2),
    ],
)
def test_window_figure_draws_padding_as_ghost_cells(scheme, params, cell, ghosts):
    terms = bnviz.local_terms(X, scheme, cell, **params)
    fig = local_figures.window_figure(terms)
    heatmap, hatched, labels = fig.data
    assert hatched.fillpattern.shape == "/"
    assert len(labels.x) == ghosts == terms.window.padded_cells
    assert list(labels.text) == ["0"] * ghosts
    z = np.asarray(heatmap.z, dtype=float)
    assert np.isnan(z).sum() == ghosts
    assert np.nansum(z) == pytest.approx(terms.sum_squares, rel=1e-6)
    # Axes carry the real indices, negative or past the end where the window leaves the tensor.
    assert list(heatmap.x) == list(terms.window.ranges[-1])
    assert f"Window of cell {cell}" in fig.layout.title.text
    assert f"{ghosts} hatched ones outside the tensor count 0" in fig.layout.title.text


def test_window_figure_without_padding_or_with_one_ghost():
    one = bnviz.local_terms(X, "lrn", (0, 0, 0, 0), size=3)
    assert (
        "1 hatched one outside the tensor counts 0"
        in local_figures.window_figure(one).layout.title.text
    )
    terms = bnviz.local_terms(X, "lrn", (0, 3, 0, 0), size=3)
    fig = local_figures.window_figure(terms)
    assert "all inside the tensor" in fig.layout.title.text and len(fig.data[2].x) == 0
    assert math.isclose(fig.data[0].zmax, float(np.max(terms.window_values**2)))
