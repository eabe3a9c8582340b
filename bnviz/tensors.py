"""Where a page's tensor comes from: random data, sample pictures or uploads, then an optional conv layer.

Pure (no Streamlit).  Every page that takes a tensor declares :data:`FIELDS` among its URL fields
and calls :func:`build` with their values (and the uploaded files, which no URL can carry).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from . import conv, images
from .data import channel_offsets_and_scales, synthetic
from .errors import InputError
from .urlstate import Field

#: At most this many values in a page's tensor (2^22): keeps a rerun fast and memory small.
MAX_VALUES = 2**22
SOURCES = {
    "synthetic": "Random numbers",
    "samples": "Sample pictures",
    "upload": "Your pictures",
}
SAMPLE_NAMES = tuple(s.name for s in images.sample_images())
PADDINGS = ("valid", "same", "1", "2", "3")

FIELDS = (
    Field("source", "choice", "synthetic", choices=tuple(SOURCES), label="data"),
    Field("n", "int", 4, 1, 256, label="N (batch)"),
    Field("c", "int", 3, 1, 512, label="C (channels)"),
    Field("h", "int", 6, 1, 512, label="H (height)"),
    Field("w", "int", 6, 1, 512, label="W (width)"),
    Field("seed", "int", 0, 0, 2**31 - 1, label="seed"),
    Field("offset", "float", 3.0, -1e4, 1e4, label="channel offset"),
    Field("spread", "float", 10.0, 1.0, 1e4, label="scale spread"),
    Field("samples", "choices", SAMPLE_NAMES[:4], choices=SAMPLE_NAMES, label="sample pictures"),
    Field("size", "int", 32, 4, images.MAX_BATCH_SIDE, label="picture size"),
    Field("fit", "choice", "crop", choices=("crop", "pad"), label="fit"),
    Field("gray", "bool", False, label="grayscale"),
    Field("conv", "bool", False, label="convolution layer"),
    Field(
        "filters",
        "choices",
        ("edge-x", "edge-y", "laplacian"),
        choices=tuple(conv.FILTERS),
        label="filters",
    ),
    Field("random", "int", 0, 0, conv.MAX_FILTERS, label="random filters"),
    Field("kernel", "int", 3, 1, conv.MAX_KERNEL_SIZE, label="kernel size"),
    Field("stride", "int", 1, 1, 8, label="stride"),
    Field("padding", "choice", "valid", choices=PADDINGS, label="padding"),
)


def uses_pictures(values: dict) -> bool:
    return values["source"] in ("samples", "upload")


@dataclass(frozen=True)
class Tensor:
    """A page's tensor and where it came from.

    Attributes
    ----------
    x : ndarray of float32, shape (N, C, H, W)
        What gets normalized: the pictures, random data, or the conv layer's feature maps.
    pictures : ndarray of float32, shape (N, Cin, H0, W0), or None
        The pictures before the conv layer (None for random data).
    names : tuple of str
        One per sample: picture names, or "sample 0", ...
    channel_names : tuple of str
        One per channel of ``x``: "R", "G", "B", "gray", filter names, or "c0", ...
    rejected : tuple of (str, str)
        Files that did not load, with the reason.
    weight : ndarray of shape (Cout, Cin, k, k), or None
        The conv layer's filters, when there is one.
    arithmetic : tuple of str
        The conv layer's shape arithmetic, one line per spatial axis.
    description : str
        One sentence on where ``x`` came from.
    """

    x: np.ndarray
    pictures: np.ndarray | None = None
    names: tuple = ()
    channel_names: tuple = ()
    rejected: tuple = ()
    weight: np.ndarray | None = None
    arithmetic: tuple = ()
    description: str = ""
    notes: tuple = field(default=())

    @property
    def colour_channels(self) -> bool:
        """True when ``x``'s channels are the pictures' own colour channels (R, G, B or gray),
        not random data or feature maps."""
        return self.pictures is not None and self.weight is None

    @property
    def samples_word(self) -> str:
        """What a sample of ``x`` is, in the plural: "pictures", "feature maps" or "samples"."""
        if self.pictures is None:
            return "samples of random data"
        return "pictures" if self.weight is None else "pictures' feature maps"


def filter_names(values: dict) -> tuple:
    """The conv layer's output channels: the named filters, then ``random`` random ones."""
    return tuple(values["filters"]) + tuple(f"random {k}" for k in range(values["random"]))


def conv_weight(values: dict, in_channels: int) -> np.ndarray:
    """The (Cout, Cin, k, k) filter bank the field values ask for."""
    parts = []
    if values["filters"]:
        parts.append(conv.make_filter_bank(list(values["filters"]), in_channels, values["kernel"]))
    if values["random"]:
        parts.append(
            conv.random_filters(
                values["random"], in_channels, values["kernel"], seed=values["seed"]
            )
        )
    if not parts:
        raise InputError(
            "The convolution layer needs at least one filter: pick one, or add random ones."
        )
    return np.concatenate(parts)


def _padding(values: dict):
    return values["padding"] if values["padding"] in ("valid", "same") else int(values["padding"])


def build(values: dict, uploads: tuple = ()) -> Tensor:
    """The tensor the field ``values`` describe.

    Parameters
    ----------
    values : dict
        Values of :data:`FIELDS`.
    uploads : tuple of (name, bytes)
        Uploaded files, used when ``values["source"] == "upload"``.

    Raises
    ------
    InputError
        No picture loaded, the conv layer's settings do not fit the pictures, or the result
        would exceed :data:`MAX_VALUES` values.
    """
    rejected: tuple = ()
    if uses_pictures(values):
        if values["source"] == "samples":
            chosen = [s for s in images.sample_images() if s.name in values["samples"]]
            sources = chosen
        else:
            sources = list(uploads)
            if not sources:
                raise InputError(
                    "No pictures yet: upload one or more (PNG, JPEG, GIF, BMP, WebP or TIFF). "
                    "A shared link cannot carry your files."
                )
        side = values["size"]
        batch = images.load_batch(
            sources, size=(side, side), fit=values["fit"], grayscale=values["gray"]
        )
        rejected = tuple(batch.rejected)
        if len(batch) == 0:
            reasons = "; ".join(f"{name}: {reason}" for name, reason in rejected) or "none chosen"
            raise InputError(f"No picture could be loaded ({reasons}).")
        pictures = batch.images
        names = tuple(batch.names)
        channel_names = ("R", "G", "B") if pictures.shape[1] == 3 else ("gray",)
        description = (
            f"{len(names)} picture{'s' if len(names) > 1 else ''} brought to {side} × {side} "
            f"({'centre-cropped' if values['fit'] == 'crop' else 'padded with black'} to keep the aspect), "
            f"{pictures.shape[1]} channel{'s' if pictures.shape[1] > 1 else ''}, values in [0, 1]"
        )
    else:
        shape = tuple(values[k] for k in ("n", "c", "h", "w"))
        if math.prod(shape) > MAX_VALUES:
            raise InputError(
                f"Shape {shape} has {math.prod(shape):,} values; the limit is {MAX_VALUES:,}."
            )
        pictures = None
        x = synthetic(shape, seed=values["seed"], offset=values["offset"], spread=values["spread"])
        names = tuple(f"sample {k}" for k in range(shape[0]))
        channel_names = tuple(f"c{k}" for k in range(shape[1]))
        description = f"Random data of shape {shape}: " + synthetic_text(
            shape[1], values["offset"], values["spread"]
        )
    source = pictures if pictures is not None else x
    if not values["conv"]:
        x = source
        _check_size(x.shape)
        return Tensor(x, pictures, names, channel_names, rejected, description=description + ".")

    weight = conv_weight(values, source.shape[1])
    padding = _padding(values)
    stride = values["stride"]
    kernel = values["kernel"]
    out_shape = conv.output_shape(source.shape, weight.shape, stride=stride, padding=padding)
    _check_size(out_shape)
    x = conv.conv2d(source, weight, stride=stride, padding=padding)
    arithmetic = tuple(
        f"{axis}: " + conv.shape_arithmetic(size, kernel, stride, padding)
        for axis, size in zip(("H", "W"), source.shape[2:])
    )
    description += (
        f"; then a convolution layer: {weight.shape[0]} filters of {kernel} × {kernel} "
        f"(stride {stride}, padding {values['padding']}) make {x.shape[1]} feature maps of "
        f"{x.shape[2]} × {x.shape[3]}."
    )
    return Tensor(
        x, pictures, names, filter_names(values), rejected, weight, arithmetic, description
    )


def synthetic_text(channels: int, offset: float, spread: float) -> str:
    """How :func:`bnviz.data.synthetic` made its channels, in words, read off the offsets and
    scales it actually used (one channel has offset 0 and scale 1, whatever was asked)."""
    offsets, scales = channel_offsets_and_scales(channels, offset, spread)
    offsets = offsets + 0.0  # no "-0" in the text
    if channels == 1:
        return f"one channel of z with offset {offsets[0]:g} and scale {scales[0]:g}"
    ratio = scales.max() / scales.min()
    spread_text = "scale 1 for all" if ratio == 1 else f"scales spread {ratio:.3g}×"
    if offsets.min() == offsets.max():
        offset_text = f"offset {offsets[0]:g} for all"
    else:
        offset_text = f"offsets from {offsets.min():g} to {offsets.max():g}"
    return f"channel c is offset + scale · z, {offset_text}, {spread_text}"


def _check_size(shape) -> None:
    if math.prod(shape) > MAX_VALUES:
        raise InputError(
            f"The tensor would have shape {tuple(shape)}, {math.prod(shape):,} values; the limit "
            f"is {MAX_VALUES:,}. Use fewer or smaller pictures, or fewer filters."
        )
