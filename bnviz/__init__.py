"""bnviz: see which cells of an activation tensor share a mean and a variance.

The engine is pure NumPy and knows nothing of Streamlit::

    import numpy as np, bnviz
    x = np.random.default_rng(0).normal(size=(20, 10, 5, 5)).astype(np.float32)
    out = bnviz.normalize(x, "batch")            # out.y, out.mean (1, 10, 1, 1), out.var
    bnviz.describe(x.shape, "batch").summary     # '... 10 means and 10 variances, each over 20 × 5 × 5 = 500 values ...'
    bnviz.group_labels(x.shape, "group", num_groups=5)   # int labels: same label = same statistics
    bnviz.local_normalize(x, "lrn", size=5)      # the local norms before BN: see bnviz.LOCAL_SCHEMES
"""

from .describe import Description, describe
from .errors import InputError
from .layout import Layout, group_labels, layout
from .local import (
    LOCAL_PRESETS,
    LOCAL_SCHEMES,
    LocalScheme,
    LocalTerms,
    Preset,
    Window,
    get_local_scheme,
    local_normalize,
    local_terms,
    neighbourhood,
    window,
)
from .normalize import Normalized, normalize
from .schemes import SCHEMES, Scheme, divisors, get_scheme

__all__ = [
    "LOCAL_PRESETS",
    "LOCAL_SCHEMES",
    "SCHEMES",
    "Description",
    "InputError",
    "Layout",
    "LocalScheme",
    "LocalTerms",
    "Normalized",
    "Preset",
    "Scheme",
    "Window",
    "describe",
    "divisors",
    "get_local_scheme",
    "get_scheme",
    "group_labels",
    "layout",
    "local_normalize",
    "local_terms",
    "neighbourhood",
    "normalize",
    "window",
]
