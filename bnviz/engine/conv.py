"""2-D convolution as CNNs do it, a bank of named filters, and the output-size arithmetic.

``conv2d`` means what ``torch.nn.functional.conv2d`` means: a cross-correlation (the kernel is not
flipped), of x (N, Cin, H, W) with a weight (Cout, Cin, kh, kw), giving (N, Cout, Ho, Wo)::

    x = np.zeros((1, 1, 50, 50), np.float32)           # one 50 × 50 grayscale picture
    w = bnviz.random_filters(7, 1, 5, seed=0)          # 7 filters of 5 × 5
    bnviz.conv2d(x, w).shape                           # (1, 7, 46, 46)
    bnviz.shape_arithmetic(50, 5)                      # '50 − 5 + 1 = 46'
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .errors import InputError, look_up
from .normalize import as_float_array

MAX_KERNEL_SIZE = 15
"""Largest kernel side :func:`make_filter_bank` and :func:`random_filters` make."""

MAX_FILTERS = 64
"""Most filters one bank holds."""

NAMED_SIZES = (3, 5, 7, 9, 11, 13, 15)
"""Sizes the named filters come in: odd, so that each has a centre pixel."""


# --- argument checking -------------------------------------------------------------------------


def _whole(name: str, value, minimum: int, maximum: int | None = None) -> int:
    """``value`` as an int from ``minimum`` to ``maximum`` (None: no bound) (bools refused: True
    is not a size)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise InputError(f"{name} must be a whole number; got {value!r}.")
    if value < minimum:
        raise InputError(f"{name} must be at least {minimum}; got {value}.")
    if maximum is not None and value > maximum:
        raise InputError(f"{name} must be at most {maximum}; got {value}.")
    return int(value)


def _pair(name: str, value, minimum: int) -> tuple[int, int]:
    """An int or a pair of ints -> (for H, for W)."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise InputError(f"{name} must be a number or a pair (for H, for W); got {value!r}.")
        return _whole(name, value[0], minimum), _whole(name, value[1], minimum)
    single = _whole(name, value, minimum)
    return single, single


def same_padding(kernel: int) -> tuple[int, int]:
    """(before, after) padding of ``padding="same"`` for one axis, as PyTorch does it.

    The total is kernel − 1; for an even kernel the extra pixel goes after (right or bottom).
    """
    total = kernel - 1
    return total // 2, total - total // 2


def _padding_pairs(padding, kernel: tuple[int, int], stride: tuple[int, int]):
    """``padding`` -> ((top, bottom), (left, right))."""
    if isinstance(padding, str):
        mode = padding.lower()
        if mode == "valid":
            return (0, 0), (0, 0)
        if mode == "same":
            if stride != (1, 1):
                raise InputError(
                    f'padding="same" needs stride 1 (as in PyTorch); got stride {stride}.'
                )
            return same_padding(kernel[0]), same_padding(kernel[1])
        raise InputError(f'padding must be a number, a pair, "valid" or "same"; got {padding!r}.')
    pad_h, pad_w = _pair("padding", padding, 0)
    return (pad_h, pad_h), (pad_w, pad_w)


# --- shapes ------------------------------------------------------------------------------------


def output_size(size: int, kernel: int, stride: int = 1, padding: int | str = 0) -> int:
    """Output length along one axis: ⌊(size + 2·padding − kernel) / stride⌋ + 1.

    Parameters
    ----------
    size, kernel : int
        Input length and kernel length along the axis.
    stride : int
    padding : int, "valid" or "same"
        Zeros added on each side; ``"same"`` (stride 1 only) pads kernel − 1 in all.

    Raises
    ------
    InputError
        If the kernel is larger than the padded input, or an argument is out of range.
    """
    size = _whole("size", size, 1)
    kernel = _whole("kernel", kernel, 1)
    stride = _whole("stride", stride, 1)
    (before, after), _ = _padding_pairs(padding, (kernel, kernel), (stride, stride))
    padded = size + before + after
    if kernel > padded:
        raise InputError(
            f"A kernel of {kernel} does not fit in an input of {size}"
            + (f" padded to {padded}" if padded != size else "")
            + "."
        )
    return (padded - kernel) // stride + 1


def shape_arithmetic(
    size: int, kernel: int, stride: int = 1, padding: int | str = 0, *, general: bool = False
) -> str:
    """The output-size sum written out for a learner, e.g. ``'50 − 5 + 1 = 46'``.

    Parameters
    ----------
    size, kernel, stride, padding
        As for :func:`output_size`.
    general : bool
        False (default): the simplest form that is right, ``'50 − 5 + 1 = 46'`` for stride 1
        without padding, ``'50 + 2·1 − 3 + 1 = 50'`` with padding,
        ``'⌊(50 − 5) / 2⌋ + 1 = ⌊45 / 2⌋ + 1 = 23'`` with a stride. True: always the textbook
        formula ⌊(W + 2P − K) / S⌋ + 1 filled in, ``'(50 + 2·0 − 5) / 1 + 1 = 46'``.

    Returns
    -------
    str
        Uses − (minus) and · (times); floor brackets ⌊ ⌋ only when the division is not exact.
    """
    out = output_size(size, kernel, stride, padding)
    (before, after), _ = _padding_pairs(padding, (kernel, kernel), (stride, stride))
    if before == after:
        pad_text = f" + 2·{before}" if (before or general) else ""
    else:  # "same" with an even kernel: one more after than before
        pad_text = f" + {before} + {after}"
    numerator = size + before + after - kernel
    if stride == 1 and not general:
        return f"{size}{pad_text} − {kernel} + 1 = {out}"
    inner = f"({size}{pad_text} − {kernel}) / {stride}"
    if numerator % stride == 0:
        if general:
            return f"{inner} + 1 = {out}"
        return f"{inner} + 1 = {numerator // stride} + 1 = {out}"
    return f"⌊{inner}⌋ + 1 = ⌊{numerator} / {stride}⌋ + 1 = {out}"


def output_shape(
    x_shape: tuple[int, ...], weight_shape: tuple[int, ...], *, stride=1, padding=0
) -> tuple[int, ...]:
    """The shape :func:`conv2d` returns, checking the shapes as it does.

    Parameters
    ----------
    x_shape : (N, Cin, H, W) or (Cin, H, W)
    weight_shape : (Cout, Cin, kh, kw)
    stride, padding
        As for :func:`conv2d`.

    Returns
    -------
    tuple
        (N, Cout, Ho, Wo), or (Cout, Ho, Wo) for an unbatched x.
    """
    x_shape, weight_shape = tuple(x_shape), tuple(weight_shape)
    if len(x_shape) not in (3, 4):
        raise InputError(
            f"x must have shape (N, Cin, H, W) or (Cin, H, W); got {len(x_shape)} axes {x_shape}."
        )
    if len(weight_shape) != 4:
        raise InputError(
            f"weight must have shape (Cout, Cin, kh, kw); got {len(weight_shape)} axes {weight_shape}."
        )
    c_out, c_in, kh, kw = weight_shape
    *batch, channels, height, width = x_shape
    if min(c_out, c_in, kh, kw) < 1 or min(channels, height, width) < 1:
        raise InputError(f"x {x_shape} and weight {weight_shape} must not have empty axes.")
    if channels != c_in:
        raise InputError(
            f"x has {channels} channel(s) but the weight (Cout, Cin, kh, kw) = {weight_shape} "
            f"expects Cin = {c_in}."
        )
    stride_h, stride_w = _pair("stride", stride, 1)
    (top, bottom), (left, right) = _padding_pairs(padding, (kh, kw), (stride_h, stride_w))
    if kh > height + top + bottom or kw > width + left + right:
        raise InputError(
            f"The {kh} × {kw} kernel does not fit in the {height} × {width} input "
            f"(padded to {height + top + bottom} × {width + left + right})."
        )
    out_h = (height + top + bottom - kh) // stride_h + 1
    out_w = (width + left + right - kw) // stride_w + 1
    return (*batch, c_out, out_h, out_w)


# --- convolution -------------------------------------------------------------------------------


def conv2d(x, weight, bias=None, *, stride=1, padding=0) -> np.ndarray:
    """2-D convolution (cross-correlation), as ``torch.nn.functional.conv2d``.

    Parameters
    ----------
    x : array_like of shape (N, Cin, H, W), or (Cin, H, W) for one unbatched input
    weight : array_like of shape (Cout, Cin, kh, kw)
        out[n, o, i, j] = bias[o] + Σ_c Σ_u Σ_v weight[o, c, u, v] · x_padded[n, c, i·sh + u, j·sw + v]
        (the kernel is not flipped).
    bias : array_like of shape (Cout,), optional
    stride : int or (sh, sw)
    padding : int, (ph, pw), "valid" or "same"
        Zeros added on each side. ``"valid"`` = 0. ``"same"`` (stride 1 only) keeps H × W: it
        pads kernel − 1 in all, the extra pixel of an even kernel after (bottom, right), like PyTorch.

    Returns
    -------
    ndarray of shape (N, Cout, Ho, Wo), or (Cout, Ho, Wo) for an unbatched x
        Ho = ⌊(H + 2·ph − kh) / sh⌋ + 1, likewise Wo. The dtype is the common float type of x and
        weight (float32 in, float32 out; integers are promoted to float64).

    Raises
    ------
    InputError
        Wrong ranks, a channel mismatch, a kernel larger than the padded input, a bad stride,
        padding or bias.
    """
    x = as_float_array(x, "x")
    weight = as_float_array(weight, "weight")
    out_shape = output_shape(x.shape, weight.shape, stride=stride, padding=padding)
    unbatched = x.ndim == 3
    if unbatched:
        x = x[None]
    c_out, _, kh, kw = weight.shape
    stride_h, stride_w = _pair("stride", stride, 1)
    (top, bottom), (left, right) = _padding_pairs(padding, (kh, kw), (stride_h, stride_w))
    dtype = np.result_type(x.dtype, weight.dtype)
    if bias is not None:
        bias = as_float_array(bias, "bias")
        if bias.shape != (c_out,):
            raise InputError(f"bias must have shape (Cout,) = ({c_out},); got {bias.shape}.")
        dtype = np.result_type(dtype, bias.dtype)

    padded = np.pad(x.astype(dtype, copy=False), ((0, 0), (0, 0), (top, bottom), (left, right)))
    out_h, out_w = out_shape[-2:]
    # One matrix product per kernel offset (u, v): memory stays at the output's size, where an
    # im2col matrix would be kh·kw times larger. No Python loop over pixels.
    acc = np.zeros((x.shape[0], out_h, out_w, c_out), dtype=dtype)
    for u in range(kh):
        rows = slice(u, u + (out_h - 1) * stride_h + 1, stride_h)
        for v in range(kw):
            cols = slice(v, v + (out_w - 1) * stride_w + 1, stride_w)
            window = padded[:, :, rows, cols]  # (N, Cin, Ho, Wo)
            # (N, Ho, Wo, Cin) @ (Cin, Cout)
            acc += np.moveaxis(window, 1, -1) @ weight[:, :, u, v].T.astype(dtype, copy=False)
    if bias is not None:
        acc += bias.astype(dtype, copy=False)
    out = np.ascontiguousarray(np.moveaxis(acc, -1, 1))
    return out[0] if unbatched else out


# --- filters -----------------------------------------------------------------------------------


def _binomial(length: int) -> np.ndarray:
    """Row ``length`` − 1 of Pascal's triangle: [1, 2, 1], [1, 4, 6, 4, 1], ..."""
    row = np.array([1.0])
    for _ in range(length - 1):
        row = np.convolve(row, [1.0, 1.0])
    return row


def _identity(size: int) -> np.ndarray:
    kernel = np.zeros((size, size))
    kernel[size // 2, size // 2] = 1.0
    return kernel


def _box(size: int) -> np.ndarray:
    return np.full((size, size), 1.0 / size**2)


def _gaussian(size: int) -> np.ndarray:
    row = _binomial(size)
    return np.outer(row, row) / row.sum() ** 2


def _sobel_x(size: int) -> np.ndarray:
    # Smooth across (binomial), differentiate along: 3 -> the classic Sobel, 5 -> the 5 × 5 one.
    derivative = np.convolve(_binomial(size - 2), [-1.0, 0.0, 1.0])
    return np.outer(_binomial(size), derivative)


def _sobel_y(size: int) -> np.ndarray:
    return _sobel_x(size).T


def _laplacian(size: int) -> np.ndarray:
    # 3 × 3: the classic 4-neighbour kernel. Larger: the same cross, arms of 1, centre −2(size − 1).
    kernel = np.zeros((size, size))
    kernel[size // 2, :] = 1.0
    kernel[:, size // 2] = 1.0
    kernel[size // 2, size // 2] = -2.0 * (size - 1)
    return kernel


def _sharpen(size: int) -> np.ndarray:
    # identity − Laplacian: at 3 × 3, [[0, −1, 0], [−1, 5, −1], [0, −1, 0]].
    return _identity(size) - _laplacian(size)


def _emboss(size: int) -> np.ndarray:
    # A ramp from −2 (top left) to +2 (bottom right) plus the identity: light from the bottom right.
    rows, cols = np.mgrid[0:size, 0:size]
    return (rows + cols - (size - 1)) * 2.0 / (size - 1) + _identity(size)


@dataclass(frozen=True)
class Filter:
    """A named 2-D filter that can be made at any of ``NAMED_SIZES``."""

    name: str
    label: str
    description: str
    build: Callable[[int], np.ndarray]

    def kernel(self, size: int = 3) -> np.ndarray:
        """The (size, size) kernel as float32; ``size`` from ``NAMED_SIZES``."""
        size = _whole("size", size, 1)
        if size not in NAMED_SIZES:
            raise InputError(
                f"The {self.label} filter comes in odd sizes {', '.join(map(str, NAMED_SIZES))} "
                f"(it needs a centre pixel); got {size}. Random filters take any size."
            )
        return self.build(size).astype(np.float32)


FILTERS: dict[str, Filter] = {
    f.name: f
    for f in [
        Filter(
            "identity", "Identity", "Copies the input: 1 in the centre, 0 elsewhere.", _identity
        ),
        Filter(
            "edge-x",
            "Edges in x (Sobel)",
            "Responds to brightness changing left to right: vertical edges.",
            _sobel_x,
        ),
        Filter(
            "edge-y",
            "Edges in y (Sobel)",
            "Responds to brightness changing top to bottom: horizontal edges.",
            _sobel_y,
        ),
        Filter(
            "laplacian",
            "Laplacian",
            "Second derivative: edges and fine detail in every direction, 0 on flat areas.",
            _laplacian,
        ),
        Filter("box-blur", "Box blur", "The plain average of the neighbourhood.", _box),
        Filter(
            "gaussian-blur",
            "Gaussian blur",
            "A weighted average, heaviest in the centre (binomial weights).",
            _gaussian,
        ),
        Filter(
            "sharpen",
            "Sharpen",
            "Identity minus Laplacian: boosts each pixel against its neighbours.",
            _sharpen,
        ),
        Filter(
            "emboss",
            "Emboss",
            "A diagonal ramp plus identity: edges look raised, lit from one corner.",
            _emboss,
        ),
    ]
}
"""The named filters, by name, in display order."""


def get_filter(name: str) -> Filter:
    """The named filter, or an InputError listing the names there are."""
    return look_up(
        FILTERS,
        name,
        lambda known: f"Unknown filter {name!r}; choose from {known}, or ask for random filters.",
    )


def filter_kernel(name: str, size: int = 3) -> np.ndarray:
    """The named filter as a (size, size) float32 kernel; see ``FILTERS``."""
    return get_filter(name).kernel(size)


def random_filters(count: int, in_channels: int, size: int = 3, seed: int = 0) -> np.ndarray:
    """He-normal random filters, as a freshly initialised conv layer might have.

    Parameters
    ----------
    count, in_channels : int
        Cout (at most ``MAX_FILTERS``) and Cin.
    size : int
        Kernel side k, 1 to ``MAX_KERNEL_SIZE`` (any, even ones too).
    seed : int
        Same seed, same filters.

    Returns
    -------
    ndarray of shape (count, in_channels, size, size), float32
        Normal with mean 0 and standard deviation sqrt(2 / (in_channels · size²)), so that a
        ReLU layer keeps the scale of its input (He et al., 2015).
    """
    count = _whole("count", count, 1, MAX_FILTERS)
    in_channels = _whole("in_channels", in_channels, 1)
    size = _whole("size", size, 1, MAX_KERNEL_SIZE)
    seed = _whole("seed", seed, 0)
    fan_in = in_channels * size * size
    rng = np.random.default_rng(seed)
    std = math.sqrt(2.0 / fan_in)
    return rng.normal(0.0, std, size=(count, in_channels, size, size)).astype(np.float32)


def make_filter_bank(
    names_or_count, in_channels: int, size: int = 3, *, seed: int = 0
) -> np.ndarray:
    """A conv weight (Cout, Cin, k, k) from filter names, or ``count`` random filters.

    Parameters
    ----------
    names_or_count : str, sequence of str, or int
        Names from ``FILTERS`` (one output channel each, repeats allowed), or a number of
        :func:`random_filters`.
    in_channels : int
        Cin, the input's channels (3 for colour, 1 for gray).
    size : int
        k. Named filters: odd, from ``NAMED_SIZES``; random ones: 1 to ``MAX_KERNEL_SIZE``.
    seed : int
        For random filters.

    Returns
    -------
    ndarray of shape (Cout, in_channels, size, size), float32

    Notes
    -----
    A named 2-D filter meets a colour input as weight / Cin on every channel: it filters the
    **mean of the channels** (a gray version of the picture), so "edges in x" finds the same edges
    in a colour picture as in its gray copy.
    """
    in_channels = _whole("in_channels", in_channels, 1)
    if isinstance(names_or_count, (int, np.integer)) and not isinstance(names_or_count, bool):
        return random_filters(names_or_count, in_channels, size, seed)
    names = [names_or_count] if isinstance(names_or_count, str) else list(names_or_count)
    if not names:
        raise InputError("Give at least one filter name, or a number of random filters.")
    if len(names) > MAX_FILTERS:
        raise InputError(f"At most {MAX_FILTERS} filters; got {len(names)}.")
    kernels = np.stack([filter_kernel(name, size) for name in names])  # (Cout, k, k)
    bank = np.repeat(kernels[:, None] / in_channels, in_channels, axis=1)
    return bank.astype(np.float32)
