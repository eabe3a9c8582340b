"""Backward: how one value of a group moves every other in the backward pass, for 2–4 schemes.

Thin on purpose: reads the controls and the URL, calls bnviz.views.backward (cached through
bnviz.ui.core) and bnviz.text.backward, and lays the results out.
"""

import streamlit as st

from bnviz.text import answers
from bnviz.text import backward as words
from bnviz.ui import core as ui
from bnviz.ui import groupmap as ui_map
from bnviz.ui import share as ui_share
from bnviz.ui import slots as ui_slots
from bnviz.views import backward, compare, explorer

PAGE = backward.PAGE


def sidebar() -> None:
    sb = st.sidebar
    sb.header("Backward pass")
    sb.selectbox(
        "ε",
        options=explorer.EPS_CHOICES,
        format_func=lambda e: "each scheme's default" if e == "default" else e,
        key=ui.widget_key("eps"),
        help="Added to σ² (or to the mean square, or to σ for Caffe's MVN) in every scheme.",
    )
    ui.named_radio("γ", words.GAMMAS, "gammas", container=sb, horizontal=False)
    sb.caption("β never enters a gradient: it only shifts y.")


def scheme_controls(values: dict, channels: int) -> None:
    """How many schemes, and each one with its hyper-parameters (in the sidebar)."""
    sb = st.sidebar
    sb.header("Schemes")
    ui_slots.count_radio(PAGE, values, "Side by side", container=sb)
    for slot in range(1, len(values["schemes"]) + 1):
        with sb:
            ui_slots.slot_controls(PAGE, slot, values, channels)


def table(rows: list, formats: dict | None = None) -> None:
    """Rows of numbers, each column in a printf format (default 4 significant digits)."""
    formats = formats or {}
    columns = {
        key: st.column_config.NumberColumn(format=formats.get(key, "%.4g"))
        for key, value in (rows[0].items() if rows else ())
        if isinstance(value, float)
    }
    st.dataframe(rows, hide_index=True, column_config=columns)


def in_rows(slots, draw) -> None:
    """``draw(slot)`` for every slot, in rows of columns that line up across sections."""
    per_row = compare.maps_per_row(len(slots))
    for start in range(0, len(slots), per_row):
        for s, column in zip(slots[start : start + per_row], st.columns(per_row, gap="medium")):
            with column:
                draw(s)


def jacobian_section(result, present: bool) -> None:
    st.subheader("One output cell, every input")
    if not present:  # a projector keeps the room for the maps; the cell is picked below them
        st.caption(
            f"Each map shows ∂y{words.cell_text(result.cell)}/∂x: how far the selected output "
            "cell moves when each input moves. It is nonzero exactly on the cell's group, the "
            "cells it shares statistics with. Click a cell (or use the arrow keys) to pick "
            "another output."
        )
        ui.cell_inputs(result.shape, result.cell, label_format="output cell {}")

    def draw(s):
        ui_map.group_map(s.jacobian_map, key=f"backward.jacobian{s.slot}")
        clip = (
            words.clip_text(s.jacobian_clip.value, s.jacobian_clip.limit, "own entry")
            if s.jacobian_clip
            else ""
        )
        st.caption(words.jacobian_caption(s.jacobian, s.label) + clip)

    in_rows(result.slots, draw)
    if present:
        ui.cell_inputs(result.shape, result.cell, label_format="output cell {}")
    labels = [s.label for s in result.slots]
    st.radio(
        "Formula with the numbers put in, for",
        options=list(range(1, len(labels) + 1)),
        format_func=lambda k: labels[k - 1],
        key=ui.widget_key("focus"),
        horizontal=True,
    )
    focus = result.slots[result.focus - 1]
    for line in words.jacobian_lines(focus.jacobian):
        st.latex(line)
    st.caption(words.jacobian_reading(focus.jacobian.formula, focus.jacobian.learned))


def loss_section(result) -> None:
    st.subheader("A loss to push on")
    left, right = st.columns([1, 2], gap="medium")
    left.selectbox(
        "Loss", list(words.LOSS_NAMES), format_func=words.LOSS_NAMES.get, key=ui.widget_key("loss")
    )
    right.markdown(f"**{result.loss_text}**: {result.dy_text}.")
    with st.container(border=True):
        st.markdown(result.why)
        for s in result.slots:
            st.markdown("- " + words.push_sentence(s.push, result.shape[0]))
    dy_column, _ = st.columns([1, 1], gap="medium")
    with dy_column:
        ui_map.group_map(result.dy_map, key="backward.dy")

    def draw(s):
        ui_map.group_map(s.dx_map, key=f"backward.dx{s.slot}")
        clip = words.clip_text(s.dx_clip.value, s.dx_clip.limit, "∂l/∂x") if s.dx_clip else ""
        st.caption(words.dx_caption(s.push) + clip)

    in_rows(result.slots, draw)
    st.markdown("**∂l/∂γ = Σ dy·x̂ and ∂l/∂β = Σ dy**")

    def params(s):
        st.markdown(f"**{s.slot}. {answers.escape_markdown(s.label)}**")
        if not s.param_rows:
            st.caption("This scheme learns no γ and β.")
            return
        table(s.param_rows)
        for line in s.param_sums:
            st.caption(line)

    in_rows(result.slots, params)


def held_section(result) -> None:
    focus = result.slots[result.focus - 1]
    st.subheader("Without the statistics' gradient")
    st.caption(words.held_caption(focus.jacobian.formula, focus.label))
    left, right = st.columns(2, gap="medium")
    with left:
        ui_map.group_map(result.held_map, key="backward.held")
    with right:
        ui_map.group_map(result.true_map, key="backward.true")
    for sentence in words.held_sentences(result.held):
        st.markdown(f"- {sentence}")
    table(result.held_rows)


def check_section(result) -> None:
    st.subheader("Check the gradient")
    left, right = st.columns([1, 1], gap="medium")
    left.toggle("Run a gradient check", key=ui.widget_key("check"))
    right.selectbox(
        "Step h (a fraction of each group's divisor d)",
        backward.STEPS,
        key=ui.widget_key("step"),
    )
    if result.check_rows is None:
        st.caption(
            "Turn it on to compare the closed form with central differences of "
            "l(x ± h) in float64, cell by cell."
        )
        return
    st.markdown(result.check_text)
    exact = "%.10g"
    table(
        result.check_rows,
        {"closed form": exact, "finite difference": exact, "|difference|": "%.2e"},
    )


def share_section(result, tensor) -> None:
    current = backward.tidy(ui.read_widgets(backward.FIELDS))
    focus = result.slots[result.focus - 1]
    ui_share.link_panel(
        backward.FIELDS,
        current,
        PAGE,
        lambda url: words.answer_markdown(
            shape=result.shape,
            cell=result.cell,
            tensor=tensor.description,
            jacobians=[(s.label, s.jacobian) for s in result.slots],
            loss=result.loss_text,
            why=result.why,
            pushes=[s.push for s in result.slots],
            held_label=focus.label,
            held=words.held_sentences(result.held),
            url=url,
        ),
    )


def backward_page() -> None:
    ui.page_setup("Backward")
    values, tensor, problem = ui.open_tensor_page(
        PAGE, backward.FIELDS, backward.constrain, backward.fit_to_shape
    )
    channels = tensor.x.shape[1] if tensor is not None else values["c"]
    scheme_controls(values, channels)
    sidebar()

    present = ui_share.page_header(
        PAGE,
        "The backward pass",
        "Cells that share a mean and a variance share their gradient too: every value of a "
        "group moves every other, through μ and σ². Pick an output cell, a loss, and 2 to 4 "
        "schemes in the sidebar.",
    )["present"]
    if problem is None and not present:
        ui.show_tensor_origin(tensor)
    result = ui.result_or_error(lambda: ui.backward_result(values, present), problem)
    if result is None:
        return
    jacobian_section(result, present)
    loss_section(result)
    held_section(result)
    check_section(result)
    if result.plan.text:
        st.caption(result.plan.text)
    if present:
        ui.show_tensor_origin(tensor)
    share_section(result, tensor)


backward_page()
ui_share.finish_page(backward.FIELDS, backward.tidy)
