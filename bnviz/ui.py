"""Streamlit glue: URL-backed widget state, cached computations, shared page furniture.

The only module of the package that imports Streamlit; the engine and the figures never do.
Widget state lives under ``w.<field>`` keys; a copy of every page's values is kept under
:data:`PERSISTED` so state follows the user across pages (Streamlit drops the state of widgets a
page does not draw, and the browser drops query parameters on a page switch).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import streamlit as st

from . import explorer, urlstate
from .urlstate import Field

PERSISTED = "bnviz.persisted"
NOTICES = "bnviz.notices"


def widget_key(field: Field | str) -> str:
    """The session-state key of the widget for ``field``."""
    return f"w.{field.key if isinstance(field, Field) else field}"


def load_state(
    page: str,
    fields: Iterable[Field],
    constrain: Callable[[dict], tuple[dict, list[str]]] | None = None,
) -> dict:
    """Current values of ``fields``, ready for the page's widgets to be drawn from.

    On a page's first run in a session the URL wins (parsed forgivingly, notices kept for
    :func:`show_notices`); later runs take the widgets' values; fields the page has not drawn yet
    fall back to the values persisted by other pages, then to defaults.  ``constrain`` then makes
    them consistent, and the result is written back to the widget keys *before* any widget is
    drawn, so widgets always show valid values.
    """
    fields = tuple(fields)
    persisted = st.session_state.setdefault(PERSISTED, {})
    notices = []
    first_visit = f"bnviz.visited.{page}" not in st.session_state
    if first_visit:
        st.session_state[f"bnviz.visited.{page}"] = True
        from_url, notices = urlstate.parse(fields, st.query_params)
    values = {}
    for field in fields:
        key = widget_key(field)
        if first_visit and field.key in st.query_params:
            values[field.key] = from_url[field.key]
        elif key in st.session_state:
            values[field.key] = st.session_state[key]
        else:
            values[field.key] = persisted.get(field.key, field.default)
    if constrain is not None:
        values, more = constrain(values)
        notices += more
    for field in fields:
        st.session_state[widget_key(field)] = values[field.key]
    if notices:
        st.session_state[NOTICES] = notices
    return values


def save_state(fields: Iterable[Field], values: dict) -> None:
    """Write ``values`` to the URL (defaults left out) and persist them for other pages."""
    fields = tuple(fields)
    st.session_state.setdefault(PERSISTED, {}).update(values)
    st.query_params.from_dict(urlstate.to_query(fields, values))


def read_widgets(fields: Iterable[Field]) -> dict:
    """The values the widgets for ``fields`` hold now."""
    return {field.key: st.session_state[widget_key(field)] for field in fields}


def show_notices() -> None:
    """Show, once, what was replaced in the URL or adjusted to keep values consistent."""
    for notice in st.session_state.pop(NOTICES, []):
        st.warning(notice, icon="⚠️")


def show_input_error(error: Exception) -> None:
    """A user-caused error as a message on the page, never a traceback."""
    st.error(f"{error}", icon="🚫")


@st.cache_data(max_entries=8, show_spinner="Normalizing…")
def explorer_result(values: dict) -> explorer.ExplorerResult:
    """:func:`bnviz.explorer.compute` on the synthetic tensor for ``values``, cached per values."""
    return explorer.compute(explorer.synthetic_tensor(values), values)


def number_field(
    field: Field, *, label=None, step=None, format=None, help=None, disabled=False, container=st
):
    """A number input for an int or float field, bounded as the field is."""
    kind = int if field.kind == "int" else float
    return container.number_input(
        label or field.label,
        min_value=kind(field.low) if field.low is not None else None,
        max_value=kind(field.high) if field.high is not None else None,
        step=step if step is not None else (1 if field.kind == "int" else None),
        format=format,
        help=help,
        disabled=disabled,
        key=widget_key(field),
    )


def as_int_tuple(array: np.ndarray) -> tuple:
    return tuple(int(v) for v in array)
