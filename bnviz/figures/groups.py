"""Plotly figures: pure functions from arrays to figures (no Streamlit here).

The central figure is a **mosaic**: a tensor of shape (N, C, H, W) drawn as N rows by C columns of
H x W tiles, all in one heatmap with one-cell gutters of NaN between tiles (one heatmap draws ~20x
faster than a subplot per tile, see shared/notes); an invisible scatter point at every cell
centre carries the cell's (n, c, h, w) and its values for the hover label.  Teaching mode animates
this figure; the app's interactive group map is drawn in the browser instead
(:mod:`bnviz.figures.groupmap`, ``bnviz/ui/static/groupmap.js``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..text.moments import moments_text
from .groupmap import PALETTE, colour_groups

DIM = "rgba(255,255,255,0.8)"
#: Colour scales for values: sequential before normalization, diverging (centred on 0) after.
VALUE_SCALES = {"x": "Viridis", "y": "RdBu_r"}


@dataclass(frozen=True)
class Mosaic:
    """Where each cell of an (N, C, H, W) tensor sits in the 2-D mosaic.

    Cell (n, c, h, w) is at row ``n * (H + gutter) + h`` and column ``c * (W + gutter) + w``.
    """

    shape: tuple
    gutter: int = 1

    @property
    def grid_shape(self) -> tuple:
        n, c, h, w = self.shape
        return (n * (h + self.gutter) - self.gutter, c * (w + self.gutter) - self.gutter)

    def grid(self, tiles: np.ndarray, fill=np.nan) -> np.ndarray:
        """Lay ``tiles`` of shape (N, C, H, W) out as a 2-D array with ``fill`` in the gutters."""
        n, c, h, w = self.shape
        g = self.gutter
        dtype = np.result_type(
            tiles.dtype, np.min_scalar_type(fill) if np.isfinite(fill) else float
        )
        padded = np.full((n, h + g, c, w + g), fill, dtype=dtype)
        padded[:, :h, :, :w] = tiles.transpose(0, 2, 1, 3)
        return padded.reshape(n * (h + g), c * (w + g))[: self.grid_shape[0], : self.grid_shape[1]]

    def positions(self) -> tuple[np.ndarray, np.ndarray]:
        """Row and column of every cell, each of shape (N, C, H, W)."""
        n, c, h, w = self.shape
        nn, cc, hh, ww = np.indices(self.shape, dtype=np.int32)
        return nn * (h + self.gutter) + hh, cc * (w + self.gutter) + ww

    def cell_at(self, row: int, col: int) -> tuple | None:
        """The (n, c, h, w) drawn at ``row``, ``col``, or None in a gutter or outside."""
        n, c, h, w = self.shape
        sample, r = divmod(int(row), h + self.gutter)
        channel, q = divmod(int(col), w + self.gutter)
        if not (0 <= sample < n and 0 <= channel < c and r < h and q < w) or row < 0 or col < 0:
            return None
        return (sample, channel, r, q)


def _discrete_scale(colours) -> list:
    """A colour scale mapping integer z = 0 .. len-1 each to one flat colour."""
    k = len(colours)
    scale = []
    for i, colour in enumerate(colours):
        scale += [[i / k, colour], [(i + 1) / k, colour]]
    return scale


HOVER_FIELDS = ("n", "c", "h", "w", "x", "group", "μ", "σ²", "x̂", "y")


def cell_pixels(mosaic: Mosaic) -> int:
    """Screen pixels per cell for a mosaic: large for small tensors, at least 4."""
    grid_rows, grid_cols = mosaic.grid_shape
    return max(4, min(36, 600 // max(grid_rows, 1), 520 // max(grid_cols, 1)))


def cell_gaps(mosaic: Mosaic) -> dict:
    """A pixel of white between cells (heatmap xgap/ygap) when cells are big enough to spare it."""
    return {"xgap": 1, "ygap": 1} if cell_pixels(mosaic) >= 8 else {}


def dim_overlay(mosaic: Mosaic, highlight: np.ndarray, **trace) -> go.Heatmap:
    """A translucent heatmap dimming every cell outside ``highlight`` (bool, (N, C, H, W))."""
    return go.Heatmap(
        z=mosaic.grid((~np.asarray(highlight, dtype=bool)).astype(np.float32)),
        colorscale=[[0, "rgba(0,0,0,0)"], [1, DIM]],
        zmin=0,
        zmax=1,
        showscale=False,
        hoverinfo="skip",
        **cell_gaps(mosaic),
        **trace,
    )


def cell_points(mosaic: Mosaic, customdata: np.ndarray, hover_lines: list) -> go.Scatter:
    """The invisible scatter that makes every cell hoverable and clickable.

    One point per cell centre, in ``np.indices`` order, named "cells"; ``customdata`` rows start
    with (n, c, h, w).
    """
    rows, cols = mosaic.positions()
    dtype = np.int16 if max(rows.max(), cols.max()) < 2**15 else np.int32
    return go.Scatter(
        x=cols.reshape(-1).astype(dtype),
        y=rows.reshape(-1).astype(dtype),
        mode="markers",
        # Tiny transparent markers: big ones overlap and pick the wrong cell (see notes).
        marker={"size": 1, "opacity": 0},
        customdata=customdata,
        hovertemplate="<br>".join(hover_lines) + "<extra></extra>",
        showlegend=False,
        name="cells",
    )


INDEX_HOVER = (
    "(n, c, h, w) = (%{customdata[0]}, %{customdata[1]}, %{customdata[2]}, %{customdata[3]})"
)


def cell_outline(x: float, y: float, width: float = 2) -> dict:
    """A black square around the unit cell centred at (``x``, ``y``) in data coordinates, as a
    layout shape; ``width`` in pixels."""
    return {
        "type": "rect",
        "x0": x - 0.5,
        "x1": x + 0.5,
        "y0": y - 0.5,
        "y1": y + 0.5,
        "line": {"color": "black", "width": width},
    }


def selected_outline(mosaic: Mosaic, selected: tuple) -> dict:
    """A black square around the selected (n, c, h, w) cell, as a layout shape."""
    n, c, h, w = mosaic.shape
    row = selected[0] * (h + mosaic.gutter) + selected[2]
    col = selected[1] * (w + mosaic.gutter) + selected[3]
    return cell_outline(col, row)


def square_cell_axes(fig: go.Figure, x_ticks: tuple, y_ticks: tuple, **xaxis) -> go.Figure:
    """Axes for a grid of unit cells drawn square with row 0 on top: no grid or zero line, y
    scaled as x, both held to the plot area.

    ``x_ticks`` and ``y_ticks`` are (tick values, tick labels); ``xaxis`` adds x-axis settings
    (e.g. ``side="top"``).  Returns ``fig``, changed.
    """
    plain = {"showgrid": False, "zeroline": False, "constrain": "domain"}
    fig.update_xaxes(tickvals=x_ticks[0], ticktext=x_ticks[1], **plain, **xaxis)
    fig.update_yaxes(
        tickvals=y_ticks[0], ticktext=y_ticks[1], **plain, autorange="reversed", scaleanchor="x"
    )
    return fig


def mosaic_layout(
    fig: go.Figure,
    mosaic: Mosaic,
    *,
    shapes: list,
    title: str | None = None,
    height: int | None = None,
    bottom: int = 40,
) -> go.Figure:
    """The mosaic's layout: square cells, c= and n= ticks per tile, clicks select points."""
    n, c, h, w = mosaic.shape
    grid_rows = mosaic.grid_shape[0]
    fig.update_layout(
        title=title,
        shapes=shapes,
        height=height or int(min(900, max(220, grid_rows * cell_pixels(mosaic) + 70))),
        margin={"l": 50, "r": 20, "t": 40 if title else 20, "b": bottom},
        plot_bgcolor="white",
        clickmode="event+select",
        dragmode=False,
        hovermode="closest",
    )

    def tile_ticks(axis: str, count: int, size: int) -> tuple:
        """(tick values, labels): the middle of each of ``count`` tiles of ``size`` cells, "c=0", …"""
        middles = [k * (size + mosaic.gutter) + (size - 1) / 2 for k in range(count)]
        return middles, [f"{axis}={k}" for k in range(count)]

    return square_cell_axes(fig, tile_ticks("c", c, w), tile_ticks("n", n, h), side="top")


def group_map_figure(
    labels: np.ndarray,
    *,
    values: Mapping[str, np.ndarray] | None = None,
    colour_by: str = "group",
    highlight: np.ndarray | None = None,
    selected: tuple | None = None,
    title: str | None = None,
    height: int | None = None,
    coordinates: tuple | None = None,
) -> go.Figure:
    """The mosaic of a tensor's cells, coloured by group or by value, one cell clickable each.

    Parameters
    ----------
    labels : ndarray of int, shape (N, C, H, W)
        Group label of every drawn cell.
    values : mapping of str to ndarray of shape (N, C, H, W), optional
        Shown on hover, in the order of :data:`HOVER_FIELDS` where present ("x", "μ", "σ²", "x̂",
        "y"); "x" or "y" also colour the map when ``colour_by`` names them.
    colour_by : {"group", "x", "y"}
    highlight : ndarray of bool, shape (N, C, H, W), optional
        Cells to keep bright; the others are dimmed (e.g. the selected cell's group).
    selected : tuple (n, c, h, w), optional
        Outlined.
    title : str, optional
    height : int, optional
        Pixels; default grows with the mosaic.
    coordinates : tuple of 4 ndarray of int, optional
        The real (n, c, h, w) indices of the drawn samples, channels, rows and columns (a
        :class:`bnviz.figures.groupmap.DrawPlan`'s), when the drawn cells are not the tensor's first ones;
        hover, clicks and tick labels use them.  ``selected`` is then a real index too.

    Returns
    -------
    go.Figure
        Traces: the heatmap (hover skipped), the dimming overlay, and a scatter of invisible points
        at cell centres whose ``customdata`` rows are (n, c, h, w, x, group, μ, σ², x̂, y).
    """
    values = dict(values or {})
    labels = np.asarray(labels)
    mosaic = Mosaic(labels.shape)
    if colour_by == "group":
        z = mosaic.grid(colour_groups(labels).astype(np.float32))
        heatmap = go.Heatmap(
            z=z,
            colorscale=_discrete_scale(PALETTE),
            zmin=-0.5,
            zmax=len(PALETTE) - 0.5,
            showscale=False,
            hoverinfo="skip",
        )
    else:
        data = values[colour_by].astype(np.float32)
        heatmap = go.Heatmap(
            z=mosaic.grid(data),
            colorscale=VALUE_SCALES.get(colour_by, "Viridis"),
            zmid=0.0 if colour_by == "y" else None,
            colorbar={"title": {"text": colour_by}, "thickness": 12},
            hoverinfo="skip",
        )
    heatmap.update(**cell_gaps(mosaic))
    traces = [heatmap]
    if highlight is not None:
        traces.append(dim_overlay(mosaic, highlight))

    index = np.indices(labels.shape).reshape(4, -1).T
    if coordinates is not None:
        index = np.stack([np.asarray(c)[i] for c, i in zip(coordinates, index.T)], axis=1)
        if selected is not None:
            found = [np.flatnonzero(np.asarray(c) == v) for c, v in zip(coordinates, selected)]
            selected = tuple(int(f[0]) for f in found) if all(len(f) for f in found) else None
    columns = [index, labels.reshape(-1, 1)]
    names = ["n", "c", "h", "w", "group"]
    for field in ("x", "μ", "σ²", "x̂", "y"):
        if field in values:
            columns.append(np.broadcast_to(values[field], labels.shape).reshape(-1, 1))
            names.append(field)
    customdata = np.hstack([np.asarray(c, dtype=np.float32) for c in columns])
    lines = [INDEX_HOVER, "group %{customdata[4]}"]
    for k, field in enumerate(names[5:], start=5):
        lines.append(f"{field} = %{{customdata[{k}]:.4g}}")
    traces.append(cell_points(mosaic, customdata, lines))
    shapes = [selected_outline(mosaic, selected)] if selected is not None else []
    fig = mosaic_layout(go.Figure(traces), mosaic, shapes=shapes, title=title, height=height)
    if coordinates is not None:
        fig.update_xaxes(ticktext=[f"c={k}" for k in coordinates[1]])
        fig.update_yaxes(ticktext=[f"n={k}" for k in coordinates[0]])
    return fig


def distribution_figure(
    before: Mapping[int, Mapping[str, float]],
    after: Mapping[int, Mapping[str, float]],
    *,
    selected_group: int | None = None,
    colours: Mapping[int, str] | None = None,
) -> go.Figure:
    """Each group's distribution before and after normalization, as precomputed box plots.

    Parameters
    ----------
    before, after : mapping of group id to summary
        Each summary has "min", "q1", "median", "q3", "max", "mean", "std" (see
        :func:`bnviz.views.summaries.box_summary`).
    selected_group : int, optional
        Outlined in black.
    colours : mapping of group id to colour, optional
        Each group's colour on the map (:func:`bnviz.figures.groupmap.group_colour_map`); groups not in
        it (not drawn on the map) are grey.

    Returns
    -------
    go.Figure
        Two panels; the "after" panel's title states the means and variances measured on
        ``after`` (:func:`bnviz.text.moments.moments_text`), and it marks 0 and ±1, where a
        group's mean and standard deviation land when its variance is normalized.
    """
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=("before: x", f"after: x̂ ({moments_text(after)})"),
        horizontal_spacing=0.08,
    )
    for col, summaries in ((1, before), (2, after)):
        for group, s in summaries.items():
            colour = (colours or {}).get(group, "#BBBBBB")
            fig.add_trace(
                go.Box(
                    name=f"g{group}",
                    q1=[s["q1"]],
                    median=[s["median"]],
                    q3=[s["q3"]],
                    lowerfence=[s["min"]],
                    upperfence=[s["max"]],
                    mean=[s["mean"]],
                    sd=[s["std"]],
                    x=[f"g{group}"],
                    marker_color=colour,
                    fillcolor=colour,
                    line={
                        "color": "black" if group == selected_group else "#555555",
                        "width": 2.5 if group == selected_group else 1,
                    },
                    showlegend=False,
                    boxmean="sd",
                ),
                row=1,
                col=col,
            )
    for level, dash in ((0, "solid"), (1, "dot"), (-1, "dot")):
        fig.add_hline(y=level, line_dash=dash, line_color="grey", row=1, col=2)
    fig.update_layout(height=320, margin={"l": 40, "r": 10, "t": 40, "b": 30})
    return fig
