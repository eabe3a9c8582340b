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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from .errors import InputError, look_up

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
    """One hyper-parameter of a scheme (not a learned one): everything the app needs to offer it.

    Attributes
    ----------
    name : str
        The keyword ``normalize`` takes, and the URL field's name.
    kind : str
        ``"int"``, ``"float"``, ``"bool"`` or ``"axes"`` (a set of the axes N, C, H, W, written
        as a string of their letters in that order, e.g. ``"NC"``; ``""`` is the empty set).
    default : object
        None means the caller must give it (the app then uses ``default_for``).
    help : str
        What it means, for a person.
    label : str
        The widget's label ("" : the name).
    choices : callable or None
        A function of the number of channels C returning the allowed values (e.g. the divisors
        of C); the app offers them in a list and moves a value outside them to the nearest.
    rule : str
        The rule ``choices`` follow, in words ("G must divide C").
    default_for : callable or None
        A function of C returning a teaching default where ``default`` is None.
    low, high : float or None
        Bounds of an int or float parameter without ``choices``.
    """

    name: str
    kind: str
    default: object
    help: str
    label: str = ""
    choices: Callable[[int], Sequence] | None = None
    rule: str = ""
    default_for: Callable[[int], object] | None = None
    low: float | None = None
    high: float | None = None

    @property
    def title(self) -> str:
        """The widget's label."""
        return self.label or self.name

    @property
    def bounds(self) -> tuple:
        """(low, high) of an int or float URL field: the declared bounds, else generous ones."""
        low = self.low if self.low is not None else (1 if self.kind == "int" else 0.0)
        high = self.high if self.high is not None else (4096 if self.kind == "int" else 1e6)
        return low, high

    def value_for(self, channels: int, value=None):
        """``value`` (or the default) made valid for C channels: the nearest of ``choices``,
        ``default_for`` where nothing is given; None where nothing can be said."""
        if value is None:
            value = (
                self.default
                if self.default is not None
                else (self.default_for(channels) if self.default_for else None)
            )
        if value is None or self.choices is None:
            return value
        options = list(self.choices(channels))
        if value in options:
            return value
        return min(options, key=lambda option: (abs(option - value), option))


#: What a scheme divides by, in words: "std" √(σ² + ε) (PyTorch's layers), "std_plus_eps" σ + ε
#: (Caffe's MVN), "rms" √(mean x² + ε) (RMSNorm, pixel norm: no mean), "none" (only centred).
DIVISORS = {
    "std": "√(σ² + ε)",
    "std_plus_eps": "(σ + ε)",
    "rms": "√(mean x² + ε)",
    "none": "",
}


@dataclass(frozen=True)
class Formula:
    """How a group's values become x̂ and y: x̂ = (x − μ if ``centre`` else x) / divisor,
    y = γ · x̂ + β (β only where ``shift``; γ and β only where the scheme learns parameters).

    Attributes
    ----------
    centre : bool
        Whether the group's mean is subtracted.
    divide : str
        A key of :data:`DIVISORS`.
    shift : bool
        Whether the scheme learns a shift β beside its scale γ.
    """

    centre: bool = True
    divide: str = "std"
    shift: bool = True

    @property
    def uses_variance(self) -> bool:
        """Whether the group's variance σ² enters the formula."""
        return self.divide in ("std", "std_plus_eps")

    @property
    def uses_eps(self) -> bool:
        return self.divide != "none"

    @property
    def x_hat_text(self) -> str:
        """x̂ as a formula, e.g. "(x − μ) / √(σ² + ε)"."""
        top = "(x − μ)" if self.centre else "x"
        if self.divide == "none":
            return "x − μ" if self.centre else "x"
        return f"{top} / {DIVISORS[self.divide]}"

    @property
    def y_text(self) -> str:
        """y in terms of x̂, where the scheme learns γ (and β)."""
        return f"y = γ · {self.x_hat_text}" + (" + β" if self.shift else "")

    @property
    def divisor_statistic(self) -> str:
        """The statistic inside the divisor: "σ²", "σ", "mean x²", or "" (nothing divides)."""
        return {"std": "σ²", "std_plus_eps": "σ", "rms": "mean x²", "none": ""}[self.divide]

    @property
    def statistics(self) -> str:
        """What each group shares: "μ and σ²", "μ", or "mean x²"."""
        if self.divide == "rms":
            return "mean x²"
        return "μ and σ²" if self.uses_variance else "μ"


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
    formula : Formula or callable
        How x̂ and y are computed (or a function of the parameters returning it).
    eps_default : float or None
        Default of ε; None: the machine epsilon of the input's dtype (PyTorch's RMSNorm default).
    channel_groups : callable or None
        For a scheme that splits the channels into groups (kept ``G`` without ``C``): a function
        of the parameters returning how many groups.
    token_kept, token_param_axes : frozenset, tuple or None
        What the scheme keeps, and its γ/β axes, on a token tensor (N, L, D) where transformers
        mean something else by it (layer norm: each token over D); None: as on any tensor.
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
    formula: Formula | Callable[[Mapping], Formula] = Formula()
    eps_default: float | None = 1e-5
    channel_groups: Callable[[Mapping], int] | None = None
    token_kept: frozenset | None = None
    token_param_axes: tuple | None = None
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

    def formula_for(self, params: Mapping) -> Formula:
        """The formula for these (already validated) parameters."""
        return self.formula(params) if callable(self.formula) else self.formula

    def default_eps(self, dtype=np.float32) -> float:
        """ε when none is given: the declared default, or the dtype's machine epsilon."""
        if self.eps_default is not None:
            return self.eps_default
        return float(np.finfo(dtype if np.dtype(dtype).kind == "f" else np.float64).eps)

    def splits_channels(self, params: Mapping) -> bool:
        """True when the channels are split into groups (the kept set names ``G`` without ``C``)."""
        kept = self.kept_axes(params)
        return "G" in kept and "C" not in kept


def default_groups(channels: int) -> int:
    """A teaching default for group norm's G: the divisor of C nearest √C, at least 2 when C
    allows (G = 1 would be layer norm, G = C instance norm)."""
    options = [d for d in divisors(channels) if d > 1] or [1]
    return min(options, key=lambda d: (abs(math.log(d) - 0.5 * math.log(channels)), d))


def divisors(n: int) -> list[int]:
    """The positive divisors of ``n``, ascending."""
    return [d for d in range(1, n + 1) if n % d == 0]


NUM_GROUPS = Param(
    "num_groups",
    "int",
    None,
    "number of channel groups G; must divide C (each group holds C/G whole channels)",
    label="num_groups (G)",
    choices=divisors,
    rule="G must divide C",
    default_for=default_groups,
)
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


def axes_phrase(axes) -> str:
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
    return f"each {where}, over {axes_phrase(reduced)}"


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
            # Transformers' LayerNorm(D): each token (n, l) over its D features (L plays W).
            token_kept=frozenset({"N", "W"}),
            token_param_axes=("C",),
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
            channel_groups=lambda p: p["num_groups"],
        ),
        Scheme(
            "layer-channels",
            "Layer norm over channels (ConvNeXt)",
            "each location of each sample (n, h, w), over its channels C",
            frozenset({"N", "H", "W"}),
            param_axes=("C",),
            eps_default=1e-6,
            notes=(
                "ConvNeXt (Liu et al. 2022) applies LayerNorm(C, eps=1e-6) with its channels "
                "last: each location of each sample is normalized over its channels, with one γ "
                "and β per channel.",
            ),
        ),
        Scheme(
            "rms",
            "RMS norm",
            "each sample, over its channels and locations (C, H, W)",
            frozenset({"N"}),
            param_axes=("C", "H", "W"),
            formula=Formula(centre=False, divide="rms", shift=False),
            eps_default=None,
            token_kept=frozenset({"N", "W"}),  # RMSNorm(D): each token over its features
            token_param_axes=("C",),
            notes=(
                "RMSNorm (Zhang & Sennrich 2019) divides by the root mean square and subtracts "
                "no mean; it learns a scale γ and no shift β. PyTorch's RMSNorm takes ε, when not "
                "given, as the machine epsilon of the input's dtype (1.19e-07 for float32).",
            ),
        ),
        Scheme(
            "pixel",
            "Pixel norm (ProGAN)",
            "each pixel (n, h, w), over its channels C",
            frozenset({"N", "H", "W"}),
            param_axes=None,
            formula=Formula(centre=False, divide="rms", shift=False),
            eps_default=1e-8,
            notes=(
                "ProGAN's pixelwise feature vector normalization (Karras et al. 2018, Eq. 2): "
                "each pixel's vector of C features is divided by its root mean square, "
                "b = a / √(mean of a² + ε) with ε = 1e-8; nothing is subtracted or learned.",
            ),
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
            formula=lambda p: Formula(
                divide="std_plus_eps" if p["normalize_variance"] else "none", shift=False
            ),
            eps_default=1e-9,
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
    return look_up(
        SCHEMES, scheme, lambda known: f"Unknown scheme {scheme!r}; known schemes: {known}.", Scheme
    )


def resolve_params(scheme: Scheme, channels: int, params: Mapping) -> dict:
    """Check and complete a scheme's hyper-parameters for a tensor with ``channels`` channels.

    Returns a dict with every declared parameter (defaults filled in).  Raises InputError for
    unknown names, missing required values, wrong types, or values outside a parameter's
    ``choices`` (e.g. num_groups not dividing C) or bounds.
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
    for name, spec in declared.items():
        if spec.choices is not None and resolved[name] not in spec.choices(channels):
            allowed = ", ".join(map(str, spec.choices(channels)))
            raise InputError(
                f"{name}={resolved[name]} is not allowed with {channels} channels "
                f"({spec.rule or spec.help}; allowed: {allowed})."
            )
        if spec.low is not None and resolved[name] < spec.low:
            raise InputError(f"{name}={resolved[name]} must be at least {spec.low:g}.")
        if spec.high is not None and resolved[name] > spec.high:
            raise InputError(f"{name}={resolved[name]} must be at most {spec.high:g}.")
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


def default_params(scheme: str | Scheme, channels: int) -> dict:
    """Every parameter of ``scheme`` at its default for C = ``channels`` (``default_for`` where
    the declaration has no fixed default, e.g. group norm's G)."""
    return {p.name: p.value_for(channels) for p in get_scheme(scheme).params}
