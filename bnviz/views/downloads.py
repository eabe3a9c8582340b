"""What a view offers as files: the tensor, the output and the statistics as .npy and .csv.

Pure (NumPy, no Streamlit): the share panel in :mod:`bnviz.ui.core.share` offers them as buttons.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..engine.errors import InputError
from ..engine.layout import Layout
from ..text.describe import Description
from .explorer import ExplorerResult

#: The long-format cell CSV is offered up to this many cells (~110 bytes a row: ~7 MB); the
#: .npy files carry any tensor the app accepts.
MAX_CSV_CELLS = 2**16


CELL_COLUMNS = ("n", "c", "h", "w", "x", "group", "mean", "var", "x_hat", "y")


STATS_COLUMNS = ("group", "mean", "var", "size")


def npy_bytes(array: np.ndarray) -> bytes:
    """``array`` as the bytes of a .npy file (no pickling: ``np.load`` reads it back as is)."""
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(array), allow_pickle=False)
    return buffer.getvalue()


def cells_csv(
    x: np.ndarray,
    labels: np.ndarray,
    mean: np.ndarray,
    var: np.ndarray,
    x_hat: np.ndarray,
    y: np.ndarray,
    *,
    max_cells: int = MAX_CSV_CELLS,
) -> bytes:
    """Every cell as one CSV row: n,c,h,w,x,group,mean,var,x_hat,y (long format).

    Parameters
    ----------
    x, x_hat, y : ndarray of shape (N, C, H, W)
        Input, normalized values and output.
    labels : ndarray of int, shape (N, C, H, W)
        Group of every cell.
    mean, var : ndarray broadcastable to (N, C, H, W)
        The group statistics.
    max_cells : int
        Larger tensors raise InputError (use the .npy files).

    Returns
    -------
    bytes
        UTF-8 CSV with a header row; indices and groups as integers, x, x_hat and y with 9
        significant digits (enough to read float32 back exactly), mean and var with 17 (float64).
    """
    shape = np.shape(x)
    if len(shape) != 4:
        raise InputError(f"The cell table needs an (N, C, H, W) tensor, not shape {shape}.")
    count = int(np.prod(shape))
    if count > max_cells:
        raise InputError(
            f"The tensor has {count:,} cells; the CSV table is offered up to {max_cells:,} "
            "(download the .npy files instead)."
        )
    index = np.indices(shape).reshape(4, -1).T

    def column(a):
        return np.broadcast_to(a, shape).reshape(-1, 1).astype(np.float64)

    table = np.hstack(
        [index, column(x), column(labels), column(mean), column(var), column(x_hat), column(y)]
    )
    fmt = ["%d"] * 4 + ["%.9g", "%d", "%.17g", "%.17g", "%.9g", "%.9g"]
    return _csv(table, fmt, CELL_COLUMNS)


def group_stats(lay: Layout, mean: np.ndarray, var: np.ndarray) -> np.ndarray:
    """Every group's statistics as a structured array with fields group, mean, var, size.

    Parameters
    ----------
    lay : Layout
        The scheme on the tensor's shape.
    mean, var : ndarray broadcastable to ``lay.shape``
        The statistics as :func:`bnviz.normalize` returns them.

    Returns
    -------
    ndarray of shape (groups,)
        Structured (group: int64, mean: float64, var: float64, size: int64), one row per group in
        label order; ``size`` is m′, the number of values each statistic is taken over.
    """
    labels = lay.labels().reshape(-1)
    stats = np.zeros(
        lay.groups, dtype=[("group", "<i8"), ("mean", "<f8"), ("var", "<f8"), ("size", "<i8")]
    )
    stats["group"] = np.arange(lay.groups)
    # Every cell of a group holds the same statistic: scattering them by label keeps one each.
    stats["mean"][labels] = np.broadcast_to(mean, lay.shape).reshape(-1)
    stats["var"][labels] = np.broadcast_to(var, lay.shape).reshape(-1)
    stats["size"] = np.bincount(labels, minlength=lay.groups)
    return stats


def stats_csv(stats: np.ndarray) -> bytes:
    """:func:`group_stats` as CSV: group,mean,var,size."""
    table = np.column_stack([stats[name].astype(np.float64) for name in STATS_COLUMNS])
    return _csv(table, ["%d", "%.17g", "%.17g", "%d"], STATS_COLUMNS)


def _csv(table: np.ndarray, fmt: list, columns: tuple) -> bytes:
    buffer = io.StringIO()
    np.savetxt(buffer, table, fmt=fmt, delimiter=",", header=",".join(columns), comments="")
    return buffer.getvalue().encode()


def download_name(base: str, description: Description) -> str:
    """A file name for a view's downloads: ``base`` "cells.csv" gives "bnviz-batch-20x10x5x5-cells.csv".

    Also a stem ("group-map" gives "bnviz-batch-20x10x5x5-group-map") for the PNG button.
    """
    shape = "x".join(str(k) for k in description.layout.shape)
    return f"bnviz-{description.scheme.id}-{shape}-{base}"


@dataclass(frozen=True)
class Download:
    """One file a view offers: its button label, file name, a function making its bytes, MIME type."""

    label: str
    file_name: str
    data: Callable[[], bytes]
    mime: str


NPY = "application/octet-stream"


CSV = "text/csv"


def downloads(result: ExplorerResult) -> list[Download]:
    """The Explorer's files: x, y and the statistics as .npy and .csv, the cell table as .csv.

    Parameters
    ----------
    result : ExplorerResult
        The view.

    Returns
    -------
    list of Download
        x.npy and y.npy (the arrays as they are, float32, shape (N, C, H, W)); stats.npy (the
        structured array of :func:`group_stats`) and stats.csv; cells.csv (:func:`cells_csv`) when
        the tensor has at most :data:`MAX_CSV_CELLS` cells.  The bytes are made only when ``data``
        is called (a download button calls it when pressed).
    """
    d = result.description

    def stats():
        # The statistics are held per cell of x; the layout's cells are the same, in the same
        # memory order, in the engine's shape (for tokens (N, D, L) rather than (N, C, H, W)).
        shape = result.layout.shape
        mean, var = (
            np.broadcast_to(a, result.x.shape).reshape(shape) for a in (result.mean, result.var)
        )
        return group_stats(result.layout, mean, var)

    def cells():
        return cells_csv(result.x, result.labels, result.mean, result.var, result.x_hat, result.y)

    files = [
        ("Tensor x (.npy)", "x.npy", lambda: npy_bytes(result.x), NPY),
        ("Output y (.npy)", "y.npy", lambda: npy_bytes(result.y), NPY),
        ("Statistics (.npy)", "stats.npy", lambda: npy_bytes(stats()), NPY),
        ("Statistics (.csv)", "stats.csv", lambda: stats_csv(stats()), CSV),
    ]
    if len(result.x.shape) == 4 and result.x.size <= MAX_CSV_CELLS:
        files.append(("Every cell (.csv)", "cells.csv", cells, CSV))
    return [
        Download(label, download_name(name, d), data, mime) for label, name, data, mime in files
    ]
