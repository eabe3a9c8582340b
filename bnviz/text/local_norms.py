"""The Local norms page's words: windows, α's divisors, why two conventions differ, and one
cell's formula in LaTeX.

Numbers in, words out (no Streamlit, no Plotly): :mod:`bnviz.views.local_norms` decides what
to say (which conventions differ, how, what makes them agree); the sentences are written here.
A convention is read through its ``scheme`` (a :class:`bnviz.LocalScheme` or MVN's
:class:`bnviz.Scheme`), ``params`` and ``eps``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from ..engine.local import CHANNEL_AXES, LocalScheme, LocalTerms
from ..engine.schemes import resolve_params
from .latex import latex_number, signed

#: The LaTeX symbol of each local scheme's offset parameter (Caffe's k, MatConvNet's κ).
_OFFSET_SYMBOLS = {"k": "k", "kappa": r"\kappa"}


def window_cells(extents: tuple) -> int:
    """The cells of a window that spans (before, after) cells along each of its axes."""
    return math.prod(b + a + 1 for b, a in extents)


def number_text(value) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def span(symbol: str, before: int, after: int) -> str:
    lo = f"{symbol} − {before}" if before else symbol
    hi = f"{symbol} + {after}" if after else symbol
    return lo if before == after == 0 else f"{lo} … {hi}"


def window_text(scheme: LocalScheme, extents: tuple) -> str:
    """The window in words: "channels c − 2 … c + 2", or rows and columns for a patch."""
    if scheme.axes == CHANNEL_AXES:
        return "channels " + span("c", *extents[0])
    return f"rows {span('h', *extents[0])} and columns {span('w', *extents[1])}"


def multiplier_text(scheme: LocalScheme, params: Mapping, extents: tuple) -> str:
    alpha = float(params["alpha"])
    cells = window_cells(extents)
    if scheme.divisor == "one":
        return f"α = {number_text(alpha)}"
    if scheme.divisor == "window":
        return f"α/{cells} = {number_text(alpha)}/{cells} = {number_text(alpha / cells)}"
    return (
        f"α/(window cells inside the image), {number_text(alpha)}/{cells} = "
        f"{number_text(alpha / cells)} away from the borders"
    )


def why_no_window(sa: LocalScheme, sb: LocalScheme, ea: tuple) -> str:
    text = f"No window size of B covers {window_text(sa, ea)}"
    if sb.odd_only:
        text += ": B's window is always an odd square centred on the cell"
    elif sa.longer_side != sb.longer_side:
        text += (
            f": an even window has its extra cell {sa.longer_side} the centre in A and "
            f"{sb.longer_side} it in B"
        )
    return text + ", so A's window size must change too."


def times_text(a: float, b: float) -> str:
    """ " (A's is 10,000 times B's)": how far apart two positive multipliers are ("" if one is 0)."""
    if a <= 0 or b <= 0:
        return ""
    ratio, big, small = (a / b, "A", "B") if a >= b else (b / a, "B", "A")
    number = f"{ratio:,.0f}" if ratio >= 100 else f"{ratio:.3g}"
    return f" ({big}'s is {number} times {small}'s)"


def alpha_note(sa: LocalScheme, sb: LocalScheme, ea: tuple, eb: tuple) -> str:
    cells_a, cells_b = window_cells(ea), window_cells(eb)
    a_rule = "does not divide α" if sa.divisor == "one" else f"divides α by {cells_a}"
    b_rule = "does not divide α" if sb.divisor == "one" else f"divides α by {cells_b}"
    if sa.divisor == "one" and sb.divisor != "one":
        formula = f"α_B = {cells_b} · α_A"
    elif sa.divisor != "one" and sb.divisor == "one":
        formula = f"α_B = α_A / {cells_a}"
    elif sa.divisor == sb.divisor == "one" or cells_a == cells_b:
        formula = "α_B = α_A"
    else:
        formula = f"α_B = α_A · {cells_b}/{cells_a}"
    return f"{formula}: A {a_rule}, B {b_rule}."


def change_text(changes: tuple, slot_names: Mapping[str, str]) -> str:
    """(slot, name, value) changes as "B's alpha = 2e-05, B's depth = 5"."""
    return ", ".join(
        f"{slot_names[slot]}'s {name} = {number_text(value)}" for slot, name, value in changes
    )


#: Window terms listed one by one in the sum up to this many cells, this many to a line.
MAX_LISTED_TERMS = 9
TERMS_PER_LINE = 3


@dataclass(frozen=True)
class CellFormula:
    """One cell's formula with its numbers.

    Attributes
    ----------
    lines : tuple of str
        LaTeX, one equation each.
    notes : tuple of str
        Plain sentences on what the numbers are (padding, the divisor).
    """

    lines: tuple
    notes: tuple


def local_formula(terms: LocalTerms) -> CellFormula:
    """One cell's local normalization with its numbers (``terms`` from
    :func:`bnviz.local_terms`): the sum of squares S over the window (cells outside the tensor
    written as 0), the divisor D actually used, the base k + α/D · S, the denominator base^β
    and y."""
    scheme = terms.scheme
    n = latex_number
    values = terms.window_values.ravel()
    inside = terms.window.inside_mask().ravel()
    if values.size <= MAX_LISTED_TERMS:
        listed = [
            (f"{signed(v)}^2" if v < 0 else f"{n(v)}^2") if ok else r"\color{gray}{0^2}"
            for v, ok in zip(values, inside)
        ]
        rows = [
            " + ".join(listed[i : i + TERMS_PER_LINE])
            for i in range(0, len(listed), TERMS_PER_LINE)
        ]
        body = r" \\ &\quad + ".join(rows)
        sum_line = (
            rf"\begin{{aligned}} S = \textstyle\sum x'^2 &= {body} \\ "
            rf"&= {n(terms.sum_squares)} \end{{aligned}}"
        )
    else:
        sum_line = (
            rf"S = \sum_{{{terms.window.cells}\ \text{{cells}}}} x'^2 = {n(terms.sum_squares)}"
        )
    win = terms.window
    notes = [
        f"{win.padded_cells} of the {win.cells} window cells lie outside the tensor: they count 0."
        if win.padded_cells > 1
        else f"1 of the {win.cells} window cells lies outside the tensor: it counts 0."
        if win.padded_cells
        else f"All {win.cells} window cells lie inside the tensor."
    ]
    if scheme.divisor == "window":
        notes.append(f"D = {terms.divisor}: α is divided by the full window, padding included.")
    elif scheme.divisor == "one":
        notes.append("D = 1: α is not divided by the window size.")
    else:
        notes.append(
            f"D = {terms.divisor}: the window cells inside the image (of {win.cells}); the sum "
            "becomes a mean over them."
        )
    symbol = (
        _OFFSET_SYMBOLS.get(scheme.offset, scheme.offset)
        if isinstance(scheme.offset, str)
        else n(terms.offset)
    )
    # Enough digits to see how far the base, the denominator and y moved from k, k^β and x.
    base_digits = digits(terms.base, terms.offset)
    den_digits = digits(terms.denominator, terms.offset**terms.beta)
    y_digits = digits(terms.y, terms.x)
    lines = (
        sum_line,
        rf"D = {terms.divisor}",
        rf"{symbol} + \tfrac{{\alpha}}{{D}} S = {n(terms.offset)} + "
        rf"\tfrac{{{n(terms.alpha)}}}{{{terms.divisor}}} \cdot {n(terms.sum_squares)} = "
        rf"{n(terms.base, base_digits)}",
        rf"\text{{denominator}} = \left({n(terms.base, base_digits)}\right)^{{{n(terms.beta)}}}"
        rf" = {n(terms.denominator, den_digits)}",
        rf"y = \frac{{x}}{{\text{{denominator}}}} = "
        rf"\frac{{{n(terms.x, y_digits)}}}{{{n(terms.denominator, den_digits)}}}"
        rf" = {n(terms.y, y_digits)}",
    )
    return CellFormula(lines, tuple(notes))


def digits(value: float, reference: float) -> int:
    """Significant digits that show ``value`` apart from ``reference`` (4 to 10)."""
    if value == reference or reference == 0 or not math.isfinite(value / reference):
        return 4
    relative = abs(value - reference) / abs(reference)
    return max(4, min(10, 2 - math.floor(math.log10(relative))))


def mvn_formula(
    value: float,
    mean: float,
    var: float,
    y: float,
    group: int,
    eps: float,
    normalize_variance: bool,
) -> CellFormula:
    """One cell of Caffe's MVN with its numbers: μ, σ and y = (x − μ) / (σ + ε) over its
    ``group`` cells (y = x − μ when the variance is not normalized)."""
    n = latex_number
    lines = [rf"\mu = \tfrac{{1}}{{m'}} \textstyle\sum_i x_i = {n(mean)}, \quad m' = {group:,}"]
    notes = (f"μ and σ are shared by the {group:,} cells of the cell's group.",)
    if not normalize_variance:
        lines.append(rf"y = x - \mu = {n(value)} - {signed(mean)} = {n(y)}")
        return CellFormula(tuple(lines), notes)
    sigma = math.sqrt(var)
    lines += [
        rf"\sigma = \sqrt{{\tfrac{{1}}{{m'}} \textstyle\sum_i (x_i - \mu)^2}} = {n(sigma)}",
        rf"y = \frac{{x - \mu}}{{\sigma + \varepsilon}} = \frac{{{n(value)} - {signed(mean)}}}"
        rf"{{{n(sigma)} + {n(eps)}}} = {n(y)}",
    ]
    return CellFormula(tuple(lines), notes)


def convention_sentences(scheme, params: Mapping, eps, extents: tuple | None) -> tuple:
    """What a convention's scheme does, in sentences taken from its declaration (Markdown).

    ``extents``: the window's (before, after) cells per axis for a local scheme; None for MVN
    (whose ``eps`` is added to σ).
    """
    s = scheme
    if extents is not None:
        lines = [
            f"**From:** {s.framework}"
            + (f"; PyTorch: `{s.torch}`." if s.torch else "; no PyTorch layer."),
            f"**Window:** {s.detail}.",
            f"**α's divisor:** {s.divisor_rule}.",
            f"**Borders:** {s.borders}.",
        ]
        if not s.odd_only and any(params[name] % 2 == 0 for name in s.size_params):
            lines.append(
                f"**Even window:** the extra cell is {s.longer_side} the centre "
                f"(here {window_text(s, extents)})."
            )
        return (*lines, *s.notes)
    params = resolve_params(s, 1, params)
    lines = [
        f"**Groups:** {s.detail_for(params)}: one mean μ and one standard deviation σ each.",
        f"**ε:** {number_text(eps)}, added to σ: y = (x − μ) / (σ + ε)"
        if s.formula_for(params).uses_variance
        else "**Variance:** not normalized: y = x − μ.",
    ]
    return (*lines, *s.notes)


# --- why two conventions differ (the reasons :func:`bnviz.views.local_norms.compare` finds) ------

#: Two windows along different axes: nothing but α = 0 makes them agree.
AXES_NOTE = (
    "No window setting makes them agree: they read different cells. Only with α = 0 in "
    "both, equal constants and equal β would they give the same y = x / k^β."
)
NO_AGREEMENT = "No setting makes them agree."


def axes_reason(sa: LocalScheme, sb: LocalScheme) -> str:
    """A and B sum squares along different axes."""
    where = {CHANNEL_AXES: "across channels at one location"}
    return (
        f"A sums squares {where.get(sa.axes, 'over a patch of one channel')} "
        f"({sa.detail}); B {where.get(sb.axes, 'over a patch of one channel')} ({sb.detail})."
    )


def window_reason(sa: LocalScheme, ea: tuple, sb: LocalScheme, eb: tuple) -> str:
    return f"A's window covers {window_text(sa, ea)}, B's {window_text(sb, eb)}."


def multiplier_reason(a: tuple, b: tuple) -> str:
    """``a``, ``b``: (scheme, params, extents, multiplier) of A and B."""
    (sa, pa, ea, ma), (sb, pb, eb, mb) = a, b
    return (
        f"A multiplies the sum of squares by {multiplier_text(sa, pa, ea)}; "
        f"B by {multiplier_text(sb, pb, eb)}{times_text(ma, mb)}."
    )


def offset_reason(ka: float, kb: float) -> str:
    return f"A adds the constant {number_text(ka)}, B {number_text(kb)}."


def beta_reason(beta_a: float, beta_b: float) -> str:
    return f"A raises the base to −β = −{number_text(beta_a)}, B to −{number_text(beta_b)}."


def border_note(inside: str) -> str:
    """``inside`` ("A" or "B") divides α by the window cells inside the image only."""
    other = "B" if inside == "A" else "A"
    return (
        f"Near the borders they differ even then: {inside} divides α by the window "
        f"cells inside the image only, {other} by the full window (zero padding), "
        f"so {inside} normalizes border cells more strongly."
    )


def fixed_constant_note(kb: float, offset: str) -> str:
    return f"B's constant is fixed at {number_text(kb)}: A's {offset} must match it."


def mvn_against_local(local_slot: str, detail: str) -> str:
    return (
        f"MVN subtracts the mean of a whole group and divides by its σ + ε; "
        f"{local_slot} divides each cell by the energy of its own window "
        f"({detail}) and subtracts nothing."
    )


def parameter_reason(name: str, a, b, help_text: str) -> str:
    return f"A has {name} = {a}, B {b} ({help_text})."


def eps_reason(eps_a: float, eps_b: float) -> str:
    return f"A adds ε = {number_text(eps_a)} to σ, B ε = {number_text(eps_b)}."


SAME_MVN = "They are the same MVN settings."


def alpha_zero_agreement(offset: float) -> str:
    return f"α = 0 in both: each is y = x / {number_text(offset)}^β."


def same_window_agreement(a: tuple, b: tuple, offset: float) -> str:
    """``a``, ``b``: (scheme, params, extents) of two conventions that read the same window."""
    (sa, pa, ea), (sb, pb, eb) = a, b
    return (
        f"Both sum the squares of {window_text(sa, ea)}, multiply the sum by the same number "
        f"(A: {multiplier_text(sa, pa, ea)}; B: {multiplier_text(sb, pb, eb)}), add "
        f"{number_text(offset)} and raise to −{number_text(float(pa['beta']))}."
    )


def comparison_lines(
    cmp,
    max_diff: float,
    tol: float,
    *,
    agreement: str,
    inside: float | None,
    measured_inside: bool,
    slot_names: Mapping[str, str],
) -> tuple:
    """What the difference map shows and why (Markdown lines).

    Parameters
    ----------
    cmp : Comparison
        :func:`bnviz.views.local_norms.compare`'s finding: ``reasons``, ``border_note``,
        ``changes``, ``change_notes``, ``agree``.
    max_diff, tol : float
        max |y_A − y_B| on the tensor, and the rounding it is read against.
    agreement : str
        Why they agree, when ``cmp.agree``.
    inside : float or None
        max |y_A − y_B| where both windows lie inside the tensor (None: no such cell).
    measured_inside : bool
        Whether ``inside`` was measured (only when the borders alone can make them differ).
    """
    lines = []
    if max_diff <= tol:
        verdict = (
            f"**A and B agree on this tensor**: max |y_A − y_B| = {max_diff:.3g} "
            f"(differences up to {tol:.1g} are rounding)."
        )
        if cmp.agree:
            verdict += " " + agreement
        else:
            verdict += (
                " In general they differ, but not on this tensor (the cells where they would "
                "differ are missing or zero)."
            )
        lines.append(verdict)
        if not cmp.agree:
            lines += [f"In general: {r}" for r in cmp.reasons]
            if cmp.border_note:
                lines.append(cmp.border_note)
        return tuple(lines)

    lines.append(f"**A and B differ**: max |y_A − y_B| = {max_diff:.3g}.")
    if measured_inside:
        if inside is not None and inside <= tol:
            lines[0] = (
                f"**A and B agree away from the borders** (max |y_A − y_B| = {inside:.3g} where "
                f"both windows lie inside the tensor) **and differ near them** (max "
                f"{max_diff:.3g})."
            )
        elif inside is None:
            lines.append("Every cell's window reaches a border on this tensor.")
    lines += list(cmp.reasons)
    if cmp.border_note:
        lines.append(cmp.border_note)
    if cmp.changes:
        fix = f"**To make them agree**, set {change_text(cmp.changes, slot_names)}"
        fix += "." if not cmp.change_notes else f" ({' '.join(cmp.change_notes)})"
        if cmp.border_note:
            fix += " They then agree away from the borders."
        lines.append(fix)
    elif cmp.change_notes:
        lines.append(" ".join(cmp.change_notes))
    return tuple(lines)
