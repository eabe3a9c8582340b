"""bnviz: see which cells of an activation tensor share a mean and a variance.

The engine is pure NumPy and knows nothing of Streamlit::

    import numpy as np, bnviz
    x = np.random.default_rng(0).normal(size=(20, 10, 5, 5)).astype(np.float32)
    out = bnviz.normalize(x, "batch")            # out.y, out.mean (1, 10, 1, 1), out.var
    bnviz.describe(x.shape, "batch").summary     # '... 10 means and 10 variances, each over 20 × 5 × 5 = 500 values ...'
    bnviz.group_labels(x.shape, "group", num_groups=5)   # int labels: same label = same statistics
    bnviz.local_normalize(x, "lrn", size=5)      # the local norms before BN: see bnviz.LOCAL_SCHEMES
"""

from .engine.backward import jacobian, normalize_backward
from .engine.conv import (
    FILTERS,
    Filter,
    conv2d,
    filter_kernel,
    make_filter_bank,
    output_shape,
    output_size,
    random_filters,
    shape_arithmetic,
)
from .engine.errors import InputError
from .engine.layout import Layout, group_labels, layout
from .engine.loading import SAMPLE_DIR, ImageBatch, Sample, load_batch, load_image, sample_images
from .engine.local import (
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
from .engine.normalize import Normalized, normalize
from .engine.running import RunningStatistics, fold_batch_norm
from .engine.schemes import SCHEMES, Scheme, divisors, get_scheme
from .text.describe import Description, describe

__all__ = [
    "FILTERS",
    "LOCAL_PRESETS",
    "LOCAL_SCHEMES",
    "SAMPLE_DIR",
    "SCHEMES",
    "Description",
    "Filter",
    "ImageBatch",
    "InputError",
    "Layout",
    "LocalScheme",
    "LocalTerms",
    "Normalized",
    "Preset",
    "RunningStatistics",
    "Sample",
    "Scheme",
    "Window",
    "conv2d",
    "describe",
    "divisors",
    "filter_kernel",
    "fold_batch_norm",
    "get_local_scheme",
    "get_scheme",
    "group_labels",
    "jacobian",
    "layout",
    "load_batch",
    "load_image",
    "local_normalize",
    "local_terms",
    "make_filter_bank",
    "neighbourhood",
    "normalize",
    "normalize_backward",
    "output_shape",
    "output_size",
    "random_filters",
    "sample_images",
    "shape_arithmetic",
    "window",
]
