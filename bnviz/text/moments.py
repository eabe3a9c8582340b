"""Measured means and variances in words, as a figure title says them."""

from __future__ import annotations

from collections.abc import Mapping


def _range_text(values, digits: int = 3) -> str:
    """Numbers as "1" when they agree to ``digits`` significant digits, else "0.5 to 1"."""
    low, high = (float(f"{v:.{digits}g}") + 0.0 for v in (min(values), max(values)))
    return f"{low:g}" if low == high else f"{low:g} to {high:g}"


def moments_text(summaries: Mapping[int, Mapping[str, float]]) -> str:
    """The shown groups' measured means and variances, in words, as a figure title says them.

    "each group: mean 0, variance 1" only where every listed group's mean rounds to 0 and its
    (biased) variance to 1 at three significant digits; otherwise the measured ranges, e.g.
    "each group: mean 0, variance 0 to 1" (groups of one value, or σ² near ε) or "variance 0.2
    to 9.1" (only the mean subtracted).
    """
    means = [s["mean"] if abs(s["mean"]) >= 5e-4 else 0.0 for s in summaries.values()]
    variances = [s["std"] ** 2 for s in summaries.values()]
    if not means:
        return "no groups shown"
    many = "each group" if len(means) > 1 else "the group"
    return f"{many}: mean {_range_text(means)}, variance {_range_text(variances)}"
