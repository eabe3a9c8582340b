"""The group map's plan (which cells are drawn) and payload (what the browser gets)."""

import numpy as np
import pytest

import bnviz
from bnviz.figures import groupmap
from bnviz.figures.groupmap import map_payload, plan_drawing, read_payload

QUESTION_SHAPES = [(20, 10, 5, 5), (10, 7, 46, 46), (4, 3, 50, 50), (64, 64, 32, 32), (8, 16, 5, 5)]


@pytest.mark.parametrize("shape", QUESTION_SHAPES)
def test_the_plan_draws_part_of_every_axis_not_all_of_one(shape):
    plan = plan_drawing(shape)
    s, c, h, w = plan.drawn_shape
    n, C, H, W = shape
    assert s >= min(n, groupmap.MIN_SAMPLES) and c >= min(C, 8)
    assert s * c * h * w <= groupmap.MAX_DRAWN_CELLS
    # Drawn rows/columns are every stride-th one, from 0, covering the whole map.
    assert list(plan.rows) == list(range(0, H, plan.stride))
    assert plan.rows[-1] + plan.stride >= H
    assert plan.complete == (plan.drawn_shape == shape)
    if not plan.complete:
        assert plan.text.startswith("Drawn: ") and "whole tensor" in plan.text


def test_question_2_shows_four_samples_and_all_seven_channels():
    plan = plan_drawing((10, 7, 46, 46))
    s, c, h, w = plan.drawn_shape
    assert s >= 4 and c == 7 and h == w and plan.stride > 1
    assert f"every {plan.stride}" in plan.text


def test_positions_map_real_cells_to_drawn_ones():
    plan = plan_drawing((10, 7, 46, 46))
    k = plan.stride
    assert plan.position((1, 6, 2 * k, 3 * k)) == (1, 6, 2, 3)
    assert plan.position((1, 6, 1, 0)) is None  # not a drawn row
    assert plan.position((9, 0, 0, 0)) is None  # not a drawn sample
    x = np.arange(10 * 7 * 46 * 46).reshape(10, 7, 46, 46)
    assert plan.take(x)[1, 6, 2, 3] == x[1, 6, 2 * k, 3 * k]


@pytest.mark.parametrize("scheme", ["batch", "batch-pixel", "group", "instance"])
def test_payload_round_trip_carries_groups_statistics_and_values(scheme):
    shape = (6, 4, 9, 9)
    params = {"num_groups": 2} if scheme == "group" else {}
    x = np.random.default_rng(0).normal(size=shape).astype(np.float32)
    out = bnviz.normalize(x, scheme, **params)
    labels = bnviz.group_labels(shape, scheme, **params)
    plan = plan_drawing(shape, width_px=300)
    payload = map_payload(
        plan, labels, x=x, y=out.y, mean=out.mean, var=out.var, selected=(1, 2, 0, 0)
    )
    header, arrays = read_payload(payload)
    assert header["shape"] == list(plan.drawn_shape)
    drawn_ids = arrays["group_id"][arrays["group"]].reshape(plan.drawn_shape)
    np.testing.assert_array_equal(drawn_ids, plan.take(labels))
    np.testing.assert_array_equal(arrays["x"].reshape(plan.drawn_shape), plan.take(x))
    # The group table's statistics are each group's own.
    means = np.broadcast_to(out.mean, shape)
    for k, g in enumerate(arrays["group_id"]):
        assert arrays["group_mean"][k] == pytest.approx(means[labels == g][0], rel=1e-6)
    assert header["selected"] == ([1, 2, 0, 0] if plan.position((1, 2, 0, 0)) else None)


def test_touching_groups_get_different_colours_and_many_groups_go_pale():
    shape = (3, 4, 5, 5)
    labels = bnviz.group_labels(shape, "instance")
    colours = groupmap.colour_groups(labels)
    # Tiles next to each other (same sample, next channel) never share a colour.
    assert np.all(colours[:, :-1, 0, 0] != colours[:, 1:, 0, 0])
    assert np.all(colours[:-1, :, 0, 0] != colours[1:, :, 0, 0])
    _, distinct = groupmap.group_colours(labels)
    assert distinct
    many = bnviz.group_labels((4, 8, 6, 6), "batch-pixel")
    _, distinct = groupmap.group_colours(many)
    assert not distinct  # 288 groups: the map lights one at a time instead


def test_payload_stays_small_at_the_largest_tensor():
    shape = (64, 64, 32, 32)
    x = np.random.default_rng(0).normal(size=shape).astype(np.float32)
    out = bnviz.normalize(x, "batch-pixel")
    labels = bnviz.group_labels(shape, "batch-pixel")
    payload = map_payload(plan_drawing(shape), labels, x=x, y=out.y, mean=out.mean, var=out.var)
    assert len(payload) < 1_500_000


def test_value_colours_span_the_range():
    rgb, low, high = groupmap.value_colours(np.array([-2.0, 0.0, 1.0]), diverging=True)
    assert (low, high) == (-2.0, 2.0)
    assert tuple(rgb[1]) == (247, 247, 247)  # 0 is white on the diverging scale
    rgb, low, high = groupmap.value_colours(np.array([1.0, 3.0]), diverging=False)
    assert (low, high) == (1.0, 3.0) and tuple(rgb[0]) == (0x44, 0x01, 0x54)


def test_rms_maps_carry_the_mean_square_flag_for_their_tooltip():
    shape = (2, 3, 4, 4)
    x = np.random.default_rng(0).normal(size=shape)
    out = bnviz.normalize(x, "rms")
    labels = bnviz.group_labels(shape, "rms")
    header, arrays = read_payload(
        map_payload(
            plan_drawing(shape),
            labels,
            x=x,
            y=out.y,
            mean=out.mean,
            var=out.var,
            uses_variance=False,
            mean_square=True,
        )
    )
    assert header["mean_square"] and not header["uses_variance"]
    # The tooltip's mean x² is σ² + μ² of the group: the divisor's square less ε.
    square = arrays["group_var"] + arrays["group_mean"] ** 2
    np.testing.assert_allclose(square, (x.reshape(2, -1) ** 2).mean(axis=1), rtol=1e-5)
