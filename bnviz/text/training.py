"""Sentences and formulas for the Train vs. inference page, every number read off the results.

Pure (no Streamlit). Each function takes a result of :mod:`bnviz.views.training` (read by its
attributes; this layer sits below views and does not import it) and returns sentences in plain
text (Markdown-escaped where they are shown) or LaTeX lines with the numbers put in.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from ..engine.running import CONVENTIONS
from .latex import latex_number, signed

NAMES = {cid: c.name for cid, c in CONVENTIONS.items()}


def num(value: float, digits: int = 4) -> str:
    """A number for prose: ``digits`` significant digits, no "-0"."""
    value = float(value)
    if value == 0:
        return "0"
    text = f"{value:.{digits}g}"
    return "0" if float(text) == 0 else text


def sn(value: float, digits: int = 4) -> str:
    """:func:`num` in parentheses when negative (it follows an operator)."""
    text = num(value, digits)
    return f"({text})" if text.startswith("-") else text


def percent(weight: float) -> str:
    """0.1 as "10 %", 0.01 as "1 %", 0.001 as "0.1 %"."""
    return f"{num(100 * weight, 3)} %"


def change_text(moved: float | None) -> str:
    """How far an output moved, in words: "not at all", "by at most 2e-07 (float rounding)"."""
    if moved is None:
        return "(refused)"
    if moved == 0:
        return "not at all (identical to the last bit)"
    if moved < 1e-4:
        return f"by at most {moved:.1g} (float32 rounding)"
    return f"by up to {num(moved, 3)}"


#: The Markdown answer's title for each section of the page.
TITLES = {
    "stream": "Running mean and variance in PyTorch, Keras and Caffe",
    "eval": "Why batch norm's output changes in eval()",
    "batch": "Does one image's output depend on the rest of its batch?",
    "small": "How far small batches' statistics stray",
    "fold": "Folding batch norm into the convolution",
}


def answer_title(section: str, shape) -> str:
    """The answer's title: the section's question and the tensor's shape."""
    return f"{TITLES[section]} (batch norm on (N, C, H, W) = {tuple(int(n) for n in shape)})"


# --- Momentum ---------------------------------------------------------------------------------


def momentum_sentences(momenta: dict) -> list[str]:
    """What each convention's momentum number means: the new batch's weight, and equivalents.

    ``momenta`` maps "pytorch", "keras", "caffe" to the momentum given (PyTorch's None: the
    cumulative average).
    """
    torch_c, keras_c, caffe_c = (CONVENTIONS[c] for c in ("pytorch", "keras", "caffe"))
    torch_m, keras_m, caffe_f = momenta["pytorch"], momenta["keras"], momenta["caffe"]
    keras_weight = keras_c.new_batch_weight(keras_m)
    sentences = []
    if torch_m is None:
        sentences.append(
            "PyTorch with momentum=None keeps the cumulative average: after k batches each one "
            "weighs 1/k, the first as much as the last."
        )
    else:
        sentences.append(
            f"PyTorch's momentum {num(torch_m)} is the weight of the new batch: running = "
            f"{num(1 - torch_m)} · running + {num(torch_m)} · batch (the new batch counts "
            f"{percent(torch_m)}); in Keras' terms that is momentum "
            f"{num(keras_c.momentum_for_weight(torch_m))}."
        )
    sentences.append(
        f"Keras' momentum {num(keras_m)} is the weight the old estimate keeps: moving = "
        f"{num(keras_m)} · moving + {num(keras_weight)} · batch (the new batch counts "
        f"{percent(keras_weight)}), which is PyTorch's momentum "
        f"{num(torch_c.momentum_for_weight(keras_weight))}."
    )
    if torch_m is not None and torch_m == keras_m and torch_m != 0.5:
        sentences.append(
            f"The same number {num(torch_m)} means opposite things: PyTorch gives the new batch "
            f"{percent(torch_m)}, Keras {percent(keras_weight)}."
        )
    sentences.append(
        f"Caffe's moving_average_fraction {num(caffe_f)} is also the weight the old sums keep "
        f"(the new batch tends to {percent(caffe_c.new_batch_weight(caffe_f))} once the scale "
        "factor has settled), but Caffe divides its sums by the sum of the weights, so its "
        "first estimate is the first batch's own."
    )
    return sentences


def caffe_factor(fraction: float, steps: int) -> float:
    """Caffe's scale factor blobs_[2] after ``steps`` updates: 1 + f + f² + … (``steps`` terms)."""
    factor = 0.0
    for _ in range(steps):
        factor = factor * fraction + 1.0
    return factor


def stream_sentences(stream, channel: int) -> tuple:
    """The stream section's sentences: batches, momenta, the start, where each estimate ended.

    ``stream`` is a :class:`bnviz.views.training.Stream`.
    """
    c = channel
    k = stream.steps
    b, cc, h, w = stream.shape
    factors = f"{b} × {h} × {w} = {stream.count:,}" if h * w > 1 else f"{stream.count:,}"
    momenta = {cid: layer.momentum for cid, layer in stream.final.items()}
    sentences = [
        f"{k} training step{'s' if k != 1 else ''}, {stream.source_words}: each channel's "
        f"batch mean and variance are taken over m′ = N × H × W = {factors} "
        f"value{'s' if stream.count != 1 else ''}." + (f" {stream.note}" if stream.note else "")
    ]
    sentences += momentum_sentences(momenta)
    refused = stream.refusals.get("pytorch")
    if refused:
        sentences.append(
            f"PyTorch refuses every training step here: “{refused}”. Its running estimates "
            "stay at their start, mean 0 and variance 1; Keras and Caffe train, on batch "
            "variances of 0."
        )
    first = stream.batch_mean[0, c]
    torch_m, keras_m = momenta["pytorch"], momenta["keras"]
    torch_first = stream.running["pytorch"][0][1, c]
    keras_first = stream.running["keras"][0][1, c]
    caffe_first = stream.running["caffe"][0][1, c]
    if not refused:
        torch_words = (
            f"PyTorch's running mean is {num(torch_first)}"
            + (
                f" ({num(1 - torch_m)} · 0 + {num(torch_m)} · {sn(first)})"
                if torch_m is not None
                else " (momentum=None: the first batch's own)"
            )
            + ", "
        )
    else:
        torch_words = ""
    sentences.append(
        f"After the first batch (channel {c}'s batch mean {num(first)}): {torch_words}"
        f"Keras' {num(keras_first)} ({num(keras_m)} · 0 + {num(1 - keras_m)} · {sn(first)}), "
        f"{'both ' if torch_words else ''}pulled toward the start at 0; Caffe's is "
        f"{num(caffe_first)}, the batch's own, "
        "because it divides its weighted sum by the sum of the weights (1 after one step)."
    )
    ends = {cid: stream.running[cid][0][k, c] for cid in stream.running}
    var_ends = {cid: stream.running[cid][1][k, c] for cid in stream.running}
    remains = []
    if not refused and torch_m is not None:
        remains.append(f"{num((1 - torch_m) ** k, 3)} in PyTorch ((1 − {num(torch_m)})^{k})")
    remains.append(f"{num(keras_m**k, 3)} in Keras ({num(keras_m)}^{k})")
    sentences.append(
        f"After {k} batches, channel {c}'s estimates of the mean: "
        + ", ".join(f"{NAMES[cid]} {num(v)}" for cid, v in ends.items())
        + f"; the population's mean is {num(stream.population_mean[c])}. The start value "
        f"still weighs {' and '.join(remains)}."
    )
    keras_weight = CONVENTIONS["keras"].new_batch_weight(keras_m)
    if not refused and torch_m is not None and abs(torch_m - keras_weight) < 1e-12:
        apart = float(np.abs(stream.running["pytorch"][0] - stream.running["keras"][0]).max())
        sentences.append(
            f"PyTorch's momentum {num(torch_m)} and Keras' momentum {num(keras_m)} give the new "
            f"batch the same weight, so their running means agree at every step (largest "
            f"difference {apart:.1g}); only their variances differ."
        )
    if stream.count > 1:
        correction = stream.count / (stream.count - 1)
        stored = (
            "PyTorch and Caffe store each batch's unbiased variance (σ² × m′/(m′ − 1) = σ² × "
            f"{num(correction, 5)}) while training normalizes with the biased one; Keras "
            "stores the biased one."
        )
    else:
        stored = "With m′ = 1 Caffe stores the variance uncorrected (m′ − 1 would be 0)."
    sentences.append(
        "Estimates of the variance: "
        + ", ".join(f"{NAMES[cid]} {num(v)}" for cid, v in var_ends.items())
        + f"; the population's is {num(stream.population_var[c])}. {stored}"
    )
    return tuple(sentences)


def stream_formulas(stream, channel: int) -> list[str]:
    """The last step's update in each convention, channel ``channel``, as LaTeX lines."""
    c, k = channel, stream.steps
    n, s = latex_number, signed
    batch = stream.batch_mean[k - 1, c]
    lines = []
    torch_layer = stream.final["pytorch"]
    previous, now = stream.running["pytorch"][0][k - 1, c], stream.running["pytorch"][0][k, c]
    if "pytorch" not in stream.refusals:
        m = 1.0 / k if torch_layer.momentum is None else torch_layer.momentum
        label = rf"\tfrac{{1}}{{{k}}}" if torch_layer.momentum is None else n(m)
        lines.append(
            r"\text{PyTorch: running\_mean} = (1 - m)\,\text{running\_mean} + m\,\mu_B"
            rf" = (1 - {label}) \cdot {s(previous)} + {label} \cdot {s(batch)} = {n(now)}"
        )
    keras_m = stream.final["keras"].momentum
    previous, now = stream.running["keras"][0][k - 1, c], stream.running["keras"][0][k, c]
    lines.append(
        r"\text{Keras: moving\_mean} = \text{moving\_mean} \cdot m + \mu_B \cdot (1 - m)"
        rf" = {s(previous)} \cdot {n(keras_m)} + {s(batch)} \cdot {n(1 - keras_m)} = {n(now)}"
    )
    fraction = stream.final["caffe"].momentum
    f_prev, f_now = caffe_factor(fraction, k - 1), caffe_factor(fraction, k)
    sum_prev = stream.running["caffe"][0][k - 1, c] * f_prev
    sum_now = batch + fraction * sum_prev
    lines.append(
        r"\text{Caffe: } s = \mu_B + f\,s,\ \ \lambda = f\,\lambda + 1,\ \ \hat\mu = s / \lambda"
        rf":\ \ \frac{{{s(batch)} + {n(fraction)} \cdot {s(sum_prev)}}}"
        rf"{{{n(fraction)} \cdot {n(f_prev)} + 1}} = \frac{{{n(sum_now)}}}{{{n(f_now)}}}"
        rf" = {n(stream.running['caffe'][0][k, c])}"
    )
    return lines


# --- Train vs eval -----------------------------------------------------------------------------


def eval_sentences(result, stream) -> tuple:
    """The train-vs-eval section's sentences (``result``: a ``TrainEval``)."""
    c, i = result.channel, result.image
    x = result.x
    n, _, h, w = x.shape
    name = NAMES[result.convention]
    layer = stream.final[result.convention]
    trained = f"{name} after {result.steps} training batch{'es' if result.steps != 1 else ''}"
    if result.steps == 0:
        trained = f"{name}'s start values (it has not trained)"
    sentences = []
    if result.train_refusal:
        sentences.append(
            f"PyTorch refuses training mode on this input: “{result.train_refusal}”. With "
            f"N × H × W = {n} × {h} × {w} = 1 value per channel the batch variance is 0: "
            "there is nothing to normalize with. Evaluation mode accepts any batch size, even "
            "one image of 1 × 1: it uses the running estimates, not the batch."
        )
    else:
        diff = result.difference("train")
        sentences.append(
            f"Training mode normalizes channel {c} with this input's own mean "
            f"{num(result.batch_mean[c])} and variance {num(result.batch_var[c])} (over N × H × "
            f"W = {n * h * w:,} values); evaluation mode with the running estimates "
            f"{num(result.running_mean[c])} and {num(result.running_var[c])} ({trained})."
        )
        sentences.append(
            f"So the same input gives different outputs: image {i}'s channel {c} differs by up "
            f"to {num(np.abs(diff[c]).max(), 3)} between the modes (all its channels: up to "
            f"{num(np.abs(diff).max(), 3)}). That is why model.eval() changes a network's "
            "output: batch norm swaps the batch's statistics for the running ones."
        )
    if result.single_refusal:
        sentences.append(
            f"One image alone in training mode (forgetting model.eval() at test time): PyTorch "
            f"refuses: “{result.single_refusal}”, since H × W = 1."
        )
    else:
        single = result.single[0].astype(np.float64)
        beta = result.beta if result.beta is not None else 0.0
        mean_out = result.eval[i, c].astype(np.float64).mean()
        strayed = float(np.abs(single.mean(axis=(1, 2)) - beta).max())
        level = (
            f"each of its output channels averages β = {num(beta)} (to float32 rounding)"
            if strayed < 1e-4 * (1 + abs(beta))
            else f"its output channels average within {num(strayed, 2)} of β = {num(beta)}"
        )
        sentences.append(
            f"Forgetting model.eval() at test time: image {i} alone in training mode is "
            f"normalized with its own channel-{c} mean {num(result.single_mean[c])} and variance "
            f"{num(result.single_var[c])} (over its H × W = {h * w:,} values), so {level}: its "
            f"own level is gone. In evaluation mode its channel {c} averages {num(mean_out, 3)}; "
            f"the two differ by up to {num(np.abs(result.difference('single')[c]).max(), 3)}."
        )
    if not layer.convention.learned:
        sentences.append(
            "Caffe's BatchNorm layer has no γ and β (a Scale layer after it learns them): "
            "shown without them."
        )
    return tuple(sentences)


def eval_formulas(result) -> list[str]:
    """The chosen cell in both modes, as LaTeX lines with the numbers put in."""
    i, c, hh, ww = result.cell
    n, s = latex_number, signed
    x = float(result.x[i, c, hh, ww])
    eps = n(result.eps)
    gamma = result.gamma if result.gamma is not None else 1.0
    beta = result.beta if result.beta is not None else 0.0
    affine = result.gamma is not None
    lines = []
    for mode, mean, var, y in (
        (
            "train",
            result.batch_mean[c],
            result.batch_var[c],
            None if result.train is None else result.train[i, c, hh, ww],
        ),
        ("eval", result.running_mean[c], result.running_var[c], result.eval[i, c, hh, ww]),
    ):
        symbol = r"\mu_B, \sigma_B^2" if mode == "train" else r"\hat\mu, \hat\sigma^2"
        head = r"\gamma \cdot " if affine else ""
        tail = r" + \beta" if affine else ""
        numbers_head = f"{n(gamma)} \\cdot " if affine else ""
        numbers_tail = f" + {s(beta)}" if affine else ""
        mu, var_symbol = symbol.split(", ")
        value = r"\text{refused}" if y is None else n(y)
        lines.append(
            rf"\text{{{mode}: }} y = {head}\frac{{x - {mu}}}{{\sqrt{{{var_symbol} + \varepsilon}}}}"
            rf"{tail} = {numbers_head}\frac{{{n(x)} - {s(mean)}}}{{\sqrt{{{n(var)} + {eps}}}}}"
            rf"{numbers_tail} = {value}"
        )
    return lines


# --- Batch dependence --------------------------------------------------------------------------


def dependence_sentences(result) -> tuple:
    """The batch-dependence section's sentences (``result``: a ``Dependence``)."""
    i = result.image
    if not result.variants:
        return (
            f"There is no other image to put beside image {i}: the batch holds one picture. "
            "Add pictures to see its output depend on them.",
        )
    sizes = sorted({v.size for v in result.variants})
    size_words = ", ".join(str(s) for s in sizes)

    def largest(mode):
        moved = [v.moved[mode] for v in result.variants if v.moved[mode] is not None]
        return max(moved) if moved else None

    sentences = [
        f"Image {i} was put into {len(result.variants)} other batches (sizes {size_words}; "
        f"the page's own batch holds {result.size}), its own values unchanged."
    ]
    if result.refusal:
        sentences.append(
            f"In training mode PyTorch refuses the page's own batch: “{result.refusal}”."
        )
    else:
        sentences.append(
            f"In training mode (batch norm) its output moved {change_text(largest('train'))}: "
            "every channel's mean and variance are shared with the other images, so they "
            "change the image's output."
        )
    sentences.append(
        f"In evaluation mode it moved {change_text(largest('eval'))}: the running estimates "
        "are fixed, whatever else is in the batch."
    )
    sentences.append(
        f"Under layer norm it moved {change_text(largest('layer'))}, under group norm (G = "
        f"{result.groups}) {change_text(largest('group'))}: they take each image's statistics "
        "over that image alone, in training and evaluation alike."
    )
    return tuple(sentences)


# --- Small batches -----------------------------------------------------------------------------


def _band(quantiles) -> str:
    return f"{num(quantiles[0], 3)} to {num(quantiles[-1], 3)}"


def small_sentences(result, paper: dict | None = None) -> tuple:
    """The small-batch section's sentences (``result``: a ``SmallBatches``); ``paper`` is the
    Group Normalization paper's table (``GN_PAPER_TABLE``) when it is to be quoted."""
    c = result.channel
    index = {n: k for k, n in enumerate(result.sizes)}
    small, large = index[2], index[max(result.sizes)]
    source = (
        f"{result.pool:,} fresh random images of the distribution"
        if result.random
        else f"the {result.pool:,} pictures"
    )
    mean_q, var_q = result.mean_q, result.var_q
    sentences = [
        f"{result.draws} batches of each size N, drawn at random (with replacement) from "
        f"{source}: 90 % of channel {c}'s batch means fall within {_band(mean_q[small])} at "
        f"N = 2, {_band(mean_q[large])} at N = {max(result.sizes)}; the population's mean is "
        f"{num(result.population_mean)}.",
        f"Batch variances: {_band(var_q[small])} at N = 2, {_band(var_q[large])} at "
        f"N = {max(result.sizes)}; the population's variance is {num(result.population_var)}. "
        "A noisy mean and variance make a noisy normalization: each image's output depends on "
        "which images it was batched with.",
    ]
    h_w = result.locations
    if result.refusal:
        sentences.append(
            f"Here H × W = 1, so at N = 1 each channel has m′ = N × H × W = 1 value, its "
            f"variance is 0, and PyTorch refuses before it happens: “{result.refusal}”."
        )
    else:
        sentences.append(
            f"m′ = N × H × W: here H × W = {h_w:,}, so even N = 1 gives {h_w:,} values per "
            "channel and PyTorch trains, on one image's own statistics. With H × W = 1 (after "
            "global pooling, or a linear layer's (N, C) output) N = 1 leaves one value and "
            "PyTorch refuses: “Expected more than 1 value per channel when training”."
        )
    if paper is not None:
        sentences.append(gn_paper_sentence(paper))
    return tuple(sentences)


def gn_paper_sentence(paper: Mapping) -> str:
    """The Group Normalization paper's small-batch result (Wu & He 2018, Table 2: ResNet-50 on
    ImageNet, validation error against images per GPU), from its table ``paper``."""
    sizes, bn, gn = paper["images per GPU"], paper["BN"], paper["GN"]
    return (
        f"On ImageNet (Wu & He 2018, ResNet-50) batch norm's validation error rises from "
        f"{bn[0]} % at {sizes[0]} images per GPU to {bn[-1]} % at {sizes[-1]}, group norm's "
        f"stays within {min(gn)}–{max(gn)} %."
    )


# --- Folding -----------------------------------------------------------------------------------

NO_CONV = (
    "Folding needs a convolution layer before the batch norm: turn on the convolution layer "
    "in the sidebar (or below)."
)


def fold_sentences(result, stream) -> tuple:
    """The folding section's sentences (``result``: a ``Folded`` or None without a conv)."""
    if result is None:
        return (NO_CONV,)
    c = result.channel
    name = NAMES[result.convention]
    sentences = [
        f"The convolution layer: {result.conv_words}, no bias (b = 0). After it, {name}'s batch "
        f"norm in evaluation mode is one affine map per channel, y = a · z + (β − a · μ) with "
        f"a = γ / √(σ² + ε), so it folds into the convolution: W′ = a · W, b′ = a · (b − μ) + β.",
        f"Channel {c}: μ = {num(result.mean[c])}, σ² = {num(result.var[c])}, so a = "
        f"{num(result.gamma[c])} / √({num(result.var[c])} + {num(result.eps)}) = "
        f"{num(result.scale[c])}: every weight of filter {c} is multiplied by {num(result.scale[c])}, "
        f"and its bias becomes {num(result.folded_bias[c])}.",
        f"Check on this input: conv2d(x, W′, b′) and batch norm after conv2d(x, W) agree to "
        f"{result.difference:.1g} (outputs up to {num(result.magnitude, 3)}): one layer instead "
        "of two at inference.",
        "This holds in evaluation mode only: in training mode μ and σ² are each batch's own, "
        "and no fixed weights can stand in for them.",
    ]
    if result.steps == 0:
        sentences.insert(1, f"{name} has not trained: its start values are folded.")
    return tuple(sentences)


def fold_formulas(result) -> list[str]:
    """W′ and b′ of the chosen channel as LaTeX lines with the numbers put in."""
    c = result.channel
    n, s = latex_number, signed
    gamma, var, eps = result.gamma[c], result.var[c], result.eps
    root = math.sqrt(var + eps)
    return [
        rf"W'_{{{c}}} = \frac{{\gamma\, W_{{{c}}}}}{{\sqrt{{\sigma^2 + \varepsilon}}}}"
        rf" = \frac{{{n(gamma)}}}{{\sqrt{{{n(var)} + {n(eps)}}}}}\, W_{{{c}}}"
        rf" = {n(result.scale[c])}\, W_{{{c}}}",
        rf"b'_{{{c}}} = \frac{{\gamma\,(b - \mu)}}{{\sqrt{{\sigma^2 + \varepsilon}}}} + \beta"
        rf" = \frac{{{n(gamma)} \cdot ({n(result.bias[c])} - {s(result.mean[c])})}}{{{n(root)}}}"
        rf" + {s(result.beta[c])} = {n(result.folded_bias[c])}",
    ]
