"""Which schemes put the same cells together: partitions of a tensor's cells compared.

Pure NumPy-free logic over :class:`bnviz.engine.layout.Layout`: a scheme's groups are a product of
per-axis blocks, so two layouts of one shape group alike exactly when their block counts agree.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from .errors import InputError
from .layout import Layout, layout
from .schemes import SCHEMES, Scheme, scheme_label


def partition_signature(lay: Layout) -> tuple:
    """How many statistic groups each of N, C, H and W is cut into; equal exactly for equal partitions.

    Every scheme's groups are a product over the axes: along N (and H, W) either each position is
    its own block or all positions form one; along C the channels fall in blocks of C/G
    consecutive channels.  A product of such per-axis partitions is determined by the number of
    blocks along each axis, so two layouts of one shape group the cells identically exactly when
    these counts agree (axes of size 1 count one block either way).
    """
    n, g, cg, h, w = lay.stat_shape
    return (n, g * cg, h, w)


def same_groups(a: Layout, b: Layout) -> bool:
    """Whether two layouts of the same shape put exactly the same cells together."""
    if a.shape != b.shape:
        raise InputError(f"Layouts of different shapes {a.shape} and {b.shape} cannot match.")
    return partition_signature(a) == partition_signature(b)


def param_variants(scheme: Scheme, shape) -> list[dict]:
    """The parameter settings of ``scheme`` that group a tensor of ``shape`` differently.

    Booleans take both values (defaults first), a parameter with ``choices`` each of them (G:
    every divisor of C); of settings
    that group the cells alike (e.g. Caffe MVN with and without variance normalization) only the
    first is kept.  A scheme with an "axes" parameter (the custom one) has none: it is not a
    named scheme.
    """
    channels = layout(shape, "tensor").nchw[1]
    options = []
    for param in scheme.params:
        if param.kind == "axes":
            return []
        if param.kind == "bool":
            options.append([(param.name, param.default), (param.name, not param.default)])
        elif param.choices is not None:
            options.append([(param.name, g) for g in param.choices(channels)])
        else:
            options.append([(param.name, param.default)])
    variants, seen = [], set()
    for combo in itertools.product(*options):
        params = dict(combo)
        signature = partition_signature(layout(shape, scheme, **params))
        if signature not in seen:
            seen.add(signature)
            variants.append(params)
    return variants


@dataclass(frozen=True)
class Equivalent:
    """A named scheme (with its parameters) that groups the cells as another layout does."""

    scheme: str
    params: dict
    label: str


def named_equivalents(keep, shape) -> tuple:
    """The named schemes that group a tensor of ``shape`` as keeping the axes ``keep`` does.

    Parameters
    ----------
    keep : str or iterable of str
        Kept axes, any of N, C, H, W (e.g. ``"NC"``, ``""`` for none), as the ``custom`` scheme
        takes them.
    shape : tuple of int
        (N, C), (N, C, L) or (N, C, H, W).

    Returns
    -------
    tuple of Equivalent
        Schemes without parameters first (in :data:`SCHEMES` order), then settings of the others
        (:func:`param_variants`); empty when no named scheme groups the cells this way.  On a
        shape with every axis longer than 1, keeping C is ``batch``, N ``layer``, N and C
        ``instance``, C, H and W ``batch-pixel``, H and W ``batch-location``, nothing ``tensor``.
    """
    custom = [s for s in SCHEMES.values() if any(p.kind == "axes" for p in s.params)]
    if not custom:
        raise InputError("No scheme takes kept axes.")
    target = partition_signature(layout(shape, custom[0], keep=keep))
    plain, parametrised = [], []
    for scheme in SCHEMES.values():
        for params in param_variants(scheme, shape) if scheme.params else [{}]:
            if partition_signature(layout(shape, scheme, **params)) == target:
                found = Equivalent(scheme.id, params, scheme_label(scheme, params))
                (parametrised if scheme.params else plain).append(found)
    return tuple(plain + parametrised)
