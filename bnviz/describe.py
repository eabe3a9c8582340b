"""Counts and plain-language sentences for a scheme on a tensor shape."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .layout import Layout, layout
from .schemes import Scheme


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


def x_hat_text(scheme: Scheme, uses_variance: bool = True) -> str:
    """The normalized value x̂ as a formula, in the scheme's convention for ε."""
    if not uses_variance:
        return "x − μ"
    return "(x − μ) / (σ + ε)" if scheme.eps_on_std else "(x − μ) / √(σ² + ε)"


@dataclass(frozen=True)
class Description:
    """What a scheme does to a tensor of a given shape, as numbers and sentences.

    Attributes
    ----------
    layout : Layout
    groups : int
        How many (mean, variance) pairs.
    group_size : int
        The effective mini-batch m': how many values each mean and variance is taken over.
    group_factors : tuple of (str, int)
        The reduced axes whose sizes multiply to ``group_size``, e.g. (("N", 20), ("H", 5), ("W", 5)).
    param_shape : tuple of int or None
        gamma's and beta's shape as PyTorch's module holds them; None when the scheme has none.
    param_count : int
        Entries in gamma (and in beta); 0 when the scheme has none.
    running_stats_shape : tuple of int or None
        Shape of the running mean and variance PyTorch keeps, where it keeps any.
    sentences : tuple of str
        Plain-language statements of all of the above, for a learner.
    """

    layout: Layout
    groups: int
    group_size: int
    group_factors: tuple
    param_shape: tuple | None
    param_count: int
    running_stats_shape: tuple | None
    sentences: tuple

    @property
    def scheme(self) -> Scheme:
        return self.layout.scheme

    @property
    def factors_text(self) -> str:
        """The group size as a product, e.g. "20 × 5 × 5 = 500" (just "20" for one factor)."""
        return product_text(self.group_factors, self.group_size)

    @property
    def factors_names(self) -> str:
        """The reduced axes as a product of names, e.g. "N × H × W" ("—" when nothing is reduced)."""
        return " × ".join(name for name, _ in self.group_factors) or "—"

    @property
    def summary(self) -> str:
        """The one-sentence summary shown above every view."""
        return self.sentences[0]


def describe(shape, scheme: str | Scheme, **params) -> Description:
    """Describe what ``scheme`` does to a tensor of ``shape``.

    Parameters
    ----------
    shape : tuple of int
        (N, C), (N, C, L) or (N, C, H, W).
    scheme : str
        A scheme id (see ``bnviz.SCHEMES``).
    **params
        The scheme's hyper-parameters, e.g. ``num_groups``.

    Returns
    -------
    Description
        Counts (groups, group size with its factors, gamma/beta shape) and sentences, e.g.
        "Batch norm (per channel): 3 means and 3 variances, each over 4 × 6 × 6 = 144 values;
        γ and β have 3 entries each."
    """
    lay = layout(shape, scheme, **params)
    sch = lay.scheme
    param_shape = lay.param_shape
    param_count = 0 if param_shape is None else math.prod(param_shape)
    running = param_shape if sch.running_stats else None
    groups, size = lay.groups, lay.group_size
    factors = lay.group_factors

    over = product_text(factors, size)
    each = "each" if groups > 1 else "taken"
    # A scheme may switch variance normalization off (Caffe MVN): then only the means are used.
    uses_variance = lay.params[sch.variance_param] if sch.variance_param else True
    x_hat = x_hat_text(sch, uses_variance)
    statistics = (
        f"{plural(groups, 'mean')} and {plural(groups, 'variance')}"
        if uses_variance
        else f"{plural(groups, 'mean')} (no variances: {sch.variance_param} is off)"
    )
    first = f"{sch.name}: {statistics}, {each} over {over} {'value' if size == 1 else 'values'}"
    if param_shape is None:
        first += "; no learned γ and β."
    else:
        first += f"; γ and β have {plural(param_count, 'entry', 'entries')} each."

    one = "One mean and one variance" if uses_variance else "One mean"
    sentences = [first, f"{one} for {sch.detail_for(lay.params)}."]
    if factors:
        names = " × ".join(name for name, _ in factors)
        how = (
            "normalized with that group's mean μ and biased variance σ² (divided by m′, not m′ − 1)"
            if uses_variance
            else "shifted by that group's mean μ"
        )
        sentences.append(
            f"The effective mini-batch is m′ = {names} = {over}: every value of a group is {how}."
        )
    if param_shape is not None:
        how = f"PyTorch's {sch.torch}" if sch.torch else "bnviz"
        sentences.append(
            f"γ and β have shape {shape_text(param_shape)} as {how} holds them: "
            f"y = γ · {x_hat} + β."
        )
    else:
        sentences.append(f"The output is the normalized value itself: y = x̂ = {x_hat}.")
    if sch.torch is None:
        sentences.append(
            "PyTorch has no layer for this scheme; "
            + (
                "bnviz follows the convention below."
                if sch.eps_on_std
                else "bnviz computes it the same way."
            )
        )
    sentences.extend(sch.notes)
    if running is not None:
        sentences.append(
            f"In training PyTorch also updates running estimates of shape {shape_text(running)}: "
            "running = (1 − momentum) · running + momentum · batch statistic (momentum 0.1; the "
            "running variance takes the unbiased estimate, divided by m′ − 1); evaluation mode "
            "normalizes with them instead of the batch's."
        )
    if size == 1:
        erased = (
            "the output is 0 everywhere" if param_shape is None else "the output is β everywhere"
        )
        sentences.append(
            f"Each group holds a single value, so {'its variance is 0 and ' if uses_variance else ''}"
            f"x̂ = 0: {erased} and the layer erases its input."
            + (
                ' PyTorch refuses this in training ("Expected more than 1 value per channel '
                'when training").'
                if sch.running_stats
                else ""
            )
        )
    return Description(
        layout=lay,
        groups=groups,
        group_size=size,
        group_factors=factors,
        param_shape=param_shape,
        param_count=param_count,
        running_stats_shape=running,
        sentences=tuple(sentences),
    )
