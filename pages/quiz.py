"""Quiz: questions generated from a seed, answered one at a time with instant feedback.

Thin on purpose: reads the settings from the URL (seed, number of questions, kinds, so a teacher
hands a class one link), calls bnviz.views.quiz through bnviz.ui.quiz (the questions and maps
cached, the student's answers kept in the session) and lays the question, the feedback and the
summary out.
"""

import streamlit as st

from bnviz.text import quiz as words
from bnviz.ui import core as ui
from bnviz.ui import groupmap as ui_map
from bnviz.ui import quiz as ui_quiz
from bnviz.ui import share as ui_share
from bnviz.views import quiz

PAGE = "quiz"
FIELD = {f.key: f for f in quiz.FIELDS}


def settings_sidebar() -> None:
    sb = st.sidebar
    sb.header("Quiz")
    ui.number_row(sb, (FIELD["qseed"], {"label": "Seed"}), (FIELD["qn"], {"label": "Questions"}))
    sb.button(
        "New questions (another seed)", on_click=ui_quiz.new_seed, width="stretch", key="quiz.new"
    )
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


def pictures_column(settings, sig, question, scored, present: bool) -> None:
    """Before the answer, the question's map; after it, the right answer's (and a wrong
    choice's)."""
    marks = ui_quiz.marks(sig, question)
    if scored is None:
        payload = ui_quiz.picture(settings, question.number, "question", marks, present)
        if question.kind == "group":
            ui_map.group_map(
                payload,
                key=f"quiz.{sig}.map{question.number}",
                on_marked=ui_quiz.set_marks(sig, question),
            )
            st.caption(
                "Click a cell to mark it (a blue dot), click it again to unmark it; or pick the "
                "cells in the list. The outlined cell is the given one."
            )
        else:
            ui_map.group_map(payload, key=f"quiz.{sig}.map{question.number}")
        return
    payload = ui_quiz.picture(settings, question.number, "answer", marks, present)
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
            ui_quiz.picture(settings, question.number, f"choice{choice}", (), present),
            key=f"quiz.{sig}.choicemap{question.number}",
        )


def question_section(settings, sig: str, question, scored, present: bool) -> None:
    if present:  # a projector keeps the room for the map
        st.markdown(f"**{question.number}.** {question.prompt}")
    else:
        st.subheader(f"Question {question.number}: {quiz.KINDS[question.kind]}")
        st.markdown(question.prompt)
    answered = scored is not None
    if quiz.has_pictures(question, scored):
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
                key=ui_quiz.cells_key(sig, question.number),
                disabled=answered,
                placeholder="Click cells in the map, or pick them here",
            )
        else:
            st.radio(
                "Your answer",
                question.choices,
                index=None,
                key=ui_quiz.choice_key(sig, question.number),
                disabled=answered,
            )
        st.button(
            "Check",
            key="quiz.check",
            type="primary",
            disabled=answered,
            on_click=ui_quiz.check,
            args=(sig, question),
        )
        if ui_quiz.unchosen(question):
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
    total = quiz.total(results)
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
        on_click=ui_quiz.go_to,
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
    row.button("Start again", on_click=ui_quiz.restart, args=(sig,), key="quiz.restart")


def navigation(sig: str, current: int, count: int, answered: bool) -> None:
    row = st.container(horizontal=True)
    row.button(
        "Previous question",
        key="quiz.previous",
        disabled=current <= 1,
        on_click=ui_quiz.go_to,
        args=(sig, current - 1),
    )
    row.button(
        "Next question" if current < count else "See your results",
        key="quiz.next",
        type="primary" if answered else "secondary",
        on_click=ui_quiz.go_to,
        args=(sig, current + 1),
    )


def quiz_page() -> None:
    ui.page_setup("Quiz")
    values = ui.load_state(PAGE, quiz.FIELDS, quiz.constrain)
    settings_sidebar()
    present = ui_share.page_header(
        PAGE,
        "Quiz",
        "Questions on which cells share a mean and a variance, made fresh from the seed in "
        "the link. Answer, press Check, and see why, with the picture and a link to the page "
        "that shows it.",
    )["present"]
    settings = quiz.quiz_settings(values)
    sig = ui_quiz.signature(settings)
    questions = ui_quiz.questions_for(*settings)
    results = ui_quiz.results(sig)
    current = ui_quiz.current(sig, len(questions))
    total = quiz.total(results)
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
