"""The Compare page's model: 2 to 4 schemes on one tensor, a table of every scheme, framework axes.

Pure (NumPy, no Streamlit): the page reads its URL fields and widgets, calls these functions and
lays out what they return.  Everything is derived from the scheme definitions in
:mod:`bnviz.engine.schemes` and the layouts of :mod:`bnviz.engine.layout`; nothing here names a scheme.

Three parts:

- **slots**: the URL fields of the compared schemes (a list of scheme ids, and per slot the
  hyper-parameters of any scheme, e.g. ``num_groups2``), their constraints, and the values each
  slot hands to :func:`bnviz.views.explorer.compute`;
- **equivalences and the table**: when two layouts put the same cells together
  (:func:`partition_signature`), which named scheme a set of kept axes amounts to
  (:func:`named_equivalents`), and one row of counts per scheme (:func:`scheme_rows`);
- **axes in frameworks**: channels-first (PyTorch, NCHW) and channels-last (TensorFlow/Keras,
  NHWC) axis orders, what an ``axis`` argument keeps, and a computed check that normalizing the
  channels-last copy of a tensor with its last axis kept gives batch norm's numbers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..engine.errors import InputError
from ..engine.layout import Layout, layout
from ..engine.normalize import normalize
from ..engine.partitions import named_equivalents, same_groups
from ..engine.schemes import SCHEMES, Param, axes_value, default_params, get_scheme, scheme_label
from ..figures.groupmap import DrawPlan, plan_drawing
from ..text import compare as text
from ..text.compare import defaults_sentence  # noqa: F401  (the page's, re-exported)
from ..text.describe import describe, grouping_text, shape_text
from . import explorer, source
from .urlstate import Field

MIN_SLOTS, MAX_SLOTS = 2, 4
#: The four schemes of the Group Normalization paper's figure, in its order.
DEFAULT_SCHEMES = ("batch", "layer", "instance", "group")
SLOTS = tuple(range(1, MAX_SLOTS + 1))


# --- Slots: URL fields and values -------------------------------------------------------------


def _declared_params() -> tuple:
    """Every hyper-parameter any scheme declares, once per name, in SCHEMES order."""
    seen: dict[str, Param] = {}
    for scheme in SCHEMES.values():
        for param in scheme.params:
            seen.setdefault(param.name, param)
    return tuple(seen.values())


PARAMS = _declared_params()


def param_key(name: str, slot: int) -> str:
    """The URL key of hyper-parameter ``name`` in ``slot`` (1-based), e.g. ``"num_groups2"``."""
    return f"{name}{slot}"


def _param_field(param: Param, slot: int) -> Field:
    return explorer.param_field(param, param_key(param.name, slot), f"scheme {slot}: {param.name}")


SCHEMES_FIELD = Field(
    "schemes", "choices", DEFAULT_SCHEMES, choices=tuple(SCHEMES), label="schemes"
)
SLOT_FIELDS = tuple(_param_field(p, slot) for slot in SLOTS for p in PARAMS)
#: The selected cell (n, c, h, w), shared by every view; the Explorer's field of the same key.
CELL_FIELD = Field("cell", "cell", (0, 0, 0, 0), label="selected cell")
#: Whether the 3-D cubes are drawn: off when the page opens, because they cost most of its
#: opening time and of every rerun (WebGL scenes; measured by make bench-browser).
CUBES_FIELD = Field("cubes", "bool", False, label="3-D cubes")
#: How the tensor is held, as on the Explorer (:data:`bnviz.views.explorer.LAYOUTS`).
LAYOUT_FIELD = next(f for f in explorer.SCHEME_FIELDS if f.key == "layout")
#: The tensor's fields; a fresh link opens on 6 channels so that group norm (G = 2) differs from
#: both layer and instance norm (with 3 channels every G is one of them).
TENSOR_FIELDS = tuple(
    dataclasses.replace(f, default=6) if f.key == "c" else f for f in source.FIELDS
)
FIELDS = TENSOR_FIELDS + (SCHEMES_FIELD, LAYOUT_FIELD) + SLOT_FIELDS + (CELL_FIELD, CUBES_FIELD)


def constrain(values: dict) -> tuple[dict, list[str]]:
    """Make the field values consistent before the tensor is built; notices say what changed.

    The tensor is capped as in the Explorer (:func:`bnviz.views.explorer.constrain`), and the list of
    schemes brought to between :data:`MIN_SLOTS` and :data:`MAX_SLOTS` entries (padded with
    :data:`DEFAULT_SCHEMES` not yet listed, or cut).
    """
    values, notices = explorer.constrain(values)
    schemes = tuple(values["schemes"])
    if len(schemes) > MAX_SLOTS:
        notices.append(
            f"schemes: {len(schemes)} given; Compare shows at most {MAX_SLOTS}, so only "
            f"{', '.join(schemes[:MAX_SLOTS])}."
        )
        schemes = schemes[:MAX_SLOTS]
    elif len(schemes) < MIN_SLOTS:
        schemes = padded(schemes, MIN_SLOTS)
        notices.append(
            f"schemes: Compare needs at least {MIN_SLOTS}; showing {', '.join(schemes)}."
        )
    values["schemes"] = schemes
    return values, notices


def padded(schemes: Sequence[str], count: int) -> tuple:
    """``schemes`` cut or extended to ``count`` entries (defaults not yet listed come first)."""
    schemes = tuple(schemes)[:count]
    extra = [s for s in DEFAULT_SCHEMES if s not in schemes] + list(SCHEMES)
    while len(schemes) < count:
        schemes += (extra.pop(0),)
    return schemes


def fit_to_shape(values: dict, shape: tuple) -> tuple[dict, list[str]]:
    """Fit the values that depend on the built tensor's ``shape`` (N, C, H, W).

    Each slot's parameters are fitted to C as in the Explorer (:func:`explorer.fit_params`: G
    becomes a divisor of C); a selected cell outside the tensor is dropped.
    """
    values = dict(values)
    notices = []
    for slot, scheme in enumerate(values["schemes"], start=1):
        more = explorer.fit_params(
            values, SCHEMES[scheme], shape[1], key=lambda name, slot=slot: param_key(name, slot)
        )
        notices += [f"Scheme {slot}: {notice}" for notice in more]
    notices += explorer.drop_outside_cell(values, shape)
    return values, notices


def tidy(values: Mapping) -> dict:
    """``values`` with every slot parameter its slot's scheme does not use set to its default.

    For the URL: a link carries only what the shown schemes need.
    """
    values = dict(values)
    schemes = values["schemes"]
    defaults = {f.key: f.default for f in SLOT_FIELDS}
    for slot in SLOTS:
        used = get_scheme(schemes[slot - 1]).params if slot <= len(schemes) else ()
        names = {p.name for p in used}
        for param in PARAMS:
            if param.name not in names:
                key = param_key(param.name, slot)
                values[key] = defaults[key]
    return values


def earlier_twin(layouts: Mapping[int, Layout], slot: int) -> int | None:
    """The first slot before ``slot`` whose layout groups the cells as ``slot``'s does, or None.

    ``layouts`` maps slots (1-based) to their layouts on one tensor; missing slots are skipped.
    """
    for other in sorted(k for k in layouts if k < slot):
        if same_groups(layouts[other], layouts[slot]):
            return other
    return None


def slot_params(values: Mapping, slot: int) -> dict:
    """The hyper-parameters the scheme in ``slot`` (1-based) declares, from the field values."""
    scheme = get_scheme(values["schemes"][slot - 1])
    params = {}
    for param in scheme.params:
        value = values[param_key(param.name, slot)]
        params[param.name] = axes_value(value) if param.kind == "axes" else value
    return params


def slot_values(values: Mapping, slot: int) -> dict:
    """The Explorer's field values for ``slot``: the same tensor, that scheme, no γ/β, default ε.

    Hand them to :func:`bnviz.views.explorer.compute` (or its cached wrapper in :mod:`bnviz.ui.core`).
    """
    explorer_defaults = {f.key: f.default for f in explorer.SCHEME_FIELDS}
    result = {f.key: values[f.key] for f in source.FIELDS}
    result.update(explorer_defaults)
    result["scheme"] = values["schemes"][slot - 1]
    result["layout"] = values.get("layout", LAYOUT_FIELD.default)
    result.update(slot_params(values, slot))
    return result


# --- Equivalences -----------------------------------------------------------------------------


def custom_note(keep, shape) -> str:
    """One sentence on what keeping ``keep`` amounts to on ``shape``, in Markdown
    (:func:`bnviz.text.compare.custom_note`).

    Names the equivalent schemes (or says there is none) and, when the first one's γ and β have
    another shape than the custom scheme's, says so.
    """
    keep = axes_value(keep)
    found = named_equivalents(keep, shape)
    shapes = None
    if found:
        custom = [s for s in SCHEMES.values() if any(p.kind == "axes" for p in s.params)][0]
        mine = layout(shape, custom, keep=keep).param_shape
        theirs = layout(shape, found[0].scheme, **found[0].params).param_shape
        shapes = None if mine == theirs else (mine, theirs)
    return text.custom_note(keep, [(e.label, e.scheme) for e in found], shapes)


# --- The table of every scheme ----------------------------------------------------------------

COLUMNS = (
    "scheme",
    "one μ and σ² for",
    "μ, σ² pairs",
    "m′ (values per pair)",
    "γ, β shape",
    "γ, β entries (each)",
    "running μ, σ² shape",
    "PyTorch (training mode)",
)


def table_configs(values: Mapping, channels: int) -> list[tuple[str, dict]]:
    """The (scheme id, params) of the table: every scheme, with each setting the slots use.

    A scheme no slot shows appears once with its defaults (:func:`bnviz.engine.schemes.default_params`:
    group norm's G by its teaching default).
    """
    configs: list[tuple[str, dict]] = []
    for scheme in SCHEMES.values():
        used = []
        for slot, sid in enumerate(values["schemes"], start=1):
            if sid == scheme.id:
                params = {
                    name: value if value is not None else default_params(scheme, channels)[name]
                    for name, value in slot_params(values, slot).items()
                }
                if params not in used:
                    used.append(params)
        if not used:
            used = [default_params(scheme, channels)]
        configs += [(scheme.id, params) for params in used]
    return configs


def scheme_rows(shape, configs: Iterable[tuple[str, Mapping]], layout: str = "NCHW") -> list[dict]:
    """One row of counts per (scheme id, params) on a tensor of ``shape``, keyed by :data:`COLUMNS`.

    ``shape`` is the page's (N, C, H, W); the schemes apply to it held as ``layout``
    (:func:`bnviz.views.explorer.held_shape`), and the rows speak that layout's words.

    Numbers come from :func:`bnviz.describe`: mean/variance pairs, the group size m′ with its
    factors ("N × H × W = 20 × 5 × 5 = 500"), γ/β shape and entries laid out on the tensor (and
    flat as the PyTorch module holds them, where it does), the running statistics' shape as the
    module holds them, and the PyTorch code that computes the scheme (``describe().torch_code``).
    """
    rows = []
    held = explorer.held_shape(shape, layout)
    for scheme_id, params in configs:
        d = describe(held, scheme_id, layout=layout, **params)
        running = d.running_stats_shape
        factors = d.factors_text if d.group_factors else "1 (nothing reduced)"
        rows.append(
            {
                "scheme": scheme_label(scheme_id, params),
                "one μ and σ² for": grouping_text(d.layout),
                "μ, σ² pairs": d.groups,
                "m′ (values per pair)": (
                    f"{d.factors_names} = {factors}" if d.group_factors else factors
                ),
                "γ, β shape": d.param_shape_text,
                "γ, β entries (each)": d.param_count,
                "running μ, σ² shape": "—" if running is None else shape_text(running),
                "PyTorch (training mode)": d.torch_code or "none",
            }
        )
    return rows


# --- Axes in frameworks -----------------------------------------------------------------------

#: Spatial axes by how many there are: 1-D (temporal), 2-D (spatial), 3-D (volumetric).
SPATIAL_AXES = {1: "L", 2: "HW", 3: "DHW"}
#: PyTorch's batch norm per number of spatial axes, and Lua Torch's (nn) layer for that input.
TORCH_LAYERS = {1: "BatchNorm1d", 2: "BatchNorm2d", 3: "BatchNorm3d"}
LUA_TORCH_LAYERS = {
    1: "none (nn.BatchNormalization takes N × D only)",
    2: "nn.SpatialBatchNormalization",
    3: "nn.VolumetricBatchNormalization",
}


def channels_first(spatial: int) -> str:
    """PyTorch's axis order for ``spatial`` spatial axes: "NCL", "NCHW" or "NCDHW"."""
    return "NC" + SPATIAL_AXES[spatial]


def channels_last(spatial: int) -> str:
    """TensorFlow/Keras' default order: "NLC", "NHWC" or "NDHWC"."""
    return "N" + SPATIAL_AXES[spatial] + "C"


def axis_rows() -> list[dict]:
    """Which axis each index names, channels first (PyTorch) and channels last (TensorFlow/Keras).

    One row per layout, for 1, 2 and 3 spatial axes; columns "0" … "4" (blank past the rank) and
    "-1", the axis a negative index of −1 names.
    """
    rows = []
    for spatial in SPATIAL_AXES:
        for order, framework in (
            (channels_first(spatial), "PyTorch"),
            (channels_last(spatial), "TensorFlow/Keras"),
        ):
            row = {"input": f"{spatial}-D", "layout": f"{order} ({framework})"}
            row.update({str(i): order[i] if i < len(order) else "" for i in range(5)})
            row["-1"] = order[-1]
            rows.append(row)
    return rows


def kept_letters(order: str, axis) -> str:
    """The axes an ``axis`` argument keeps in a tensor laid out as ``order`` (e.g. "NHWC").

    ``axis`` is an int (negative counts from the end) or a sequence of ints: those axes keep
    their own statistics, every other axis is reduced, as in Keras'
    ``BatchNormalization(axis=...)``.
    """
    rank = len(order)
    indices = [axis] if isinstance(axis, int) else list(axis)
    kept = set()
    for index in indices:
        if not -rank <= index < rank:
            raise InputError(f"axis {index} does not exist in a tensor of rank {rank} ({order}).")
        kept.add(index % rank)
    return "".join(order[i] for i in sorted(kept))


#: Framework calls and the layout of the data they get: (call, order, axis argument).
AXIS_EXAMPLES = (
    ("PyTorch BatchNorm2d(C) (channels are dim 1)", "NCHW", 1),
    ("Keras BatchNormalization() (axis=-1, the default)", "NHWC", -1),
    ('Keras BatchNormalization(axis=1) after data_format="channels_first"', "NCHW", 1),
    ("Keras BatchNormalization() (axis=-1) on channels-first data: a mistake", "NCHW", -1),
)


def axis_example_rows(shape) -> list[dict]:
    """What each of :data:`AXIS_EXAMPLES` keeps, and which scheme that is on a tensor of ``shape``.

    The kept letters are read off the layout (:func:`kept_letters`) and matched to a named scheme
    with :func:`named_equivalents` on ``shape`` (N, C, H, W).
    """
    rows = []
    for call, order, axis in AXIS_EXAMPLES:
        kept = kept_letters(order, axis)
        found = named_equivalents(kept, shape)
        rows.append(
            {
                "call": call,
                "data layout": order,
                "axis": axis,
                "keeps": ", ".join(kept),
                "reduces": ", ".join(a for a in order if a not in kept),
                "same groups as": found[0].label if found else "no named scheme",
            }
        )
    return rows


#: The width of the page's main column, in pixels, that the maps side by side share.
PAGE_WIDTH_PX = 1100


def maps_per_row(count: int) -> int:
    """How many group maps stand side by side: all of them, but four as two rows of two (four
    in a row leave each map too narrow to tell its cells apart)."""
    return 2 if count == 4 else count


def map_plan(shape: tuple, count: int) -> DrawPlan:
    """Which cells each of ``count`` group maps draws (one plan for all, so the maps line up):
    :func:`bnviz.figures.groupmap.plan_drawing` for a map's share of the page's width."""
    width = max(240, PAGE_WIDTH_PX // maps_per_row(count) - 30)
    return plan_drawing(shape, width_px=width, height_px=480, min_samples=2, min_channels=4)


def keep_axis_normalize(x: np.ndarray, axis, eps: float = 1e-5) -> np.ndarray:
    """Normalize ``x`` keeping ``axis`` (an int or ints), reducing every other axis (Keras' rule).

    An independent reference, written without the engine: float64 mean and biased variance over
    the reduced axes, y = (x − μ) / √(σ² + ε), no γ and β.

    Parameters
    ----------
    x : ndarray of any shape
    axis : int or sequence of int
    eps : float

    Returns
    -------
    y : ndarray of float64, same shape as x
    """
    x = np.asarray(x, dtype=np.float64)
    indices = [axis] if isinstance(axis, int) else list(axis)
    kept = {i % x.ndim for i in indices}
    reduced = tuple(i for i in range(x.ndim) if i not in kept)
    mean = x.mean(axis=reduced, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=reduced, keepdims=True)
    return (x - mean) / np.sqrt(var + eps)


@dataclass(frozen=True)
class LayoutCheck:
    """Batch norm on one tensor, channels first (engine) and channels last (reference).

    Attributes
    ----------
    spatial : int
        Spatial axes: 1 (N, C, L), 2 (N, C, H, W) or 3 (N, C, D, H, W).
    first_shape, last_shape : tuple of int
        The tensor in PyTorch's order and after ``np.moveaxis(x, 1, -1)``.
    kept_first, kept_last : str
        The axes kept by PyTorch's channel axis 1 and by Keras' ``axis=-1``: both "C".
    pairs : int
        Mean/variance pairs (C).
    max_difference : float
        Largest |engine − reference| after moving the channel axis back.
    """

    spatial: int
    first_shape: tuple
    last_shape: tuple
    kept_first: str
    kept_last: str
    pairs: int
    max_difference: float

    @property
    def first_order(self) -> str:
        return channels_first(self.spatial)

    @property
    def last_order(self) -> str:
        return channels_last(self.spatial)


def spatial_views(x: np.ndarray) -> dict:
    """The (N, C, H, W) tensor ``x`` seen with 1, 2 and 3 spatial axes, channels untouched.

    (N, C, H·W) for 1-D; ``x`` itself for 2-D; for 3-D, H split as D × H/D with D the smallest
    factor of H above 1 (D = 1 when H = 1).  Every view holds the same values per channel, so
    per-channel statistics do not change.
    """
    n, c, h, w = x.shape
    depth = next((d for d in range(2, h + 1) if h % d == 0), 1)
    return {1: x.reshape(n, c, h * w), 2: x, 3: x.reshape(n, c, depth, h // depth, w)}


def channels_last_check(x: np.ndarray, spatial: int, eps: float = 1e-5) -> LayoutCheck:
    """Normalize ``x`` (channels first) with the engine's ``batch`` and its channels-last copy with
    the last axis kept (:func:`keep_axis_normalize`); compare.

    Parameters
    ----------
    x : ndarray of shape (N, C, L), (N, C, H, W) or (N, C, D, H, W)
    spatial : int
        1, 2 or 3: how many of x's axes are spatial (``x.ndim - 2``).
    eps : float

    Returns
    -------
    LayoutCheck
        The engine takes (N, C, L) and (N, C, H, W) directly; an (N, C, D, H, W) tensor goes in
        as (N, C, D, H·W), which keeps every channel's values together.
    """
    x = np.asarray(x)
    if x.ndim != spatial + 2:
        raise InputError(
            f"A tensor with {spatial} spatial axes has rank {spatial + 2}, not {x.ndim}."
        )
    engine_input = x.reshape(x.shape[:3] + (-1,)) if spatial == 3 else x
    engine = normalize(engine_input, "batch", eps=eps).y.reshape(x.shape)
    last = np.moveaxis(x, 1, -1)
    reference = np.moveaxis(keep_axis_normalize(last, -1, eps), -1, 1)
    first_order, last_order = channels_first(spatial), channels_last(spatial)
    return LayoutCheck(
        spatial=spatial,
        first_shape=tuple(x.shape),
        last_shape=tuple(last.shape),
        kept_first=kept_letters(first_order, 1),
        kept_last=kept_letters(last_order, -1),
        pairs=x.shape[1],
        max_difference=float(np.max(np.abs(engine.astype(np.float64) - reference))),
    )


def framework_checks(x: np.ndarray, eps: float = 1e-5) -> list[LayoutCheck]:
    """:func:`channels_last_check` on the 1-D, 2-D and 3-D views of ``x`` (N, C, H, W)."""
    return [channels_last_check(view, k, eps) for k, view in spatial_views(x).items()]


def check_rows(checks: Iterable[LayoutCheck]) -> list[dict]:
    """The checks as table rows."""
    return [
        {
            "input": f"{c.spatial}-D",
            "PyTorch layer": TORCH_LAYERS[c.spatial],
            "Lua Torch (nn)": LUA_TORCH_LAYERS[c.spatial],
            "shape, channels first": f"{c.first_order} {c.first_shape}",
            "keeps (axis 1)": c.kept_first,
            "shape, channels last": f"{c.last_order} {c.last_shape}",
            "keeps (axis=-1)": c.kept_last,
            "μ, σ² pairs": c.pairs,
            "max |difference|": f"{c.max_difference:.1e}",
        }
        for c in checks
    ]
