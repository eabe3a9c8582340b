"""Where a page's tensor comes from: random data, sample pictures or uploads, then an optional conv layer.

Pure (no Streamlit).  Every page that takes a tensor declares :data:`FIELDS` among its URL fields
and calls :func:`build` with their values (and the uploaded files, which no URL can carry).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field

import numpy as np

from ..engine import conv, loading
from ..engine.errors import InputError
from ..engine.synthetic import channel_offsets_and_scales, synthetic
from ..text import source as text
from ..text.source import refusal_text
from .urlstate import Field

#: At most this many values in a page's tensor (2^22): keeps a rerun fast and memory small.
MAX_VALUES = 2**22
SOURCES = {
    "synthetic": "Random numbers",
    "samples": "Sample pictures",
    "upload": "Your pictures",
}
SAMPLE_NAMES = tuple(s.name for s in loading.sample_images())
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
    Field("size", "int", 32, 4, loading.MAX_BATCH_SIDE, label="picture size"),
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
        Files that did not load, with the reason (see :func:`refusal_text`).
    weight : ndarray of shape (Cout, Cin, k, k), or None
        The conv layer's filters, when there is one.
    arithmetic : tuple of str
        The conv layer's shape arithmetic, one line per spatial axis.
    description : str
        One sentence on where ``x`` came from.
    notes : tuple of str
        What else the user should know about the files: uploads repeated, loaded once.
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


def padding(values: dict):
    """The conv layer's padding as :func:`bnviz.conv2d` takes it: "valid", "same" or an int."""
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
    notes: tuple = ()
    if uses_pictures(values):
        if values["source"] == "samples":
            chosen = [s for s in loading.sample_images() if s.name in values["samples"]]
            sources = chosen
        else:
            sources, notes = unique_uploads(uploads)
            if not sources:
                raise InputError(
                    "No pictures yet: upload one or more (PNG, JPEG, GIF, BMP, WebP or TIFF). "
                    "A shared link cannot carry your files."
                )
        side = values["size"]
        batch = loading.load_batch(
            sources, size=(side, side), fit=values["fit"], grayscale=values["gray"]
        )
        rejected = tuple(batch.rejected)
        if len(batch) == 0:
            if not rejected:
                raise InputError("No sample picture chosen: pick one or more.")
            raise InputError(
                "No picture could be loaded:\n\n"
                + "\n".join(f"- {refusal_text(name, reason)}" for name, reason in rejected)
            )
        pictures = batch.images
        names = tuple(batch.names)
        channel_names = ("R", "G", "B") if pictures.shape[1] == 3 else ("gray",)
        description = text.pictures_description(len(names), side, values["fit"], pictures.shape[1])
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
        description = text.random_description(
            shape, *channel_offsets_and_scales(shape[1], values["offset"], values["spread"])
        )
    source = pictures if pictures is not None else x
    if not values["conv"]:
        x = source
        _check_size(x.shape)
        return Tensor(
            x, pictures, names, channel_names, rejected, description=description + ".", notes=notes
        )

    weight = conv_weight(values, source.shape[1])
    pad = padding(values)
    stride = values["stride"]
    kernel = values["kernel"]
    out_shape = conv.output_shape(source.shape, weight.shape, stride=stride, padding=pad)
    _check_size(out_shape)
    x = conv.conv2d(source, weight, stride=stride, padding=pad)
    arithmetic = tuple(
        f"{axis}: " + conv.shape_arithmetic(size, kernel, stride, pad)
        for axis, size in zip(("H", "W"), source.shape[2:])
    )
    description += text.conv_description(
        weight.shape[0], kernel, stride, values["padding"], x.shape
    )
    return Tensor(
        x, pictures, names, filter_names(values), rejected, weight, arithmetic, description, notes
    )


def synthetic_text(channels: int, offset: float, spread: float) -> str:
    """How :func:`bnviz.engine.synthetic.synthetic` made its channels, in words, read off the offsets and
    scales it actually used (one channel has offset 0 and scale 1, whatever was asked)."""
    return text.channels_text(*channel_offsets_and_scales(channels, offset, spread))


def fit_shape(shape, limit: int = MAX_VALUES) -> tuple:
    """The largest shape within ``shape`` (axis by axis) that holds at most ``limit`` values.

    Parameters
    ----------
    shape : tuple of int
        The requested shape, e.g. (N, C, H, W).
    limit : int
        At most this many values (default :data:`MAX_VALUES`, 2**22).

    Returns
    -------
    tuple of int
        ``shape`` itself when it fits. Otherwise the longest axes are cut to one common length,
        the largest that fits, then lengthened one at a time (the shortest first) while the
        product stays within ``limit``: no axis of the result can grow by one without passing it.
        (65, 64, 32, 32) becomes (64, 64, 32, 32), exactly 2**22.
    """
    shape = tuple(int(k) for k in shape)
    if math.prod(shape) <= limit:
        return shape
    low, high = 1, max(shape)  # the largest common cap that fits, by bisection
    while low < high:
        mid = (low + high + 1) // 2
        if math.prod(min(k, mid) for k in shape) <= limit:
            low = mid
        else:
            high = mid - 1
    fitted = [min(k, low) for k in shape]
    grown = True
    while grown:
        grown = False
        total = math.prod(fitted)
        for axis in sorted(range(len(fitted)), key=fitted.__getitem__):
            if fitted[axis] < shape[axis] and total // fitted[axis] * (fitted[axis] + 1) <= limit:
                fitted[axis] += 1
                grown = True
                break
    return tuple(fitted)


def _check_size(shape) -> None:
    if math.prod(shape) > MAX_VALUES:
        raise InputError(
            f"The tensor would have shape {tuple(shape)}, {math.prod(shape):,} values; the limit "
            f"is {MAX_VALUES:,}. Use fewer or smaller pictures, or fewer filters."
        )


def unique_uploads(uploads) -> tuple[list, tuple]:
    """Each distinct uploaded file once, in upload order, and a note for each one repeated.

    Parameters
    ----------
    uploads : iterable of (str, bytes)
        (name, content) of each uploaded file. The same content twice is one picture, whatever
        the names: a file picked twice by mistake should not weigh twice in the statistics.

    Returns
    -------
    list of (str, bytes)
        The first upload of each distinct content.
    tuple of str
        One sentence per repeated file, e.g. "cat.png was uploaded twice: it is loaded once."
    """
    first: dict[bytes, str] = {}
    repeats: dict[bytes, list[str]] = {}
    kept = []
    for name, data in uploads:
        if not isinstance(data, (bytes, bytearray)):
            kept.append((name, data))  # not ours to read twice: keep as given
            continue
        digest = hashlib.sha256(data).digest()
        if digest in first:
            repeats[digest].append(name)
        else:
            first[digest] = name
            repeats[digest] = []
            kept.append((name, data))
    notes = []
    for digest, others in repeats.items():
        if not others:
            continue
        name = first[digest]
        again = sum(other == name for other in others)
        renamed = list(dict.fromkeys(other for other in others if other != name))
        notes.append(text.repeated_upload_note(name, again, renamed))
    return kept, tuple(notes)
