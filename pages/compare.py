"""Compare: 2 to 4 schemes side by side on one tensor, with one selected cell shared by every view.

Thin on purpose: it reads the controls and the URL, calls bnviz.views.compare, bnviz.views.explorer (cached
through bnviz.ui.core), bnviz.figures and bnviz.figures.cube, and lays the results out.
"""

import streamlit as st

from bnviz import InputError
from bnviz.engine.schemes import SCHEMES, scheme_label
from bnviz.figures import cube
from bnviz.text import answers
from bnviz.ui import core as ui
from bnviz.ui import groupmap as ui_map
from bnviz.ui import share as ui_share
from bnviz.ui import slots as ui_slots
from bnviz.views import compare, explorer

PAGE = "compare"


def map_key(slot: int) -> str:
    return f"compare.map{slot}"


def table(rows: list[dict]) -> None:
    """``st.table`` of rows whose text is shown as written (st.table reads Markdown in cells)."""
    st.table(
        [
            {
                k: v.replace("*", r"\*").replace("_", r"\_") if isinstance(v, str) else v
                for k, v in row.items()
            }
            for row in rows
        ]
    )


# --- Controls ---------------------------------------------------------------------------------


def top_controls(values: dict, shape: tuple) -> None:
    """How many schemes, and the selected cell by keyboard."""
    left, right = st.columns([1, 2], gap="medium")
    ui_slots.count_radio(PAGE, values, "Schemes side by side", container=left)
    ui.cell_inputs(shape, values["cell"], container=right, label_format="cell {}")
    ui.layout_select(left, "The groups, sentences and PyTorch code follow the layout.")


# --- Views ------------------------------------------------------------------------------------


def slot_map(slot: int, values: dict, result, tensor, plan) -> None:
    """One scheme's group map; hovering any map lights the hovered cell's group in every map."""
    label = scheme_label(result.layout.scheme, result.layout.params)
    ui_map.group_map(
        explorer.group_map_payload(
            result,
            plan=plan,
            cell=values["cell"],
            tensor=tensor,
            link="compare",
            title=f"{slot}. {label}",
            file_name=f"bnviz-compare-{slot}",
        ),
        key=map_key(slot),
    )


def slot_text(slot: int, values: dict, results: dict, plan) -> None:
    """One scheme's summary, its twin if any, and the shared cell's group in it."""
    result = results[slot]
    d = result.description
    cell = values["cell"]
    st.info(d.summary)
    twin = compare.earlier_twin({k: r.layout for k, r in results.items()}, slot)
    if twin is not None:
        st.caption(
            f"On this tensor these are the same groups as scheme {twin} "
            f"({scheme_label(results[twin].layout.scheme, results[twin].layout.params)})."
        )
    if cell is None:
        st.caption("Click a cell of any map, or set n, c, h, w above.")
    else:
        cell_text(cell, result)
        if plan.position(cell) is None:
            st.caption(
                "The cell lies beyond the drawn part of the map; its group shows where drawn."
            )
    if any(p.kind == "axes" for p in d.scheme.params):
        st.markdown(compare.custom_note(d.layout.params["keep"], result.x.shape))


def cell_text(cell: tuple, result: explorer.ExplorerResult) -> None:
    """The shared cell's group in this view, its statistics and how many cells share them."""
    d = result.description
    details = explorer.cell_details(result, cell)
    others = d.group_size - 1
    st.markdown(
        f"**Cell {tuple(cell)}** → group {details.group:,} of {d.groups:,}: shares "
        f"{d.shared_values(details.mean, details.var, 4)} with "
        f"{others:,} other cell{'s' if others != 1 else ''} (m′ = {d.factors_text})."
    )


def cube_view(slot: int, values: dict, result: explorer.ExplorerResult) -> None:
    fig = cube.group_cube_figure(result.labels, values["cell"], height=340)
    ui_share.chart(fig, f"bnviz-cube-{slot}", key=f"compare.cube{slot}")
    meta = fig.layout.meta
    if values["cell"] is not None and not meta["cell_drawn"]:
        st.caption(
            "The selected cell lies beyond the drawn voxels"
            + (
                "; so does all of its group."
                if not meta["members"]
                else "; its group shows where drawn."
            )
        )


def slot_rows(slots) -> list:
    """The slots in rows as the maps stand (four as two rows of two)."""
    per_row = compare.maps_per_row(len(slots))
    return [slots[start : start + per_row] for start in range(0, len(slots), per_row)]


def row_columns(row, results: dict) -> list:
    """(slot, column) for the slots of ``row`` that have a result, in equal columns."""
    columns = st.columns(len(row), gap="medium")
    return [(slot, column) for slot, column in zip(row, columns) if slot in results]


def cubes_section(values: dict, shape: tuple, results: dict, slots) -> None:
    """Each scheme's groups as an N × C × (H·W) cube, in rows like the maps."""
    extent = cube.cube_extent(shape)
    st.caption(
        "As in the Group Normalization paper's figure: each voxel is one cell, the locations "
        "(h, w) laid along one axis as p = h·W + w. The selected cell's group is shaded, the "
        "cell itself darker; drag to rotate."
        + (
            f" Drawn: the first {extent[0]} samples, {extent[1]} channels and {extent[2]} "
            f"locations (at most {' × '.join(map(str, cube.MAX_EXTENT))})."
            if extent != (shape[0], shape[1], shape[2] * shape[3])
            else ""
        )
    )
    for row in slot_rows(slots):
        for slot, column in row_columns(row, results):
            with column:
                params = results[slot].layout.params
                label = scheme_label(values["schemes"][slot - 1], params)
                st.markdown(f"**{slot}. {label}**")
                cube_view(slot, values, results[slot])


def table_section(values: dict, shape: tuple) -> None:
    st.subheader(f"Every scheme on a tensor of shape {tuple(shape)}")
    configs = compare.table_configs(values, shape[1])
    table(compare.scheme_rows(shape, configs, values["layout"]))
    st.caption(
        "m′: how many values each mean and variance is taken over. γ and β as the PyTorch module "
        "holds them; running statistics where the module keeps them (in training it updates "
        "them, in evaluation it normalizes with them)."
    )
    with st.expander("Conventions behind these numbers"):
        for scheme_id in dict.fromkeys(s for s, _ in configs):
            for note in SCHEMES[scheme_id].notes:
                st.markdown(f"- **{SCHEMES[scheme_id].name}**: {note}")


def frameworks_section(x, shape: tuple) -> None:
    st.subheader("Axes in frameworks")
    st.markdown(
        "PyTorch lays activations out channels first, **NCHW**; TensorFlow and Keras default to "
        "channels last, **NHWC**. An `axis` argument names the axis that **keeps** its own "
        "statistics: every other axis is reduced. PyTorch's `BatchNorm2d` keeps dim 1 of NCHW "
        "and Keras' `BatchNormalization(axis=-1)` keeps the last axis of NHWC: both keep C, "
        "one mean and variance per channel."
    )
    st.markdown("**Which axis an index names** in each layout:")
    table(compare.axis_rows())
    st.markdown("**What an `axis` argument keeps**, on this tensor's shape:")
    st.dataframe(compare.axis_example_rows(shape), hide_index=True)
    st.markdown(
        "**Computed on this tensor**: batch norm by the engine on the channels-first tensor, and "
        "a plain NumPy reference that keeps the last axis of `np.moveaxis(x, 1, -1)` and reduces "
        "the others; the difference is rounding."
    )
    table(compare.check_rows(compare.framework_checks(x)))
    st.caption(
        "1-D inputs (N, C, L) are what PyTorch's BatchNorm1d takes (and the engine takes "
        "directly); 3-D inputs (N, C, D, H, W) are BatchNorm3d's, checked here by splitting H "
        "into D × H/D. Lua Torch's nn had SpatialBatchNormalization (N × C × H × W) and "
        "VolumetricBatchNormalization (N × C × D × H × W); its BatchNormalization took N × D. "
        + compare.defaults_sentence()
    )


def share_section(tensor, results: dict) -> None:
    """The link and a Markdown answer with every compared scheme's numbers."""
    current = compare.tidy(ui.read_widgets(compare.FIELDS))
    cell = current["cell"]
    descriptions = [result.description for result in results.values()]
    groups = (cell, [int(r.labels[cell]) for r in results.values()]) if cell else None
    ui_share.link_panel(
        compare.FIELDS,
        current,
        PAGE,
        lambda url: answers.compare_answer(
            descriptions, cell_groups=groups, tensor=tensor.description, url=url
        ),
    )


def compare_page() -> None:
    ui.page_setup("Compare")
    values, tensor, problem = ui.open_tensor_page(
        PAGE, compare.FIELDS, compare.constrain, compare.fit_to_shape
    )

    ui_share.page_header(
        PAGE,
        "Compare schemes side by side",
        "One tensor, several normalizations. Each colour is one group of cells sharing a mean "
        "and a variance. Click a cell in any map (or set n, c, h, w): it is selected in every "
        "view, and each view lights up the group that cell belongs to there.",
    )
    if problem is not None:
        ui.show_input_error(problem)
        return
    ui.show_tensor_origin(tensor)
    shape = tensor.x.shape
    top_controls(values, shape)

    slots = range(1, len(values["schemes"]) + 1)
    results = {}
    # Three rows of columns, so that the maps line up whatever each scheme's controls and text.
    for slot, column in zip(slots, st.columns(len(slots), gap="medium")):
        with column:
            ui_slots.slot_controls(PAGE, slot, values, shape[1])
            try:
                results[slot] = ui.explorer_result(compare.slot_values(values, slot))
            except InputError as error:
                ui.show_input_error(error)
    plan = compare.map_plan(shape, len(slots))
    for row in slot_rows(slots):
        for slot, column in row_columns(row, results):
            with column:
                slot_map(slot, values, results[slot], tensor, plan)
        for slot, column in row_columns(row, results):
            with column:
                slot_text(slot, values, results, plan)
    first = next(iter(results.values()), None)
    if first is not None:
        st.caption(explorer.map_caption(first, "group", plan, linked=True))
        if first.held != "NCHW":
            st.caption(explorer.layout_caption(first))

    st.subheader("The same groups in 3-D: N × C × (H·W)")
    if st.toggle(
        "Show the cubes",
        key=ui.widget_key("cubes"),
        help="Rotatable 3-D figures: they take a few seconds to draw, so they start hidden.",
    ):
        cubes_section(values, shape, results, slots)
    else:
        st.caption(
            "As in the Group Normalization paper's figure: each scheme's groups as a cube of "
            "N × C × (H·W) voxels. Switch them on above."
        )

    table_section(values, shape)
    frameworks_section(tensor.x, shape)
    share_section(tensor, results)


compare_page()
ui_share.finish_page(compare.FIELDS, compare.tidy)
