"""The quiz's questions, for many seeds: every right answer checked against the engine (and by
hand where it can be), the distractors wrong, the scoring computed by hand, links that parse."""

import math
from urllib.parse import parse_qsl, urlsplit

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bnviz
from bnviz.engine.partitions import partition_signature
from bnviz.engine.running import CONVENTIONS, RunningStatistics
from bnviz.figures.groupmap import read_payload
from bnviz.views import explorer, quiz, training, urlstate

SEEDS = range(40)


def all_questions():
    for seed in SEEDS:
        yield from quiz.generate(seed, len(quiz.KINDS), quiz.KINDS)


QUESTIONS = list(all_questions())


def of_kind(kind):
    return [q for q in QUESTIONS if q.kind == kind]


def test_a_quiz_is_its_settings_and_asks_every_kind():
    a = quiz.generate(7, 12, quiz.KINDS)
    b = quiz.generate(7, 12, quiz.KINDS)
    assert [(q.prompt, q.choices, q.answer) for q in a] == [
        (q.prompt, q.choices, q.answer) for q in b
    ]
    assert {q.kind for q in a} == set(quiz.KINDS)
    assert [q.number for q in a] == list(range(1, 13))
    other = quiz.generate(8, 12, quiz.KINDS)
    assert [q.prompt for q in a] != [q.prompt for q in other]
    assert {q.kind for q in quiz.generate(3, 5, ("momentum", "eps"))} == {"momentum", "eps"}
    assert len(quiz.KINDS) >= 6


def test_choices_are_distinct_and_the_answer_is_one_of_them():
    for q in QUESTIONS:
        if q.kind == "group":
            continue
        assert len(set(q.choices)) == len(q.choices) >= 2, q
        assert 0 <= q.answer < len(q.choices)


def test_picture_choices_group_the_cells_differently():
    for q in of_kind("picture"):
        signatures = {
            partition_signature(bnviz.layout(q.shape, s, **p)) for s, p in q.choice_schemes
        }
        assert len(signatures) == len(q.choices)
        assert q.choice_schemes[q.answer] == (q.scheme, q.params)
        # The map drawn is the hidden scheme's groups.
        header, arrays = read_payload(quiz.question_map(q))
        labels = bnviz.group_labels(q.shape, q.scheme, **q.params)
        assert len(arrays["group_id"]) == len(np.unique(labels))
        assert header["light"] is True


def test_group_answers_are_the_cells_with_the_same_statistics():
    for q in of_kind("group"):
        x = quiz.tensor(q.shape, q.seed)
        out = bnviz.normalize(x.astype(np.float64), q.scheme, **q.params)
        mean = np.broadcast_to(out.mean, q.shape)
        var = np.broadcast_to(out.var, q.shape)
        same = (mean == mean[q.cell]) & (var == var[q.cell])
        cells = {tuple(int(i) for i in c) for c in np.argwhere(same)} - {q.cell}
        assert cells == set(q.answer), q.prompt
        assert 1 <= len(q.answer) <= quiz.MAX_GROUP_CLICKS
        assert all(v in quiz.GROUP_SHAPES[a] for a, v in zip("nchw", q.shape))


def test_the_group_question_map_tells_nothing_of_the_groups():
    (q,) = quiz.generate(2, 1, ("group",))
    cell = sorted(q.answer)[0]
    header, arrays = read_payload(quiz.question_map(q, [cell, q.cell]))
    assert header["full_shape"] == header["shape"] == list(q.shape)  # every cell drawn
    assert len(arrays["group_id"]) == math.prod(q.shape)  # every cell its own group
    assert header["light"] is False and header["statistics"] is False
    assert header["clicks"] == "toggle" and header["colour_by"] == "plain"
    assert header["selected"] == list(q.cell)
    marks = arrays["marks"].reshape(q.shape)
    assert marks.sum() == 1 and marks[cell] == 1  # the given cell is never marked


def test_means_mprime_and_gamma_against_the_engine():
    checked = {"means": 0, "mprime": 0, "gamma": 0, "keras": 0}
    for q in of_kind("means") + of_kind("mprime") + of_kind("gamma"):
        d = bnviz.describe(q.shape, q.scheme, **q.params)
        right = q.choices[q.answer]
        if q.kind in ("means", "mprime"):
            x = np.random.default_rng(0).normal(size=q.shape).astype(np.float32)
            groups = np.unique(bnviz.normalize(x, q.scheme, **q.params).mean).size
            value = groups if q.kind == "means" else math.prod(q.shape) // groups
            assert right == f"{value:,}", q.prompt
        elif q.facts["framework"] == "keras":
            # Keras' gamma: one entry per position of the axis `axis` names, in its layout.
            axis = int(q.prompt.split("axis=")[1].split(")")[0])
            shown = tuple(dict(zip("NCHW", q.shape))[a] for a in q.facts["order"])
            assert right == str((shown[axis],)), q.prompt
        else:
            assert right == bnviz.text.describe.shape_text(d.torch.param_shape)
        checked[q.kind] += 1
        checked["keras"] += q.facts["framework"] == "keras"
    assert min(checked.values()) > 0, checked


def test_keras_axis_names_the_kept_axis():
    # By hand: axis=-1 on NHWC data keeps C (batch norm); axis=-1 on NCHW data keeps W.
    found = {}
    for q in of_kind("means") + of_kind("mprime"):
        if q.facts["framework"] == "keras":
            axis = int(q.prompt.split("axis=")[1].split(")")[0])
            found[(q.facts["order"], axis)] = q.params["keep"]
    assert found.get(("NHWC", -1), "C") == "C"
    assert found.get(("NHWC", 1), "H") == "H"
    assert found.get(("NCHW", -1), "W") == "W"
    assert found.get(("NCHW", 1), "C") == "C"
    assert len(found) >= 3


@pytest.mark.parametrize(
    ("shape", "scheme", "params", "module"),
    [
        ((8, 16, 5, 5), "batch", {}, "BatchNorm2d"),
        ((4, 6, 7, 7), "layer", {}, "LayerNorm"),
        ((4, 8, 4, 4), "group", {"num_groups": 2}, "GroupNorm"),
        ((2, 3, 5, 5), "instance", {}, "InstanceNorm2d"),
    ],
)
def test_gamma_shapes_are_pytorchs(shape, scheme, params, module):
    torch = pytest.importorskip("torch")
    d = bnviz.describe(shape, scheme, **params)
    layer = eval(d.torch.module, {"torch": torch})  # the recipe the question shows
    assert type(layer).__name__ == module
    assert tuple(layer.weight.shape) == d.torch.param_shape


def test_lecture_answers():
    expected = {
        "The number of γ": "the number of feature maps",
        "Batch norm after a convolution": "one feature map across the whole mini-batch",
        "Instance norm computes": "sample and channel",
        "Layer norm's output": "no",
        "In evaluation mode": "the running estimates kept in training",
    }
    seen = set()
    for q in quiz.generate(0, 5, ("lecture",)):
        key = next(k for k in expected if k in q.prompt)
        assert q.choices[q.answer] == expected[key]
        seen.add(key)
    assert seen == set(expected)  # five lecture questions in a row: each once
    n, c, h, w = quiz.LECTURE_SHAPE
    assert bnviz.describe(quiz.LECTURE_SHAPE, "batch").param_count == c != n
    assert quiz.lecture_fact("eval_uses_running", "batch") is True


def test_momentum_answers_make_the_same_estimates():
    for q in of_kind("momentum"):
        keras_m, torch_m = q.facts["keras"], q.facts["pytorch"]
        assert math.isclose(keras_m + torch_m, 1.0)  # by hand: PyTorch's is 1 − Keras'
        right = float(q.choices[q.answer].split("=")[1])
        assert right in (keras_m, torch_m)
        batches = np.random.default_rng(1).normal(size=(4, 8, 3, 1, 1))
        runs = []
        for convention, m in (("keras", keras_m), ("pytorch", torch_m)):
            stats = RunningStatistics("batch", convention=convention, momentum=m)
            for x in batches:
                stats.update(x)
            runs.append(stats.mean)
        np.testing.assert_allclose(runs[0], runs[1], rtol=1e-10)
        trap = [c for c in q.choices if c.startswith("momentum=") and c != q.choices[q.answer]]
        assert trap and float(trap[0].split("=")[1]) != right


def test_variance_answers():
    conventions = set()
    for q in of_kind("variance"):
        values = [float(v) for v in q.prompt.split("values ")[1].split(".")[0].split(", ")]
        unbiased = CONVENTIONS[q.facts["convention"]].unbiased
        # By hand: PyTorch and Caffe store the unbiased variance, Keras the biased one.
        assert unbiased == (q.facts["convention"] in ("pytorch", "caffe"))
        assert math.isclose(q.facts["biased"], np.var(values))
        assert math.isclose(q.facts["stored"], np.var(values, ddof=1 if unbiased else 0))
        assert ("unbiased" in q.choices[q.answer]) == unbiased
        conventions.add(q.facts["convention"])
    assert conventions == set(CONVENTIONS)


def test_eps_answers():
    found = set()
    for q in of_kind("eps"):
        divide = q.facts["divide"]
        assert divide == ("std_plus_eps" if q.scheme == "mvn" else "std")
        eps = q.facts["eps"]
        # The group 0, 0.002: μ = 0.001, σ = 0.001.
        by_hand = (
            0.001 / (0.001 + eps) if divide == "std_plus_eps" else 0.001 / math.sqrt(1e-6 + eps)
        )
        assert math.isclose(abs(q.facts["x_hat"]), by_hand, rel_tol=1e-9)
        assert q.choices[q.answer].startswith("added to σ" if q.scheme == "mvn" else "inside")
        found.add(q.scheme)
    assert "mvn" in found and len(found) >= 3


def test_links_open_the_view_of_the_answer():
    for q in QUESTIONS:
        parts = urlsplit(q.link)
        query = dict(parse_qsl(parts.query))
        if parts.path == "/":
            values, notices = urlstate.parse(explorer.FIELDS, query)
            assert not notices, q.link
            if q.shape is not None:
                assert (values["n"], values["c"], values["h"], values["w"]) == q.shape
                assert values["seed"] == q.seed
            assert values["scheme"] == q.scheme
            assert values["cell"] == q.cell or q.kind == "eps"
        else:
            assert parts.path in ("/training", "/compare"), q.link
            if parts.path == "/training":
                _, notices = urlstate.parse(training.FIELDS, query)
                assert not notices


def test_scoring_by_hand():
    (q,) = quiz.generate(5, 1, ("group",))  # group norm, G = 2: 11 other cells
    truth = sorted(q.answer)
    outside = next(
        quiz.parse_cell(c) for c in quiz.cell_options(q) if quiz.parse_cell(c) not in q.answer
    )
    exact = quiz.score(q, truth + [q.cell])  # the given cell is left out of both sets
    assert exact.score == 1 and exact.right and exact.text.startswith("Right")
    half = quiz.score(q, truth[:1] + [outside])
    assert math.isclose(half.score, 1 / 12)  # 1 right of 1 + 10 missed + 1 extra
    assert half.missed == frozenset(truth[1:]) and half.extra == frozenset({outside})
    assert "= 1 ÷ 12 = 0.08" in half.text and half.text.startswith("Partly right (0.08)")
    assert quiz.score(q, []).score == 0
    choice = quiz.generate(0, 1, ("eps",))[0]
    assert quiz.score(choice, choice.answer).right
    wrong = quiz.score(choice, (choice.answer + 1) % len(choice.choices))
    assert not wrong.right and f"the answer is “{choice.choices[choice.answer]}”" in wrong.text


@settings(max_examples=40, deadline=None)
@given(st.sets(st.integers(0, 200)), st.sets(st.integers(0, 200)))
def test_group_score_is_the_jaccard_index(marked, truth):
    q = quiz.Question(1, "group", "", (), frozenset((0, 0, 0, t) for t in truth), "", "/", "")
    q = quiz.Question(**{**q.__dict__, "cell": (9, 9, 9, 9)})
    scored = quiz.score(q, [(0, 0, 0, m) for m in marked])
    union = marked | truth
    assert scored.score == (len(marked & truth) / len(union) if union else 1.0)
    assert len(scored.missed) == len(truth - marked) and len(scored.extra) == len(marked - truth)


def test_answer_maps_mark_right_missed_and_extra():
    (q,) = quiz.generate(5, 1, ("group",))
    truth = sorted(q.answer)
    outside = next(
        quiz.parse_cell(c) for c in quiz.cell_options(q) if quiz.parse_cell(c) not in q.answer
    )
    scored = quiz.score(q, truth[:3] + [outside])
    header, arrays = read_payload(quiz.answer_map(q, scored))
    marks = arrays["marks"].reshape(q.shape)
    assert (marks == 1).sum() == 3 and (marks == 2).sum() == len(truth) - 3
    assert marks[outside] == 3 and header["selected"] == list(q.cell)
    assert [s["style"] for s in header["mark_styles"]] == ["dot", "ring", "cross"]


def test_summary():
    questions = quiz.generate(0, 3, ("eps", "lecture", "momentum"))
    results = {1: quiz.score(questions[0], questions[0].answer)}
    text = quiz.summary(questions, results, "http://host/quiz?qseed=0")
    assert "Score: 1 of 3 (33%)." in text
    assert "Quiz link: http://host/quiz?qseed=0" in text
    assert text.count("not answered") == 2
    assert f"right: {questions[1].right_text}" in text


@settings(max_examples=25, deadline=None)
@given(
    st.integers(0, 2**31 - 1),
    st.integers(1, 12),
    st.sets(st.sampled_from(tuple(quiz.KINDS)), min_size=1),
)
def test_any_quiz_asks_only_its_kinds_with_one_right_answer(seed, count, kinds):
    questions = quiz.generate(seed, count, kinds)
    assert len(questions) == count and {q.kind for q in questions} <= kinds
    assert len({q.kind for q in questions}) == min(count, len(kinds))
    for q in questions:
        if q.kind == "group":
            labels = bnviz.group_labels(q.shape, q.scheme, **q.params)
            same = {tuple(int(i) for i in c) for c in np.argwhere(labels == labels[q.cell])}
            assert set(q.answer) == same - {q.cell}
        else:
            assert len(set(q.choices)) == len(q.choices) and 0 <= q.answer < len(q.choices)
        assert q.explanation and q.link.startswith("/")


def test_layer_questions_name_the_statistic_the_layer_computes():
    """RMSNorm computes mean squares, not means and variances: its counting questions and their
    explanations say so; a layer that uses the variance says means and variances."""
    asked = {}
    for seed in range(200):
        for q in quiz.generate(seed, 6, ["means", "mprime"]):
            d = bnviz.describe(q.shape, q.scheme, **q.params)
            asked.setdefault(d.formula.divide, []).append(q)
    assert {"std", "rms"} <= set(asked)
    for q in asked["rms"]:
        assert "mean square" in q.prompt and "means " not in q.prompt
        assert "mean squares" in q.explanation and "variance" not in q.explanation
        assert "γ has" in q.explanation and "(no β)" in q.explanation
    for q in asked["std"]:
        assert "mean" in q.prompt and "mean square" not in q.prompt
        assert "variances" in q.explanation
