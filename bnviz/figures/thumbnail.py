"""Small pictures as RGB arrays: a group map in miniature, and a few lines.

Pure NumPy (no Plotly, no browser): the Questions page shows one beside each answer, and
twenty of them must cost less than one interactive map.  ``st.image`` (or Pillow) draws the
arrays as they are.

Conventions: tensors are (N, C, H, W); a thumbnail is an ndarray of uint8 of shape
(height, width, 3) on a white ground; tiles are laid out as the group map lays them out (rows are
samples, columns are channels, each tile one feature map).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .groupmap import PALETTE, DrawPlan, _ordinal, group_colours, hex_to_rgb, plan_drawing

#: Okabe & Ito's names for the colours of :data:`PALETTE`, for captions of line pictures.
COLOUR_NAMES = (
    "orange",
    "sky blue",
    "bluish green",
    "yellow",
    "blue",
    "vermilion",
    "reddish purple",
    "grey",
)
_NAMED = {**dict(zip(PALETTE, COLOUR_NAMES)), "#222222": "black"}


def colour_name(hex_colour: str) -> str:
    """A caption's name for a colour of the palette (or the near-black of "no normalization")."""
    return _NAMED[hex_colour.upper()]


WHITE = np.array([255, 255, 255], dtype=np.uint8)
#: Cells outside the highlighted ones are mixed this much with white.
FADE = 0.8
GAP_PX = 4
MARK_RGB = np.array([20, 20, 20], dtype=np.uint8)


#: A thumbnail's room, in pixels.
WIDTH_PX, HEIGHT_PX = 280, 180


def thumbnail_plan(shape, width_px: int = WIDTH_PX, height_px: int = HEIGHT_PX):
    """Which cells of an (N, C, H, W) tensor :func:`map_thumbnail` draws in that room
    (``.text`` says it): a :class:`~bnviz.figures.groupmap.DrawPlan`, or for a token tensor
    (:func:`tokens_layout`) a :class:`TokensPlan`, planned as the picture lays it out."""
    if tokens_layout(shape):
        n, c, _, length = (int(v) for v in shape)
        return TokensPlan(
            tuple(int(v) for v in shape), _plan((1, n, c, length), width_px, height_px)
        )
    return _plan(shape, width_px, height_px)


def _plan(shape, width_px: int, height_px: int) -> DrawPlan:
    return plan_drawing(
        shape,
        width_px=width_px + 40,  # plan_drawing keeps 40 px for sample names; a thumbnail has none
        height_px=height_px,
        min_cell_px=2,
        max_samples=4,
        min_samples=1,
        max_channels=8,
        min_channels=1,
    )


@dataclass(frozen=True)
class TokensPlan:
    """What a token tensor's thumbnail draws: its (N, C, 1, L) cells laid out as one C × L block
    per sample, side by side, i.e. ``plan`` of the (1, N, C, L) picture.

    ``take`` and ``position`` speak of the tensor's cells and return the picture's (1, S, C', L')
    layout; ``text_with`` names samples, features and tokens.
    """

    shape: tuple
    plan: DrawPlan

    @property
    def complete(self) -> bool:
        return self.plan.complete

    def take(self, array: np.ndarray) -> np.ndarray:
        """The drawn cells of ``array`` (broadcastable to ``shape``), shape (1, S, C', L')."""
        n, c, _, length = self.shape
        return self.plan.take(np.broadcast_to(array, self.shape).reshape(1, n, c, length))

    def position(self, cell) -> tuple | None:
        """Where the cell (n, c, 0, l) is drawn in the picture's layout; None when it is not."""
        return None if cell is None else self.plan.position((0, cell[0], cell[1], cell[3]))

    def text_with(self, whole: str) -> str:
        """What is drawn, ending with ``whole`` ("" when every cell is)."""
        if self.complete:
            return ""
        n, c, _, length = self.shape
        _, samples, features, tokens = self.plan.drawn_shape
        parts = [f"samples 0–{samples - 1} of {n}"] if samples < n else []
        if features < c or tokens < length:
            parts.append(
                f"every {_ordinal(self.plan.stride)} feature and token "
                f"({features} of {c} features × {tokens} of {length} tokens drawn)"
            )
        return "Drawn: " + ", ".join(parts) + f"; {whole}."

    @property
    def text(self) -> str:
        return self.text_with("the statistics use the whole tensor")


def map_thumbnail(
    labels: np.ndarray,
    *,
    highlight: np.ndarray | None = None,
    mark=None,
    width_px: int = WIDTH_PX,
    height_px: int = HEIGHT_PX,
) -> np.ndarray:
    """A group map in miniature: each group one colour, as the interactive map colours it.

    Parameters
    ----------
    labels : ndarray of int, shape (N, C, H, W)
        Group ids (same id: same mean and variance), e.g. from :func:`bnviz.group_labels`.
    highlight : ndarray of bool, broadcastable to (N, C, H, W), optional
        Cells drawn in full colour; the others are faded (a group, a window, a Jacobian row).
    mark : tuple of int (n, c, h, w), optional
        A cell outlined in black (the selected cell), when it is drawn.
    width_px, height_px : int
        The room the picture may take; cells are square, at least 2 px.

    Returns
    -------
    ndarray of uint8, shape (height, width, 3)
        Rows of tiles are samples, columns channels, each tile an H × W map; when H = 1
        (:func:`tokens_layout`) each sample is one tile instead, side by side, channels down and
        W across.
        At most ``width_px`` wide; the first samples and channels and every k-th row and column
        when the tensor is larger (:func:`thumbnail_plan`).
    """
    labels = np.asarray(labels)
    # A token tensor's plan takes its cells already laid out as the picture: (1, S, C, L).
    plan = thumbnail_plan(labels.shape, width_px, height_px)
    drawn = plan.take(labels)
    rgb, _ = group_colours(drawn)
    if highlight is not None:
        lit = plan.take(np.asarray(highlight, dtype=bool))
        faded = (FADE * 255 + (1 - FADE) * rgb.astype(np.float64)).round().astype(np.uint8)
        rgb = np.where(lit[..., None], rgb, faded)
    s, c, h, w = rgb.shape[:4]
    cell = max(
        2,
        min(
            (width_px - (c - 1) * GAP_PX) // (c * w), (height_px - (s - 1) * GAP_PX) // (s * h), 24
        ),
    )
    tile_h, tile_w = h * cell, w * cell
    image = np.empty((s * tile_h + (s - 1) * GAP_PX, c * tile_w + (c - 1) * GAP_PX, 3), np.uint8)
    image[:] = WHITE
    for n in range(s):
        for k in range(c):
            tile = np.repeat(np.repeat(rgb[n, k], cell, axis=0), cell, axis=1)
            top, left = n * (tile_h + GAP_PX), k * (tile_w + GAP_PX)
            image[top : top + tile_h, left : left + tile_w] = tile
    where = plan.position(mark) if mark is not None else None
    if where is not None and cell >= 3:
        n, k, i, j = where
        top, left = n * (tile_h + GAP_PX) + i * cell, k * (tile_w + GAP_PX) + j * cell
        box = image[top : top + cell, left : left + cell]
        box[[0, -1], :] = MARK_RGB
        box[:, [0, -1]] = MARK_RGB
    return image


def tokens_layout(shape) -> bool:
    """True when :func:`map_thumbnail` draws ``shape`` as one block per sample (H = 1 < W: a
    sequence of W tokens with C features, features down and tokens across)."""
    return int(shape[2]) == 1 < int(shape[3])


def lines_thumbnail(
    series: Sequence[np.ndarray],
    *,
    colours: Sequence[str] | None = None,
    width_px: int = WIDTH_PX,
    height_px: int = 140,
    level: float | None = None,
) -> np.ndarray:
    """Lines over a common x axis (step 0, 1, 2, ...), each in its own colour.

    Parameters
    ----------
    series : sequence of ndarray of shape (T,)
        The lines' values, one per step (the same T for all).
    colours : sequence of "#rrggbb", optional
        One per line; the group map's palette by default.
    level : float, optional
        A dashed grey horizontal line at this value (a population's value, say).

    Returns
    -------
    ndarray of uint8, shape (height_px, width_px, 3)
        The y range spans every line and ``level``; no axes or labels (the caption says what
        is drawn).
    """
    colours = colours or PALETTE
    values = [np.asarray(line, dtype=np.float64) for line in series]
    everything = np.concatenate(values + ([np.array([level])] if level is not None else []))
    low, high = float(everything.min()), float(everything.max())
    if high == low:
        high, low = high + 1.0, low - 1.0
    margin = 6
    image = np.empty((height_px, width_px, 3), np.uint8)
    image[:] = WHITE

    def to_row(v):
        return np.round(margin + (high - v) / (high - low) * (height_px - 2 * margin)).astype(int)

    if level is not None:
        row = int(to_row(np.array(level)))
        for x0 in range(margin, width_px - margin, 8):
            image[row, x0 : x0 + 4] = (150, 150, 150)
    for line, colour in zip(values, colours):
        steps = len(line)
        # Sample each line densely along x so the pixels join up, two pixels thick.
        xs = np.linspace(0, max(steps - 1, 1), 4 * width_px)
        ys = np.interp(xs, np.arange(steps), line)
        cols = np.round(margin + xs / max(steps - 1, 1) * (width_px - 2 * margin)).astype(int)
        rows = to_row(ys)
        for dr in (0, 1):
            image[np.clip(rows + dr, 0, height_px - 1), cols] = hex_to_rgb(colour)
    return image
