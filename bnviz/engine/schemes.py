"""The normalization schemes, each defined once, declaratively.

A statistic-sharing scheme is defined by the axes that **keep** their own statistics; every other
axis is reduced.  Axes are named on a 5-D view of the activation tensor,

    (N, G, Cg, H, W)  with  C = G * Cg,

where ``G`` indexes groups of ``Cg = C / G`` consecutive channels.  Only the ``group`` scheme splits
the channels (``G = num_groups``); every other scheme has ``G = 1``.  Keeping ``"C"`` keeps both
``G`` and ``Cg`` (each channel is its own), keeping ``"G"`` keeps only the channel group.

Everything else (group labels, the normalization itself, parameter shapes, sentences, figures)
derives from these definitions: adding a scheme is one more entry in :data:`SCHEMES`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from .errors import InputError

#: The four axes of an activation tensor, in PyTorch's NCHW order.
AXES = ("N", "C", "H", "W")
#: What each axis is, for sentences and labels.
AXIS_NAMES = {
    "N": "sample",
    "C": "channel",
    "G": "channel group",
    "H": "row",
    "W": "column",
    "L": "position",
}


@dataclass(frozen=True)
class Param:
    """One hyper-parameter of a scheme (not a learned one).

    ``kind`` is ``"int"``, ``"float"``, ``"bool"`` or ``"axes"`` (a set of the axes N, C, H, W,
    written as a string of their letters in that order, e.g. ``"NC"``; ``""`` is the empty set);
    ``default=None`` means the caller must give it.
    """

    name: str
    kind: str
    default: object
    help: str


@dataclass(frozen=True)
class Scheme:
    """A normalization scheme whose cells share statistics in groups.

    Attributes
    ----------
    id : str
        The identifier used in URLs and in the Python API (``"batch"``, ``"group"``, ...).
    name : str
        A short human name ("Batch norm").
    detail : str
        What shares one mean and variance, in words ("each channel, over N, H and W").
    kept : frozenset of str or callable
        The axes of the (N, G, Cg, H, W) view that keep their own statistics (see the module
        docstring), or a function of the scheme's parameters returning that set.
    param_axes : tuple of str or None or callable
        The axes of the learned scale and shift (gamma, beta) laid out on the tensor, e.g.
        ``("C",)``; ``()`` is a single scalar pair; ``None`` means the scheme has no learned
        parameters; or a function of the scheme's parameters returning one of those.
    params : tuple of Param
        The scheme's hyper-parameters besides ``eps``.
    eps_default : float
        Default of epsilon.
    eps_on_std : bool
        False (PyTorch): x_hat = (x - mu) / sqrt(var + eps).  True (Caffe MVN): (x - mu) / (sqrt(var) + eps).
    variance_param : str or None
        Name of a boolean parameter that switches variance normalization off (x_hat = x - mu).
    notes : tuple of str
        Sentences on the scheme's conventions, shown after the generated ones.
    detail_by_params : callable or None
        For a scheme whose grouping depends on its parameters: a function of the (validated)
        parameters returning the ``detail`` text for them; ``detail`` then covers every case.
    """

    id: str
    name: str
    detail: str
    kept: frozenset | Callable[[Mapping], frozenset]
    param_axes: tuple | None | Callable[[Mapping], tuple | None] = ("C",)
    params: tuple = ()
    eps_default: float = 1e-5
    eps_on_std: bool = False
    variance_param: str | None = None
    notes: tuple = field(default=())
    detail_by_params: Callable[[Mapping], str] | None = None

    def __reduce__(self):
        # Schemes are registry singletons (some hold functions): pickle them by id, so results
        # that carry one can be cached and copied.
        return (get_scheme, (self.id,))

    def kept_axes(self, params: Mapping) -> frozenset:
        """The kept axes for these (already validated) parameters."""
        return self.kept(params) if callable(self.kept) else self.kept

    def param_axes_for(self, params: Mapping) -> tuple | None:
        """The axes of gamma and beta for these (already validated) parameters (see ``param_axes``)."""
        return self.param_axes(params) if callable(self.param_axes) else self.param_axes

    def detail_for(self, params: Mapping) -> str:
        """What shares one mean and variance, in words, for these (already validated) parameters."""
        return self.detail_by_params(params) if self.detail_by_params else self.detail

    def splits_channels(self, params: Mapping) -> bool:
        """True when the channels are split into groups (the kept set names ``G`` without ``C``)."""
        kept = self.kept_axes(params)
        return "G" in kept and "C" not in kept


NUM_GROUPS = Param("num_groups", "int", None, "number of channel groups G; must divide C")
ACROSS_CHANNELS = Param(
    "across_channels",
    "bool",
    False,
    "True: one mean and variance per sample, over (C, H, W); False: per sample and channel, "
    "over (H, W)",
)
NORMALIZE_VARIANCE = Param(
    "normalize_variance", "bool", True, "False: only subtract the mean, y = x − μ"
)

KEEP = Param(
    "keep",
    "axes",
    "C",
    "the axes that keep their own statistics (any of N, C, H, W); the others are reduced",
)


#: Every set of kept axes a ``custom`` scheme can have, fewest axes first: "", "N", …, "NCHW".
AXES_SUBSETS = tuple(
    sorted(
        ("".join(a for bit, a in enumerate(AXES) if mask >> bit & 1) for mask in range(16)),
        key=lambda axes: (len(axes), [AXES.index(a) for a in axes]),
    )
)


def axes_value(value) -> str:
    """A set of axes as an ``"axes"`` parameter holds it: the letters in N, C, H, W order.

    Accepts a string of letters in any order and case (``"cn"``, ``"N,C"``; ``""``, ``"none"``
    or ``"-"`` for no axis) or an iterable of letters; raises ValueError for anything else.
    """
    if isinstance(value, str):
        text = value.strip().upper()
        letters = [] if text in ("", "NONE", "-", "∅") else [ch for ch in text if ch not in ", +"]
    elif isinstance(value, (list, tuple, set, frozenset)):
        letters = [str(item).strip().upper() for item in value]
    else:
        raise ValueError(value)
    if any(letter not in AXES for letter in letters) or len(set(letters)) != len(letters):
        raise ValueError(value)
    return "".join(axis for axis in AXES if axis in letters)


def _axes_phrase(axes) -> str:
    """("N", "H", "W") as "N, H and W"."""
    axes = list(axes)
    return ", ".join(axes[:-1]) + " and " + axes[-1] if len(axes) > 1 else "".join(axes)


def _custom_detail(params: Mapping) -> str:
    # E.g. "each (n, c), over H and W": the kept axes index the groups, the others are reduced.
    kept = params["keep"]
    reduced = [axis for axis in AXES if axis not in kept]
    if not kept:
        return "the whole tensor (N, C, H, W): nothing keeps its own statistics"
    where = ", ".join(axis.lower() for axis in kept)
    where = f"({where})" if len(kept) > 1 else f"{AXIS_NAMES[kept]} {where}"
    if not reduced:
        return f"each single cell {where}: every axis keeps its own statistics, nothing is reduced"
    return f"each {where}, over {_axes_phrase(reduced)}"


# Caffe MVN's two groupings, in the words of ``Scheme.detail``.
_MVN_WITHIN = "each sample and channel (n, c), over its locations (H, W)"
_MVN_ACROSS = "each sample, over its channels and locations (C, H, W)"


#: Every statistic-sharing scheme, by id, in the order the app lists them.
SCHEMES: dict[str, Scheme] = {
    s.id: s
    for s in (
        Scheme(
            "batch",
            "Batch norm (per channel)",
            "each channel, over the batch and all locations (N, H, W)",
            frozenset({"C"}),
            param_axes=("C",),
        ),
        Scheme(
            "batch-pixel",
            "Batch norm per activation (c, h, w)",
            "each activation (c, h, w), over the batch N",
            frozenset({"C", "H", "W"}),
            param_axes=("C", "H", "W"),
        ),
        Scheme(
            "batch-location",
            "Batch norm per location",
            "each location (h, w), over the batch and the channels (N, C)",
            frozenset({"H", "W"}),
            param_axes=("H", "W"),
            notes=(
                "bnviz gives each location its own γ and β, one pair per mean and variance, as "
                "batch norm does for each channel.",
            ),
        ),
        Scheme(
            "layer",
            "Layer norm",
            "each sample, over its channels and locations (C, H, W)",
            frozenset({"N"}),
            param_axes=("C", "H", "W"),
        ),
        Scheme(
            "instance",
            "Instance norm",
            "each sample and channel (n, c), over its locations (H, W)",
            frozenset({"N", "C"}),
            param_axes=("C",),
        ),
        Scheme(
            "group",
            "Group norm",
            "each sample and group of C/G consecutive channels, over those channels and all locations",
            frozenset({"N", "G"}),
            param_axes=("C",),
            params=(NUM_GROUPS,),
        ),
        Scheme(
            "tensor",
            "Whole-tensor norm",
            "the whole tensor (N, C, H, W): one mean and one variance",
            frozenset(),
            param_axes=(),
        ),
        Scheme(
            "mvn",
            "Mean-variance norm (Caffe MVN)",
            f"{_MVN_WITHIN}; with across_channels, {_MVN_ACROSS}",
            # Within channels it groups like instance norm, across channels like layer norm.
            lambda p: frozenset({"N"}) if p["across_channels"] else frozenset({"N", "C"}),
            param_axes=None,
            params=(ACROSS_CHANNELS, NORMALIZE_VARIANCE),
            eps_default=1e-9,
            eps_on_std=True,
            variance_param="normalize_variance",
            detail_by_params=lambda p: _MVN_ACROSS if p["across_channels"] else _MVN_WITHIN,
            notes=(
                "Caffe's MVN layer is a normalization from before batch norm; its σ² is the biased "
                "variance, and its default ε is 1e-9.",
                "In Caffe a separate Scale layer would add a learned scale and shift.",
            ),
        ),
        Scheme(
            "custom",
            "Custom axes",
            "each position along the chosen kept axes, over all the other axes",
            lambda p: frozenset(p["keep"]),
            # Batch norm's convention: one γ and β per kept position of C, H and W.  A learned
            # parameter cannot depend on the sample, so a kept N adds none.
            param_axes=lambda p: tuple(axis for axis in p["keep"] if axis != "N"),
            params=(KEEP,),
            detail_by_params=_custom_detail,
            notes=(
                "Custom axes follow batch norm's convention for γ and β: one pair per kept "
                "position of every axis but N, none for N (a learned parameter cannot depend on "
                "the sample). PyTorch's LayerNorm, whose groups are those of keeping N, learns "
                "one pair per position of all the other axes instead.",
            ),
        ),
    )
}


def get_scheme(scheme: str | Scheme) -> Scheme:
    """The :class:`Scheme` for an id (or the scheme itself); InputError for an unknown id."""
    if isinstance(scheme, Scheme):
        return scheme
    try:
        return SCHEMES[scheme]
    except (KeyError, TypeError):
        known = ", ".join(SCHEMES)
        raise InputError(f"Unknown scheme {scheme!r}; known schemes: {known}.") from None


def resolve_params(scheme: Scheme, channels: int, params: Mapping) -> dict:
    """Check and complete a scheme's hyper-parameters for a tensor with ``channels`` channels.

    Returns a dict with every declared parameter (defaults filled in).  Raises InputError for
    unknown names, missing required values, wrong types, or num_groups not dividing C.
    """
    declared = {p.name: p for p in scheme.params}
    unknown = set(params) - set(declared)
    if unknown:
        allowed = ", ".join(declared) or "none"
        raise InputError(
            f"Scheme {scheme.id!r} takes no parameter {', '.join(sorted(unknown))} "
            f"(its parameters: {allowed})."
        )
    resolved = {}
    for name, spec in declared.items():
        value = params.get(name, spec.default)
        if value is None:
            raise InputError(f"Scheme {scheme.id!r} needs {name} ({spec.help}).")
        resolved[name] = _coerce(scheme, spec, value)
    if "num_groups" in resolved:
        groups = resolved["num_groups"]
        if groups < 1 or channels % groups:
            raise InputError(
                f"num_groups={groups} must be a positive divisor of the {channels} channels "
                f"(divisors: {', '.join(map(str, divisors(channels)))})."
            )
    return resolved


def _coerce(scheme: Scheme, spec: Param, value):
    try:
        if spec.kind == "int":
            if isinstance(value, bool) or int(value) != value:
                raise ValueError
            return int(value)
        if spec.kind == "float":
            return float(value)
        if spec.kind == "bool":
            if not isinstance(value, (bool, int)) or value not in (0, 1):
                raise ValueError
            return bool(value)
        if spec.kind == "axes":
            return axes_value(value)
    except (TypeError, ValueError):
        pass
    if spec.kind == "axes":
        raise InputError(
            f"{scheme.id}: {spec.name}={value!r} is not a set of axes; give letters among "
            f'{", ".join(AXES)}, e.g. "NC" ("" for none).'
        )
    raise InputError(f"{scheme.id}: {spec.name}={value!r} is not a valid {spec.kind}.")


def divisors(n: int) -> list[int]:
    """The positive divisors of ``n``, ascending."""
    return [d for d in range(1, n + 1) if n % d == 0]


def default_groups(channels: int) -> int:
    """A teaching default for group norm's G: the divisor of C nearest √C, at least 2 when C
    allows (G = 1 would be layer norm, G = C instance norm)."""
    options = [d for d in divisors(channels) if d > 1] or [1]
    return min(options, key=lambda d: (abs(math.log(d) - 0.5 * math.log(channels)), d))


def scheme_label(scheme: str | Scheme, params: Mapping | None = None) -> str:
    """A scheme's name with the hyper-parameters that tell its variants apart.

    Parameters without a default (``num_groups``) are always shown, others only when they differ
    from their default; kept axes as letters: "Custom axes: keep N, C".
    """
    scheme = get_scheme(scheme)
    parts = []
    for param in scheme.params:
        value = (params or {}).get(param.name, param.default)
        if param.default is not None and value == param.default and param.kind != "axes":
            continue
        if param.kind == "axes":
            parts.append(f"keep {', '.join(axes_value(value)) or 'none'}")
        elif param.kind == "bool":
            parts.append(param.name if value else f"no {param.name}")
        else:
            parts.append(f"{param.name} = {value}")
    return f"{scheme.name}: {'; '.join(parts)}" if parts else scheme.name
