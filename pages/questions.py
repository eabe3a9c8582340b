"""Questions: the questions learners ask, each answered in two or three computed sentences, a
small picture and one link that opens the exact view.

Thin on purpose: the questions, their answers and pictures come from bnviz.views.questions
(cached through bnviz.ui.core); this script reads the search and topics and lays them out.
"""

import streamlit as st

from bnviz.text.answers import escape_markdown
from bnviz.ui import core as ui
from bnviz.ui import share as ui_share
from bnviz.views import questions

PAGE = "questions"


def question_card(question: questions.Question) -> None:
    """One question: its words, the computed answer, the picture and the link."""
    answer = ui.question_answer(question.id)
    page = ui.page_title(questions.PAGE_MODELS[question.page].script)
    with st.container(border=True):
        text, picture = st.columns([3, 2])
        text.markdown(f"**{escape_markdown(question.title)}**")
        text.caption(f"{questions.TOPICS[question.topic]} · asked in {question.asked}")
        for sentence in answer.sentences:
            text.markdown(f"- {escape_markdown(sentence)}")
        for sentence in answer.cited:
            text.caption(escape_markdown(sentence))
        text.markdown(
            f"[Open this view on the {page} page →]({question.link})",
            help=f"`{question.link}`",
        )
        picture.image(answer.picture.image, caption=answer.picture.caption, width="stretch")


def questions_page() -> None:
    ui.page_setup("Questions")
    values = ui.load_state(PAGE, questions.FIELDS)
    st.title("Questions, each answered by one link")
    st.caption(
        "Questions as learners ask them on forums and in class. Each answer is computed by bnviz "
        "for the view its link opens, with the picture that answers it; the link opens that "
        "view, where every number can be checked and changed."
    )
    ui.show_notices()
    st.text_input(
        "Search", key=ui.widget_key("search"), placeholder="e.g. momentum, eval, transformer"
    )
    st.pills(
        "Topics",
        options=list(questions.TOPICS),
        format_func=lambda t: questions.TOPICS[t],
        selection_mode="multi",
        key=ui.widget_key("topics"),
    )
    values = ui.read_widgets(questions.FIELDS)
    if values["q"]:
        shown = [questions.QUESTIONS_BY_ID[values["q"]]]
        st.caption("One question, as its link asked; “Show every question” shows them all.")
        if st.button("Show every question"):
            st.session_state[ui.widget_key("q")] = ""
            st.rerun()
    else:
        shown = questions.select(values["search"], values["topics"])
    if not shown:
        st.info(
            f"No question matches “{values['search']}” in the chosen topics. Try fewer words, or "
            "clear the topics."
        )
    else:
        st.caption(f"{len(shown)} of {len(questions.QUESTIONS)} questions.")
    for question in shown:
        question_card(question)


questions_page()
ui_share.finish_page(questions.FIELDS)
