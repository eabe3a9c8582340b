"""A view as a Markdown answer for a forum post, with every number computed.

Pure (no Streamlit): the share panel in :mod:`bnviz.ui.share` shows these as text to copy; the
files it offers come from :mod:`bnviz.views.downloads`.
"""

from __future__ import annotations

from .describe import Description, grouping_text, shape_text


def _number(value: float) -> str:
    """A float as a reader wants it in prose: 6 significant digits."""
    return f"{value:.6g}"


_MARKDOWN_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]<>"})


def escape_markdown(text: str) -> str:
    """``text`` with Markdown's inline markup characters escaped, so it reads as written.

    E.g. "BatchNorm1d(C*H*W)" would otherwise lose its stars and turn "H" italic.
    """
    return text.translate(_MARKDOWN_SPECIAL)


def sentence_markdown(sentence: str, description: Description) -> str:
    """One of ``description``'s sentences as Markdown: escaped, its PyTorch code as inline code."""
    code = description.torch_code
    if code and code in sentence:
        before, after = sentence.split(code, 1)
        return f"{escape_markdown(before)}`{code}`{escape_markdown(after)}"
    return escape_markdown(sentence)


def params_text(params: dict) -> str:
    """A scheme's hyper-parameters as "num_groups = 4, affine = True" ("" for none)."""
    return ", ".join(
        f"{name} = {value if value != '' else 'none'}" for name, value in params.items()
    )


def markdown_answer(
    description: Description,
    *,
    cell=None,
    eps: float | None = None,
    tensor: str | None = None,
    url: str | None = None,
) -> str:
    """The current view as a Markdown answer, ready to paste into a forum post.

    Parameters
    ----------
    description : Description
        What the scheme does to the tensor's shape (from :func:`bnviz.describe`).
    cell : CellDetails, optional
        The selected cell's numbers (:func:`bnviz.views.explorer.cell_details`): its index, group, x,
        μ, σ², x̂, y and γ, β when applied.
    eps : float, optional
        The ε actually used, to write x̂ with its numbers (needs ``cell``).
    tensor : str, optional
        Where the tensor came from, one sentence (``Tensor.description``), plain text.
    url : str, optional
        The link that reopens this view; a relative one (no "://") is given as the part to
        append to the app's address.

    Returns
    -------
    str
        A heading line (scheme, its hyper-parameters, the shape), the summary sentence, the counts
        as a list (mean/variance pairs, m′ with its factors, γ/β shape and count, the PyTorch
        equivalent, running statistics), the selected cell's numbers (x, μ, σ², x̂ and y with the
        numbers put in), the remaining explanatory sentences and the link.  Free text is
        Markdown-escaped.
    """
    d = description
    lay = d.layout
    scheme = d.scheme
    e = escape_markdown
    axes = ", ".join(lay.axis_labels)
    settings = params_text(lay.params)
    lines = [
        f"**{e(scheme.name)}**{f' (`{settings}`)' if settings else ''} on a tensor of shape "
        f"({axes}) = {shape_text(lay.shape)}."
    ]
    if tensor:
        lines += ["", f"*Tensor:* {e(tensor.strip())}"]
    lines += ["", f"> {e(d.summary)}", ""]
    formula = d.formula
    uses_variance = formula.uses_variance
    statistics = (
        "mean/variance pairs"
        if uses_variance
        else "mean squares"
        if formula.divide == "rms"
        else "means (no variances)"
    )
    lines.append(f"- **{statistics.capitalize()}:** {d.groups:,}, one for {e(grouping_text(lay))}.")
    shared = (
        "mean and variance"
        if uses_variance
        else "mean square"
        if formula.divide == "rms"
        else "mean"
    )
    term = d.size_term.capitalize()
    if d.group_size == 1:
        size = f"{d.factors_names} = 1" if d.group_factors else "1"
        lines.append(f"- **{term}:** m′ = {size}: each {shared} is taken over a single value.")
    else:
        lines.append(f"- **{term}:** m′ = {d.factors_names} = {d.values_text} share each {shared}.")
    if d.param_shape is None:
        lines.append("- **γ and β:** none (this scheme learns no scale and shift).")
    else:
        lines.append(f"- **{d.learned}:** {e(d.param_text)}: {formula.y_text}.")
    lines.append(f"- **PyTorch (training mode):** {_torch_text(d)}.")
    if d.running_stats_shape is not None:
        lines.append(
            f"- **Running statistics** (PyTorch, for evaluation): mean and variance of shape "
            f"{shape_text(d.running_stats_shape)}."
        )
    if cell is not None:
        lines += ["", *_cell_lines(cell, d, eps, uses_variance)]
    # The first two sentences are the summary and the pairs line above.
    others = d.sentences[2:]
    if others:
        lines += ["", "Details:", ""] + [f"- {sentence_markdown(s, d)}" for s in others]
    return "\n".join(lines + _link_line(url)) + "\n"


def _link_line(url: str | None) -> list[str]:
    if url and "://" in url:
        return ["", f"See it: <{url}>"]
    if url:
        return ["", f"See it: open `{url}` on the bnviz server."]
    return []


def compare_answer(
    descriptions,
    *,
    cell_groups=None,
    tensor: str | None = None,
    url: str | None = None,
) -> str:
    """Several schemes on one tensor as a Markdown answer: a table of counts and each summary.

    Parameters
    ----------
    descriptions : sequence of Description
        One per compared scheme, all for the same shape (from :func:`bnviz.describe`).
    cell_groups : sequence of (tuple, int), optional
        The selected cell and, per description, the group it falls in there.
    tensor : str, optional
        Where the tensor came from, one sentence.
    url : str, optional
        The link that reopens the view (see :func:`markdown_answer`).

    Returns
    -------
    str
        A heading line with the shape, a table (scheme, mean/variance pairs, m′ with its
        factors, γ/β shape and count, PyTorch equivalent), each scheme's summary sentence, the
        selected cell's group in each, a note on Keras' ``axis`` where a scheme keeps only the
        channels, and the link.  All numbers come from the descriptions.
    """
    e = escape_markdown
    first = descriptions[0].layout
    lines = [
        f"**Comparing {len(descriptions)} normalization schemes** on a tensor of shape "
        f"({', '.join(first.axis_labels)}) = {shape_text(first.shape)}."
    ]
    if tensor:
        lines += ["", f"*Tensor:* {e(tensor.strip())}"]
    lines += [
        "",
        "| scheme | mean/variance pairs | each over m′ | γ and β | PyTorch |",
        "|---|---|---|---|---|",
    ]
    for d in descriptions:
        settings = params_text(d.layout.params)
        name = e(d.scheme.name) + (f" ({e(settings)})" if settings else "")
        gamma = (
            "none"
            if d.param_shape is None
            else f"{shape_text(d.param_shape)}: {d.param_count:,} each"
        )
        torch = _torch_text(d)
        lines.append(
            f"| {name} | {d.groups:,} | {d.factors_names} = {d.factors_text} | {gamma} | {torch} |"
        )
    lines.append("")
    lines += [f"- {e(d.summary)}" for d in descriptions]
    if cell_groups:
        cell, groups = cell_groups
        lines += ["", f"The cell {tuple(cell)} falls in:"]
        lines += [
            f"- group {group:,} of {d.groups:,} under {e(d.scheme.name)}, shared with "
            f"{d.group_size - 1:,} other cells"
            for d, group in zip(descriptions, groups)
        ]
    if any(d.layout.scheme.kept_axes(d.layout.params) == frozenset({"C"}) for d in descriptions):
        lines += [
            "",
            "Frameworks name the axis that *keeps* its own statistics: Keras' "
            "`BatchNormalization(axis=-1)` on NHWC data and PyTorch's `BatchNorm2d` on NCHW data "
            "both keep the channel axis, which is per-channel batch norm.",
        ]
    return "\n".join(lines + _link_line(url)) + "\n"


def _torch_text(d: Description) -> str:
    """The PyTorch recipe as inline code, with its refusal; "none" where PyTorch has none."""
    if d.torch is None:
        return "none (no PyTorch layer computes this)"
    text = f"`{d.torch_code}`"
    if d.torch.refusal:
        text += f" (refuses this input: “{d.torch.refusal}”)"
    return text


def page_answer(title: str, sentences, *, url: str | None = None, escape: bool = True) -> str:
    """A short Markdown answer: a bold title, one bullet per sentence, and the link.

    Sentences are Markdown-escaped unless ``escape`` is False (they are Markdown already).
    """
    lines = [f"**{escape_markdown(title)}**", ""]
    lines += [f"- {escape_markdown(s) if escape else s}" for s in sentences]
    return "\n".join(lines + _link_line(url)) + "\n"


def _cell_lines(cell, d: Description, eps: float | None, uses_variance: bool) -> list[str]:
    """The selected cell's statistics, and x̂ and y with the numbers put in."""
    n = _number

    def s(value):  # a number after an operator: negative ones in parentheses
        return f"({n(value)})" if value < 0 else n(value)

    formula = d.formula
    index = ", ".join(str(i) for i in cell.index)
    axes = ", ".join(a.lower() for a in d.layout.axis_labels)
    over = f" (over the group's {d.group_size:,} {'value' if d.group_size == 1 else 'values'})"
    lines = [
        f"**Selected cell** ({axes}) = ({index}), in group {cell.group} of {d.groups:,}:",
        "",
        f"- x = {n(cell.x)}",
    ]
    if formula.divide == "rms":
        square = cell.var + cell.mean * cell.mean
        lines.append(f"- mean x² = {n(square)}{over}")
    else:
        lines.append(
            f"- μ = {n(cell.mean)}" + (f", σ² = {n(cell.var)}" if uses_variance else "") + over
        )
    if formula.divide == "none":
        lines.append(f"- x̂ = x − μ = {n(cell.x)} − {s(cell.mean)} = {n(cell.x_hat)}")
    elif eps is None:
        lines.append(f"- x̂ = {formula.x_hat_text} = {n(cell.x_hat)}")
    elif formula.divide == "rms":
        lines.append(
            f"- x̂ = x / √(mean x² + ε) = {n(cell.x)} / √({n(square)} + {eps:g}) = {n(cell.x_hat)}"
        )
    elif formula.divide == "std_plus_eps":
        lines.append(
            f"- x̂ = (x − μ) / (σ + ε) = ({n(cell.x)} − {s(cell.mean)}) / "
            f"(√{n(cell.var)} + {eps:g}) = {n(cell.x_hat)}"
        )
    else:
        lines.append(
            f"- x̂ = (x − μ) / √(σ² + ε) = ({n(cell.x)} − {s(cell.mean)}) / "
            f"√({n(cell.var)} + {eps:g}) = {n(cell.x_hat)}"
        )
    if cell.gamma is not None and cell.beta is None:
        lines.append(f"- y = γ · x̂ = {n(cell.gamma)} · {s(cell.x_hat)} = {n(cell.y)}")
    elif cell.gamma is not None:
        lines.append(
            f"- y = γ · x̂ + β = {n(cell.gamma)} · {s(cell.x_hat)} + {s(cell.beta)} = {n(cell.y)}"
        )
    elif d.param_shape is None:
        lines.append(f"- y = x̂ = {n(cell.y)} (no learned γ and β)")
    else:
        lines.append(f"- y = x̂ = {n(cell.y)} (γ and β not applied: γ = 1, β = 0)")
    return lines
