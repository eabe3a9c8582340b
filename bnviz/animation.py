"""Teaching mode: the group map stepping through the groups one at a time, in the browser.

Pure (NumPy and Plotly, no Streamlit).  The figure is :func:`bnviz.figures.group_map_figure`'s
mosaic; only its dimming overlay changes from step to step.  The overlay holds each drawn cell's
*step number* once, and every animation frame moves a narrow colour window (``zmin``, ``zmax``)
onto one step: the cells of that group show through, all others are dimmed.  So a frame is a few
numbers and a title, whatever the size of the mosaic, and Plotly plays the frames client-side with
its own Play/Pause buttons and slider (no server round trip per step).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import plotly.graph_objects as go

from .describe import product_text
from .figures import DIM, Mosaic, group_map_figure
from .layout import Layout, group_index

#: At most this many groups are stepped through (the page says when there are more).
MAX_FRAMES = 64
#: Milliseconds each group stays highlighted while playing.
FRAME_MS = 900
#: Index of the dimming overlay among group_map_figure's traces (heatmap, overlay, cells).
OVERLAY = 1
CLEAR = "rgba(0,0,0,0)"
#: Over a window zmin = k - 1 .. zmax = k + 1, only z = k falls in the clear middle half.
WINDOW_SCALE = [
    [0.0, DIM],
    [0.25, DIM],
    [0.25, CLEAR],
    [0.75, CLEAR],
    [0.75, DIM],
    [1.0, DIM],
]


def stepped_groups(labels: np.ndarray, max_frames: int = MAX_FRAMES) -> np.ndarray:
    """The groups stepped through: those with drawn cells, in label order, at most ``max_frames``.

    Parameters
    ----------
    labels : ndarray of int, shape (N, C, H, W)
        Group labels of the drawn cells.
    max_frames : int

    Returns
    -------
    ndarray of int64, shape (k,), k <= max_frames
    """
    return np.unique(np.asarray(labels))[:max_frames].astype(np.int64)


def group_where(lay: Layout, label: int) -> str:
    """Which cells make up group ``label``, in index terms: "c = 2", "n = 1, channels 4–7", ...

    Kept axes name the group's coordinate; for a channel group (group norm) the channel range.
    Empty when every axis is reduced (one group holds the whole tensor).
    """
    index = group_index(lay, int(label))
    n, g, cg, h, w = index
    kept_n, kept_g, kept_cg, kept_h, kept_w = lay.kept
    size_cg = lay.view_shape[2]
    parts = []
    if kept_n:
        parts.append(f"n = {n}")
    if kept_g and kept_cg:
        parts.append(f"c = {g * size_cg + cg}")
    elif kept_g:
        parts.append(f"channels {g * size_cg}–{(g + 1) * size_cg - 1}")
    rank = len(lay.shape)
    if rank == 4 and kept_h:
        parts.append(f"h = {h}")
    if rank >= 3 and kept_w:
        parts.append(f"{'w' if rank == 4 else 'l'} = {w}")
    return ", ".join(parts)


def frame_label(
    lay: Layout, label: int, mean: float | None = None, var: float | None = None
) -> str:
    """A frame's title: "group 2 (c = 2):<br>m′ = N × H × W = 4 × 6 × 6 = 144 values; μ = …, σ² = …".

    Plotly markup: ``<br>`` breaks the line."""
    where = group_where(lay, label)
    names = " × ".join(name for name, _ in lay.group_factors) or "—"
    size = lay.group_size
    text = f"group {int(label)}" + (f" ({where})" if where else "")
    # Two lines: the title must fit above a narrow mosaic, in projector fonts too.
    text += (
        f":<br>m′ = {names} = {product_text(lay.group_factors, size)} "
        f"{'value' if size == 1 else 'values'}"
    )
    if mean is not None:
        text += f"; μ = {mean:.4g}" + (f", σ² = {var:.4g}" if var is not None else "")
    return text


def teaching_figure(
    labels: np.ndarray,
    lay: Layout,
    *,
    values: Mapping[str, np.ndarray] | None = None,
    colour_by: str = "group",
    max_frames: int = MAX_FRAMES,
    frame_ms: int = FRAME_MS,
) -> go.Figure:
    """The group map with Play/Pause and a slider that highlight one group after another.

    Parameters
    ----------
    labels : ndarray of int, shape (N, C, H, W)
        Group labels of the drawn cells (the Explorer's ``labels[result.drawn_slice]``).
    lay : Layout
        The scheme on the whole tensor: names the groups and the effective mini-batch m′.
    values : mapping of str to ndarray of shape (N, C, H, W), optional
        As for :func:`bnviz.figures.group_map_figure` (hover, colouring); "μ" and "σ²" also go
        into each frame's title.
    colour_by : {"group", "x", "y"}
    max_frames : int
        At most this many groups are stepped (see :func:`stepped_groups`).
    frame_ms : int
        How long each group stays highlighted while playing.

    Returns
    -------
    go.Figure
        group_map_figure's traces, the overlay (trace 1) holding each cell's step number with a
        colour window on step 0; one frame per stepped group, named by its group id, that moves
        the window (``zmin``, ``zmax`` of trace 1) and sets the title; an updatemenu with Play and
        Pause; a slider with one step per frame.
    """
    labels = np.asarray(labels)
    values = dict(values or {})
    groups = stepped_groups(labels, max_frames)
    mosaic = Mosaic(labels.shape)
    fig = group_map_figure(
        labels, values=values, colour_by=colour_by, highlight=labels == groups[0]
    )
    # Step number of every cell; groups beyond the cap get one past the last step (always dim).
    position = np.searchsorted(groups, labels)
    in_steps = (position < len(groups)) & (groups[np.minimum(position, len(groups) - 1)] == labels)
    step = np.where(in_steps, position, len(groups) + 1).astype(np.float32)
    fig.data[OVERLAY].update(
        z=mosaic.grid(step),
        colorscale=WINDOW_SCALE,
        zmin=-1,
        zmax=1,
        zauto=False,
    )

    first_cell = {int(g): tuple(np.argwhere(labels == g)[0]) for g in groups}
    titles = []
    for g in groups:
        cell = first_cell[int(g)]
        mean = float(values["μ"][cell]) if "μ" in values else None
        var = float(values["σ²"][cell]) if "σ²" in values else None
        titles.append(frame_label(lay, int(g), mean, var))

    fig.frames = [
        go.Frame(
            name=str(int(g)),
            data=[go.Heatmap(zmin=k - 1, zmax=k + 1)],
            traces=[OVERLAY],
            layout={"title": {"text": title}},
        )
        for k, (g, title) in enumerate(zip(groups, titles))
    ]
    play = {
        "frame": {"duration": frame_ms, "redraw": True},
        "transition": {"duration": 0},
        "fromcurrent": True,
        "mode": "immediate",
    }
    jump = {
        "frame": {"duration": 0, "redraw": True},
        "transition": {"duration": 0},
        "mode": "immediate",
    }
    # Tick labels for at most ~16 steps, so they never overlap; the title names every step.
    every = max(1, -(-len(groups) // 16))
    height = fig.layout.height + 210
    fig.update_layout(
        # Anchored by its bottom 56 px below the top: a two-line title anchored by its top
        # overflows upwards out of the figure.
        title={
            "text": titles[0],
            "x": 0,
            "xanchor": "left",
            "y": 1 - 56 / height,
            "yanchor": "bottom",
        },
        height=height,
        margin={"t": 130, "b": 150},
        updatemenus=[
            {
                "type": "buttons",
                "direction": "left",
                "showactive": False,
                "x": 0,
                "xanchor": "left",
                "y": 0,
                "yanchor": "top",
                "pad": {"t": 36, "r": 10},
                "buttons": [
                    {"label": "▶ Play", "method": "animate", "args": [None, play]},
                    {"label": "❚❚ Pause", "method": "animate", "args": [[None], jump]},
                ],
            }
        ],
        sliders=[
            {
                "active": 0,
                "x": 0,
                "len": 1,
                "y": 0,
                "yanchor": "top",
                # Below the Play/Pause buttons.
                "pad": {"t": 80, "b": 10},
                "currentvalue": {"visible": False},
                "steps": [
                    {
                        "label": str(int(g)) if k % every == 0 else "",
                        "method": "animate",
                        "args": [[str(int(g))], jump],
                    }
                    for k, g in enumerate(groups)
                ],
            }
        ],
    )
    return fig
