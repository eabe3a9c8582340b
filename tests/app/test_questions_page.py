"""The Questions page: every declared question opens its view, and its answer's numbers are the
page's numbers; search, topics and the one-question link; the README's list is generated."""

import re
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, open_app, open_link

from bnviz.figures.thumbnail import FADE, GAP_PX, lines_thumbnail, map_thumbnail
from bnviz.text.answers import escape_markdown
from bnviz.views import questions, urlstate

PAGE = "pages/questions.py"
#: Every element type whose text a person reads on a page.
TEXT_ELEMENTS = (
    "markdown", "caption", "latex", "code", "title", "header", "subheader", "info", "warning",
    "success", "error", "text",
)  # fmt: skip
#: A number as the answers write it: 21,160 / -2.985 / 1e-05 / 0.1 (not the 2 of "BatchNorm2d").
NUMBER = re.compile(r"(?<![\w.])-?\d[\d,]*(?:\.\d+)?(?:e-?\d+)?(?![\w])")


def page_text(at) -> str:
    """Everything the page shows as text, Markdown escapes removed, tables included."""
    parts = [str(el.value) for kind in TEXT_ELEMENTS for el in at.get(kind)]
    for table in at.get("table") + at.get("dataframe"):
        parts.append(table.value.to_string())
    return "\n".join(parts).replace("\\", "")


#: A question's title as the page writes it.
TITLES = {f"**{escape_markdown(q.title)}**" for q in questions.QUESTIONS}


def is_title(markdown: str) -> bool:
    return markdown in TITLES


def numbers(text: str) -> set[str]:
    return {m.group().lstrip("-") for m in NUMBER.finditer(text)}


def test_at_least_fifteen_questions_each_declared_once_with_a_known_topic_and_page():
    assert len(questions.QUESTIONS) >= 15
    assert len(questions.QUESTIONS_BY_ID) == len(questions.QUESTIONS)
    for q in questions.QUESTIONS:
        assert q.topic in questions.TOPICS and q.page in questions.PAGE_MODELS
        assert (ROOT / questions.PAGE_MODELS[q.page].script).is_file()
    assert set(questions.TOPICS) == {q.topic for q in questions.QUESTIONS}  # no empty topic


@pytest.mark.parametrize("question", questions.QUESTIONS, ids=lambda q: q.id)
def test_each_link_opens_its_page_and_shows_every_number_of_the_answer(question):
    answer = question.compute()
    assert 1 <= len(answer.sentences) <= 3
    assert not questions.open_view(question.page, question.query).notices
    at = open_link(question.link)
    assert not at.warning, [w.value for w in at.warning]  # nothing in the link was replaced
    shown = numbers(page_text(at))
    said = numbers(" ".join(answer.sentences))
    assert said, question.id  # every answer gives numbers
    assert said <= shown, (question.id, sorted(said - shown))


@pytest.mark.parametrize("question", questions.QUESTIONS, ids=lambda q: q.id)
def test_each_picture_is_a_small_rgb_image_with_a_caption(question):
    picture = question.compute().picture
    image = picture.image
    assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3
    assert 10 <= image.shape[0] <= 200 and 40 <= image.shape[1] <= 300
    assert len(np.unique(image.reshape(-1, 3), axis=0)) >= 2  # not blank
    assert picture.caption


# What each question's answer must say, in its words (question id, phrase).
ANSWER_PHRASES = [
    ("spatial-locations", "10 means and 10 variances, each over 20 × 5 × 5 = 500 values"),
    ("feature-maps", "7 means and 7 variances, each over 10 × 46 × 46 = 21,160 values"),
    ("gamma-per-channel", "γ and β have 16 entries each"),
    ("gamma-per-channel", "400 entries each"),
    ("three-methods", "Method 3: Batch norm (per channel)"),
    ("choose-groups", "G = 1 groups the cells as Layer norm"),
    ("choose-groups", "G = 8 groups the cells as Instance norm"),
    ("momentum", "Keras' momentum 0.99"),
    ("momentum", "PyTorch's momentum 0.01"),
    ("running-var", "unbiased"),
    ("one-value", "Expected more than 1 value per channel when training"),
    ("eps", "LayerNorm and RMSNorm add ε inside the square root"),
    ("backward-influence", "nonzero on 144 of 864 cells"),
    ("transformers", "each over 8 values"),  # each token over its D = 8 features
]


def test_answers_say_what_the_questions_ask():
    answer = {q.id: " ".join(q.compute().sentences) for q in questions.QUESTIONS}
    for question_id, phrase in ANSWER_PHRASES:
        assert phrase in answer[question_id], (question_id, phrase)


def test_the_questions_page_lists_every_question_with_a_picture_and_a_link():
    at = open_app(PAGE)
    titles = [m.value for m in at.markdown if is_title(m.value)]
    assert len(titles) == len(questions.QUESTIONS)
    assert len(at.get("image")) == len(questions.QUESTIONS)
    links = [m.value for m in at.markdown if m.value.startswith("[Open this view")]
    assert [link.split("](")[1].rstrip(")") for link in links] == [
        q.link for q in questions.QUESTIONS
    ]


def test_search_and_topics_filter_and_live_in_the_url():
    at = open_app(PAGE, {"search": "momentum"})
    titles = [m.value for m in at.markdown if is_title(m.value)]
    assert titles == ["**Keras momentum 0.99 vs PyTorch momentum 0.1: which is which?**"]
    at.text_input(key="w.search").set_value("").run()
    at.button_group(key="w.topics").set_value(["backward"]).run()
    titles = [m.value for m in at.markdown if is_title(m.value)]
    assert len(titles) == sum(q.topic == "backward" for q in questions.QUESTIONS) == 2
    assert at.query_params["topics"] == "backward"


def test_a_search_that_finds_nothing_says_so():
    at = open_app(PAGE, {"search": "quaternion"})
    assert "No question matches “quaternion”" in at.info[0].value


def test_a_question_link_opens_that_question_alone():
    at = open_app(PAGE, {"q": "eval-mode"})
    titles = [m.value for m in at.markdown if is_title(m.value)]
    assert len(titles) == 1 and "model.eval()" in titles[0]
    at = open_app(PAGE, {"q": "no-such-question"})  # a tampered link: a notice, every question
    assert at.warning and "question" in at.warning[0].value


def test_search_matches_every_word_in_title_topic_or_keywords():
    found = {q.id for q in questions.select("layer norm")}
    assert {"transformers", "convnext", "choose-groups", "rmsnorm"} <= found
    assert {q.id for q in questions.select("", ["training"])} == {
        q.id for q in questions.QUESTIONS if q.topic == "training"
    }
    assert questions.select("zzz") == []


def test_the_readme_lists_the_questions_from_their_declarations():
    readme = (Path(ROOT) / "README.md").read_text()
    assert questions.readme_table() in readme


def test_text_fields_keep_free_text_up_to_a_limit():
    field = urlstate.Field("search", "text", "")
    assert urlstate.parse_field(field, "  layer norm ") == ("layer norm", None)
    value, notice = urlstate.parse_field(field, "x" * 1000)
    assert len(value) == urlstate.MAX_TEXT and notice is None


def test_map_thumbnail_lights_the_group_and_fades_the_rest():
    labels = np.broadcast_to(np.arange(3)[None, :, None, None], (2, 3, 4, 4))
    image = map_thumbnail(labels, highlight=labels == 1, mark=(0, 1, 0, 0))
    assert image.dtype == np.uint8 and image.shape[2] == 3
    colours = {tuple(c) for c in image.reshape(-1, 3)}
    # white ground, the lit group's colour, two faded colours and the outline
    assert (255, 255, 255) in colours and (20, 20, 20) in colours
    faded = [c for c in colours if min(c) >= round(FADE * 255) - 1 and c != (255, 255, 255)]
    assert len(faded) == 2


def test_lines_thumbnail_draws_each_line_in_its_colour():
    image = lines_thumbnail(
        [np.linspace(0, 1, 10), np.ones(10)], colours=("#FF0000", "#0000FF"), level=0.5
    )
    colours = {tuple(c) for c in image.reshape(-1, 3)}
    assert {(255, 0, 0), (0, 0, 255), (150, 150, 150)} <= colours


def test_a_sequence_of_tokens_is_drawn_one_block_per_sample_features_down():
    labels = np.broadcast_to(np.arange(4)[None, None, None, :], (2, 3, 1, 4))  # a group per token
    image = map_thumbnail(labels, highlight=labels == 0, mark=(1, 0, 0, 0))
    height, width, _ = image.shape
    cell = height // 3  # three features down
    assert height == 3 * cell and width == 2 * 4 * cell + GAP_PX  # two samples side by side
    # The lit token is a full-height column in each sample's block.
    lit_colour = tuple(image[cell // 2, cell // 2])
    assert tuple(image[height - 1, 1]) == lit_colour
