"""Teaching mode: the group map stepping through the groups one at a time, in the browser.

Pure (NumPy and Plotly, no Streamlit).  The figure is :func:`bnviz.figures.groups.group_map_figure`'s
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

from ..engine.layout import Layout, group_index
from ..engine.schemes import AXIS_NAMES, axes_phrase
from ..text.describe import product_text
from .groups import DIM, Mosaic, group_map_figure

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
    """Which cells make up group ``label``, in words: "channel 2", "sample 1, channels 4–7", ...

    Kept axes name the group's coordinate (sample, channel, row, column; position for the L of
    an (N, C, L) tensor); a channel group (group norm) names its channel range.  Empty when every
    axis is reduced (one group holds the whole tensor).
    """
    n, g, cg, h, w = group_index(lay, int(label))
    kept_n, kept_g, kept_cg, kept_h, kept_w = lay.kept
    size_cg = lay.view_shape[2]
    rank = len(lay.shape)
    parts = []
    if kept_n:
        parts.append(f"{AXIS_NAMES['N']} {n}")
    if kept_g and (kept_cg or size_cg == 1):
        channel = g * size_cg + (cg if kept_cg else 0)
        parts.append(f"{AXIS_NAMES['C']} {channel}")
    elif kept_g:
        parts.append(f"{AXIS_NAMES['C']}s {g * size_cg}–{(g + 1) * size_cg - 1}")
    if rank == 4 and kept_h:
        parts.append(f"{AXIS_NAMES['H']} {h}")
    if rank >= 3 and kept_w:
        parts.append(f"{AXIS_NAMES['W' if rank == 4 else 'L']} {w}")
    return ", ".join(parts)


def group_over(lay: Layout) -> str:
    """What a group's statistics are taken over: "over N, H and W", "over C, H and W", ...

    A channel group's C/G channels (named by :func:`group_where`) are "those channels": the
    statistics are over them too (left out when a group has one channel).  Empty when a group is
    a single cell (the m′ line says so).
    """
    if lay.group_size == 1:
        return ""
    reduced = [
        "those channels" if name == "C/G" else name
        for name, size in lay.group_factors
        if not (name == "C/G" and size == 1)
    ]
    return f"over {axes_phrase(reduced)}" if reduced else ""


def frame_lines(
    lay: Layout, label: int, mean: float | None = None, var: float | None = None
) -> list[str]:
    """A frame's caption, line by line.

    E.g. for group norm (G = 2) on a (2, 4, 6, 6) tensor, group 3::

        Group 3 of 4: sample 1, channels 2–3, over those channels, H and W
        m′ = C/G × H × W = 2 × 6 × 6 = 72 values
        μ = 0.1234, σ² = 1.234

    Groups are numbered from 0, as everywhere in bnviz; the third line only when ``mean`` is given
    (``var`` None leaves σ² out, for a scheme that does not use it).
    """
    where = group_where(lay, label) or "the whole tensor"
    over = group_over(lay)
    first = f"Group {int(label)} of {lay.groups:,}: {where}" + (f", {over}" if over else "")
    size = lay.group_size
    names = " × ".join(name for name, _ in lay.group_factors)
    count = product_text(lay.group_factors, size)
    second = f"m′ = {names + ' = ' if names else ''}{count} {'value' if size == 1 else 'values'}"
    lines = [first, second]
    if mean is not None and lay.scheme.formula_for(lay.params).divide == "rms":
        # No mean is subtracted: the group's statistic is its mean square, σ² + μ².
        if var is not None:
            lines.append(f"mean x² = {var + mean * mean:.4g}")
    elif mean is not None:
        lines.append(f"μ = {mean:.4g}" + (f", σ² = {var:.4g}" if var is not None else ""))
    return lines


def frame_label(
    lay: Layout, label: int, mean: float | None = None, var: float | None = None
) -> str:
    """:func:`frame_lines` as one Plotly title ("<br>" breaks the lines)."""
    return "<br>".join(frame_lines(lay, label, mean, var))


#: Plotly's font sizes when the page sets none (Streamlit's theme): text and the title.
DEFAULT_FONT = 12
DEFAULT_TITLE_FONT = 16


def teaching_figure(
    labels: np.ndarray,
    lay: Layout,
    *,
    values: Mapping[str, np.ndarray] | None = None,
    colour_by: str = "group",
    max_frames: int = MAX_FRAMES,
    frame_ms: int = FRAME_MS,
    font_size: int | None = None,
    coordinates: tuple | None = None,
) -> go.Figure:
    """The group map with Play/Pause and a slider that highlight one group after another.

    Parameters
    ----------
    labels : ndarray of int, shape (N, C, H, W)
        Group labels of the drawn cells (the Explorer's ``result.drawn_labels()``).
    lay : Layout
        The scheme on the whole tensor: names the groups and their size m′.
    values : mapping of str to ndarray of shape (N, C, H, W), optional
        As for :func:`bnviz.figures.groups.group_map_figure` (hover, colouring); "μ" and "σ²" also go
        into each frame's caption (σ² only where the scheme uses the variance).
    colour_by : {"group", "x", "y"}
    max_frames : int
        At most this many groups are stepped (see :func:`stepped_groups`).
    frame_ms : int
        How long each group stays highlighted while playing.
    font_size : int, optional
        The text size (the title gets 2 px more), e.g. :data:`bnviz.figures.style.PROJECTOR_FONT` for a
        projector; None keeps the theme's (12 px, title 16 px).  The margins are sized for it.
    coordinates : tuple of 4 ndarray of int, optional
        The drawn cells' real indices (see :func:`bnviz.figures.groups.group_map_figure`).

    Returns
    -------
    go.Figure
        group_map_figure's traces, the overlay (trace 1) holding each cell's step number with a
        colour window on step 0; one frame per stepped group, named by its group id, that moves
        the window (``zmin``, ``zmax`` of trace 1) and sets the title (:func:`frame_lines`); an
        updatemenu with Play and Pause; a slider with one step per frame.
    """
    labels = np.asarray(labels)
    values = dict(values or {})
    groups = stepped_groups(labels, max_frames)
    mosaic = Mosaic(labels.shape)
    fig = group_map_figure(
        labels,
        values=values,
        colour_by=colour_by,
        highlight=labels == groups[0],
        coordinates=coordinates,
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

    scheme = lay.scheme
    formula = scheme.formula_for(lay.params)
    # σ² enters the caption where the formula uses it (and, as σ² + μ², for a mean square).
    uses_statistic = formula.uses_variance or formula.divide == "rms"
    first_cell = {int(g): tuple(np.argwhere(labels == g)[0]) for g in groups}
    captions = []
    for g in groups:
        cell = first_cell[int(g)]
        mean = float(values["μ"][cell]) if "μ" in values else None
        var = float(values["σ²"][cell]) if "σ²" in values and uses_statistic else None
        # Bold throughout: Streamlit's theme bolds the first title, the frames must match it.
        captions.append(f"<b>{frame_label(lay, int(g), mean, var)}</b>")

    fig.frames = [
        go.Frame(
            name=str(int(g)),
            data=[go.Heatmap(zmin=k - 1, zmax=k + 1)],
            traces=[OVERLAY],
            layout={"title": {"text": caption}},
        )
        for k, (g, caption) in enumerate(zip(groups, captions))
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

    # Geometry in pixels, measured in chromium: a title anchored by its bottom puts its *first*
    # line on the anchor and the others below it (anchored by its top, a multi-line title creeps
    # upwards out of the figure).  The x ticks sit on top, between the title and the plot; the
    # buttons and then the slider below the plot.
    text_px = font_size or DEFAULT_FONT
    title_px = font_size + 2 if font_size else DEFAULT_TITLE_FONT
    lines = max(caption.count("<br>") + 1 for caption in captions)
    anchor = 8 + title_px
    title_end = anchor + (lines - 1) * 1.3 * title_px + 0.4 * title_px
    top = round(title_end + 1.4 * text_px + 20)
    buttons_pad = 12
    slider_pad = buttons_pad + round(1.6 * text_px + 10) + 12
    bottom = slider_pad + round(30 + 1.5 * text_px) + 10
    old = fig.layout.margin
    height = fig.layout.height + (top - old.t) + (bottom - old.b)
    title = {
        "text": captions[0],
        "x": 0,
        "xanchor": "left",
        "y": 1 - anchor / height,
        "yanchor": "bottom",
    }
    if font_size:
        title["font"] = {"size": title_px}
        fig.update_layout(font={"size": font_size})
    fig.update_layout(
        title=title,
        height=height,
        margin={"t": top, "b": bottom},
        updatemenus=[
            {
                "type": "buttons",
                "direction": "left",
                "showactive": False,
                "x": 0,
                "xanchor": "left",
                "y": 0,
                "yanchor": "top",
                "pad": {"t": buttons_pad, "r": 10},
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
                "pad": {"t": slider_pad, "b": 10},
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
