"""Plotly figures of the Experiment page: pure functions from computed runs to figures.

- :func:`curves_figure`: training loss and test accuracy over SGD steps, each seed faint and the
  mean over seeds bold, one colour per normalization;
- :func:`percentiles_figure`: the batch-norm paper's Fig. 1 b, c analogue, the 15th, 50th and 85th
  percentiles of one sigmoid's input over training, one panel per normalization;
- :func:`sweep_figure`: final test accuracy and training loss against the swept value (log
  axis), the mean over seeds with the range as error bars, diverged runs marked.

The arrays come from :mod:`bnviz.views.experiment` (read by attribute; figures sit below views).
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..engine.nets import nanmean
from .groupmap import PALETTE, hex_to_rgb
from .style import legend_above

#: One colour per normalization (Okabe–Ito, colour-blind safe); no normalization in black.
NORM_COLOURS = {
    "none": "#222222",
    "batch": PALETTE[0],
    "group": PALETTE[2],
    "layer": PALETTE[6],
    "instance": PALETTE[4],
}
#: Tick labels of the log-scale loss axes, written out (Plotly's minor labels "2", "5" would be
#: read as 2 and 5 where they mean 0.2 and 0.5).
LOSS_TICKS = [m * 10.0**e for e in range(-3, 3) for m in (1, 2, 5)]
LOSS_AXIS = {
    "type": "log",
    "tickvals": LOSS_TICKS,
    "ticktext": [f"{v:g}" for v in LOSS_TICKS],
    "title_text": "cross-entropy",
}
SWEEP_TITLES = {"lr": "learning rate η", "batch": "batch size", "init": "initialization scale s"}


def _rgba(colour: str, alpha: float) -> str:
    r, g, b = hex_to_rgb(colour)
    return f"rgba({r},{g},{b},{alpha})"


def _layout(fig: go.Figure, height: int) -> go.Figure:
    fig.update_layout(
        height=height,
        margin={"l": 60, "r": 20, "t": 70, "b": 50},
        legend=legend_above(1.1),
        hovermode="x unified",
        template="plotly_white",
    )
    return fig


def curves_figure(curves, *, height: int = 400) -> go.Figure:
    """Training loss (log scale) and test accuracy against SGD steps."""
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=(
            "Training loss",
            "Test accuracy",
        ),
        horizontal_spacing=0.1,
    )
    for curve in curves:
        colour = NORM_COLOURS[curve.norm]
        for col, data in ((1, curve.train_loss), (2, curve.accuracy)):
            for seed, row in enumerate(data):
                fig.add_trace(
                    go.Scatter(
                        x=curve.steps,
                        y=row,
                        mode="lines",
                        line={"color": _rgba(colour, 0.3), "width": 1},
                        name=f"{curve.label}, seed {seed}",
                        legendgroup=curve.norm,
                        showlegend=False,
                        hoverinfo="skip",
                    ),
                    row=1,
                    col=col,
                )
            mean = nanmean(data)
            fig.add_trace(
                go.Scatter(
                    x=curve.steps,
                    y=mean,
                    mode="lines",
                    line={"color": colour, "width": 3},
                    name=curve.label + (f" (mean of {len(data)} seeds)" if len(data) > 1 else ""),
                    legendgroup=curve.norm,
                    showlegend=col == 2,
                    hovertemplate="%{y:.3f}",
                ),
                row=1,
                col=col,
            )
    fig.update_yaxes(**LOSS_AXIS, row=1, col=1)
    fig.update_yaxes(range=[0, 1.02], tickformat=".0%", row=1, col=2)
    fig.update_xaxes(title_text="SGD step")
    return _layout(fig, height)


def percentiles_figure(curves, unit: int, *, height: int = 340) -> go.Figure:
    """One panel per normalization: sigmoid ``unit``'s input, 15th/50th/85th percentiles."""
    shown = [c for c in curves if c.unit_percentiles(unit) is not None]
    fig = make_subplots(
        rows=1,
        cols=max(1, len(shown)),
        shared_yaxes=True,
        subplot_titles=[f"{c.label}" for c in shown],
        horizontal_spacing=0.06,
    )
    for col, curve in enumerate(shown, start=1):
        p = curve.unit_percentiles(unit)
        colour = NORM_COLOURS[curve.norm]
        for k, (name, dash) in enumerate((("15th", "dot"), ("50th", "solid"), ("85th", "dot"))):
            fig.add_trace(
                go.Scatter(
                    x=curve.steps,
                    y=p[:, k],
                    mode="lines",
                    line={"color": colour, "dash": dash, "width": 3 if k == 1 else 2},
                    name=f"{name} percentile",
                    showlegend=col == 1,
                    legendgroup=name,
                    hovertemplate=f"{name}: %{{y:.2f}}",
                ),
                row=1,
                col=col,
            )
    fig.update_xaxes(title_text="SGD step")
    fig.update_yaxes(title_text=f"input to sigmoid {unit}", row=1, col=1)
    return _layout(fig, height)


def sweep_figure(sweep, *, height: int = 400) -> go.Figure:
    """Final test accuracy and training loss against the swept value."""
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=("Final test accuracy", "Final training loss"),
        horizontal_spacing=0.1,
    )
    x = np.asarray(sweep.grid, dtype=float)
    for k, (norm, label) in enumerate(zip(sweep.norms, sweep.labels)):
        colour = NORM_COLOURS[norm]
        for col, data in ((1, sweep.accuracy[k]), (2, sweep.train_loss[k])):
            mean = nanmean(data.T)
            # The spread over the seeds that ended finite (NaN where none did).
            finite = np.isfinite(data)
            ended = finite.any(axis=1)
            high = np.where(ended, np.where(finite, data, -np.inf).max(axis=1), np.nan)
            low = np.where(ended, np.where(finite, data, np.inf).min(axis=1), np.nan)
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=mean,
                    mode="lines+markers",
                    line={"color": colour, "width": 3},
                    marker={"size": 8},
                    error_y={
                        "type": "data",
                        "symmetric": False,
                        "array": high - mean,
                        "arrayminus": mean - low,
                        "visible": data.shape[1] > 1,
                    },
                    name=label,
                    legendgroup=norm,
                    showlegend=col == 1,
                    hovertemplate="%{x:g}: %{y:.3f}",
                ),
                row=1,
                col=col,
            )
        broken = sweep.any_diverged[k]
        if broken.any():
            fig.add_trace(
                go.Scatter(
                    x=x[broken],
                    y=np.zeros(int(broken.sum())),
                    mode="markers",
                    marker={"symbol": "x", "size": 12, "color": colour},
                    name=f"{label}: diverged",
                    legendgroup=norm,
                    hovertemplate="%{x:g}: diverged",
                ),
                row=1,
                col=1,
            )
    fig.update_xaxes(type="log", title_text=SWEEP_TITLES[sweep.section])
    if sweep.section == "batch":
        fig.update_xaxes(tickvals=list(sweep.grid), ticktext=[str(v) for v in sweep.grid])
    fig.update_yaxes(range=[-0.03, 1.02], tickformat=".0%", row=1, col=1)
    fig.update_yaxes(**LOSS_AXIS, row=1, col=2)
    return _layout(fig, height)
