"""Load pictures as float arrays: one file to look at, or a batch of them as an (N, C, H, W) tensor.

Every picture comes out as float32 in [0, 1], channels first, the way a network sees it::

    img = bnviz.load_image("assets/sunset.png")         # (3, 120, 160)
    batch = bnviz.load_batch(uploaded_files, size=(64, 64), fit="crop")
    batch.images.shape                                  # (N, 3, 64, 64)
    batch.rejected                                      # [("notes.txt", "not a picture ..."), ...]

Anything wrong with a file (empty, not a picture, truncated, too big, a PDF or an SVG) raises
:class:`~bnviz.engine.errors.InputError` naming the file; :func:`load_batch` lists such files instead of
failing, so one bad upload costs only itself.

Large photos (a 48-megapixel phone picture) are reduced while they are decoded: JPEG's own DCT
scaling (Pillow's ``draft``) and an integer box reduction (``reduce``) for the other formats, so
memory stays small; only absurd sizes (over :data:`MAX_PIXELS`) are refused, from the header.
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
from PIL import Image

from .errors import InputError

MAX_FILES = 64
"""At most this many files in one batch; the rest are rejected with a reason."""

MAX_FILE_BYTES = 50_000_000
"""A file larger than this (50 MB) is refused before it is read in full."""

MAX_PIXELS = 150_000_000
"""A picture with more pixels than this (width × height, 150 million) is refused before decoding:
the decompression-bomb guard. Below Pillow's own hard limit (about 179 million), above every
common camera (12 to 108 megapixels)."""

MAX_DECODED_PIXELS = 16_000_000
""":func:`load_image` reduces a larger picture by a whole factor while decoding, to at most this
many pixels (16 million: a 48-megapixel photo comes out at 4000 × 3000)."""

MAX_BATCH_SIDE = 512
"""The largest height or width :func:`load_batch` scales pictures to."""

DEFAULT_SIZE = (64, 64)
"""(H, W) that :func:`load_batch` brings pictures to unless told otherwise."""

REDUCE_ABOVE_PIXELS = 4_000_000
""":func:`load_batch` reduces pictures with more pixels than this while decoding, to what the fit
needs (:func:`reduction_for_fit`); smaller ones are decoded whole."""

FORMATS = ("PNG", "JPEG", "GIF", "BMP", "WEBP", "TIFF")
"""Pillow's names of the formats we decode; anything else is refused, even if Pillow could read it."""

FORMATS_TEXT = "PNG, JPEG, GIF, BMP, WebP or TIFF"

SAMPLE_DIR = Path(__file__).resolve().parents[2] / "assets"
"""The bundled sample pictures (made by ``assets/make_samples.py``)."""

# ITU-R 601 luma weights, the ones Pillow's convert("L") uses.
LUMA_WEIGHTS = np.array([0.299, 0.587, 0.114], dtype=np.float32)


class Sample(NamedTuple):
    """A bundled sample picture: a short name, its path, and what it shows."""

    name: str
    path: Path
    caption: str


_SAMPLES = [
    (
        "sunset",
        "sunset.png",
        "Warm sunset: orange-to-purple sky, a low sun, its glow on dark water.",
    ),
    ("sea", "sea.png", "Blue sea and sky with waves, clouds and a white sail: almost all blue."),
    ("leaves", "leaves.jpg", "Green leaves with veins: a busy texture in one hue."),
    (
        "checker",
        "checker.png",
        "Grayscale (1 channel): hard-edged checkerboard and text-like bars.",
    ),
    (
        "stained-glass",
        "stained_glass.png",
        "Stained glass: saturated cells in every colour, lead lines (portrait).",
    ),
    ("night-cast", "night_cast.png", "Dark, low-contrast street at night with a strong teal cast."),
    ("fruit", "fruit.png", "Red, orange, yellow and green fruit on a pale table."),
    ("snow", "snow.png", "Bright, low-contrast snowfield under a pale blue sky."),
    ("dunes", "dunes.png", "Warm sand dunes with hard shadows under a deep blue sky."),
    ("flowers", "flowers.png", "Magenta and yellow flowers over dark green grass."),
    ("overcast", "overcast.png", "Grey city skyline under an overcast sky: almost no colour."),
]


def sample_images() -> list[Sample]:
    """The bundled sample pictures, in display order.

    Returns
    -------
    list of Sample
        ``(name, path, caption)`` triples; ``load_batch(sample_images())`` loads them all, named.
    """
    return [Sample(name, SAMPLE_DIR / file, caption) for name, file, caption in _SAMPLES]


@dataclass(frozen=True)
class ImageBatch:
    """The result of :func:`load_batch`.

    Attributes
    ----------
    images : ndarray of shape (N, C, H, W), float32 in [0, 1]
        The pictures that loaded, in the order given. N may be 0 (nothing loaded).
    names : list of str
        N names, one per picture.
    rejected : list of (str, str)
        ``(name, reason)`` for each file that did not load, in the order given.
    """

    images: np.ndarray
    names: list[str]
    rejected: list[tuple[str, str]]

    def __len__(self) -> int:
        return len(self.names)


# --- reading bytes -----------------------------------------------------------------------------


def _megabytes(count: int) -> str:
    return f"{count / 1e6:.3g} MB"


def _default_name(source) -> str:
    """A name for messages: the file name where there is one."""
    if isinstance(source, (str, os.PathLike)):
        return os.path.basename(os.fspath(source)) or os.fspath(source)
    name = getattr(source, "name", None)
    if isinstance(name, str) and name:
        return os.path.basename(name) or name
    return "image"


def _read_bytes(source, name: str) -> bytes:
    """The whole file as bytes, refusing files over MAX_FILE_BYTES without reading them in full."""
    too_big = (
        f"{name}: the file is larger than {_megabytes(MAX_FILE_BYTES)}, the limit for one picture."
    )
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    elif isinstance(source, (str, os.PathLike)):
        try:
            if os.path.getsize(source) > MAX_FILE_BYTES:
                raise InputError(too_big)
            with open(source, "rb") as file:
                data = file.read(MAX_FILE_BYTES + 1)
        except FileNotFoundError:
            raise InputError(f"{name}: no such file.") from None
        except IsADirectoryError:
            raise InputError(f"{name}: is a folder, not a file.") from None
        except OSError as error:
            raise InputError(f"{name}: cannot read the file ({error.strerror or error}).") from None
    elif hasattr(source, "read"):
        # Streamlit's UploadedFile knows its size: refuse a huge upload before touching it.
        size = getattr(source, "size", None)
        if isinstance(size, int) and size > MAX_FILE_BYTES:
            raise InputError(too_big)
        # Read from the start even if someone (a preview, say) read the file before us.
        with suppress(Exception):
            if source.seekable():
                source.seek(0)
        try:
            data = source.read(MAX_FILE_BYTES + 1)
        except Exception as error:
            raise InputError(f"{name}: cannot read the file ({error}).") from None
        if not isinstance(data, (bytes, bytearray)):
            raise InputError(f"{name}: the file was opened in text mode; open it with 'rb'.")
        data = bytes(data)
    else:
        raise InputError(
            f"{name}: expected a file path, bytes or a binary file object; "
            f"got {type(source).__name__}."
        )
    if len(data) > MAX_FILE_BYTES:
        raise InputError(too_big)
    if not data:
        raise InputError(f"{name}: the file is empty.")
    return data


def _sniff_not_a_picture(data: bytes) -> str | None:
    """What the file is, for common look-alikes Pillow must never see (vector, documents)."""
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n")
    lower = head.lower()
    if head.startswith(b"%PDF"):
        return "is a PDF document, not a picture; export the page as PNG or JPEG"
    if b"<svg" in data[:4096].lower() and lower.startswith(
        (b"<?xml", b"<svg", b"<!doctype", b"<!--")
    ):
        return "is an SVG drawing (vector graphics), not a picture made of pixels; export it as PNG"
    if data[:2] == b"\x1f\x8b":
        return "is gzip-compressed (an .svgz drawing?), not a picture; export it as PNG"
    if lower.startswith((b"<!doctype html", b"<html")):
        return "is a web page (HTML), not a picture"
    if data[4:8] == b"ftyp" and data[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"hevc"):
        return "is a HEIC/HEIF photo, which bnviz does not read; convert it to JPEG"
    if data[4:12] == b"ftypavif":
        return f"is an AVIF image, which bnviz does not read; use {FORMATS_TEXT}"
    if data[:4] == b"8BPS":
        return "is a Photoshop document; export it as PNG or JPEG"
    return None


def _looks_like_text(data: bytes) -> bool:
    head = data[:512]
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(ch.isprintable() or ch in "\t\r\n" for ch in text)


# --- decoding ----------------------------------------------------------------------------------


#: EXIF orientation -> the transposition that shows the picture upright (as ImageOps does).
_ORIENTATIONS = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_EXIF_ORIENTATION = 0x0112


def _orientation(image: Image.Image) -> int:
    """The EXIF orientation (1 to 8; 1 when absent or unreadable: a broken EXIF block should not
    cost the picture)."""
    try:
        value = int(image.getexif().get(_EXIF_ORIENTATION, 1))
    except Exception:
        return 1
    return value if value in _ORIENTATIONS else 1


def reduction_for_pixels(width: int, height: int, max_pixels: int) -> int:
    """The smallest whole factor f that brings a width × height picture to at most
    ``max_pixels`` pixels, ⌈width / f⌉ × ⌈height / f⌉ (1 when it is within already)."""
    factor = max(1, math.ceil(math.sqrt(width * height / max_pixels)))
    while math.ceil(width / factor) * math.ceil(height / factor) > max_pixels:
        factor += 1
    return factor


def reduction_for_fit(width: int, height: int, size: tuple[int, int], fit: str) -> int:
    """The largest whole factor a width × height picture can be reduced by before
    :func:`fit_image` brings it to ``size`` (H, W), keeping at least twice the pixels the fit uses
    along each side (so the final, antialiased resize still has detail to average)."""
    target_h, target_w = size
    ratios = (height / target_h, width / target_w)
    # crop scales the picture to cover the target (the smaller ratio), pad to fit in it.
    ratio = min(ratios) if fit == "crop" else max(ratios)
    return max(1, math.floor(ratio / 2))


#: Modes Image.reduce cannot average (or should not): what to convert them to first.
_REDUCIBLE = {"1": "L", "P": "RGBA", "PA": "RGBA", "HSV": "RGB", "LAB": "RGB"}


def _key_to_alpha(image: Image.Image) -> Image.Image:
    """``image`` with its colour key (PNG tRNS, GIF transparency) made a real alpha channel, in
    mode LA or RGBA (a key can be neither averaged nor composited); any other image as it is."""
    if "transparency" in image.info and image.mode in ("1", "L", "RGB", "P"):
        return image.convert("LA" if image.mode in ("1", "L") else "RGBA")
    return image


def _reduce(image: Image.Image, factor: int) -> Image.Image:
    """``image`` box-averaged ``factor`` times smaller, in a mode where averaging is meaningful."""
    image = _key_to_alpha(image)
    mode = image.mode
    if mode.startswith("I;16"):
        image = image.convert("I")
    elif mode in _REDUCIBLE:
        image = image.convert(_REDUCIBLE[mode])
    return image.reduce(factor)


def _open(
    data: bytes, name: str, reduction: Callable[[int, int], int] | None = None
) -> Image.Image:
    """Decode the first frame of ``data``, checking the pixel count before any pixel is decoded.

    ``reduction(width, height)`` (of the upright picture) gives a whole factor to reduce the
    picture by while decoding; the result is upright (EXIF orientation applied).
    """
    problem = _sniff_not_a_picture(data)
    if problem:
        raise InputError(f"{name}: {problem}.")
    try:
        # Image.open reads only the header: the size is known before the pixels are decoded.
        image = Image.open(io.BytesIO(data), formats=list(FORMATS))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's own guard (≈ 179 million pixels, or warnings turned into errors) fired first.
        raise InputError(
            f"{name}: the picture claims far more than {MAX_PIXELS / 1e6:g} million pixels, "
            "the limit; it is refused before decoding."
        ) from None
    except Exception:
        # Pillow raises many types for bad headers (UnidentifiedImageError, SyntaxError, struct.error...).
        if _looks_like_text(data):
            raise InputError(
                f"{name}: is a text file, not a picture ({FORMATS_TEXT} are accepted)."
            ) from None
        raise InputError(
            f"{name}: not a picture bnviz can read ({FORMATS_TEXT} are accepted), "
            "or the file is damaged."
        ) from None
    width, height = image.size
    if width * height > MAX_PIXELS:
        image.close()
        raise InputError(
            f"{name}: {width} × {height} = {width * height / 1e6:.1f} million pixels is over the "
            f"limit of {MAX_PIXELS / 1e6:g} million pixels per picture; shrink it first."
        )
    if width < 1 or height < 1:
        image.close()
        raise InputError(f"{name}: the picture has no pixels ({width} × {height}).")
    try:
        image.seek(0)  # an animation (GIF, WebP, APNG) or a multi-page TIFF: the first frame
        factor = 1
        if reduction is not None:
            # JPEG knows its orientation from the header; the fit needs the upright sides.
            upright = (height, width) if _orientation(image) in (5, 6, 7, 8) else (width, height)
            factor = reduction(*upright)
        decoded_scale = 1
        if factor > 1 and image.format == "JPEG":
            # Decode at 1/2, 1/4 or 1/8 scale straight from the DCT: no full-size pixels at all.
            wanted = (math.ceil(width / factor), math.ceil(height / factor))
            drafted = image.draft(None, wanted)
            if drafted is not None:
                decoded_scale = round(width / drafted[1][2])
        image.load()
        orientation = _orientation(image)
        rest = factor // decoded_scale
        if rest > 1:
            reduced = _reduce(image, rest)
            image.close()
            image = reduced
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InputError(
            f"{name}: the picture is over the limit of {MAX_PIXELS / 1e6:g} million pixels."
        ) from None
    except MemoryError:
        raise InputError(f"{name}: not enough memory to decode this picture.") from None
    except Exception as error:
        # Truncated or corrupt data: OSError mostly, but decoders raise other types too.
        detail = str(error).split("\n")[0][:120]
        raise InputError(
            f"{name}: the {image.format or 'image'} file is truncated or damaged ({detail})."
        ) from None
    if orientation != 1:
        upright = image.transpose(_ORIENTATIONS[orientation])
        image.close()
        image = upright
    return image


def _composite_on_white(color: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """color (H, W, C) and alpha (H, W), both in [0, 1] -> (H, W, C) over a white background."""
    alpha = alpha[..., None]
    return color * alpha + (1.0 - alpha)


def _rescale_own_range(values: np.ndarray) -> np.ndarray:
    """Values already in [0, 1] as they are; otherwise min -> 0 and max -> 1."""
    low, high = float(values.min()), float(values.max())
    if low >= 0.0 and high <= 1.0:
        return values
    if high == low:  # a constant picture has no range to stretch: clip it
        return np.clip(values, 0.0, 1.0)
    return (values - low) / (high - low)


def _to_float(image: Image.Image, name: str) -> np.ndarray:
    """A decoded Pillow image as float32 (C, H, W) in [0, 1], C = 1 (gray) or 3 (colour)."""
    image = _key_to_alpha(image)
    mode = image.mode
    if mode in ("1", "L"):
        pixels = np.asarray(image.convert("L"), dtype=np.float32)[..., None] / 255.0
    elif mode.startswith("I;16"):
        pixels = np.asarray(image).astype(np.float64)[..., None] / 65535.0
    elif mode == "I":
        values = np.asarray(image).astype(np.float64)
        # 32-bit integer pixels usually carry 16-bit data; anything else is stretched to [0, 1].
        if values.min() >= 0 and values.max() <= 65535:
            pixels = values[..., None] / 65535.0
        else:
            pixels = _rescale_own_range(values)[..., None]
    elif mode == "F":
        values = np.asarray(image).astype(np.float64)
        if not np.isfinite(values).all():
            raise InputError(f"{name}: the floating-point picture contains NaN or infinite values.")
        pixels = _rescale_own_range(values)[..., None]
    elif mode in ("LA", "La"):
        values = np.asarray(image.convert("LA"), dtype=np.float32) / 255.0
        pixels = _composite_on_white(values[..., :1], values[..., 1])
    elif mode in ("RGBA", "RGBa", "P", "PA"):
        # A palette may hold transparent entries: going through RGBA keeps them.
        values = np.asarray(image.convert("RGBA"), dtype=np.float32) / 255.0
        pixels = _composite_on_white(values[..., :3], values[..., 3])
    else:
        # RGB, CMYK, YCbCr, LAB, HSV, RGBX: Pillow converts them to RGB.
        try:
            rgb = image.convert("RGB")
        except Exception:
            raise InputError(f"{name}: pixel mode {mode!r} is not supported.") from None
        pixels = np.asarray(rgb, dtype=np.float32) / 255.0
    pixels = np.clip(pixels, 0.0, 1.0)  # guards float rounding at the ends
    return np.ascontiguousarray(np.moveaxis(pixels, -1, 0), dtype=np.float32)


def load_image(
    source, *, name: str | None = None, max_pixels: int | None = MAX_DECODED_PIXELS
) -> np.ndarray:
    """Load one picture as a float32 array of shape (C, H, W) with values in [0, 1].

    Parameters
    ----------
    source : str, Path, bytes or binary file object
        A path, the file's bytes, or anything with ``.read()`` returning bytes (Streamlit's
        ``UploadedFile`` is one; it is read from the start).
    name : str, optional
        The name used in error messages (default: the file's own name, else ``"image"``).
    max_pixels : int or None, default MAX_DECODED_PIXELS
        A picture with more pixels is reduced while decoding, by the smallest whole factor f that
        brings it to at most this many (H = ⌈h / f⌉, W = ⌈w / f⌉, each pixel the mean of an f × f
        block): a 48-megapixel photo comes out 4000 × 3000. None keeps every pixel.

    Returns
    -------
    ndarray of shape (C, H, W), float32 in [0, 1]
        C = 3 for colour pictures, 1 for grayscale ones (8- and 16-bit gray, 1-bit, float).

    Raises
    ------
    InputError
        For anything wrong with the file, naming it: empty, over ``MAX_FILE_BYTES`` bytes or
        ``MAX_PIXELS`` pixels (checked from the header, before decoding), not one of PNG, JPEG, GIF,
        BMP, WebP or TIFF (PDF, SVG, HEIC, text are recognised by content, whatever the name),
        truncated or damaged.

    Notes
    -----
    What you get is the picture an image viewer shows:

    * The EXIF orientation of camera photos is applied (a portrait photo comes out portrait).
    * Transparent pixels are composited onto **white**, and the alpha channel dropped.
    * Palette pictures (GIF, 8-bit PNG) come out RGB; CMYK, YCbCr and the like are converted to RGB.
    * Animations (GIF, WebP, APNG) and multi-page TIFFs: the first frame only.
    * 8-bit values are divided by 255, 16-bit ones by 65535.
    * Floating-point pictures (TIFF mode ``F``) are kept as they are when all values lie in
      [0, 1]; otherwise they are stretched by their own range (min -> 0, max -> 1). NaN or infinite
      values are refused.
    * A reduced JPEG is decoded at 1/2, 1/4 or 1/8 scale by the JPEG decoder itself, then
      box-averaged the rest of the way: its pixels differ from a box average of the full decode
      by the decoder's rounding.
    """
    name = name or _default_name(source)
    if max_pixels is None:
        return _load(source, name, None)
    if (
        isinstance(max_pixels, bool)
        or not isinstance(max_pixels, (int, np.integer))
        or max_pixels < 1
    ):
        raise InputError(f"max_pixels must be a whole number of at least 1; got {max_pixels!r}.")
    return _load(source, name, lambda w, h: reduction_for_pixels(w, h, int(max_pixels)))


def _load(source, name: str, reduction) -> np.ndarray:
    """:func:`load_image` with a reduction rule (see :func:`_open`)."""
    data = _read_bytes(source, name)
    image = _open(data, name, reduction)
    try:
        return _to_float(image, name)
    except InputError:
        raise
    except MemoryError:
        raise InputError(f"{name}: not enough memory to convert this picture.") from None
    except Exception as error:
        raise InputError(f"{name}: could not convert the picture ({error}).") from None
    finally:
        image.close()


# --- batches -----------------------------------------------------------------------------------


def _check_size(size) -> tuple[int, int]:
    try:
        height, width = size
    except (TypeError, ValueError):
        raise InputError(f"size must be a pair (H, W); got {size!r}.") from None
    for value in (height, width):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise InputError(f"size must hold two whole numbers (H, W); got {size!r}.")
        if not 1 <= value <= MAX_BATCH_SIDE:
            raise InputError(
                f"size must be between 1 and {MAX_BATCH_SIDE} on each side; got {size!r}."
            )
    return int(height), int(width)


def _check_pad_value(pad_value) -> None:
    if isinstance(pad_value, bool) or not isinstance(pad_value, (int, float, np.number)):
        raise InputError(f"pad_value must be a number in [0, 1]; got {pad_value!r}.")
    if not 0.0 <= pad_value <= 1.0:
        raise InputError(f"pad_value must be a number in [0, 1]; got {pad_value!r}.")


def _resize_channels(pixels: np.ndarray, width: int, height: int, box=None) -> np.ndarray:
    """Resample each channel of (C, h, w) to (C, height, width), bicubic, antialiased when shrinking."""
    resized = [
        np.asarray(
            Image.fromarray(channel).resize(
                (width, height), resample=Image.Resampling.BICUBIC, box=box
            ),
            dtype=np.float32,
        )
        for channel in pixels
    ]
    # Bicubic overshoots a little at hard edges: keep the [0, 1] promise.
    return np.clip(np.stack(resized), 0.0, 1.0)


def fit_image(
    pixels: np.ndarray, size: tuple[int, int], fit: str = "crop", pad_value: float = 0.0
) -> np.ndarray:
    """Bring one (C, h, w) picture to (C, H, W), keeping its aspect ratio.

    Parameters
    ----------
    pixels : ndarray of shape (C, h, w), float32 in [0, 1]
    size : (H, W)
    fit : {"crop", "pad"}
        ``"crop"``: scale so the picture covers H × W, then cut the overhang equally from both
        sides (centre crop). ``"pad"``: scale so the whole picture fits, then centre it on a canvas
        filled with ``pad_value``.
    pad_value : float
        The value of the padding, 0.0 (black) by default. The padding counts in every statistic
        computed later, so a padded batch has lower means and higher variances than the pictures.

    Returns
    -------
    ndarray of shape (C, H, W), float32 in [0, 1]
    """
    height, width = _check_size(size)
    _check_pad_value(pad_value)
    channels, h, w = pixels.shape
    pixels = np.ascontiguousarray(pixels, dtype=np.float32)
    if fit == "crop":
        # The largest centred box of the target's aspect ratio, in source pixels.
        if w * height > h * width:  # source is wider than the target
            box_w, box_h = h * width / height, h
        else:
            box_w, box_h = w, w * height / width
        left, top = (w - box_w) / 2, (h - box_h) / 2
        return _resize_channels(pixels, width, height, box=(left, top, left + box_w, top + box_h))
    if fit == "pad":
        scale = min(height / h, width / w)
        inner_h = min(height, max(1, round(h * scale)))
        inner_w = min(width, max(1, round(w * scale)))
        canvas = np.full((channels, height, width), pad_value, dtype=np.float32)
        top, left = (height - inner_h) // 2, (width - inner_w) // 2
        canvas[:, top : top + inner_h, left : left + inner_w] = _resize_channels(
            pixels, inner_w, inner_h
        )
        return canvas
    raise InputError(f'fit must be "crop" or "pad"; got {fit!r}.')


def to_grayscale(pixels: np.ndarray) -> np.ndarray:
    """(3, H, W) colour -> (1, H, W) luma (0.299 R + 0.587 G + 0.114 B); (1, H, W) unchanged."""
    if pixels.shape[0] == 1:
        return pixels
    return np.tensordot(LUMA_WEIGHTS, pixels, axes=1)[None].astype(np.float32)


def _split_item(item) -> tuple[str | None, object]:
    """An item of load_batch's ``sources``: a source, a (name, source) pair or a Sample."""
    if isinstance(item, Sample):
        return item.name, item.path
    if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str):
        return item[0], item[1]
    return None, item


def load_batch(
    sources,
    *,
    size: tuple[int, int] = DEFAULT_SIZE,
    fit: str = "crop",
    grayscale: bool = False,
    pad_value: float = 0.0,
    max_files: int | None = None,
) -> ImageBatch:
    """Load several pictures into one (N, C, H, W) batch; bad files are listed, not fatal.

    Parameters
    ----------
    sources : iterable
        Each item is a path, bytes or a binary file object (as for :func:`load_image`), a
        ``(name, source)`` pair, or a :class:`Sample` from :func:`sample_images`.
    size : (H, W), default (64, 64)
        Every picture is brought to this size, keeping its aspect ratio (see ``fit``); each side
        at most ``MAX_BATCH_SIDE``. A picture over ``REDUCE_ABOVE_PIXELS`` is reduced while
        decoding to about twice the pixels the fit uses (:func:`reduction_for_fit`), then resized.
    fit : {"crop", "pad"}
        ``"crop"`` fills H × W and cuts the overhang (centre crop); ``"pad"`` shows the whole
        picture on a ``pad_value`` background (letterbox). See :func:`fit_image`.
    grayscale : bool
        Convert every picture to one luma channel (0.299 R + 0.587 G + 0.114 B).
    pad_value : float
        Background of ``fit="pad"``, 0.0 (black) by default.
    max_files : int, optional
        At most this many files are loaded (default and upper bound ``MAX_FILES``); the rest are
        rejected with a reason, unread.

    Returns
    -------
    ImageBatch
        ``images`` of shape (N, C, H, W), float32 in [0, 1], ``names`` (N) and ``rejected``
        ``(name, reason)`` pairs. C is 1 if ``grayscale`` or if every picture is grayscale, else 3
        (grayscale pictures are repeated over R, G and B). When nothing loads, ``images`` has shape
        (0, C, H, W) and ``rejected`` says why: no exception, so the reasons are not lost.

    Raises
    ------
    InputError
        Only for bad arguments (``size``, ``fit``, ``max_files``), never for a bad file.
    """
    height, width = _check_size(size)
    if fit not in ("crop", "pad"):
        raise InputError(f'fit must be "crop" or "pad"; got {fit!r}.')
    _check_pad_value(pad_value)
    limit = MAX_FILES if max_files is None else max_files
    if (
        isinstance(limit, bool)
        or not isinstance(limit, (int, np.integer))
        or not 1 <= limit <= MAX_FILES
    ):
        raise InputError(
            f"max_files must be a whole number from 1 to {MAX_FILES}; got {max_files!r}."
        )
    if isinstance(sources, (str, bytes, os.PathLike)) or hasattr(sources, "read"):
        sources = [sources]  # one file given on its own

    size = (height, width)

    def reduce_for(picture_width: int, picture_height: int) -> int:
        if picture_width * picture_height <= REDUCE_ABOVE_PIXELS:
            return 1  # cheap to decode whole: ordinary pictures are resized from every pixel
        return max(
            reduction_for_pixels(picture_width, picture_height, MAX_DECODED_PIXELS),
            reduction_for_fit(picture_width, picture_height, size, fit),
        )

    pictures: list[np.ndarray] = []
    names: list[str] = []
    rejected: list[tuple[str, str]] = []
    for index, item in enumerate(sources):
        given_name, source = _split_item(item)
        name = given_name or _default_name(source)
        if name == "image":
            name = f"image {index + 1}"
        if index >= limit:
            rejected.append((name, f"not loaded: at most {limit} files per batch."))
            continue
        try:
            # Decode no more pixels than the fit uses (twice over), and never more than
            # load_image would: a phone photo becomes a few hundred pixels a side while decoding.
            pixels = _load(source, name, reduce_for)
            if grayscale:
                pixels = to_grayscale(pixels)
            pictures.append(fit_image(pixels, (height, width), fit, pad_value))
        except InputError as error:
            rejected.append((name, str(error)))
            continue
        names.append(name)

    # An empty batch keeps the colour default (3) unless grayscale was asked for.
    channels = 1 if grayscale or (pictures and all(p.shape[0] == 1 for p in pictures)) else 3
    if not pictures:
        images = np.zeros((0, channels, height, width), dtype=np.float32)
    else:
        # Mixed colour and gray: gray pictures become R = G = B.
        images = np.stack([np.broadcast_to(p, (channels, height, width)) for p in pictures])
    return ImageBatch(images=images.astype(np.float32, copy=False), names=names, rejected=rejected)
