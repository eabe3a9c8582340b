"""The quiz's words: prompts, one-line explanations and the summary, from computed facts.

Every number in these sentences is handed in by the caller, computed by the engine
(:func:`bnviz.describe`, :func:`bnviz.group_labels`, :class:`bnviz.RunningStatistics`,
:func:`bnviz.normalize`); nothing here knows a scheme's answer by heart.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..engine.running import Convention
from ..engine.schemes import Formula
from .describe import (
    Description,
    cell_text,
    grouping_text,
    learned_text,
    plural,
    shape_text,
    statistic_name,
    statistics_text,
)
from .latex import latex_number as tex


def number(value: float, digits: int = 4) -> str:
    """A float as the quiz writes it: 4 significant digits, thousands separators for integers."""
    if float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:.{digits}g}"


def cells_text(cells: Sequence, most: int = 8) -> str:
    """Cells as "(0, 1, 0, 0), (1, 1, 0, 0)", the first ``most`` and how many more; "none"."""
    cells = sorted(tuple(int(i) for i in c) for c in cells)
    if not cells:
        return "none"
    text = ", ".join(cell_text(c) for c in cells[:most])
    return text + (f" and {len(cells) - most:,} more" if len(cells) > most else "")


def counts_explanation(d: Description, call: str) -> str:
    """What a layer computes, in one line: its pairs of statistics, m′ and γ's entries."""
    return (
        f"{call} computes {statistics_text(d.formula, d.groups)}, one "
        f"{'pair ' if d.formula.uses_variance else ''}for {grouping_text(d.layout)}: "
        f"m′ = {d.factors_names} = {d.values_text} each; {learned_text(d)}."
    )


def keras_axis_explanation(order: str, axis: int, kept: str, equivalent: str | None) -> str:
    """Keras' ``axis`` names the axis that keeps its own statistics: which one it is here."""
    same = (
        f": the same groups as {equivalent}"
        if equivalent
        else ": no named scheme groups the cells this way"
    )
    return (
        f"Keras' BatchNormalization(axis={axis}) keeps axis {axis} of {order} data, which is "
        f"{kept}; every other axis is reduced{same}."
    )


def gamma_explanation(call: str, shape: tuple, framework: str) -> str:
    """Where γ's shape comes from: the PyTorch module's weight, or Keras' gamma, which
    ``BatchNormalization.build`` creates with shape ``(input_shape[axis],)``
    (keras/src/layers/normalization/batch_normalization.py, Keras 3)."""
    if framework == "keras":
        return (
            f"Keras' γ has one entry per position of the kept axis: {call} creates gamma of "
            f"shape {shape_text(shape)}."
        )
    return f"{call} holds its weight γ (and bias β, where it has one) as {shape_text(shape)}."


def group_explanation(d: Description, cell, others: int) -> str:
    """The cell's group under the scheme: its size and what the group is."""
    return (
        f"Under {d.scheme.name} cell {cell_text(cell)} shares {d.shared_statistics} with "
        f"{plural(others, 'other cell')}: one group for {grouping_text(d.layout)}, "
        f"m′ = {d.factors_names} = {d.values_text}."
    )


def overlap_text(right: int, missed: int, extra: int, score: float) -> str:
    """The score of a click-the-group answer, with its parts."""
    return (
        f"Overlap (Jaccard index, right ÷ (right + missed + extra)) = {right} ÷ "
        f"{right + missed + extra} = {score:.2f}: {plural(right, 'cell')} right, {missed:,} "
        f"missed, {extra:,} extra."
    )


def _update_weights(convention: Convention, momentum: float) -> tuple[float, float]:
    """(old estimate's weight, new batch's weight) of one update with ``momentum``."""
    new = convention.new_batch_weight(momentum)
    return 1 - new, new


def momentum_explanation(
    keras: Convention, torch: Convention, keras_m: float, torch_m: float, steps: int, value: float
) -> str:
    """Keras' momentum is the old estimate's weight, PyTorch's the new batch's."""
    (k_old, k_new), (t_old, t_new) = (
        _update_weights(keras, keras_m),
        _update_weights(torch, torch_m),
    )
    return (
        f"Keras' momentum is the weight the old estimate keeps (moving = {number(k_old)} · "
        f"moving + {number(k_new)} · batch); PyTorch's is the new "
        f"batch's (running = {number(t_old)} · running + {number(t_new)} · batch). "
        f"After the same {steps} batches both running means read {number(value, 6)}."
    )


def momentum_formulas(keras: Convention, torch: Convention, keras_m: float, torch_m: float):
    """The two update rules with these momenta (LaTeX)."""
    (k_old, k_new), (t_old, t_new) = (
        _update_weights(keras, keras_m),
        _update_weights(torch, torch_m),
    )
    return (
        rf"\text{{Keras: }} \text{{moving}} = {tex(k_old)} \cdot \text{{moving}} "
        rf"+ {tex(k_new)} \cdot \mu_B",
        rf"\text{{PyTorch: }} \text{{running}} = {tex(t_old)} \cdot \text{{running}} "
        rf"+ {tex(t_new)} \cdot \mu_B",
    )


def variance_explanation(
    convention: Convention, values: Sequence[float], biased: float, stored: float
) -> str:
    """Which variance a framework normalizes with and which it stores, on one batch."""
    m = len(values)
    kind = (
        f"unbiased variance (÷ (m′ − 1) = {m - 1})"
        if convention.unbiased
        else f"biased variance (÷ m′ = {m}) as well"
    )
    return (
        f"{convention.name} normalizes the batch {', '.join(number(v) for v in values)} with the "
        f"biased σ² = {number(biased)} (÷ m′ = {m}); its running variance "
        f"({convention.buffers[1]}) takes the {kind}: after one step that counts the batch "
        f"fully it holds {number(stored)}."
    )


def variance_formulas(values: Sequence[float], biased: float, unbiased: float) -> tuple:
    m = len(values)
    return (
        rf"\sigma^2_B = \tfrac{{1}}{{{m}}}\textstyle\sum_i (x_i - \mu_B)^2 = {tex(biased)}",
        rf"\tfrac{{1}}{{{m - 1}}}\textstyle\sum_i (x_i - \mu_B)^2 = {tex(unbiased)}",
    )


#: The two places of ε, as the quiz offers them (the third choice: none).
EPS_PLACES = {
    "std": "inside the square root: (x − μ) / √(σ² + ε)",
    "std_plus_eps": "added to σ: (x − μ) / (σ + ε)",
    "none": "nowhere: ε is not used",
}


def eps_explanation(name: str, divide: str, eps: float, values: Sequence[float], x_hat: float):
    """Where ε goes, and what it does to a group of small spread."""
    where = "inside the square root" if divide == "std" else "to σ"
    return (
        f"{name} adds ε = {eps:g} {where}: on the group {', '.join(number(v) for v in values)} "
        f"(σ = {number(abs(values[1] - values[0]) / 2)}) it gives x̂ = ±{number(abs(x_hat), 3)}."
    )


def verdict(score: float) -> str:
    """ "Right", "Wrong" or "Partly right (0.67)"."""
    if score >= 1:
        return "Right"
    if score <= 0:
        return "Wrong"
    return f"Partly right ({score:.2f})"


def summary_markdown(title: str, link: str, rows: Sequence[dict], total: float, count: int):
    """The end-of-quiz summary: the score, then one line per question (its answer, the right
    one, the score), as Markdown.

    ``rows``: dicts with "number", "question", "given", "right", "score".
    """
    lines = [
        f"# {title}",
        "",
        f"Score: {number(round(total, 2))} of {count} ({total / count:.0%}).",
        "",
        f"Quiz link: {link}",
        "",
    ]
    for row in rows:
        lines.append(
            f"{row['number']}. {row['question']}  \n"
            f"   Your answer: {row['given']}; right: {row['right']}; "
            f"score {number(round(row['score'], 2))}."
        )
    return "\n".join(lines) + "\n"


def marks_caption(scored, group_cells: int) -> str:
    """The legend of a checked click-the-group map, with the counts."""
    right = group_cells - len(scored.missed)
    return (
        f"The outlined cell's group is lit. Blue dot: marked and in the group ({right:,}); "
        f"black ring: in the group, not marked ({len(scored.missed):,}); black cross: marked, "
        f"not in the group ({len(scored.extra):,})."
    )


# --- The generated questions' prompts and choices ------------------------------------------------


def picture_prompt(shape: tuple) -> str:
    """ "Which normalization does this map show?", on a tensor of ``shape`` (N, C, H, W)."""
    return (
        "Each colour of this map is one group of cells that share a mean and a variance, on "
        f"a tensor of shape (N, C, H, W) = {shape_text(shape)}. **Which normalization is it?**"
    )


def group_prompt(label: str, shape: tuple, cell: tuple) -> str:
    """Click every cell of ``cell``'s group, for the scheme called ``label`` on ``shape``."""
    return (
        f"**{label}** on a tensor of shape (N, C, H, W) = {shape_text(shape)}: click every cell "
        f"that shares the outlined cell {cell_text(cell)}'s mean and variance (click again to "
        "unmark), then Check."
    )


#: What a layer question asks, by kind; ``{statistic}`` is what the layer computes per group
#: (:func:`bnviz.text.describe.statistic_name`: "mean", or "mean square" for RMS norm).
LAYER_ASKS = {
    "means": "**how many {statistic}s does it compute** (in training mode)?",
    "mprime": "**over how many values is each {statistic} taken** (m′, in training mode)?",
    "gamma": "**what shape is γ** (the layer's learned scale)?",
}


def layer_prompt(kind: str, call: str, framework: str, shown: tuple, formula: Formula) -> str:
    """A question about the layer written as ``call``, on an input of shape ``shown`` as the
    framework holds it (PyTorch: the module "on x"; Keras: the layer "with x"), whose
    ``formula`` says which statistic it computes."""
    where = "on" if framework == "pytorch" else "with"
    ask = LAYER_ASKS[kind].format(statistic=statistic_name(formula))
    return f"{call} {where} x of shape {shape_text(shown)}: {ask}"


#: The lecture's evaluation-mode question, answered from a run of the engine's running statistics.
EVAL_EXPLANATION = (
    "In evaluation mode the layer normalizes with running_mean and running_var, updated in each "
    "training step; the mini-batch's own statistics are used only in training (checked: after "
    "two training batches, eval output = (x − running_mean) / √(running_var + ε))."
)


def shares_batch_explanation(d: Description, shares: bool) -> str:
    """The counts of ``d``, and whether the mini-batch's other samples enter its statistics."""
    return (
        f"{counts_explanation(d, d.scheme.name)} The mini-batch's other samples do "
        f"{'' if shares else 'not '}enter them."
    )


def momentum_prompt(from_keras: bool, momentum: float) -> str:
    """Which momentum of the other framework updates the running mean as ``momentum`` does
    (Keras' ``momentum`` when ``from_keras``, else PyTorch's)."""
    if from_keras:
        return (
            f"Keras' `BatchNormalization(momentum={number(momentum)})` updates its moving "
            "mean as which PyTorch `BatchNorm2d(momentum=…)` does?"
        )
    return (
        f"PyTorch's `BatchNorm2d(momentum={number(momentum)})` updates its running "
        "mean as which Keras `BatchNormalization(momentum=…)` does?"
    )


def momentum_choice(momentum: float) -> str:
    """A choice of the momentum question: "momentum=0.01"."""
    return f"momentum={number(momentum)}"


def no_momentum_choice(from_keras: bool) -> str:
    """The momentum question's third choice: no momentum of the other framework does it."""
    return "no PyTorch momentum does" if from_keras else "no Keras momentum does"


#: How each convention's batch-norm layer is named in the variance question.
VARIANCE_LAYERS = {
    "pytorch": "`torch.nn.BatchNorm2d`",
    "keras": "`keras.layers.BatchNormalization`",
    "caffe": "Caffe's `BatchNorm` layer",
}


def variance_prompt(convention: Convention, values: Sequence[float]) -> str:
    """Which variance of one channel's ``values`` enters the convention's running estimate."""
    return (
        f"One channel of a training batch holds the {len(values)} values "
        f"{', '.join(number(v) for v in values)}. Which variance enters "
        f"{VARIANCE_LAYERS[convention.id]}'s running estimate (`{convention.buffers[1]}`)?"
    )


def variance_choices(m: int, biased: float, unbiased: float) -> tuple:
    """The variance question's choices: the biased variance (÷ m′), then the unbiased."""
    return (
        f"the biased variance {number(biased)} (÷ m′ = {m})",
        f"the unbiased variance {number(unbiased)} (÷ (m′ − 1) = {m - 1})",
    )


def eps_prompt(name: str) -> str:
    """Where the layer called ``name`` adds ε."""
    return f"Where does {name} add ε when it normalizes?"


#: x̂'s formula for each place of ε.
EPS_FORMULAS = {
    "std": r"\hat{x} = \frac{x - \mu}{\sqrt{\sigma^2 + \varepsilon}}",
    "std_plus_eps": r"\hat{x} = \frac{x - \mu}{\sigma + \varepsilon}",
}
