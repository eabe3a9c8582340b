"""Local normalizations: LRN, MatConvNet's cross-channel and spatial norms, Caffe's MVN.

Thin on purpose: reads controls and the URL, calls bnviz.views.local_norms (cached through
bnviz.ui.core; the preset boxes kept in step by bnviz.ui.local) and bnviz.figures.local_norms,
and lays the results out.
"""

import streamlit as st

from bnviz.engine.local import LOCAL_PRESETS
from bnviz.figures import local_norms as local_figures
from bnviz.ui import core as ui
from bnviz.ui import groupmap as ui_map
from bnviz.ui import local as ui_local
from bnviz.ui import share as ui_share
from bnviz.views import explorer, local_norms

MAP_KEY = "local.map"
DIFF_KEY = "local.diff"
CELL_INPUT = "local.cell.{}"


def convention_controls(slot: str, values: dict) -> None:
    """A convention's preset, scheme and parameters in the sidebar; read back with read_widgets."""
    sb = st.sidebar
    name = local_norms.SLOT_NAMES[slot]
    sb.header(f"Convention {name}")
    matching = ui_local.show_matching_preset(slot, values)
    sb.selectbox(
        "Preset",
        [ui_local.CUSTOM, *LOCAL_PRESETS],
        format_func=local_norms.short_label,
        key=ui_local.preset_key(slot),
        on_change=ui_local.apply_preset,
        args=(slot,),
        help="Settings as a framework or paper uses them; they set the scheme and its numbers. "
        "The caption below the parameters says which.",
    )
    # Radio buttons, not a box: the schemes' names are long and a box would cut them.
    sb.radio(
        "Scheme",
        local_norms.SCHEME_IDS,
        format_func=local_norms.scheme_name,
        key=ui.widget_key(local_norms.SCHEME_KEYS[slot]),
    )
    scheme_id = values[local_norms.SCHEME_KEYS[slot]]
    for field in local_norms.param_fields(slot, scheme_id):
        param = field.key.rsplit(".", 1)[1]
        text = local_norms.param_help(scheme_id, param)
        if field.kind == "bool":
            sb.checkbox(param, key=ui.widget_key(field), help=text)
        else:
            ui.number_field(
                field,
                container=sb,
                label=param,
                help=text,
                step=local_norms.param_step(field),
                format="%g" if field.kind == "float" else None,
            )
    if matching:
        sentence = LOCAL_PRESETS[matching].sentence
        shortened = local_norms.short_label(matching) != matching
        sb.caption(f"{matching}: {sentence}" if shortened else sentence)


def convention_column(conv: local_norms.Convention, details) -> None:
    """One convention: its settings, and the selected cell's window and numbers."""
    st.subheader(f"{conv.label}")
    if conv.is_local:
        st.latex(conv.scheme.formula)
    st.caption(conv.settings_text())
    with st.expander(f"How {conv.name} works", expanded=True):
        for line in local_norms.convention_sentences(conv):
            st.markdown(f"- {line}")
    if details is None:
        return
    terms, formula = details
    if terms is not None:
        ui_share.chart(
            local_figures.window_figure(terms),
            f"bnviz-window-{conv.slot}",
            key=f"window.{conv.slot}",
        )
    else:
        st.caption(
            "MVN shares statistics: the cell's group (bright on the map for A) gives μ and σ; "
            "no window, no padding."
        )
    for line in formula.lines:
        st.latex(line)
    st.caption(" ".join(formula.notes))


def local_page() -> None:
    ui.page_setup("Local norms")
    values, tensor, problem = ui.open_tensor_page(
        "local", local_norms.FIELDS, local_norms.constrain, local_norms.fit_to_shape
    )
    for slot in local_norms.SLOTS:
        convention_controls(slot, values)

    ui_share.page_header(
        "local",
        "Local normalizations",
        "Each cell divided by its neighbourhood. Before batch norm, networks normalized each "
        "cell by the energy of a small window around it: local response norm (AlexNet, Caffe, "
        "PyTorch), MatConvNet's cross-channel and spatial norms; Caffe's MVN shares a mean and σ "
        "per group instead. Pick conventions A and B in the sidebar, then click a cell (or type "
        "its n, c, h, w).",
    )
    settings = local_norms.result_settings(values)
    cell = values["cell"]

    def computed():
        result = ui.local_result(values, settings)
        return (
            result,
            local_norms.comparison_sentences(result),
            ui.local_cell_details(values, settings, cell),
        )

    shown = ui.result_or_error(computed, problem)
    if shown is None:
        return
    result, sentences, details = shown
    ui.show_tensor_origin(tensor)
    a, b = result.a, result.b
    # The point of the page first: whether A and B differ here, why, and what makes them agree
    # (their difference map follows the two conventions below).
    with st.container(border=True):
        for sentence in sentences:
            st.markdown(sentence)

    left, right = st.columns([3, 2], gap="medium")
    with left:
        ui.named_radio("Colour by", local_norms.COLOURS, "local.colour")
        names = explorer.map_names(tensor)
        ui_map.group_map(
            local_norms.map_payload(
                result,
                values["local.colour"],
                cell=cell,
                sample_names=names[0],
                channel_names=names[1],
            ),
            key=MAP_KEY,
        )
        st.caption(
            f"Rows are samples, columns channels, each tile one feature map. Hover a cell: the "
            f"cells convention A ({a.name}) reads for its output light up; click or use the arrow "
            "keys to select it. "
            + local_norms.map_plan(result.x.shape).text_with("the outputs use the whole tensor")
        )
    with right:
        st.subheader("Selected cell")
        ui.cell_inputs(result.x.shape, cell, key_format=CELL_INPUT)
        if cell is None:
            st.info("Click any cell of the map (or set n, c, h, w above) to see its window.")
        else:
            st.markdown(
                f"Cell **{tuple(cell)}**: x = `{float(result.x[cell]):.6g}`, "
                f"y_A = `{float(result.y_a[cell]):.6g}`, y_B = `{float(result.y_b[cell]):.6g}`."
            )
            if local_norms.map_plan(result.x.shape).position(cell) is None:
                st.caption("This cell lies beyond the drawn part of the map.")
        for conv in (a, b):
            st.markdown(f"**{conv.label}** — {conv.origin}")
            preset = local_norms.matching_preset(values, conv.slot)
            st.caption(LOCAL_PRESETS[preset].sentence if preset else conv.settings_text())

    st.header("Two conventions side by side")
    col_a, col_b = st.columns(2, gap="medium")
    with col_a:
        convention_column(a, details["a"])
    with col_b:
        convention_column(b, details["b"])
    st.subheader("Difference y_A − y_B")
    ui_map.group_map(
        local_norms.map_payload(result, "diff", cell=cell, file_name="bnviz-local-difference"),
        key=DIFF_KEY,
    )
    st.caption(
        f"max |y_A − y_B| = {result.max_diff:.3g} over the whole tensor. Red: A's output is larger, "
        "blue: B's. Click a cell here too."
    )

    st.header("Equivalences, measured on this tensor")
    st.caption(
        "Each row is computed now, on the tensor above, with convention A's LRN, within-channel "
        "LRN and MVN settings (set them by choosing those schemes for A)."
    )
    st.table(ui.local_equivalences(values, settings))

    ui_share.answer_panel(
        local_norms.FIELDS,
        "local",
        f"A, {a.name}, against B, {b.name}, on a tensor of shape {tuple(tensor.x.shape)}",
        sentences,
        escape=False,
    )


local_page()
ui_share.finish_page(local_norms.FIELDS)
