"""Sentences of the Experiment page: what a training run or a sweep measured, and what it cannot
show.  Pure functions of computed numbers (the arrays come from :mod:`bnviz.views.experiment`,
read by attribute); every sentence states a measured number or a fixed fact of the set-up.

References quoted:

- S. Ioffe and C. Szegedy, "Batch Normalization: Accelerating Deep Network Training by Reducing
  Internal Covariate Shift", ICML 2015, arXiv:1502.03167: section 4.1 and Fig. 1 (MNIST, three
  fully connected hidden layers of 100 sigmoids, mini-batches of 60, 50,000 steps).
- Y. Wu and K. He, "Group Normalization", ECCV 2018, arXiv:1803.08494, Table 2 (ResNet-50 on
  ImageNet, validation error against images per GPU).
"""

from __future__ import annotations

import math

import numpy as np

from .training import gn_paper_sentence

NORM_NAMES = {
    "none": "no normalization",
    "batch": "batch norm",
    "group": "group norm",
    "layer": "layer norm",
    "instance": "instance norm",
}
BN_PAPER = (
    "S. Ioffe and C. Szegedy, “Batch Normalization”, ICML 2015, arXiv:1502.03167, section 4.1 "
    "and Fig. 1"
)
#: The paper's MNIST set-up, for the "how this differs" sentence.
BN_PAPER_STEPS = 50_000
MNIST_TRAIN = 60_000


def norm_label(norm: str, *, network: str = "mlp", place: str = "before", groups: int = 4) -> str:
    """ "batch norm", "group norm (G = 4)", with "after ReLU" where the CNN's norm follows it."""
    label = NORM_NAMES[norm]
    if norm == "group":
        label += f" (G = {groups})"
    if network == "cnn" and norm != "none" and place == "after":
        label += " after ReLU"
    return label


def percent(value: float) -> str:
    return "—" if not math.isfinite(value) else f"{100 * value:.1f} %"


def number(value: float) -> str:
    """A learning rate or a scale as written on the axis: 0.001, 0.3, 30."""
    return f"{value:g}"


def signed(value: float) -> str:
    """Two decimals, without a negative zero."""
    text = f"{value:.2f}"
    return "0.00" if text == "-0.00" else text


def threshold_text(value: float) -> str:
    return f"{100 * value:g} %"


def _spread(values: np.ndarray) -> str:
    finite = values[np.isfinite(values)]
    if finite.size < 2:
        return ""
    return f" ({percent(finite.min())}–{percent(finite.max())} over {finite.size} seeds)"


def _diverged_text(curve) -> str:
    count = sum(step is not None for step in curve.diverged)
    if not count:
        return ""
    first = min(step for step in curve.diverged if step is not None)
    return (
        f" {count} of {len(curve.diverged)} runs diverged (the loss or a weight stopped being "
        f"finite), the first at step {first}."
    )


def curve_sentences(curves, threshold: float) -> list[str]:
    """Final accuracy of each configuration, when its mean curve first reached ``threshold``, and
    how much sooner one reached it than another."""
    sentences = []
    reached = {}
    for curve in curves:
        final = curve.final_accuracy
        last_step = int(curve.steps[-1])
        text = (
            f"With {curve.label}, test accuracy after {last_step:,} steps was "
            f"{percent(np.nanmean(final) if np.isfinite(final).any() else math.nan)}"
            f"{_spread(final)}."
        )
        step = curve.first_reaching(threshold)
        reached[curve.label] = step
        if step is None:
            text += f" Its mean never reached {threshold_text(threshold)} in this run."
        else:
            text += f" Its mean first reached {threshold_text(threshold)} at step {step:,}."
        sentences.append(text + _diverged_text(curve))
    hits = [(step, label) for label, step in reached.items() if step is not None]
    if len(curves) > 1 and hits:
        hits.sort()
        fastest_step, fastest = hits[0]
        slower = [(s, label) for label, s in reached.items() if label != fastest]
        parts = []
        for step, label in slower:
            if step is None:
                parts.append(f"{label} did not get there within {int(curves[0].steps[-1]):,}")
            elif step > fastest_step:
                parts.append(f"{step / fastest_step:.1f}× sooner than {label} (step {step:,})")
        if parts:
            every = int(curves[0].steps[1] - curves[0].steps[0]) if len(curves[0].steps) > 1 else 1
            sentences.append(
                f"{fastest.capitalize()} reached {threshold_text(threshold)} first, at step "
                f"{fastest_step:,}: " + "; ".join(parts) + f" (the test set was scored every "
                f"{every} steps or so, so steps are read to that resolution)."
            )
    return sentences


def percentile_sentences(curves, unit: int) -> list[str]:
    """How far the watched sigmoid's input distribution moved during training (Fig. 1 b, c)."""
    sentences = []
    for curve in curves:
        p = curve.unit_percentiles(unit)
        if p is None or not np.isfinite(p).any():
            continue
        median = p[:, 1][np.isfinite(p[:, 1])]
        width = p[:, 2] - p[:, 0]
        width = width[np.isfinite(width)]
        sentences.append(
            f"With {curve.label} (seed 0), the median input of sigmoid {unit} moved over a range of "
            f"{median.max() - median.min():.2f} during training (from {signed(median[0])} at the "
            f"first scoring to {signed(median[-1])}), and its 15th–85th percentile width went "
            f"from {width[0]:.2f} to {width[-1]:.2f}."
        )
    return sentences


def curve_caveats(curves, *, network: str, epochs: int, seeds: int, train_size: int) -> list[str]:
    """What the curves cannot show."""
    steps = int(curves[0].steps[-1]) if curves else 0
    lines = [
        f"Small data and short training: {train_size:,} training images of 8 × 8 pixels, "
        f"{epochs} epochs ({steps:,} steps), {seeds} seed{'s' if seeds != 1 else ''}, one "
        "learning rate for every configuration, plain SGD. A different learning rate, optimizer "
        "or longer training can change the gap, and so can other seeds."
    ]
    if network == "mlp":
        lines.append(
            f"How this differs from {BN_PAPER}: the paper trained on MNIST ({MNIST_TRAIN:,} "
            f"images of 28 × 28) for {BN_PAPER_STEPS:,} steps; here the same network shape "
            "(three hidden layers of 100 sigmoids, batches of 60 by default) meets 64 inputs "
            "and far fewer steps, and the percentiles are measured on the test images in "
            "evaluation mode (batch norm with its running estimates)."
        )
    return lines


def _configurations(sweep):
    """Each configuration of ``sweep`` in order: its label, its mean final accuracy (ndarray of
    shape (len(grid),), NaN where every seed diverged) and the grid indices where that mean is finite
    (a list, empty where none is)."""
    for label, means in zip(sweep.labels, sweep.mean_accuracy):
        yield label, means, [i for i in range(len(sweep.grid)) if np.isfinite(means[i])]


def _values_text(grid, indices) -> str:
    return ", ".join(number(grid[i]) for i in indices)


def lr_sentences(sweep, threshold: float) -> list[str]:
    """Which learning rates each configuration trained at, and where it broke."""
    sentences, largest = [], {}
    grid = sweep.grid
    for k, (label, means, finite) in enumerate(_configurations(sweep)):
        if not finite:
            sentences.append(f"With {label}, no learning rate in the sweep trained to the end.")
            continue
        best = max(finite, key=lambda i: means[i])
        good = [i for i in finite if means[i] >= threshold]
        text = (
            f"With {label}, the best final test accuracy was {percent(means[best])} at η = "
            f"{number(grid[best])}."
        )
        if good:
            text += f" It reached {threshold_text(threshold)} at η = {_values_text(grid, good)}."
            largest[label] = grid[max(good)]
        else:
            text += f" It reached {threshold_text(threshold)} at no learning rate in the sweep."
        broke = [
            i for i in range(best + 1, len(grid)) if sweep.any_diverged[k, i] or means[i] < 0.5
        ]
        if means[best] < 0.5:
            text += " It never exceeded 50 %."
        elif broke:
            i = broke[0]
            what = "diverged" if sweep.any_diverged[k, i] else f"ended at {percent(means[i])}"
            text += f" Above its best it broke first at η = {number(grid[i])} ({what})."
        else:
            text += (
                f" No learning rate above its best, up to {number(grid[-1])}, pushed it under 50 %."
            )
        sentences.append(text)
    if len(largest) == 1 and len(sweep.labels) == 2:
        (only,) = largest
        count = int(np.sum(sweep.mean_accuracy[sweep.labels.index(only)] >= threshold))
        sentences.append(
            f"Only {only} reached {threshold_text(threshold)} at any learning rate in the sweep "
            f"(at {count} of {len(grid)})."
        )
    if len(largest) == 2:
        (a, va), (b, vb) = largest.items()
        if va != vb:
            hi, lo = ((a, va), (b, vb)) if va > vb else ((b, vb), (a, va))
            sentences.append(
                f"The largest learning rate that still reached {threshold_text(threshold)} was "
                f"{number(hi[1])} with {hi[0]} and {number(lo[1])} with {lo[0]}: in this run "
                f"{hi[0]} tolerated a {hi[1] / lo[1]:g}× larger step."
            )
        else:
            sentences.append(
                f"The largest learning rate that still reached {threshold_text(threshold)} was the same "
                f"for both ({number(va)}): this run does not show one tolerating larger steps."
            )
    return sentences


def batch_sentences(sweep, paper: dict) -> list[str]:
    """Batch norm against group norm over batch sizes, beside the Group Normalization paper."""
    grid = sweep.grid
    sentences = []
    for label, means, finite in _configurations(sweep):
        if not finite:
            continue
        best = max(finite, key=lambda i: means[i])
        sentences.append(
            f"With {label}, final test accuracy was {percent(means[0])} at batch size "
            f"{int(grid[0])} and {percent(means[-1])} at {int(grid[-1])}; best "
            f"{percent(means[best])} at {int(grid[best])}."
        )
    if len(sweep.labels) == 2:
        gap = sweep.mean_accuracy[0] - sweep.mean_accuracy[1]
        if np.isfinite(gap[0]):
            sentences.append(
                f"At batch size {int(grid[0])}, {sweep.labels[0]} minus {sweep.labels[1]}: "
                f"{100 * gap[0]:+.1f} points of test accuracy; at {int(grid[-1])}: "
                f"{100 * gap[-1]:+.1f}."
            )
    if "batch" in sweep.norms:
        k = sweep.norms.index("batch")
        means = sweep.mean_accuracy[k]
        large = [i for i, b in enumerate(grid) if b >= paper["images per GPU"][0]]
        if np.isfinite(means[0]) and large and np.isfinite(means[large]).any():
            ref = max(large, key=lambda i: means[i] if np.isfinite(means[i]) else -1)
            drop = 100 * (means[ref] - means[0])
            if drop > 2:
                verdict = (
                    f"batch norm lost {drop:.1f} points of test accuracy from batch size "
                    f"{int(grid[ref])} to {int(grid[0])}: the direction of the paper's failure"
                )
            else:
                how = "no lower than" if drop <= 0 else f"only {drop:.1f} points below"
                verdict = (
                    f"batch norm reached {percent(means[0])} at batch size {int(grid[0])}, {how} "
                    f"its {percent(means[ref])} at {int(grid[ref])}: this replica does not "
                    "reproduce the paper's small-batch failure"
                )
            sentences.append(verdict[0].upper() + verdict[1:] + ".")
    for label, means, finite in _configurations(sweep):
        if finite and np.nanmin(means) < 0.5:
            worst = int(np.nanargmin(means))
            sentences.append(
                f"{label[0].upper() + label[1:]}'s lowest, {percent(means[worst])} at batch size "
                f"{int(grid[worst])}, came with the learning rate scaled to "
                f"η = {sweep.lr[worst]:.3g}."
            )
    sentences.append("The Group Normalization paper's reference: " + gn_paper_sentence(paper))
    return sentences


def batch_caveats(*, epochs: int, reference_batch: int, lr: float) -> list[str]:
    return [
        f"Set-up: the CNN, {epochs} epochs at every batch size (so small batches take many more "
        f"steps), the learning rate scaled with the batch size (η = {number(lr)} × batch / "
        f"{reference_batch}, the linear rule the Group Normalization paper follows), batch norm "
        "evaluated with its running estimates. The paper's failure at 2 images per GPU is on "
        "ImageNet with a ResNet-50 over 100 epochs; a 2-layer CNN on 8 × 8 digits for "
        f"{epochs} epochs is a small replica, and its numbers vary from seed to seed."
    ]


def init_sentences(sweep) -> list[str]:
    """How much the final accuracy depended on the initial weights' scale."""
    grid = sweep.grid
    sentences = []
    for label, means, finite in _configurations(sweep):
        if not finite:
            sentences.append(f"With {label}, no initialization scale trained to the end.")
            continue
        lo = min(finite, key=lambda i: means[i])
        hi = max(finite, key=lambda i: means[i])
        sentences.append(
            f"With {label}, final test accuracy ranged from {percent(means[lo])} (scale "
            f"{number(grid[lo])}) to {percent(means[hi])} (scale {number(grid[hi])}) over scales "
            f"{number(grid[0])}–{number(grid[-1])}."
        )
    return sentences


def sweep_caveats(*, network: str, epochs: int, seeds: int) -> list[str]:
    return [
        f"Each point is the final test accuracy of {seeds} run{'s' if seeds != 1 else ''} of the "
        f"{'MLP' if network == 'mlp' else 'CNN'} for {epochs} epochs, every other setting as in "
        "the sidebar. A point is where training ended, not what longer training would reach; "
        "a coarser or finer grid can move the edges."
    ]


INIT_NOTE = (
    "Initial weights are drawn from N(0, s² / fan-in): s = 1 is LeCun's normal initialization. "
    "A layer followed by batch norm gives the same output (up to ε) when its weights are scaled "
    "by s; only their gradient changes, by 1/s. The output layer has no norm after it."
)


def answer_title(section: str, network: str) -> str:
    names = {
        "curves": "Does normalization speed up training?",
        "lr": "Which learning rates train, with and without batch norm?",
        "batch": "Batch norm against group norm over batch sizes",
        "init": "Does the initial weights' scale matter with batch norm?",
    }
    net = "MLP of three sigmoid layers" if network == "mlp" else "small CNN"
    return f"{names[section]} ({net}, 8 × 8 digits)"
