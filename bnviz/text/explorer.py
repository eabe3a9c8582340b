"""The Explorer's words and formulas: the selected cell's LaTeX, and the captions under the map.

Each function takes the facts the page model computed (numbers, counts, names) and returns text;
nothing here computes statistics.
"""

from __future__ import annotations

from ..engine.schemes import Formula
from .latex import latex_number, signed


def cell_formula_lines(
    formula: Formula,
    *,
    x: float,
    mean: float,
    var: float,
    x_hat: float,
    y: float,
    eps: float,
    group_size: int,
    gamma: float | None = None,
    beta: float | None = None,
) -> tuple:
    """One cell's statistics and x̂ (and y, where the scheme learns γ) as LaTeX lines.

    Parameters
    ----------
    formula : Formula
        The scheme's formula for its parameters: what x̂ subtracts and divides by.
    x, mean, var, x_hat, y : float
        The cell's value, its group's mean and biased variance, its x̂ and its output.
    eps : float
        The ε the layer used.
    group_size : int
        m′, the number of values in the cell's group.
    gamma, beta : float or None
        The cell's γ and β; None where the scheme has none (β is None for RMSNorm's γ-only form).

    Returns
    -------
    tuple of str
        The statistics line(s), then x̂ symbolically and with the numbers put in, then y.
    """
    n = latex_number
    m = group_size
    mean_line = rf"\mu = \tfrac{{1}}{{m'}} \textstyle\sum_i x_i = {n(mean)}, \quad m' = {m:,}"
    var_line = rf"\sigma^2 = \tfrac{{1}}{{m'}} \textstyle\sum_i (x_i - \mu)^2 = {n(var)}"
    if formula.divide == "rms":
        square = var + mean * mean  # the mean of x² over the group
        lines = [
            rf"\overline{{x^2}} = \tfrac{{1}}{{m'}} \textstyle\sum_i x_i^2 = {n(square)}, "
            rf"\quad m' = {m:,}"
        ]
        symbolic = r"\frac{x}{\sqrt{\overline{x^2} + \varepsilon}}"
        numeric = rf"\frac{{{n(x)}}}{{\sqrt{{{n(square)} + {n(eps)}}}}}"
    elif formula.divide == "none":
        lines = [mean_line]
        symbolic, numeric = r"x - \mu", rf"{n(x)} - {signed(mean)}"
    elif formula.divide == "std_plus_eps":
        lines = [mean_line, var_line]
        symbolic = r"\frac{x - \mu}{\sigma + \varepsilon}"
        numeric = rf"\frac{{{n(x)} - {signed(mean)}}}{{\sqrt{{{n(var)}}} + {n(eps)}}}"
    else:
        lines = [mean_line, var_line]
        symbolic = r"\frac{x - \mu}{\sqrt{\sigma^2 + \varepsilon}}"
        numeric = rf"\frac{{{n(x)} - {signed(mean)}}}{{\sqrt{{{n(var)} + {n(eps)}}}}}"
    lines.append(
        rf"\begin{{aligned}} \hat{{x}} &= {symbolic} \\ &= {numeric} = {n(x_hat)} \end{{aligned}}"
    )
    if gamma is not None and beta is None:  # a scale γ and no shift β (RMSNorm)
        lines.append(
            rf"\begin{{aligned}} y &= \gamma \hat{{x}} \\ "
            rf"&= {n(gamma)} \cdot {signed(x_hat)} = {n(y)} \end{{aligned}}"
        )
    elif gamma is not None:
        lines.append(
            rf"\begin{{aligned}} y &= \gamma \hat{{x}} + \beta \\ "
            rf"&= {n(gamma)} \cdot {signed(x_hat)} + {signed(beta)} = {n(y)} \end{{aligned}}"
        )
    return tuple(lines)


def layout_caption(held: str, shape: tuple, held_shape: tuple) -> str:
    """How the map's (N, C, H, W) cells stand for the tensor as held ("NHWC" or "NLD").

    Parameters
    ----------
    held : str
        The layout the tensor is held in: "NHWC" or "NLD".
    shape : tuple of int
        (N, C, H, W), the shape the map draws.
    held_shape : tuple of int
        The same tensor's shape as held: (N, H, W, C) or (N, H·W, C).
    """
    n, c, h, w = shape
    if held == "NLD":
        return (
            f"Held as tokens, (N, L, D) = {held_shape}: each sample's {h} × {w} positions are its "
            f"L = {h * w} tokens (row by row), its {c} channels the D features. The map keeps "
            "the picture: column d is feature d, and its tile holds that feature of every token; "
            f"cell (n, d, h, w) is token l = h·{w} + w."
        )
    return (
        f"Held channels last, (N, H, W, C) = {held_shape}, as Keras' BatchNormalization(axis=-1) "
        "sees it; the map draws the same cells channels first."
    )


def map_caption(
    colour_by: str,
    *,
    drawn_groups: int,
    max_coloured_groups: int,
    value_range: tuple | None = None,
    linked: bool = False,
    plan_text: str = "",
) -> str:
    """What the map's colours mean, how to use it, and what part of the tensor is drawn.

    Parameters
    ----------
    colour_by : {"group", "x", "y"}
        What colours the cells: their group, or their value before (x) or after (y).
    drawn_groups : int
        How many groups the drawn cells belong to.
    max_coloured_groups : int
        Above this many drawn groups the map is pale and lights one group at a time.
    value_range : (float, float) or None
        The lowest and highest drawn value, for ``colour_by`` "x" or "y".
    linked : bool
        Maps side by side, where hovering one lights the cell's group in each.
    plan_text : str
        What the drawing plan says about the part drawn ("" when the whole tensor is drawn).
    """
    hover = "light its group in every map" if linked else "light its group"
    if colour_by == "group":
        if drawn_groups > max_coloured_groups:
            text = (
                f"{drawn_groups:,} groups are drawn: too many to tell apart by colour, so the map "
                f"is pale and lights one group at a time. Hover a cell to {hover}"
            )
        else:
            text = (
                "Each colour is one group (a colour repeats only for groups that do not touch). "
                f"Hover a cell to {hover}"
            )
    else:
        low, high = value_range
        name = "value before (x)" if colour_by == "x" else "value after (y)"
        scale = "purple → yellow" if colour_by == "x" else "blue → white (0) → red"
        text = f"Colour: {name}, {scale}, from {low:.3g} to {high:.3g}. Hover a cell to {hover}"
    text += "; click or use the arrow keys to select a cell."
    return text + (f" {plan_text}" if plan_text else "")
