"""Words for the tensor every page shares (:mod:`bnviz.views.source`): what it is made of, how
random data's channels were drawn, and what happened to uploaded files.  Facts in, text out."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..engine.schemes import axes_phrase
from .describe import plural


def pictures_description(count: int, side: int, fit: str, channels: int) -> str:
    """The pictures brought to one size: how many, to what size, how fitted, their channels.

    ``fit`` is "crop" (centre-cropped) or "pad" (padded with black); values are in [0, 1].
    """
    fitted = "centre-cropped" if fit == "crop" else "padded with black"
    return (
        f"{plural(count, 'picture')} brought to {side} × {side} ({fitted} to keep the aspect), "
        f"{plural(channels, 'channel')}, values in [0, 1]"
    )


def random_description(shape: tuple, offsets: np.ndarray, scales: np.ndarray) -> str:
    """Random data of ``shape`` whose channel c is offsets[c] + scales[c] · z, in words.

    Parameters
    ----------
    shape : tuple of int
        (N, C, H, W).
    offsets, scales : ndarray of shape (C,)
        The offsets and scales the data was actually made with
        (:func:`bnviz.engine.synthetic.channel_offsets_and_scales`).
    """
    return f"Random data of shape {tuple(shape)}: " + channels_text(offsets, scales)


def channels_text(offsets: np.ndarray, scales: np.ndarray) -> str:
    """How random data's channels were drawn, read off their ``offsets`` and ``scales`` (C,)."""
    offsets = np.asarray(offsets) + 0.0  # no "-0" in the text
    scales = np.asarray(scales)
    if offsets.size == 1:
        return f"one channel of z with offset {offsets[0]:g} and scale {scales[0]:g}"
    ratio = scales.max() / scales.min()
    spread_text = "scale 1 for all" if ratio == 1 else f"scales spread {ratio:.3g}×"
    if offsets.min() == offsets.max():
        offset_text = f"offset {offsets[0]:g} for all"
    else:
        offset_text = f"offsets from {offsets.min():g} to {offsets.max():g}"
    return f"channel c is offset + scale · z, {offset_text}, {spread_text}"


def conv_description(filters: int, kernel: int, stride: int, padding, out_shape: tuple) -> str:
    """The convolution layer and the feature maps it makes; ``out_shape`` is (N, C, H, W)."""
    return (
        f"; then a convolution layer: {filters} filters of {kernel} × {kernel} "
        f"(stride {stride}, padding {padding}) make {out_shape[1]} feature maps of "
        f"{out_shape[2]} × {out_shape[3]}."
    )


def refusal_text(name: str, reason: str) -> str:
    """One refused file as "name: reason", naming the file once (most reasons name it already)."""
    return reason if reason.startswith(f"{name}: ") else f"{name}: {reason}"


def repeated_upload_note(name: str, again: int, renamed: Sequence[str]) -> str:
    """One file uploaded more than once, e.g. "cat.png was uploaded twice: it is loaded once."

    Parameters
    ----------
    name : str
        The first name the file was uploaded under.
    again : int
        How many more times it was uploaded under that name.
    renamed : sequence of str
        The other names the same content came under.
    """
    times = "twice" if again == 1 else f"{again + 1} times"
    listed = axes_phrase(renamed)
    verb = "are" if len(renamed) > 1 else "is"
    if again and renamed:
        text = f"{name} was uploaded {times}, and {listed} {verb} the same file"
    elif again:
        text = f"{name} was uploaded {times}"
    else:
        text = f"{listed} {verb} the same file as {name}"
    return f"{text}: it is loaded once."
