"""The sentence that says how random data was made matches the offsets and scales it used."""

import numpy as np
import pytest

from bnviz.engine.synthetic import synthetic
from bnviz.views.source import synthetic_text


@pytest.mark.parametrize("channels", [1, 2, 5])
@pytest.mark.parametrize(("offset", "spread"), [(3.0, 10.0), (0.0, 1.0), (2.0, 1.0)])
def test_synthetic_text_measures_what_it_says(channels, offset, spread):
    text = synthetic_text(channels, offset, spread)
    x = synthetic((4000, channels), seed=1, offset=offset, spread=spread).astype(np.float64)
    means, stds = x.mean(axis=0), x.std(axis=0)
    if channels == 1:
        # One channel: offset 0 and scale 1 whatever was asked (the old text claimed a spread).
        assert text == "one channel of z with offset 0 and scale 1"
        assert abs(means[0]) < 0.1 and abs(stds[0] - 1) < 0.1
        return
    assert "-0 " not in text
    if offset:
        assert f"offsets from {-offset:g} to {offset:g}" in text
        assert means.min() < -offset + 0.2 and means.max() > offset - 0.2
    else:
        assert "offset 0 for all" in text
    if spread > 1:
        assert f"scales spread {spread:g}×" in text
        assert stds.max() / stds.min() == pytest.approx(spread, rel=0.15)
    else:
        assert "scale 1 for all" in text
