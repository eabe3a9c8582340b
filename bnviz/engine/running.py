"""Running statistics: batch norm's life beyond one forward pass, in each framework's convention.

In training a batch-sharing layer normalizes with the batch's own statistics and updates running
estimates of them; in evaluation it normalizes with those estimates, which makes it one fixed
affine map a·x + b per statistic (per channel for ``batch``), which can then be folded into the
convolution before it (:func:`fold_batch_norm`).

Three conventions, each exact (the sources are the frameworks' own code):

``"pytorch"``
    ``torch.nn.BatchNorm1d/2d`` (``torch/nn/modules/batchnorm.py``, ``_BatchNorm.forward``; the
    update in ``aten/src/ATen/native/Normalization.cpp``). Buffers ``running_mean`` = 0,
    ``running_var`` = 1 and ``num_batches_tracked`` = 0 at the start; each training step
    ``running = (1 − m) · running + m · batch`` with m = ``momentum`` = 0.1, or, with
    ``momentum=None``, m = 1 / num_batches_tracked (the cumulative average of every batch so
    far). The running variance takes the **unbiased** batch variance (divided by m′ − 1), the
    normalization the biased one (divided by m′). A group of one value is refused:
    "Expected more than 1 value per channel when training" (``torch/nn/functional.py``,
    ``_verify_batch_size``); ε ≤ 0 too ("batch_norm eps must be positive during training").
``"keras"``
    Keras 3 ``keras.layers.BatchNormalization`` (``keras/src/layers/normalization/
    batch_normalization.py``). ``moving_mean`` = 0 and ``moving_variance`` = 1 at the start; each
    step ``moving = moving · momentum + batch · (1 − momentum)`` with momentum = 0.99: Keras'
    momentum is the weight the *old* estimate keeps, PyTorch's the weight of the *new* batch.
    Biased variance; ε = 1e-3.
``"caffe"``
    Caffe's ``BatchNorm`` layer (``src/caffe/layers/batch_norm_layer.cpp``, defaults in
    ``src/caffe/proto/caffe.proto``: ``moving_average_fraction`` = 0.999, ``eps`` = 1e-5). It
    keeps momentum-weighted **sums** in ``blobs_[0]`` (mean) and ``blobs_[1]`` (variance) and a
    scale factor in ``blobs_[2]``, all 0 at the start; each step
    ``blobs_[2] = blobs_[2] · f + 1`` and ``blobs_[i] = batch + f · blobs_[i]``, the variance
    corrected by m′/(m′ − 1) (left as it is when m′ = 1). At test time it divides the sums by
    the factor (0 while the factor is 0), so the first batch's estimate is that batch's exactly.
    The layer has no γ and β: a ``Scale`` layer after it learns them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .errors import InputError, look_up
from .layout import Layout, layout
from .normalize import Normalized, as_float_array, check_eps, normalize
from .schemes import get_scheme, resolve_params
from .torch_recipe import EPS_NOT_POSITIVE, ONE_VALUE_PER_CHANNEL, torch_recipe


@dataclass(frozen=True)
class Convention:
    """How one framework keeps running estimates of a batch's mean and variance.

    Attributes
    ----------
    id : str
        ``"pytorch"``, ``"keras"`` or ``"caffe"``.
    name : str
        The framework ("PyTorch").
    layer : str
        The layer as the framework names it ("torch.nn.BatchNorm2d").
    momentum_name : str
        What the framework calls the momentum ("momentum", "moving_average_fraction").
    momentum : float
        Its default.
    momentum_weighs_new : bool
        True when the momentum is the weight of the new batch (PyTorch); False when it is the
        weight the old estimate keeps (Keras' momentum, Caffe's moving_average_fraction).
    eps : float
        The default ε, added to the variance inside the square root.
    unbiased : bool
        Whether the running variance takes the unbiased batch variance (m′/(m′ − 1) times the
        biased one that normalizes).
    keeps_sums : bool
        True for Caffe: the buffers are momentum-weighted sums divided by a scale factor at
        test time; False: the buffers are the estimates themselves, starting at mean 0, var 1.
    learned : bool
        Whether the layer itself has γ and β.
    buffers : tuple of str
        The names of the framework's buffers, in the order :attr:`RunningStatistics.buffers`
        gives them.
    source : str
        Where the convention is written: the framework's source file.
    """

    id: str
    name: str
    layer: str
    momentum_name: str
    momentum: float
    momentum_weighs_new: bool
    eps: float
    unbiased: bool
    keeps_sums: bool
    learned: bool
    buffers: tuple
    source: str

    def new_batch_weight(self, momentum: float) -> float:
        """The weight the new batch gets in one update, for this convention's ``momentum``
        (for Caffe, the weight it tends to once the scale factor has settled: 1 − fraction)."""
        return momentum if self.momentum_weighs_new else 1.0 - momentum

    def momentum_for_weight(self, weight: float) -> float:
        """This convention's momentum that gives the new batch ``weight`` (the inverse of
        :meth:`new_batch_weight`), rounded to 12 digits so 1 − 0.99 reads 0.01."""
        return round(weight if self.momentum_weighs_new else 1.0 - weight, 12)


CONVENTIONS: dict[str, Convention] = {
    c.id: c
    for c in (
        Convention(
            "pytorch",
            "PyTorch",
            "torch.nn.BatchNorm2d",
            "momentum",
            0.1,
            True,
            1e-5,
            True,
            False,
            True,
            ("running_mean", "running_var", "num_batches_tracked"),
            "torch/nn/modules/batchnorm.py (_BatchNorm.forward), aten/src/ATen/native/Normalization.cpp",
        ),
        Convention(
            "keras",
            "Keras",
            "keras.layers.BatchNormalization",
            "momentum",
            0.99,
            False,
            1e-3,
            False,
            False,
            True,
            ("moving_mean", "moving_variance"),
            "keras/src/layers/normalization/batch_normalization.py (Keras 3)",
        ),
        Convention(
            "caffe",
            "Caffe",
            "BatchNorm",
            "moving_average_fraction",
            0.999,
            False,
            1e-5,
            True,
            True,
            False,
            ("blobs_[0]", "blobs_[1]", "blobs_[2]"),
            "src/caffe/layers/batch_norm_layer.cpp, src/caffe/proto/caffe.proto",
        ),
    )
}


def get_convention(convention: str | Convention) -> Convention:
    """The :class:`Convention` for an id (or the convention itself); InputError otherwise."""
    return look_up(
        CONVENTIONS,
        convention,
        lambda known: f"Unknown convention {convention!r}; known: {known}.",
        Convention,
    )


class _Default:
    """The default of ``momentum``: the convention's own (None means PyTorch's cumulative average)."""

    def __repr__(self) -> str:
        return "DEFAULT"

    def __reduce__(self):
        return "DEFAULT"


#: ``momentum=DEFAULT`` takes the convention's default momentum (PyTorch 0.1, Keras 0.99, Caffe
#: 0.999); ``momentum=None`` is PyTorch's cumulative average, as in ``torch.nn.BatchNorm2d``.
DEFAULT = _Default()


def module_input_shape(lay: Layout) -> tuple:
    """The shape of the input the PyTorch module of ``lay`` sees (``describe(...).torch``).

    ``BatchNorm2d``/``BatchNorm1d`` on the tensor itself when only the channels keep statistics;
    otherwise ``BatchNorm1d`` on the tensor reshaped to (m′, number of groups).
    """
    recipe = torch_recipe(lay, 1e-5)
    if recipe is not None and recipe.before == "x":
        return tuple(lay.shape)
    return (lay.group_size, lay.groups)


def one_value_message(lay: Layout) -> str:
    """PyTorch's ``ValueError`` message for a training step on groups of one value, verbatim."""
    size = ", ".join(str(n) for n in module_input_shape(lay))
    return f"{ONE_VALUE_PER_CHANNEL}, got input size torch.Size([{size}])"


def check_batch_scheme(scheme, **params) -> None:
    """Raise InputError unless ``scheme`` shares statistics across the batch (reduces N).

    Only such schemes have running estimates: layer, instance and group norm keep each sample's
    own statistics, so training and evaluation compute the same thing.
    """
    spec = get_scheme(scheme)
    groups = params.get("num_groups")
    channels = groups if isinstance(groups, int) and groups > 0 else 1
    kept = spec.kept_axes(resolve_params(spec, channels, params))
    if "N" in kept:
        raise InputError(
            f"{spec.name} keeps each sample's own statistics: it has no running estimates, and "
            "computes the same in training and in evaluation. Running statistics belong to "
            "schemes that share statistics across the batch (batch, batch-pixel, batch-location, "
            "or custom axes without N)."
        )


class RunningStatistics:
    """The running estimates of a batch-sharing scheme, updated one batch at a time.

    Parameters
    ----------
    scheme : str
        A scheme that reduces the batch axis N: ``"batch"`` (the default; statistics and buffers
        of shape (C,)), ``"batch-pixel"`` (C·H·W,), ``"batch-location"`` (H·W,), ``"tensor"``
        (1,) or ``"custom"`` with kept axes without N.
    convention : {"pytorch", "keras", "caffe"}
        Whose update rule, start values, variance and ε (see the module docstring).
    momentum : float or None, optional
        In the convention's own meaning: PyTorch's ``momentum`` (the new batch's weight; None:
        the cumulative average), Keras' ``momentum`` (the old estimate's weight), Caffe's
        ``moving_average_fraction`` (likewise). Default: the convention's (0.1, 0.99, 0.999).
    eps : float, optional
        Default: the convention's (1e-5, 1e-3, 1e-5).
    **params
        The scheme's hyper-parameters (``keep`` for ``"custom"``).

    Attributes
    ----------
    steps : int
        How many batches have updated the estimates.
    mean, var : ndarray of float64, shape ``running_shape``, or None
        The estimates evaluation normalizes with (for Caffe the sums divided by the scale
        factor); None until the first batch sets the shape.
    buffers : dict of str to ndarray
        The framework's own buffers by name (for Caffe the sums and the factor).

    Examples
    --------
    >>> stats = RunningStatistics("batch")              # torch.nn.BatchNorm2d(C)
    >>> out = stats.update(x)                           # train mode: out.y as bnviz.normalize
    >>> stats.mean.shape                                # (C,), like bn.running_mean
    >>> y = stats.infer(x).y                            # bn.eval(); bn(x)
    """

    def __init__(
        self,
        scheme="batch",
        *,
        convention="pytorch",
        momentum=DEFAULT,
        eps=None,
        **params,
    ) -> None:
        self.scheme = get_scheme(scheme)
        self.params = dict(params)
        self.convention = get_convention(convention)
        check_batch_scheme(self.scheme, **self.params)
        self.momentum = _momentum(self.convention, momentum)
        self.eps = check_eps(self.convention.eps if eps is None else eps)
        self.steps = 0
        self._shape: tuple | None = None  # running_shape, set by the first batch
        self._mean: np.ndarray | None = None  # estimates, or Caffe's sums
        self._var: np.ndarray | None = None
        self._factor = 0.0  # Caffe's blobs_[2]

    def __repr__(self) -> str:
        return (
            f"RunningStatistics({self.scheme.id!r}, convention={self.convention.id!r}, "
            f"momentum={self.momentum!r}, eps={self.eps!r}, steps={self.steps})"
        )

    # --- state ------------------------------------------------------------------------------

    @property
    def running_shape(self) -> tuple | None:
        """The shape of the estimates as the framework holds them ((C,) for ``batch``)."""
        return self._shape

    @property
    def mean(self) -> np.ndarray | None:
        return None if self._mean is None else self._estimate(self._mean)

    @property
    def var(self) -> np.ndarray | None:
        return None if self._var is None else self._estimate(self._var)

    @property
    def scale_factor(self) -> float:
        """Caffe's ``blobs_[2]``: the sum of the weights the stored sums carry (0 at the start)."""
        return self._factor

    @property
    def buffers(self) -> dict:
        """The framework's buffers by its own names (copies), once a batch has set the shape."""
        if self._shape is None:
            return {}
        names = self.convention.buffers
        if self.convention.keeps_sums:
            values = (self._mean.copy(), self._var.copy(), np.array([self._factor]))
        elif self.convention.id == "pytorch":
            values = (self._mean.copy(), self._var.copy(), np.array(self.steps))
        else:
            values = (self._mean.copy(), self._var.copy())
        return dict(zip(names, values, strict=True))

    def _estimate(self, stored: np.ndarray) -> np.ndarray:
        if not self.convention.keeps_sums:
            return stored.copy()
        # Caffe: scale_factor = blobs_[2] == 0 ? 0 : 1 / blobs_[2].
        return stored * (0.0 if self._factor == 0 else 1.0 / self._factor)

    def start_values(self, shape) -> tuple[np.ndarray, np.ndarray]:
        """The (mean, var) evaluation uses before any update: 0 and 1 (PyTorch, Keras), or 0 and
        0 (Caffe: its factor is 0, so it scales the sums by 0)."""
        mean = np.zeros(shape)
        var = np.zeros(shape) if self.convention.keeps_sums else np.ones(shape)
        return mean, var

    def estimates(self, size: int) -> tuple[np.ndarray, np.ndarray]:
        """The (mean, var) evaluation normalizes with now: the running estimates, or before any
        update the :meth:`start_values` of ``size`` statistics."""
        if self._mean is None:
            return self.start_values(size)
        return self.mean, self.var

    # --- training ---------------------------------------------------------------------------

    def _layout(self, x: np.ndarray) -> Layout:
        lay = layout(x.shape, self.scheme, **self.params)
        recipe = torch_recipe(lay, self.eps)
        if recipe is None or recipe.running_shape is None:
            raise InputError(f"{self.scheme.name} keeps no running estimates.")
        shape = tuple(recipe.running_shape)
        if self._shape is not None and shape != self._shape:
            raise InputError(
                f"This layer's running estimates have shape {self._shape}; a tensor of shape "
                f"{tuple(x.shape)} has statistics of shape {shape}. Only the batch size may "
                "change from one batch to the next."
            )
        return lay

    def update(self, x, *, weight=None, bias=None) -> Normalized:
        """One training step: normalize ``x`` with its own batch statistics, update the estimates.

        Parameters
        ----------
        x : array_like of shape (N, C), (N, C, L) or (N, C, H, W)
            The batch. After the first batch only N may change.
        weight, bias : array_like, optional
            γ and β as for :func:`bnviz.normalize` (PyTorch and Keras; Caffe's layer has none).

        Returns
        -------
        Normalized
            Exactly :func:`bnviz.normalize`'s result with this convention's ε: the output the
            layer gives in training mode, the batch's mean and biased variance.

        Raises
        ------
        InputError
            PyTorch's refusals, with its own messages: a group of one value ("Expected more than
            1 value per channel when training, got input size torch.Size([...])"), ε ≤ 0; a
            shape whose statistics differ from earlier batches'; γ or β given to Caffe.
        """
        x = as_float_array(x)
        lay = self._layout(x)
        self._check_affine(weight, bias)
        if self.convention.id == "pytorch":
            if lay.group_size == 1:
                raise InputError(one_value_message(lay))
            if self.eps <= 0:
                raise InputError(f"{EPS_NOT_POSITIVE}, but got {self.eps:g}")
        out = normalize(x, self.scheme, eps=self.eps, weight=weight, bias=bias, **self.params)
        self.update_moments(out.mean.ravel(), out.var.ravel(), lay.group_size)
        return out

    def update_moments(self, mean, var, count: int) -> None:
        """Update the estimates from one batch's statistics, already computed.

        Parameters
        ----------
        mean, var : array_like of float, shape ``running_shape`` (or its size)
            The batch's mean and **biased** variance of each group.
        count : int
            m′, the number of values in each group (N · H · W for ``batch``).
        """
        mean = np.asarray(mean, dtype=np.float64).ravel()
        var = np.asarray(var, dtype=np.float64).ravel()
        count = int(count)
        if mean.shape != var.shape or count < 1:
            raise InputError("mean and var need one entry per group, and count at least 1.")
        if self._shape is not None and mean.size != math.prod(self._shape):
            raise InputError(
                f"The running estimates have shape {self._shape}; got {mean.size} statistics."
            )
        if self.convention.id == "pytorch" and count == 1:
            raise InputError(f"{ONE_VALUE_PER_CHANNEL} (a group of m′ = 1 value).")
        if self._shape is None:
            self._shape = (mean.size,)
        if self._mean is None:  # Caffe's sums start at 0, as its start values do
            self._mean, self._var = self.start_values(mean.size)
        correction = count / (count - 1) if count > 1 else 1.0
        self.steps += 1
        convention = self.convention
        if convention.keeps_sums:  # Caffe
            f = self.momentum
            self._factor = self._factor * f + 1.0
            self._mean = mean + f * self._mean
            self._var = correction * var + f * self._var
            return
        batch_var = var * correction if convention.unbiased else var
        if convention.momentum_weighs_new:  # PyTorch
            m = 1.0 / self.steps if self.momentum is None else self.momentum
            self._mean = (1.0 - m) * self._mean + m * mean
            self._var = (1.0 - m) * self._var + m * batch_var
        else:  # Keras
            m = self.momentum
            self._mean = self._mean * m + mean * (1.0 - m)
            self._var = self._var * m + batch_var * (1.0 - m)

    # --- evaluation -------------------------------------------------------------------------

    def affine_map(self, weight=None, bias=None) -> tuple[np.ndarray, np.ndarray]:
        """Evaluation mode as y = a · x + b: the scale ``a`` and shift ``b`` of each statistic.

        a = γ / √(running var + ε) and b = β − a · running mean, float64 arrays of
        ``running_shape`` (before the first batch: of the start values, for one statistic).
        """
        self._check_affine(weight, bias)
        size = 1 if self._shape is None else math.prod(self._shape)
        mean, var = self.estimates(size)
        gamma = _per_statistic("weight", weight, size, 1.0)
        beta = _per_statistic("bias", bias, size, 0.0)
        a = gamma / np.sqrt(var + self.eps)
        return a, beta - a * mean

    def infer(self, x, *, weight=None, bias=None) -> Normalized:
        """Evaluation mode: normalize ``x`` with the running estimates, not its own statistics.

        y = γ · (x − running mean) / √(running var + ε) + β, one affine map per statistic, so each
        sample's output depends on that sample alone (any batch size, even 1).

        Parameters
        ----------
        x : array_like of shape (N, C), (N, C, L) or (N, C, H, W)
            Its statistics' shape must be the running estimates' (N is free).
        weight, bias : array_like, optional
            γ and β: one per statistic (``running_shape``, or the scheme's parameter shape), or a
            scalar for all.

        Returns
        -------
        Normalized
            ``y`` (shape and dtype of x); ``mean`` and ``var`` the running estimates used,
            broadcastable to x as :func:`bnviz.normalize` gives them. Before any update the
            start values (0 and 1; Caffe 0 and 0).
        """
        x = as_float_array(x)
        lay = self._layout(x)
        self._check_affine(weight, bias)
        size = lay.groups
        mean, var = self.estimates(size)
        gamma = _per_statistic("weight", weight, size, 1.0)
        beta = _per_statistic("bias", bias, size, 0.0)
        stat = lay.stat_shape
        mean_b = lay.expand_stat(mean.reshape(stat))
        var_b = lay.expand_stat(var.reshape(stat))
        scale = lay.expand_stat((gamma / np.sqrt(var + self.eps)).reshape(stat))
        shift = lay.expand_stat(beta.reshape(stat))
        y = (x - mean_b) * scale + shift
        return Normalized(
            y=y.astype(x.dtype, copy=False), mean=mean_b, var=var_b, layout=lay, eps=self.eps
        )

    def _check_affine(self, weight, bias) -> None:
        if not self.convention.learned and (weight is not None or bias is not None):
            raise InputError(
                "Caffe's BatchNorm layer has no γ and β: a Scale layer after it learns them."
            )


def _momentum(convention: Convention, momentum):
    if momentum is DEFAULT:
        return convention.momentum
    if momentum is None:
        if convention.id == "pytorch":
            return None
        hint = (
            " (moving_average_fraction = 1 keeps the cumulative average)"
            if convention.keeps_sums
            else ""
        )
        raise InputError(
            f"momentum=None (the cumulative average) is PyTorch's; {convention.name} needs a "
            f"{convention.momentum_name} between 0 and 1{hint}."
        )
    try:
        value = float(momentum)
    except (TypeError, ValueError):
        raise InputError(f"momentum must be a number, not {momentum!r}.") from None
    if not 0.0 <= value <= 1.0:
        raise InputError(
            f"{convention.name}'s {convention.momentum_name} must lie between 0 and 1; got {value:g}."
        )
    return value


def _per_statistic(name: str, value, size: int, default: float) -> np.ndarray:
    """γ or β as one float64 entry per statistic (a scalar is repeated)."""
    if value is None:
        return np.full(size, default)
    array = np.asarray(value, dtype=np.float64)
    if array.ndim == 0:
        array = np.full(size, float(array))
    if array.size != size:
        raise InputError(f"{name} needs one entry per statistic ({size}); got shape {array.shape}.")
    if not np.isfinite(array).all():
        raise InputError(f"{name} must be finite.")
    return array.ravel()


def fold_batch_norm(weight, bias, mean, var, *, gamma=None, beta=None, eps=1e-5):
    """Fold an evaluation-mode batch norm into the convolution (or linear layer) before it.

    conv2d(x, weight′, bias′) equals eval-BN(conv2d(x, weight, bias)), because evaluation-mode
    batch norm is one affine map per output channel:

        weight′[o] = γ[o] · weight[o] / √(σ²[o] + ε)
        bias′[o]   = γ[o] · (bias[o] − μ[o]) / √(σ²[o] + ε) + β[o]

    Parameters
    ----------
    weight : array_like of shape (Cout, Cin, kh, kw) (or (Cout, ...) for any layer whose output
        channel o is a linear function of weight[o])
    bias : array_like of shape (Cout,), or None for a layer without bias (0)
    mean, var : array_like of shape (Cout,)
        The batch norm's running estimates (``RunningStatistics.mean`` and ``.var``).
    gamma, beta : array_like of shape (Cout,), optional
        Its γ and β (default 1 and 0); a scalar applies to every channel.
    eps : float
        Its ε (PyTorch's default 1e-5).

    Returns
    -------
    weight′ : ndarray of float64, shape of ``weight``
    bias′ : ndarray of float64, shape (Cout,)
    """
    weight = as_float_array(weight, "weight").astype(np.float64)
    if weight.ndim < 1 or weight.shape[0] < 1:
        raise InputError(f"weight needs an output-channel axis first; got shape {weight.shape}.")
    c_out = weight.shape[0]

    def per_channel(name, value, default):
        if value is None:
            return np.full(c_out, default)
        array = as_float_array(value, name).astype(np.float64)
        if array.ndim == 0:
            array = np.full(c_out, float(array))
        if array.shape != (c_out,):
            raise InputError(f"{name} must have shape (Cout,) = ({c_out},); got {array.shape}.")
        if not np.isfinite(array).all():
            raise InputError(f"{name} must be finite.")
        return array

    b = per_channel("bias", bias, 0.0)
    mu = per_channel("mean", mean, 0.0)
    sigma2 = per_channel("var", var, 1.0)
    g = per_channel("gamma", gamma, 1.0)
    be = per_channel("beta", beta, 0.0)
    eps = check_eps(eps)
    if np.any(sigma2 + eps <= 0):
        raise InputError("var + eps must be positive in every channel (a variance is ≥ 0).")
    scale = g / np.sqrt(sigma2 + eps)
    folded = weight * scale.reshape((c_out,) + (1,) * (weight.ndim - 1))
    return folded, scale * (b - mu) + be
