"""Streamlit glue of the Train vs. inference page: its state callbacks.

The results are cached by :func:`bnviz.ui.core.training_result`; what each section shows is
:mod:`bnviz.views.training` (pure).
"""

from __future__ import annotations

import streamlit as st

from . import core as ui


def turn_on_conv() -> None:
    """The fold section's "Add the convolution layer": the page's convolution layer switched on."""
    st.session_state[ui.widget_key("conv")] = True
