"""What the review of the views and pages corrected: a cached Explorer result at every layout is
about as large as at NCHW (its statistics stay broadcastable, y is x̂ without γ/β)."""

import pickle

import numpy as np
import pytest
from conftest import open_app, scheme_configs

from bnviz.views import explorer

SHAPE = (2, 4, 3, 5)
BASE = {"eps": "default", "gamma": 2.0, "beta": 0.5}


@pytest.mark.parametrize("layout", list(explorer.LAYOUTS))
@pytest.mark.parametrize("scheme_id, params", list(scheme_configs(SHAPE[1])))
def test_an_explorer_result_keeps_its_statistics_broadcastable_in_every_layout(
    layout, scheme_id, params
):
    x = np.random.default_rng(3).normal(size=SHAPE).astype(np.float32)
    values = {**BASE, "layout": layout, "scheme": scheme_id, "affine": False, **params}
    result = explorer.compute(x, values)
    # Not expanded to every cell: at most one value per group and channel (group norm holds
    # its statistics per channel).
    groups = result.description.groups
    for a in (result.mean, result.var):
        assert a.size <= groups * SHAPE[1], (a.shape, groups)
        assert np.broadcast_to(a, SHAPE).shape == SHAPE
    assert result.y is result.x_hat  # one array, pickled once
    held = explorer.held(x, layout)
    np.testing.assert_array_equal(explorer.back_to_cells(held, layout, SHAPE), x)


@pytest.mark.parametrize("affine", [False, True])
def test_a_cached_result_at_tokens_is_about_the_size_of_one_at_nchw(affine):
    x = np.random.default_rng(4).normal(size=(4, 8, 16, 16)).astype(np.float32)
    sizes = {}
    for layout in explorer.LAYOUTS:
        values = {**BASE, "layout": layout, "scheme": "batch", "affine": affine}
        sizes[layout] = len(pickle.dumps(explorer.compute(x, values)))
    # x, x̂ (and y with γ/β) at 4 bytes a cell; the statistics and the description are small.
    arrays = 3 if affine else 2
    for layout, size in sizes.items():
        assert size < (arrays + 0.5) * x.nbytes, (layout, sizes)


def test_the_link_rules_a_session_keeps_hold_no_tensor():
    from bnviz.ui.core import LINK_RULES
    from bnviz.views.source import Tensor

    at = open_app()
    rules = at.session_state[LINK_RULES]
    adjusts = [adjust for _, _, page_adjusts in rules.values() for adjust in page_adjusts]
    assert adjusts
    for adjust in adjusts:
        held = [cell.cell_contents for cell in adjust.__closure__ or ()]
        assert not any(isinstance(h, Tensor) for h in held), held


@pytest.mark.parametrize("question_id", ["momentum", "running-var"])
def test_the_running_stats_thumbnail_draws_each_convention_in_its_training_page_colour(
    question_id,
):
    from bnviz.figures.groupmap import hex_to_rgb
    from bnviz.figures.thumbnail import colour_name
    from bnviz.figures.training import CONVENTION_COLOURS
    from bnviz.views import questions

    picture = questions.QUESTIONS_BY_ID[question_id].compute().picture
    drawn = {tuple(int(v) for v in c) for c in picture.image.reshape(-1, 3)}
    for convention, name in (("pytorch", "PyTorch"), ("keras", "Keras")):
        colour = CONVENTION_COLOURS[convention]
        assert tuple(int(v) for v in hex_to_rgb(colour)) in drawn, convention
        assert f"{name} ({colour_name(colour)})" in picture.caption


def test_every_map_says_the_statistics_its_scheme_uses_quiz_answers_included():
    # An RMS answer map's tooltip shows each group's mean x², as the Explorer's does (it showed
    # μ, which RMS norm does not use).
    from bnviz.figures.groupmap import read_payload
    from bnviz.views import quiz

    seen = set()
    for seed in range(16):
        for q in quiz.generate(seed, 16, quiz.KINDS):
            payload = quiz.answer_map(q)
            if payload is None or q.scheme is None:
                continue
            header, _ = read_payload(payload)
            formula = quiz.describe(q.shape, q.scheme, **q.params).formula
            assert header["mean_square"] == (formula.divide == "rms"), (seed, q.number)
            assert header["uses_variance"] == formula.uses_variance, (seed, q.number)
            seen.add(q.scheme)
    assert "rms" in seen


@pytest.mark.parametrize(
    "page, words",
    [("pages/compare.py", "One tensor, several normalizations"), ("pages/local.py", "Each cell")],
)
def test_compare_and_local_leave_their_caption_out_when_presenting(page, words):
    # As every page with ui.share.page_header: a projector keeps the room for the figures.
    def captions(query):
        return [c.value for c in open_app(page, query).caption if c.value.startswith(words)]

    assert len(captions({})) == 1
    assert captions({"present": "1"}) == []
