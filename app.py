"""bnviz: the home page, the Explorer. The other pages are the scripts in pages/.

Thin on purpose: it reads controls and the URL, calls the bnviz package and lays out results.
Run with `make run` (or `streamlit run app.py`).
"""

import streamlit as st

from bnviz.engine.schemes import AXES_SUBSETS, SCHEMES
from bnviz.figures import groupmap, groups, style
from bnviz.text import answers
from bnviz.ui import core as ui
from bnviz.ui import groupmap as ui_map
from bnviz.ui import share as ui_share
from bnviz.views import compare, downloads, explorer, summaries

COLOUR_LABELS = {"group": "group", "x": "value before (x)", "y": "value after (y)"}
CHART_KEY = "explorer.chart"


def scheme_controls(values: dict, channels: int) -> None:
    """The scheme, its hyper-parameters, ε and γ/β; read back with ui.read_widgets."""
    fields = {f.key: f for f in explorer.FIELDS}
    sb = st.sidebar
    sb.header("Normalization")
    sb.selectbox(
        "Scheme",
        options=list(SCHEMES),
        format_func=lambda s: SCHEMES[s].name,
        key=ui.widget_key("scheme"),
    )
    ui.layout_select(sb, "The sentences, the formula and the PyTorch code follow the layout.")
    scheme = SCHEMES[values["scheme"]]
    for param in scheme.params:
        if not ui.param_widget(param, ui.widget_key(param.name), channels, container=sb):
            sb.selectbox(  # kept axes: one of the 16 subsets of N, C, H, W
                "Axes that keep their own statistics",
                options=AXES_SUBSETS,
                format_func=lambda axes: ", ".join(axes) or "none (one mean for all)",
                key=ui.widget_key(param.name),
                help=param.help,
            )
    sb.selectbox(
        "ε",
        options=explorer.EPS_CHOICES,
        format_func=lambda e: f"default ({scheme.default_eps():g})" if e == "default" else e,
        key=ui.widget_key("eps"),
        help="Added inside the square root to σ² (PyTorch) or to the mean square (RMS), or to σ "
        "for Caffe's MVN.",
    )
    has_params = scheme.param_axes is not None
    # RMSNorm learns a scale γ and no shift β: its declaration says so.
    has_shift = explorer.default_formula(scheme).shift
    learned = "γ and β" if has_shift else "γ"
    sb.checkbox(f"Learned {learned}", key=ui.widget_key("affine"), disabled=not has_params)
    if values["affine"] and has_params:
        cols = sb.columns(2)
        ui.number_field(fields["gamma"], container=cols[0], step=0.1)
        if has_shift:
            ui.number_field(fields["beta"], container=cols[1], step=0.1)
        sb.caption(f"Every entry of {'γ and of β' if has_shift else 'γ'} gets this value.")


def selected_cell_panel(result: explorer.ExplorerResult, cell) -> None:
    """The side panel: pick a cell by keyboard, and its group, statistics and formula."""
    st.subheader("Selected cell")
    shape = result.x.shape
    ui.cell_inputs(shape, cell)
    if cell is None:
        st.info("Click any cell of the map (or set n, c, h, w above) to see its group.")
        return
    details = explorer.cell_details(result, cell)
    d = result.description
    shared = d.shared_values(details.mean, details.var)
    cells = "its single cell has" if d.group_size == 1 else "its cells share"
    st.markdown(
        f"**Group {details.group}** of {d.groups:,} ({d.size_term} m′ = {d.factors_names} = "
        f"{d.values_text}): {cells} {shared}."
    )
    for line in details.latex:
        st.latex(line)
    if d.param_shape is None:
        st.caption("This scheme has no learned γ and β.")
    else:
        st.caption(
            f"{d.learned}: {d.param_text}" + (" (not applied)." if result.weight is None else ".")
        )
    if result.plan.position(cell) is None:
        st.caption(
            "This cell lies beyond the drawn part of the map; its group is shown where drawn."
        )


def explorer_page() -> None:
    values, tensor, problem = ui.open_tensor_page(
        "explorer", explorer.FIELDS, explorer.constrain, explorer.fit_to_shape
    )
    scheme_controls(values, tensor.x.shape[1] if tensor is not None else values["c"])

    view = ui_share.page_header(
        "explorer",
        "Which cells share a mean and a variance?",
        "Rows are samples, columns are channels, each tile one feature map. Every colour is "
        "one group: its cells are normalized with one mean and one variance. Click a cell.",
        teaching=True,
    )
    present = view["present"]
    result = ui.result_or_error(lambda: ui.explorer_result(values), problem)
    if result is None:
        return
    if not present:
        ui.show_tensor_origin(tensor)
    d = result.description
    if result.held != "NCHW":
        st.caption(explorer.layout_caption(result))
    st.info(d.summary)
    if any(p.kind == "axes" for p in d.scheme.params):
        st.markdown(compare.custom_note(d.layout.params["keep"], result.x.shape))

    # Presenting: the map across the whole width, first; its controls and the cell panel below.
    if present:
        map_area, panel_area = st.container(), st.container()
    else:
        map_area, panel_area = st.columns([3, 2], gap="medium")
    cell = values["cell"]
    with map_area:
        radio = st.container() if not present else None
        if view["teach"]:
            ui_share.teaching_panel(result, values["colour"])
        else:
            ui_map.group_map(
                explorer.group_map_payload(
                    result,
                    colour_by=values["colour"],
                    cell=cell,
                    tensor=tensor,
                    file_name=downloads.download_name("group-map", d),
                    **(style.PROJECTOR_MAP if present else {}),
                ),
                key=CHART_KEY,
            )
        ui.named_radio("Colour by", COLOUR_LABELS, "colour", container=radio or st)
        st.caption(explorer.map_caption(result, values["colour"]))
    with panel_area:
        selected_cell_panel(result, cell)
    if present:
        ui.show_tensor_origin(tensor)

    with st.expander("What this scheme does", expanded=True):
        for sentence in d.sentences:
            st.markdown(f"- {answers.sentence_markdown(sentence, d)}")
    st.subheader("Each group before and after")
    if st.toggle(
        "Show each group's values as box plots",
        key=ui.widget_key("boxes"),
        help="Before and after normalization, in the map's colours, with the measured means and "
        "variances.",
    ):
        selected_group = int(result.labels[cell]) if cell is not None else None
        shown = summaries.groups_to_show(result.layout, selected_group)
        ui_share.chart(
            groups.distribution_figure(
                summaries.group_summaries(result.x, result.layout, shown),
                summaries.group_summaries(result.x_hat, result.layout, shown),
                selected_group=selected_group,
                colours=groupmap.group_colour_map(result.drawn_labels()),
            ),
            downloads.download_name("distributions", d),
        )
        if len(shown) < d.groups:
            st.caption(f"The first {len(shown)} of {d.groups:,} groups (and the selected one).")

    ui_share.share_panel(
        explorer.FIELDS,
        values,
        result,
        tensor=tensor,
        cell=cell,
        recompute=ui.explorer_recompute(values),
    )


# NOTE for page authors: there is no st.navigation. Streamlit discovers the scripts in pages/;
# every page calls ui.page_setup("<Title>") first and ui_share.finish_page(<its fields>) last
# (after any early return: an error shown still leaves the page's state in the URL), and ui.PAGES
# lists each page's title and icon.
ui.page_setup("Explorer")
explorer_page()
ui_share.finish_page(explorer.FIELDS)
