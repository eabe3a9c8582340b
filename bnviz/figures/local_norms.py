"""Plotly figures of the "Local normalizations" page: pure functions from arrays to figures.

:func:`window_figure`: one cell's window enlarged, cell by cell with its value, the cells outside
the tensor drawn as hatched ghost cells that count 0.  (The page's value maps are drawn in the
browser: :func:`bnviz.views.local_norms.map_payload`.)
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ..engine.local import LocalTerms
from .groups import cell_outline, square_cell_axes

GHOST_FILL = "rgba(200,200,200,0.35)"
GHOST_LINE = "#888888"
#: The window figure writes each cell's value up to this many cells.
MAX_LABELLED_CELLS = 49


def _square_path(xs, ys) -> tuple[list, list]:
    """Closed unit squares around the cell centres (xs, ys), separated by None for one trace."""
    px, py = [], []
    for x, y in zip(xs, ys):
        px += [x - 0.5, x + 0.5, x + 0.5, x - 0.5, x - 0.5, None]
        py += [y - 0.5, y - 0.5, y + 0.5, y + 0.5, y - 0.5, None]
    return px, py


def window_figure(terms: LocalTerms, *, title: str | None = None) -> go.Figure:
    """One cell's window, enlarged: its cells with their values, padding as hatched ghost cells.

    Parameters
    ----------
    terms : LocalTerms
        From :func:`bnviz.local_terms` for the cell: its window (index ranges, possibly leaving
        the tensor) and the values it covers (0 outside the tensor).
    title : str, optional
        Default: names the cell and counts the window's cells and the ghost ones.

    Returns
    -------
    go.Figure
        A heatmap of x² over the cells inside the tensor (axes labelled with the real indices,
        negative or past the end for the ghost cells), a trace named "outside the tensor" of
        hatched squares with "0" for each ghost cell, and the centre cell outlined in black.
        A channel window is one row of channels; a spatial window rows h by columns w.
    """
    win = terms.window
    values = terms.window_values
    inside = win.inside_mask()
    if len(win.axes) == 1:  # channels: one row
        xs_axis, ys_axis = list(win.ranges[0]), [0]
        values, inside = values[None, :], inside[None, :]
        x_label, y_label = "c", None
        centre = (terms.index[1], 0)
    else:
        ys_axis, xs_axis = list(win.ranges[0]), list(win.ranges[1])
        x_label, y_label = "w", "h"
        centre = (terms.index[3], terms.index[2])
    squares = np.where(inside, values * values, np.nan)
    labelled = values.size <= MAX_LABELLED_CELLS
    text = np.where(inside, np.vectorize(lambda v: f"{v:.3g}")(values), "") if labelled else None
    heatmap = go.Heatmap(
        x=xs_axis,
        y=ys_axis,
        z=squares,
        colorscale="Blues",
        zmin=0,
        zmax=max(float(np.nanmax(squares)) if inside.any() else 0.0, 1e-30),
        colorbar={"title": {"text": "x²"}, "thickness": 12},
        xgap=2,
        ygap=2,
        text=text,
        texttemplate="%{text}" if labelled else None,
        hovertemplate=f"{x_label} = %{{x}}"
        + (f", {y_label} = %{{y}}" if y_label else "")
        + "<br>x² = %{z:.4g}<extra>inside</extra>",
        name="inside the tensor",
    )
    ghost_rows, ghost_cols = np.nonzero(~inside)
    gx = [xs_axis[j] for j in ghost_cols]
    gy = [ys_axis[i] for i in ghost_rows]
    px, py = _square_path(gx, gy)
    ghosts = go.Scatter(
        x=px,
        y=py,
        mode="lines",
        fill="toself",
        fillcolor=GHOST_FILL,
        fillpattern={"shape": "/", "fgcolor": GHOST_LINE, "size": 8, "solidity": 0.15},
        line={"color": GHOST_LINE, "dash": "dot", "width": 1},
        hoverinfo="skip",
        name="outside the tensor (counts 0)",
        showlegend=False,
    )
    ghost_text = go.Scatter(
        x=gx,
        y=gy,
        mode="text",
        text=["0"] * len(gx),
        textfont={"color": "#555555"},
        hovertemplate=f"{x_label} = %{{x}}"
        + (f", {y_label} = %{{y}}" if y_label else "")
        + "<br>outside the tensor: counts 0<extra></extra>",
        showlegend=False,
        name="ghost labels",
    )
    shapes = [cell_outline(*centre, width=3)]
    default_title = f"Window of cell {tuple(terms.index)}: {win.cells} cells, " + (
        f"{win.padded_cells} hatched ones outside the tensor count 0"
        if win.padded_cells > 1
        else "1 hatched one outside the tensor counts 0"
        if win.padded_cells
        else "all inside the tensor"
    )
    fig = go.Figure([heatmap, ghosts, ghost_text])
    rows, cols = values.shape
    cell_px = max(14, min(64, 420 // max(rows, cols, 1)))
    fig.update_layout(
        title={"text": title or default_title, "font": {"size": 13}},
        shapes=shapes,
        height=int(max(170, rows * cell_px + 120)),
        margin={"l": 40, "r": 20, "t": 50, "b": 30},
        plot_bgcolor="white",
        dragmode=False,
    )
    return square_cell_axes(
        fig,
        (xs_axis, [f"{x_label}={v}" for v in xs_axis]),
        (ys_axis, [f"{y_label}={v}" for v in ys_axis] if y_label else [""]),
    )
