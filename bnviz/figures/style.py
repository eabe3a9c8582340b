"""How figures look on a projector and what Plotly's camera button saves.

Pure (Plotly objects, no Streamlit).
"""

from __future__ import annotations

import plotly.graph_objects as go


def legend_above(y: float) -> dict:
    """A horizontal legend above the plot, left-aligned, its bottom at ``y`` (plot fractions)."""
    return {"orientation": "h", "yanchor": "bottom", "y": y, "x": 0}


#: Font sizes for a projector: the base font and the axis ticks.
PROJECTOR_FONT = 20


#: The group map on a projector: large labels, and short enough to stay above the fold of a
#: 1024 × 768 screen under the title and the summary.
PROJECTOR_MAP = {"font_px": 18, "max_height_px": 400}


def for_projector(fig: go.Figure, font_size: int = PROJECTOR_FONT) -> go.Figure:
    """``fig`` with fonts large enough to read on a projector (a changed copy; ``fig`` is kept)."""
    fig = go.Figure(fig)
    fig.update_layout(font={"size": font_size}, hoverlabel={"font": {"size": font_size}})
    fig.update_xaxes(tickfont={"size": font_size})
    fig.update_yaxes(tickfont={"size": font_size})
    fig.update_annotations(font={"size": font_size})
    title = fig.layout.title
    if title is not None and title.text:
        fig.update_layout(title_font_size=font_size + 2)
    return fig


def chart_config(filename: str) -> dict:
    """Plotly's chart configuration for a page: the modebar's camera button saves a PNG.

    The PNG is made in the browser (no server, nothing fetched), named ``filename``.png, at twice
    the screen resolution.
    """
    return {
        "displaylogo": False,
        "scrollZoom": False,
        "toImageButtonOptions": {"format": "png", "filename": filename, "scale": 2},
    }
