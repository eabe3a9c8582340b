"""Streamlit glue of the Experiment page: training runs cached by their settings, with a progress bar.

A run comes from the shipped defaults (``assets/experiment_defaults.npz``, when its settings are
there), else from :func:`_run`, cached by ``st.cache_data`` per settings across sessions.  The
session also remembers which runs it has computed, so a sweep already run shows at once.
"""

from __future__ import annotations

import streamlit as st

from ..engine.nets import Run, Settings
from ..text import experiment as words
from ..views import experiment

#: Session key: the settings keys this session has trained (their runs are in the cache).
DONE = "bnviz.experiment.done"


@st.cache_data(max_entries=4096, show_spinner=False)
def _run(key: tuple, _progress=None) -> Run:
    return experiment.train(Settings(*key), _progress)


def missing(needed: list[Settings]) -> list[Settings]:
    """The runs of ``needed`` neither shipped nor trained in this session."""
    shipped = experiment.shipped_runs()
    done = st.session_state.get(DONE, set())
    return [s for s in needed if s.key() not in shipped and s.key() not in done]


def _describe(settings: Settings) -> str:
    label = words.norm_label(
        settings.norm, network=settings.network, place=settings.place, groups=settings.groups
    )
    return (
        f"{label}, η = {settings.lr:g}, batch {settings.batch}, scale {settings.init:g}, "
        f"seed {settings.seed}"
    )


def runs(needed: list[Settings]) -> dict[tuple, Run]:
    """Every run of ``needed`` by its key: shipped, cached, or trained now under a progress bar."""
    shipped = experiment.shipped_runs()
    todo = missing(needed)
    done = st.session_state.setdefault(DONE, set())
    bar = st.progress(0.0, text="Training…") if todo else None
    out = {}
    count = 0
    for settings in needed:
        key = settings.key()
        if key in shipped:
            out[key] = shipped[key]
            continue
        if bar is not None and settings in todo:
            share = 1 / len(todo)
            start = count * share
            text = f"Training run {count + 1} of {len(todo)}: {_describe(settings)}"

            def progress(fraction, start=start, share=share, text=text):
                bar.progress(min(1.0, start + share * fraction), text=text)

            progress(0.0)
            out[key] = _run(key, progress)
            count += 1
        else:
            out[key] = _run(key)
        done.add(key)
    if bar is not None:
        bar.empty()
    return out
