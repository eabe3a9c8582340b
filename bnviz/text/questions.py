"""Sentences of the Questions page that the other pages do not already say.

Numbers in, words out (no Streamlit, no Plotly).  Most answers are the linked page's own
sentences (:mod:`bnviz.views.questions` picks them); these fill the gaps: what a thumbnail shows,
how a question's own terms map onto the tensor drawn, and the few cited facts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..engine.running import CONVENTIONS
from ..engine.schemes import axes_phrase
from .describe import Description, cell_text

#: Ioffe & Szegedy 2015, section 3.2 (quoted).
CONVOLUTIONAL_PROPERTY = (
    "Ioffe & Szegedy (2015, §3.2) want the normalization of convolutional layers to obey "
    "the convolutional property, \u201cso that different elements of the same feature map, at "
    "different locations, are normalized in the same way\u201d: hence one γ and β per feature map."
)
#: Wu & He 2018 (their default number of groups in the experiments).
GN_DEFAULT = (
    "Wu & He (2018, \u201cGroup Normalization\u201d) use G = 32 groups by default; PyTorch's "
    "GroupNorm requires G to divide C."
)


def group_caption(d: Description, cell: Sequence[int], tokens: bool = False) -> str:
    """What a group-map thumbnail shows: the scheme, and the lit group of ``cell``.

    ``tokens``: the thumbnail draws each sample as one block, channels down and W across (H = 1).
    """
    drawing = (
        "one block per sample, channels down, W across"
        if tokens
        else "rows are samples, columns channels"
    )
    lay = d.layout
    shape = tuple(lay.shape)
    if lay.order is not None and not lay.order.is_engine_order:  # as the user holds the tensor
        shape = f"{lay.order.name} {tuple(shape[i] for i in lay.order.from_engine)}"
    return (
        f"{d.scheme.name} on {shape}: {drawing}; each colour one group. Lit: the "
        f"cells sharing cell {cell_text(cell)}'s {d.shared_statistics}."
    )


def colour_planes(names: Sequence[str], samples: int) -> str:
    """RGB pictures: which planes share a pair (channel names as the page gives them)."""
    planes = ", ".join(f"all {name} planes" for name in names)
    return (
        f"The same as for one channel, once per colour channel: across the {samples} pictures, "
        f"{planes} each share one mean and one variance."
    )


def method_sentence(number: int, d: Description) -> str:
    """Method ``number`` of the three-methods question, named by what it computes."""
    used = " This is batch norm as CNNs use it." if d.scheme.id == "batch" else ""
    return f"Method {number}: {d.sentences[0]}{used}"


def group_ends(channels: int, allowed: Sequence[int], ends: Mapping[int, Sequence[str]]) -> str:
    """G's choices for C channels, and which named schemes G = 1 and G = C group cells as."""
    parts = []
    for g, names in ends.items():
        if names:
            verb = "does" if len(names) == 1 else "do"
            parts.append(f"G = {g} groups the cells as {' and '.join(names)} {verb}")
    choices = ", ".join(str(g) for g in allowed)
    said = "; ".join(parts)
    ends_text = f" {said[:1].upper()}{said[1:]}." if said else ""
    return f"G must divide C = {channels}: G ∈ {{{choices}}}.{ends_text}"


def eps_inside(modules: Sequence[str]) -> str:
    """The PyTorch modules whose ε goes inside the square root (from the declared formulas)."""
    listed = axes_phrase(modules)
    return (
        f"PyTorch's {listed} add ε inside the square root, √(σ² + ε) (RMSNorm: √(mean x² + ε)); "
        "Caffe's MVN adds it to σ, as here."
    )


def channel_caption(shape: Sequence[int]) -> str:
    return (
        f"Batch norm on {tuple(shape)}: each colour one channel's group, over the batch and "
        "every location. Lit: channel 0's."
    )


def stream_caption(
    conventions: Sequence[str], colours: Sequence[str], steps: int, statistic: str = "mean"
) -> str:
    """A line picture of running estimates: each convention's line named with its colour."""
    lines = " and ".join(
        f"{CONVENTIONS[c].name} ({colour})" for c, colour in zip(conventions, colours)
    )
    return (
        f"Channel 0's running {statistic} over {steps} training steps, {lines}; dashed, the "
        f"population's {statistic}."
    )


def jacobian_caption(label: str, cell: Sequence[int]) -> str:
    return (
        f"{label}: lit, the cells whose inputs move output {cell_text(cell)} (its group); "
        "outlined, the cell itself."
    )


def window_caption(label: str, cell: Sequence[int], count: int) -> str:
    return f"{label}: lit, the {count} cells in cell {cell_text(cell)}'s window."


def conventions_framing(a: str, b: str) -> str:
    """Which local normalization is A and which is B on the Local norms page."""
    return f"A is {a}, B is {b}, each with its own default parameters."
