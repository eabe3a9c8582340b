"""Pictures of what normalization does to images: display mappings and per-image colour numbers.

Pure NumPy (no Streamlit, no Plotly). The Images page shows, for a batch of pictures (or of
feature maps), each channel before and after normalization as a gray picture and the three
normalized channels recombined as RGB. Normalized values are unbounded, so they need a stated
display mapping: :func:`to_display` puts x̂ = −3 at black, 0 at mid-gray and +3 at white (a fixed
±3σ window; values beyond it are clipped, and :func:`clipped_fraction` says how many).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..engine.errors import InputError
from ..engine.normalize import normalize
from ..engine.schemes import SCHEMES, default_params
from ..text import images as words
from ..text.describe import describe
from . import source
from .explorer import default_formula
from .urlstate import Field

#: Normalized values are shown in the window [-WINDOW, +WINDOW] (in units of the group's σ).
WINDOW = 3.0
#: Schemes the Images page offers: every statistic-sharing scheme that needs no choice from the
#: user beyond a default (group norm takes G from its declared teaching default), and whose x̂ is
#: in units of a standard deviation (the page's window and sentences speak of σ; RMS-based schemes
#: divide by a root mean square, with no mean subtracted).
PICTURE_SCHEMES = tuple(
    s
    for s, scheme in SCHEMES.items()
    if not any(p.kind == "axes" for p in scheme.params) and default_formula(scheme).centre
)


#: The page's name in links and state.
PAGE = "images"
#: The Images page's URL fields: the tensor's, opening on the sample pictures, and its own.
FIELDS = (
    # This page is about pictures: a fresh link opens on the sample images.
    *(dataclasses.replace(f, default="samples") if f.key == "source" else f for f in source.FIELDS),
    Field(
        "schemes",
        "choices",
        ("batch", "instance", "layer"),
        choices=PICTURE_SCHEMES,
        label="schemes",
    ),
    Field("image", "int", 0, 0, 255, label="image"),
    Field("focus", "choice", "batch", choices=PICTURE_SCHEMES, label="scheme per channel"),
)


def constrain(values: dict) -> tuple[dict, list[str]]:
    """At most four schemes side by side, with a notice when a link asks for more."""
    values = dict(values)
    notices = []
    if len(values["schemes"]) > 4:
        notices.append("At most four schemes side by side; the first four are shown.")
        values["schemes"] = tuple(values["schemes"][:4])
    return values, notices


def fit_to_batch(values: dict, count: int) -> tuple[dict, list[str]]:
    """The shown ``image`` brought within the batch of ``count`` pictures, with a notice if moved."""
    values = dict(values)
    if values["image"] > count - 1:
        notice = f"image: {values['image']} is outside 0–{count - 1}; using {count - 1}."
        values["image"] = count - 1
        return values, [notice]
    return values, []


def fit_to_shape(values: dict, shape: tuple) -> tuple[dict, list[str]]:
    """:func:`fit_to_batch` for a tensor of ``shape`` (N, C, H, W)."""
    return fit_to_batch(values, shape[0])


def to_display(x_hat: np.ndarray, window: float = WINDOW) -> np.ndarray:
    """Map normalized values to [0, 1] for display: −window → 0 (black), 0 → 0.5, +window → 1.

    Parameters
    ----------
    x_hat : ndarray, any shape
        Normalized values (mean 0 and variance ≈ 1 within each group).
    window : float
        Half-width of the shown range, in σ.

    Returns
    -------
    ndarray of float32, same shape, in [0, 1]; values beyond the window are clipped.
    """
    if not window > 0:
        raise InputError(f"The display window must be positive; got {window}.")
    return np.clip(np.asarray(x_hat, dtype=np.float32) / (2 * window) + 0.5, 0.0, 1.0)


def clipped_fraction(x_hat: np.ndarray, window: float = WINDOW) -> float:
    """The fraction of values outside ±window, which :func:`to_display` clips."""
    return float(np.mean(np.abs(np.asarray(x_hat)) > window)) if np.size(x_hat) else 0.0


def input_to_display(x: np.ndarray, pictures: bool) -> tuple[np.ndarray, str]:
    """Map the tensor before normalization to [0, 1] for display, and say how.

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)
    pictures : bool
        True when ``x`` holds pictures already in [0, 1] (shown as they are); otherwise (feature
        maps, random numbers) one linear map for the whole tensor takes its minimum to black and
        its maximum to white, so differences between images and channels stay visible.
    """
    x = np.asarray(x, dtype=np.float32)
    if pictures:
        return np.clip(x, 0.0, 1.0), words.display_text(None)
    low, high = float(x.min()), float(x.max())
    if high == low:
        return np.full_like(x, 0.5), words.display_text((low, high))
    return (x - low) / (high - low), words.display_text((low, high))


def channel_stats(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each image's own mean and standard deviation of each channel, each of shape (N, C)."""
    values = np.asarray(x, dtype=np.float64)
    return values.mean(axis=(2, 3)), values.std(axis=(2, 3))


def as_rgb(planes: np.ndarray) -> np.ndarray | None:
    """(N, 3, H, W) values in [0, 1] as (N, H, W, 3) RGB pictures; None unless C is 3."""
    planes = np.asarray(planes)
    if planes.ndim != 4 or planes.shape[1] != 3:
        return None
    return np.ascontiguousarray(planes.transpose(0, 2, 3, 1))


def scheme_params(scheme: str, channels: int) -> dict:
    """The hyper-parameters the Images page uses for ``scheme`` on C = ``channels``."""
    return default_params(scheme, channels)


@dataclass(frozen=True)
class NormalizedPictures:
    """One scheme applied to a batch of pictures, ready to show.

    Attributes
    ----------
    scheme : str
    summary : str
        The scheme's summary sentence for this shape (from :func:`bnviz.describe`).
    x_hat : ndarray of float32, shape (N, C, H, W)
        Normalized values (γ = 1, β = 0).
    shown : ndarray of float32, shape (N, C, H, W)
        ``x_hat`` through :func:`to_display`.
    rgb : ndarray of shape (N, H, W, 3) or None
        ``shown`` recombined as colour pictures when C = 3.
    channel_means : ndarray of float64, shape (N, C)
        Each image's own mean of each channel after normalization, in σ: 0 everywhere for
        instance norm; for batch norm, how far the image sits from the batch's mean colour.
    clipped : float
        Fraction of values outside the display window.
    """

    scheme: str
    summary: str
    x_hat: np.ndarray
    shown: np.ndarray
    rgb: np.ndarray | None
    channel_means: np.ndarray
    clipped: float

    @property
    def cast(self) -> np.ndarray:
        """Each image's colour cast after normalization, shape (N,): the spread (max − min) of
        its channel means, in σ. 0 means the image's channels are balanced on average."""
        return self.channel_means.max(axis=1) - self.channel_means.min(axis=1)


def normalize_pictures(x: np.ndarray, schemes: Sequence[str]) -> list[NormalizedPictures]:
    """Normalize the batch ``x`` with each scheme (default ε, no γ/β) for display.

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)
    schemes : sequence of str
        Ids from :data:`PICTURE_SCHEMES`.
    """
    results = []
    for scheme in schemes:
        if scheme not in PICTURE_SCHEMES:
            raise InputError(
                f"The Images page cannot show {scheme!r}; pick from {PICTURE_SCHEMES}."
            )
        params = scheme_params(scheme, x.shape[1])
        x_hat = normalize(x, scheme, **params).y.astype(np.float32, copy=False)
        shown = to_display(x_hat)
        results.append(
            NormalizedPictures(
                scheme=scheme,
                summary=describe(x.shape, scheme, **params).summary,
                x_hat=x_hat,
                shown=shown,
                rgb=as_rgb(shown),
                channel_means=x_hat.astype(np.float64).mean(axis=(2, 3)),
                clipped=clipped_fraction(x_hat),
            )
        )
    return results
