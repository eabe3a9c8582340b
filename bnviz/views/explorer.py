"""The Explorer's model: its URL fields, their constraints, and everything the page shows.

Pure (NumPy, no Streamlit): the page reads widgets, calls :func:`compute` (cached by the page) and
:func:`cell_details`, and lays the results out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..engine.axes import AXIS_ORDERS
from ..engine.layout import NCHW_AXES_PRESENT, Layout
from ..engine.normalize import normalize
from ..engine.schemes import SCHEMES, Formula, Param, Scheme, get_scheme
from ..figures import groupmap
from ..figures.groupmap import DrawPlan, plan_drawing
from ..text import explorer as text
from ..text.describe import Description, describe
from . import source
from .urlstate import Field

MAX_VALUES = source.MAX_VALUES

#: ε as offered in the app: "default" is the scheme's own (PyTorch's 1e-5, Caffe MVN's 1e-9).
EPS_CHOICES = ("default", "0", "1e-9", "1e-5", "1e-3", "0.1", "1")


def eps_value(choice: str) -> float | None:
    """The ε an :data:`EPS_CHOICES` entry stands for (None: the scheme's default)."""
    return None if choice == "default" else float(choice)


def param_field(param: Param, key: str | None = None, label: str | None = None) -> Field:
    """The URL field of a scheme's hyper-parameter, from its declaration (kind, default, bounds)."""
    key = key or param.name
    if param.kind in ("int", "float"):
        low, high = param.bounds
        return Field(key, param.kind, param.default, low=low, high=high, label=label or param.name)
    # "bool" and "axes" fields hold the parameter's own values.
    return Field(key, param.kind, param.default, label=label or param.name)


def default_formula(scheme: str | Scheme) -> Formula:
    """``scheme``'s formula at its declared default parameters (what its controls show before
    any parameter is chosen)."""
    scheme = get_scheme(scheme)
    return scheme.formula_for({p.name: p.default for p in scheme.params})


def _scheme_param_fields() -> tuple:
    """One URL field per hyper-parameter any scheme declares (deduplicated by name)."""
    seen = {}
    for scheme in SCHEMES.values():
        for p in scheme.params:
            seen.setdefault(p.name, param_field(p))
    return tuple(seen.values())


#: How the Explorer's tensor, built (N, C, H, W), may be held: the layouts of
#: :mod:`bnviz.engine.axes` it can be read as, and what each means here.
LAYOUTS = {
    "NCHW": "channels first, (N, C, H, W) as PyTorch holds it",
    "NHWC": "channels last, (N, H, W, C) as TensorFlow/Keras and ConvNeXt's LayerNorm hold it",
    "NLD": "tokens, (N, L, D): each sample's H × W positions read as L = H·W tokens of D = C "
    "features, as a vision transformer reads its patches",
}


def held(x: np.ndarray, layout: str) -> np.ndarray:
    """The Explorer's tensor ``x`` (N, C, H, W) as ``layout`` holds it (a view, not a copy).

    "NLD" reads the H × W positions as L = H·W tokens (row by row) of D = C features:
    (N, H·W, C).
    """
    if layout == "NLD":
        n, c, h, w = x.shape
        return x.reshape(n, c, h * w).transpose(0, 2, 1)
    return AXIS_ORDERS[layout].from_engine_array(x)


def held_shape(shape, layout: str) -> tuple:
    """The shape of :func:`held` for an (N, C, H, W) ``shape``."""
    n, c, h, w = shape
    return {"NCHW": (n, c, h, w), "NHWC": (n, h, w, c), "NLD": (n, h * w, c)}[layout]


def back_to_cells(a: np.ndarray, layout: str, shape: tuple) -> np.ndarray:
    """An array in ``layout`` (the held tensor's shape, or broadcastable to it) as an array
    broadcastable to the Explorer's (N, C, H, W) ``shape``: cell (n, c, h, w) holds the value of
    the held tensor's cell at the same place (a view: statistics kept broadcastable, not
    expanded)."""
    order = AXIS_ORDERS[layout]
    engine = order.to_engine_array(np.asarray(a))
    if layout == "NLD":  # (N, D, L) in the engine's order: L unfolds back into H × W
        h, w = shape[2:]
        lead, length = engine.shape[:-1], engine.shape[-1]
        return engine.reshape(*lead, 1, 1) if length == 1 else engine.reshape(*lead, h, w)
    return engine


def engine_index(index: tuple, layout: str, shape: tuple) -> tuple:
    """Cell (n, c, h, w) of the Explorer's tensor as an index into the engine's (N, C, H, W)
    view of the held tensor (for "NLD": (n, d, 0, l) with d = c and l = h·W + w)."""
    if layout == "NLD":
        n, c, h, w = index
        return (n, c, 0, h * shape[3] + w)
    return tuple(index)


#: The scheme and its settings.
SCHEME_FIELDS = (
    Field("scheme", "choice", "batch", choices=tuple(SCHEMES), label="scheme"),
    Field("layout", "choice", "NCHW", choices=tuple(LAYOUTS), label="layout"),
    Field("eps", "choice", "default", choices=EPS_CHOICES, label="ε"),
    Field("affine", "bool", False, label="γ/β"),
    Field("gamma", "float", 1.0, -100.0, 100.0, label="γ"),
    Field("beta", "float", 0.0, -100.0, 100.0, label="β"),
    *_scheme_param_fields(),
)
#: How the Explorer shows it.
VIEW_FIELDS = (
    Field("colour", "choice", "group", choices=("group", "x", "y"), label="colour by"),
    Field("cell", "cell", None, label="selected cell"),
    # The box plots start hidden: their Plotly script and figure were most of the page's opening
    # time and of each click's rerun (make bench-browser).
    Field("boxes", "bool", False, label="box plots"),
)
VIEW_KEYS = tuple(f.key for f in VIEW_FIELDS)
FIELDS = source.FIELDS + SCHEME_FIELDS + VIEW_FIELDS


def constrain(values: dict) -> tuple[dict, list[str]]:
    """Make field values consistent before the tensor is built; notices say what changed.

    A random tensor of more than :data:`MAX_VALUES` values is shrunk to the largest shape that
    fits (:func:`bnviz.views.source.fit_shape`: its longest axes cut first).
    """
    values = dict(values)
    notices = []
    requested = tuple(values[k] for k in ("n", "c", "h", "w"))
    if values["source"] == "synthetic" and math.prod(requested) > MAX_VALUES:
        shape = source.fit_shape(requested, MAX_VALUES)
        notices.append(
            f"A tensor of shape {requested} has {math.prod(requested):,} values; the limit is "
            f"{MAX_VALUES:,}, so it was shrunk to {shape} ({math.prod(shape):,} values), the "
            "largest shape that fits."
        )
        values.update(zip(("n", "c", "h", "w"), shape))
    return values, notices


def fit_to_shape(values: dict, shape: tuple) -> tuple[dict, list[str]]:
    """Fit the values that depend on the built tensor's ``shape`` (N, C, H, W).

    A parameter with ``choices`` (group norm's G: a divisor of C) takes the nearest allowed
    value, or its teaching default when unset; a selected cell outside the tensor is dropped.
    """
    values = dict(values)
    notices = fit_params(values, SCHEMES[values["scheme"]], shape[1])
    notices += drop_outside_cell(values, shape)
    return values, notices


def fit_params(values: dict, scheme, channels: int, key=lambda name: name) -> list[str]:
    """Make (in place) each of ``scheme``'s parameters valid for C = ``channels``: the nearest
    of its ``choices``, or its default where unset; the notices say what moved.  ``key`` maps a
    parameter's name to its key in ``values`` (the Compare page numbers them per slot)."""
    notices = []
    for param in scheme.params:
        if param.choices is None and param.default is not None:
            continue
        value = values.get(key(param.name))
        fitted = param.value_for(channels, value)
        if value is not None and fitted != value:
            notices.append(
                f"{param.name}={value} is not allowed with C={channels} "
                f"({param.rule or param.help}); using {fitted}."
            )
        values[key(param.name)] = fitted
    return notices


def drop_outside_cell(values: dict, shape: tuple) -> list[str]:
    """Unselect (in place) a selected ``cell`` that lies outside ``shape``; the notice if so."""
    cell = values.get("cell")
    if cell is None or all(i < n for i, n in zip(cell, shape)):
        return []
    values["cell"] = None
    return [f"Cell {cell} is outside the tensor {tuple(shape)}; no cell is selected."]


def scheme_params(values: dict) -> dict:
    """The hyper-parameters the chosen scheme declares, taken from the field values."""
    scheme = SCHEMES[values["scheme"]]
    return {p.name: values[p.name] for p in scheme.params}


@dataclass(frozen=True)
class ExplorerResult:
    """Everything the Explorer draws, for one tensor and scheme.

    Attributes
    ----------
    x, y, x_hat : ndarray of float32, shape (N, C, H, W)
        The input, the output and the normalized values before gamma and beta.
    mean, var : ndarray of float64, broadcastable to x
    description : Description
        In the words of the layout the tensor is held in (``held``).
    weight, bias : ndarray or None
        gamma and beta as applied (the scheme's parameter shape), None without them.
    plan : DrawPlan
        Which cells the group map draws (a subset across every axis of a large tensor).
    """

    x: np.ndarray
    y: np.ndarray
    x_hat: np.ndarray
    mean: np.ndarray
    var: np.ndarray
    description: Description
    weight: np.ndarray | None
    bias: np.ndarray | None
    eps: float
    plan: DrawPlan
    held: str = "NCHW"

    @property
    def layout(self) -> Layout:
        """The scheme on the held tensor, in the engine's order (whose cells are ``x``'s, in
        the same memory order: :func:`back_to_cells`)."""
        return self.description.layout

    @cached_property
    def labels(self) -> np.ndarray:
        """Group label of every cell, shape (N, C, H, W) (read-only).

        Cached: pages index it several times a rerun, and for group norm it is a full copy.
        """
        return self.layout.labels().reshape(self.x.shape)

    @property
    def drawn(self) -> tuple:
        """How many samples, channels, rows and columns the map draws."""
        return self.plan.drawn_shape

    @property
    def capped(self) -> bool:
        return not self.plan.complete

    def drawn_labels(self) -> np.ndarray:
        """Group labels of the drawn cells, shape ``drawn``."""
        return self.plan.take(self.labels)

    def drawn_values(self) -> dict:
        """The hover fields of the drawn cells, each of shape ``drawn``."""
        take = self.plan.take
        return {
            "x": take(self.x),
            "μ": take(self.mean),
            "σ²": take(self.var),
            "x̂": take(self.x_hat),
            "y": take(self.y),
        }


def compute(x: np.ndarray, values: dict) -> ExplorerResult:
    """Normalize ``x`` (N, C, H, W), held as the ``layout`` field says (:data:`LAYOUTS`), as
    the field ``values`` say; see :class:`ExplorerResult`."""
    params = scheme_params(values)
    eps = eps_value(values["eps"])
    order = values.get("layout", "NCHW")
    tensor = held(x, order)
    description = describe(tensor.shape, values["scheme"], layout=order, eps=eps, **params)
    weight = bias = None
    if values["affine"] and description.param_shape is not None:
        weight = np.full(description.param_shape, values["gamma"], dtype=np.float32)
        if description.formula.shift:
            bias = np.full(description.param_shape, values["beta"], dtype=np.float32)
    plain = normalize(tensor, values["scheme"], layout=order, eps=eps, **params)
    x_hat = back_to_cells(plain.y, order, x.shape)
    # Without γ/β, y is x̂: one array, so that a cached (pickled) result holds it once.
    y = x_hat
    if weight is not None:
        affine = normalize(
            tensor, values["scheme"], layout=order, eps=eps, weight=weight, bias=bias, **params
        )
        y = back_to_cells(affine.y, order, x.shape)
    return ExplorerResult(
        x=x,
        y=y,
        x_hat=x_hat,
        mean=back_to_cells(plain.mean, order, x.shape),
        var=back_to_cells(plain.var, order, x.shape),
        description=description,
        weight=weight,
        bias=bias,
        eps=plain.eps,
        plan=plan_drawing(x.shape),
        held=order,
    )


@dataclass(frozen=True)
class CellDetails:
    """One cell's numbers, for the side panel."""

    index: tuple
    group: int
    x: float
    mean: float
    var: float
    x_hat: float
    y: float
    gamma: float | None
    beta: float | None
    latex: tuple


def cell_details(result: ExplorerResult, index: tuple) -> CellDetails:
    """The numbers and the formula (LaTeX lines) for the cell at ``index`` (n, c, h, w)."""
    lay = result.layout
    scheme = lay.scheme
    x = float(result.x[index])
    mean = float(np.broadcast_to(result.mean, result.x.shape)[index])
    var = float(np.broadcast_to(result.var, result.x.shape)[index])
    x_hat = float(result.x_hat[index])
    y = float(result.y[index])
    group = int(result.labels[index])
    gamma = beta = None
    if result.weight is not None:
        position = _param_position(lay, engine_index(index, result.held, result.x.shape))
        gamma = float(result.weight[position])
        if result.bias is not None:
            beta = float(result.bias[position])
    lines = text.cell_formula_lines(
        scheme.formula_for(lay.params),
        x=x,
        mean=mean,
        var=var,
        x_hat=x_hat,
        y=y,
        eps=result.eps,
        group_size=result.description.group_size,
        gamma=gamma,
        beta=beta,
    )
    return CellDetails(index, group, x, mean, var, x_hat, y, gamma, beta, lines)


def _param_position(lay: Layout, index: tuple) -> tuple:
    """Where the cell at ``index`` (n, c, h, w) of the engine's view reads gamma and beta."""
    axes = lay.param_axes or ()
    present = NCHW_AXES_PRESENT[len(lay.shape)]
    return tuple(
        i for axis, i in zip(("N", "C", "H", "W"), index) if axis in axes and axis in present
    )


def layout_caption(result: ExplorerResult) -> str:
    """How the map's (N, C, H, W) cells stand for the held tensor's (see :data:`LAYOUTS`)."""
    return text.layout_caption(result.held, result.x.shape, held_shape(result.x.shape, result.held))


def map_names(tensor) -> tuple:
    """Sample and channel names for the map's axes: pictures' names, R/G/B and filter names; None
    for random data (the map then writes n=0, c=0, ...)."""
    if tensor is None or tensor.pictures is None:
        return None, None
    return tuple(tensor.names), tuple(tensor.channel_names)


def group_map_payload(
    result: ExplorerResult,
    *,
    colour_by: str = "group",
    cell=None,
    tensor=None,
    font_px: int = 13,
    max_height_px: int | None = None,
    link: str = "",
    title: str = "",
    file_name: str = "group-map",
    plan: DrawPlan | None = None,
) -> bytes:
    """The Explorer's group map as a payload for the browser (:func:`bnviz.figures.groupmap.map_payload`).

    ``plan`` replaces the result's own (e.g. narrower maps side by side on the Compare page).
    """
    sample_names, channel_names = map_names(tensor)
    return groupmap.map_payload(
        plan or result.plan,
        result.labels,
        x=result.x,
        y=result.y,
        mean=result.mean,
        var=result.var,
        formula=result.description.formula,
        colour_by=colour_by,
        selected=cell,
        sample_names=sample_names,
        channel_names=channel_names,
        font_px=font_px,
        max_height_px=max_height_px,
        link=link,
        title=title,
        file_name=file_name,
    )


def map_caption(
    result: ExplorerResult,
    colour_by: str = "group",
    plan: DrawPlan | None = None,
    *,
    linked: bool = False,
) -> str:
    """What the map's colours mean and what is drawn, from the drawn cells themselves.

    ``linked``: maps side by side, where hovering one lights the cell's group in each.
    """
    plan = plan or result.plan
    if colour_by == "group":  # the groups are counted only where they colour the map
        drawn_groups, value_range = len(np.unique(plan.take(result.labels))), None
    else:
        drawn = plan.take(result.x if colour_by == "x" else result.y)
        drawn_groups, value_range = 0, (float(drawn.min()), float(drawn.max()))
    return text.map_caption(
        colour_by,
        drawn_groups=drawn_groups,
        max_coloured_groups=groupmap.MAX_COLOURED_GROUPS,
        value_range=value_range,
        linked=linked,
        plan_text=plan.text,
    )
