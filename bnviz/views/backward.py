"""The Backward page's model: one output cell's Jacobian row, a loss pushed through 2–4 schemes,
the statistics' own gradient, and a gradient check, each measured on the page's tensor.

Pure (NumPy, no Streamlit): the page reads its URL fields and widgets, calls :func:`compute`
(cached by :mod:`bnviz.ui.core`) and lays out what it returns.  The slots (schemes side by side
and their hyper-parameters) and the selected cell are the Compare page's fields, so both pages
show the same schemes; everything is computed in float64 from the scheme declarations
(:mod:`bnviz.engine.backward`), and every sentence comes from :mod:`bnviz.text.backward`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..engine.backward import finite_differences, jacobian_row, normalize_backward
from ..engine.layout import Layout, layout
from ..engine.schemes import scheme_label
from ..figures import groupmap
from ..figures.groupmap import DrawPlan
from ..figures.style import PROJECTOR_MAP
from ..text import backward as words
from ..text.describe import Description, describe, grouping_text
from . import compare, explorer
from .urlstate import Field

PAGE = "backward"
STEPS = ("1e-2", "1e-3", "1e-4", "1e-5", "1e-6", "1e-7", "1e-8")
#: The page's own fields: the loss, γ, ε, which scheme is shown in detail, the gradient check.
PAGE_FIELDS = (
    Field("loss", "choice", "random", choices=tuple(words.LOSSES), label="loss"),
    Field("gammas", "choice", "ones", choices=tuple(words.GAMMAS), label="γ"),
    Field("eps", "choice", "default", choices=explorer.EPS_CHOICES, label="ε"),
    Field("focus", "int", 1, 1, compare.MAX_SLOTS, label="scheme in detail"),
    Field("check", "bool", False, label="gradient check"),
    Field("step", "choice", "1e-5", choices=STEPS, label="finite-difference step"),
)
FIELDS = (
    compare.TENSOR_FIELDS
    + (compare.SCHEMES_FIELD,)
    + compare.SLOT_FIELDS
    + (compare.CELL_FIELD,)
    + PAGE_FIELDS
)
#: Every cell is selected somewhere: the page opens on the first one.
DEFAULT_CELL = (0, 0, 0, 0)
#: ∂l/∂γ and ∂l/∂β tables list this many entries (and the selected cell's).
PARAM_ROWS = 6
#: The gradient check perturbs the cells with the largest |dx|, the selected one and random ones.
CHECK_LARGEST, CHECK_RANDOM, CHECK_ROWS = 10, 10, 8


# --- Fields -----------------------------------------------------------------------------------


def constrain(values: dict) -> tuple[dict, list[str]]:
    """Compare's constraints (tensor cap, 2–4 schemes), and the scheme in detail among them."""
    values, notices = compare.constrain(values)
    count = len(values["schemes"])
    if values["focus"] > count:
        notices.append(
            f"scheme in detail: {values['focus']} given, but {count} schemes are shown; using 1."
        )
        values["focus"] = 1
    return values, notices


def fit_to_shape(values: dict, shape: tuple) -> tuple[dict, list[str]]:
    """Compare's fitting (G a divisor of C), and a selected cell always inside the tensor."""
    values = dict(values)
    notices = []
    cell = values.get("cell")
    if cell is None:
        values["cell"] = DEFAULT_CELL
    elif not all(0 <= i < n for i, n in zip(cell, shape)):
        notices.append(
            f"Cell {tuple(cell)} is outside the tensor {tuple(shape)}; using {DEFAULT_CELL}."
        )
        values["cell"] = DEFAULT_CELL
    values, more = compare.fit_to_shape(values, shape)
    return values, notices + more


def tidy(values: dict) -> dict:
    """Compare's tidying: slot parameters a slot's scheme does not use back to defaults."""
    return compare.tidy(values)


def eps_for(values: dict, lay: Layout) -> float:
    """ε for a slot: the chosen one, or the scheme's default for the app's float32 tensors."""
    chosen = explorer.eps_value(values["eps"])
    return lay.scheme.default_eps(np.float32) if chosen is None else chosen


def gamma_for(values: dict, lay: Layout, slot: int) -> np.ndarray | None:
    """γ for a slot: None (1) or random in [0.5, 1.5], seeded by the tensor's seed and the slot."""
    if values["gammas"] != "random" or lay.param_shape is None:
        return None
    rng = np.random.default_rng([int(values["seed"]), 2, slot])
    return rng.uniform(0.5, 1.5, size=lay.param_shape)


def loss_gradient(loss: str, shape: tuple, cell: tuple, seed: int) -> np.ndarray:
    """dy = ∂l/∂y for one of :data:`bnviz.text.backward.LOSSES` on a tensor of ``shape``."""
    dy = np.zeros(shape)
    n, c = cell[0], cell[1]
    if loss == "random":
        dy = np.random.default_rng([int(seed), 1]).normal(size=shape)
    elif loss == "cell":
        dy[tuple(cell)] = 1.0
    elif loss == "sample":
        dy[n] = 1.0
    elif loss == "channel":
        dy[:, c] = 1.0
    else:
        dy[...] = 1.0
    return dy


# --- Results ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Clip:
    """A map whose colour scale stops short of one cell's value (drawn at the scale's end)."""

    value: float
    limit: float


@dataclass(frozen=True)
class SlotResult:
    """One scheme's part of the page.

    Attributes
    ----------
    slot : int
    label : str
        The scheme's name with the parameters that tell its variants apart.
    description : Description
    jacobian : JacobianFacts
    jacobian_map, dx_map : bytes
        Group-map payloads (:func:`bnviz.figures.groupmap.map_payload`).
    jacobian_clip, dx_clip : Clip or None
    push : PushFacts
    param_rows : list of dict
        ∂l/∂γ and ∂l/∂β per entry (empty without learned parameters).
    param_sums : list of str
        The selected cell's entry's sums written out (Markdown).
    eps : float
    """

    slot: int
    label: str
    description: Description
    jacobian: words.JacobianFacts
    jacobian_map: bytes
    jacobian_clip: Clip | None
    push: words.PushFacts
    dx_map: bytes
    dx_clip: Clip | None
    param_rows: list
    param_sums: list
    eps: float


@dataclass(frozen=True)
class BackwardResult:
    """Everything the Backward page shows, for one tensor and its settings.

    Attributes
    ----------
    shape : tuple
    cell : tuple
        The selected output cell.
    loss, loss_text, dy_text : str
    dy_map : bytes
    slots : tuple of SlotResult
    why : str
    focus : int
        The slot shown in detail (1-based).
    held : HeldFacts
    held_map, true_map : bytes
        The scheme in detail's gradient with its statistics held constant, and its true one.
    held_rows : list of dict
        The selected cell's group: each path's sums.
    check_rows : list of dict or None
        The gradient check's largest differences (None when it was not run).
    check_text : str
    plan : DrawPlan
    """

    shape: tuple
    cell: tuple
    loss: str
    loss_text: str
    dy_text: str
    dy_map: bytes
    slots: tuple
    why: str
    focus: int
    held: words.HeldFacts
    held_map: bytes
    true_map: bytes
    held_rows: list
    check_rows: list | None
    check_text: str
    plan: DrawPlan


def _colours(values: np.ndarray, plan: DrawPlan, cell: tuple) -> tuple[np.ndarray, Clip | None]:
    """Values to colour a map by: the selected cell's value clipped to the largest elsewhere when
    it would flatten every other colour (over 3 times larger), so the group's pattern shows."""
    drawn = plan.take(values)
    position = plan.position(cell)
    if position is None:
        return values, None
    others = np.abs(drawn).copy()
    own = float(drawn[position])
    others[position] = 0
    limit = float(others.max())
    if limit == 0 or abs(own) <= 3 * limit:
        return values, None
    colours = np.array(values, dtype=np.float64)
    colours[tuple(cell)] = np.clip(own, -limit, limit)
    return colours, Clip(own, limit)


def _payload(
    plan, labels, x, values, *, lay, mean, var, cell, name, title, key, extra, present, file
):
    """One map of ``values`` (N, C, H, W) on the canvas group map: coloured on a scale centred
    on 0 (see :func:`_colours`), the tooltip naming them ``name``, cells lit by ``labels``."""
    colour_values, clip = _colours(values, plan, cell)
    options = PROJECTOR_MAP if present else {}
    payload = groupmap.map_payload(
        plan,
        labels,
        x=x,
        y=values,
        mean=mean,
        var=var,
        uses_variance=False,  # without a scheme; with one, its formula says
        formula=None if lay is None else lay.scheme.formula_for(lay.params),
        colour_by="values",
        colour_values=colour_values,
        diverging=True,
        statistics=lay is not None,
        y_label=name,
        colour_label=name,
        extra=extra,
        selected=cell,
        link=key,
        title=title,
        file_name=f"bnviz-backward-{file}",
        **options,
    )
    return payload, clip


def _param_entry_text(lay: Layout, position: tuple) -> str:
    """A γ entry's name (:func:`bnviz.text.backward.param_entry_text`)."""
    return words.param_entry_text(
        [a for a in (lay.param_axes or ()) if a in lay.axis_labels], position
    )


def _param_tables(lay, grads, x, x_hat, dy, labels, cell, formula) -> tuple[list, list]:
    """∂l/∂γ and ∂l/∂β per entry (rows), and the selected cell's entry's sums written out;
    ``x_hat`` is every cell's normalized value (shape of ``x``)."""
    if lay.param_shape is None:
        return [], []
    axes = [a for a in (lay.param_axes or ()) if a in lay.axis_labels]
    where = [lay.axis_labels.index(a) for a in axes]
    position = tuple(int(cell[i]) for i in where)
    entries = list(np.ndindex(*lay.param_shape)) if lay.param_shape else [()]
    shown = entries[:PARAM_ROWS]
    if position not in shown:
        shown.append(position)
    # A sum that is 0 in exact arithmetic (Σ x̂ over whole groups) shows as 0, not as rounding.
    sum_axes = tuple(i for i, a in enumerate(lay.axis_labels) if a not in axes)
    sizes = np.abs(dy * x_hat).sum(axis=sum_axes).reshape(lay.param_shape)
    dweight = np.where(np.abs(grads.dweight) <= 1e-12 * sizes, 0.0, grads.dweight)
    rows = []
    for entry in shown:
        row = {"γ entry": _param_entry_text(lay, entry), "∂l/∂γ = Σ dy·x̂": float(dweight[entry])}
        if formula.shift:
            row["∂l/∂β = Σ dy"] = float(grads.dbias[entry])
        rows.append(row)
    # The cells sharing the selected cell's entry, in C order.
    mask = np.ones(x.shape, dtype=bool)
    for axis, value in zip(where, position):
        index = [slice(None)] * x.ndim
        index[axis] = np.arange(x.shape[axis]) != value
        mask[tuple(index)] = False
    cells = np.argwhere(mask)
    first = [tuple(c) for c in cells[:3]]
    factors = tuple((a, n) for a, n in zip(lay.axis_labels, x.shape) if a not in axes)
    count = len(cells)
    sums = words.param_sums(
        _param_entry_text(lay, position),
        factors,
        count,
        ([(dy[c], x_hat[c]) for c in first], dweight[position]),
        ([(dy[c],) for c in first], grads.dbias[position]) if formula.shift else None,
        len(np.unique(labels[mask])),
    )
    return rows, sums


def _slot(x, dy, values, slot, cell, plan, present, focus) -> tuple:
    scheme_id = values["schemes"][slot - 1]
    params = compare.slot_params(values, slot)
    lay = layout(x.shape, scheme_id, **params)
    eps = eps_for(values, lay)
    weight = gamma_for(values, lay, slot)
    d = describe(x.shape, scheme_id, eps=eps, **params)
    formula = lay.scheme.formula_for(lay.params)
    label = scheme_label(scheme_id, lay.params)
    grads = normalize_backward(x, dy, scheme_id, eps=eps, weight=weight, **params)
    row = jacobian_row(x, scheme_id, cell, eps=eps, weight=weight, **params)
    labels = lay.labels()
    group = labels == labels[cell]
    grouping = grouping_text(lay)

    # The Jacobian row: the strongest other entry of the group, and the range of the others.
    others = group.copy()
    others[cell] = False
    other = None
    low = high = other_value = other_x_hat = 0.0
    if others.any():
        magnitude = np.where(others, np.abs(row.row), -1.0)
        other = tuple(int(i) for i in np.unravel_index(np.argmax(magnitude), x.shape))
        other_value = float(row.row[other])
        other_x_hat = row.x_hat_of(float(x[other]))
        low, high = float(row.row[others].min()), float(row.row[others].max())
    jacobian = words.JacobianFacts(
        cell=tuple(cell),
        formula=formula,
        learned=lay.param_shape is not None,
        group_size=lay.group_size,
        grouping=grouping,
        mean=row.mean,
        var=row.var,
        eps=eps,
        divisor=row.divisor,
        x_hat=row.x_hat,
        gamma=row.gamma,
        own=row.own,
        other=other,
        other_x_hat=other_x_hat,
        other_value=other_value,
        low=low,
        high=high,
        nonzero=int(np.count_nonzero(row.row)),
        cells=x.size,
    )

    # dx split by path, cell by cell (float64): held, through μ, through the divisor.
    divisor = np.broadcast_to(grads.divisor, x.shape)
    scale = np.divide(1.0, divisor, out=np.zeros(x.shape), where=divisor > 0)
    gamma = 1.0 if weight is None else weight.reshape(lay.param_broadcast_shape)
    dy_hat = dy * gamma
    held = dy_hat * scale
    through_mean = -scale * grads.mean_dy_hat if formula.centre else np.zeros(x.shape)
    through_mean = np.broadcast_to(through_mean, x.shape)
    through_divisor = grads.dx - held - through_mean
    size = np.abs(held) + np.abs(through_mean) + np.abs(through_divisor)
    tolerance = 1e-9 * float(size.max()) if size.max() > 0 else 0.0
    moved = np.abs(grads.dx) > tolerance
    view = lay.view_shape
    reduced = lay.reduced_axes
    touched = (dy != 0).reshape(view).any(axis=reduced)
    spread = dy_hat.reshape(view).max(axis=reduced) - dy_hat.reshape(view).min(axis=reduced)
    flat = touched & (spread <= 1e-12 * max(1.0, float(np.abs(dy_hat).max())))
    group_sums = grads.dx.reshape(view).sum(axis=reduced)
    group_sizes = size.reshape(view).sum(axis=reduced)
    largest = np.unravel_index(np.argmax(np.abs(grads.dx)), x.shape)
    push = words.PushFacts(
        label=label,
        formula=formula,
        grouping=grouping,
        groups=lay.groups,
        group_size=lay.group_size,
        groups_touched=int(touched.sum()),
        cells_moved=int(moved.sum()),
        cells=x.size,
        flat_groups=int(flat.sum()),
        dy_samples=tuple(int(s) for s in np.flatnonzero((dy != 0).any(axis=(1, 2, 3)))),
        dx_samples=tuple(int(s) for s in np.flatnonzero(moved.any(axis=(1, 2, 3)))),
        largest_sum=float(np.abs(group_sums).max()),
        size=float(group_sizes.max()),
        largest=float(grads.dx[largest]),
        largest_cell=tuple(int(i) for i in largest),
        low=float(grads.dx.min()),
        high=float(grads.dx.max()),
    )
    x_hat = np.where(divisor > 0, (x - (grads.mean if formula.centre else 0.0)) * scale, 0.0)
    param_rows, param_sums = _param_tables(lay, grads, x, x_hat, dy, labels, cell, formula)
    title = f"{slot}. {label}"
    common = {"lay": lay, "mean": grads.mean, "var": grads.var, "cell": cell, "present": present}
    jacobian_map, jacobian_clip = _payload(
        plan,
        labels,
        x,
        row.row,
        name=f"∂y{words.cell_text(cell)}/∂x",
        title=title,
        key="backward.jacobian",
        extra={"x̂": x_hat},
        file=f"jacobian-{slot}",
        **common,
    )
    dx_map, dx_clip = _payload(
        plan,
        labels,
        x,
        grads.dx,
        name="∂l/∂x",
        title=title,
        key="backward.dx",
        extra={"∂l/∂y": dy},
        file=f"dx-{slot}",
        **common,
    )
    result = SlotResult(
        slot=slot,
        label=label,
        description=d,
        jacobian=jacobian,
        jacobian_map=jacobian_map,
        jacobian_clip=jacobian_clip,
        push=push,
        dx_map=dx_map,
        dx_clip=dx_clip,
        param_rows=param_rows,
        param_sums=param_sums,
        eps=eps,
    )
    detail = None
    if slot == focus:
        along_x_hat = x_hat[group]
        detail = {
            "facts": words.HeldFacts(
                label=label,
                formula=formula,
                group_size=lay.group_size,
                eps=eps,
                mean=row.mean,
                var=row.var,
                divisor=row.divisor,
                sum_held=float(held[group].sum()),
                sum_mean=float(through_mean[group].sum()),
                sum_divisor=float(through_divisor[group].sum()),
                sum_dx=float(grads.dx[group].sum()),
                along_held=float((held[group] * along_x_hat).sum()),
                along_dx=float((grads.dx[group] * along_x_hat).sum()),
                size=float(size[group].sum()),
            ),
            "rows": _held_rows(
                formula, held, through_mean, through_divisor, grads.dx, group, x_hat, cell
            ),
            "map": _payload(
                plan,
                labels,
                x,
                held,
                name=words.held_name(formula),
                title=f"{words.held_statistics(formula)} held constant",
                key="backward.dx",
                extra={"∂l/∂x": grads.dx},
                file="held",
                **common,
            )[0],
            "true": _payload(
                plan,
                labels,
                x,
                grads.dx,
                name="∂l/∂x",
                title="the true gradient",
                key="backward.dx",
                extra={words.held_name(formula): held},
                file="true",
                **common,
            )[0],
        }
    check = None
    if values["check"]:
        check = _check(x, dy, scheme_id, params, eps, weight, grads.dx, cell, values, label)
    return result, detail, check


def _held_rows(formula, held, through_mean, through_divisor, dx, group, x_hat, cell) -> list:
    """Each path's sum over the selected cell's group, its sum along x̂, and its value at the cell."""
    statistic = formula.divisor_statistic
    paths = [
        (
            f"{words.held_statistics(formula)} held constant: {words.held_name(formula).split()[0]}",
            held,
        )
    ]
    if formula.centre:
        paths.append(("through μ", through_mean))
    if statistic:
        paths.append((f"through {statistic}", through_divisor))
    paths.append(("dx, their sum", dx))
    size = (np.abs(held) + np.abs(through_mean) + np.abs(through_divisor))[group].sum()

    def exact(value: float) -> float:
        # 0 in exact arithmetic (Σ x̂ = 0 over the group) shows as 0, not as its rounding.
        return 0.0 if abs(value) <= 1e-12 * size else float(value)

    return [
        {
            "path": name,
            "Σ over the group": exact(values[group].sum()),
            "Σ ·x̂ over the group": exact((values[group] * x_hat[group]).sum()),
            f"at {words.cell_text(cell)}": float(values[tuple(cell)]),
        }
        for name, values in paths
    ]


def _check(x, dy, scheme_id, params, eps, weight, dx, cell, values, label) -> list:
    """Central differences at the cells with the largest |dx|, the selected one and random ones."""
    order = np.argsort(np.abs(dx), axis=None)[::-1][:CHECK_LARGEST]
    cells = [tuple(int(i) for i in np.unravel_index(k, x.shape)) for k in order]
    rng = np.random.default_rng([int(values["seed"]), 3])
    cells += [tuple(cell)] + [
        tuple(int(rng.integers(n)) for n in x.shape) for _ in range(CHECK_RANDOM)
    ]
    cells = list(dict.fromkeys(cells))
    step = float(values["step"])
    numeric = finite_differences(
        x, dy, scheme_id, cells, eps=eps, weight=weight, step=step, **params
    )
    return [
        {
            "scheme": label,
            "cell": words.cell_text(c),
            "closed form": float(dx[c]),
            "finite difference": float(f),
            "|difference|": float(abs(dx[c] - f)) if np.isfinite(f) else float("nan"),
        }
        for c, f in zip(cells, numeric)
    ]


def compute(x: np.ndarray, values: dict, present: bool = False) -> BackwardResult:
    """Everything the Backward page shows for the float32 tensor ``x`` (N, C, H, W) and the field
    ``values`` (see :data:`FIELDS`), in float64; ``present`` draws the maps for a projector."""
    x = np.asarray(x, dtype=np.float64)
    shape = x.shape
    cell = tuple(int(i) for i in values["cell"])
    count = len(values["schemes"])
    plan = compare.map_plan(shape, count)
    dy = loss_gradient(values["loss"], shape, cell, values["seed"])
    focus = min(int(values["focus"]), count)
    slots, detail, check_rows = [], None, [] if values["check"] else None
    for slot in range(1, count + 1):
        result, held, check = _slot(x, dy, values, slot, cell, plan, present, focus)
        slots.append(result)
        detail = held or detail
        if check is not None:
            check_rows += check
    options = PROJECTOR_MAP if present else {}
    dy_map = groupmap.map_payload(
        plan,
        np.zeros(shape, dtype=np.int32),
        x=x,
        y=dy,
        mean=np.zeros(1),
        var=np.zeros(1),
        colour_by="values",
        colour_values=dy,
        diverging=True,
        statistics=False,
        y_label="∂l/∂y",
        colour_label="∂l/∂y",
        selected=cell,
        link="backward.dx",
        title="dy = ∂l/∂y, the same for every scheme",
        file_name="bnviz-backward-dy",
        **options,
    )
    check_text = ""
    if check_rows is not None:
        finite = [r for r in check_rows if np.isfinite(r["|difference|"])]
        largest = max((r["|difference|"] for r in finite), default=0.0)
        size = max((abs(r["closed form"]) for r in finite), default=0.0)
        check_text = words.check_sentence(
            len(check_rows), largest, largest / size if size else 0.0, values["step"]
        )
        check_rows = sorted(finite, key=lambda r: -r["|difference|"])[:CHECK_ROWS] + [
            r for r in check_rows if not np.isfinite(r["|difference|"])
        ]
    return BackwardResult(
        shape=shape,
        cell=cell,
        loss=values["loss"],
        loss_text=words.loss_text(values["loss"], cell, values["seed"]),
        dy_text=words.dy_text(values["loss"], cell),
        dy_map=dy_map,
        slots=tuple(slots),
        why=words.why_sentence([s.push.formula for s in slots], values["loss"], cell),
        focus=focus,
        held=detail["facts"],
        held_map=detail["map"],
        true_map=detail["true"],
        held_rows=detail["rows"],
        check_rows=check_rows,
        check_text=check_text,
        plan=plan,
    )
