"""Token tensors (N, C, 1, L) in a thumbnail: one C × L block per sample, side by side, planned
as laid out, so the picture keeps within its room and its caption says what is left out."""

import numpy as np
import pytest

import bnviz
from bnviz.figures.thumbnail import HEIGHT_PX, WIDTH_PX, map_thumbnail, thumbnail_plan


@pytest.mark.parametrize(
    "shape", [(4, 1, 1, 200), (4, 2, 1, 100), (1, 64, 1, 128), (2, 8, 1, 4), (8, 16, 1, 300)]
)
def test_a_token_thumbnail_keeps_within_its_room(shape):
    labels = bnviz.group_labels(shape, "layer")
    image = map_thumbnail(labels, highlight=labels == labels[0, 0, 0, 0], mark=(0, 0, 0, 0))
    assert image.shape[0] <= HEIGHT_PX and image.shape[1] <= WIDTH_PX
    plan = thumbnail_plan(shape)
    _, samples, features, tokens = plan.plan.drawn_shape
    text = plan.text_with("the rest")
    if (samples, features, tokens) == (shape[0], shape[1], shape[3]):
        assert text == ""
    else:
        assert text.startswith("Drawn: ") and text.endswith("; the rest.")
        assert (f"samples 0–{samples - 1} of {shape[0]}" in text) == (samples < shape[0])
        assert (f"{tokens} of {shape[3]} tokens drawn" in text) == (
            tokens < shape[3] or features < shape[1]
        )


def test_a_token_plan_takes_cells_as_the_picture_lays_them_out():
    shape = (3, 4, 1, 5)
    x = np.arange(np.prod(shape)).reshape(shape)
    plan = thumbnail_plan(shape)
    drawn = plan.take(x)
    assert drawn.shape == (1, 3, 4, 5)
    assert drawn[0, 2, 1, 4] == x[2, 1, 0, 4]
    assert plan.position((2, 1, 0, 4)) == (0, 2, 1, 4)
