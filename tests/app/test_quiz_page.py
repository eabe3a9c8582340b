"""The Quiz page in AppTest: answers right and wrong, the score and the feedback, the summary,
the settings in the URL, and the answer's link opening a page that shows the stated numbers."""

import re
from pathlib import Path

import pytest
from conftest import open_app, open_link

from bnviz.views import quiz

PAGE = "pages/quiz.py"
SETTINGS = {"qseed": "2", "qn": "3", "kinds": "means,variance,group"}


def questions(settings=SETTINGS):
    return quiz.generate(int(settings["qseed"]), int(settings["qn"]), settings["kinds"].split(","))


def progress(at) -> str:
    return at.get("progress")[0].proto.text


def response(question, right: bool):
    """A right or a wrong answer: the choice's index, or the marked cells (wrong: one cell of
    the group only)."""
    if question.kind == "group":
        cells = sorted(question.answer)
        return cells if right else cells[:1]
    return question.answer if right else (question.answer + 1) % len(question.choices)


def answer(at, question, right: bool):
    """Answer the shown ``question`` right or wrong and press Check."""
    given = response(question, right)
    if question.kind == "group":
        at.multiselect[0].set_value([quiz.cell_label(c) for c in given])
    else:
        at.radio[0].set_value(question.choices[given])
    return at.button(key="quiz.check").click().run()


def feedback(at) -> str:
    return (at.success or at.error)[0].value


def test_answers_right_and_wrong_score_and_feedback():
    qs = questions()
    assert "group" in {q.kind for q in qs}
    at = open_app(PAGE, SETTINGS)
    assert progress(at) == "0 of 3 answered · score 0 of 0"
    assert at.subheader[0].value.startswith(f"Question 1: {quiz.KINDS[qs[0].kind]}")

    # Question 1, right.
    at = answer(at, qs[0], right=True)
    assert at.success[0].value.startswith("Right")
    assert any(m.value == qs[0].explanation for m in at.markdown)
    assert any(qs[0].link in m.value for m in at.markdown)
    assert progress(at) == "1 of 3 answered · score 1 of 1"
    assert at.button(key="quiz.check").disabled

    # Questions 2 and 3, wrong: the right answer named, or the overlap of the marked cells.
    total = 1.0
    for k in (1, 2):
        at.button(key="quiz.next").click().run()
        assert at.subheader[0].value.startswith(f"Question {k + 1}")
        at = answer(at, qs[k], right=False)
        scored = quiz.score(qs[k], response(qs[k], right=False))
        assert not scored.right
        assert at.error[0].value == scored.text
        if qs[k].kind == "group":
            assert re.search(r"Jaccard index.* = 1 ÷ \d+", scored.text)
            assert any("not marked" in c.value for c in at.caption)
        else:
            assert f"the answer is “{qs[k].right_text}”" in scored.text
        total += scored.score
        assert progress(at) == f"{k + 1} of 3 answered · score {round(total, 2):g} of {k + 1}"

    # The summary: the score, each question, to copy and to download.
    at.button(key="quiz.next").click().run()
    code = at.code[0].value
    assert f"Score: {round(total, 2):g} of 3" in code
    assert "qseed=2" in code and "qn=3" in code
    for q in qs:
        assert f"right: {q.right_text}" in code
    assert at.get("download_button")
    at.button(key="quiz.restart").click().run()
    assert progress(at) == "0 of 3 answered · score 0 of 0"


def test_check_without_an_answer_asks_for_one():
    settings = {"qseed": "4", "qn": "1", "kinds": "eps"}
    at = open_app(PAGE, settings)
    at.button(key="quiz.check").click().run()
    assert at.warning[0].value == "Choose an answer first."
    assert progress(at) == "0 of 1 answered · score 0 of 0"


def test_the_settings_live_in_the_url():
    at = open_app(PAGE, {"qseed": "12", "qn": "4", "kinds": "picture,eps"})
    assert at.query_params["qseed"] == ["12"] or at.query_params["qseed"] == "12"
    shown = at.subheader[0].value
    first = quiz.generate(12, 4, ("picture", "eps"))[0]
    assert shown.startswith(f"Question 1: {quiz.KINDS[first.kind]}")
    # A bad value is replaced, with a notice.
    at = open_app(PAGE, {"qn": "500", "kinds": "nonsense"})
    assert at.warning
    assert progress(at) == f"0 of {quiz.MAX_QUESTIONS} answered · score 0 of 0"


@pytest.mark.parametrize("parity", [0, 1])
def test_every_kind_opens_and_answers_without_an_exception(parity):
    """Every kind answered, right in one run and wrong in the other."""
    at = open_app(PAGE, {"qseed": "3", "qn": str(len(quiz.KINDS))})
    for q in quiz.generate(3, len(quiz.KINDS), quiz.KINDS):
        right = q.number % 2 == parity
        at = answer(at, q, right=right)
        assert not at.exception, q.kind
        assert feedback(at) == quiz.score(q, response(q, right)).text
        for line in q.formulas:
            assert any(line in lat.value for lat in at.latex)
        at.button(key="quiz.next").click().run()
    assert "Score:" in at.code[0].value


def test_the_link_shows_the_stated_numbers():
    for q in quiz.generate(6, 9, ("means", "mprime", "picture", "group")):
        d = __import__("bnviz").describe(q.shape, q.scheme, **q.params)
        query = dict(p.split("=") for p in q.link.split("?")[1].split("&"))
        at = open_app(None, query)
        info = " ".join(i.value for i in at.info)
        stated = re.compile(rf"\b{d.groups:,} means?\b")
        assert stated.search(info), (q.link, info)
        assert d.factors_text in info
        # The numbers the feedback states are those the page shows.
        assert d.factors_text in q.explanation
        if q.kind != "group":
            assert stated.search(q.explanation)


def test_the_momentum_link_shows_both_momenta():
    q = next(q for q in quiz.generate(2, 4, ("momentum",)))
    query = dict(p.split("=") for p in q.link.split("?")[1].split("&"))
    at = open_app("pages/training.py", query)
    text = " ".join(m.value for m in at.markdown)
    keras, torch = q.facts["keras"], q.facts["pytorch"]
    assert f"Keras' momentum {keras:g}" in text and f"{torch:g}" in text


def test_the_readmes_quiz_link_opens_its_quiz():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    link = re.search(r"`(/quiz\?[^`]+)`", readme).group(1)
    query = dict(p.split("=") for p in link.split("?")[1].split("&"))
    at = open_app(PAGE, query)
    first = quiz.generate(int(query["qseed"]), int(query["qn"]), query["kinds"].split(","))[0]
    assert at.subheader[0].value == f"Question 1: {quiz.KINDS[first.kind]}"
    assert progress(at) == f"0 of {query['qn']} answered · score 0 of 0"
    assert "nine kinds" in readme and len(quiz.KINDS) == 9


def test_new_questions_take_another_seed_into_the_link():
    at = open_app(PAGE, {"qseed": "5", "qn": "2"})
    before = at.subheader[0].value, at.markdown[0].value
    seeds = set()
    for _ in range(3):
        at.button(key="quiz.new").click().run()
        seed = at.query_params.get("qseed")
        seeds.add(seed[0] if isinstance(seed, list) else seed)
    assert "5" not in seeds and len(seeds) >= 2
    assert (at.subheader[0].value, at.markdown[0].value) != before


def test_convention_and_lecture_links_show_what_the_feedback_says():
    seen = set()
    questions = quiz.generate(0, 18, ("eps", "variance", "lecture"))
    for q in questions:
        at = open_link(q.link)
        text = " ".join(m.value for m in at.markdown) + " ".join(i.value for i in at.info)
        if q.kind == "eps":  # the selected cell's formula, ε where the answer puts it
            latex = " ".join(lat.value for lat in at.latex)
            where = (
                r"\sigma + \varepsilon"
                if q.facts["divide"] == "std_plus_eps"
                else r"\sqrt{\sigma^2 + \varepsilon}"
            )
            assert where in latex, q.link
        elif q.kind == "variance":
            assert "PyTorch and Caffe store each batch's unbiased variance" in text
            assert "Keras stores the biased one" in text
        elif q.facts["quantity"] == "eval_uses_running":
            assert "eval" in text.lower() and "running" in text
        else:
            d = __import__("bnviz").describe(quiz.LECTURE_SHAPE, q.scheme)
            assert d.factors_text in text and d.factors_text in q.explanation, q.link
        seen.add(q.kind)
    assert seen == {"eps", "variance", "lecture"}
