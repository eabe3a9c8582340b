"""The group map in a Streamlit page: a custom component (v2) drawing on a canvas.

The browser draws the map from :func:`bnviz.figures.groupmap.map_payload` and lights the hovered cell's
group itself (``bnviz/ui/static/groupmap.js``): hover costs no rerun.  A click or an arrow key sends
the cell back as the component's state value ``cell``; the callback makes it the selected cell.
Chosen over Plotly for the map because Plotly's heatmaps send no hover events to Streamlit and
return empty selections (streamlit#8760), and because one canvas draws tens of thousands of cells
from typed arrays without per-cell JSON.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from . import core as ui

_STATIC = Path(__file__).resolve().parent / "static"
# Inline strings (not asset paths): no pyproject manifest needed, nothing served from outside.
_COMPONENT = st.components.v2.component(
    "bnviz_group_map",
    js=(_STATIC / "groupmap.js").read_text(encoding="utf-8"),
    css=(_STATIC / "groupmap.css").read_text(encoding="utf-8"),
)


def _select(key: str) -> None:
    state = st.session_state.get(key) or {}
    cell = state.get("cell") if hasattr(state, "get") else None
    if cell is not None and len(cell) == 4:
        st.session_state[ui.CELL] = tuple(int(i) for i in cell)


def group_map(payload: bytes, *, key: str, on_marked=None) -> None:
    """Mount the group map drawing ``payload`` (see :func:`bnviz.figures.groupmap.map_payload`).

    A click or arrow key in the map selects that cell (the session's selected cell).  With a
    payload made with ``clicks="toggle"``, a click marks or unmarks a cell instead, and
    ``on_marked(cells)`` receives every marked cell, a list of (n, c, h, w) tuples.
    """
    if on_marked is None:
        _COMPONENT(
            key=key,
            data=payload,
            default={"cell": None},
            on_cell_change=lambda: _select(key),
        )
        return
    _COMPONENT(
        key=key,
        data=payload,
        default={"marked": None},
        on_marked_change=lambda: on_marked(_marked(key)),
    )


def _marked(key: str) -> list:
    state = st.session_state.get(key) or {}
    cells = state.get("marked") if hasattr(state, "get") else None
    return [tuple(int(i) for i in cell) for cell in cells or () if len(cell) == 4]
