"""Streamlit glue of the Local normalizations page: each convention's preset box, kept in step
with the convention's settings.

The box (session key :func:`preset_key`) shows the preset the settings match, else
:data:`CUSTOM`; choosing a preset in it sets the convention's scheme and parameters
(:func:`apply_preset`).  Which preset matches, and what a preset sets, is
:mod:`bnviz.views.local_norms` (pure).
"""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

from ..engine.local import LOCAL_PRESETS
from ..views import local_norms
from . import core as ui

#: The preset box's entry when the settings match no preset.
CUSTOM = "Custom settings"


def preset_key(slot: str) -> str:
    """The session key of convention ``slot``'s preset box ("a" or "b")."""
    return f"local.preset.{slot}"


def show_matching_preset(slot: str, values: Mapping) -> str | None:
    """Set ``slot``'s preset box to the preset its settings match (else :data:`CUSTOM`); that
    preset's label, or None."""
    matching = local_norms.matching_preset(values, slot)
    st.session_state[preset_key(slot)] = matching or CUSTOM
    return matching


def apply_preset(slot: str) -> None:
    """The preset box's ``on_change``: a preset chosen sets the convention's scheme and numbers."""
    label = st.session_state[preset_key(slot)]
    if label in LOCAL_PRESETS:
        for key, value in local_norms.preset_values(slot, label).items():
            st.session_state[ui.widget_key(key)] = value
