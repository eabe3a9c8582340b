"""Per-group summaries (box-plot numbers) for the distribution views."""

from __future__ import annotations

import numpy as np

from ..engine.layout import Layout, group_values


def box_summary(values: np.ndarray) -> dict:
    """min, quartiles, max, mean and (biased) standard deviation of ``values``, as floats."""
    values = np.asarray(values, dtype=np.float64).ravel()
    q1, median, q3 = np.percentile(values, [25, 50, 75])
    return {
        "min": float(values.min()),
        "q1": float(q1),
        "median": float(median),
        "q3": float(q3),
        "max": float(values.max()),
        "mean": float(values.mean()),
        "std": float(values.std()),
    }


def group_summaries(x: np.ndarray, lay: Layout, groups) -> dict[int, dict]:
    """:func:`box_summary` of each listed group of ``x`` (shape ``lay.shape``), by group id."""
    return {int(g): box_summary(group_values(x, lay, int(g))) for g in groups}


def groups_to_show(lay: Layout, selected_group: int | None, limit: int = 24) -> list[int]:
    """The first ``limit`` group ids, plus the selected one if it lies beyond them."""
    shown = list(range(min(lay.groups, limit)))
    if selected_group is not None and selected_group not in shown:
        shown[-1:] = [selected_group]
    return shown
