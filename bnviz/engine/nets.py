"""Small networks in NumPy, with normalization from the engine, trained by plain SGD.

Two networks, both for 8 × 8 inputs and 10 classes:

- ``"mlp"``, the batch-norm paper's MNIST network scaled to the digits (Ioffe & Szegedy 2015,
  section 4.1, Fig. 1): 64 inputs, three fully connected hidden layers of 100 sigmoid units, a
  linear layer of 10 outputs; with batch norm, each hidden layer's input to its sigmoid is
  normalized (BN(Wu), the layer's bias dropped: β takes its place, as the paper does).
- ``"cnn"``: conv 3×3 (1 → 16) → norm → ReLU → max-pool 2 → conv 3×3 (16 → 32) → norm → ReLU →
  global average pool → linear 10, the norm before the ReLU or after it.

Normalization is the engine's own: :func:`bnviz.normalize` forward (training mode),
:func:`bnviz.normalize_backward` backward, and for batch norm :class:`bnviz.RunningStatistics`
(PyTorch's convention, momentum 0.1) for evaluation.  Schemes: ``none``, ``batch``, ``group``
(``num_groups``), ``layer`` (over C, H, W, γ of shape (C, H, W) as ``nn.LayerNorm((C, H, W))``)
and ``instance`` (γ of shape (C,), as ``InstanceNorm2d(affine=True)``).

Everything is float64.  Determinism: every random draw (initial weights, the order of the
mini-batches) comes from ``numpy.random.default_rng(seed)``, and :func:`train` runs its matrix
products on one BLAS thread: :func:`one_blas_thread` calls OpenBLAS'
``openblas_set_num_threads_local(1)`` (the calling thread only, so other sessions of the app keep
theirs) in the OpenBLAS NumPy loaded.  That is also much faster here: on a busy 2-core machine an
MLP run took 5.5 s with OpenBLAS' default threads and 0.56 s on one.  Where no such OpenBLAS is
found (another BLAS) it does nothing; the tests check that a seed gives the same run twice, and
the same run under ``OPENBLAS_NUM_THREADS=1`` and ``=2``.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import math
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .backward import normalize_backward
from .errors import InputError
from .normalize import normalize
from .running import RunningStatistics

#: Bumped whenever a change alters what a seed trains to (shipped results carry it).
VERSION = 1
NETWORKS = ("mlp", "cnn")
NORMS = ("none", "batch", "group", "layer", "instance")
#: The norms the MLP takes: its features have no channels to group or positions to share.
MLP_NORMS = ("none", "batch", "layer")
PLACES = ("before", "after")
#: The MLP's hidden widths (the paper's three layers of 100) and the CNN's channels.
MLP_HIDDEN = (100, 100, 100)
CNN_CHANNELS = (16, 32)
CLASSES = 10
#: PyTorch's defaults, which the running estimates follow.
BN_MOMENTUM = 0.1
EPS = 1e-5


# --------------------------------------------------------------------------------------------
# One BLAS thread.


@functools.lru_cache(maxsize=1)
def _blas_thread_setter() -> Callable[[int], int] | None:
    """OpenBLAS' ``openblas_set_num_threads_local`` from the library NumPy loaded, or None."""
    candidates = []
    maps = Path("/proc/self/maps")
    if maps.exists():
        for line in maps.read_text().splitlines():
            path = line.split()[-1] if line.split() else ""
            if "openblas" in path.lower() and ".so" in path:
                candidates.append(path)
    numpy_dir = Path(np.__file__).resolve().parent
    for folder in (numpy_dir.parent / "numpy.libs", numpy_dir / ".dylibs"):
        candidates += [str(p) for p in sorted(folder.glob("*openblas*"))]
    for path in dict.fromkeys(candidates):
        try:
            library = ctypes.CDLL(path)
            setter = library.openblas_set_num_threads_local
        except (OSError, AttributeError):
            continue
        setter.argtypes, setter.restype = [ctypes.c_int], ctypes.c_int
        return setter
    return None


@contextlib.contextmanager
def one_blas_thread():
    """Run the block's matrix products on one OpenBLAS thread (this thread only), then restore."""
    setter = _blas_thread_setter() if sys.platform != "win32" else None
    if setter is None:
        yield
        return
    previous = setter(1)
    try:
        yield
    finally:
        setter(max(1, previous))


# --------------------------------------------------------------------------------------------
# Layers: forward(x, train) keeps what backward needs; backward(dy) fills grads, returns dx.


class Layer:
    """A layer: ``params`` and ``grads`` are dicts of name → float64 array."""

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}

    def forward(self, x: np.ndarray, train: bool) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def backward(self, dy: np.ndarray) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError


class Dense(Layer):
    """y = x W + b, x of shape (N, in), W (in, out), b (out,) (no b when ``bias`` is False)."""

    def __init__(self, rng, n_in: int, n_out: int, init: float, bias: bool = True) -> None:
        super().__init__()
        # init × LeCun's scale: N(0, init² / fan_in).
        self.params["W"] = rng.normal(0.0, init / math.sqrt(n_in), size=(n_in, n_out))
        if bias:
            self.params["b"] = np.zeros(n_out)

    def forward(self, x, train):
        self.x = x
        y = x @ self.params["W"]
        return y + self.params["b"] if "b" in self.params else y

    def backward(self, dy):
        self.grads["W"] = self.x.T @ dy
        if "b" in self.params:
            self.grads["b"] = dy.sum(axis=0)
        return dy @ self.params["W"].T


class Conv3x3(Layer):
    """A 3 × 3 convolution, stride 1, zero padding 1 (H and W kept), as ``nn.Conv2d(cin, cout,
    3, padding=1)``: x (N, cin, H, W) → (N, cout, H, W); W of shape (cout, cin, 3, 3)."""

    def __init__(self, rng, c_in: int, c_out: int, init: float, bias: bool = True) -> None:
        super().__init__()
        fan_in = c_in * 9
        self.params["W"] = rng.normal(0.0, init / math.sqrt(fan_in), size=(c_out, c_in, 3, 3))
        if bias:
            self.params["b"] = np.zeros(c_out)

    def forward(self, x, train):
        n, c, h, w = x.shape
        # Rows of (N·H·W, 3·3·C), one per output cell, filled by 9 slice copies of the padded
        # input held channels-last (a 6-axis window view copied in one go was 3× slower).
        padded = np.zeros((n, h + 2, w + 2, c))
        padded[:, 1:-1, 1:-1] = x.transpose(0, 2, 3, 1)
        cols = np.empty((n, h, w, 3, 3, c))
        for i in range(3):
            for j in range(3):
                cols[:, :, :, i, j] = padded[:, i : i + h, j : j + w]
        self.cols = cols.reshape(n * h * w, 9 * c)
        self.shape = x.shape
        y = self.cols @ self._matrix()
        if "b" in self.params:
            y += self.params["b"]
        return y.reshape(n, h, w, -1).transpose(0, 3, 1, 2)

    def _matrix(self) -> np.ndarray:
        """W as a (3·3·C_in, C_out) matrix, rows ordered as the columns of ``cols``."""
        return self.params["W"].transpose(2, 3, 1, 0).reshape(-1, len(self.params["W"]))

    def backward(self, dy):
        n, c, h, w = self.shape
        rows = dy.transpose(0, 2, 3, 1).reshape(n * h * w, -1)
        weight = self.params["W"]
        grad = (self.cols.T @ rows).reshape(3, 3, c, len(weight))
        self.grads["W"] = grad.transpose(3, 2, 0, 1)
        if "b" in self.params:
            self.grads["b"] = rows.sum(axis=0)
        dcols = (rows @ self._matrix().T).reshape(n, h, w, 3, 3, c)
        padded = np.zeros((n, h + 2, w + 2, c))
        for i in range(3):
            for j in range(3):
                padded[:, i : i + h, j : j + w] += dcols[:, :, :, i, j]
        return padded[:, 1:-1, 1:-1].transpose(0, 3, 1, 2)


class Sigmoid(Layer):
    def forward(self, x, train):
        self.y = 0.5 * (1.0 + np.tanh(0.5 * x))  # = 1/(1 + e^−x), without overflow
        return self.y

    def backward(self, dy):
        return dy * self.y * (1.0 - self.y)


class ReLU(Layer):
    def forward(self, x, train):
        self.mask = x > 0
        return x * self.mask

    def backward(self, dy):
        return dy * self.mask


class MaxPool2(Layer):
    """2 × 2 max pooling, stride 2: (N, C, H, W) → (N, C, H/2, W/2); the gradient goes to the
    first maximum of each window (as PyTorch)."""

    def forward(self, x, train):
        n, c, h, w = x.shape
        windows = x.reshape(n, c, h // 2, 2, w // 2, 2).transpose(0, 1, 2, 4, 3, 5)
        windows = windows.reshape(n, c, h // 2, w // 2, 4)
        self.arg = windows.argmax(axis=-1)
        self.shape = x.shape
        return np.take_along_axis(windows, self.arg[..., None], axis=-1)[..., 0]

    def backward(self, dy):
        n, c, h, w = self.shape
        windows = np.zeros((n, c, h // 2, w // 2, 4))
        np.put_along_axis(windows, self.arg[..., None], dy[..., None], axis=-1)
        windows = windows.reshape(n, c, h // 2, w // 2, 2, 2).transpose(0, 1, 2, 4, 3, 5)
        return windows.reshape(n, c, h, w)


class GlobalAveragePool(Layer):
    """(N, C, H, W) → (N, C): each map's mean."""

    def forward(self, x, train):
        self.shape = x.shape
        return x.mean(axis=(2, 3))

    def backward(self, dy):
        n, c, h, w = self.shape
        return np.broadcast_to(dy[:, :, None, None] / (h * w), self.shape).copy()


class Norm(Layer):
    """A normalization layer from the engine, with learned γ (``weight``) and β (``bias``).

    Training mode normalizes with the batch's (or sample's) own statistics
    (:func:`bnviz.normalize`), the backward pass is :func:`bnviz.normalize_backward`; batch norm
    also updates PyTorch-style running estimates (:class:`bnviz.RunningStatistics`) and
    evaluation mode normalizes with them.  The other schemes use each sample's own statistics in
    both modes.

    Parameters
    ----------
    scheme : {"batch", "group", "layer", "instance"}
    shape : tuple
        The input's shape without N: (C,) or (C, H, W).
    num_groups : int
        G for ``group``.
    """

    def __init__(self, scheme: str, shape: tuple, num_groups: int = 4) -> None:
        super().__init__()
        self.scheme = scheme
        self.kwargs = {"num_groups": num_groups} if scheme == "group" else {}
        # γ, β shaped as the scheme's PyTorch layer holds them: LayerNorm((C, H, W)) over a
        # feature map, one per channel otherwise.
        param_shape = shape if scheme == "layer" else shape[:1]
        self.params["weight"] = np.ones(param_shape)
        self.params["bias"] = np.zeros(param_shape)
        self.running = (
            RunningStatistics("batch", momentum=BN_MOMENTUM, eps=EPS) if scheme == "batch" else None
        )
        #: Whether training-mode passes update the running estimates (off for gradient checks).
        self.track = True

    def forward(self, x, train):
        weight, bias = self.params["weight"], self.params["bias"]
        if not train and self.running is not None:
            return self.running.infer(x, weight=weight, bias=bias).y
        out = normalize(x, self.scheme, eps=EPS, weight=weight, bias=bias, **self.kwargs)
        if train and self.running is not None and self.track:
            self.running.update_moments(out.mean.ravel(), out.var.ravel(), x.size // x.shape[1])
        self.x = x
        return out.y

    def backward(self, dy):
        g = normalize_backward(
            self.x, dy, self.scheme, eps=EPS, weight=self.params["weight"], **self.kwargs
        )
        self.grads["weight"] = g.dweight.reshape(self.params["weight"].shape)
        self.grads["bias"] = g.dbias.reshape(self.params["bias"].shape)
        return g.dx


class Tap(Layer):
    """Identity that keeps what passes through (the input of the watched sigmoids)."""

    def forward(self, x, train):
        self.seen = x
        return x

    def backward(self, dy):
        return dy


# --------------------------------------------------------------------------------------------
# Networks.


@dataclass(frozen=True)
class Settings:
    """One training run.

    Attributes
    ----------
    network : {"mlp", "cnn"}
    norm : {"none", "batch", "group", "layer", "instance"}
        The MLP takes ``none`` or ``batch`` (the paper's comparison) and also ``layer``.
    place : {"before", "after"}
        The CNN's norm before or after its ReLU (the MLP's BN is before the sigmoid).
    groups : int
        G for group norm (a divisor of 16 and 32).
    lr : float
        SGD's learning rate (plain SGD, no momentum, no weight decay).
    batch : int
        Mini-batch size (the paper: 60).
    init : float
        Initial weights ~ N(0, init² / fan_in): 1 is LeCun's normal initialization.
    epochs : float
        Passes over the 1,438 training images (the last one may be partial).
    seed : int
        Initial weights and batch order.
    evals : int
        How many times the test set is scored during the run (evenly spaced, and at the end).
    """

    network: str = "mlp"
    norm: str = "none"
    place: str = "before"
    groups: int = 4
    lr: float = 0.5
    batch: int = 60
    init: float = 1.0
    epochs: float = 20.0
    seed: int = 0
    evals: int = 40

    def __post_init__(self) -> None:
        problems = []
        if self.network not in NETWORKS:
            problems.append(f"network must be one of {', '.join(NETWORKS)}")
        if self.norm not in NORMS:
            problems.append(f"norm must be one of {', '.join(NORMS)}")
        if self.network == "mlp" and self.norm in NORMS and self.norm not in MLP_NORMS:
            problems.append("the MLP has no channels to group: use none, batch or layer")
        if self.place not in PLACES:
            problems.append("place must be 'before' or 'after'")
        if self.norm == "group" and any(c % self.groups for c in CNN_CHANNELS):
            problems.append(f"G = {self.groups} must divide {' and '.join(map(str, CNN_CHANNELS))}")
        if not (math.isfinite(self.lr) and self.lr > 0):
            problems.append("the learning rate must be positive")
        if not 1 <= self.batch <= 1024:
            problems.append("the batch size must be 1 to 1024")
        if self.batch == 1 and self.norm == "batch":
            problems.append(
                "batch norm needs 2 or more samples in a batch to train (PyTorch: Expected more "
                "than 1 value per channel when training)"
            )
        if not (math.isfinite(self.init) and self.init > 0):
            problems.append("the initialization scale must be positive")
        if not 0 < self.epochs <= 1000 or self.evals < 1:
            problems.append("epochs must be in (0, 1000] and evals at least 1")
        if problems:
            text = "; ".join(problems)
            raise InputError(text[0].upper() + text[1:] + ".")

    def key(self) -> tuple:
        """The settings as a tuple (a cache and file key)."""
        return tuple(asdict(self).values())


def build(settings: Settings, input_shape: tuple = (1, 8, 8)) -> list[Layer]:
    """The layers of ``settings.network``, initialized from ``settings.seed``."""
    rng = np.random.default_rng(settings.seed)
    norm, init = settings.norm, settings.init
    layers: list[Layer] = []
    if settings.network == "mlp":
        width = math.prod(input_shape)
        for hidden in MLP_HIDDEN:
            layers.append(Dense(rng, width, hidden, init, bias=norm == "none"))
            if norm != "none":
                layers.append(Norm(norm, (hidden,), settings.groups))
            layers += [Tap(), Sigmoid()]
            width = hidden
        layers.append(Dense(rng, width, CLASSES, init))
        return layers
    c, h, w = input_shape
    for k, channels in enumerate(CNN_CHANNELS):
        # No bias on a conv right before a norm (as the MLP's dense layers).  For batch and
        # instance norm it is redundant (each channel's mean removes it, β replaces it); layer
        # and group norm average over several channels, so b_c − mean(b) would survive there:
        # the network simply has none (shipped results depend on this layout).
        bias = norm == "none" or settings.place == "after"
        layers.append(Conv3x3(rng, c, channels, init, bias=bias))
        block = [ReLU()]
        if norm != "none":
            shape = (channels, h, w)
            block.insert(0 if settings.place == "before" else 1, Norm(norm, shape, settings.groups))
        layers += block
        layers.append(MaxPool2() if k == 0 else GlobalAveragePool())
        c, h, w = channels, h // 2, w // 2
    layers.append(Dense(rng, c, CLASSES, init))
    return layers


def forward(layers: list[Layer], x: np.ndarray, train: bool) -> np.ndarray:
    """The logits (N, 10) of input ``x`` (N, 1, 8, 8); an MLP flattens it first."""
    if isinstance(layers[0], Dense):
        x = x.reshape(len(x), -1)
    for layer in layers:
        x = layer.forward(x, train)
    return x


def cross_entropy(logits: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean softmax cross-entropy of ``logits`` (N, K) against labels ``target`` (N,), and its
    gradient with respect to the logits (N, K)."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_z = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    log_p = shifted - log_z
    n = len(target)
    loss = -log_p[np.arange(n), target].mean()
    grad = np.exp(log_p)
    grad[np.arange(n), target] -= 1.0
    return float(loss), grad / n


def loss_and_gradients(layers: list[Layer], x: np.ndarray, target: np.ndarray) -> float:
    """One training-mode forward and backward pass; fills every layer's ``grads``."""
    loss, d = cross_entropy(forward(layers, x, train=True), target)
    for layer in reversed(layers):
        d = layer.backward(d)
    return loss


def parameters(layers: list[Layer]) -> list[tuple[Layer, str]]:
    """Every learned array as (layer, name), in order."""
    return [(layer, name) for layer in layers for name in layer.params]


# --------------------------------------------------------------------------------------------
# Training.


@dataclass(frozen=True, eq=False)
class Run:
    """What one training run measured.

    Attributes
    ----------
    settings : Settings
    steps : ndarray of int, shape (P,)
        The SGD steps after which the test set was scored.
    train_loss : ndarray of float, shape (P,)
        The mean training-batch loss over the steps since the previous point.
    test_loss, test_accuracy : ndarray of float, shape (P,)
        On the 359 test images, in evaluation mode (batch norm with its running estimates).
    percentiles : ndarray of float, shape (P, U, 3) or (0,)
        MLP only: the 15th, 50th and 85th percentiles over the test images of the input to each of
        the U = 100 sigmoids of the last hidden layer (the paper's Fig. 1 b, c); evaluation mode.
    diverged_at : int or None
        The step whose loss or activations stopped being finite; the curves are NaN after it.
    seconds : float
        Wall-clock time of the run.
    """

    settings: Settings
    steps: np.ndarray
    train_loss: np.ndarray
    test_loss: np.ndarray
    test_accuracy: np.ndarray
    percentiles: np.ndarray
    diverged_at: int | None
    seconds: float = field(compare=False)

    def __eq__(self, other) -> bool:
        """Same settings, same divergence, every array equal (NaN equal to NaN); not the time."""
        if not isinstance(other, Run):
            return NotImplemented
        return (
            self.settings == other.settings
            and self.diverged_at == other.diverged_at
            and all(
                np.array_equal(getattr(self, name), getattr(other, name), equal_nan=True)
                for name in _ARRAYS
            )
        )

    __hash__ = None

    @property
    def final_accuracy(self) -> float:
        return float(self.test_accuracy[-1])

    @property
    def final_loss(self) -> float:
        return float(self.train_loss[-1])


PERCENTILES = (15, 50, 85)


def total_steps(settings: Settings, train_size: int) -> int:
    """SGD steps in ``settings.epochs`` passes over ``train_size`` images (at least 1)."""
    per_epoch = math.ceil(train_size / settings.batch)
    return max(1, round(settings.epochs * per_epoch))


def _score(layers, x, y, tap) -> tuple[float, float, np.ndarray]:
    logits = forward(layers, x, train=False)
    loss, _ = cross_entropy(logits, y)
    accuracy = float((logits.argmax(axis=1) == y).mean())
    spread = np.zeros(0)
    if tap is not None:
        spread = np.percentile(tap.seen, PERCENTILES, axis=0).T  # (U, 3)
    return loss, accuracy, spread


def train(
    settings: Settings,
    train_data: tuple[np.ndarray, np.ndarray],
    test_data: tuple[np.ndarray, np.ndarray],
    progress: Callable[[float], None] | None = None,
) -> Run:
    """Train ``settings``' network by SGD on ``train_data`` and score it on ``test_data``.

    Parameters
    ----------
    settings : Settings
    train_data, test_data : (x, y)
        x float64 of shape (n, 1, 8, 8), y int of shape (n,) (see
        :meth:`bnviz.engine.digits.Digits.inputs`).
    progress : callable, optional
        Called with the fraction done after each scoring.

    Returns
    -------
    Run
        Each epoch visits every training image once, in an order drawn from the seed; the last
        mini-batch of an epoch is smaller when ``batch`` does not divide the set (a batch of one
        image is dropped under batch norm, which cannot train on it).
    """
    with one_blas_thread():
        return _train(settings, train_data, test_data, progress)


def _train(settings, train_data, test_data, progress) -> Run:
    start = time.perf_counter()
    x_train, y_train = train_data
    x_test, y_test = test_data
    n = len(x_train)
    layers = build(settings, x_train.shape[1:])
    taps = [layer for layer in layers if isinstance(layer, Tap)]
    tap = taps[-1] if taps else None
    order_rng = np.random.default_rng([settings.seed, 1])
    steps_total = total_steps(settings, n)
    points = np.unique(np.linspace(0, steps_total, settings.evals + 1).round().astype(int)[1:])
    record = {k: np.full(len(points), np.nan) for k in ("train", "loss", "acc")}
    percentiles = np.full((len(points), MLP_HIDDEN[-1], 3), np.nan) if tap is not None else None
    batches: list[np.ndarray] = []
    diverged_at = None
    since, running_loss, point = 0, 0.0, 0
    for step in range(1, steps_total + 1):
        if not batches:
            order = order_rng.permutation(n)
            batches = [order[i : i + settings.batch] for i in range(0, n, settings.batch)]
            if settings.norm == "batch" and len(batches[-1]) == 1:
                batches.pop()
            batches.reverse()
        index = batches.pop()
        try:
            with np.errstate(all="ignore"):  # overflow shows as a non-finite loss or weight
                loss = loss_and_gradients(layers, x_train[index], y_train[index])
                if not math.isfinite(loss):
                    raise FloatingPointError
                for layer, name in parameters(layers):
                    layer.params[name] -= settings.lr * layer.grads[name]
                    if not np.isfinite(layer.params[name]).all():
                        raise FloatingPointError
        except (FloatingPointError, InputError):
            diverged_at = step
            break
        since += 1
        running_loss += loss
        if step == points[point]:
            try:
                with np.errstate(all="ignore"):
                    test_loss, accuracy, spread = _score(layers, x_test, y_test, tap)
                if not math.isfinite(test_loss):
                    raise FloatingPointError
            except (FloatingPointError, InputError):
                diverged_at = step
                break
            record["train"][point] = running_loss / since
            record["loss"][point], record["acc"][point] = test_loss, accuracy
            if percentiles is not None:
                percentiles[point] = spread
            since, running_loss, point = 0, 0.0, point + 1
            if progress is not None:
                progress(point / len(points))
    if diverged_at is not None and progress is not None:
        progress(1.0)
    return Run(
        settings=settings,
        steps=points,
        train_loss=record["train"],
        test_loss=record["loss"],
        test_accuracy=record["acc"],
        percentiles=percentiles if percentiles is not None else np.zeros(0),
        diverged_at=diverged_at,
        seconds=time.perf_counter() - start,
    )


# --------------------------------------------------------------------------------------------
# Runs on disk (the page's shipped default results).

_ARRAYS = ("steps", "train_loss", "test_loss", "test_accuracy", "percentiles")


def save_runs(path, runs: list[Run]) -> None:
    """Write ``runs`` to a compressed .npz at ``path`` (with :data:`VERSION`)."""
    arrays = {"version": np.array(VERSION), "count": np.array(len(runs))}
    for k, run in enumerate(runs):
        arrays[f"{k}.settings"] = np.array(repr(run.settings.key()))
        arrays[f"{k}.diverged_at"] = np.array(-1 if run.diverged_at is None else run.diverged_at)
        arrays[f"{k}.seconds"] = np.array(run.seconds)
        for name in _ARRAYS:
            arrays[f"{k}.{name}"] = getattr(run, name)
    np.savez_compressed(path, **arrays)


def load_runs(path) -> dict[tuple, Run]:
    """The runs in ``path`` by their settings' key; empty if the file is missing or was made by
    another :data:`VERSION` (its results would no longer be what a seed trains to)."""
    import ast

    try:
        data = np.load(path)
    except OSError:
        return {}
    with data:
        if int(data["version"]) != VERSION:
            return {}
        runs = {}
        for k in range(int(data["count"])):
            settings = Settings(*ast.literal_eval(str(data[f"{k}.settings"])))
            diverged = int(data[f"{k}.diverged_at"])
            runs[settings.key()] = Run(
                settings=settings,
                **{name: data[f"{k}.{name}"] for name in _ARRAYS},
                diverged_at=None if diverged < 0 else diverged,
                seconds=float(data[f"{k}.seconds"]),
            )
    return runs


def nanmean(array: np.ndarray, axis: int = 0) -> np.ndarray:
    """The mean over ``axis`` of the finite values (a diverged run's are NaN); NaN where none is."""
    finite = np.isfinite(array)
    count = finite.sum(axis=axis)
    total = np.where(finite, array, 0.0).sum(axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)
