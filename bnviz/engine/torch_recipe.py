"""Framework equivalents as executable recipes: the PyTorch code that computes a scheme.

Every equivalent the app names is produced here, as data, from the scheme's declaration (which
axes keep their statistics, whether channels are split into groups, where ε goes) and the tensor's
shape: never typed in as prose.  ``tests/engine/test_torch_recipes.py`` evaluates every recipe against
PyTorch for every scheme at ranks 2, 3 and 4 and checks the module's parameter and buffer shapes
and the refusals claimed here.

Nothing here imports torch: a recipe is text (``TorchRecipe.code``) plus the facts the app states
about it.  The facts are PyTorch 2.13's behaviour in training mode:

- ``BatchNorm1d/2d`` raise ``ValueError("Expected more than 1 value per channel when training, …")``
  when a channel's group holds one value (``torch/nn/functional.py``, ``_verify_batch_size``),
  and ``"batch_norm eps must be positive during training"`` for ε ≤ 0;
- ``InstanceNorm1d/2d`` raise ``"Expected more than 1 spatial element when training, …"`` when
  the spatial size is 1 (``_verify_spatial_size``); with ε = 0 a constant group gives 0 (the
  native kernel's inverse standard deviation is 0 when var = ε = 0);
- ``GroupNorm`` runs the same check on the input seen as (N·C/G, G, H, W): it refuses only
  N · C/G · H · W = 1 (one sample whose groups each hold one value);
- ``LayerNorm`` and ``GroupNorm`` otherwise accept groups of one value (x̂ = 0, so y = β) and
  with ε = 0 give NaN (0/0) for a group whose variance is 0.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

from .layout import Layout

#: PyTorch's error messages for the inputs it refuses in training mode (their first words).
ONE_VALUE_PER_CHANNEL = "Expected more than 1 value per channel when training"
ONE_SPATIAL_ELEMENT = "Expected more than 1 spatial element when training"
EPS_NOT_POSITIVE = "batch_norm eps must be positive during training"


@dataclass(frozen=True)
class TorchRecipe:
    """PyTorch code that computes a scheme on a tensor ``x`` of a given shape, and its facts.

    Attributes
    ----------
    module : str
        The module's constructor, e.g. ``"torch.nn.BatchNorm1d(250, eps=1e-05)"``.
    module_name : str
        Its class name, e.g. ``"BatchNorm1d"``.
    before : str
        The module's input as an expression in ``x``, e.g. ``"x.reshape(20, -1)"`` or ``"x"``.
    after : str
        What turns the module's output back into x's shape, e.g. ``".reshape(20, 10, 5, 5)"``
        (``""`` when nothing is needed).
    param_shape : tuple of int or None
        The shape of the module's ``weight`` and ``bias`` (None when it has none).
    running_shape : tuple of int or None
        The shape of its ``running_mean`` and ``running_var`` buffers (None when it keeps none).
    params_match : bool
        True when the module's γ and β are the scheme's, entry for entry (possibly held flat).
    refusal : str or None
        The first words of the ``ValueError`` PyTorch raises for this input in training mode, or
        None when it computes an output.
    zero_variance : str
        What the module gives for a group whose variance is 0 when ε = 0: ``"refuses"`` (ε = 0 is
        refused altogether), ``"nan"`` (0/0) or ``"zero"`` (x̂ = 0, as bnviz).
    """

    module: str
    module_name: str
    before: str
    after: str
    param_shape: tuple | None
    running_shape: tuple | None
    params_match: bool
    refusal: str | None
    zero_variance: str

    @property
    def code(self) -> str:
        """One Python expression in ``torch`` and ``x`` that evaluates to PyTorch's output in
        training mode, with the module's fresh parameters (γ = 1, β = 0)."""
        return f"{self.module}({self.before}){self.after}"


def _shape_text(shape) -> str:
    """(2, 3) as "2, 3" (arguments of reshape/permute)."""
    return ", ".join(str(int(n)) for n in shape)


def _tuple_text(shape) -> str:
    """(3,) as "(3,)", (3, 4) as "(3, 4)": a Python tuple literal."""
    return f"({int(shape[0])},)" if len(shape) == 1 else f"({_shape_text(shape)})"


def tensor_axes(lay: Layout) -> tuple:
    """The tensor's axis letters, e.g. ("N", "C", "L"), and for each whether it keeps statistics.

    Returns
    -------
    tuple of (str, bool)
        Each axis of ``lay.shape`` in order with True where it keeps its own statistics.  A
        split channel axis (group norm) counts as reduced.
    """
    kept_n, _, kept_cg, kept_h, kept_w = lay.kept
    by_letter = {"N": kept_n, "C": kept_cg, "D": kept_cg, "H": kept_h, "W": kept_w, "L": kept_w}
    return tuple((axis, by_letter[axis]) for axis in lay.axis_labels)


def _engine_recipe(lay: Layout, eps: float) -> TorchRecipe | None:
    """The PyTorch code that computes ``lay``'s scheme on a tensor of ``lay.shape`` with ``eps``.

    Parameters
    ----------
    lay : Layout
        A scheme applied to a shape of rank 2 (N, C), 3 (N, C, L) or 4 (N, C, H, W).
    eps : float
        ε as the scheme uses it.

    Returns
    -------
    TorchRecipe or None
        None where PyTorch cannot express the scheme: ε added to σ (Caffe's MVN), or a scheme that
        does not divide by the standard deviation.
    """
    scheme = lay.scheme
    formula = scheme.formula_for(lay.params)
    if formula.divide in ("std_plus_eps", "none"):
        return None
    shape = lay.shape
    rank = len(shape)
    n, c = shape[:2]
    e = f"eps={eps!r}"
    if scheme.splits_channels(lay.params):
        groups, per_group = lay.view_shape[1:3]
        # GroupNorm runs batch norm's check on (N·C/G, G, H, W): it refuses one value there.
        single = n * per_group * math.prod(shape[2:]) == 1
        return TorchRecipe(
            f"torch.nn.GroupNorm({groups}, {c}, {e})",
            "GroupNorm",
            "x",
            "",
            (c,),
            None,
            lay.param_shape == (c,),
            ONE_VALUE_PER_CHANNEL if single else None,
            "nan",
        )
    axes = tensor_axes(lay)
    sizes = dict(zip(lay.axis_labels, shape, strict=True))
    kept = tuple(a for a, keep in axes if keep)
    reduced = tuple(a for a, keep in axes if not keep)
    bnviz_entries = None if lay.param_shape is None else math.prod(lay.param_shape)
    if formula.divide == "rms":
        # RMSNorm normalizes within a sample only: a batch-sharing RMS scheme has no module.
        return (
            None
            if "N" not in kept
            else _within_sample_recipe(lay, kept, reduced, sizes, e, "RMSNorm")
        )
    if "N" not in kept:
        return _batch_recipe(lay, kept, reduced, sizes, eps, bnviz_entries)
    spatial = math.prod(shape[2:])
    if kept == ("N", "C") and rank >= 3:
        name = "InstanceNorm2d" if rank == 4 else "InstanceNorm1d"
        return TorchRecipe(
            f"torch.nn.{name}({c}, {e}, affine=True)",
            name,
            "x",
            "",
            (c,),
            None,
            lay.param_shape == (c,),
            ONE_SPATIAL_ELEMENT if spatial == 1 else None,
            "zero",
        )
    if kept == ("N", "C"):
        # (N, C): InstanceNorm1d reads a 2-D input as one unbatched (C, L) sample; give it L = 1.
        return TorchRecipe(
            f"torch.nn.InstanceNorm1d({c}, {e}, affine=True)",
            "InstanceNorm1d",
            "x.unsqueeze(-1)",
            ".squeeze(-1)",
            (c,),
            None,
            lay.param_shape == (c,),
            ONE_SPATIAL_ELEMENT,
            "zero",
        )
    return _within_sample_recipe(lay, kept, reduced, sizes, e, "LayerNorm")


def torch_recipe(lay: Layout, eps: float) -> TorchRecipe | None:
    """The PyTorch code that computes ``lay``'s scheme with ``eps`` on a tensor ``x`` laid out as
    the user gave it (``lay.order``: e.g. NHWC or tokens NLD, permuted to channels first and back
    around the module, consecutive permutations merged).  See :func:`_engine_recipe`."""
    recipe = _engine_recipe(lay, eps)
    if recipe is None or lay.order is None or lay.order.is_engine_order:
        return recipe
    return replace(
        recipe,
        before=_compose_before(recipe.before, lay.order.to_engine),
        after=_compose_after(recipe.after, lay.order.from_engine),
    )


_PERMUTE = r"\.permute\(([\d, ]+)\)"


def _permutation_text(permutation) -> str:
    identity = tuple(permutation) == tuple(range(len(permutation)))
    return "" if identity else f".permute({_shape_text(permutation)})"


def _compose_before(before: str, to_engine: tuple) -> str:
    """``x`` → ``x.permute(to_engine)`` in front of ``before``, merged with a first permute."""
    first = re.match(r"^x" + _PERMUTE, before)
    if first:
        inner = tuple(int(v) for v in first.group(1).split(","))
        merged = tuple(to_engine[i] for i in inner)
        return "x" + _permutation_text(merged) + before[first.end() :]
    return "x" + _permutation_text(to_engine) + before[1:]


def _compose_after(after: str, from_engine: tuple) -> str:
    """``after`` followed by ``.permute(from_engine)``, merged with a last permute."""
    last = re.search(_PERMUTE + r"$", after)
    if last:
        inner = tuple(int(v) for v in last.group(1).split(","))
        merged = tuple(inner[i] for i in from_engine)
        return after[: last.start()] + _permutation_text(merged)
    return after + _permutation_text(from_engine)


def _within_sample_recipe(lay, kept, reduced, sizes, e, name) -> TorchRecipe:
    """LayerNorm (or RMSNorm) over the reduced axes, moved last (none: a length-1 axis of their
    own, so each cell is its own group); with its γ (and β) where they are the scheme's."""
    rank = len(lay.shape)
    order = kept + reduced
    permutation = tuple(lay.axis_labels.index(a) for a in order)
    inverse = tuple(permutation.index(i) for i in range(rank))
    before, after = "x", ""
    if permutation != tuple(range(rank)):
        before += f".permute({_shape_text(permutation)})"
        after = f".permute({_shape_text(inverse)})"
    normalized = tuple(sizes[a] for a in reduced)
    if not normalized:
        before += ".unsqueeze(-1)"
        after = ".squeeze(-1)" + after
        normalized = (1,)
    affine = lay.param_shape == normalized
    options = "" if affine else ", elementwise_affine=False"
    return TorchRecipe(
        f"torch.nn.{name}({_tuple_text(normalized)}, {e}{options})",
        name,
        before,
        after,
        normalized if affine else None,
        None,
        affine or lay.param_shape is None,
        None,
        "nan",
    )


def _batch_recipe(lay, kept, reduced, sizes, eps, bnviz_entries) -> TorchRecipe:
    """A scheme that shares statistics across the batch: BatchNorm1d/2d on a reshaped view."""
    shape = lay.shape
    rank = len(shape)
    e = f"eps={eps!r}"
    refusal = (
        ONE_VALUE_PER_CHANNEL if lay.group_size == 1 else (EPS_NOT_POSITIVE if eps <= 0 else None)
    )
    if kept == ("C",):
        c = shape[1]
        name = "BatchNorm2d" if rank == 4 else "BatchNorm1d"
        return TorchRecipe(
            f"torch.nn.{name}({c}, {e})",
            name,
            "x",
            "",
            (c,),
            (c,),
            bnviz_entries == c,
            refusal,
            "refuses",
        )
    features = math.prod(sizes[a] for a in kept)
    rows = math.prod(sizes[a] for a in reduced)
    order = reduced + kept
    permutation = tuple(lay.axis_labels.index(a) for a in order)
    before, after = "x", ""
    permuted = permutation != tuple(range(rank))
    if permuted:
        before += f".permute({_shape_text(permutation)})"
    before += f".reshape({rows}, -1)" if kept else ".reshape(-1, 1)"
    after = f".reshape({_shape_text(sizes[a] for a in order)})"
    if permuted:
        inverse = tuple(permutation.index(i) for i in range(rank))
        after += f".permute({_shape_text(inverse)})"
    return TorchRecipe(
        f"torch.nn.BatchNorm1d({features}, {e})",
        "BatchNorm1d",
        before,
        after,
        (features,),
        (features,),
        bnviz_entries == features,
        refusal,
        "refuses",
    )
