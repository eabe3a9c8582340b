"""Streamlit glue of the Experiment page: training runs cached by their settings, with a progress bar.

A run comes from the shipped defaults (``assets/experiment_defaults.npz``, when its settings are
there), else from a process-wide cache by settings, else it is trained under a progress bar.

Why not ``st.cache_data``: a run reports its progress to a bar drawn outside it, and a cached
function may not touch elements made outside it (Streamlit replays a cached function's elements,
and raises ``CacheReplayClosureError``).  Runs are deterministic per settings and small (at most
~100 kB), so a bounded least-recently-used dict shared by the sessions does the same job.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import streamlit as st

from ..engine.nets import Run, Settings
from ..text import experiment as words
from ..views import experiment

#: How many runs the process keeps (a curves run with its percentiles is ~100 kB, a sweep's ~1 kB).
MAX_RUNS = 512
_RUNS: OrderedDict[tuple, Run] = OrderedDict()
_LOCK = threading.Lock()


def _cached(key: tuple) -> Run | None:
    with _LOCK:
        run = _RUNS.get(key)
        if run is not None:
            _RUNS.move_to_end(key)
        return run


def _keep(key: tuple, run: Run) -> None:
    with _LOCK:
        _RUNS[key] = run
        while len(_RUNS) > MAX_RUNS:
            _RUNS.popitem(last=False)


def missing(needed: list[Settings]) -> list[Settings]:
    """The runs of ``needed`` neither shipped nor trained already."""
    shipped = experiment.shipped_runs()
    return [s for s in needed if s.key() not in shipped and _cached(s.key()) is None]


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
    bar = st.progress(0.0, text="Training…") if todo else None
    out = {}
    count = 0
    for settings in needed:
        key = settings.key()
        run = shipped.get(key) or _cached(key)
        if run is None:
            share = 1 / max(1, len(todo))
            start = min(count, len(todo) - 1) * share
            text = f"Training run {count + 1} of {len(todo)}: {_describe(settings)}"

            def progress(fraction, start=start, share=share, text=text):
                bar.progress(min(1.0, start + share * fraction), text=text)

            progress(0.0)
            run = experiment.train(settings, progress)
            _keep(key, run)
            count += 1
        out[key] = run
    if bar is not None:
        bar.empty()
    return out
