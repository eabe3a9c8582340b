"""Pages that put 2 to 4 schemes side by side (Compare, Backward): the controls of the slots.

The ``schemes`` field holds one scheme id per slot and each slot's hyper-parameters have their
own fields (:func:`bnviz.views.compare.param_key`).  Some widgets stand for part of a field (a
slot's scheme box, the kept-axes multiselect, the count of slots); their callbacks write the
field's widget value, so the URL layer sees one field as everywhere else.
"""

from __future__ import annotations

import streamlit as st

from ..engine.schemes import AXES, SCHEMES, axes_value
from ..views import compare
from . import core as ui

SCHEMES_KEY = ui.widget_key("schemes")


def _key(page: str, what: str, slot: int | None = None) -> str:
    return f"{page}.{what}" + ("" if slot is None else str(slot))


def _set_count(page: str) -> None:
    count = st.session_state[_key(page, "count")]
    st.session_state[SCHEMES_KEY] = compare.padded(st.session_state[SCHEMES_KEY], count)


def _set_scheme(page: str, slot: int) -> None:
    schemes = list(st.session_state[SCHEMES_KEY])
    schemes[slot - 1] = st.session_state[_key(page, "scheme", slot)]
    st.session_state[SCHEMES_KEY] = tuple(schemes)


def _set_keep(page: str, slot: int) -> None:
    field = ui.widget_key(compare.param_key("keep", slot))
    st.session_state[field] = axes_value(st.session_state[_key(page, "keep", slot)])


def count_radio(page: str, values: dict, label: str, container=st) -> None:
    """How many schemes stand side by side (2 to 4)."""
    st.session_state[_key(page, "count")] = len(values["schemes"])
    container.radio(
        label,
        options=list(range(compare.MIN_SLOTS, compare.MAX_SLOTS + 1)),
        key=_key(page, "count"),
        on_change=_set_count,
        args=(page,),
        horizontal=True,
    )


def slot_controls(page: str, slot: int, values: dict, channels: int) -> None:
    """The scheme in ``slot`` (1-based) and its hyper-parameters, each with its own widget."""
    scheme_id = values["schemes"][slot - 1]
    st.session_state[_key(page, "scheme", slot)] = scheme_id
    st.selectbox(
        f"Scheme {slot}",
        options=list(SCHEMES),
        format_func=lambda s: SCHEMES[s].name,
        key=_key(page, "scheme", slot),
        on_change=_set_scheme,
        args=(page, slot),
    )
    for param in SCHEMES[scheme_id].params:
        key = ui.widget_key(compare.param_key(param.name, slot))
        if ui.param_widget(param, key, channels):
            continue
        # Kept axes: a multiselect of N, C, H, W standing for the slot's "keep" field.
        st.session_state[_key(page, "keep", slot)] = list(values[compare.param_key("keep", slot)])
        st.multiselect(
            "Axes that keep their own statistics",
            options=list(AXES),
            key=_key(page, "keep", slot),
            on_change=_set_keep,
            args=(page, slot),
            help=param.help,
            placeholder="none: one mean for the whole tensor",
        )
