"""The Compare page's sentences: what a custom set of kept axes amounts to, and the frameworks'
batch-norm defaults.  Facts in (from :mod:`bnviz.views.compare` and the engine's declarations),
Markdown out."""

from __future__ import annotations

from collections.abc import Sequence

from ..engine.running import CONVENTIONS
from .describe import shape_text


def custom_note(
    kept: Sequence[str],
    equivalents: Sequence[str],
    param_shapes: tuple | None = None,
) -> str:
    """One sentence on what keeping the axes ``kept`` amounts to, in Markdown.

    Parameters
    ----------
    kept : sequence of str
        The axis letters that keep their own statistics (may be empty).
    equivalents : sequence of (label, scheme id)
        The named schemes that group the cells exactly so, first the one compared with.
    param_shapes : (tuple or None, tuple or None) or None
        γ and β's shape for the custom scheme and for the first equivalent (None: it has none),
        when they differ; None when they are the same.
    """
    kept_text = ", ".join(kept) or "no axis"
    if not equivalents:
        return f"Keeping {kept_text}: no named scheme groups the cells this way."
    (label, scheme_id), others = equivalents[0], equivalents[1:]
    text = f"Keeping {kept_text} groups the cells exactly as **{label}** (`{scheme_id}`)"
    if others:
        text += "; so do " + ", ".join(other for other, _ in others)
    text += "."
    if param_shapes is not None:
        mine, theirs = param_shapes
        text += (
            f" Only γ and β differ: {shape_text(mine)} here, "
            + ("none" if theirs is None else shape_text(theirs))
            + f" for {label}."
        )
    return text


def defaults_sentence() -> str:
    """Keras' and PyTorch's batch-norm defaults, and what Keras' momentum is in PyTorch's terms
    (from the conventions' declarations, :data:`bnviz.engine.running.CONVENTIONS`)."""
    torch, keras = CONVENTIONS["pytorch"], CONVENTIONS["keras"]
    keras_weight = keras.new_batch_weight(keras.momentum)
    return (
        f"Keras defaults to ε = {keras.eps:g} (PyTorch {torch.eps:g}) and momentum "
        f"{keras.momentum:g}, but the two momenta weigh different terms: Keras updates moving = "
        "moving · momentum + batch · (1 − momentum), PyTorch running = (1 − momentum) · running "
        f"+ momentum · batch. Keras' {keras.momentum:g} gives the new batch a weight of "
        f"{keras_weight:g}, which is PyTorch's momentum {torch.momentum_for_weight(keras_weight):g}; "
        f"PyTorch's default {torch.momentum:g} is Keras' momentum "
        f"{keras.momentum_for_weight(torch.new_batch_weight(torch.momentum)):g}."
    )
