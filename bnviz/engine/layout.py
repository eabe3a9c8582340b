"""How a scheme partitions a tensor: the single place that turns a scheme's kept axes into shapes.

:func:`layout` is the one source of truth behind :func:`bnviz.group_labels`,
:func:`bnviz.normalize` and :func:`bnviz.describe`: all three read the same
:class:`Layout`, so labels can never disagree with the statistics.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .axes import AxisOrder
from .axes import axis_order as get_axis_order
from .errors import InputError
from .schemes import Scheme, get_scheme, resolve_params

#: Axis names a user sees, by rank: (N, C) dense, (N, C, L) temporal, (N, C, H, W) spatial.
AXIS_LABELS = {2: ("N", "C"), 3: ("N", "C", "L"), 4: ("N", "C", "H", "W")}
#: Which of the (N, C, H, W) axes a tensor of each rank really has (L of rank 3 plays W).
NCHW_AXES_PRESENT = {2: ("N", "C"), 3: ("N", "C", "W"), 4: ("N", "C", "H", "W")}
#: Caps that keep one call's memory bounded (values of x), far above what the app allows.
MAX_VALUES = 2**28


@dataclass(frozen=True)
class Layout:
    """A scheme applied to a tensor shape.

    Attributes
    ----------
    scheme : Scheme
    params : dict
        The scheme's validated hyper-parameters (defaults filled in).
    shape : tuple of int
        The tensor's shape as given, rank 2 (N, C), 3 (N, C, L) or 4 (N, C, H, W).
    nchw : tuple of int
        The same tensor seen as (N, C, H, W): (N, C) is (N, C, 1, 1) and (N, C, L) is (N, C, 1, L).
    view_shape : tuple of int
        The 5-D view (N, G, Cg, H, W) the statistics are computed on.
    kept : tuple of bool
        For each axis of the view, whether it keeps its own statistics (True) or is reduced.
    order : AxisOrder or None
        The layout the tensor came in (:mod:`bnviz.engine.axes`); ``shape`` and everything here
        are in the engine's channels-first order, the axes named as that layout names them.
    """

    scheme: Scheme
    params: dict
    shape: tuple
    nchw: tuple
    view_shape: tuple
    kept: tuple
    order: AxisOrder | None = None

    @property
    def axis_labels(self) -> tuple:
        """The user-facing axis names of ``shape`` (engine order), e.g. ("N", "C", "H", "W"), or
        ("N", "D", "L") for a token tensor."""
        return self.order.engine_letters if self.order else AXIS_LABELS[len(self.shape)]

    @property
    def tokens(self) -> bool:
        """True for a token tensor (N, L, D)."""
        return bool(self.order and self.order.tokens)

    @property
    def reduced_axes(self) -> tuple:
        """Indices of the view axes that are averaged over."""
        return tuple(i for i, keep in enumerate(self.kept) if not keep)

    @property
    def stat_shape(self) -> tuple:
        """Shape of the statistics on the view: kept axes keep their size, reduced ones become 1."""
        return tuple(n if keep else 1 for n, keep in zip(self.view_shape, self.kept, strict=False))

    @property
    def groups(self) -> int:
        """How many cells-sharing groups, i.e. how many (mean, variance) pairs."""
        return math.prod(self.stat_shape)

    @property
    def group_size(self) -> int:
        """Cells per group: the effective mini-batch m'."""
        return math.prod(self.view_shape) // self.groups

    @property
    def group_factors(self) -> tuple:
        """The reduced axes as (name, size) pairs whose product is ``group_size``.

        Axes the tensor does not have (H and W of a rank-2 input, H of a rank-3 one) are left out;
        a split channel axis shows as ``("C/G", Cg)``.
        """
        n, g, cg, h, w = self.view_shape
        kept_n, kept_g, kept_cg, kept_h, kept_w = self.kept
        rank = len(self.shape)
        names = self.axis_labels
        factors = []
        if not kept_n:
            factors.append((names[0], n))
        if not kept_g and not kept_cg:
            factors.append((names[1], g * cg))
        elif not kept_cg:
            factors.append((f"{names[1]}/G", cg))
        if rank == 4 and not kept_h:
            factors.append((names[2], h))
        if rank >= 3 and not kept_w:
            factors.append((names[-1], w))
        return tuple(factors)

    @property
    def param_axes(self) -> tuple | None:
        """The (N, C, H, W) axes of gamma and beta for these parameters; None if there are none."""
        if self.tokens and self.scheme.token_param_axes is not None:
            return self.scheme.token_param_axes
        return self.scheme.param_axes_for(self.params)

    @property
    def param_shape(self) -> tuple | None:
        """Shape of gamma and beta as PyTorch's module holds them; None if the scheme has none."""
        if self.param_axes is None:
            return None
        sizes = dict(zip(AXIS_LABELS[4], self.nchw, strict=False))
        present = NCHW_AXES_PRESENT[len(self.shape)]
        return tuple(sizes[a] for a in self.param_axes if a in present)

    @property
    def param_broadcast_shape(self) -> tuple:
        """Shape that broadcasts gamma and beta against the (N, C, H, W) tensor."""
        axes = self.param_axes or ()
        return tuple(n if a in axes else 1 for a, n in zip(AXIS_LABELS[4], self.nchw, strict=False))

    def labels(self) -> np.ndarray:
        """Every cell's group label, shape ``shape`` (a read-only broadcast view; see group_labels)."""
        ids = np.arange(self.groups, dtype=np.int64).reshape(self.stat_shape)
        return np.broadcast_to(ids, self.view_shape).reshape(self.shape)

    def expand_stat(self, stat: np.ndarray) -> np.ndarray:
        """Turn statistics of ``stat_shape`` into an array broadcastable to a tensor of ``shape``.

        Each axis of the result has the tensor's size where that axis keeps statistics and 1 where
        it is reduced; a channel axis split into groups is repeated per channel.
        """
        n, g, cg, h, w = self.view_shape
        kept_n, kept_g, kept_cg, kept_h, kept_w = self.kept
        if kept_g and not kept_cg:
            stat = np.broadcast_to(stat, stat.shape[:2] + (cg,) + stat.shape[3:])
        channels = g * cg if (kept_g or kept_cg) else 1
        nchw = (stat.shape[0], channels, stat.shape[3], stat.shape[4])
        stat = stat.reshape(nchw)
        if len(self.shape) == 2:
            return stat.reshape(nchw[:2])
        if len(self.shape) == 3:
            return stat.reshape(nchw[:2] + nchw[3:])
        return stat


def check_shape(shape) -> tuple:
    """Validate a tensor shape (rank 2 to 4, every size at least 1); return it as a tuple of int."""
    try:
        shape = tuple(int(n) for n in shape)
    except (TypeError, ValueError):
        raise InputError(f"A shape must be a sequence of integers, not {shape!r}.") from None
    if len(shape) not in AXIS_LABELS:
        raise InputError(
            f"Expected a tensor of rank 2 (N, C), 3 (N, C, L) or 4 (N, C, H, W); got rank "
            f"{len(shape)} with shape {shape}."
        )
    if min(shape) < 1:
        raise InputError(f"Every axis needs at least one cell; got shape {shape}.")
    if math.prod(shape) > MAX_VALUES:
        raise InputError(
            f"Shape {shape} has {math.prod(shape):,} values; the limit is {MAX_VALUES:,}."
        )
    return shape


def layout(
    shape, scheme: str | Scheme, *, axis_order: str | AxisOrder | None = None, **params
) -> Layout:
    """How ``scheme`` partitions a tensor of ``shape`` (rank 2, 3 or 4) into statistic groups.

    ``axis_order`` names the tensor's layout ("NCHW", "NHWC", "NCL", "NLD", ...; see
    :mod:`bnviz.engine.axes`; default: channels first); the result is in the engine's
    channels-first order.  Raises InputError for a bad shape or layout, an unknown scheme or
    bad parameters.
    """
    shape = check_shape(shape)
    order = (
        axis_order if isinstance(axis_order, AxisOrder) else get_axis_order(axis_order, len(shape))
    )
    shape = order.engine_shape(shape)
    scheme = get_scheme(scheme)
    if len(shape) == 2:
        nchw = shape + (1, 1)
    elif len(shape) == 3:
        nchw = (shape[0], shape[1], 1, shape[2])
    else:
        nchw = shape
    n, c, h, w = nchw
    resolved = resolve_params(scheme, c, params)
    kept_names = scheme.kept_axes(resolved)
    if order.tokens and scheme.token_kept is not None:
        kept_names = scheme.token_kept
    groups = scheme.channel_groups(resolved) if scheme.splits_channels(resolved) else 1
    view_shape = (n, groups, c // groups, h, w)
    kept = (
        "N" in kept_names,
        "G" in kept_names or "C" in kept_names,
        "C" in kept_names,
        "H" in kept_names,
        "W" in kept_names,
    )
    return Layout(scheme, resolved, shape, nchw, view_shape, kept, order)


#: :func:`layout` under a second name, for the functions whose ``layout=`` argument (the tensor's
#: axis order, as the public API names it) hides the function's own name.
partition = layout


def group_labels(shape, scheme: str | Scheme, *, layout: str | None = None, **params) -> np.ndarray:
    """Label every cell of a tensor of ``shape`` with the index of its statistic group.

    Parameters
    ----------
    shape : tuple of int
        (N, C), (N, C, L) or (N, C, H, W), or as ``layout`` orders the axes.
    scheme : str
        A scheme id (see ``bnviz.SCHEMES``).
    layout : str, optional
        The tensor's layout: "NCHW", "NHWC", "NCL", "NLD" (tokens), ... (default channels first).
    **params
        The scheme's hyper-parameters, e.g. ``num_groups`` for ``"group"``.

    Returns
    -------
    labels : ndarray of int64, of shape ``shape``
        Two cells have the same label exactly when they share a mean and a variance.  Labels run
        from 0 to ``groups - 1`` in row-major order of the kept axes (in the engine's order).
    """
    lay = partition(shape, scheme, axis_order=layout, **params)
    return lay.order.from_engine_array(lay.labels()).copy()


def group_index(lay: Layout, label: int) -> tuple:
    """An index into the (N, G, Cg, H, W) view that selects every cell of group ``label``.

    Kept axes get the group's coordinate, reduced axes a full slice: the same view and the same
    kept axes that :func:`group_labels` numbers, so ``view[group_index(lay, k)]`` holds exactly
    the cells labelled ``k``.
    """
    if not 0 <= label < lay.groups:
        raise InputError(f"Group {label} does not exist; there are {lay.groups} groups.")
    coordinates = np.unravel_index(label, lay.stat_shape)
    return tuple(
        int(coordinate) if keep else slice(None) for coordinate, keep in zip(coordinates, lay.kept)
    )


def group_values(x: np.ndarray, lay: Layout, label: int) -> np.ndarray:
    """The values of ``x`` (shape ``lay.shape``) in group ``label``, as a flat array."""
    view = np.asarray(x).reshape(lay.view_shape)
    return view[group_index(lay, label)].ravel()
