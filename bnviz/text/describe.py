"""Counts and plain-language sentences for a scheme on a tensor shape."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from ..engine.layout import Layout, partition
from ..engine.normalize import check_eps
from ..engine.schemes import AXIS_NAMES, Formula, Scheme, axes_phrase
from ..engine.torch_recipe import TorchRecipe, tensor_axes, torch_recipe


def cell_text(cell: Sequence[int]) -> str:
    """A cell's index as written in sentences: (n, c, h, w) as "(1, 0, 2, 3)"."""
    return "(" + ", ".join(str(int(i)) for i in cell) + ")"


def plural(count: int, word: str, many: str | None = None) -> str:
    """``"1 mean"``, ``"3 means"``, with thousands separators."""
    return f"{count:,} {word if count == 1 else (many or word + 's')}"


def shape_text(shape: tuple) -> str:
    """``(3,)`` as "(3,)", ``(3, 4)`` as "(3, 4)", ``()`` as "() (a scalar)"."""
    return "() (a scalar)" if shape == () else str(tuple(shape))


def product_text(factors: tuple, total: int) -> str:
    """Factors (name, size) as "20 × 5 × 5 = 500"; a single factor (or none) as just the total."""
    if len(factors) <= 1:
        return f"{total:,}"
    return " × ".join(f"{size:,}" for _, size in factors) + f" = {total:,}"


#: How a set of kept axes is named in a sentence ("each channel c"), where it has a usual name.
_KEPT_NAMES = {
    ("C",): "each channel c",
    ("N",): "each sample n",
    ("N", "C"): "each sample and channel (n, c)",
    ("H", "W"): "each location (h, w)",
    ("L",): "each position l",
    ("C", "H", "W"): "each activation (c, h, w)",
    ("C", "L"): "each activation (c, l)",
    ("N", "L"): "each token (n, l)",
    ("D",): "each feature d",
    ("D", "L"): "each (d, l)",
}


def grouping_text(lay: Layout) -> str:
    """Which cells share one mean (and variance), in words, for the tensor's own axes.

    E.g. "each channel c, over N, H and W" on (N, C, H, W) and "each channel c, over N and L" on
    (N, C, L): the axes named are those the tensor has.
    """
    axes = tensor_axes(lay)
    kept = tuple(a for a, keep in axes if keep)
    reduced = tuple(a for a, keep in axes if not keep)
    if lay.scheme.splits_channels(lay.params):
        n, groups, per_group = lay.view_shape[:3]
        channel = lay.axis_labels[1]  # C, or D for the features of tokens
        word = "feature" if lay.tokens else "channel"
        spatial = [a for a in reduced if a not in ("N", channel)]
        over = axes_phrase([f"those {word}s", *spatial])
        return (
            f"each sample and group of {channel}/G = {groups * per_group}/{groups} = "
            f"{plural(per_group, f'consecutive {word}')}, over {over}"
        )
    if not kept:
        return f"the whole tensor, over {axes_phrase(reduced)}"
    where = _KEPT_NAMES.get(kept)
    if where is None:
        letters = ", ".join(a.lower() for a in kept)
        where = f"each ({letters})" if len(kept) > 1 else f"each {AXIS_NAMES[kept[0]]} {letters}"
    if not reduced:
        return f"{where}: every axis keeps its own statistics, so each group is a single cell"
    return f"{where}, over {axes_phrase(reduced)}"


@dataclass(frozen=True)
class Description:
    """What a scheme does to a tensor of a given shape, as numbers and sentences.

    Attributes
    ----------
    layout : Layout
    eps : float
        The ε the sentences and the recipe use.
    groups : int
        How many (mean, variance) pairs.
    group_size : int
        How many values each mean and variance is taken over (m′; batch norm's "effective
        mini-batch" where the statistics are shared across the batch, see ``shares_batch``).
    group_factors : tuple of (str, int)
        The reduced axes whose sizes multiply to ``group_size``, e.g. (("N", 20), ("H", 5), ("W", 5)).
    param_shape : tuple of int or None
        gamma's and beta's shape laid out on the tensor's axes, as ``normalize`` takes them (e.g.
        (C, H, W) for ``batch-pixel``); None when the scheme has none.  The PyTorch module may
        hold the same entries flat: see ``torch.param_shape``.
    param_count : int
        Entries in gamma (and in beta); 0 when the scheme has none.
    running_stats_shape : tuple of int or None
        Shape of the running mean and variance as the PyTorch module of ``torch`` holds them
        (e.g. (C·H·W,) for ``batch-pixel``); None where it keeps none.
    torch : TorchRecipe or None
        The PyTorch code that computes the scheme on this shape, with its facts; None where
        PyTorch cannot express it (Caffe's MVN).
    sentences : tuple of str
        Plain-language statements of all of the above, for a learner.
    """

    layout: Layout
    eps: float
    groups: int
    group_size: int
    group_factors: tuple
    param_shape: tuple | None
    param_count: int
    running_stats_shape: tuple | None
    torch: TorchRecipe | None
    sentences: tuple

    @property
    def scheme(self) -> Scheme:
        return self.layout.scheme

    @property
    def torch_code(self) -> str | None:
        """A Python expression in ``torch`` and ``x`` (a float tensor of the described shape) that
        evaluates to PyTorch's output in training mode with fresh parameters (γ = 1, β = 0) and
        this ε, e.g. ``torch.nn.BatchNorm2d(10, eps=1e-05)(x)``; None where PyTorch cannot express
        the scheme."""
        return None if self.torch is None else self.torch.code

    @property
    def shares_batch(self) -> bool:
        """True when a group spans several samples' cells' axis N (batch-style schemes): the
        output for one sample then depends on the others."""
        return not self.layout.kept[0]

    @property
    def size_term(self) -> str:
        """What m′ is called here: batch norm's "effective mini-batch" where the statistics are
        shared across N, else "group size"."""
        return "effective mini-batch" if self.shares_batch else "group size"

    @property
    def formula(self) -> Formula:
        """How x̂ and y are computed for this scheme and its parameters."""
        return self.scheme.formula_for(self.layout.params)

    @property
    def uses_variance(self) -> bool:
        """False where the variance is not used (Caffe MVN with normalize_variance off, RMS)."""
        return self.formula.uses_variance

    def shared_values(self, mean: float, var: float, digits: int = 6) -> str:
        """A group's statistics as Markdown, as the formula uses them: "μ = `0.1` and σ² =
        `2`", "μ = `0.1`" (no variance), or "mean x² = `2.01`" (RMS; var + μ²)."""
        if self.formula.divide == "rms":
            return f"mean x² = `{var + mean * mean:.{digits}g}`"
        text = f"μ = `{mean:.{digits}g}`"
        return text + (f" and σ² = `{var:.{digits}g}`" if self.uses_variance else "")

    @property
    def shared_statistics(self) -> str:
        """What the cells of a group share: "μ and σ²", "μ", or "mean x²"."""
        return self.formula.statistics

    @property
    def values_text(self) -> str:
        """The group size with its unit: "1 value", "500 values"."""
        return f"{self.factors_text} {'value' if self.group_size == 1 else 'values'}"

    @property
    def factors_text(self) -> str:
        """The group size as a product, e.g. "20 × 5 × 5 = 500" (just "20" for one factor)."""
        return product_text(self.group_factors, self.group_size)

    @property
    def factors_names(self) -> str:
        """The reduced axes as a product of names, e.g. "N × H × W" ("—" when nothing is reduced)."""
        return " × ".join(name for name, _ in self.group_factors) or "—"

    @property
    def param_shape_text(self) -> str:
        """γ and β's shape: "none", "(10,)", or with the PyTorch module's own where it holds the
        same entries flat: "(10, 5, 5), held flat as (250,) by BatchNorm1d"."""
        if self.param_shape is None:
            return "none"
        text = shape_text(self.param_shape)
        recipe = self.torch
        if recipe and recipe.params_match and recipe.param_shape != self.param_shape:
            text += f", held flat as {shape_text(recipe.param_shape)} by {recipe.module_name}"
        return text

    @property
    def learned(self) -> str:
        """The learned parameters' names: "γ and β", "γ" (no shift), or "" (none)."""
        if self.param_shape is None:
            return ""
        return "γ and β" if self.formula.shift else "γ"

    @property
    def param_text(self) -> str:
        """γ and β's size in words: "none", or "10 entries each, shape (10,)" (with the module's
        flat shape where it differs, see ``param_shape_text``); γ alone: "10 entries, …"."""
        if self.param_shape is None:
            return "none"
        each = " each" if self.formula.shift else ""
        entries = plural(self.param_count, "entry", "entries")
        return f"{entries}{each}, shape {self.param_shape_text}"

    @property
    def summary(self) -> str:
        """The one-sentence summary shown above every view."""
        return self.sentences[0]


def describe(
    shape,
    scheme: str | Scheme,
    *,
    layout: str | None = None,
    eps: float | None = None,
    **params,
) -> Description:
    """Describe what ``scheme`` does to a tensor of ``shape``.

    Parameters
    ----------
    shape : tuple of int
        (N, C), (N, C, L) or (N, C, H, W), or as ``layout`` orders the axes.
    scheme : str
        A scheme id (see ``bnviz.SCHEMES``).
    layout : str, optional
        The tensor's axis order ("NHWC", "NLD", ...; see :func:`bnviz.normalize`).
    eps : float, optional
        ε (default: the scheme's), for the PyTorch recipe and the sentences about ε.
    **params
        The scheme's hyper-parameters, e.g. ``num_groups``.

    Returns
    -------
    Description
        Counts (groups, group size with its factors, gamma/beta shape), the PyTorch recipe and
        sentences, e.g. "Batch norm (per channel): 3 means and 3 variances, each over
        4 × 6 × 6 = 144 values; γ and β have 3 entries each."
    """
    lay = partition(shape, scheme, axis_order=layout, **params)
    sch = lay.scheme
    eps = check_eps(sch.default_eps() if eps is None else eps)
    param_shape = lay.param_shape
    param_count = 0 if param_shape is None else math.prod(param_shape)
    recipe = torch_recipe(lay, eps)
    d = Description(
        layout=lay,
        eps=eps,
        groups=lay.groups,
        group_size=lay.group_size,
        group_factors=lay.group_factors,
        param_shape=param_shape,
        param_count=param_count,
        running_stats_shape=None if recipe is None else recipe.running_shape,
        torch=recipe,
        sentences=(),
    )
    return Description(**{**d.__dict__, "sentences": _sentences(d)})


#: Per divisor: what each group shares, how its values are treated, and where ε goes.
_SHARED = {
    "std": ("mean", "variance"),
    "std_plus_eps": ("mean", "variance"),
    "rms": ("mean square", None),
    "none": ("mean", None),
}
_HOW = {
    "std": "normalized with that group's mean μ and biased variance σ² (divided by m′, not m′ − 1)",
    "std_plus_eps": "normalized with that group's mean μ and biased standard deviation σ",
    "rms": "divided by the root of that group's mean square (no mean is subtracted)",
    "none": "shifted by that group's mean μ",
}
_EPS_WHERE = {
    "std": "the variance inside the square root",
    "std_plus_eps": "the standard deviation",
    "rms": "the mean square inside the square root",
}


def learned_text(d: Description) -> str:
    """How many learned parameters: "γ and β have 10 entries each", "γ has 10 entries (no β)",
    or "no learned γ and β"."""
    if d.param_shape is None:
        return "no learned γ and β"
    entries = plural(d.param_count, "entry", "entries")
    return f"γ and β have {entries} each" if d.formula.shift else f"γ has {entries} (no β)"


def statistic_name(formula: Formula) -> str:
    """The statistic a group's cells share first: "mean", or "mean square" (RMS norm)."""
    return _SHARED[formula.divide][0]


def statistics_text(formula: Formula, groups: int) -> str:
    """How many statistics ``groups`` groups compute: "2 means and 2 variances", "2 mean squares",
    "2 means" (a formula that divides by nothing)."""
    first, second = _SHARED[formula.divide]
    return plural(groups, first) + (f" and {plural(groups, second)}" if second else "")


def _sentences(d: Description) -> tuple:
    """Every statement about ``d``, each made from its computed facts."""
    lay, sch, formula = d.layout, d.scheme, d.formula
    groups, size = d.groups, d.group_size
    x_hat = formula.x_hat_text
    each = "each" if groups > 1 else "taken"
    first_stat, second_stat = _SHARED[formula.divide]
    statistics = statistics_text(formula, groups)
    if formula.divide == "none":
        statistics += " (no variances: the variance is not used)"
    first = f"{sch.name}: {statistics}, {each} over {d.values_text}"
    first += f"; {learned_text(d)}."
    one = "One " + first_stat + (f" and one {second_stat}" if second_stat else "")
    sentences = [first, f"{one} for {grouping_text(lay)}."]

    if d.group_factors and size > 1:
        how = _HOW[formula.divide]
        if d.shares_batch:
            sentences.append(
                f"The effective mini-batch is m′ = {d.factors_names} = {d.values_text}: every "
                f"value of a group is {how}."
            )
        else:
            sentences.append(
                f"Each group holds m′ = {d.factors_names} = {d.values_text} of one sample, "
                f"{how}: nothing is shared across the batch, so each sample's output is the same "
                "whatever the other samples are."
            )

    if d.param_shape is None:
        sentences.append(f"The output is the normalized value itself: y = x̂ = {x_hat}.")
    else:
        sentences.append(f"{d.learned}: {d.param_text}; {formula.y_text}.")
    if formula.uses_eps:
        sentences.append(f"ε = {d.eps:g} is added to {_EPS_WHERE[formula.divide]}, x̂ = {x_hat}.")
    sentences.extend(_torch_sentences(d))
    if lay.tokens and sch.token_kept is not None:
        # What a well-known answer claims transformers do: the same name over L and D together.
        n, features, length = lay.shape
        whole = describe((n, length, features), "custom", keep="N", layout="NLD")
        sentences.append(
            "On a token tensor (N, L, D) this is what transformers use: each token normalized "
            "over its D features. The per-sequence variant, each sample over L and D together "
            f"(m′ = L × D = {length * features:,} values), is what keeping only N does (custom "
            f"axes, keep N): {whole.torch_code}"
        )
    sentences.extend(sch.notes)
    if size == 1:
        if formula.centre:
            erased = (
                "the output is β everywhere"
                if d.param_shape is not None and formula.shift
                else "the output is 0 everywhere"
            )
            sentences.append(
                "Each group holds a single value, so "
                f"{'its variance is 0 and ' if formula.uses_variance else ''}x̂ = 0: {erased} "
                "and the layer erases its input."
            )
        else:
            sentences.append(
                "Each group holds a single value, so x̂ = x / √(x² + ε): the sign of x, ±1 "
                "(a little less where x² is not much larger than ε; 0 stays 0): the layer keeps "
                "only each value's sign."
            )
    return tuple(sentences)


def _torch_sentences(d: Description) -> list:
    """What PyTorch does with this scheme and shape: its module, refusals, running statistics, ε = 0."""
    recipe = d.torch
    if recipe is None:
        if d.formula.divide == "none":
            return [
                "No PyTorch normalization layer only subtracts the mean; bnviz follows Caffe's MVN."
            ]
        return [
            "No PyTorch layer adds ε to σ (its layers take √(σ² + ε)); bnviz follows Caffe's "
            "convention here."
        ]
    # Where PyTorch refuses the input, the recipe is the scheme's code, not a computed output.
    does = "would compute this" if recipe.refusal else "computes the same"
    sentences = [
        f"In PyTorch, {recipe.module_name} {does} in training mode (with fresh γ = 1, "
        f"β = 0): {recipe.code}"
    ]
    if not recipe.params_match and d.param_shape is not None:
        theirs = (
            "learns no γ and β (apply them after it)"
            if recipe.param_shape is None
            else f"learns γ and β of shape {shape_text(recipe.param_shape)} instead"
        )
        sentences.append(f"That {recipe.module_name} {theirs}.")
    if recipe.refusal:
        why = (
            " · ".join(("N", "C/G", *d.layout.axis_labels[2:]))
            + " = 1: one sample, whose groups each hold a single value"
            if recipe.module_name == "GroupNorm"
            else "a channel's group holds a single value"
            if recipe.refusal.startswith("Expected more than 1 value")
            else "the spatial size is 1"
            if recipe.refusal.startswith("Expected more than 1 spatial")
            else "ε is not positive"
        )
        sentences.append(
            f"PyTorch's {recipe.module_name} refuses this input in training because {why} "
            f'("{recipe.refusal}"); bnviz shows what the formula gives.'
        )
    if recipe.running_shape is not None and not recipe.refusal:
        sentences.append(
            f"In training {recipe.module_name} also updates running estimates of shape "
            f"{shape_text(recipe.running_shape)}: running = (1 − momentum) · running + momentum · "
            "batch statistic (momentum 0.1 by default; the running variance takes the unbiased "
            "estimate, divided by m′ − 1); evaluation mode normalizes with them instead of the "
            "batch's."
        )
    if d.eps == 0 and d.formula.uses_eps and not recipe.refusal:
        theirs = (
            f"PyTorch's {recipe.module_name} gives NaN (0/0)"
            if recipe.zero_variance == "nan"
            else f"as PyTorch's {recipe.module_name} does"
        )
        zero = "are all 0" if d.formula.divide == "rms" else "have variance 0"
        sentences.append(
            f"With ε = 0, a group whose values {zero} would divide 0 by 0: bnviz gives x̂ = 0 "
            f"there{', ' if recipe.zero_variance != 'nan' else '; '}{theirs}."
        )
    return sentences
