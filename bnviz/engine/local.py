"""The local normalizations that came before batch norm: each cell divided by its own neighbourhood.

Local response normalization (AlexNet, Caffe, PyTorch) and MatConvNet's cross-channel and spatial
normalizations share no statistics: every cell ``x`` is divided by a power of the energy of the
cells in a small window around it,

    y = x · (k + a · Σ x'²)^(−β),   the sum over the window,

and the schemes differ only in where the window lies (along the channels, or over an n × n patch of
one channel), where an even window puts its extra cell, what ``a`` is (α, α/n or α/n²; or α over
the number of in-image cells), and the constant ``k``.  Each scheme is one declaration in
:data:`LOCAL_SCHEMES`; :func:`local_normalize`, :func:`window`, :func:`local_terms` and
:func:`neighbourhood` read those declarations and nothing else.

Conventions (all verified against the frameworks' code; PyTorch's by the tests):

- Cells outside the tensor count as 0 in the sum (zero padding; for MatConvNet's clipped channel
  window this is the same thing).
- For a window of ``n`` cells along an axis, ``before`` cells precede the centre and
  ``n − 1 − before`` follow it.  PyTorch's ``local_response_norm`` pads ``size // 2`` before and
  ``(size − 1) // 2`` after, so an even window is longer *before* the cell (size 4: c − 2 … c + 1);
  MatConvNet takes ``⌊(N − 1)/2⌋`` before, so an even window is longer *after* it (c − 1 … c + 2).
- Shapes: the channel schemes (``lrn``, ``cross-channel``) take (N, C, H, W), (N, C, L) like
  PyTorch, and also (N, C), read as (N, C, 1) (PyTorch itself wants at least 3 dimensions).  The
  spatial schemes (``lrn-within``, ``spatial``) need (N, C, H, W).

Caffe's mean-variance normalization (MVN) *does* share statistics, so it is the ``"mvn"`` entry of
:data:`bnviz.SCHEMES`, not a local scheme.  :func:`neighbourhood` answers for both kinds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from .errors import InputError, look_up
from .layout import check_shape, group_labels
from .normalize import as_float_array
from .schemes import SCHEMES, Param, Scheme, resolve_params

#: The axes a window slides along, by kind of scheme.
CHANNEL_AXES = ("C",)
SPATIAL_AXES = ("H", "W")


@dataclass(frozen=True)
class LocalScheme:
    """A normalization that divides each cell by the energy of a window of cells around it.

    y = x · (k + α / D · S)^(−β), where S is the sum of x² over the window (cells outside the
    tensor count 0) and D the divisor rule below.

    Attributes
    ----------
    id : str
        The identifier used in the Python API (``"lrn"``, ``"spatial"``, ...).
    name : str
        A short human name.
    framework : str
        Where the definition comes from ("PyTorch LocalResponseNorm, Caffe LRN ACROSS_CHANNELS").
    formula : str
        The formula as a LaTeX string.
    axes : tuple of str
        The axes the window spans: ``("C",)`` (across channels, at one location) or ``("H", "W")``
        (within one channel, over a patch of locations).
    size_params : tuple of str
        For each axis of ``axes``, the parameter giving the window's extent along it (``lrn-within``
        names ``"size"`` twice: an n × n square).
    longer_side : str
        ``"before"`` or ``"after"``: where an even window puts the cell it has more on one side.
        ``before = n // 2`` cells precede the centre when ``"before"``, ``(n - 1) // 2`` otherwise.
    divisor : str
        What α is divided by: ``"window"`` (the full window's cell count, n or n², whatever the
        borders), ``"one"`` (α is not divided) or ``"inside"`` (the number of window cells inside
        the tensor: a mean over in-image cells).
    offset : str or float
        The constant k added before the power: the name of the parameter holding it, or a number.
    params : tuple of Param
        The hyper-parameters with their defaults (the framework's documented ones).
    detail : str
        What the window is, in words.
    divisor_rule : str
        The divisor rule, in words.
    borders : str
        How the window is treated where it leaves the tensor, in words.
    torch : str or None
        The PyTorch equivalent, or None.
    odd_only : bool
        Whether the window's size must be odd.
    notes : tuple of str
        Sentences on conventions and differences from the framework.
    """

    id: str
    name: str
    framework: str
    formula: str
    axes: tuple
    size_params: tuple
    longer_side: str
    divisor: str
    offset: str | float
    params: tuple
    detail: str
    divisor_rule: str
    borders: str
    torch: str | None = None
    odd_only: bool = False
    notes: tuple = field(default=())

    @property
    def ranks(self) -> tuple:
        """The tensor ranks the scheme accepts: 2 to 4 across channels, 4 within a channel."""
        return (2, 3, 4) if self.axes == CHANNEL_AXES else (4,)


def _alpha(default: float, help_text: str) -> Param:
    return Param("alpha", "float", default, help_text)


BETA = Param("beta", "float", 0.75, "the exponent β")

#: The local (non-statistic-sharing) normalizations, by id.
LOCAL_SCHEMES: dict[str, LocalScheme] = {
    s.id: s
    for s in (
        LocalScheme(
            "lrn",
            "Local response norm across channels",
            "PyTorch LocalResponseNorm; Caffe LRN (norm_region ACROSS_CHANNELS)",
            r"y_{c} = x_{c}\left(k + \frac{\alpha}{n}"
            r"\sum_{c'=c-\lfloor n/2\rfloor}^{c+\lfloor (n-1)/2\rfloor} x_{c'}^{2}\right)^{-\beta}",
            axes=CHANNEL_AXES,
            size_params=("size",),
            longer_side="before",
            divisor="window",
            offset="k",
            params=(
                Param("size", "int", 5, "n, the number of channels in the window"),
                _alpha(1e-4, "α, divided by n"),
                BETA,
                Param("k", "float", 1.0, "the constant k added to the scaled sum"),
            ),
            detail="the n neighbouring channels c − ⌊n/2⌋ … c + ⌊(n − 1)/2⌋ at the same location",
            divisor_rule="α is divided by n, the full window, even where it leaves the tensor",
            borders="channels outside 0 … C − 1 count as 0 (zero padding)",
            torch="LocalResponseNorm(size, alpha, beta, k)",
            notes=(
                "PyTorch requires size; bnviz defaults to 5, the AlexNet and Caffe value.",
                "For an even n PyTorch's window has the extra channel before c: n = 4 sums "
                "channels c − 2 … c + 1 (Caffe accepts only odd n).",
            ),
        ),
        LocalScheme(
            "lrn-within",
            "Local response norm within a channel",
            "Caffe LRN (norm_region WITHIN_CHANNEL)",
            r"y_{h,w} = x_{h,w}\left(1 + \frac{\alpha}{n^{2}}"
            r"\sum_{|h'-h|\le\frac{n-1}{2},\ |w'-w|\le\frac{n-1}{2}} x_{h',w'}^{2}\right)^{-\beta}",
            axes=SPATIAL_AXES,
            size_params=("size", "size"),
            longer_side="before",  # n is odd: both sides have (n − 1) / 2 cells
            divisor="window",
            offset=1.0,
            params=(
                Param("size", "int", 5, "n, the side of the n × n window (odd)"),
                _alpha(1.0, "α, divided by n²"),
                BETA,
            ),
            detail="the n × n patch of the same channel centred on (h, w)",
            divisor_rule="α is divided by n², the full window, even where it leaves the image",
            borders="locations outside the image count as 0 (zero padding of (n − 1)/2)",
            torch=None,
            odd_only=True,
            notes=(
                "Caffe computes this as an average pooling of x² over the image zero-padded by "
                "(n − 1)/2; its average counts the padded cells, so it too divides by n² at the "
                "borders.",
                "Caffe's k parameter is not used within a channel: the constant is 1.",
            ),
        ),
        LocalScheme(
            "cross-channel",
            "Cross-channel norm (MatConvNet)",
            "MatConvNet vl_nnnormalize, PARAM = [N κ α β]",
            r"y_{c} = x_{c}\left(\kappa + \alpha"
            r"\sum_{c'=\max(0,\,c-\lfloor (N-1)/2\rfloor)}^{\min(C-1,\,c+\lceil (N-1)/2\rceil)}"
            r" x_{c'}^{2}\right)^{-\beta}",
            axes=CHANNEL_AXES,
            size_params=("depth",),
            longer_side="after",
            divisor="one",
            offset="kappa",
            params=(
                Param("depth", "int", 5, "N, the number of channels in the window"),
                Param("kappa", "float", 1.0, "the constant κ added to the scaled sum"),
                _alpha(0.0001 / 5, "α, not divided by the window size"),
                BETA,
            ),
            detail="the channels c − ⌊(N − 1)/2⌋ … c + ⌈(N − 1)/2⌉ at the same location",
            divisor_rule="α is not divided by the window size",
            borders="the window is clipped to the existing channels",
            torch=None,
            notes=(
                "MatConvNet calls the window size N; bnviz names it depth, N being the batch.",
                "For an even N the extra channel is after c (N = 4: c − 1 … c + 2), the opposite "
                "of PyTorch.",
                "With an odd N and α = α_PyTorch / N its formula equals PyTorch's "
                "LocalResponseNorm; MatConvNet's own CPU kernel approximates the power (fast_pow "
                "in matlab/src/bits/impl/normalize_cpu.cpp), so its outputs match only up to "
                "that approximation.",
            ),
        ),
        LocalScheme(
            "spatial",
            "Spatial norm (MatConvNet)",
            "MatConvNet vl_nnspnorm, PARAM = [PH PW α β]",
            r"y_{h,w} = x_{h,w}\left(1 + \alpha\,\frac{1}{|W_{h,w}|}"
            r"\sum_{(h',w')\in W_{h,w}} x_{h',w'}^{2}\right)^{-\beta}",
            axes=SPATIAL_AXES,
            size_params=("height", "width"),
            longer_side="after",
            divisor="inside",
            offset=1.0,
            params=(
                Param("height", "int", 2, "PH, the window's height"),
                Param("width", "int", 2, "PW, the window's width"),
                _alpha(10.0, "α, multiplying the mean of x² over the window"),
                Param("beta", "float", 2.0, "the exponent β"),
            ),
            detail=(
                "the PH × PW patch of the same channel, rows h − ⌊(PH − 1)/2⌋ … h + ⌈(PH − 1)/2⌉ "
                "and likewise for columns"
            ),
            divisor_rule=(
                "the sum is divided by the number of window cells inside the image (a mean of x²)"
            ),
            borders=(
                "locations outside the image are left out: the mean is over in-image cells only"
            ),
            torch=None,
            notes=(
                "Defaults are MatConvNet DagNN SpatialNorm's, param = [2 2 10 2].",
                "Away from the borders, with an odd square window of side n, it equals Caffe's "
                "within-channel LRN with the same α.",
            ),
        ),
    )
}


@dataclass(frozen=True)
class Preset:
    """A named choice of a local scheme and parameters, as a framework or paper used it."""

    scheme: str
    params: Mapping
    sentence: str


#: Well-known settings, by the label a page shows (pure data).
LOCAL_PRESETS: dict[str, Preset] = {
    "PyTorch defaults": Preset(
        "lrn",
        {"size": 5, "alpha": 1e-4, "beta": 0.75, "k": 1.0},
        "PyTorch's LocalResponseNorm defaults (α = 1e-4, β = 0.75, k = 1) with the usual size 5, "
        "which PyTorch leaves to the caller.",
    ),
    "Caffe defaults (α = 1)": Preset(
        "lrn",
        {"size": 5, "alpha": 1.0, "beta": 0.75, "k": 1.0},
        "Caffe's LRN layer defaults: local_size 5, α = 1, β = 0.75, k = 1 across channels. "
        "α = 1 is far stronger than AlexNet's; Caffe's AlexNet model sets α = 1e-4.",
    ),
    "Caffe within-channel defaults": Preset(
        "lrn-within",
        {"size": 5, "alpha": 1.0, "beta": 0.75},
        "Caffe's LRN defaults with norm_region WITHIN_CHANNEL: a 5 × 5 window, α = 1 divided by "
        "25, β = 0.75.",
    ),
    "AlexNet paper (k = 2, n = 5, α = 1e-4, β = 0.75, α not divided by n)": Preset(
        "lrn",
        {"size": 5, "alpha": 5e-4, "beta": 0.75, "k": 2.0},
        "Krizhevsky et al. (2012) use k = 2, n = 5, α = 1e-4, β = 0.75 with α not divided by n; "
        "in PyTorch's terms, where α is divided by n, that is α = 5 · 1e-4 = 5e-4.",
    ),
    "MatConvNet DagNN default [5 1 0.0001/5 0.75]": Preset(
        "cross-channel",
        {"depth": 5, "kappa": 1.0, "alpha": 0.0001 / 5, "beta": 0.75},
        "MatConvNet's dagnn.LRN default PARAM = [5 1 0.0001/5 0.75]: α is not divided by N, so "
        "α = 0.0001/5 is the formula of PyTorch's defaults with size 5 (MatConvNet's CPU "
        "kernel computes its power approximately, so its own outputs differ slightly).",
    ),
}


@dataclass(frozen=True)
class Window:
    """The window of one output cell: the index ranges its sum runs over, padding included.

    Attributes
    ----------
    axes : tuple of str
        The axes the window spans, ``("C",)`` or ``("H", "W")`` (for a rank-3 tensor "C" is still
        the channel axis).
    start, stop : tuple of int
        For each axis of ``axes``, the window's first index and one past its last.  They may lie
        outside the tensor (``start`` negative, ``stop`` beyond the axis' size), e.g. channels
        -2 … 2 for channel 0 and size 5: the page draws those cells as padding.
    sizes : tuple of int
        The tensor's size along each axis of ``axes``.
    divisor : int
        What α is divided by for this cell: n, n², 1, or the number of in-image cells.
    """

    axes: tuple
    start: tuple
    stop: tuple
    sizes: tuple
    divisor: int

    @property
    def ranges(self) -> tuple:
        """The window's full index ranges, one ``range`` per axis (may leave the tensor)."""
        return tuple(range(a, b) for a, b in zip(self.start, self.stop, strict=True))

    @property
    def inside_start(self) -> tuple:
        """``start`` clipped to the tensor."""
        return tuple(max(a, 0) for a in self.start)

    @property
    def inside_stop(self) -> tuple:
        """``stop`` clipped to the tensor."""
        return tuple(min(b, n) for b, n in zip(self.stop, self.sizes, strict=True))

    @property
    def shape(self) -> tuple:
        """The window's full extent: (n,) or (height, width)."""
        return tuple(b - a for a, b in zip(self.start, self.stop, strict=True))

    @property
    def cells(self) -> int:
        """Cells in the full window, padding included."""
        return math.prod(self.shape)

    @property
    def inside_cells(self) -> int:
        """Cells of the window that lie inside the tensor."""
        return math.prod(
            max(b - a, 0) for a, b in zip(self.inside_start, self.inside_stop, strict=True)
        )

    @property
    def padded_cells(self) -> int:
        """Cells of the window outside the tensor (they count as 0 in the sum)."""
        return self.cells - self.inside_cells

    def inside_mask(self) -> np.ndarray:
        """Boolean array of ``shape``: True where the window's cell lies inside the tensor."""
        masks = [
            (np.arange(a, b) >= 0) & (np.arange(a, b) < n)
            for a, b, n in zip(self.start, self.stop, self.sizes, strict=True)
        ]
        return masks[0] if len(masks) == 1 else np.logical_and.outer(masks[0], masks[1])


@dataclass(frozen=True)
class LocalTerms:
    """The numbers in one cell's formula, y = x · (k + α / D · S)^(−β).

    Attributes
    ----------
    scheme : LocalScheme
    params : dict
        The validated parameters (defaults filled in).
    index : tuple of int
        The cell, in the tensor's own rank: (n, c, h, w), (n, c, l) or (n, c).
    x : float
        The cell's value.
    window : Window
    window_values : ndarray of float64, of shape ``window.shape``
        The values the window covers, 0 at cells outside the tensor.
    sum_squares : float
        S, the sum of the squares of ``window_values``.
    offset : float
        The constant k (κ for MatConvNet, 1 for the spatial schemes).
    alpha, beta : float
    divisor : int
        D: n, n², 1, or the in-image cell count.
    base : float
        k + α / D · S.
    denominator : float
        base ** β.
    y : float
        x / denominator, computed in float64.
    """

    scheme: LocalScheme
    params: dict
    index: tuple
    x: float
    window: Window
    window_values: np.ndarray
    sum_squares: float
    offset: float
    alpha: float
    beta: float
    divisor: int
    base: float
    denominator: float
    y: float

    @property
    def latex(self) -> str:
        """The formula with this cell's numbers put in, as LaTeX."""
        scaled = (
            rf"{_num(self.alpha)} \cdot {_num(self.sum_squares)}"
            if self.divisor == 1
            else rf"\frac{{{_num(self.alpha)}}}{{{self.divisor}}} \cdot {_num(self.sum_squares)}"
        )
        return (
            rf"y = {_num(self.x)} \cdot \left({_num(self.offset)} + {scaled}\right)"
            rf"^{{-{_num(self.beta)}}} = \frac{{{_num(self.x)}}}{{{_num(self.denominator)}}}"
            rf" = {_num(self.y)}"
        )


def _num(value: float) -> str:
    """A number for a formula: 4 significant digits, LaTeX powers of ten."""
    text = f"{value:.4g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        power = rf"10^{{{int(exponent)}}}"
        return power if mantissa == "1" else rf"{mantissa} \times {power}"
    return text


def get_local_scheme(scheme: str | LocalScheme) -> LocalScheme:
    """The :class:`LocalScheme` for an id (or the scheme itself); InputError for an unknown id."""

    def unknown(known: str) -> str:
        statistic_sharing = isinstance(scheme, str) and scheme in SCHEMES  # ([] is unhashable)
        hint = " (a statistic-sharing scheme: use bnviz.normalize)" if statistic_sharing else ""
        return f"Unknown local scheme {scheme!r}{hint}; local schemes: {known}."

    return look_up(LOCAL_SCHEMES, scheme, unknown, LocalScheme)


def resolve_local_params(scheme: LocalScheme, params: Mapping) -> dict:
    """Check and complete a local scheme's parameters; InputError for anything out of range.

    Window sizes must be at least 1 (and odd for ``lrn-within``); α ≥ 0 and k > 0 keep the base
    k + α/D · S positive, so its power is always defined and never divides by 0; β must be finite.
    """
    resolved = resolve_params(scheme, 0, params)  # the generic name and type checks
    for name in dict.fromkeys(scheme.size_params):
        size = resolved[name]
        if size < 1:
            raise InputError(f"{scheme.id}: {name} must be at least 1; got {size}.")
        if scheme.odd_only and size % 2 == 0:
            raise InputError(
                f"{scheme.id}: {name} must be odd (the window is centred on the cell); got {size}."
            )
    for name, value in resolved.items():
        if isinstance(value, float) and not math.isfinite(value):
            raise InputError(f"{scheme.id}: {name} must be finite; got {value}.")
    if resolved["alpha"] < 0:
        raise InputError(f"{scheme.id}: alpha must be >= 0; got {resolved['alpha']}.")
    if isinstance(scheme.offset, str) and resolved[scheme.offset] <= 0:
        raise InputError(
            f"{scheme.id}: {scheme.offset} must be > 0, so that the base {scheme.offset} + α·Σx² "
            f"is never 0; got {resolved[scheme.offset]}."
        )
    return resolved


def _check_rank(scheme: LocalScheme, shape: tuple) -> None:
    if len(shape) not in scheme.ranks:
        wanted = "(N, C, H, W)" if scheme.ranks == (4,) else "(N, C, H, W), (N, C, L) or (N, C)"
        raise InputError(
            f"{scheme.id} needs a tensor of shape {wanted}; got shape {shape} (rank {len(shape)})."
        )


def _axis_positions(scheme: LocalScheme) -> tuple:
    """Positions of the window's axes in the tensor (channels are axis 1 at every rank)."""
    return (1,) if scheme.axes == CHANNEL_AXES else (2, 3)


def _before_after(scheme: LocalScheme, size: int) -> tuple[int, int]:
    """Cells of a window of ``size`` before and after its centre."""
    before = size // 2 if scheme.longer_side == "before" else (size - 1) // 2
    return before, size - 1 - before


def _offset_value(scheme: LocalScheme, params: Mapping) -> float:
    return float(params[scheme.offset]) if isinstance(scheme.offset, str) else float(scheme.offset)


def _prepare(shape, scheme, params) -> tuple[tuple, LocalScheme, dict]:
    shape = check_shape(shape)
    scheme = get_local_scheme(scheme)
    _check_rank(scheme, shape)
    return shape, scheme, resolve_local_params(scheme, params)


def _check_index(shape: tuple, index) -> tuple:
    try:
        index = tuple(int(i) for i in index)
    except (TypeError, ValueError):
        raise InputError(f"A cell index must be a tuple of integers, not {index!r}.") from None
    if len(index) != len(shape) or not all(0 <= i < n for i, n in zip(index, shape, strict=True)):
        raise InputError(f"Index {index} is not a cell of a tensor of shape {shape}.")
    return index


def _window(shape: tuple, scheme: LocalScheme, params: Mapping, index: tuple) -> Window:
    positions = _axis_positions(scheme)
    starts, stops, sizes = [], [], []
    for name, position in zip(scheme.size_params, positions, strict=True):
        before, after = _before_after(scheme, params[name])
        starts.append(index[position] - before)
        stops.append(index[position] + after + 1)
        sizes.append(shape[position])
    full = math.prod(b - a for a, b in zip(starts, stops, strict=True))
    if scheme.divisor == "window":
        divisor = full
    elif scheme.divisor == "one":
        divisor = 1
    else:
        divisor = math.prod(
            min(b, n) - max(a, 0) for a, b, n in zip(starts, stops, sizes, strict=True)
        )
    return Window(scheme.axes, tuple(starts), tuple(stops), tuple(sizes), divisor)


def window(shape, scheme: str | LocalScheme, index, **params) -> Window:
    """The window whose squares enter the normalization of the cell at ``index``.

    Parameters
    ----------
    shape : tuple of int
        (N, C, H, W); (N, C, L) and (N, C) too for the channel schemes.
    scheme : str
        A local scheme id (see :data:`LOCAL_SCHEMES`).
    index : tuple of int
        The cell, one index per axis of ``shape``.
    **params
        The scheme's parameters (defaults filled in).

    Returns
    -------
    Window
        The full index ranges along the window's axes (possibly reaching outside the tensor, where
        cells count as 0) and the divisor used for this cell.
    """
    shape, sch, resolved = _prepare(shape, scheme, params)
    return _window(shape, sch, resolved, _check_index(shape, index))


def neighbourhood(shape, scheme: str | Scheme | LocalScheme, index, **params) -> np.ndarray:
    """The cells whose values enter the normalization of the cell at ``index``.

    Parameters
    ----------
    shape : tuple of int
        The tensor's shape.
    scheme : str
        Any scheme id: a statistic-sharing one (``bnviz.SCHEMES``, including ``"mvn"``) or a local
        one (:data:`LOCAL_SCHEMES`).
    index : tuple of int
        The cell, one index per axis of ``shape``.
    **params
        The scheme's parameters.

    Returns
    -------
    mask : ndarray of bool, of shape ``shape``
        For a statistic-sharing scheme, the cell's group (every cell with its mean and variance);
        for a local scheme, the part of its window inside the tensor (same sample, and the same
        location across channels or the same channel within one).
    """
    if isinstance(scheme, Scheme) or (isinstance(scheme, str) and scheme in SCHEMES):
        shape = check_shape(shape)
        index = _check_index(shape, index)
        labels = group_labels(shape, scheme, **params)
        return labels == labels[index]
    shape, sch, resolved = _prepare(shape, scheme, params)
    index = _check_index(shape, index)
    win = _window(shape, sch, resolved, index)
    selector = list(index)
    for position, a, b in zip(_axis_positions(sch), win.inside_start, win.inside_stop, strict=True):
        selector[position] = slice(a, b)
    mask = np.zeros(shape, dtype=bool)
    mask[tuple(selector)] = True
    return mask


def local_terms(x, scheme: str | LocalScheme, index, **params) -> LocalTerms:
    """The numbers of one cell's formula, for showing it with values put in.

    Parameters
    ----------
    x : array_like of shape (N, C, H, W) (or (N, C, L), (N, C) for the channel schemes)
    scheme : str
        A local scheme id.
    index : tuple of int
        The cell, one index per axis of x.
    **params
        The scheme's parameters.

    Returns
    -------
    LocalTerms
        Its window and values, the sum of squares S, the divisor D, the base k + α/D · S, the
        denominator base^β and y, all in float64.  ``y`` agrees with :func:`local_normalize` at
        ``index`` (to the rounding of x's dtype).
    """
    x = as_float_array(x)
    shape, sch, resolved = _prepare(x.shape, scheme, params)
    index = _check_index(shape, index)
    win = _window(shape, sch, resolved, index)
    # The window's values, zero-padded to its full extent.
    values = np.zeros(win.shape, dtype=np.float64)
    selector = list(index)
    for position, a, b in zip(_axis_positions(sch), win.inside_start, win.inside_stop, strict=True):
        selector[position] = slice(a, b)
    inner = tuple(
        slice(a - s, b - s)
        for a, b, s in zip(win.inside_start, win.inside_stop, win.start, strict=True)
    )
    values[inner] = x[tuple(selector)]
    if not (np.isfinite(values).all() and math.isfinite(float(x[index]))):
        raise InputError("x contains NaN or infinite values.")
    sum_squares = float(np.sum(values * values))
    offset = _offset_value(sch, resolved)
    alpha, beta = resolved["alpha"], resolved["beta"]
    base = offset + alpha / win.divisor * sum_squares
    denominator = base**beta
    value = float(x[index])
    return LocalTerms(
        scheme=sch,
        params=resolved,
        index=index,
        x=value,
        window=win,
        window_values=values,
        sum_squares=sum_squares,
        offset=offset,
        alpha=alpha,
        beta=beta,
        divisor=win.divisor,
        base=base,
        denominator=denominator,
        y=value / denominator,
    )


def _window_sum(values: np.ndarray, axis: int, before: int, after: int) -> np.ndarray:
    """Sum of ``values`` over positions i − before … i + after along ``axis``; outside counts 0.

    One shifted add per window offset (no padded copy).  The terms are squares, all >= 0, so the
    sum has no cancellation: its relative error is a few units of rounding even in float32.
    """
    total = values.copy()
    length = values.shape[axis]
    for shift in range(-before, after + 1):
        if shift == 0 or abs(shift) >= length:
            continue
        # total[i] += values[i + shift] wherever 0 <= i + shift < length.
        target = [slice(None)] * values.ndim
        source = [slice(None)] * values.ndim
        target[axis] = slice(max(0, -shift), length - max(0, shift))
        source[axis] = slice(max(0, shift), length + min(0, shift))
        total[tuple(target)] += values[tuple(source)]
    return total


def _inside_counts(length: int, before: int, after: int) -> np.ndarray:
    """For each position along an axis of ``length``, how many window cells lie inside it."""
    positions = np.arange(length)
    return np.minimum(positions + after, length - 1) - np.maximum(positions - before, 0) + 1


def local_normalize(x, scheme: str | LocalScheme, **params) -> np.ndarray:
    """Normalize every cell of ``x`` by the energy of its window: y = x · (k + α/D · S)^(−β).

    Parameters
    ----------
    x : array_like of shape (N, C, H, W)
        (N, C, L) and (N, C) are accepted by the channel schemes ``lrn`` and ``cross-channel``
        ((N, C) read as (N, C, 1)).  Float dtypes are kept, integers promoted to float64.
    scheme : str
        ``"lrn"`` (PyTorch ``local_response_norm``), ``"lrn-within"`` (Caffe WITHIN_CHANNEL),
        ``"cross-channel"`` (MatConvNet ``vl_nnnormalize``) or ``"spatial"`` (MatConvNet
        ``vl_nnspnorm``); see :data:`LOCAL_SCHEMES` for their windows, divisors and borders.
    **params
        The scheme's parameters: size, alpha, beta, k (``lrn``); size, alpha, beta
        (``lrn-within``); depth, kappa, alpha, beta (``cross-channel``); height, width, alpha,
        beta (``spatial``).  Missing ones take the framework's defaults.

    Returns
    -------
    y : ndarray, same shape and dtype as x
        Equal to PyTorch's ``local_response_norm`` to float32 rounding for ``lrn``.

    Notes
    -----
    The sums are sliding sums of squares, one shifted add per window offset.  Squares are >= 0,
    so float32 arithmetic loses nothing to cancellation (PyTorch works in float32 too); inputs large
    enough for a float32 sum to overflow are computed in float64 instead, and InputError is raised
    only where even float64 would overflow.  The mean-variance normalization ``"mvn"`` shares
    statistics and is computed by :func:`bnviz.normalize`.
    """
    x = as_float_array(x)
    shape, sch, resolved = _prepare(x.shape, scheme, params)
    offset = _offset_value(sch, resolved)
    alpha, beta = resolved["alpha"], resolved["beta"]

    # x.max() and x.min() propagate NaN: one cheap check for NaN, infinities and overflow.
    with np.errstate(invalid="ignore"):
        top, bottom = float(x.max()), float(x.min())
    if not (math.isfinite(top) and math.isfinite(bottom)):
        raise InputError("x contains NaN or infinite values.")
    cells = math.prod(resolved[name] for name in sch.size_params)
    # Bounds on the window sums and the base (Python floats: inf rather than an error).
    peak = max(top, -bottom)
    largest_sum = cells * peak * peak
    largest = max(largest_sum, offset + alpha * largest_sum)
    work = np.float64 if x.dtype == np.float64 else np.float32
    if largest > float(np.finfo(work).max) / 16:
        work = np.float64
        if largest > float(np.finfo(work).max) / 16:
            raise InputError("x holds values too large to square and sum.")

    nchw = x.shape + (1,) * (4 - x.ndim)  # (N, C) -> (N, C, 1, 1); (N, C, L) -> (N, C, L, 1)
    values = np.ascontiguousarray(x, dtype=work).reshape(nchw)
    sums = np.square(values)
    for name, position in zip(sch.size_params, _axis_positions(sch), strict=True):
        # A rectangle's sum is a sum along H of sums along W: one pass per axis.
        sums = _window_sum(sums, position, *_before_after(sch, resolved[name]))

    if sch.divisor == "inside":
        (h_before, h_after), (w_before, w_after) = (
            _before_after(sch, resolved[name]) for name in sch.size_params
        )
        counts = np.multiply.outer(
            _inside_counts(nchw[2], h_before, h_after), _inside_counts(nchw[3], w_before, w_after)
        )
        scale = (alpha / counts).astype(work)
    else:
        divisor = cells if sch.divisor == "window" else 1
        scale = work(alpha / divisor)
    base = sums
    base *= scale
    base += work(offset)
    # base ** beta; β = 0.75 (every LRN default) as sqrt(t)·sqrt(sqrt(t)) is several times faster.
    if beta == 0.75:
        denominator = np.sqrt(base)
        denominator *= np.sqrt(denominator)
    elif beta == 0.5:
        denominator = np.sqrt(base)
    elif beta == 1.0:
        denominator = base
    else:
        denominator = np.power(base, work(beta))
    y = np.divide(values, denominator, out=denominator)
    return y.reshape(x.shape).astype(x.dtype, copy=False)
