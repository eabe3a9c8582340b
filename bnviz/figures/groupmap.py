"""The group map: which cells of a tensor are drawn, and the compact payload the browser draws.

Pure (NumPy, no Streamlit, no Plotly).  Two steps:

- :func:`plan_drawing` chooses the cells to draw when a tensor is larger than a readable picture:
  a subset across **every** axis (the first samples, the first channels, every k-th row and column)
  chosen so that cells stay at least a few pixels wide, rather than all of one axis and none of
  another.  :class:`DrawPlan` says in words what it shows.
- :func:`map_payload` packs the drawn cells (group ids, colours, values, the groups' statistics,
  axis names, the selected cell) into one binary blob: a JSON header and typed arrays, read by
  ``bnviz/ui/static/groupmap.js``, which draws them on a canvas and lights a group on hover in the
  browser (no server round trip).  :func:`read_payload` reads it back (for tests and tools).

Conventions: tensors are (N, C, H, W); a drawn cell is addressed by its real index (n, c, h, w);
group ids are those of :func:`bnviz.group_labels`.
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..engine.schemes import Formula

#: Okabe & Ito's colour-blind-safe palette (black swapped for grey so tiles stay readable).
PALETTE = (
    "#E69F00",
    "#56B4E9",
    "#009E73",
    "#F0E442",
    "#0072B2",
    "#D55E00",
    "#CC79A7",
    "#999999",
)
#: Above this many distinct groups among the drawn cells, colours would repeat so often that
#: they mislead: the map draws every cell in a pale tint and lights one group at a time.
MAX_COLOURED_GROUPS = 3 * len(PALETTE)
#: Readability of the drawing: pixels per cell at the least, channels and samples at the most.
MIN_CELL_PX = 6
MAX_CELL_PX = 32
TILE_GAP_PX = 6
#: Room the sample names take left of the map.
LABEL_PX = 40
MAX_SAMPLES = 16
MAX_CHANNELS = 16
MIN_SAMPLES = 4
#: At most this many cells drawn (bounds the payload: ~20 bytes a cell).
MAX_DRAWN_CELLS = 40_000
MAGIC = b"BNVZMAP1"


@dataclass(frozen=True)
class DrawPlan:
    """Which cells of a tensor of ``shape`` (N, C, H, W) are drawn.

    Attributes
    ----------
    shape : tuple of int
        The whole tensor's shape.
    samples, channels, rows, cols : ndarray of int
        The drawn indices along N, C, H and W (ascending): the first samples and channels, and
        every ``stride``-th row and column.
    stride : int
        The step between drawn rows and columns (1: every one).
    """

    shape: tuple
    samples: np.ndarray
    channels: np.ndarray
    rows: np.ndarray
    cols: np.ndarray
    stride: int

    @property
    def drawn_shape(self) -> tuple:
        """(samples, channels, rows, columns) drawn."""
        return (len(self.samples), len(self.channels), len(self.rows), len(self.cols))

    @property
    def complete(self) -> bool:
        """True when every cell is drawn."""
        return self.drawn_shape == tuple(self.shape)

    @property
    def index(self) -> tuple:
        """An index (``np.ix_``) that takes the drawn cells from an (N, C, H, W) array."""
        return np.ix_(self.samples, self.channels, self.rows, self.cols)

    def take(self, array: np.ndarray) -> np.ndarray:
        """The drawn cells of ``array`` (broadcastable to ``shape``), shape ``drawn_shape``."""
        return np.broadcast_to(array, self.shape)[self.index]

    def position(self, cell) -> tuple | None:
        """Where the real cell (n, c, h, w) is drawn, as an index into ``drawn_shape``; None
        when it is not drawn."""
        if cell is None:
            return None
        found = []
        for value, drawn in zip(cell, (self.samples, self.channels, self.rows, self.cols)):
            k = int(np.searchsorted(drawn, value))
            if k >= len(drawn) or drawn[k] != value:
                return None
            found.append(k)
        return tuple(found)

    @property
    def text(self) -> str:
        """What is drawn, in words ("" when every cell is)."""
        return self.text_with("the statistics use the whole tensor")

    def text_with(self, whole: str) -> str:
        """What is drawn, ending with ``whole`` (what still uses the whole tensor)."""
        if self.complete:
            return ""
        n, c, h, w = self.shape
        s, ch = len(self.samples), len(self.channels)
        parts = []
        if s < n:
            parts.append(f"samples 0–{s - 1} of {n}")
        if ch < c:
            parts.append(f"channels 0–{ch - 1} of {c}")
        if self.stride == 1 and (len(self.rows) < h or len(self.cols) < w):
            parts.append(
                f"rows 0–{len(self.rows) - 1} of {h}, columns 0–{len(self.cols) - 1} of {w}"
            )
        if self.stride > 1:
            parts.append(
                f"every {_ordinal(self.stride)} row and column of the {h} × {w} maps "
                f"({len(self.rows)} × {len(self.cols)} drawn)"
            )
        return "Drawn: " + ", ".join(parts) + f"; {whole}."


def _ordinal(k: int) -> str:
    return f"{k}{'th' if 10 <= k % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(k % 10, 'th')}"


def plan_drawing(
    shape,
    *,
    width_px: int = 720,
    height_px: int = 600,
    min_cell_px: int = MIN_CELL_PX,
    max_channels: int = MAX_CHANNELS,
    min_channels: int = 8,
    max_samples: int = MAX_SAMPLES,
    min_samples: int = MIN_SAMPLES,
    max_cells: int = MAX_DRAWN_CELLS,
    crop: bool = False,
) -> DrawPlan:
    """Choose the cells of an (N, C, H, W) tensor to draw in about ``width_px`` × ``height_px``.

    Every channel up to ``max_channels`` is drawn (at least ``min_channels`` when the tensor has
    them, whatever the width); each channel's map is drawn whole when its cells can be
    ``min_cell_px`` wide, else
    every k-th row and column; then as many samples as fit the height, at least ``min_samples``
    (when the tensor has them) and at most ``max_samples``.  The total stays under ``max_cells``.
    ``crop``: the first rows and columns instead of every k-th (where neighbouring cells matter,
    as for a local normalization's window).

    Returns
    -------
    DrawPlan
    """
    n, c, h, w = (int(v) for v in shape)
    width_px = max(60, width_px - LABEL_PX)
    # Channels: all of them up to a number whose tiles stay ~8 cells wide, at least min_channels.
    fit = width_px // (min(w, 8) * min_cell_px + TILE_GAP_PX)
    channels = max(1, min(c, max_channels, max(min_channels, fit)))
    room = max(1, width_px - (channels - 1) * TILE_GAP_PX)
    per_tile = max(1, room // (channels * min_cell_px))  # cells across one channel's map
    stride = max(1, math.ceil(max(w, 1) / per_tile))
    while True:
        rows, cols = math.ceil(h / stride), math.ceil(w / stride)
        cell = min(MAX_CELL_PX, max(min_cell_px, room / (channels * cols)))
        tile_height = rows * cell + TILE_GAP_PX
        fitting = int((height_px + TILE_GAP_PX) // tile_height)
        samples = max(1, min(n, max_samples, max(min(n, min_samples), fitting)))
        if samples * channels * rows * cols <= max_cells or (rows == 1 and cols == 1):
            break
        stride += 1
    if crop:
        return DrawPlan(
            shape=(n, c, h, w),
            samples=np.arange(samples),
            channels=np.arange(channels),
            rows=np.arange(rows),
            cols=np.arange(cols),
            stride=1,
        )
    return DrawPlan(
        shape=(n, c, h, w),
        samples=np.arange(samples),
        channels=np.arange(channels),
        rows=np.arange(0, h, stride),
        cols=np.arange(0, w, stride),
        stride=stride,
    )


def colour_groups(labels: np.ndarray, colours: int = len(PALETTE)) -> np.ndarray:
    """A palette index per cell such that groups touching on the map get different colours.

    Parameters
    ----------
    labels : ndarray of int, shape (S, C, H, W)
        Group ids of the drawn cells.
    colours : int
        Palette size.

    Returns
    -------
    ndarray of uint8, shape of ``labels``
        Greedy colouring of the groups (in order of first appearance) over edge-adjacent cells,
        tiles next to each other counting as touching; where more colours than the palette are
        needed, colours repeat.
    """
    labels = np.asarray(labels)
    ids, compact = np.unique(labels, return_inverse=True)
    compact = compact.reshape(labels.shape)
    count = len(ids)
    pairs = []
    # Neighbours within a tile and across the gap between tiles: both look adjacent.
    for axis in (2, 3, 1, 0):
        a = np.moveaxis(compact, axis, 0)
        if a.shape[0] > 1:
            touching = a[:-1] != a[1:]
            pairs.append(np.stack([a[:-1][touching], a[1:][touching]], axis=1))
    # Across tiles: the last row/column of one tile touches the first of the next.
    for axis, edge in ((1, 3), (0, 2)):
        a = np.moveaxis(compact, axis, 0)
        if a.shape[0] > 1:
            last = np.take(a[:-1], -1, axis=edge)
            first = np.take(a[1:], 0, axis=edge)
            touching = last != first
            pairs.append(np.stack([last[touching], first[touching]], axis=1))
    edges = np.concatenate(pairs) if pairs else np.zeros((0, 2), dtype=np.int64)
    edges = np.unique(np.sort(edges, axis=1), axis=0) if len(edges) else edges
    neighbours: list[list[int]] = [[] for _ in range(count)]
    for a, b in edges:
        neighbours[a].append(int(b))
        neighbours[b].append(int(a))
    colour_of = np.zeros(count, dtype=np.int64)
    for group in range(count):
        taken = {colour_of[other] for other in neighbours[group] if other < group}
        free = [k for k in range(colours) if k not in taken]
        # Prefer cycling through the palette so far-apart groups also vary.
        colour_of[group] = (
            min(free, key=lambda k: (k - group) % colours) if free else group % colours
        )
    return colour_of.astype(np.uint8)[compact]


def hex_to_rgb(hex_colour: str) -> tuple:
    return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))


#: Pale tints (mixed 70 % with light grey) for maps with too many groups to colour apart.
_PALETTE_RGB = np.array([hex_to_rgb(c) for c in PALETTE], dtype=np.float64)
_PALE_RGB = (0.3 * _PALETTE_RGB + 0.7 * np.array([232.0, 232.0, 232.0])).round()


def group_colours(labels: np.ndarray) -> tuple[np.ndarray, bool]:
    """Each drawn cell's colour by group, and whether groups are told apart by colour.

    Returns
    -------
    rgb : ndarray of uint8, shape labels.shape + (3,)
    distinct : bool
        False when more than :data:`MAX_COLOURED_GROUPS` groups are drawn: the colours are pale
        tints then (a group is shown by lighting it).
    """
    index = colour_groups(labels)
    distinct = len(np.unique(labels)) <= MAX_COLOURED_GROUPS
    table = _PALETTE_RGB if distinct else _PALE_RGB
    return table[index].astype(np.uint8), distinct


def group_colour_map(labels: np.ndarray) -> dict:
    """Group id → "#rrggbb" for every group among ``labels`` (as the map colours it)."""
    rgb, _ = group_colours(labels)
    flat_labels = np.asarray(labels).reshape(-1)
    flat_rgb = rgb.reshape(-1, 3)
    ids, first = np.unique(flat_labels, return_index=True)
    return {
        int(g): "#{:02X}{:02X}{:02X}".format(*(int(v) for v in flat_rgb[k]))
        for g, k in zip(ids, first)
    }


#: Sequential colours for values before normalization, diverging (centred on 0) after (Plotly's
#: Viridis and RdBu reversed, as 9 stops each).
_VIRIDIS = ["#440154", "#472C7A", "#3B518B", "#2C718E", "#21908D", "#27AD81", "#5CC863",
            "#AADC32", "#FDE725"]  # fmt: skip
_RDBU_R = ["#053061", "#2166AC", "#4393C3", "#92C5DE", "#F7F7F7", "#FDDBC7", "#F4A582",
           "#D6604D", "#67001F"]  # fmt: skip


#: The colour of every cell with ``colour_by="plain"`` (light grey).
_PLAIN_RGB = (214, 214, 220)


def value_colours(values: np.ndarray, diverging: bool) -> tuple[np.ndarray, float, float]:
    """Each cell's colour by value: Viridis from min to max, or RdBu centred on 0.

    Returns
    -------
    rgb : ndarray of uint8, shape values.shape + (3,)
    low, high : float
        The values at the two ends of the scale.
    """
    values = np.asarray(values, dtype=np.float64)
    if diverging:
        high = float(np.max(np.abs(values))) or 1.0
        low = -high
        stops = _RDBU_R
    else:
        low, high = float(values.min()), float(values.max())
        if high == low:
            high = low + 1.0
        stops = _VIRIDIS
    rgb = np.array([hex_to_rgb(s) for s in stops], dtype=np.float64)
    t = (values - low) / (high - low) * (len(stops) - 1)
    t = np.clip(t, 0, len(stops) - 1)
    k = np.minimum(t.astype(int), len(stops) - 2)
    frac = (t - k)[..., None]
    mixed = rgb[k] * (1 - frac) + rgb[k + 1] * frac
    return mixed.round().astype(np.uint8), low, high


def map_payload(
    plan: DrawPlan,
    labels: np.ndarray,
    *,
    x: np.ndarray,
    y: np.ndarray,
    mean: np.ndarray,
    var: np.ndarray,
    uses_variance: bool = True,
    mean_square: bool = False,
    formula: Formula | None = None,
    colour_by: str = "group",
    selected=None,
    sample_names: Sequence[str] | None = None,
    channel_names: Sequence[str] | None = None,
    link: str = "",
    title: str = "",
    font_px: int = 13,
    max_height_px: int | None = None,
    file_name: str = "group-map",
    colour_values: np.ndarray | None = None,
    diverging: bool = False,
    statistics: bool = True,
    y_label: str = "y",
    colour_label: str = "",
    extra: Mapping[str, np.ndarray] | None = None,
    window: Mapping | None = None,
    marks: np.ndarray | None = None,
    mark_styles: Sequence[Mapping] = (),
    light: bool = True,
    clicks: str = "select",
) -> bytes:
    """The drawn cells of one scheme's group map as a binary payload for the browser.

    Parameters
    ----------
    plan : DrawPlan
    labels : ndarray of int, shape (N, C, H, W)
        Every cell's group id (:func:`bnviz.group_labels`).
    x, y : ndarray of shape (N, C, H, W)
        Input and output.
    mean, var : ndarray broadcastable to (N, C, H, W)
        Each cell's group statistics.
    uses_variance : bool
        False where the scheme only subtracts the mean (σ² is then not shown).
    mean_square : bool
        True where the scheme divides by the root mean square (RMS, pixel norm): the tooltip
        shows each group's mean x² (σ² + μ²) instead of μ and σ².
    formula : Formula, optional
        The scheme's formula: sets ``uses_variance`` and ``mean_square`` from what it divides by.
    colour_by : {"group", "x", "y", "values", "plain"}
        "plain": every cell one light grey (nothing about the groups or values is shown).
    selected : tuple (n, c, h, w), optional
        Outlined, and its group lit when nothing is hovered.
    sample_names, channel_names : sequence of str, optional
        One per sample / channel of the tensor (default "n=0", "c=0", ...).
    link : str
        Maps with the same non-empty ``link`` light, on hover in any of them, each its own group
        of the hovered cell (Compare).
    title : str
        Drawn above the map.
    font_px : int
        Label size (larger for a projector).
    max_height_px : int, optional
        Cells shrink so the map is at most this tall.
    file_name : str
        Name of the PNG the map's download button saves.
    colour_values : ndarray of shape (N, C, H, W), optional
        With ``colour_by="values"``: the values that colour the cells (``diverging``: a scale
        centred on 0).
    statistics : bool
        False where the cells share no statistics (local norms): the tooltip shows no μ, σ².
    y_label : str
        What the tooltip calls ``y``.
    colour_label : str
        What colours the cells, in words (with ``colour_by="values"``).
    extra : mapping of str to ndarray of shape (N, C, H, W), optional
        More values the tooltip shows, by name.
    window : mapping, optional
        For a local normalization: ``{"axis": "C" or "HW", "extents": [[before, after], ...]}``,
        the window of cells one output reads (one pair for C, one per row and column for HW);
        hover then lights the hovered cell's window instead of its group.
    marks : ndarray of int, shape (N, C, H, W), optional
        A mark per cell, drawn over its colour: 0 none, k ≥ 1 the k-th of ``mark_styles``
        (the quiz's chosen, missed and extra cells).
    mark_styles : sequence of mapping
        One per mark value: ``{"name": str, "style": "dot" | "ring" | "cross", "colour":
        "#rrggbb"}``; the tooltip names a cell's mark.
    light : bool
        False: hovering or selecting lights no group (a quiz must not give the groups away).
    clicks : {"select", "toggle"}
        "select": a click selects the cell (state value ``cell``); "toggle": a click adds the
        cell to or removes it from the cells marked 1, and the browser sends them all (state
        value ``marked``, a list of (n, c, h, w)); the selected cell is not toggled.

    Returns
    -------
    bytes
        ``MAGIC``, the header's length (uint32, little-endian), the JSON header, then the arrays
        (8-byte aligned; offsets in the header): ``group`` (each drawn cell's index into the
        group table, uint16 or int32), ``rgb`` (uint8 × 3), ``x``, ``y`` (float32); the group
        table ``group_id`` (int32), ``group_mean``, ``group_var`` (float32).
    """
    if formula is not None:
        uses_variance, mean_square = formula.uses_variance, formula.divide == "rms"
    n, c, h, w = plan.shape
    drawn_labels = plan.take(labels)
    ids, compact = np.unique(drawn_labels, return_inverse=True)
    if colour_by == "group":
        rgb, distinct = group_colours(drawn_labels)
        low = high = None
    elif colour_by == "plain":  # one neutral colour: nothing about the cells is told
        rgb = np.broadcast_to(np.array(_PLAIN_RGB, dtype=np.uint8), drawn_labels.shape + (3,))
        low = high = None
        distinct = True
    elif colour_by == "values":
        rgb, low, high = value_colours(plan.take(colour_values), diverging)
        distinct = True
    else:
        rgb, low, high = value_colours(plan.take(x if colour_by == "x" else y), colour_by == "y")
        distinct = True
    # One value per group: the statistics at the first drawn cell of each group.
    first = np.unique(compact.reshape(-1), return_index=True)[1]
    group_mean = plan.take(mean).reshape(-1)[first]
    group_var = plan.take(var).reshape(-1)[first]
    arrays = {
        "group": compact.reshape(-1).astype(np.uint16 if len(ids) < 2**16 else np.int32),
        "rgb": rgb.reshape(-1),
        "x": plan.take(x).astype(np.float32).reshape(-1),
        "y": plan.take(y).astype(np.float32).reshape(-1),
        "group_id": ids.astype(np.int32),
        "group_mean": group_mean.astype(np.float32),
        "group_var": group_var.astype(np.float32),
    }
    extra_names = list(extra or {})
    for k, name in enumerate(extra_names):
        arrays[f"extra{k}"] = plan.take(extra[name]).astype(np.float32).reshape(-1)
    if marks is not None:
        arrays["marks"] = plan.take(marks).astype(np.uint8).reshape(-1)
    position = plan.position(selected)
    header = {
        "shape": list(plan.drawn_shape),
        "full_shape": [n, c, h, w],
        "samples": plan.samples.tolist(),
        "channels": plan.channels.tolist(),
        "rows": plan.rows.tolist(),
        "cols": plan.cols.tolist(),
        "sample_names": [
            str(sample_names[k]) if sample_names else f"n={k}" for k in plan.samples.tolist()
        ],
        "channel_names": [
            str(channel_names[k]) if channel_names else f"c={k}" for k in plan.channels.tolist()
        ],
        "selected": list(selected) if position is not None else None,
        "distinct": distinct,
        "colour_by": colour_by,
        "scale": None if low is None else [low, high],
        "uses_variance": uses_variance,
        "mean_square": mean_square,
        "statistics": statistics,
        "y_label": y_label,
        "colour_label": colour_label,
        "extra_names": extra_names,
        "window": dict(window) if window else None,
        "mark_styles": [dict(style) for style in mark_styles],
        "light": light,
        "clicks": clicks,
        "link": link,
        "title": title,
        "font_px": font_px,
        "max_height_px": max_height_px,
        "file_name": file_name,
        "arrays": {},
    }
    blobs = []
    offset = 0
    for name, array in arrays.items():
        array = np.ascontiguousarray(array)
        header["arrays"][name] = [array.dtype.str.lstrip("<|"), offset, int(array.size)]
        raw = array.tobytes()
        padding = (-len(raw)) % 8
        blobs.append(raw + b"\0" * padding)
        offset += len(raw) + padding
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((-(len(MAGIC) + 4 + len(text))) % 8)
    return MAGIC + struct.pack("<I", len(text)) + text + b"".join(blobs)


def read_payload(payload: bytes) -> tuple[dict, dict]:
    """The header and the arrays of a :func:`map_payload` blob (what the browser reads)."""
    if payload[: len(MAGIC)] != MAGIC:
        raise ValueError("not a group-map payload")
    (length,) = struct.unpack_from("<I", payload, len(MAGIC))
    start = len(MAGIC) + 4
    header = json.loads(payload[start : start + length])
    base = start + length
    arrays = {
        name: np.frombuffer(payload, dtype=np.dtype(dtype), count=count, offset=base + offset)
        for name, (dtype, offset, count) in header["arrays"].items()
    }
    return header, arrays
