"""The Images page's words: what a scheme did to pictures' brightness and colour, in σ.

Numbers in, words out (no Streamlit, no Plotly); :mod:`bnviz.views.images` computes the
normalized pictures and each image's channel means in σ that these sentences read.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..engine.schemes import SCHEMES


def sigmas_text(values) -> str:
    """Values in σ as "+0.13, -0.60, +0.00" (no "-0.00": rounding keeps no sign)."""
    return ", ".join(f"{round(float(v), 2) + 0.0:+.2f}" for v in np.ravel(values))


#: Words for a sentence about pictures' channels: colour channels (R, G, B, or gray) speak of
#: brightness and colour; feature maps (any other channels) of their level and balance.
_WORDS = {
    True: {
        "level": "overall brightness",
        "cast": "colour cast",
        "balance": "colour balance",
        "zero": "0 (mid-gray)",
        "spread": "the strongest cast",
    },
    False: {
        "level": "overall level",
        "cast": "balance between its channels",
        "balance": "balance between channels",
        "zero": "0",
        "spread": "the largest spread between its channels",
    },
}


def colour_sentence(result, names: Sequence[str], *, colour: bool = True) -> str:
    """One true sentence about what ``result``'s scheme did to the images' brightness and colour.

    Computed from the numbers, not from the scheme's name: whether every image's channels now
    average 0 (instance norm), whether only each image's overall mean is 0 (layer norm: the
    colour balance stays), or which image keeps the strongest cast or brightness difference.
    ``colour`` is True when the channels are colour channels (R, G, B or gray); for feature maps
    (False) the sentence speaks of each image's level and the balance between its channels.
    """
    words = _WORDS[colour]
    means = result.channel_means
    name = SCHEMES[result.scheme].name
    tolerance = 1e-3
    if np.all(np.abs(means) < tolerance):
        return (
            f"{name}: every channel of every image now averages {words['zero']}, so each "
            f"image's own {words['level'].split()[-1]} and {words['cast']} are gone; only the patterns "
            "within it remain."
        )
    brightness = means.mean(axis=1)
    if means.shape[1] == 1:
        far = int(np.argmax(np.abs(brightness)))
        return (
            f"{name}: images keep their differences in {words['level'].split()[-1]}: “{names[far]}” "
            f"averages {brightness[far]:+.2f} σ where the batch as a whole averages 0."
        )
    worst = int(np.argmax(result.cast))
    listed = sigmas_text(means[worst])
    if np.all(np.abs(brightness) < tolerance):
        start = f"{name}: each image's {words['level']} is gone, but its {words['balance']} stays"
    else:
        start = (
            f"{name}: images keep their differences in {words['level'].split()[-1]} and "
            f"{words['balance']}"
        )
    return (
        f"{start}: “{names[worst]}” keeps {words['spread']}, channel means {listed} σ "
        f"(a spread of {result.cast[worst]:.2f} σ)."
    )


def display_text(value_range: tuple | None) -> str:
    """How the tensor before normalization is shown in gray levels.

    ``value_range``: None for pictures shown as loaded (in [0, 1]); else the tensor's (minimum,
    maximum), taken to black and white by one linear map (mid-gray when they are equal).
    """
    if value_range is None:
        return "Pictures as loaded: 0 is black, 1 is white."
    low, high = value_range
    if high == low:
        return f"Every value is {low:.4g}: shown as mid-gray."
    return (
        f"One linear map for the whole tensor: its minimum {low:.4g} is black, its maximum "
        f"{high:.4g} white."
    )
