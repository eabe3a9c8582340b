"""Quiz: questions generated from a seed, answered one at a time with instant feedback.

Thin on purpose: reads the settings from the URL (seed, number of questions, kinds, so a teacher
hands a class one link), calls bnviz.views.quiz (cached here) and lays the question, the
feedback and the summary out.  The student's answers live in the session.
"""

import hashlib
import secrets

import streamlit as st

from bnviz.figures import style
from bnviz.text import quiz as words
from bnviz.ui import core as ui
from bnviz.ui import groupmap as ui_map
from bnviz.ui import share as ui_share
from bnviz.views import quiz

PAGE = "quiz"
FIELD = {f.key: f for f in quiz.FIELDS}
#: Session keys: per quiz (its settings), the checked answers {number: Scored} and the
#: question shown.
RESULTS = "quiz.results"
CURRENT = "quiz.current"


@st.cache_data(max_entries=8, ttl=ui.CACHE_LIMITS["ttl"], show_spinner="Making the questions…")
def questions_for(seed: int, count: int, kinds: tuple) -> tuple:
    return quiz.generate(seed, count, kinds)


def signature(settings: tuple) -> str:
    """A short name of the quiz, for its widgets' keys (a new quiz starts with fresh widgets)."""
    return hashlib.sha256(repr(settings).encode()).hexdigest()[:10]


def new_seed() -> None:
    st.session_state[ui.widget_key("qseed")] = secrets.randbelow(100_000)  # short links


def settings_sidebar() -> None:
    sb = st.sidebar
    sb.header("Quiz")
    ui.number_row(sb, (FIELD["qseed"], {"label": "Seed"}), (FIELD["qn"], {"label": "Questions"}))
    sb.button("New questions (another seed)", on_click=new_seed, width="stretch", key="quiz.new")
    sb.multiselect(
        "Kinds of question",
        options=list(quiz.KINDS),
        format_func=quiz.KINDS.get,
        key=ui.widget_key("kinds"),
    )
    sb.caption(
        "The seed, the number of questions and the kinds are in the page's link: everyone who "
        "opens it gets the same questions."
    )


def go_to(sig: str, number: int) -> None:
    st.session_state.setdefault(CURRENT, {})[sig] = number


def restart(sig: str) -> None:
    st.session_state.setdefault(RESULTS, {})[sig] = {}
    go_to(sig, 1)
    for key in [k for k in st.session_state if str(k).startswith(f"quiz.{sig}.")]:
        del st.session_state[key]


def choice_key(sig: str, number: int) -> str:
    return f"quiz.{sig}.choice{number}"


def cells_key(sig: str, number: int) -> str:
    return f"quiz.{sig}.cells{number}"


def marked(sig: str, question) -> list:
    return [
        quiz.parse_cell(label)
        for label in st.session_state.get(cells_key(sig, question.number), [])
    ]


def check(sig: str, question) -> None:
    if question.kind == "group":
        response = marked(sig, question)
    else:
        response = st.session_state.get(choice_key(sig, question.number))
        if response is None:
            st.session_state["quiz.unchosen"] = question.number
            return
        response = question.choices.index(response)
    st.session_state.setdefault(RESULTS, {}).setdefault(sig, {})[question.number] = quiz.score(
        question, response
    )


def set_marks(sig: str, question):
    key = cells_key(sig, question.number)

    def apply(cells) -> None:
        st.session_state[key] = [quiz.cell_label(c) for c in cells if c != question.cell]

    return apply


@st.cache_data(max_entries=32, ttl=ui.CACHE_LIMITS["ttl"], show_spinner=False)
def picture(settings: tuple, number: int, which: str, marked: tuple, present: bool):
    """A question's map (``which``: "question", "answer" or "choice<k>"), cached; the
    question is made again from the settings (cached too)."""
    question = questions_for(*settings)[number - 1]
    font = style.PROJECTOR_MAP["font_px"] if present else 13
    if which == "question":
        tall = style.PROJECTOR_MAP["max_height_px"] if present else None
        return quiz.question_map(question, marked, font_px=font, max_height_px=tall)
    if which.startswith("choice"):
        return quiz.answer_map(question, choice=int(which[6:]), font_px=font)
    scored = quiz.score(question, marked) if question.kind == "group" else None
    return quiz.answer_map(question, scored, font_px=font)


def pictures_column(settings, sig, question, scored, present: bool) -> None:
    """Before the answer, the question's map; after it, the right answer's (and a wrong
    choice's)."""
    marks = tuple(marked(sig, question)) if question.kind == "group" else ()
    if scored is None:
        payload = picture(settings, question.number, "question", marks, present)
        if question.kind == "group":
            ui_map.group_map(
                payload,
                key=f"quiz.{sig}.map{question.number}",
                on_marked=set_marks(sig, question),
            )
            st.caption(
                "Click a cell to mark it (a blue dot), click it again to unmark it; or pick the "
                "cells in the list. The outlined cell is the given one."
            )
        else:
            ui_map.group_map(payload, key=f"quiz.{sig}.map{question.number}")
        return
    payload = picture(settings, question.number, "answer", marks, present)
    if payload is not None:
        st.markdown("**The right answer**")
        ui_map.group_map(payload, key=f"quiz.{sig}.answer{question.number}")
        if question.kind == "group":
            st.caption(words.marks_caption(scored, len(question.answer)))
        elif quiz.drawn_text(question):
            st.caption(quiz.drawn_text(question))
    if question.kind == "picture" and not scored.right:
        choice = question.choices.index(scored.given)
        st.markdown("**Your choice**")
        ui_map.group_map(
            picture(settings, question.number, f"choice{choice}", (), present),
            key=f"quiz.{sig}.choicemap{question.number}",
        )


def has_pictures(question, scored) -> bool:
    if scored is None:
        return question.kind in ("picture", "group")
    return question.scheme is not None and question.shape is not None


def question_section(settings, sig: str, question, scored, present: bool) -> None:
    if present:  # a projector keeps the room for the map
        st.markdown(f"**{question.number}.** {question.prompt}")
    else:
        st.subheader(f"Question {question.number}: {quiz.KINDS[question.kind]}")
        st.markdown(question.prompt)
    answered = scored is not None
    if has_pictures(question, scored):
        left, right = st.columns([3, 2], gap="medium")
        with left:
            pictures_column(settings, sig, question, scored, present)
    else:
        right = st.container()
    with right:
        if question.kind == "group":
            st.multiselect(
                "Marked cells (n, c, h, w)",
                options=quiz.cell_options(question),
                key=cells_key(sig, question.number),
                disabled=answered,
                placeholder="Click cells in the map, or pick them here",
            )
        else:
            st.radio(
                "Your answer",
                question.choices,
                index=None,
                key=choice_key(sig, question.number),
                disabled=answered,
            )
        st.button(
            "Check",
            key="quiz.check",
            type="primary",
            disabled=answered,
            on_click=check,
            args=(sig, question),
        )
        if st.session_state.pop("quiz.unchosen", None) == question.number:
            st.warning("Choose an answer first.", icon=ui.ICONS["notice"])
        if answered:
            feedback(question, scored)


def feedback(question, scored) -> None:
    if scored.right:
        st.success(scored.text, icon=":material/check_circle:")
    else:
        st.error(scored.text, icon=":material/cancel:")
    st.markdown(question.explanation)
    for line in question.formulas:
        st.latex(line)
    st.markdown(f"[Open it on the {question.page} page]({question.link}) (a new tab)")


def summary_section(sig: str, questions, results: dict, link: str) -> None:
    total = sum(r.score for r in results.values())
    st.subheader("Your results")
    st.markdown(
        f"**{words.number(round(total, 2))} of {len(questions)}** "
        f"({total / len(questions):.0%}), {len(results)} of {len(questions)} questions answered."
    )
    text = quiz.summary(questions, results, link)
    st.code(text, language="markdown", wrap_lines=True)
    row = st.container(horizontal=True)
    row.button(
        "Back to the questions",
        on_click=go_to,
        args=(sig, len(questions)),
        key="quiz.back",
    )
    row.download_button(
        "Download the summary (.md)",
        data=text,
        file_name=f"bnviz-quiz-{sig}.md",
        mime="text/markdown",
        on_click="ignore",
    )
    row.button("Start again", on_click=restart, args=(sig,), key="quiz.restart")


def navigation(sig: str, current: int, count: int, answered: bool) -> None:
    row = st.container(horizontal=True)
    row.button(
        "Previous question",
        key="quiz.previous",
        disabled=current <= 1,
        on_click=go_to,
        args=(sig, current - 1),
    )
    row.button(
        "Next question" if current < count else "See your results",
        key="quiz.next",
        type="primary" if answered else "secondary",
        on_click=go_to,
        args=(sig, current + 1),
    )


def quiz_page() -> None:
    ui.page_setup("Quiz")
    values = ui.load_state(PAGE, quiz.FIELDS, quiz.constrain)
    st.session_state[ui.widget_key("kinds")] = list(values["kinds"])
    settings_sidebar()
    present = ui_share.page_header(
        PAGE,
        "Quiz",
        "Questions on which cells share a mean and a variance, made fresh from the seed in "
        "the link. Answer, press Check, and see why, with the picture and a link to the page "
        "that shows it.",
    )["present"]
    settings = quiz.quiz_settings(values)
    sig = signature(settings)
    questions = questions_for(*settings)
    results = st.session_state.setdefault(RESULTS, {}).setdefault(sig, {})
    current = min(st.session_state.setdefault(CURRENT, {}).get(sig, 1), len(questions) + 1)
    total = sum(r.score for r in results.values())
    st.progress(
        len(results) / len(questions),
        text=f"{len(results)} of {len(questions)} answered · score "
        f"{words.number(round(total, 2))} of {len(results)}",
    )
    link = ui_share.page_url(quiz.FIELDS, values, PAGE)
    if current > len(questions):
        summary_section(sig, questions, results, link)
    else:
        question = questions[current - 1]
        scored = results.get(question.number)
        question_section(settings, sig, question, scored, present)
        navigation(sig, current, len(questions), scored is not None)
    with st.expander("This quiz's link, for a class"):
        st.code(link, language=None, wrap_lines=True)
        st.caption("Everyone who opens it gets the same questions; answers stay in each browser.")


quiz_page()
ui_share.finish_page(quiz.FIELDS)
