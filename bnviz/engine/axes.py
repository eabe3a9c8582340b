"""Layouts as data: a tensor's axes, their letters and roles, and the way to the engine's order.

The engine computes on channels-first tensors, (N, C), (N, C, L) or (N, C, H, W).  A tensor laid
out otherwise names its layout with a string of axis letters, and is permuted on the way in and
back on the way out:

- ``"NC"``, ``"NCL"``, ``"NCHW"``: PyTorch's channels-first order (the defaults for ranks 2–4);
- ``"NHWC"``: channels last (TensorFlow/Keras' default, ConvNeXt's LayerNorm);
- ``"NLD"``: a token tensor (batch, sequence, features), as transformers hold it: D plays the
  channel's role and L the position's, so it is computed as (N, D, L).  On tokens, ``layer`` and
  ``rms`` mean what transformers use (each token over D; see ``Scheme.token_kept``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import InputError


@dataclass(frozen=True)
class AxisOrder:
    """A tensor layout.

    Attributes
    ----------
    name : str
        Its letters in memory order, e.g. ``"NHWC"``.
    to_engine : tuple of int
        The permutation taking a tensor of this layout to the engine's channels-first order
        (``np.transpose(x, to_engine)``).
    engine_letters : tuple of str
        The axes' letters in the engine's order, as the user names them: ("N", "C", "H", "W"),
        ("N", "D", "L") for tokens.
    tokens : bool
        True for a token tensor (N, L, D).
    """

    name: str
    to_engine: tuple
    engine_letters: tuple
    tokens: bool = False

    @property
    def rank(self) -> int:
        return len(self.name)

    @property
    def from_engine(self) -> tuple:
        """The permutation back from the engine's order to this layout."""
        return tuple(int(i) for i in np.argsort(self.to_engine))

    @property
    def is_engine_order(self) -> bool:
        return self.to_engine == tuple(range(self.rank))

    def engine_shape(self, shape) -> tuple:
        """``shape`` (in this layout) in the engine's order."""
        return tuple(shape[i] for i in self.to_engine)

    def to_engine_array(self, x: np.ndarray) -> np.ndarray:
        return x if self.is_engine_order else np.transpose(x, self.to_engine)

    def from_engine_array(self, y: np.ndarray) -> np.ndarray:
        return y if self.is_engine_order else np.transpose(y, self.from_engine)


AXIS_ORDERS = {
    order.name: order
    for order in (
        AxisOrder("NC", (0, 1), ("N", "C")),
        AxisOrder("NCL", (0, 1, 2), ("N", "C", "L")),
        AxisOrder("NCHW", (0, 1, 2, 3), ("N", "C", "H", "W")),
        AxisOrder("NHWC", (0, 3, 1, 2), ("N", "C", "H", "W")),
        AxisOrder("NLD", (0, 2, 1), ("N", "D", "L"), tokens=True),
    )
}
#: The layout a tensor of each rank has when none is named.
DEFAULT_ORDERS = {2: "NC", 3: "NCL", 4: "NCHW"}


def axis_order(name: str | None, rank: int) -> AxisOrder:
    """The layout called ``name`` (None: the default for ``rank``); InputError where it does not
    exist or does not fit a tensor of ``rank`` axes."""
    if name is None:
        if rank not in DEFAULT_ORDERS:
            raise InputError(
                f"Expected a tensor of rank 2 (N, C), 3 (N, C, L) or 4 (N, C, H, W); got rank "
                f"{rank}."
            )
        name = DEFAULT_ORDERS[rank]
    order = AXIS_ORDERS.get(str(name).upper())
    if order is None:
        raise InputError(f"Unknown layout {name!r}; known layouts: {', '.join(AXIS_ORDERS)}.")
    if order.rank != rank:
        raise InputError(f"Layout {order.name} needs a tensor of rank {order.rank}, not {rank}.")
    return order
