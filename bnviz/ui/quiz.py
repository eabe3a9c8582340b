"""Streamlit glue of the Quiz page: the questions and their maps cached, the student's answers
in the session.

A quiz is its settings (seed, number of questions, kinds: :func:`bnviz.views.quiz.quiz_settings`);
:func:`signature` names it, and the session keeps, per quiz, the checked answers
(:data:`RESULTS`, {number: Scored}) and the question shown (:data:`CURRENT`).  A quiz's widgets
are keyed ``quiz.<signature>.…``, so another quiz starts with fresh widgets and
:func:`restart` clears them.  Scoring itself is :func:`bnviz.views.quiz.score` (pure).
"""

from __future__ import annotations

import hashlib
import secrets

import streamlit as st

from ..figures import style
from ..views import quiz
from . import core as ui

#: Session keys: per quiz (its signature), the checked answers {number: Scored} and the
#: question shown.
RESULTS = "quiz.results"
CURRENT = "quiz.current"
#: Set by :func:`check` to the question's number when Check was pressed with no choice.
UNCHOSEN = "quiz.unchosen"


@st.cache_data(max_entries=8, ttl=ui.CACHE_LIMITS["ttl"], show_spinner="Making the questions…")
def questions_for(seed: int, count: int, kinds: tuple) -> tuple:
    return quiz.generate(seed, count, kinds)


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


def signature(settings: tuple) -> str:
    """A short name of the quiz, for its widgets' keys (a new quiz starts with fresh widgets)."""
    return hashlib.sha256(repr(settings).encode()).hexdigest()[:10]


def new_seed() -> None:
    st.session_state[ui.widget_key("qseed")] = secrets.randbelow(100_000)  # short links


def results(sig: str) -> dict:
    """The quiz's checked answers so far, {number: Scored} (kept in the session)."""
    return st.session_state.setdefault(RESULTS, {}).setdefault(sig, {})


def current(sig: str, count: int) -> int:
    """The question shown, 1 to ``count``; ``count + 1`` is the summary."""
    return min(st.session_state.setdefault(CURRENT, {}).get(sig, 1), count + 1)


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


def marks(sig: str, question) -> tuple:
    """The cells marked so far, as :func:`picture` takes them (none but for the group kind)."""
    return tuple(marked(sig, question)) if question.kind == "group" else ()


def check(sig: str, question) -> None:
    """The Check button: score the answer given, or flag that none was chosen."""
    if question.kind == "group":
        response = marked(sig, question)
    else:
        response = st.session_state.get(choice_key(sig, question.number))
        if response is None:
            st.session_state[UNCHOSEN] = question.number
            return
        response = question.choices.index(response)
    results(sig)[question.number] = quiz.score(question, response)


def unchosen(question) -> bool:
    """Whether Check was just pressed on ``question`` with no choice (the flag is cleared)."""
    return st.session_state.pop(UNCHOSEN, None) == question.number


def set_marks(sig: str, question):
    """The map's ``on_marked``: the cells clicked become the list's selection (the given cell
    left out)."""
    key = cells_key(sig, question.number)

    def apply(cells) -> None:
        st.session_state[key] = [quiz.cell_label(c) for c in cells if c != question.cell]

    return apply
