"""The Train vs. inference page's model: batch norm's life over many batches, computed live.

Pure (NumPy, no Streamlit). The page reads its URL fields, calls :func:`compute` (cached by
``bnviz.ui.core.training_result``) and lays out what it returns. Five sections, each computed
only when shown:

- ``stream``: a stream of training batches drawn from one distribution (fresh random data of the
  page's kind, or the page's pictures drawn at random), the running mean and variance in PyTorch's,
  Keras' and Caffe's conventions step by step against each batch's values and the population's;
- ``eval``: the same input in training and in evaluation mode, and one image alone in training
  mode (the "forgot to call eval()" case);
- ``batch``: one image's output as the other images of its batch change: it moves in training
  mode, not in evaluation mode, nor under layer or group norm;
- ``small``: how far batch means and variances stray from the population's as N shrinks, over
  many sampled batches, with the Group Normalization paper's ImageNet numbers;
- ``fold``: the convolution layer's weights with the evaluation-mode batch norm folded in.

Batch norm here is the ``batch`` scheme (per channel, over N, H and W), as BatchNorm2d.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..engine import conv
from ..engine.errors import InputError
from ..engine.layout import layout
from ..engine.normalize import normalize
from ..engine.running import CONVENTIONS, RunningStatistics, fold_batch_norm, one_value_message
from ..engine.schemes import default_groups
from ..engine.synthetic import channel_offsets_and_scales, synthetic
from ..text import training as words
from . import explorer, source
from .urlstate import Field

SECTIONS = {
    "stream": "Running stats",
    "eval": "Train vs eval",
    "batch": "Batch dependence",
    "small": "Small batches",
    "fold": "Folding",
}
CONVENTION_IDS = tuple(CONVENTIONS)
#: Training steps and batch size offered.
MAX_STEPS = 300
MAX_BATCH = 64
#: The stream processes at most this many values (steps × batch × C·H·W); fewer steps beyond.
MAX_STREAM_VALUES = 2**24
#: Maps are drawn at most this many cells a side (every k-th row and column beyond).
MAX_MAP_SIDE = 96
#: Channels whose running statistics the stream figure draws.
MAX_STREAM_CHANNELS = 3
#: Small batches: the batch sizes, how many batches are drawn of each, and the pool of images
#: of random data they are drawn from (at most POOL_VALUES values, at least MIN_POOL images).
SMALL_SIZES = (1, 2, 4, 8, 16, 32, 64)
SMALL_DRAWS = 400
POOL_IMAGES = 512
POOL_VALUES = 2**23
#: Batch dependence: the sizes of the other batches the chosen image is put in.
COMPANION_SIZES = (2, 4, 8, 16)
QUANTILES = (5, 25, 50, 75, 95)

FIELDS = source.FIELDS + (
    Field("section", "choice", "stream", choices=tuple(SECTIONS), label="section"),
    Field("convention", "choice", "pytorch", choices=CONVENTION_IDS, label="convention"),
    Field("momentum", "float", CONVENTIONS["pytorch"].momentum, 0.0, 1.0, label="PyTorch momentum"),
    Field("cumulative", "bool", False, label="PyTorch momentum=None"),
    Field(
        "keras_momentum", "float", CONVENTIONS["keras"].momentum, 0.0, 1.0, label="Keras momentum"
    ),
    Field(
        "caffe_fraction",
        "float",
        CONVENTIONS["caffe"].momentum,
        0.0,
        1.0,
        label="Caffe moving_average_fraction",
    ),
    Field("steps", "int", 50, 1, MAX_STEPS, label="training steps"),
    Field("batch", "int", 4, 1, MAX_BATCH, label="training batch size"),
    Field("channel", "int", 0, 0, 511, label="channel"),
    Field("image", "int", 0, 0, 255, label="image"),
    Field("bn_gamma", "float", 1.0, -100.0, 100.0, label="γ"),
    Field("bn_beta", "float", 0.0, -100.0, 100.0, label="β"),
)
PAGE_KEYS = tuple(f.key for f in FIELDS if f not in source.FIELDS)


def constrain(values: dict) -> tuple[dict, list[str]]:
    """The tensor capped as in the Explorer (:func:`bnviz.views.explorer.constrain`)."""
    return explorer.constrain(values)


def fit_to_tensor(values: dict, shape: tuple) -> tuple[dict, list[str]]:
    """``channel`` and ``image`` brought within the built tensor of ``shape`` (N, C, H, W)."""
    values = dict(values)
    notices = []
    for key, size in (("image", shape[0]), ("channel", shape[1])):
        if values[key] > size - 1:
            notices.append(f"{key}: {values[key]} is outside 0–{size - 1}; using {size - 1}.")
            values[key] = size - 1
    return values, notices


def momenta(values: dict) -> dict:
    """Each convention's momentum as the fields give it (PyTorch's None: cumulative)."""
    return {
        "pytorch": None if values["cumulative"] else values["momentum"],
        "keras": values["keras_momentum"],
        "caffe": values["caffe_fraction"],
    }


# --- Where batches come from ------------------------------------------------------------------


@dataclass(frozen=True)
class Distribution:
    """Where training batches come from, and its population statistics.

    Random data: fresh images of the page's distribution (channel c = offset_c + scale_c · z,
    then the page's convolution layer if any), a new seed for every batch. Pictures: the page's
    pictures (or their feature maps), drawn at random for each batch.

    Attributes
    ----------
    pool : ndarray of shape (P, C, H, W) or None
        The pictures batches are drawn from (None for random data).
    in_shape : tuple
        (Cin, H0, W0) of one random image before the convolution layer.
    offsets, scales : ndarray of shape (Cin,) or None
        The random data's channel offsets and scales.
    weight : ndarray (Cout, Cin, k, k) or None
        The convolution layer, for random data.
    stride, padding
        Its stride and padding.
    seed : int
    mean, var : ndarray of float64, shape (C,)
        The population's mean and variance of each channel: exact for random data (the
        convolution's output mixed over its locations), the pool's own for pictures.
    """

    pool: np.ndarray | None
    in_shape: tuple
    offsets: np.ndarray | None
    scales: np.ndarray | None
    weight: np.ndarray | None
    stride: int
    padding: object
    seed: int
    mean: np.ndarray
    var: np.ndarray

    @property
    def random(self) -> bool:
        return self.pool is None

    def draw(self, size: int, key: tuple) -> np.ndarray:
        """A batch of ``size`` images, (size, C, H, W) float32; ``key`` seeds it."""
        rng = np.random.default_rng((self.seed, *key))
        if self.pool is not None:
            # With replacement: with a batch as large as the pool, batches still differ.
            return self.pool[rng.integers(self.pool.shape[0], size=size)]
        return self.fresh(size, rng)

    def fresh(self, size: int, rng) -> np.ndarray:
        """``size`` fresh random images (through the convolution layer if any)."""
        cin = self.in_shape[0]
        per_channel = (1, cin, 1, 1)
        x = rng.standard_normal((size, *self.in_shape), dtype=np.float32)
        x *= self.scales.reshape(per_channel).astype(np.float32)
        x += self.offsets.reshape(per_channel).astype(np.float32)
        if self.weight is None:
            return x
        return conv.conv2d(x, self.weight, stride=self.stride, padding=self.padding)

    def words(self, batch: int) -> str:
        """Where each batch comes from, in words."""
        images = "image" if batch == 1 else "images"
        if self.pool is not None:
            count = self.pool.shape[0]
            pictures = "picture" if count == 1 else "pictures"
            return f"each batch {batch} of the {count} {pictures}, drawn at random with replacement"
        return f"each batch {batch} fresh random {images} of the same distribution"


def distribution(tensor: source.Tensor, values: dict) -> Distribution:
    """The distribution the page's tensor comes from (see :class:`Distribution`)."""
    if tensor.pictures is not None:
        pool = tensor.x
        pooled = pool.astype(np.float64)
        return Distribution(
            pool,
            pool.shape[1:],
            None,
            None,
            None,
            1,
            0,
            values["seed"],
            pooled.mean(axis=(0, 2, 3)),
            pooled.var(axis=(0, 2, 3)),
        )
    cin, h, w = values["c"], values["h"], values["w"]
    offsets, scales = channel_offsets_and_scales(cin, values["offset"], values["spread"])
    offsets32 = offsets.astype(np.float32).astype(np.float64)
    scales32 = scales.astype(np.float32).astype(np.float64)
    weight = tensor.weight
    if weight is None:
        mean, var = offsets32, scales32**2
    else:
        # Every value of x is independent: at each output location the mean is the conv of the
        # offsets, the variance the conv of the scales² with the squared weights (padding adds
        # zeros of variance 0). Batch statistics mix the locations: mean of the means, mean of
        # the second moments minus the square of the mean.
        weight64 = weight.astype(np.float64)
        ones = np.ones((1, cin, h, w))
        kwargs = {"stride": values["stride"], "padding": source.padding(values)}
        means = conv.conv2d(ones * offsets32[None, :, None, None], weight64, **kwargs)[0]
        variances = conv.conv2d(ones * scales32[None, :, None, None] ** 2, weight64**2, **kwargs)[0]
        mean = means.mean(axis=(1, 2))
        var = (variances + means**2).mean(axis=(1, 2)) - mean**2
    return Distribution(
        None,
        (cin, h, w),
        offsets,
        scales,
        weight,
        values["stride"],
        source.padding(values),
        values["seed"],
        mean,
        np.maximum(var, 0.0),
    )


def network_input(tensor: source.Tensor, values: dict) -> np.ndarray:
    """What the convolution layer takes: the pictures, or the random data before it."""
    if tensor.pictures is not None:
        return tensor.pictures
    shape = (values["n"], values["c"], values["h"], values["w"])
    return synthetic(shape, seed=values["seed"], offset=values["offset"], spread=values["spread"])


# --- The stream of training batches -----------------------------------------------------------


@dataclass(frozen=True)
class Stream:
    """Training on a stream of batches, in every convention at once.

    Attributes
    ----------
    steps : int
        Batches seen (may be fewer than asked, see ``note``).
    batch : int
        Images per batch.
    count : int
        m′ = batch · H · W, values per channel in each batch.
    batch_mean, batch_var : ndarray of float64, shape (steps, C)
        Each batch's mean and biased variance.
    running : dict of str to (ndarray, ndarray)
        Per convention, the mean and variance evaluation would use after each step, each of
        shape (steps + 1, C); row 0 is before training.
    final : dict of str to RunningStatistics
        Per convention, the layer after the last step.
    refusals : dict of str to str
        Conventions whose training steps were refused, with the message (PyTorch, m′ = 1).
    population_mean, population_var : ndarray of shape (C,)
    shape : tuple
        One batch's shape (batch, C, H, W).
    source_words : str
        Where the batches come from.
    note : str
        Why fewer steps were taken than asked ("" when all were).
    """

    steps: int
    batch: int
    count: int
    batch_mean: np.ndarray
    batch_var: np.ndarray
    running: dict
    final: dict
    refusals: dict
    population_mean: np.ndarray
    population_var: np.ndarray
    shape: tuple
    source_words: str
    note: str = ""


def stream_steps(steps: int, batch: int, image_values: int) -> tuple[int, str]:
    """The steps the stream takes within :data:`MAX_STREAM_VALUES`, and a note when cut."""
    allowed = max(1, MAX_STREAM_VALUES // max(1, batch * image_values))
    if steps <= allowed:
        return steps, ""
    return allowed, (
        f"{allowed} of the {steps} steps asked: {steps} batches of {batch} × {image_values:,} "
        f"values would exceed {MAX_STREAM_VALUES:,} values."
    )


def run_stream(dist: Distribution, image_shape: tuple, values: dict) -> Stream:
    """Train a PyTorch, a Keras and a Caffe batch norm on the same batches."""
    batch = values["batch"]
    steps, note = stream_steps(values["steps"], batch, math.prod(image_shape))
    channels = image_shape[0]
    layers = {
        cid: RunningStatistics("batch", convention=cid, momentum=m)
        for cid, m in momenta(values).items()
    }
    shape = (batch, *image_shape)
    count = batch * math.prod(image_shape[1:])
    refusals = {}
    if count == 1:
        refusals["pytorch"] = one_value_message(layout(shape, "batch"))
    batch_mean = np.empty((steps, channels))
    batch_var = np.empty((steps, channels))
    running = {
        cid: (np.empty((steps + 1, channels)), np.empty((steps + 1, channels))) for cid in layers
    }
    for cid, layer in layers.items():
        running[cid][0][0], running[cid][1][0] = layer.start_values(channels)
    for step in range(steps):
        x = dist.draw(batch, (1, step)).astype(np.float64)
        mean, var = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3))
        batch_mean[step], batch_var[step] = mean, var
        for cid, layer in layers.items():
            if cid not in refusals:
                layer.update_moments(mean, var, count)
            estimate = layer.estimates(channels)
            running[cid][0][step + 1], running[cid][1][step + 1] = estimate
    return Stream(
        steps,
        batch,
        count,
        batch_mean,
        batch_var,
        running,
        layers,
        refusals,
        dist.mean,
        dist.var,
        shape,
        dist.words(batch),
        note,
    )


def stream_channels(channels: int, chosen: int) -> tuple:
    """The channels the stream figure draws: the chosen one and the first others, at most 3."""
    picked = [chosen] + [c for c in range(channels) if c != chosen]
    return tuple(sorted(picked[:MAX_STREAM_CHANNELS]))


# --- Train vs eval ---------------------------------------------------------------------------


def shown_map(plane: np.ndarray) -> tuple[np.ndarray, int]:
    """An (H, W) map cut to at most :data:`MAX_MAP_SIDE` a side (every k-th cell); and k."""
    step = max(1, math.ceil(max(plane.shape) / MAX_MAP_SIDE))
    return plane[::step, ::step], step


def affine_params(values: dict, convention: str, channels: int):
    """γ and β as arrays of (C,), or (None, None) for Caffe (its layer has none)."""
    if not CONVENTIONS[convention].learned:
        return None, None
    return np.full(channels, values["bn_gamma"]), np.full(channels, values["bn_beta"])


@dataclass(frozen=True)
class TrainEval:
    """One input in training and in evaluation mode, and one image alone in training mode.

    Attributes
    ----------
    train, eval, single : ndarray (N, C, H, W), (N, C, H, W), (1, C, H, W), or None
        Outputs: training mode on the whole input, evaluation mode, training mode on image
        ``image`` alone. None where PyTorch refuses (``train_refusal``, ``single_refusal``).
    batch_mean, batch_var : ndarray (C,)
        The input's own statistics (training mode's).
    running_mean, running_var : ndarray (C,)
        The layer's estimates (evaluation mode's).
    single_mean, single_var : ndarray (C,)
        Image ``image``'s own statistics.
    cell : tuple
        The cell the formulas show, (image, channel, h, w).
    """

    convention: str
    image: int
    channel: int
    eps: float
    gamma: float | None
    beta: float | None
    x: np.ndarray
    train: np.ndarray | None
    eval: np.ndarray
    single: np.ndarray | None
    train_refusal: str | None
    single_refusal: str | None
    batch_mean: np.ndarray
    batch_var: np.ndarray
    running_mean: np.ndarray
    running_var: np.ndarray
    single_mean: np.ndarray
    single_var: np.ndarray
    steps: int
    cell: tuple

    def difference(self, which: str = "train") -> np.ndarray | None:
        """Training-mode output minus evaluation-mode output for image ``image`` (C, H, W)."""
        if which == "train":
            return None if self.train is None else self.train[self.image] - self.eval[self.image]
        return None if self.single is None else self.single[0] - self.eval[self.image]


def train_eval(x: np.ndarray, stream: Stream, values: dict) -> TrainEval:
    """Compare training and evaluation mode on the page's input ``x`` (N, C, H, W)."""
    convention = values["convention"]
    layer = stream.final[convention]
    image, channel = values["image"], values["channel"]
    gamma, beta = affine_params(values, convention, x.shape[1])
    refuses = convention == "pytorch"

    def train_mode(batch):
        lay = layout(batch.shape, "batch")
        if refuses and lay.group_size == 1:
            return None, one_value_message(lay)
        return normalize(batch, "batch", eps=layer.eps, weight=gamma, bias=beta).y, None

    train, train_refusal = train_mode(x)
    single, single_refusal = train_mode(x[image : image + 1])
    evaluated = layer.infer(x, weight=gamma, bias=beta)
    x64 = x.astype(np.float64)
    one = x64[image : image + 1]
    h, w = x.shape[2:]
    return TrainEval(
        convention,
        image,
        channel,
        layer.eps,
        None if gamma is None else float(gamma[0]),
        None if beta is None else float(beta[0]),
        x,
        train,
        evaluated.y,
        single,
        train_refusal,
        single_refusal,
        x64.mean(axis=(0, 2, 3)),
        x64.var(axis=(0, 2, 3)),
        evaluated.mean.ravel(),
        evaluated.var.ravel(),
        one.mean(axis=(0, 2, 3)),
        one.var(axis=(0, 2, 3)),
        layer.steps,
        (image, channel, h // 2, w // 2),
    )


def _panel(title: str, plane: np.ndarray, kind: str = "value") -> tuple:
    """One panel of :func:`bnviz.figures.training.maps_figure`: (title, :func:`shown_map`, kind)."""
    return title, shown_map(plane)[0], kind


def eval_panels(te: TrainEval) -> list[tuple]:
    """The eval section's maps of channel ``te.channel``: training mode (where PyTorch allows
    it), evaluation mode and their difference, for image ``te.image``."""
    c, i = te.channel, te.image
    panels = []
    if te.train is not None:
        panels.append(_panel(f"train mode, image {i}", te.train[i, c]))
    panels.append(_panel(f"eval mode, image {i}", te.eval[i, c]))
    if te.train is not None:
        panels.append(_panel("train − eval", te.difference()[c], "difference"))
    return panels


def single_panels(te: TrainEval) -> list[tuple]:
    """Image ``te.image`` alone in training mode (model.eval() forgotten), in evaluation mode, and
    the difference; channel ``te.channel``.  Only when ``te.single`` is not None."""
    c, i = te.channel, te.image
    return [
        _panel("alone, train mode", te.single[0, c]),
        _panel(f"eval mode, image {i}", te.eval[i, c]),
        _panel("alone − eval", te.difference("single")[c], "difference"),
    ]


# --- Batch dependence --------------------------------------------------------------------------


@dataclass(frozen=True)
class Variant:
    """Image ``image`` in another batch: its size and how far each mode's output moved.

    ``moved`` maps a mode ("train", "eval", "layer", "group") to the largest change of the
    image's output against the page's own batch (None where PyTorch refuses).
    """

    label: str
    size: int
    moved: dict


@dataclass(frozen=True)
class Dependence:
    """How image ``image``'s output depends on the other images of its batch.

    Attributes
    ----------
    variants : tuple of Variant
        Other batches around the same image (empty when there is no other image to use).
    reference : ndarray (C, H, W) or None
        The image's training-mode output in the page's batch.
    most_moved : ndarray (C, H, W) or None
        Its training-mode output in the variant where it moved most.
    most_label : str
    groups : int
        G of the group norm compared.
    """

    image: int
    channel: int
    size: int
    convention: str
    variants: tuple
    reference: np.ndarray | None
    most_moved: np.ndarray | None
    most_label: str
    groups: int
    source_words: str
    refusal: str | None = None


def dependence_panels(dep: Dependence) -> list[tuple]:
    """The image's training-mode output in the page's batch and in the variant where it moved
    most, and the difference; channel ``dep.channel``.  Only when both are not None."""
    c = dep.channel
    return [
        _panel("page's batch", dep.reference[c]),
        _panel(dep.most_label, dep.most_moved[c]),
        _panel("difference", dep.most_moved[c] - dep.reference[c], "difference"),
    ]


MODES = {
    "train": "batch norm, training mode",
    "eval": "batch norm, evaluation mode",
    "layer": "layer norm",
    "group": "group norm",
}


def _outputs(batch, layer, gamma, beta, groups, refuses):
    """Image 0's output in each mode for ``batch`` (image 0 is the chosen one)."""
    lay = layout(batch.shape, "batch")
    out = {}
    if refuses and lay.group_size == 1:
        out["train"] = None
    else:
        out["train"] = normalize(batch, "batch", eps=layer.eps, weight=gamma, bias=beta).y[0]
    out["eval"] = layer.infer(batch, weight=gamma, bias=beta).y[0]
    out["layer"] = normalize(batch, "layer").y[0]
    out["group"] = normalize(batch, "group", num_groups=groups).y[0]
    return out


def batch_dependence(x: np.ndarray, dist: Distribution, stream: Stream, values: dict) -> Dependence:
    """Put image ``image`` of ``x`` into other batches and measure how its output moves."""
    convention = values["convention"]
    layer = stream.final[convention]
    image, channel = values["image"], values["channel"]
    gamma, beta = affine_params(values, convention, x.shape[1])
    groups = default_groups(x.shape[1])
    refuses = convention == "pytorch"
    mine = x[image : image + 1]
    others = np.concatenate([x[:image], x[image + 1 :]])
    reference_batch = np.concatenate([mine, others])
    reference = _outputs(reference_batch, layer, gamma, beta, groups, refuses)
    batches = []
    if dist.random:
        for k, size in enumerate(COMPANION_SIZES):
            companions = dist.draw(size - 1, (2, k))
            batches.append((f"{size - 1} new random images", size, companions))
    else:
        pool = np.concatenate([dist.pool[:image], dist.pool[image + 1 :]])
        rng = np.random.default_rng((values["seed"], 3))
        sizes = sorted({min(len(pool), s - 1) for s in COMPANION_SIZES} - {0})
        for count in sizes:
            for _ in range(2 if count < len(pool) else 1):
                chosen = np.sort(rng.choice(len(pool), size=count, replace=False))
                picked = ", ".join(str(k + (k >= image)) for k in chosen)
                batches.append((f"with pictures {picked}", count + 1, pool[chosen]))
    variants = []
    best, best_label, best_moved = None, "", -1.0
    for label, size, companions in batches:
        outputs = _outputs(np.concatenate([mine, companions]), layer, gamma, beta, groups, refuses)
        moved = {}
        for mode, y in outputs.items():
            if y is None or reference[mode] is None:
                moved[mode] = None
            else:
                moved[mode] = float(np.max(np.abs(y.astype(np.float64) - reference[mode])))
        variants.append(Variant(label, size, moved))
        if moved["train"] is not None and moved["train"] > best_moved:
            best, best_label, best_moved = outputs["train"], label, moved["train"]
    refusal = None
    if reference["train"] is None:
        refusal = one_value_message(layout(reference_batch.shape, "batch"))
    return Dependence(
        image,
        channel,
        x.shape[0],
        convention,
        tuple(variants),
        reference["train"],
        best,
        best_label,
        groups,
        dist.words(x.shape[0]),
        refusal,
    )


# --- Small batches -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SmallBatches:
    """How batch statistics scatter around the population's as the batch shrinks.

    Attributes
    ----------
    sizes : tuple of int
        Batch sizes N.
    mean_q, var_q : ndarray of shape (len(sizes), len(QUANTILES))
        Quantiles (:data:`QUANTILES` percent) of the chosen channel's batch mean and biased batch
        variance over :data:`SMALL_DRAWS` batches of each size.
    population_mean, population_var : float
    pool : int
        How many images the batches are drawn from.
    locations : int
        H · W of one image: m′ = N · H · W.
    refusal : str or None
        PyTorch's message for N = 1 when H · W = 1, else None.
    """

    channel: int
    sizes: tuple
    mean_q: np.ndarray
    var_q: np.ndarray
    population_mean: float
    population_var: float
    pool: int
    locations: int
    random: bool
    shape: tuple
    refusal: str | None
    draws: int = SMALL_DRAWS


def image_moments(dist: Distribution, image_shape: tuple) -> tuple[np.ndarray, np.ndarray]:
    """Each image's own per-channel mean and biased variance, (P, C) each, for the pool the
    small-batch draws sample from (fresh random images, or the pictures)."""
    if not dist.random:
        images = dist.pool.astype(np.float64)
        return images.mean(axis=(2, 3)), images.var(axis=(2, 3))
    per_image = max(1, math.prod(dist.in_shape), math.prod(image_shape))
    count = max(16, min(POOL_IMAGES, POOL_VALUES // per_image))
    rng = np.random.default_rng((dist.seed, 4))
    means, variances = [], []
    chunk = max(1, POOL_VALUES // 8 // per_image)
    for start in range(0, count, chunk):
        images = dist.fresh(min(chunk, count - start), rng).astype(np.float64)
        means.append(images.mean(axis=(2, 3)))
        variances.append(images.var(axis=(2, 3)))
    return np.concatenate(means), np.concatenate(variances)


def small_batches(dist: Distribution, image_shape: tuple, values: dict) -> SmallBatches:
    """Draw :data:`SMALL_DRAWS` batches of each size in :data:`SMALL_SIZES` (with replacement
    from the pool of images) and take the quantiles of the chosen channel's statistics."""
    channel = values["channel"]
    means, variances = image_moments(dist, image_shape)
    mu, var = means[:, channel], variances[:, channel]
    centre = float(dist.mean[channel])
    rng = np.random.default_rng((values["seed"], 5))
    mean_q, var_q = [], []
    for size in SMALL_SIZES:
        index = rng.integers(len(mu), size=(SMALL_DRAWS, size))
        # Pooled over the images of a batch: the mean of the image means, and the mean of
        # (image variance + squared image mean) minus the squared batch mean, centred first.
        d = mu[index] - centre
        batch_mean = d.mean(axis=1)
        batch_var = np.maximum((var[index] + d**2).mean(axis=1) - batch_mean**2, 0.0)
        mean_q.append(np.percentile(batch_mean + centre, QUANTILES))
        var_q.append(np.percentile(batch_var, QUANTILES))
    h, w = image_shape[1:]
    refusal = None
    if h * w == 1:
        refusal = one_value_message(layout((1, image_shape[0], h, w), "batch"))
    return SmallBatches(
        channel,
        SMALL_SIZES,
        np.array(mean_q),
        np.array(var_q),
        centre,
        float(dist.var[channel]),
        len(mu),
        h * w,
        dist.random,
        image_shape,
        refusal,
    )


#: Wu & He, "Group Normalization", ECCV 2018 (arXiv:1803.08494), Table 2: ResNet-50's ImageNet
#: validation error (%) trained with each number of images per GPU.
GN_PAPER_TABLE = {
    "images per GPU": (32, 16, 8, 4, 2),
    "BN": (23.6, 23.7, 24.8, 27.3, 34.7),
    "GN": (24.1, 24.2, 24.0, 24.2, 24.1),
}
GN_PAPER_CITATION = (
    "Y. Wu and K. He, “Group Normalization”, ECCV 2018, arXiv:1803.08494, Table 2: ResNet-50 "
    "on ImageNet, validation error (%)."
)


def gn_paper_rows() -> list[dict]:
    """The paper's table as rows for the page (one per batch size)."""
    table = GN_PAPER_TABLE
    return [
        {
            "images per GPU": str(n),
            "BN error (%)": f"{bn:.1f}",
            "GN error (%)": f"{gn:.1f}",
            "BN − GN": f"{bn - gn:+.1f}".replace("-", "−"),
        }
        for n, bn, gn in zip(table["images per GPU"], table["BN"], table["GN"], strict=True)
    ]


# --- Folding -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Folded:
    """Batch norm (evaluation mode) folded into the convolution before it.

    Attributes
    ----------
    weight, folded : ndarray (Cout, Cin, k, k)
        The convolution's weights before and after folding.
    bias, folded_bias : ndarray (Cout,)
        Its bias before (0: the page's layer has none) and after.
    mean, var, gamma, beta : ndarray (Cout,)
        The batch norm folded in (γ = 1, β = 0 for Caffe's layer, which has none).
    scale : ndarray (Cout,)
        γ / √(σ² + ε): what each output channel's weights are multiplied by.
    difference : float
        Largest |conv(x, W′, b′) − BN_eval(conv(x, W, b))| over the page's input.
    magnitude : float
        Largest |BN_eval(conv(x, W, b))|, to judge ``difference`` against.
    """

    convention: str
    channel: int
    eps: float
    weight: np.ndarray
    folded: np.ndarray
    bias: np.ndarray
    folded_bias: np.ndarray
    mean: np.ndarray
    var: np.ndarray
    gamma: np.ndarray
    beta: np.ndarray
    scale: np.ndarray
    difference: float
    magnitude: float
    steps: int
    conv_words: str


def fold(tensor: source.Tensor, stream: Stream, values: dict) -> Folded | None:
    """Fold the chosen convention's layer into the page's convolution; None without one."""
    if tensor.weight is None:
        return None
    convention = values["convention"]
    layer = stream.final[convention]
    weight = tensor.weight.astype(np.float64)
    c_out = weight.shape[0]
    gamma, beta = affine_params(values, convention, c_out)
    gamma = np.ones(c_out) if gamma is None else gamma
    beta = np.zeros(c_out) if beta is None else beta
    a, _ = layer.affine_map(gamma, beta)
    mean, var = layer.estimates(c_out)
    bias = np.zeros(c_out)
    folded, folded_bias = fold_batch_norm(
        weight, bias, mean, var, gamma=gamma, beta=beta, eps=layer.eps
    )
    x = network_input(tensor, values).astype(np.float64)
    kwargs = {"stride": values["stride"], "padding": source.padding(values)}
    two_layers = layer.infer(conv.conv2d(x, weight, bias, **kwargs), weight=gamma, bias=beta).y
    one_layer = conv.conv2d(x, folded, folded_bias, **kwargs)
    return Folded(
        convention,
        values["channel"],
        layer.eps,
        weight,
        folded,
        bias,
        folded_bias,
        mean,
        var,
        gamma,
        beta,
        a,
        float(np.max(np.abs(one_layer - two_layers))),
        float(np.max(np.abs(two_layers))),
        layer.steps,
        f"{c_out} filters of {weight.shape[2]} × {weight.shape[3]} on {weight.shape[1]} "
        f"input channel{'s' if weight.shape[1] > 1 else ''}",
    )


# --- Everything the page shows --------------------------------------------------------------


@dataclass(frozen=True)
class TrainingResult:
    """What :func:`compute` found for the shown section (the others are None).

    ``sentences`` are the section's generated sentences (also the Markdown answer's).
    """

    section: str
    shape: tuple
    stream: Stream | None = None
    train_eval: TrainEval | None = None
    dependence: Dependence | None = None
    small: SmallBatches | None = None
    folded: Folded | None = None
    sentences: tuple = field(default=())


def compute(tensor: source.Tensor, values: dict) -> TrainingResult:
    """Everything the shown section needs, for the page's tensor and field values.

    Parameters
    ----------
    tensor : bnviz.views.source.Tensor
        The page's tensor (N, C, H, W).
    values : dict
        The page's field values (:data:`FIELDS`), already fitted (:func:`fit_to_tensor`).
    """
    x = tensor.x
    section = values["section"]
    if section not in SECTIONS:
        raise InputError(f"Unknown section {section!r}.")
    dist = distribution(tensor, values)
    image_shape = tuple(x.shape[1:])
    if section == "small":
        small = small_batches(dist, image_shape, values)
        sentences = words.small_sentences(small, GN_PAPER_TABLE)
        return TrainingResult(section, x.shape, small=small, sentences=sentences)
    stream = run_stream(dist, image_shape, values)
    if section == "stream":
        sentences = words.stream_sentences(stream, values["channel"])
        return TrainingResult(section, x.shape, stream=stream, sentences=sentences)
    # Each analysis of the stream fills its own field of the result.
    if section == "eval":
        field, result = "train_eval", train_eval(x, stream, values)
        sentences = words.eval_sentences(result, stream)
    elif section == "batch":
        field, result = "dependence", batch_dependence(x, dist, stream, values)
        sentences = words.dependence_sentences(result)
    else:
        field, result = "folded", fold(tensor, stream, values)
        sentences = words.fold_sentences(result, stream)
    return TrainingResult(section, x.shape, stream=stream, sentences=sentences, **{field: result})
