"""The Local norms page's table of equivalences, in words: each row's claim, the two computations
it compares, and the note on what else was measured.

:func:`bnviz.views.local_norms.equivalences` measures each row on the page's tensor and hands the
settings and the measured differences here.  Each function returns (claim, left, right, note).
"""

from __future__ import annotations

from .local_norms import number_text, span


def mvn(across: bool, other_name: str, shown_eps: float, with_eps: float) -> tuple:
    """Caffe's MVN within (or across) channels against instance (or layer) norm, both at ε = 0.

    ``other_name`` is the PyTorch-convention scheme's name ("Instance norm", "Layer norm");
    ``with_eps`` is how far apart they are with ε = ``shown_eps`` in both.
    """
    return (
        f"MVN {'across' if across else 'within'} channels is {other_name.lower()}, ε aside",
        f"MVN, across_channels = {across}, ε = 0",
        f"{other_name}, ε = 0",
        f"With ε = {shown_eps:g} in both they differ by up to {with_eps:.3g}: MVN adds ε to σ, "
        "(x − μ)/(σ + ε); PyTorch to σ², (x − μ)/√(σ² + ε).",
    )


def lrn_identity(size: int, beta: float) -> tuple:
    """LRN with α = 0 (and k = 1) against x itself."""
    return (
        "LRN with α = 0 is the identity",
        f"LRN, size = {size}, α = 0, β = {number_text(beta)}, k = 1",
        "x",
        "With α = 0 no neighbour is read: y = x / k^β, so x itself for k = 1.",
    )


def cross_channel(size: int, alpha: float, beta: float, k: float) -> tuple:
    """Caffe's LRN across channels against MatConvNet's cross-channel norm with α/n."""
    n = size
    odd_note = (
        f"n = {n} is odd: both windows are c − {n // 2} … c + {n // 2}."
        if n % 2
        else f"n = {n} is even: LRN's window is {span('c', n // 2, n - 1 - n // 2)}, "
        f"MatConvNet's {span('c', (n - 1) // 2, n - 1 - (n - 1) // 2)}; use an odd n."
    )
    return (
        "MatConvNet's cross-channel norm with α/n and an odd n is LRN",
        f"LRN, size = {n}, α = {number_text(alpha)}, β = {number_text(beta)}, k = {number_text(k)}",
        f"cross-channel, depth = {n}, α = {number_text(alpha / n)} (α/n), κ = {number_text(k)}",
        odd_note,
    )


def spatial(side: int, alpha: float, beta: float, interior: bool, border: float | None) -> tuple:
    """Caffe's within-channel LRN against MatConvNet's spatial norm, away from the borders.

    ``interior``: whether any cell is at least (side − 1) / 2 from every border; ``border``: the
    largest difference at the other cells (None when there are none).
    """
    r = (side - 1) // 2
    if not interior:
        note = "No cell is that far from the borders here."
    elif border is None:
        note = "No border cells here."
    else:
        note = (
            f"Near the borders they differ by up to {border:.3g}: the spatial norm divides α by "
            "the in-image cells only."
        )
    return (
        "MatConvNet's spatial norm is Caffe's within-channel LRN away from the borders",
        f"LRN within a channel, size = {side}, α = {number_text(alpha)}, β = {number_text(beta)}",
        f"spatial, height = width = {side}, same α and β; cells at least {r} from every border",
        note,
    )
