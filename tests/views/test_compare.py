"""The Compare page's model (bnviz.compare) and the cube figure (bnviz.cube): pure, no Streamlit."""

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bnviz
from bnviz.engine import partitions
from bnviz.engine.schemes import AXES_SUBSETS, SCHEMES, default_groups, scheme_label
from bnviz.figures import cube
from bnviz.views import compare, explorer, source
from bnviz.views.urlstate import parse, to_query

GENERIC = (2, 3, 4, 5)


def same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    """Brute force: two labellings group the cells alike iff label pairs biject."""
    a, b = a.ravel(), b.ravel()
    pairs = len(np.unique(np.stack([a, b], axis=1), axis=0))
    return pairs == len(np.unique(a)) == len(np.unique(b))


def named_candidates(shape):
    """Every named scheme with every parameter setting (booleans both ways, every divisor G)."""
    channels = shape[1]
    for scheme in SCHEMES.values():
        if any(p.kind == "axes" for p in scheme.params):
            continue
        options = []
        for p in scheme.params:
            if p.kind == "bool":
                options.append([(p.name, False), (p.name, True)])
            else:
                options.append([(p.name, g) for g in bnviz.divisors(channels)])
        for combo in itertools.product(*options):
            yield scheme.id, dict(combo)


# --- Equivalences -----------------------------------------------------------------------------


def test_named_equivalent_of_the_six_named_sets_of_kept_axes():
    expected = {
        "C": "batch",
        "N": "layer",
        "NC": "instance",
        "CHW": "batch-pixel",
        "HW": "batch-location",
        "NHW": "layer-channels",  # ConvNeXt's channels-last layer norm (and ProGAN's pixel norm)
        "": "tensor",
    }
    assert len(AXES_SUBSETS) == 16
    for keep in AXES_SUBSETS:
        assert next(
            (e.scheme for e in partitions.named_equivalents(keep, GENERIC)), None
        ) == expected.get(keep), keep


@pytest.mark.parametrize("shape", [GENERIC, (3, 4, 2, 2), (1, 3, 1, 4), (2, 1, 3, 3), (2, 6, 7)])
@pytest.mark.parametrize("keep", AXES_SUBSETS)
def test_every_kept_axes_set_names_exactly_the_schemes_with_its_partition(keep, shape):
    custom = bnviz.group_labels(shape, "custom", keep=keep)
    reported = {
        (e.scheme, tuple(sorted(e.params.items())))
        for e in partitions.named_equivalents(keep, shape)
    }
    reported_schemes = {scheme for scheme, _ in reported}
    for scheme, params in named_candidates(shape):
        equal = same_partition(custom, bnviz.group_labels(shape, scheme, **params))
        if not params:
            assert (scheme in reported_schemes) == equal, (scheme, keep, shape)
        elif not equal:
            assert (scheme, tuple(sorted(params.items()))) not in reported
        else:
            # A parametrised scheme is reported once per distinct grouping, with some setting
            # that groups like this one.
            assert scheme in reported_schemes, (scheme, params, keep, shape)
    for scheme, params in reported:
        assert same_partition(custom, bnviz.group_labels(shape, scheme, **dict(params)))


def test_equivalents_list_plain_schemes_first_and_each_grouping_once():
    found = partitions.named_equivalents("NC", (2, 6, 3, 3))
    assert [e.scheme for e in found] == ["instance", "group", "mvn"]
    assert found[1].params == {"num_groups": 6}
    assert found[1].label == "Group norm: num_groups = 6"
    # MVN without variance normalization groups alike: listed once, with the defaults.
    assert found[2].params == {"across_channels": False, "normalize_variance": True}
    # RMS norm groups as layer norm does (its formula differs, not its groups).
    assert [e.scheme for e in partitions.named_equivalents("N", (2, 6, 3, 3))] == [
        "layer",
        "rms",
        "group",
        "mvn",
    ]
    assert partitions.named_equivalents("NCHW", GENERIC) == ()


def test_degenerate_axes_make_more_sets_equivalent():
    # With H = W = 1, keeping C, H, W groups like keeping C: batch and batch-pixel coincide.
    assert [e.scheme for e in partitions.named_equivalents("CHW", (4, 3, 1, 1))][:2] == [
        "batch",
        "batch-pixel",
    ]
    # With one channel, per-location statistics are per-activation ones.
    assert {e.scheme for e in partitions.named_equivalents("HW", (4, 1, 3, 3))} >= {
        "batch-pixel",
        "batch-location",
    }


@settings(max_examples=80, deadline=None)
@given(
    shape=st.lists(st.integers(1, 4), min_size=4, max_size=4).map(tuple),
    keep_a=st.sampled_from(AXES_SUBSETS),
    keep_b=st.sampled_from(AXES_SUBSETS),
    use_group=st.booleans(),
    group_pick=st.integers(0, 10),
)
def test_partition_signature_agrees_with_brute_force(shape, keep_a, keep_b, use_group, group_pick):
    a = bnviz.layout(shape, "custom", keep=keep_a)
    if use_group:
        options = bnviz.divisors(shape[1])
        b = bnviz.layout(shape, "group", num_groups=options[group_pick % len(options)])
    else:
        b = bnviz.layout(shape, "custom", keep=keep_b)
    assert partitions.same_groups(a, b) == same_partition(a.labels(), b.labels())


def test_same_groups_refuses_layouts_of_different_shapes():
    with pytest.raises(bnviz.InputError):
        partitions.same_groups(
            bnviz.layout((2, 3, 4, 4), "batch"), bnviz.layout((2, 3, 4, 5), "batch")
        )


def test_custom_note_names_the_scheme_and_the_gamma_beta_difference():
    note = compare.custom_note("N", (2, 3, 4, 4))
    assert "**Layer norm** (`layer`)" in note
    assert "Group norm: num_groups = 1" in note
    assert "Only γ and β differ: () (a scalar) here, (3, 4, 4) for Layer norm." in note
    note = compare.custom_note("C", (2, 3, 4, 4))
    assert "**Batch norm (per channel)** (`batch`)" in note and "differ" not in note
    assert compare.custom_note("NH", (2, 3, 4, 4)).endswith(
        "no named scheme groups the cells this way."
    )
    assert compare.custom_note("", (2, 3, 4, 4)).startswith("Keeping no axis")


def test_scheme_label_shows_what_tells_variants_apart():
    assert scheme_label("batch") == "Batch norm (per channel)"
    assert scheme_label("group", {"num_groups": 4}) == "Group norm: num_groups = 4"
    assert scheme_label("mvn", {"across_channels": False, "normalize_variance": True}) == (
        "Mean-variance norm (Caffe MVN)"
    )
    assert scheme_label("mvn", {"across_channels": True, "normalize_variance": False}) == (
        "Mean-variance norm (Caffe MVN): across_channels; no normalize_variance"
    )
    assert scheme_label("custom", {"keep": "hn"}) == "Custom axes: keep N, H"
    assert scheme_label("custom", {"keep": ""}) == "Custom axes: keep none"


# --- The table --------------------------------------------------------------------------------


def default_values(**overrides):
    values = {f.key: f.default for f in compare.FIELDS}
    values.update(overrides)
    return values


def test_question_1_row_one_pair_per_channel_over_500_values():
    rows = compare.scheme_rows((20, 10, 5, 5), [("batch", {})])
    assert rows == [
        {
            "scheme": "Batch norm (per channel)",
            "one μ and σ² for": "each channel c, over N, H and W",
            "μ, σ² pairs": 10,
            "m′ (values per pair)": "N × H × W = 20 × 5 × 5 = 500",
            "γ, β shape": "(10,)",
            "γ, β entries (each)": 10,
            "running μ, σ² shape": "(10,)",
            "PyTorch (training mode)": "torch.nn.BatchNorm2d(10, eps=1e-05)(x)",
        }
    ]
    assert list(rows[0]) == list(compare.COLUMNS)


def test_table_rows_for_every_scheme_hand_computed_on_2_3_4_4():
    values = default_values(schemes=("custom", "group"), keep1="NC", num_groups2=3)
    configs = compare.table_configs(values, 3)
    rows = {r["scheme"]: r for r in compare.scheme_rows((2, 3, 4, 4), configs)}
    expected = {
        # scheme: (pairs, m′, γ/β shape, entries, running)
        "Batch norm (per channel)": (3, "N × H × W = 2 × 4 × 4 = 32", "(3,)", 3, "(3,)"),
        "Batch norm per activation (c, h, w)": (
            48,
            "N = 2",
            "(3, 4, 4), held flat as (48,) by BatchNorm1d",
            48,
            "(48,)",
        ),
        "Batch norm per location": (
            16,
            "N × C = 2 × 3 = 6",
            "(4, 4), held flat as (16,) by BatchNorm1d",
            16,
            "(16,)",
        ),
        "Layer norm": (2, "C × H × W = 3 × 4 × 4 = 48", "(3, 4, 4)", 48, "—"),
        "Instance norm": (6, "H × W = 4 × 4 = 16", "(3,)", 3, "—"),
        "Group norm: num_groups = 3": (6, "C/G × H × W = 1 × 4 × 4 = 16", "(3,)", 3, "—"),
        "Whole-tensor norm": (
            1,
            "N × C × H × W = 2 × 3 × 4 × 4 = 96",
            "() (a scalar), held flat as (1,) by BatchNorm1d",
            1,
            "(1,)",
        ),
        "Mean-variance norm (Caffe MVN)": (6, "H × W = 4 × 4 = 16", "none", 0, "—"),
        "Custom axes: keep N, C": (6, "H × W = 4 × 4 = 16", "(3,)", 3, "—"),
        "Layer norm over channels (ConvNeXt)": (32, "C = 3", "(3,)", 3, "—"),
        "RMS norm": (2, "C × H × W = 3 × 4 × 4 = 48", "(3, 4, 4)", 48, "—"),
        "Pixel norm (ProGAN)": (32, "C = 3", "none", 0, "—"),
    }
    assert set(rows) == set(expected)
    for name, (pairs, size, shape, entries, running) in expected.items():
        row = rows[name]
        got = (
            row["μ, σ² pairs"],
            row["m′ (values per pair)"],
            row["γ, β shape"],
            row["γ, β entries (each)"],
            row["running μ, σ² shape"],
        )
        assert got == (pairs, size, shape, entries, running), name


def test_table_numbers_agree_with_describe_for_every_config():
    shape = (4, 6, 3, 5)
    values = default_values(
        schemes=("group", "group", "mvn", "custom"),
        num_groups1=2,
        num_groups2=6,
        across_channels3=True,
        keep4="HW",
    )
    configs = compare.table_configs(values, 6)
    # Every scheme, plus both group settings; MVN only as the slot sets it.
    assert [s for s, _ in configs].count("group") == 2
    assert {s for s, _ in configs} == set(SCHEMES)
    assert ("mvn", {"across_channels": True, "normalize_variance": True}) in configs
    for (scheme, params), row in zip(configs, compare.scheme_rows(shape, configs)):
        d = bnviz.describe(shape, scheme, **params)
        assert row["μ, σ² pairs"] == d.groups
        assert row["m′ (values per pair)"].endswith(f"= {d.group_size:,}") or d.group_size == int(
            row["m′ (values per pair)"].split("= ")[-1].replace(",", "")
        )
        assert math.prod(n for _, n in d.group_factors) == d.group_size
        assert row["γ, β entries (each)"] == d.param_count
        assert row["PyTorch (training mode)"] == (d.torch_code or "none")
        running = d.running_stats_shape
        assert row["running μ, σ² shape"] == ("—" if running is None else str(running))


def test_table_configs_give_unused_schemes_their_defaults():
    configs = dict(compare.table_configs(default_values(schemes=("batch", "layer")), 12))
    assert configs["group"] == {"num_groups": default_groups(12)}
    assert configs["custom"] == {"keep": "C"}
    assert configs["mvn"] == {"across_channels": False, "normalize_variance": True}


def test_running_statistics_are_the_batch_statistics_flat():
    torch = pytest.importorskip("torch")
    n, c, h, w = 2, 3, 4, 5
    d = bnviz.describe((n, c, h, w), "batch-pixel")
    assert d.running_stats_shape == (c * h * w,)
    # The running estimates are the batch statistics themselves (momentum 1 keeps the last).
    x = torch.randn(n, c, h, w)
    module = torch.nn.BatchNorm1d(c * h * w, momentum=1.0)
    module(x.reshape(n, -1))
    out = bnviz.normalize(x.numpy(), "batch-pixel")
    np.testing.assert_allclose(
        module.running_mean.numpy(), out.mean.reshape(-1), rtol=1e-5, atol=1e-6
    )
    assert bnviz.describe((n, c, 7), "batch").running_stats_shape == (c,)
    assert bnviz.describe((n, c, h, w), "layer").running_stats_shape is None


# --- Slots, constraints, URL ------------------------------------------------------------------


def test_earlier_twin_finds_a_slot_with_the_same_groups():
    shape = (2, 6, 3, 3)
    layouts = {
        1: bnviz.layout(shape, "instance"),
        2: bnviz.layout(shape, "group", num_groups=6),
        3: bnviz.layout(shape, "group", num_groups=2),
        4: bnviz.layout(shape, "custom", keep="N"),
    }
    assert [compare.earlier_twin(layouts, k) for k in (1, 2, 3, 4)] == [None, 1, None, None]
    layouts[4] = bnviz.layout(shape, "custom", keep="NC")
    assert compare.earlier_twin(layouts, 4) == 1
    del layouts[1]
    assert compare.earlier_twin(layouts, 4) == 2


def test_fields_cover_the_tensor_the_schemes_each_slot_and_the_cell():
    keys = [f.key for f in compare.FIELDS]
    assert next(f for f in compare.FIELDS if f.key == "c").default == 6
    assert len(keys) == len(set(keys))
    for key in ("n", "c", "h", "w", "source", "schemes", "cell"):
        assert key in keys
    for slot in compare.SLOTS:
        for name in ("num_groups", "across_channels", "normalize_variance", "keep"):
            assert f"{name}{slot}" in keys


@pytest.mark.parametrize(
    ("schemes", "expected", "noticed"),
    [
        (("batch",), ("batch", "layer"), True),
        (("layer",), ("layer", "batch"), True),
        (("batch", "batch"), ("batch", "batch"), False),
        (("batch", "layer", "group", "mvn", "tensor"), ("batch", "layer", "group", "mvn"), True),
    ],
)
def test_constrain_brings_the_schemes_to_two_to_four(schemes, expected, noticed):
    values, notices = compare.constrain(default_values(schemes=schemes))
    assert values["schemes"] == expected
    assert bool(notices) == noticed


def test_fit_to_shape_fixes_each_slots_groups_and_drops_an_outside_cell():
    values = default_values(
        schemes=("group", "layer", "group"), num_groups1=4, num_groups3=None, cell=(0, 9, 0, 0)
    )
    fitted, notices = compare.fit_to_shape(values, (2, 6, 4, 4))
    assert fitted["num_groups1"] == 3  # nearest divisor of 6 to 4 (the smaller on a tie)
    assert fitted["num_groups3"] == default_groups(6)
    assert fitted["num_groups2"] is None  # layer norm has no groups to fit
    assert fitted["cell"] is None
    assert any(
        n.startswith("Scheme 1: num_groups=4 is not allowed with C=6 (G must divide C)")
        for n in notices
    )
    assert any("outside the tensor" in n for n in notices)
    assert not any(n.startswith("Scheme 3") for n in notices)


def test_slot_values_drive_the_explorer_computation():
    values = default_values(schemes=("custom", "group"), keep1="hw", num_groups2=3)
    first = compare.slot_values(values, 1)
    assert first["scheme"] == "custom" and first["keep"] == "HW" and not first["affine"]
    assert compare.slot_params(values, 2) == {"num_groups": 3}
    x = source.build(values).x
    result = explorer.compute(x, compare.slot_values(values, 2))
    assert result.description.summary == bnviz.describe(x.shape, "group", num_groups=3).summary


def test_tidy_drops_parameters_no_shown_scheme_uses():
    values = default_values(
        schemes=("group", "layer"), num_groups1=3, num_groups2=2, num_groups4=5, keep3="N"
    )
    tidy = compare.tidy(values)
    assert tidy["num_groups1"] == 3
    assert tidy["num_groups2"] is None and tidy["num_groups4"] is None
    assert tidy["keep3"] == "C"
    assert values["num_groups2"] == 2  # the input is left alone


def test_url_round_trip_of_every_slot_field():
    values = default_values(
        schemes=("custom", "group", "mvn", "custom"),
        keep1="",
        num_groups2=2,
        across_channels3=True,
        normalize_variance3=False,
        keep4="NHW",
        cell=(1, 0, 2, 3),
        n=3,
    )
    query = to_query(compare.FIELDS, compare.tidy(values))
    assert query["schemes"] == "custom,group,mvn,custom"
    assert query["keep1"] == "none" and query["keep4"] == "NHW"
    parsed, notices = parse(compare.FIELDS, query)
    assert not notices
    assert parsed == compare.tidy(values)


def test_question_5_link_parses_to_the_three_methods():
    query = {"schemes": "batch-location,batch-pixel,batch", "n": "2", "c": "3", "h": "4", "w": "4"}
    values, notices = parse(compare.FIELDS, query)
    assert not notices
    assert values["schemes"] == ("batch-location", "batch-pixel", "batch")
    assert values["cell"] == (0, 0, 0, 0)


# --- Axes in frameworks -----------------------------------------------------------------------


def test_axis_rows_name_each_index_in_both_layouts():
    rows = {r["layout"]: r for r in compare.axis_rows()}
    assert [rows["NCHW (PyTorch)"][str(i)] for i in range(4)] == list("NCHW")
    assert [rows["NHWC (TensorFlow/Keras)"][str(i)] for i in range(4)] == list("NHWC")
    assert rows["NHWC (TensorFlow/Keras)"]["-1"] == "C"
    assert rows["NCHW (PyTorch)"]["-1"] == "W"
    assert rows["NCL (PyTorch)"]["3"] == "" and rows["NLC (TensorFlow/Keras)"]["2"] == "C"
    assert rows["NDHWC (TensorFlow/Keras)"]["4"] == "C" and rows["NCDHW (PyTorch)"]["1"] == "C"


@pytest.mark.parametrize(
    ("order", "axis", "kept"),
    [
        ("NCHW", 1, "C"),
        ("NHWC", -1, "C"),
        ("NHWC", 3, "C"),
        ("NCHW", -1, "W"),
        ("NHWC", 1, "H"),
        ("NHWC", [1, 2, 3], "HWC"),
        ("NLC", -1, "C"),
        ("NCDHW", 1, "C"),
    ],
)
def test_kept_letters_read_the_axis_argument(order, axis, kept):
    assert compare.kept_letters(order, axis) == kept


def test_kept_letters_refuse_a_missing_axis():
    with pytest.raises(bnviz.InputError, match="axis 4 does not exist"):
        compare.kept_letters("NCHW", 4)


def test_axis_examples_keep_the_channel_except_the_mistake():
    rows = compare.axis_example_rows((2, 3, 4, 4))
    assert [r["keeps"] for r in rows] == ["C", "C", "C", "W"]
    assert [r["same groups as"] for r in rows[:3]] == ["Batch norm (per channel)"] * 3
    assert rows[3]["reduces"] == "N, C, H" and rows[3]["same groups as"] == "no named scheme"


def test_keep_axis_normalize_hand_case():
    # Two channels on the last axis: channel 0 is (1, 3), channel 1 is (10, 30).
    x = np.array([[1.0, 10.0], [3.0, 30.0]])
    y = compare.keep_axis_normalize(x, -1, eps=0.0)
    np.testing.assert_allclose(y, [[-1.0, -1.0], [1.0, 1.0]])
    y = compare.keep_axis_normalize(x, 0, eps=0.0)  # keep rows: (1, 10) and (3, 30)
    np.testing.assert_allclose(y, [[-1.0, 1.0], [-1.0, 1.0]])


def test_spatial_views_keep_each_channels_values():
    x = np.arange(2 * 3 * 6 * 5, dtype=np.float32).reshape(2, 3, 6, 5)
    views = compare.spatial_views(x)
    assert views[1].shape == (2, 3, 30)
    assert views[2] is x
    assert views[3].shape == (2, 3, 2, 3, 5)
    for view in views.values():
        for c in range(3):
            assert sorted(view[:, c].ravel()) == sorted(x[:, c].ravel())
    assert compare.spatial_views(np.zeros((1, 1, 1, 4)))[3].shape == (1, 1, 1, 1, 4)


@pytest.mark.parametrize("spatial", [1, 2, 3])
def test_channels_last_with_last_axis_kept_gives_batch_norm(spatial):
    rng = np.random.default_rng(spatial)
    x = (rng.normal(size=(3, 4, 5, 6)) * [[[[1.0]], [[5.0]], [[0.1]], [[30.0]]]] + 7).astype(
        np.float32
    )
    view = compare.spatial_views(x)[spatial]
    check = compare.channels_last_check(view, spatial)
    assert check.kept_first == check.kept_last == "C"
    assert check.pairs == 4
    assert check.last_shape == np.moveaxis(view, 1, -1).shape
    assert check.max_difference < 1e-5
    # Keeping the wrong axis of the channels-last copy is not batch norm.
    wrong = np.moveaxis(compare.keep_axis_normalize(np.moveaxis(view, 1, -1), 1), -1, 1)
    assert np.max(np.abs(wrong - compare.keep_axis_normalize(view, 1))) > 0.1


def test_channels_last_check_refuses_a_wrong_rank():
    with pytest.raises(bnviz.InputError):
        compare.channels_last_check(np.zeros((2, 3, 4, 4)), 1)


def test_framework_check_rows_name_the_layers():
    x = source.build(default_values()).x
    rows = compare.check_rows(compare.framework_checks(x))
    assert [r["PyTorch layer"] for r in rows] == ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d"]
    assert rows[2]["Lua Torch (nn)"] == "nn.VolumetricBatchNormalization"
    assert rows[0]["shape, channels last"] == "NLC (4, 36, 6)"  # Compare opens on C = 6
    assert all(float(r["max |difference|"]) < 1e-5 for r in rows)


# --- The cube ---------------------------------------------------------------------------------


def test_boundary_faces_of_blocks_count_their_sides():
    for shape in [(1, 1, 1), (2, 3, 4), (1, 5, 1)]:
        vertices, triangles = cube.boundary_faces(np.ones(shape, dtype=bool))
        a, b, c = shape
        faces = 2 * (a * b + b * c + a * c)
        assert vertices.shape == (4 * faces, 3) and triangles.shape == (2 * faces, 3)
        assert vertices.min(axis=0).tolist() == [0, 0, 0]
        assert vertices.max(axis=0).tolist() == list(shape)
    # Two voxels touching at a face hide it: 10 faces, not 12.
    mask = np.zeros((3, 3, 3), dtype=bool)
    mask[1, 1, 1] = mask[1, 1, 2] = True
    assert len(cube.boundary_faces(mask)[0]) == 4 * 10


def test_intervals_and_product_boxes():
    assert cube.intervals(np.array([0, 1, 1, 0, 1], bool)) == [(1, 3), (4, 5)]
    assert cube.intervals(np.zeros(3, bool)) == []
    mask = np.zeros((2, 4, 6), dtype=bool)
    mask[:, 1:3, [0, 1, 4]] = True
    assert cube.product_boxes(mask) == [((0, 2), (1, 3), (0, 2)), ((0, 2), (1, 3), (4, 5))]
    diagonal = np.zeros((2, 2, 1), dtype=bool)
    diagonal[0, 0, 0] = diagonal[1, 1, 0] = True
    assert cube.product_boxes(diagonal) is None
    assert cube.product_boxes(np.zeros((2, 2, 2), bool)) == []


def test_cube_extent_caps_each_axis():
    assert cube.cube_extent((2, 3, 4, 4)) == (2, 3, 16)
    assert cube.cube_extent((64, 512, 32, 32)) == cube.MAX_EXTENT


@pytest.mark.parametrize(
    ("scheme", "params", "members"),
    [
        ("batch", {}, 2 * 16),  # channel 2: every sample and location
        ("batch-location", {}, 2 * 3),  # location (2, 1): every sample and channel
        ("batch-pixel", {}, 2),  # activation (2, 2, 1): every sample
        ("instance", {}, 16),
        ("layer", {}, 3 * 16),
        ("custom", {"keep": "W"}, 2 * 3 * 4),  # column 1 of every sample, channel and row
    ],
)
def test_cube_shades_the_selected_cells_group(scheme, params, members):
    labels = bnviz.group_labels((2, 3, 4, 4), scheme, **params)
    fig = cube.group_cube_figure(labels, (1, 2, 2, 1))
    assert fig.layout.meta["members"] == members
    assert fig.layout.meta["drawn"] == [2, 3, 16]
    names = [t.name for t in fig.data if t.type == "mesh3d"]
    assert names == ["groups", "group", "cell"]
    # Every group shows on the box's surface in its map colour: one colour per face (2 triangles).
    surface = fig.data[0]
    faces = 2 * (2 * 3 + 2 * 16 + 3 * 16)
    assert len(surface.intensity) == 2 * faces and surface.intensitymode == "cell"
    assert len(set(np.asarray(surface.intensity).tolist())) > 1
    group = next(t for t in fig.data if t.name == "group")
    # The group's surface lies inside the cube, and the cell's voxel sits at p = h·W + w = 9.
    assert np.max(group.z) <= 16 and np.max(group.x) <= 2
    cell = next(t for t in fig.data if t.name == "cell")
    assert (min(cell.x), min(cell.y), min(cell.z)) == (1, 2, 9)
    assert fig.layout.scene.zaxis.title.text == "H·W"


def test_cube_of_a_large_tensor_stays_light():
    labels = bnviz.group_labels((32, 64, 16, 16), "batch")
    fig = cube.group_cube_figure(labels, (31, 63, 15, 15))
    assert fig.layout.meta["drawn"] == list(cube.MAX_EXTENT)
    # The group's channel is beyond the drawn channels: no group voxel, no cell voxel.
    assert fig.layout.meta["members"] == 0
    assert [t.name for t in fig.data if t.type == "mesh3d"] == ["groups"]
    fig = cube.group_cube_figure(labels, (0, 0, 0, 0))
    assert fig.layout.meta["members"] == 16 * 64
    # The box's surface in group colours costs ~100 KB (typed arrays); the group's voxels little.
    assert len(fig.to_json()) < 200_000


def test_cube_without_a_cell_shows_every_group_on_its_surface():
    fig = cube.group_cube_figure(bnviz.group_labels((2, 3, 4, 4), "batch"), None)
    assert [t.name for t in fig.data if t.type == "mesh3d"] == ["groups"]
    assert fig.data[0].opacity == 1.0
    assert fig.layout.meta["members"] == 0


@pytest.mark.parametrize("shape", [(2, 3, 4, 4), (8, 16, 5, 5), (10, 7, 46, 46), (64, 64, 32, 32)])
def test_maps_side_by_side_share_one_readable_plan(shape):
    for count in (2, 3, 4):
        plan = compare.map_plan(shape, count)
        s, c, h, w = plan.drawn_shape
        assert s >= min(2, shape[0]) and c >= min(4, shape[1])
        # Each map's share of the page leaves cells at least 6 px wide.
        width = compare.PAGE_WIDTH_PX // compare.maps_per_row(count) - 30 - 40
        assert c * w * 6 + (c - 1) * 6 <= width or w == 1
    assert compare.maps_per_row(4) == 2 and compare.maps_per_row(3) == 3


def test_cube_draws_any_labelled_set_even_when_it_is_not_a_box_product():
    # Not a scheme's group (those are products of per-axis sets): the diagonal of an (n, c) grid.
    labels = np.array([[0, 1], [1, 0]]).reshape(2, 2, 1, 1)
    fig = cube.group_cube_figure(labels, (0, 0, 0, 0))
    assert fig.layout.meta["members"] == 2
    group = next(t for t in fig.data if t.name == "group")
    assert len(group.i) == 2 * 12  # two separate voxels: 12 faces, 2 triangles each
    outline = [t for t in fig.data if t.type == "scatter3d"][1]
    assert np.isnan(np.asarray(outline.x, dtype=float)).sum() == 12  # one break per face outline
