"""The backward pass in words and formulas: every sentence the Backward page shows, from numbers.

Pure (no Streamlit, no figures): the page model (:mod:`bnviz.views.backward`) measures the facts
on the tensor and passes them here as the dataclasses below; each function turns them into a
sentence, a table row or LaTeX with the numbers put in.  Which terms a formula has is read from
the scheme's :class:`~bnviz.engine.schemes.Formula` (``centre``, ``divide``), never from its id.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from ..engine.schemes import Formula
from .answers import escape_markdown
from .describe import cell_text, plural, product_text
from .latex import latex_number as tex
from .latex import signed as tex_signed
from .training import num as number
from .training import sn

#: The losses the page offers: what each pushes on, and its gradient dy = ∂l/∂y.
LOSSES = {
    "random": "a random pattern: l = Σ w·y, w drawn from N(0, 1)",
    "cell": "make the selected cell larger: l = y[cell]",
    "sample": "push the selected cell's sample up: l = Σ y over sample n",
    "channel": "push the selected cell's channel up: l = Σ y over channel c",
    "all": "push every output up: l = Σ y",
}
#: Short names of the losses, for a list to pick from.
LOSS_NAMES = {
    "random": "Random pattern w",
    "cell": "Make the selected cell larger",
    "sample": "Push its sample up",
    "channel": "Push its channel up",
    "all": "Push every output up",
}
#: What the page's γ setting means.
GAMMAS = {"ones": "γ = 1 (a fresh layer)", "random": "γ random in [0.5, 1.5] (seeded)"}


#: A float for prose (``digits`` significant digits, no "-0"), as the training page writes it.
def loss_text(loss: str, cell: Sequence[int], seed: int) -> str:
    """The loss as a formula: "l = y(0, 0, 2, 2)", "l = Σ w·y, w ~ N(0, 1) (seed 0)"."""
    n, c = int(cell[0]), int(cell[1])
    return {
        "random": f"l = Σ w·y, w drawn from N(0, 1) (seed {seed})",
        "cell": f"l = y{cell_text(cell)}",
        "sample": f"l = Σ y over sample n = {n}",
        "channel": f"l = Σ y over channel c = {c}",
        "all": "l = Σ y over every cell",
    }[loss]


def dy_text(loss: str, cell: Sequence[int]) -> str:
    """What ∂l/∂y is for the loss, in words."""
    n, c = int(cell[0]), int(cell[1])
    return {
        "random": "dy = w, a different value at every cell",
        "cell": f"dy is 1 at {cell_text(cell)} and 0 everywhere else",
        "sample": f"dy is 1 on every cell of sample {n} and 0 elsewhere",
        "channel": f"dy is 1 on every cell of channel {c} and 0 elsewhere",
        "all": "dy is 1 on every cell",
    }[loss]


# --- The formula, by the scheme's declaration ---------------------------------------------------


def divisor_symbol(formula: Formula) -> str:
    """The divisor's LaTeX symbol: s = √(σ² + ε), r = √(mean x² + ε), d = σ + ε, or "1"."""
    return {"std": "s", "rms": "r", "std_plus_eps": "d", "none": "1"}[formula.divide]


def jacobian_formula(formula: Formula, learned: bool) -> str:
    """∂y_i/∂x_j on a group in LaTeX: γ_i/d · (δ_ij − c/m′ − x̂_i t_j/m′)."""
    d = divisor_symbol(formula)
    top = r"\gamma_i" if learned else "1"
    factor = rf"\frac{{{top}}}{{{d}}}" if d != "1" else ("" if top == "1" else top)
    terms = [r"\delta_{ij}"]
    if formula.centre:
        terms.append(r"\frac{1}{m'}")
    if formula.divide in ("std", "rms"):
        terms.append(r"\frac{\hat{x}_i \hat{x}_j}{m'}")
    elif formula.divide == "std_plus_eps":
        terms.append(r"\frac{\hat{x}_i \hat{x}_j}{m'}\cdot\frac{\sigma + \varepsilon}{\sigma}")
    body = " - ".join(terms)
    return rf"\frac{{\partial y_i}}{{\partial x_j}} = {factor}\Big({body}\Big)"


@dataclass(frozen=True)
class JacobianFacts:
    """One output cell's Jacobian row, measured (see :class:`bnviz.engine.backward.JacobianRow`).

    ``other`` is the input cell j ≠ i with the largest |∂y_i/∂x_j| (None for a one-cell group),
    ``other_x_hat`` its x̂_j and ``other_value`` the entry; ``low`` and ``high`` the range of the
    entries at the other cells of the group; ``nonzero`` how many entries are not 0.
    """

    cell: tuple
    formula: Formula
    learned: bool
    group_size: int
    grouping: str
    mean: float
    var: float
    eps: float
    divisor: float
    x_hat: float
    gamma: float
    own: float
    other: tuple | None
    other_x_hat: float
    other_value: float
    low: float
    high: float
    nonzero: int
    cells: int


def divisor_line(f: JacobianFacts) -> str:
    """The divisor with its numbers, in LaTeX ("" where nothing divides)."""
    formula = f.formula
    if formula.divide == "std":
        return rf"s = \sqrt{{\sigma^2 + \varepsilon}} = \sqrt{{{tex(f.var)} + {tex(f.eps)}}} = {tex(f.divisor)}"
    if formula.divide == "rms":
        square = f.var + f.mean * f.mean
        return rf"r = \sqrt{{\overline{{x^2}} + \varepsilon}} = \sqrt{{{tex(square)} + {tex(f.eps)}}} = {tex(f.divisor)}"
    if formula.divide == "std_plus_eps":
        return (
            rf"d = \sigma + \varepsilon = {tex(math.sqrt(f.var))} + {tex(f.eps)} = {tex(f.divisor)}"
        )
    return ""


def _factor_numbers(f: JacobianFacts) -> str:
    """γ_i/d with numbers, as a LaTeX factor ("" when it is 1)."""
    d = divisor_symbol(f.formula)
    if d == "1":
        return rf"\cdot {tex(f.gamma)}" if f.learned else ""
    top = tex(f.gamma) if f.learned else "1"
    return rf"\cdot\frac{{{top}}}{{{tex(f.divisor)}}}"


def _t_numbers(f: JacobianFacts, x_hat_j: float) -> str:
    """x̂_i · t_j with numbers, in LaTeX."""
    if f.formula.divide == "std_plus_eps":
        sigma = math.sqrt(f.var)
        return rf"{tex_signed(f.x_hat)} \cdot {tex_signed(x_hat_j)} \cdot \tfrac{{{tex(f.divisor)}}}{{{tex(sigma)}}}"
    return rf"{tex_signed(f.x_hat)} \cdot {tex_signed(x_hat_j)}"


def jacobian_lines(f: JacobianFacts) -> list[str]:
    """The Jacobian row's formula, then the divisor, the cell's own entry and its strongest
    neighbour's, each with the numbers put in (LaTeX lines)."""
    m = f"{f.group_size:,}".replace(",", "{,}")
    lines = [jacobian_formula(f.formula, f.learned)]
    divisor = divisor_line(f)
    if divisor:
        lines.append(divisor)
    if f.divisor == 0:
        return lines
    has_t = f.formula.divide != "none"
    own_terms = ["1"]
    if f.formula.centre:
        own_terms.append(rf"\frac{{1}}{{{m}}}")
    if has_t:
        own_terms.append(rf"\frac{{{_t_numbers(f, f.x_hat)}}}{{{m}}}")
    i = cell_text(f.cell)
    lines.append(
        rf"\frac{{\partial y_{{{i}}}}}{{\partial x_{{{i}}}}} = \Big({' - '.join(own_terms)}\Big)"
        rf"{_factor_numbers(f)} = {tex(f.own)}"
    )
    if f.other is not None:
        j = cell_text(f.other)
        other_terms = []
        if f.formula.centre:
            other_terms.append("1")
        if has_t:
            other_terms.append(_t_numbers(f, f.other_x_hat))
        top = " + ".join(other_terms) if other_terms else "0"
        lines.append(
            rf"\frac{{\partial y_{{{i}}}}}{{\partial x_{{{j}}}}} = -\frac{{{top}}}{{{m}}}"
            rf"{_factor_numbers(f)} = {tex(f.other_value)}"
        )
    return lines


def held_statistics(formula: Formula) -> str:
    """What the backward pass would hold constant: "μ and σ²", "mean x²", "μ and σ", "μ"."""
    statistic = formula.divisor_statistic
    if formula.centre and statistic:
        return f"μ and {statistic}"
    return "μ" if formula.centre else statistic


def held_name(formula: Formula) -> str:
    """The held-constant gradient's name on its map: "dŷ/d (μ and σ² held)"."""
    top = "dŷ" if formula.divide == "none" else f"dŷ/{divisor_symbol(formula)}"
    return f"{top} ({held_statistics(formula)} held)"


def held_caption(formula: Formula, label: str) -> str:
    """What the two maps of "Without the statistics' gradient" show."""
    held = held_statistics(formula)
    return (
        f"{label}: left, the gradient you would get if {held} were constants, "
        f"{held_name(formula).split()[0]}; right, the true one. The difference is the "
        "statistics' own gradient, which couples the cells of a group."
    )


def jacobian_reading(formula: Formula, learned: bool) -> str:
    """How to read a Jacobian row of this formula, in words (what its entries are made of)."""
    gamma = "γ" if learned else "1"
    d = divisor_symbol(formula)
    scale = gamma if d == "1" else f"{gamma}/{d}"
    if formula.divide == "none":
        return (
            f"x̂ⱼ is not needed here: the own entry is (1 − 1/m′)·{gamma} and every other cell of "
            f"the group pulls the output back by exactly {gamma}/m′, through μ alone."
        )
    if not formula.centre:
        return (
            f"x̂ⱼ is the normalized input at j, m′ the group's size. The own entry is "
            f"(1 − x̂ᵢ²/m′)·{scale}; another cell j moves the output by −x̂ᵢx̂ⱼ/m′·{scale}, "
            "through the mean square alone (nothing is subtracted): against x̂ⱼ's sign where x̂ᵢ "
            "is positive, with it where x̂ᵢ is negative."
        )
    return (
        f"x̂ⱼ is the normalized input at j, m′ the group's size. The own entry is about {scale}; "
        f"each other cell of the group pulls the output back by about {scale}·1/m′ through μ, "
        "more where its x̂ⱼ has the sign of x̂ᵢ and less (or even forward, when x̂ᵢx̂ⱼ < −1) "
        "where it has the other, through the spread."
    )


def jacobian_caption(f: JacobianFacts, label: str) -> str:
    """What the Jacobian map shows, measured: where it is nonzero, the own entry, the others."""
    text = (
        f"{label}: ∂y{cell_text(f.cell)}/∂x is nonzero on {f.nonzero:,} of {f.cells:,} cells, "
        f"the cell's group ({f.grouping}, m′ = {f.group_size:,})."
    )
    if f.divisor == 0:
        return text.replace(f"nonzero on {f.nonzero:,} of", "0 on all") + (
            " Its divisor is 0 (no spread and ε = 0): x̂ is 0 whatever x."
        )
    text += f" Its own entry is {number(f.own)}"
    if f.other is not None:
        text += f"; the other {plural(f.group_size - 1, 'entry', 'entries')} lie between {number(f.low)} and {number(f.high)}"
    return text + "."


# --- The loss pushed through each scheme --------------------------------------------------------


@dataclass(frozen=True)
class PushFacts:
    """What one dy does to dx under one scheme, measured on the whole tensor.

    ``groups_touched`` counts the groups holding a nonzero dy; ``cells_moved`` the cells whose
    |dx| is above rounding; ``flat_groups`` the touched groups over which dŷ is constant (dx is
    0 there for a centred scheme); ``dy_samples``, ``dx_samples`` the samples where dy and dx are
    nonzero; ``largest_sum`` the largest |Σ dx| over a group and ``size`` the size of dx's terms
    it is compared with.
    """

    label: str
    formula: Formula
    grouping: str
    groups: int
    group_size: int
    groups_touched: int
    cells_moved: int
    cells: int
    flat_groups: int
    dy_samples: tuple
    dx_samples: tuple
    largest_sum: float
    size: float
    largest: float
    largest_cell: tuple
    low: float
    high: float


def dx_caption(p: PushFacts) -> str:
    """What a dx map shows, measured."""
    if p.cells_moved == 0:
        return f"∂l/∂x under {p.label}: 0 on every cell, to rounding."
    return (
        f"∂l/∂x under {p.label}: from {number(p.low)} to {number(p.high)}; the largest in size, "
        f"{number(p.largest)}, at {cell_text(p.largest_cell)}."
    )


def samples_text(samples: Sequence[int], total: int) -> str:
    """Samples as "sample 0", "samples 0–3", "all 4 samples", "samples 0, 2"."""
    samples = sorted(int(s) for s in samples)
    if len(samples) == total and total > 1:
        return f"all {total} samples"
    if len(samples) == 1:
        return f"sample {samples[0]}"
    if samples == list(range(samples[0], samples[-1] + 1)):
        return f"samples {samples[0]}–{samples[-1]}"
    return "samples " + ", ".join(map(str, samples))


def push_sentence(p: PushFacts, total_samples: int) -> str:
    """One scheme's dx for the shared dy, in one or two sentences of measured facts."""
    moved = (
        "dx is 0 on every cell (to rounding)"
        if p.cells_moved == 0
        else f"dx moves {p.cells_moved:,} of {p.cells:,} cells"
    )
    text = (
        f"**{escape_markdown(p.label)}** ({escape_markdown(p.grouping)}, m′ = {p.group_size:,}): dy "
        f"reaches {p.groups_touched:,} of {plural(p.groups, 'group')}; {moved}"
    )
    if p.cells_moved and set(p.dx_samples) > set(p.dy_samples):
        text += (
            f", in {samples_text(p.dx_samples, total_samples)} although dy is nonzero only in "
            f"{samples_text(p.dy_samples, total_samples)}: its groups span the batch"
        )
    text += "."
    if p.formula.centre:
        text += (
            f" Over every group dx sums to 0 (the largest |Σ| is {number(p.largest_sum, 2)}: "
            f"rounding, against terms adding up to {number(p.size, 2)} in size)."
        )
        if p.flat_groups:
            text += (
                f" On {plural(p.flat_groups, 'group')} dŷ is the same at every cell, so dx is 0 "
                "there: raising every output of a group alike is exactly what subtracting its "
                "mean undoes."
            )
    else:
        text += " This scheme subtracts no mean, so dx need not sum to 0 over a group."
    return text


def why_sentence(formulas: Sequence[Formula], loss: str, cell: Sequence[int]) -> str:
    """Why one dy gives several dx: the coupling terms the schemes have, and their groups."""

    def which(count: int, what: str) -> str:
        # Said of every scheme, or of those it holds for.
        return "" if count == len(formulas) else f" (in the schemes that {what})"

    centred = sum(f.centre for f in formulas)
    divided = sum(f.divide != "none" for f in formulas)
    parts = []
    if centred:
        parts.append("the mean of dŷ over its group" + which(centred, "subtract a mean"))
    if divided:
        parts.append(
            "x̂ times the mean of dŷ·x̂ over its group" + which(divided, "divide by a spread")
        )
    coupling = " and ".join(parts) if parts else "nothing"
    return (
        f"Every scheme gets the same dy ({dy_text(loss, cell)}). A cell's gradient is not its "
        f"own dŷ = γ·dy alone: it subtracts {coupling}, all divided by its group's divisor. "
        "The schemes group the cells differently, so the same dy is averaged over different "
        "cells and gives a different dx."
    )


# --- ∂l/∂γ and ∂l/∂β ----------------------------------------------------------------------------


def written_sum(products: Sequence[tuple], total: float, count: int, shown: int = 3) -> str:
    """A sum written out: "0.12·(−0.53) + (−1.3)·0.27 + … (144 terms) = 3.14".

    ``products`` are the first terms as tuples of factors; ``count`` how many terms there are.
    """

    terms = ["·".join(sn(v, 3) for v in factors) for factors in products[:shown]]
    text = " + ".join(terms)
    if count > shown:
        text += f" + … ({count:,} terms)"
    return f"{text} = {number(total, 5)}"


# --- Without the statistics' gradient -----------------------------------------------------------


@dataclass(frozen=True)
class HeldFacts:
    """The selected cell's group, dx split by path (sums over the group)."""

    label: str
    formula: Formula
    group_size: int
    eps: float
    mean: float
    var: float
    divisor: float
    sum_held: float
    sum_mean: float
    sum_divisor: float
    sum_dx: float
    along_held: float
    along_dx: float
    size: float


def eps_fraction(f: HeldFacts) -> tuple[str, float]:
    """The fraction of dx's part along x̂ that survives, in words and as a number."""
    if f.formula.divide == "std":
        return "ε/(σ² + ε)", f.eps / (f.var + f.eps) if f.var + f.eps > 0 else 0.0
    if f.formula.divide == "std_plus_eps":
        sigma = math.sqrt(f.var)
        return "ε/(σ + ε)", f.eps / (sigma + f.eps) if sigma + f.eps > 0 else 0.0
    square = f.var + f.mean * f.mean
    return "ε/(mean x² + ε)", f.eps / (square + f.eps) if square + f.eps > 0 else 0.0


def held_sentences(f: HeldFacts) -> list[str]:
    """What the statistics' gradient does on the selected cell's group, in measured sentences."""
    statistic = f.formula.divisor_statistic
    held = held_statistics(f.formula)
    sentences = [
        f"Over the selected cell's group of {f.group_size:,} cells, with {held} held constant "
        f"dx would sum to {number(f.sum_held)}."
    ]
    if f.formula.centre:
        sentences.append(
            f"The path through μ adds {number(f.sum_mean)}: every cell loses the group's mean of "
            f"{held_name(f.formula).split()[0]}, so the true dx sums to "
            f"{number(f.sum_dx, 2)}, 0 up to rounding (its terms add up to {number(f.size, 2)} in "
            "size). "
            "Adding the same amount to every x of the group moves μ by that amount and leaves "
            "every output as it was: the gradient cannot have a part along that direction."
        )
    else:
        sentences.append(
            f"Nothing is subtracted, so there is no path through a mean: dx sums to "
            f"{number(f.sum_dx)} over the group."
        )
    if statistic:
        words, fraction = eps_fraction(f)
        total = (
            f"adds nothing to that sum (x̂ sums to 0 over the group; {number(f.sum_divisor, 2)} "
            "in floating point)"
            if f.formula.centre
            else f"sums to {number(f.sum_divisor)} over the group"
        )
        sentences.append(
            f"The path through {statistic} {total} and removes dx's part along x̂: Σ dx·x̂ = "
            f"{number(f.along_dx)} instead of "
            f"{number(f.along_held)} with the statistics held, a fraction {words} = "
            f"{number(fraction)} of it. Scaling the group's values scales the divisor with them, "
            "so the outputs change only through ε: that part is ≈ 0 only where ε is small "
            f"against {'σ' if f.formula.divide == 'std_plus_eps' else statistic}."
        )
    return sentences


# --- The gradient check -------------------------------------------------------------------------


def check_sentence(checked: int, largest: float, relative: float, step: str) -> str:
    """The gradient check's verdict, measured."""
    return (
        f"{checked:,} cells checked: the largest difference between the closed form and the "
        f"central difference (l(x + h) − l(x − h))/2h, h = {step}·d, is {number(largest, 2)} "
        f"(relative {number(relative, 2)}). A larger step adds the formula's curvature (error "
        "∝ h²), a smaller one the rounding of l (error ∝ 1/h): try both."
    )


# --- Captions and the answer --------------------------------------------------------------------


def clip_text(value: float, limit: float, what: str) -> str:
    """Said under a map whose colour scale stops short of the selected cell's value."""
    return (
        f" Colours run from −{number(limit)} to {number(limit)} so the rest of the group shows; "
        f"the selected cell's {what}, {number(value)}, lies beyond and is drawn at the end."
    )


def answer_markdown(
    *,
    shape: tuple,
    cell: tuple,
    tensor: str | None,
    jacobians: Sequence[tuple],
    loss: str,
    why: str,
    pushes: Sequence[PushFacts],
    held_label: str,
    held: Sequence[str],
    url: str | None,
) -> str:
    """The view as a Markdown answer for a forum post.

    ``jacobians`` are (label, JacobianFacts) pairs; ``held`` the sentences of
    :func:`held_sentences` for the scheme ``held_label``; ``url`` the link to the view (a
    relative one is given as the part to open on the server).
    """
    lines = [
        f"**How one value moves the others in the backward pass**: a tensor of shape "
        f"{tuple(shape)}, output cell {cell_text(cell)}",
        "",
    ]
    if tensor:
        lines += [escape_markdown(tensor), ""]
    lines.append(f"**One output cell, every input** (∂y{cell_text(cell)}/∂x):")
    lines += [f"- {escape_markdown(jacobian_caption(facts, label))}" for label, facts in jacobians]
    total = shape[0]
    lines += ["", f"**A loss to push on**: {escape_markdown(loss)}. {escape_markdown(why)}"]
    lines += [f"- {push_sentence(p, total)}" for p in pushes]
    lines += ["", f"**Without the statistics' gradient** ({escape_markdown(held_label)}):"]
    lines += [f"- {escape_markdown(s)}" for s in held]
    if url and "://" in url:
        lines += ["", f"See it: <{url}>"]
    elif url:
        lines += ["", f"See it: open `{url}` on the bnviz server."]
    return "\n".join(lines) + "\n"


def param_entry_text(axes: Sequence[str], position: tuple) -> str:
    """A γ entry's name from the axes γ varies along: "c = 2", "(c, h, w) = (2, 0, 1)", or "the
    one entry" (no axes)."""
    if not axes:
        return "the one entry"
    if len(axes) == 1:
        return f"{axes[0].lower()} = {position[0]}"
    return f"({', '.join(a.lower() for a in axes)}) = {cell_text(position)}"


def param_sums(
    entry: str,
    factors: Sequence[tuple],
    count: int,
    gamma: tuple,
    beta: tuple | None,
    groups: int,
) -> list[str]:
    """∂l/∂γ (and ∂l/∂β) of one entry as the sums they are, written out.

    Parameters
    ----------
    entry : str
        The entry's name (:func:`param_entry_text`).
    factors : sequence of (str, int)
        The axes the entry is shared along and their lengths (empty: the entry has one cell).
    count : int
        How many cells share the entry.
    gamma, beta : (products, total)
        The first few cells' (dy, x̂) (for β: (dy,)) products and the whole sum; ``beta`` None
        where the scheme has no β.
    groups : int
        How many statistic-sharing groups those cells belong to.
    """
    if factors:
        names = " × ".join(a for a, _ in factors)
        where = f"the {count:,} cells sharing it ({names} = {product_text(factors, count)})"
    else:
        where = "its one cell"
    sums = [f"∂l/∂γ for {entry}, Σ dy·x̂ over {where}: " + written_sum(*gamma, count)]
    if beta is not None:
        sums.append(f"∂l/∂β for {entry}, Σ dy over the same cells: " + written_sum(*beta, count))
    if groups > 1:
        sums.append(
            f"These cells belong to {groups:,} groups: one γ is shared by several groups, so its "
            "gradient gathers all of them."
        )
    return sums
