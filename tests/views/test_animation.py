"""Teaching mode's figure: frames that step through the groups, and captions that are true."""

import re

import numpy as np
import pytest

import bnviz
from bnviz.engine.synthetic import synthetic
from bnviz.figures import animation, groups, style
from bnviz.figures.groups import Mosaic

WORDS = {"sample": 0, "channel": 1, "row": 2, "column": 3}


def caption_example(shape, scheme, label, **params):
    return animation.frame_lines(bnviz.layout(shape, scheme, **params), label)


def test_issue_example_caption():
    # Group norm, N=4, C=12, G=3: 12 groups; group 3 is sample 1's first channel group.
    lines = caption_example((4, 12, 6, 6), "group", 3, num_groups=3)
    assert lines == [
        "Group 3 of 12: sample 1, channels 0–3, over those channels, H and W",
        "m′ = C/G × H × W = 4 × 6 × 6 = 144 values",
    ]


@pytest.mark.parametrize(
    ("shape", "scheme", "params", "label", "expected"),
    [
        (
            (4, 3, 6, 6),
            "batch",
            {},
            2,
            ["Group 2 of 3: channel 2, over N, H and W", "m′ = N × H × W = 4 × 6 × 6 = 144 values"],
        ),
        (
            (2, 3, 4, 5),
            "instance",
            {},
            4,
            ["Group 4 of 6: sample 1, channel 1, over H and W", "m′ = H × W = 4 × 5 = 20 values"],
        ),
        (
            (2, 3, 4, 5),
            "layer",
            {},
            1,
            ["Group 1 of 2: sample 1, over C, H and W", "m′ = C × H × W = 3 × 4 × 5 = 60 values"],
        ),
        (
            (2, 3, 4, 5),
            "tensor",
            {},
            0,
            [
                "Group 0 of 1: the whole tensor, over N, C, H and W",
                "m′ = N × C × H × W = 2 × 3 × 4 × 5 = 120 values",
            ],
        ),
        (
            (2, 3, 4, 5),
            "batch-pixel",
            {},
            21,
            ["Group 21 of 60: channel 1, row 0, column 1, over N", "m′ = N = 2 values"],
        ),
        (
            (2, 3, 4, 5),
            "batch-location",
            {},
            7,
            ["Group 7 of 20: row 1, column 2, over N and C", "m′ = N × C = 2 × 3 = 6 values"],
        ),
        (
            (2, 4, 3, 3),
            "group",
            {"num_groups": 4},
            5,
            [
                "Group 5 of 8: sample 1, channel 1, over H and W",
                "m′ = C/G × H × W = 1 × 3 × 3 = 9 values",
            ],
        ),
        (
            (2, 4, 3, 3),
            "group",
            {"num_groups": 1},
            1,
            [
                "Group 1 of 2: sample 1, channels 0–3, over those channels, H and W",
                "m′ = C/G × H × W = 4 × 3 × 3 = 36 values",
            ],
        ),
        (
            (1, 2, 2, 2),
            "custom",
            {"keep": "NCHW"},
            5,
            ["Group 5 of 8: sample 0, channel 1, row 0, column 1", "m′ = 1 value"],
        ),
        (
            (2, 3, 7),
            "instance",
            {},
            5,
            ["Group 5 of 6: sample 1, channel 2, over L", "m′ = L = 7 values"],
        ),
        (
            (2, 3, 7),
            "batch-pixel",
            {},
            9,
            ["Group 9 of 21: channel 1, position 2, over N", "m′ = N = 2 values"],
        ),
        ((5, 3), "batch", {}, 1, ["Group 1 of 3: channel 1, over N", "m′ = N = 5 values"]),
    ],
)
def test_captions(shape, scheme, params, label, expected):
    assert caption_example(shape, scheme, label, **params) == expected


def test_caption_single_cell_without_factors():
    lines = caption_example((2, 2, 2, 2), "custom", 3, keep="NCHW")
    assert lines[1] == "m′ = 1 value"
    assert lines[0] == "Group 3 of 16: sample 0, channel 0, row 1, column 1"


def test_caption_with_statistics():
    lay = bnviz.layout((2, 3, 4, 4), "batch")
    assert animation.frame_lines(lay, 1, 0.123456, 2.5)[2] == "μ = 0.1235, σ² = 2.5"
    assert animation.frame_lines(lay, 1, -1.0)[2] == "μ = -1"
    assert animation.frame_label(lay, 1).count("<br>") == 1


SCHEMES = [
    ((3, 4, 2, 3), "batch", {}),
    ((3, 4, 2, 3), "group", {"num_groups": 2}),
    ((3, 4, 2, 3), "group", {"num_groups": 4}),
    ((3, 4, 2, 3), "layer", {}),
    ((3, 4, 2, 3), "instance", {}),
    ((3, 4, 2, 3), "batch-pixel", {}),
    ((3, 4, 2, 3), "batch-location", {}),
    ((3, 4, 2, 3), "tensor", {}),
    ((3, 4, 2, 3), "mvn", {"across_channels": True}),
    ((3, 4, 2, 3), "custom", {"keep": "NH"}),
    ((2, 2, 2, 2), "custom", {"keep": "NCHW"}),
]


@pytest.mark.parametrize(("shape", "scheme", "params"), SCHEMES)
def test_every_caption_names_exactly_its_cells(shape, scheme, params):
    """Read each caption back: the coordinates it names select exactly the group's cells."""
    lay = bnviz.layout(shape, scheme, **params)
    labels = lay.labels()
    index = np.indices(shape)
    for label in range(lay.groups):
        first = animation.frame_lines(lay, label)[0]
        mask = np.ones(shape, dtype=bool)
        for word, axis in WORDS.items():
            single = re.search(rf"\b{word} (\d+)\b(?!–)", first)
            if single:
                mask &= index[axis] == int(single.group(1))
        span = re.search(r"channels (\d+)–(\d+)", first)
        if span:
            mask &= (index[1] >= int(span.group(1))) & (index[1] <= int(span.group(2)))
        np.testing.assert_array_equal(mask, labels == label, err_msg=first)
        # "over ..." names exactly the reduced axes ("those channels": the group's channel range).
        over = re.search(r"over (.*)$", first)
        reduced = {
            "those channels" if name == "C/G" else name
            for name, size in lay.group_factors
            if not (name == "C/G" and size == 1)
        }
        if lay.group_size > 1 and reduced:
            assert set(re.split(r", | and ", over.group(1))) == reduced
        else:
            assert over is None


def test_stepped_groups_are_the_drawn_ones_capped():
    labels = np.array([[[[5, 3], [3, 9]]]])
    np.testing.assert_array_equal(animation.stepped_groups(labels), [3, 5, 9])
    np.testing.assert_array_equal(animation.stepped_groups(labels, max_frames=2), [3, 5])


def clear_cells(fig, frame_index):
    """Which mosaic cells the overlay leaves undimmed in a frame (as the colour scale maps them)."""
    overlay = fig.data[animation.OVERLAY]
    z = np.asarray(overlay.z, dtype=float)
    if frame_index is None:
        zmin, zmax = overlay.zmin, overlay.zmax
    else:
        frame = fig.frames[frame_index]
        assert list(frame.traces) == [animation.OVERLAY]
        zmin, zmax = frame.data[0].zmin, frame.data[0].zmax
    t = (z - zmin) / (zmax - zmin)
    scale = animation.WINDOW_SCALE
    low, high = scale[2][0], scale[3][0]
    assert scale[2][1] == scale[3][1] == animation.CLEAR
    assert [colour for _, colour in scale[:2] + scale[4:]] == [groups.DIM] * 4
    return np.isfinite(t) & (t > low) & (t < high)


@pytest.mark.parametrize(("shape", "scheme", "params"), SCHEMES)
def test_each_frame_uncovers_exactly_one_group(shape, scheme, params):
    x = synthetic(shape, seed=1, offset=2.0)
    out = bnviz.normalize(x, scheme, **params)
    lay = out.layout
    labels = lay.labels()
    values = {"x": x, "μ": np.broadcast_to(out.mean, shape), "σ²": np.broadcast_to(out.var, shape)}
    fig = animation.teaching_figure(labels, lay, values=values)
    mosaic = Mosaic(shape)
    assert [f.name for f in fig.frames] == [str(g) for g in range(lay.groups)]
    # Before playing, the first group shows.
    np.testing.assert_array_equal(
        clear_cells(fig, None), mosaic.grid((labels == 0).astype(float), fill=0) == 1
    )
    for k, frame in enumerate(fig.frames):
        group = int(frame.name)
        expected = mosaic.grid((labels == group).astype(float), fill=0) == 1
        np.testing.assert_array_equal(clear_cells(fig, k), expected)
        # The caption's statistics are that group's.
        caption = frame.layout.title.text
        assert caption.startswith(f"<b>Group {group} of {lay.groups}:")
        mean = float(re.search(r"μ = (\S+?)(?:,|<)", caption).group(1))
        group_values = x[labels == group].astype(np.float64)
        np.testing.assert_allclose(mean, group_values.mean(), rtol=1e-3, atol=1e-3)
        var = float(re.search(r"σ² = (\S+?)<", caption).group(1))
        np.testing.assert_allclose(var, group_values.var(), rtol=1e-3, atol=1e-4)
    assert fig.layout.title.text == fig.frames[0].layout.title.text


def test_play_button_and_slider_drive_the_frames():
    lay = bnviz.layout((2, 6, 3, 3), "group", num_groups=3)
    fig = animation.teaching_figure(lay.labels(), lay)
    (menu,) = fig.layout.updatemenus
    play, pause = menu.buttons
    assert menu.type == "buttons"
    assert play.method == "animate" and play.args[0] is None  # None: every frame, in order
    assert play.args[1]["frame"]["duration"] == animation.FRAME_MS
    assert play.args[1]["frame"]["redraw"] is True  # heatmaps only change on a redraw
    assert play.args[1]["fromcurrent"] is True
    assert pause.method == "animate" and list(pause.args[0]) == [None]
    (slider,) = fig.layout.sliders
    names = [f.name for f in fig.frames]
    assert [list(step.args[0]) for step in slider.steps] == [[name] for name in names]
    assert all(step.method == "animate" for step in slider.steps)
    assert [step.label for step in slider.steps] == names
    assert len(names) == 6


def test_frames_are_capped_and_later_groups_stay_dim():
    shape = (8, 16, 2, 2)
    lay = bnviz.layout(shape, "instance")  # 128 groups
    labels = lay.labels()
    fig = animation.teaching_figure(labels, lay, max_frames=10)
    assert len(fig.frames) == 10
    mosaic = Mosaic(shape)
    beyond = mosaic.grid((labels >= 10).astype(float), fill=0) == 1
    for k in range(10):
        assert not (clear_cells(fig, k) & beyond).any()
    # Slider tick labels thin out (at most ~16), the steps do not.
    many = animation.teaching_figure(labels, lay)
    steps = many.layout.sliders[0].steps
    assert len(steps) == animation.MAX_FRAMES
    assert sum(1 for s in steps if s.label) <= 16


def test_variance_left_out_where_the_scheme_does_not_use_it():
    shape = (2, 2, 3, 3)
    x = synthetic(shape, seed=0)
    out = bnviz.normalize(x, "mvn", normalize_variance=False)
    values = {"μ": np.broadcast_to(out.mean, shape), "σ²": np.broadcast_to(out.var, shape)}
    fig = animation.teaching_figure(out.layout.labels(), out.layout, values=values)
    assert all(
        "μ = " in f.layout.title.text and "σ²" not in f.layout.title.text for f in fig.frames
    )


def test_projector_font_and_room_for_the_title():
    lay = bnviz.layout((2, 4, 3, 3), "batch")
    values = {"μ": np.zeros((2, 4, 3, 3))}
    small = animation.teaching_figure(lay.labels(), lay, values=values)
    big = animation.teaching_figure(
        lay.labels(), lay, values=values, font_size=style.PROJECTOR_FONT
    )
    assert small.layout.font.size is None
    assert big.layout.font.size == style.PROJECTOR_FONT
    assert big.layout.title.font.size == style.PROJECTOR_FONT + 2
    assert (
        big.layout.margin.t > small.layout.margin.t and big.layout.margin.b > small.layout.margin.b
    )
    for fig in (small, big):
        # The title's first line sits on the anchor, the others below it, above the x ticks.
        assert fig.layout.title.yanchor == "bottom"
        anchor = (1 - fig.layout.title.y) * fig.layout.height
        size = fig.layout.title.font.size or animation.DEFAULT_TITLE_FONT
        assert anchor >= size
        assert anchor + 2 * 1.3 * size < fig.layout.margin.t
    # The plot area keeps group_map_figure's size: only the margins grew.
    plain = groups.group_map_figure(lay.labels())
    for fig in (small, big):
        inner = fig.layout.height - fig.layout.margin.t - fig.layout.margin.b
        assert inner == plain.layout.height - plain.layout.margin.t - plain.layout.margin.b


def test_rms_caption_names_the_mean_square_it_divides_by():
    lay = bnviz.layout((2, 3, 4, 4), "rms")
    assert animation.frame_lines(lay, 1, 0.5, 2.0)[2] == "mean x² = 2.25"  # σ² + μ²
