"""Figure builders and the click decoding (pure: no Streamlit)."""

import json

import numpy as np
import plotly.io as pio
import pytest

import bnviz
from bnviz.figures import groups
from bnviz.figures.groupmap import colour_groups
from bnviz.figures.groups import Mosaic, group_map_figure
from bnviz.text import latex
from bnviz.views import explorer, source, summaries


def test_mosaic_positions_and_cell_at_round_trip():
    mosaic = Mosaic((2, 3, 4, 5))
    assert mosaic.grid_shape == (2 * 5 - 1, 3 * 6 - 1)
    rows, cols = mosaic.positions()
    for index in [(0, 0, 0, 0), (1, 2, 3, 4), (1, 0, 2, 1)]:
        assert mosaic.cell_at(rows[index], cols[index]) == index
    assert mosaic.cell_at(4, 0) is None  # a gutter row
    assert mosaic.cell_at(0, 5) is None  # a gutter column
    assert mosaic.cell_at(-1, 0) is None


def test_mosaic_grid_puts_values_in_place_and_nan_in_gutters():
    tiles = np.arange(2 * 2 * 2 * 2, dtype=float).reshape(2, 2, 2, 2)
    grid = Mosaic(tiles.shape).grid(tiles)
    assert grid.shape == (5, 5)
    assert grid[0, 3] == tiles[0, 1, 0, 0]
    assert grid[4, 4] == tiles[1, 1, 1, 1]
    assert np.isnan(grid[2]).all() and np.isnan(grid[:, 2]).all()


@pytest.mark.parametrize(
    ("scheme", "shape", "params"),
    [
        ("batch-pixel", (2, 3, 8, 8), {}),
        ("batch-location", (3, 4, 8, 8), {}),
        ("instance", (4, 9, 3, 3), {}),
        ("batch", (2, 16, 4, 4), {}),
        ("group", (3, 8, 2, 2), {"num_groups": 4}),
    ],
)
def test_touching_groups_get_different_colours(scheme, shape, params):
    labels = bnviz.group_labels(shape, scheme, **params)
    mosaic = Mosaic(shape)
    colour = mosaic.grid(colour_groups(labels).astype(float))
    grid = mosaic.grid(labels.astype(float))
    # Next to each other within a tile (step 1) or across the gap between tiles (step 2).
    pairs = [(np.s_[:, :-1], np.s_[:, 1:]), (np.s_[:-1], np.s_[1:])]
    pairs += [(np.s_[:, :-2], np.s_[:, 2:]), (np.s_[:-2], np.s_[2:])]
    for one, other in pairs:
        a, b = grid[one], grid[other]
        touching = np.isfinite(a) & np.isfinite(b) & (a != b)
        if one == pairs[2][0] or one == pairs[3][0]:
            # Two apart: only across a gap (the cell between them is the gutter).
            between = grid[:, 1:-1] if one == pairs[2][0] else grid[1:-1]
            touching &= np.isnan(between)
        assert np.all(colour[one][touching] != colour[other][touching])


def _explorer_result(**overrides):
    values = {f.key: f.default for f in explorer.FIELDS}
    values.update(overrides)
    values, _ = explorer.constrain(values)
    return explorer.compute(source.build(values).x, values)


def test_group_map_figure_carries_clickable_cells():
    result = _explorer_result(scheme="instance")
    labels = result.drawn_labels()
    fig = group_map_figure(
        labels, values=result.drawn_values(), highlight=labels == 5, selected=(1, 2, 0, 0)
    )
    heatmap, overlay, points = fig.data
    assert heatmap.hoverinfo == "skip" and overlay.hoverinfo == "skip"
    assert points.hoverinfo is None  # the scatter must stay clickable
    assert points.customdata.shape == (labels.size, 10)
    # Each point carries its cell's (n, c, h, w) and group, for the hover label.
    row = points.customdata[37]
    index = tuple(int(v) for v in row[:4])
    assert labels[index] == row[4]
    assert len(fig.layout.shapes) == 1


def test_value_colouring_and_figure_size_at_the_cap():
    result = _explorer_result(n=256, c=64, h=16, w=16)
    assert result.capped
    fig = group_map_figure(result.drawn_labels(), values=result.drawn_values(), colour_by="y")
    assert fig.data[0].zmid == 0.0
    size = len(pio.to_json(fig))
    assert size < 1_500_000, size


def test_distribution_figure_marks_zero_and_one():
    result = _explorer_result()
    shown = [0, 1, 2]

    fig = groups.distribution_figure(
        summaries.group_summaries(result.x, result.layout, shown),
        summaries.group_summaries(result.x_hat, result.layout, shown),
        selected_group=1,
    )
    assert len(fig.data) == 6
    after = [t for t in fig.data if t.xaxis == "x2"]
    for box in after:
        assert abs(box.mean[0]) < 1e-5 and abs(box.sd[0] - 1) < 1e-3
    assert {shape["y0"] for shape in json.loads(fig.to_json())["layout"]["shapes"]} == {0, 1, -1}


def test_cell_details_formula_numbers():
    result = _explorer_result(scheme="batch", affine=True, gamma=2.0, beta=0.5, eps="0")
    index = (1, 2, 3, 4)
    details = explorer.cell_details(result, index)
    channel = result.x[:, 2].astype(np.float64)
    assert details.mean == pytest.approx(channel.mean(), rel=1e-6)
    assert details.var == pytest.approx(channel.var(), rel=1e-5)
    assert details.x_hat == pytest.approx(
        (details.x - details.mean) / np.sqrt(details.var), rel=1e-5
    )
    assert details.y == pytest.approx(2.0 * details.x_hat + 0.5, rel=1e-5)
    assert (details.gamma, details.beta) == (2.0, 0.5)
    assert any(r"\sqrt" in line for line in details.latex)
    assert latex.latex_number(1e-5) == "10^{-5}"
    assert latex.signed(-1.5) == "(-1.5)"
