"""The "Local normalizations" page's model: its URL fields, presets, two conventions compared.

Pure (NumPy, no Streamlit).  The page shows one tensor normalized by two conventions, A and B,
each a local scheme of :data:`bnviz.engine.local.LOCAL_SCHEMES` or Caffe's MVN (``"mvn"`` of
:data:`bnviz.engine.schemes.SCHEMES`), with their own parameters:

- :data:`FIELDS` holds the page's state: the shared tensor fields, the scheme of each convention,
  every parameter of every scheme for each convention (so switching schemes keeps each one's
  settings, and a parameter's default is its scheme's), the colouring and the selected cell;
- :func:`compute` normalizes the tensor both ways; :func:`compare` explains, from the parameters
  alone, why the two differ and which changes make them agree; :func:`comparison_sentences` puts
  that together with the measured difference;
- :func:`equivalences` measures the known equivalences between schemes on the page's tensor;
- :func:`cell_formula` gives one cell's formula with its numbers put in, :func:`cell_details`
  what each convention's column shows of the selected cell.

Everything said about a scheme comes from its declaration, nothing is written per scheme here.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ..engine.layout import group_labels
from ..engine.local import (
    CHANNEL_AXES,
    LOCAL_PRESETS,
    LOCAL_SCHEMES,
    LocalScheme,
    LocalTerms,
    local_normalize,
    local_terms,
    neighbourhood,
    resolve_local_params,
    window,
)
from ..engine.normalize import normalize
from ..engine.schemes import SCHEMES, resolve_params
from ..figures import groupmap
from ..text import equivalences as equivalence_words
from ..text import local_norms as words
from . import source
from .explorer import constrain as shrink_tensor
from .explorer import drop_outside_cell
from .urlstate import Field

#: The statistic-sharing scheme offered beside the local ones: Caffe's mean-variance norm.
MVN = "mvn"
#: The schemes a convention can be: the local ones, then MVN.
SCHEME_IDS = (*LOCAL_SCHEMES, MVN)
#: The two conventions: "a" is drawn on the map and explained cell by cell, "b" is compared.
SLOTS = ("a", "b")
SLOT_NAMES = {"a": "A", "b": "B"}
#: The query parameter holding each convention's scheme (the Explorer's "scheme" is another field).
SCHEME_KEYS = {"a": "local", "b": "vs"}
#: Window sizes on this page: a channel window can span many channels; a spatial one is a patch.
MAX_CHANNEL_WINDOW = 64
MAX_SPATIAL_WINDOW = 31
#: How the map is coloured: the input, either convention's output, or their difference.
COLOURS = {"x": "x (input)", "y_a": "y, convention A", "y_b": "y, convention B"}
#: The presets each convention opens on: two conventions that differ visibly, for a reason the
#: page explains (Caffe's α = 1 divided by n, against MatConvNet's α = 0.0001/5 not divided).
DEFAULT_PRESETS = {
    "a": "Caffe defaults (α = 1)",
    "b": "MatConvNet DagNN default [5 1 0.0001/5 0.75]",
}
#: Sidebar boxes show about this many characters; longer preset labels are shown shortened.
LABEL_WIDTH = 30
#: Text per divisor rule of a local scheme: what α is divided by.
_OFFSET_SYMBOLS = {"k": "k", "kappa": r"\kappa"}


def scheme_name(scheme_id: str) -> str:
    """The human name of a local scheme or of MVN."""
    return (LOCAL_SCHEMES[scheme_id] if scheme_id in LOCAL_SCHEMES else SCHEMES[scheme_id]).name


def param_key(slot: str, scheme_id: str, name: str) -> str:
    """The URL field of one parameter: ``lrn.size`` for convention A, ``vs.lrn.size`` for B."""
    return f"{scheme_id}.{name}" if slot == "a" else f"vs.{scheme_id}.{name}"


def _param_specs(scheme_id: str) -> tuple:
    """(name, kind, default, help) of every parameter the page offers for a scheme."""
    if scheme_id == MVN:
        mvn = SCHEMES[MVN]
        specs = [(p.name, p.kind, p.default, p.help) for p in mvn.params]
        specs.append(
            ("eps", "float", mvn.eps_default, "ε, added to σ (Caffe), not to σ² (PyTorch)")
        )
        return tuple(specs)
    return tuple((p.name, p.kind, p.default, p.help) for p in LOCAL_SCHEMES[scheme_id].params)


def _param_field(slot: str, scheme_id: str, name: str, kind: str, default) -> Field:
    label = f"{SLOT_NAMES[slot]}: {scheme_id} {name}"
    key = param_key(slot, scheme_id, name)
    if kind == "bool":
        return Field(key, "bool", default, label=label)
    scheme = LOCAL_SCHEMES.get(scheme_id)
    if kind == "int":  # a window size
        high = MAX_CHANNEL_WINDOW if scheme.axes == CHANNEL_AXES else MAX_SPATIAL_WINDOW
        return Field(key, "int", default, low=1, high=high, label=label)
    if name == "eps":
        return Field(key, "float", default, low=0.0, high=1.0, label=label)
    if scheme is not None and name == scheme.offset:  # k or κ must stay > 0
        return Field(key, "float", default, low=1e-6, high=1e4, label=label)
    if name == "beta":
        return Field(key, "float", default, low=0.0, high=16.0, label=label)
    return Field(key, "float", default, low=0.0, high=1e6, label=label)


def _convention_fields(slot: str) -> tuple:
    """A convention's scheme and every scheme's parameters; defaults: the scheme's own, except
    those of the preset the convention opens on (:data:`DEFAULT_PRESETS`)."""
    opening = LOCAL_PRESETS[DEFAULT_PRESETS[slot]]
    fields = [
        Field(
            SCHEME_KEYS[slot],
            "choice",
            opening.scheme,
            choices=SCHEME_IDS,
            label=f"convention {SLOT_NAMES[slot]}",
        )
    ]
    for scheme_id in SCHEME_IDS:
        for name, kind, value, _ in _param_specs(scheme_id):
            if scheme_id == opening.scheme and name in opening.params:
                value = (int if kind == "int" else float)(opening.params[name])
            fields.append(_param_field(slot, scheme_id, name, kind, value))
    return tuple(fields)


#: Convention A's and B's scheme and parameters.
CONVENTION_FIELDS = {slot: _convention_fields(slot) for slot in SLOTS}
#: How the page shows them.
VIEW_FIELDS = (
    Field("local.colour", "choice", "x", choices=tuple(COLOURS), label="colour by"),
    Field("cell", "cell", (0, 0, 0, 0), label="selected cell"),
)
FIELDS = source.FIELDS + CONVENTION_FIELDS["a"] + CONVENTION_FIELDS["b"] + VIEW_FIELDS
FIELDS_BY_KEY = {f.key: f for f in FIELDS}


def param_fields(slot: str, scheme_id: str) -> tuple:
    """The fields of one scheme's parameters in one convention, in declaration order."""
    return tuple(
        FIELDS_BY_KEY[param_key(slot, scheme_id, name)] for name, *_ in _param_specs(scheme_id)
    )


def param_step(field: Field) -> float | int:
    """The step of a parameter's number input: a tenth of its scheme's declared default's power
    of ten (the scheme's, not the opening preset's: α steps by 1e-5 for LRN whatever A opens on)."""
    if field.kind == "int":
        return 1
    scheme_id, name = field.key.removeprefix("vs.").rsplit(".", 1)
    default = float(next(value for n, _, value, _ in _param_specs(scheme_id) if n == name))
    return 10.0 ** (math.floor(math.log10(default)) - 1) if default > 0 else 0.1


def param_help(scheme_id: str, name: str) -> str:
    """The declared help text of a parameter."""
    return next(text for n, _, _, text in _param_specs(scheme_id) if n == name)


def constrain(values: dict) -> tuple[dict, list[str]]:
    """Make the values consistent before the tensor is built; notices say what changed.

    A random tensor is shrunk to the value limit (as in the Explorer), and a window size that must
    be odd (Caffe's within-channel LRN) is made odd by adding one.
    """
    values, notices = shrink_tensor(values)
    for slot in SLOTS:
        for scheme_id, scheme in LOCAL_SCHEMES.items():
            if not scheme.odd_only:
                continue
            for name in dict.fromkeys(scheme.size_params):
                key = param_key(slot, scheme_id, name)
                if values[key] % 2 == 0:
                    field = FIELDS_BY_KEY[key]
                    odd = min(values[key] + 1, int(field.high))
                    odd -= 1 - odd % 2  # stays odd at the upper bound
                    notices.append(f"{field.name} must be odd; using {odd}, not {values[key]}.")
                    values[key] = odd
    return values, notices


def fit_to_shape(values: dict, shape: tuple) -> tuple[dict, list[str]]:
    """Drop a selected cell that lies outside the built tensor of ``shape`` (N, C, H, W)."""
    values = dict(values)
    return values, drop_outside_cell(values, shape)


# --- conventions and presets -----------------------------------------------------------------------


@dataclass(frozen=True)
class Convention:
    """One way of normalizing: a scheme id and its parameters, as the page's fields hold them.

    Attributes
    ----------
    slot : str
        "a" or "b".
    scheme_id : str
        A local scheme id, or "mvn".
    params : dict
        The scheme's parameters for the engine (MVN's without ``eps``).
    eps : float or None
        MVN's ε (added to σ); None for a local scheme.
    """

    slot: str
    scheme_id: str
    params: dict
    eps: float | None = None

    @property
    def is_local(self) -> bool:
        return self.scheme_id in LOCAL_SCHEMES

    @property
    def scheme(self):
        """The :class:`LocalScheme`, or MVN's :class:`Scheme`."""
        return LOCAL_SCHEMES[self.scheme_id] if self.is_local else SCHEMES[self.scheme_id]

    @property
    def name(self) -> str:
        return self.scheme.name

    @property
    def label(self) -> str:
        """The slot and the scheme's name: "A: Local response norm across channels"."""
        return f"{SLOT_NAMES[self.slot]}: {self.name}"

    @property
    def origin(self) -> str:
        """Where the definition comes from, or for MVN what shares its statistics."""
        if self.is_local:
            return self.scheme.framework
        params = resolve_params(self.scheme, 1, self.params)
        return f"statistics shared by {self.scheme.detail_for(params)}"

    def settings_text(self) -> str:
        """The parameters as "size = 5, alpha = 0.0001, ..."."""
        items = dict(self.params)
        if self.eps is not None:
            items["eps"] = self.eps
        return ", ".join(f"{k} = {words.number_text(v)}" for k, v in items.items())


def convention(values: Mapping, slot: str) -> Convention:
    """Convention ``slot``'s scheme and parameters from the field values."""
    scheme_id = values[SCHEME_KEYS[slot]]
    params = {
        name: values[param_key(slot, scheme_id, name)] for name, *_ in _param_specs(scheme_id)
    }
    eps = None
    if scheme_id == MVN:
        eps = float(params.pop("eps"))
    return Convention(slot, scheme_id, params, eps)


def preset_values(slot: str, label: str) -> dict:
    """The field values a preset of :data:`LOCAL_PRESETS` sets in convention ``slot``.

    Parameters the preset leaves out take their scheme's defaults.
    """
    preset = LOCAL_PRESETS[label]
    scheme = LOCAL_SCHEMES[preset.scheme]
    values = {SCHEME_KEYS[slot]: preset.scheme}
    for p in scheme.params:
        value = preset.params.get(p.name, p.default)
        values[param_key(slot, preset.scheme, p.name)] = (
            int(value) if p.kind == "int" else float(value)
        )
    return values


def short_label(label: str, width: int = LABEL_WIDTH) -> str:
    """A preset's label as a sidebar box can show it: cut before its details in brackets when
    longer than ``width`` ("AlexNet paper (k = 2, n = 5, ...)" -> "AlexNet paper")."""
    if len(label) <= width:
        return label
    for mark in (" (", " ["):
        label = label.split(mark)[0]
    return label


def matching_preset(values: Mapping, slot: str) -> str | None:
    """The label of the preset convention ``slot`` is set to, or None.

    Floats match to 6 significant digits, the precision a URL keeps them with.
    """
    for label in LOCAL_PRESETS:
        wanted = preset_values(slot, label)
        if all(_close(values[key], value) for key, value in wanted.items()):
            return label
    return None


def _close(a, b) -> bool:
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    return math.isclose(float(a), float(b), rel_tol=1e-5, abs_tol=1e-12)


def convention_sentences(conv: Convention) -> tuple:
    """What a convention's scheme does, in sentences taken from its declaration (Markdown)."""
    extents = window_extents(conv) if conv.is_local else None
    return words.convention_sentences(conv.scheme, conv.params, conv.eps, extents)


# --- both conventions on the tensor ----------------------------------------------------------------


def run(x: np.ndarray, conv: Convention) -> np.ndarray:
    """``x`` (N, C, H, W) normalized by one convention; same shape and dtype."""
    if conv.is_local:
        return local_normalize(x, conv.scheme_id, **conv.params)
    return normalize(x, conv.scheme_id, eps=conv.eps, **conv.params).y


@dataclass(frozen=True)
class LocalResult:
    """The tensor normalized by both conventions.

    Attributes
    ----------
    x, y_a, y_b : ndarray of shape (N, C, H, W)
        The input and the outputs of conventions A and B (x's dtype).
    diff : ndarray of float64, shape (N, C, H, W)
        y_a − y_b.
    a, b : Convention
    """

    x: np.ndarray
    y_a: np.ndarray
    y_b: np.ndarray
    diff: np.ndarray
    a: Convention
    b: Convention

    @property
    def max_diff(self) -> float:
        return float(np.max(np.abs(self.diff)))

    @property
    def tolerance(self) -> float:
        """Differences up to this are rounding: a few units of x's precision at y's scale."""
        return rounding_tolerance(self.x.dtype, self.y_a, self.y_b)

    def highlight(self, cell: tuple) -> np.ndarray:
        """The cells convention A reads for ``cell`` (bool, shape of x)."""
        return cell_neighbourhood(self.x.shape, self.a, cell)


def rounding_tolerance(dtype, *arrays) -> float:
    """16 units of ``dtype``'s rounding at the largest magnitude of ``arrays`` (at least 1)."""
    scale = max([1.0] + [float(np.max(np.abs(a))) for a in arrays if a.size])
    return 16 * float(np.finfo(np.result_type(dtype, np.float32)).eps) * scale


def cell_neighbourhood(shape: tuple, conv: Convention, cell: tuple) -> np.ndarray:
    """The cells whose values enter ``cell``'s output (bool, ``shape``): its window or its group."""
    return neighbourhood(shape, conv.scheme_id, cell, **conv.params)


def compute(x: np.ndarray, values: Mapping) -> LocalResult:
    """Normalize ``x`` (N, C, H, W) by conventions A and B as the field ``values`` say."""
    a, b = convention(values, "a"), convention(values, "b")
    y_a, y_b = run(x, a), run(x, b)
    diff = y_a.astype(np.float64) - y_b.astype(np.float64)
    return LocalResult(x, y_a, y_b, diff, a, b)


# --- why two conventions differ ----------------------------------------------------------------------


def window_extents(conv: Convention) -> tuple:
    """(before, after) cells of the window along each of its axes, as the engine places it."""
    scheme = LOCAL_SCHEMES[conv.scheme_id]
    params = resolve_local_params(scheme, conv.params)
    sizes = [params[name] for name in scheme.size_params]
    if scheme.axes == CHANNEL_AXES:
        shape, index, centre = (1, 2 * sizes[0] + 1, 1, 1), (0, sizes[0], 0, 0), (sizes[0],)
    else:
        shape = (1, 1, 2 * sizes[0] + 1, 2 * sizes[1] + 1)
        index, centre = (0, 0, sizes[0], sizes[1]), (sizes[0], sizes[1])
    win = window(shape, scheme, index, **params)
    return tuple((c - a, b - 1 - c) for a, b, c in zip(win.start, win.stop, centre))


def _multiplier(scheme: LocalScheme, params: Mapping, extents: tuple) -> float:
    """What the sum of squares is multiplied by away from the borders: α/D."""
    alpha = float(params["alpha"])
    return alpha if scheme.divisor == "one" else alpha / words.window_cells(extents)


def _offset(scheme: LocalScheme, params: Mapping) -> float:
    return float(params[scheme.offset]) if isinstance(scheme.offset, str) else float(scheme.offset)


def axis_extent(scheme: LocalScheme, size: int) -> tuple[int, int]:
    """(before, after) cells of a window of ``size`` along one axis, by the scheme's declared
    ``longer_side`` (agrees with :func:`bnviz.window`, see the tests)."""
    before = size // 2 if scheme.longer_side == "before" else (size - 1) // 2
    return before, size - 1 - before


def _size_options(scheme: LocalScheme) -> dict:
    """Every window the scheme can have on this page: extents -> the sizes that give them."""
    limit = MAX_CHANNEL_WINDOW if scheme.axes == CHANNEL_AXES else MAX_SPATIAL_WINDOW
    sizes = [s for s in range(1, limit + 1) if not (scheme.odd_only and s % 2 == 0)]
    names = tuple(dict.fromkeys(scheme.size_params))
    options = {}
    for combo in itertools.product(sizes, repeat=len(names)):
        chosen = dict(zip(names, combo))
        extents = tuple(axis_extent(scheme, chosen[name]) for name in scheme.size_params)
        options.setdefault(extents, chosen)
    return options


@dataclass(frozen=True)
class Comparison:
    """Why two conventions differ, from their parameters alone.

    Attributes
    ----------
    same_kind : bool
        Both local with windows along the same axes (or both MVN).
    reasons : tuple of str
        Sentences: each difference that changes the output.
    changes : tuple of (str, str, object)
        (slot, parameter, value): settings that make the two agree (empty when they already do,
        or when none can).
    change_notes : tuple of str
        Why those values, or why no setting can make them agree.
    border_note : str or None
        A difference that remains near the borders after the changes (the divisor rules differ).
    interior_axes : tuple of int or None
        For two local schemes of the same kind: the tensor axes along which windows can leave the
        tensor, for measuring the difference away from the borders.
    """

    same_kind: bool
    reasons: tuple
    changes: tuple
    change_notes: tuple
    border_note: str | None = None
    interior_axes: tuple | None = None

    @property
    def agree(self) -> bool:
        """True when the parameters give the same output everywhere."""
        return self.same_kind and not self.reasons and self.border_note is None


def compare(a: Convention, b: Convention) -> Comparison:
    """Explain from the parameters why ``a`` and ``b`` differ and what makes them agree."""
    if not (a.is_local and b.is_local):
        return _compare_with_mvn(a, b)
    sa, sb = LOCAL_SCHEMES[a.scheme_id], LOCAL_SCHEMES[b.scheme_id]
    pa, pb = resolve_local_params(sa, a.params), resolve_local_params(sb, b.params)
    ka, kb = _offset(sa, pa), _offset(sb, pb)
    beta_a, beta_b = float(pa["beta"]), float(pb["beta"])
    if sa.axes != sb.axes:
        return Comparison(False, (words.axes_reason(sa, sb),), (), (words.AXES_NOTE,))

    ea, eb = window_extents(a), window_extents(b)
    ma, mb = _multiplier(sa, pa, ea), _multiplier(sb, pb, eb)
    reads_windows = not (ma == 0 and mb == 0)  # with α = 0 in both, no window is read
    reasons = []
    if reads_windows and ea != eb:
        reasons.append(words.window_reason(sa, ea, sb, eb))
    if reads_windows and not _close(ma, mb):
        reasons.append(words.multiplier_reason((sa, pa, ea, ma), (sb, pb, eb, mb)))
    if not _close(ka, kb):
        reasons.append(words.offset_reason(ka, kb))
    if not _close(beta_a, beta_b):
        reasons.append(words.beta_reason(beta_a, beta_b))

    changes, notes = [], []
    border_note = None
    if reads_windows:
        target_sizes = {}
        if ea != eb:
            b_options = _size_options(sb)
            if ea not in b_options:
                return _compare_after_resizing_a(a, b, sa, pa, ea, b_options, tuple(reasons))
            target_sizes = b_options[ea]
            changes += [("b", name, size) for name, size in target_sizes.items()]
        target_extents = window_extents(Convention("b", sb.id, {**pb, **target_sizes}))
        wanted_alpha = ma if sb.divisor == "one" else ma * words.window_cells(target_extents)
        if not _close(float(pb["alpha"]), wanted_alpha):
            changes.append(("b", "alpha", wanted_alpha))
            notes.append(words.alpha_note(sa, sb, ea, target_extents))
        differ_at_borders = sa.divisor != sb.divisor and "inside" in (sa.divisor, sb.divisor)
        if differ_at_borders and words.window_cells(target_extents) > 1:
            border_note = words.border_note("A" if sa.divisor == "inside" else "B")
    if not _close(ka, kb):
        if isinstance(sb.offset, str):
            changes.append(("b", sb.offset, ka))
        elif isinstance(sa.offset, str):
            changes.append(("a", sa.offset, kb))
            notes.append(words.fixed_constant_note(kb, sa.offset))
    if not _close(beta_a, beta_b):
        changes.append(("b", "beta", beta_a))
    axes = (1,) if sa.axes == CHANNEL_AXES else (2, 3)
    return Comparison(True, tuple(reasons), tuple(changes), tuple(notes), border_note, axes)


def _compare_after_resizing_a(
    a: Convention,
    b: Convention,
    sa: LocalScheme,
    pa: Mapping,
    ea: tuple,
    b_options: dict,
    reasons: tuple,
) -> Comparison:
    """B cannot have A's window: change A's window to the nearest one B can have, then compare."""
    current = {name: pa[name] for name in sa.size_params}
    candidates = [
        (sum(abs(sizes[k] - current[k]) for k in sizes), -sum(sizes.values()), extents, sizes)
        for extents, sizes in _size_options(sa).items()
        if extents in b_options
    ]
    if not candidates:
        return Comparison(
            True, reasons, (), (words.why_no_window(sa, LOCAL_SCHEMES[b.scheme_id], ea),)
        )
    *_, sizes = min(candidates, key=lambda item: item[:2])
    resized = compare(Convention(a.slot, a.scheme_id, {**a.params, **sizes}), b)
    return Comparison(
        True,
        reasons,
        tuple(("a", name, size) for name, size in sizes.items()) + resized.changes,
        (words.why_no_window(sa, LOCAL_SCHEMES[b.scheme_id], ea), *resized.change_notes),
        resized.border_note,
        resized.interior_axes,
    )


def _compare_with_mvn(a: Convention, b: Convention) -> Comparison:
    if a.scheme_id != b.scheme_id:
        local = a if a.is_local else b
        reason = words.mvn_against_local(SLOT_NAMES[local.slot], local.scheme.detail)
        return Comparison(False, (reason,), (), (words.NO_AGREEMENT,))
    reasons, changes = [], []
    for p in SCHEMES[MVN].params:
        if a.params[p.name] != b.params[p.name]:
            reasons.append(
                words.parameter_reason(p.name, a.params[p.name], b.params[p.name], p.help)
            )
            changes.append(("b", p.name, a.params[p.name]))
    uses_variance = a.params.get("normalize_variance", True) or b.params.get(
        "normalize_variance", True
    )
    if uses_variance and not _close(a.eps, b.eps):
        reasons.append(words.eps_reason(a.eps, b.eps))
        changes.append(("b", "eps", a.eps))
    return Comparison(True, tuple(reasons), tuple(changes), ())


def interior_mask(shape: tuple, a: Convention, b: Convention) -> np.ndarray | None:
    """Cells whose windows in both conventions lie inside the tensor (bool, ``shape``), or None.

    None unless both are local schemes with windows along the same axes.
    """
    if not (a.is_local and b.is_local) or (
        LOCAL_SCHEMES[a.scheme_id].axes != LOCAL_SCHEMES[b.scheme_id].axes
    ):
        return None
    ea, eb = window_extents(a), window_extents(b)
    axes = (1,) if LOCAL_SCHEMES[a.scheme_id].axes == CHANNEL_AXES else (2, 3)
    mask = np.ones(shape, dtype=bool)
    for axis, (ba, fa), (bb, fb) in zip(axes, ea, eb):
        before, after = max(ba, bb), max(fa, fb)
        keep = np.zeros(shape[axis], dtype=bool)
        keep[before : shape[axis] - after] = True
        mask &= keep.reshape([-1 if i == axis else 1 for i in range(4)])
    return mask


def comparison_sentences(result: LocalResult) -> tuple:
    """What the difference map shows and why, computed from the parameters and the numbers.

    Returns
    -------
    tuple of str
        The verdict on this tensor with max |y_A − y_B|, the reasons they differ, and the changes
        that make them agree (or why none can).  Markdown.
    """
    a, b = result.a, result.b
    cmp = compare(a, b)
    max_diff, tol = result.max_diff, result.tolerance
    inside = None
    border_only = max_diff > tol and cmp.border_note and not cmp.reasons
    inner = interior_mask(result.x.shape, a, b) if border_only else None
    if inner is not None and inner.any():
        inside = float(np.max(np.abs(result.diff[inner])))
    return words.comparison_lines(
        cmp,
        max_diff,
        tol,
        agreement=_agreement_reason(a, b) if cmp.agree else "",
        inside=inside,
        measured_inside=inner is not None,
        slot_names=SLOT_NAMES,
    )


def _agreement_reason(a: Convention, b: Convention) -> str:
    """Why two conventions that :func:`compare` finds alike give the same output."""
    if not a.is_local:
        return words.SAME_MVN
    sa, sb = LOCAL_SCHEMES[a.scheme_id], LOCAL_SCHEMES[b.scheme_id]
    pa, pb = resolve_local_params(sa, a.params), resolve_local_params(sb, b.params)
    ea, eb = window_extents(a), window_extents(b)
    if _multiplier(sa, pa, ea) == 0:
        return words.alpha_zero_agreement(_offset(sa, pa))
    return words.same_window_agreement((sa, pa, ea), (sb, pb, eb), _offset(sa, pa))


# --- equivalences ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Equivalence:
    """One known equivalence, measured on the page's tensor.

    Attributes
    ----------
    claim : str
    left, right : str
        The two computations compared, with their settings.
    max_diff : float or None
        max |left − right| over the cells the claim is about (None when there are none).
    holds : bool
        Whether ``max_diff`` is within rounding.
    note : str
        What else was measured (e.g. the difference near the borders, or with ε).
    """

    claim: str
    left: str
    right: str
    max_diff: float | None
    holds: bool
    note: str = ""

    def row(self) -> dict:
        """A table row for the page."""
        return {
            "equivalence": self.claim,
            "left": self.left,
            "right": self.right,
            "max |left − right|": "—" if self.max_diff is None else f"{self.max_diff:.3g}",
            "holds here": "yes" if self.holds else "no",
            "note": self.note,
        }


def _max_abs(a: np.ndarray, b: np.ndarray, mask: np.ndarray | None = None) -> float | None:
    d = np.abs(a.astype(np.float64) - b.astype(np.float64))
    if mask is not None:
        d = d[mask]
    return float(d.max()) if d.size else None


def _equivalence(row_words: tuple, a, b, mask=None) -> Equivalence:
    """One row: its words (claim, left, right, note; :mod:`bnviz.text.equivalences`) and the
    largest difference of ``a`` and ``b`` (over ``mask``), judged against rounding."""
    claim, left, right, note = row_words
    diff = _max_abs(a, b, mask)
    tol = rounding_tolerance(a.dtype, a, b)
    return Equivalence(claim, left, right, diff, diff is not None and diff <= tol, note)


def equivalences(x: np.ndarray, values: Mapping) -> tuple:
    """The known equivalences, each measured on ``x`` (N, C, H, W) with convention A's settings.

    Rows: MVN within channels is instance norm and MVN across channels is layer norm (up to where
    ε goes); LRN with α = 0 is the identity; MatConvNet's cross-channel norm with α/n and an odd n
    is LRN; the spatial norm is Caffe's within-channel LRN away from the borders.
    """
    rows = []
    eps = float(values[param_key("a", MVN, "eps")])
    # An ε large enough for its place to show (Caffe's 1e-9 vanishes in float32 rounding).
    shown_eps = max(eps, SCHEMES["instance"].eps_default)
    for across, other in ((False, "instance"), (True, "layer")):
        mvn = normalize(x, MVN, eps=0.0, across_channels=across).y
        ref = normalize(x, other, eps=0.0).y
        with_eps = _max_abs(
            normalize(x, MVN, eps=shown_eps, across_channels=across).y,
            normalize(x, other, eps=shown_eps).y,
        )
        rows.append(
            _equivalence(
                equivalence_words.mvn(across, SCHEMES[other].name, shown_eps, with_eps), mvn, ref
            )
        )

    lrn = resolve_local_params(
        LOCAL_SCHEMES["lrn"], {n: values[param_key("a", "lrn", n)] for n, *_ in _param_specs("lrn")}
    )
    n = lrn["size"]
    identity = local_normalize(x, "lrn", **{**lrn, "alpha": 0.0, "k": 1.0})
    rows.append(_equivalence(equivalence_words.lrn_identity(n, lrn["beta"]), identity, x))

    cross = LOCAL_SCHEMES["cross-channel"]
    as_cross = {
        cross.size_params[0]: n,
        cross.offset: lrn["k"],
        "alpha": lrn["alpha"] / n,
        "beta": lrn["beta"],
    }
    rows.append(
        _equivalence(
            equivalence_words.cross_channel(n, lrn["alpha"], lrn["beta"], lrn["k"]),
            local_normalize(x, "lrn", **lrn),
            local_normalize(x, "cross-channel", **as_cross),
        )
    )

    within = resolve_local_params(
        LOCAL_SCHEMES["lrn-within"],
        {k: values[param_key("a", "lrn-within", k)] for k, *_ in _param_specs("lrn-within")},
    )
    side = within["size"]
    spatial_params = {
        "height": side,
        "width": side,
        "alpha": within["alpha"],
        "beta": within["beta"],
    }
    y_within = local_normalize(x, "lrn-within", **within)
    y_spatial = local_normalize(x, "spatial", **spatial_params)
    inner = interior_mask(
        x.shape,
        Convention("a", "lrn-within", within),
        Convention("b", "spatial", spatial_params),
    )
    border = _max_abs(y_within, y_spatial, ~inner)
    rows.append(
        _equivalence(
            equivalence_words.spatial(
                side, within["alpha"], within["beta"], bool(inner.any()), border
            ),
            y_within,
            y_spatial,
            mask=inner,
        )
    )
    return tuple(rows)


# --- one cell's formula ------------------------------------------------------------------------------


def cell_formula(
    x: np.ndarray, conv: Convention, cell: tuple, terms: LocalTerms | None = None
) -> words.CellFormula:
    """The formula of ``cell`` (n, c, h, w) under ``conv``, with its numbers.

    For a local scheme: the sum of squares S over the window (cells outside the tensor written as
    0), the divisor D actually used, the base k + α/D · S, the denominator base^β and y
    (``terms``: the cell's :func:`bnviz.engine.local.local_terms`, when already computed).  For
    MVN: μ, σ and y = (x − μ) / (σ + ε).
    """
    if conv.is_local:
        if terms is None:
            terms = local_terms(x, conv.scheme_id, cell, **conv.params)
        return words.local_formula(terms)
    out = normalize(x, MVN, eps=conv.eps, **conv.params)
    return words.mvn_formula(
        float(x[cell]),
        float(np.broadcast_to(out.mean, x.shape)[cell]),
        float(np.broadcast_to(out.var, x.shape)[cell]),
        float(out.y[cell]),
        int(np.count_nonzero(cell_neighbourhood(x.shape, conv, cell))),
        conv.eps,
        conv.params.get("normalize_variance", True),
    )


def cell_details(result: LocalResult, cell: tuple | None) -> dict:
    """What each convention's column shows of the selected cell, by slot ("a", "b"): None with
    no cell selected, else (the cell's window terms, None for MVN, which has no window;
    :func:`cell_formula`)."""
    details = {}
    for conv in (result.a, result.b):
        if cell is None:
            details[conv.slot] = None
            continue
        terms = (
            local_terms(result.x, conv.scheme_id, cell, **conv.params) if conv.is_local else None
        )
        details[conv.slot] = (terms, cell_formula(result.x, conv, cell, terms))
    return details


def result_settings(values: Mapping) -> dict:
    """The field values the results depend on: all but the selected cell (so that selecting a
    cell finds the results cached)."""
    return {f.key: values[f.key] for f in FIELDS if f.key != "cell"}


#: Names of the values the maps show, on hover and in the colour legend.
VALUE_NAMES = {"x": "x", "y_a": "y_A", "y_b": "y_B", "diff": "y_A − y_B"}


def map_plan(shape: tuple) -> groupmap.DrawPlan:
    """Which cells the page's maps draw: the first rows and columns of a large tensor (not every
    k-th: a window is made of neighbouring cells)."""
    return groupmap.plan_drawing(shape, crop=True)


def map_payload(
    result: LocalResult,
    colour: str,
    *,
    cell=None,
    sample_names=None,
    channel_names=None,
    file_name: str = "bnviz-local-map",
) -> bytes:
    """A value map of ``result`` for the browser (:func:`bnviz.figures.groupmap.map_payload`):
    coloured by ``colour`` (a key of :data:`VALUE_NAMES`; "diff" on a scale centred on 0), and
    lighting on hover the cells convention A reads for the hovered cell: its window for a local
    normalization, its group for MVN."""
    shape = result.x.shape
    a = result.a
    if a.is_local:
        axis = "C" if a.scheme.axes == CHANNEL_AXES else "HW"
        window = {"axis": axis, "extents": [list(e) for e in window_extents(a)]}
        labels = np.zeros(shape, dtype=np.int32)
    else:  # MVN: A reads its group
        window = None
        labels = group_labels(shape, a.scheme_id, **resolve_params(a.scheme, shape[1], a.params))
    values = {"x": result.x, "y_a": result.y_a, "y_b": result.y_b, "diff": result.diff}
    return groupmap.map_payload(
        map_plan(shape),
        labels,
        x=result.x,
        y=result.y_a,
        mean=np.zeros(1),
        var=np.zeros(1),
        colour_by="values",
        colour_values=values[colour],
        diverging=colour == "diff",
        statistics=False,
        y_label=VALUE_NAMES["y_a"],
        colour_label=VALUE_NAMES[colour],
        extra={VALUE_NAMES["y_b"]: result.y_b, VALUE_NAMES["diff"]: result.diff},
        selected=cell,
        sample_names=sample_names,
        channel_names=channel_names,
        window=window,
        file_name=file_name,
    )
