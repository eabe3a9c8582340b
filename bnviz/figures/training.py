"""Plotly figures of the Train vs. inference page: pure functions from computed arrays to figures.

- :func:`stream_figure`: running mean and variance step by step in each convention, against each
  batch's values and the population's;
- :func:`maps_figure`: outputs side by side as maps, with their difference (a diverging scale);
- :func:`dependence_figure`: how far one image's output moved in other batches, by mode;
- :func:`band_figure`: the spread of batch means and variances over many batches of each size;
- :func:`kernels_figure`: a filter's weights before and after folding batch norm into it.

The arrays come from :mod:`bnviz.views.training` (read by attribute; figures sit below views).
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..engine.running import CONVENTIONS
from .groupmap import PALETTE
from .style import legend_above

#: One colour per convention (Okabe–Ito, colour-blind safe), and the batch and population's.
CONVENTION_COLOURS = {"pytorch": PALETTE[0], "keras": PALETTE[2], "caffe": PALETTE[4]}
BATCH_COLOUR = "#9a9a9a"
POPULATION_COLOUR = "#222222"
MODE_COLOURS = {
    "train": PALETTE[5],
    "eval": PALETTE[0],
    "layer": PALETTE[2],
    "group": PALETTE[4],
}
VALUE_SCALE = "Viridis"
DIFFERENCE_SCALE = "RdBu_r"


def _base_layout(fig: go.Figure, height: int) -> go.Figure:
    fig.update_layout(
        height=height,
        margin={"l": 50, "r": 20, "t": 80, "b": 40},
        legend=legend_above(1.08),
        plot_bgcolor="white",
    )
    fig.update_xaxes(showgrid=True, gridcolor="#eeeeee", zeroline=False)
    fig.update_yaxes(showgrid=True, gridcolor="#eeeeee", zeroline=False)
    return fig


def _population_line(start, end, value: float, showlegend: bool, **line) -> go.Scatter:
    """The population's ``value`` as a dashed line from x = ``start`` to ``end``; ``line`` adds
    line settings (e.g. ``width``)."""
    return go.Scatter(
        x=[start, end],
        y=[value, value],
        mode="lines",
        line={"color": POPULATION_COLOUR, "dash": "dash", **line},
        name="population",
        legendgroup="population",
        showlegend=showlegend,
        hovertemplate="population %{y:.4g}<extra></extra>",
    )


def stream_figure(stream, channels) -> go.Figure:
    """Running mean (top row) and variance (bottom row) of ``channels``, step by step.

    ``stream`` is a :class:`bnviz.views.training.Stream`: each batch's value as gray dots, the
    population's as a dashed line, each convention's estimate (what evaluation would use after
    that step; step 0 is the start) as a line.
    """
    channels = tuple(channels)
    titles = [f"channel {c}: mean" for c in channels] + [f"channel {c}: variance" for c in channels]
    fig = make_subplots(
        rows=2,
        cols=len(channels),
        shared_xaxes=True,
        subplot_titles=titles,
        vertical_spacing=0.12,
        horizontal_spacing=0.06,
    )
    steps = np.arange(stream.steps + 1)
    for col, c in enumerate(channels, start=1):
        for row, (batch, population, which) in enumerate(
            (
                (stream.batch_mean[:, c], stream.population_mean[c], 0),
                (stream.batch_var[:, c], stream.population_var[c], 1),
            ),
            start=1,
        ):
            first = row == 1 and col == 1
            fig.add_trace(
                go.Scatter(
                    x=steps[1:],
                    y=batch,
                    mode="markers",
                    marker={"size": 4, "color": BATCH_COLOUR},
                    name="each batch",
                    legendgroup="batch",
                    showlegend=first,
                    hovertemplate="step %{x}: batch %{y:.4g}<extra></extra>",
                ),
                row=row,
                col=col,
            )
            fig.add_trace(
                _population_line(0, stream.steps, population, first, width=1.5), row=row, col=col
            )
            for cid, (means, variances) in stream.running.items():
                values = (means if which == 0 else variances)[:, c]
                refused = cid in stream.refusals
                name = CONVENTIONS[cid].name + (" (refused)" if refused else "")
                fig.add_trace(
                    go.Scatter(
                        x=steps,
                        y=values,
                        mode="lines",
                        line={
                            "color": CONVENTION_COLOURS[cid],
                            "width": 2.5,
                            "dash": "dot" if refused else "solid",
                        },
                        name=name,
                        legendgroup=cid,
                        showlegend=first,
                        hovertemplate=f"{CONVENTIONS[cid].name}, step %{{x}}: %{{y:.4g}}<extra></extra>",
                    ),
                    row=row,
                    col=col,
                )
    for col in range(1, len(channels) + 1):
        fig.update_xaxes(title_text="training step", row=2, col=col)
    return _base_layout(fig, 520)


def maps_figure(panels, *, height: int = 300) -> go.Figure:
    """Maps side by side: ``panels`` is a sequence of (title, 2-D array, kind), kind ``"value"``
    (one shared sequential scale) or ``"difference"`` (a diverging scale centred on 0)."""
    panels = list(panels)
    fig = make_subplots(
        rows=1, cols=len(panels), subplot_titles=[t for t, _, _ in panels], horizontal_spacing=0.05
    )
    values = [np.asarray(a, dtype=np.float64) for _, a, kind in panels if kind == "value"]
    low = min((float(a.min()) for a in values), default=0.0)
    high = max((float(a.max()) for a in values), default=1.0)
    diffs = [np.asarray(a, dtype=np.float64) for _, a, kind in panels if kind == "difference"]
    reach = max((float(np.abs(a).max()) for a in diffs), default=0.0) or 1e-12
    for col, (title, array, kind) in enumerate(panels, start=1):
        difference = kind == "difference"
        fig.add_trace(
            go.Heatmap(
                z=np.asarray(array, dtype=np.float64),
                coloraxis="coloraxis2" if difference else "coloraxis",
                hovertemplate=f"{title}<br>h %{{y}}, w %{{x}}: %{{z:.4g}}<extra></extra>",
            ),
            row=1,
            col=col,
        )
        fig.update_yaxes(
            autorange="reversed", scaleanchor=f"x{col if col > 1 else ''}", row=1, col=col
        )
    fig.update_layout(
        coloraxis={
            "colorscale": VALUE_SCALE,
            "cmin": low,
            "cmax": high if high > low else low + 1,
            "colorbar": {"title": {"text": "y"}, "x": 1.0, "len": 0.9},
        },
        coloraxis2={
            "colorscale": DIFFERENCE_SCALE,
            "cmin": -reach,
            "cmax": reach,
            "colorbar": {"title": {"text": "Δ"}, "x": 1.08, "len": 0.9},
        },
        height=height,
        margin={"l": 30, "r": 90, "t": 40, "b": 20},
    )
    if not diffs:
        fig.update_layout(coloraxis2=None)
    return fig


def dependence_figure(dependence, modes: dict) -> go.Figure:
    """Grouped bars: for each other batch (x), how far image ``image``'s output moved in each
    mode (``modes`` maps a mode id to its label), with the value written on each bar."""
    labels = [f"{v.label} (N = {v.size})" for v in dependence.variants]
    fig = go.Figure()
    for mode, name in modes.items():
        moved = [v.moved[mode] for v in dependence.variants]
        shown = [0.0 if m is None else m for m in moved]
        text = ["refused" if m is None else ("0" if m == 0 else f"{m:.2g}") for m in moved]
        fig.add_trace(
            go.Bar(
                x=labels,
                y=shown,
                name=name,
                marker_color=MODE_COLOURS[mode],
                text=text,
                textposition="outside",
                cliponaxis=False,
                hovertemplate=f"{name}<br>%{{x}}: moved %{{y:.3g}}<extra></extra>",
            )
        )
    fig.update_layout(
        barmode="group",
        yaxis_title=f"largest change of image {dependence.image}'s output",
    )
    return _base_layout(fig, 380)


def band_figure(small) -> go.Figure:
    """Batch mean (left) and batch variance (right) of one channel against N: the 5–95 % and
    25–75 % bands over many batches, the median, and the population's value (dashed)."""
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=(
            f"channel {small.channel}: batch mean",
            f"channel {small.channel}: batch variance",
        ),
        horizontal_spacing=0.1,
    )
    sizes = np.array(small.sizes, dtype=float)
    for col, (q, population) in enumerate(
        ((small.mean_q, small.population_mean), (small.var_q, small.population_var)), start=1
    ):
        first = col == 1
        for lo, hi, alpha, name in ((0, 4, 0.18, "5–95 % of batches"), (1, 3, 0.38, "25–75 %")):
            fig.add_trace(
                go.Scatter(
                    x=np.concatenate([sizes, sizes[::-1]]),
                    y=np.concatenate([q[:, lo], q[::-1, hi]]),
                    fill="toself",
                    mode="lines",
                    fillcolor=f"rgba(0,114,178,{alpha})",
                    line={"width": 0},
                    name=name,
                    legendgroup=name,
                    showlegend=first,
                    hoverinfo="skip",
                ),
                row=1,
                col=col,
            )
        fig.add_trace(
            go.Scatter(
                x=sizes,
                y=q[:, 2],
                mode="lines+markers",
                line={"color": PALETTE[0]},
                name="median",
                legendgroup="median",
                showlegend=first,
                customdata=np.stack([q[:, 0], q[:, 4]], axis=-1),
                hovertemplate="N = %{x}: median %{y:.4g}, 90 % within %{customdata[0]:.4g} … "
                "%{customdata[1]:.4g}<extra></extra>",
            ),
            row=1,
            col=col,
        )
        fig.add_trace(_population_line(sizes[0], sizes[-1], population, first), row=1, col=col)
        fig.update_xaxes(
            type="log",
            tickvals=list(small.sizes),
            ticktext=[str(n) for n in small.sizes],
            title_text="batch size N",
            row=1,
            col=col,
        )
    return _base_layout(fig, 380)


def kernels_figure(weight: np.ndarray, folded: np.ndarray, channel: int) -> go.Figure:
    """Filter ``channel``'s k × k kernels, one column per input channel: before folding (top) and
    after (bottom), on one diverging scale so the rescaling shows; values written on small
    kernels."""
    before, after = weight[channel], folded[channel]
    cin, k = before.shape[0], before.shape[-1]
    shown = min(cin, 8)
    titles = [f"W, input {i}" for i in range(shown)] + [f"W′, input {i}" for i in range(shown)]
    fig = make_subplots(
        rows=2, cols=shown, subplot_titles=titles, vertical_spacing=0.16, horizontal_spacing=0.04
    )
    reach = float(max(np.abs(before).max(), np.abs(after).max())) or 1.0
    label = k <= 5
    for row, kernels in enumerate((before, after), start=1):
        for col in range(1, shown + 1):
            z = np.asarray(kernels[col - 1], dtype=np.float64)
            fig.add_trace(
                go.Heatmap(
                    z=z,
                    coloraxis="coloraxis",
                    text=np.vectorize(lambda v: f"{v:.2g}")(z) if label else None,
                    texttemplate="%{text}" if label else None,
                    hovertemplate="u %{y}, v %{x}: %{z:.4g}<extra></extra>",
                ),
                row=row,
                col=col,
            )
            fig.update_yaxes(autorange="reversed", showticklabels=False, row=row, col=col)
            fig.update_xaxes(showticklabels=False, row=row, col=col)
    fig.update_layout(
        coloraxis={"colorscale": DIFFERENCE_SCALE, "cmin": -reach, "cmax": reach},
        height=160 * 2 + 80,
        margin={"l": 20, "r": 20, "t": 40, "b": 20},
    )
    return fig
