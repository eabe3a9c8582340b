"""Streamlit glue: URL-backed widget state, cached computations, shared page furniture.

Streamlit code lives in :mod:`bnviz.ui` only; the engine, text, figures and views never import it.
Widget state lives under ``w.<field>`` keys; a copy of every page's values is kept under
:data:`PERSISTED` so state follows the user across pages (Streamlit drops the state of widgets a
page does not draw, and the browser drops query parameters on a page switch).

Why a URL layer of our own rather than Streamlit 1.67's ``bind="query-params"`` and
``persist_state``: a bound widget drops an invalid URL value silently, where a tampered link must
be answered with one warning that lists each correction (issue 11); several fields are
constrained together before any widget is drawn (G must divide C, a shape over 2²² shrinks to the
largest that fits, a selected cell must lie inside the tensor), and the selected cell and the
Compare page's per-slot parameters are not widgets at all.  ``link_query`` already leaves out of a
link whatever equals what the page opens on, as a bound widget would.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import streamlit as st
from PIL import Image

from ..engine import conv, loading
from ..engine.errors import InputError
from ..figures import groupmap, groups
from ..views import (
    backward,
    explorer,
    images,
    local_norms,
    questions,
    source,
    training,
    urlstate,
)
from ..views.urlstate import Field

PERSISTED = "bnviz.persisted"

#: The app's pages in navigation order: (script path from the repository root, title, icon).
#: Streamlit finds the scripts itself (app.py and the files in pages/); this only names them.
#: Icons are Material Symbols, drawn from the font Streamlit serves itself: emoji would need an
#: emoji font on the viewer's machine (without one they show as empty boxes).
PAGES = (
    ("app.py", "Explorer", ":material/grid_view:"),
    ("pages/images.py", "Images", ":material/image:"),
    ("pages/compare.py", "Compare", ":material/compare:"),
    ("pages/local.py", "Local norms", ":material/blur_on:"),
    ("pages/training.py", "Train vs. inference", ":material/model_training:"),
    ("pages/backward.py", "Backward", ":material/undo:"),
    ("pages/experiment.py", "Experiment", ":material/science:"),
    ("pages/questions.py", "Questions", ":material/help:"),
    ("pages/quiz.py", "Quiz", ":material/quiz:"),
)


def page_title(script: str) -> str:
    """The navigation's title of the page in ``script`` (e.g. "pages/compare.py")."""
    return next(title for path, title, _ in PAGES if path == script)


def _app_icon() -> Image.Image:
    """The browser tab's icon, 48 × 48 RGB: three columns of group colours, batch norm's picture.

    Drawn here and served by the app: a material icon as page icon would be fetched from
    Google's servers, an emoji needs an emoji font.
    """
    tile, gap = 14, 3
    icon = np.full((48, 48, 3), 255, dtype=np.uint8)
    for column, colour in enumerate(groups.PALETTE[:3]):
        rgb = groupmap.hex_to_rgb(colour)
        for row in range(3):
            top, left = row * (tile + gap), column * (tile + gap)
            icon[top : top + tile, left : left + tile] = rgb
    return Image.fromarray(icon)


APP_ICON = _app_icon()
#: Icons of the page's messages (see PAGES on why not emoji).
ICONS = {
    "notice": ":material/warning:",
    "error": ":material/block:",
    "refused": ":material/hide_image:",
    "repeated": ":material/content_copy:",
}
_ROOT = Path(__file__).resolve().parents[2]

# KaTeX lays tall formulas (fractions, sums with limits) a few pixels beyond their box, and
# Streamlit clips a formula's box vertically (it scrolls sideways): room above and below.
PAGE_CSS = """
<style>
.katex-display { padding: 0.4em 0; margin: 0.6em 0; }
</style>
"""


def page_setup(title: str) -> None:
    """First call of every page: its tab title, the wide layout, and the navigation links."""
    st.set_page_config(page_title=f"{title} · bnviz", page_icon=APP_ICON, layout="wide")
    with st.sidebar:
        st.html(PAGE_CSS)
        for path, label, icon in PAGES:
            if (_ROOT / path).is_file():
                st.page_link(path, label=label, icon=icon)
        st.divider()


NOTICES = "bnviz.notices"


def widget_key(field: Field | str) -> str:
    """The session-state key of the widget for ``field``."""
    return f"w.{field.key if isinstance(field, Field) else field}"


def load_state(
    page: str,
    fields: Iterable[Field],
    constrain: Callable[[dict], tuple[dict, list[str]]] | None = None,
) -> dict:
    """Current values of ``fields``, ready for the page's widgets to be drawn from.

    On a page's first run in a session the URL wins (parsed forgivingly, notices kept for
    :func:`show_notices`); later runs take the widgets' values; fields the page has not drawn yet
    fall back to the values persisted by other pages, then to defaults.  ``constrain`` then makes
    them consistent, and the result is written back to the widget keys *before* any widget is
    drawn, so widgets always show valid values.
    """
    fields = tuple(fields)
    _link_rules()[_fields_key(fields)] = (fields, constrain, [])
    persisted = st.session_state.setdefault(PERSISTED, {})
    notices = []
    first_visit = f"bnviz.visited.{page}" not in st.session_state
    if first_visit:
        st.session_state[f"bnviz.visited.{page}"] = True
        from_url, notices = urlstate.parse(fields, st.query_params)
    values = {}
    for field in fields:
        key = widget_key(field)
        if first_visit and field.key in st.query_params:
            values[field.key] = from_url[field.key]
        elif key in st.session_state:
            values[field.key] = st.session_state[key]
        else:
            values[field.key] = persisted.get(field.key, field.default)
    if constrain is not None:
        values, more = constrain(values)
        notices += more
    for field in fields:
        st.session_state[widget_key(field)] = values[field.key]
    if notices:
        st.session_state[NOTICES] = st.session_state.get(NOTICES, []) + notices
    return values


def update_state(values: dict, adjust: Callable[[dict], tuple[dict, list[str]]]) -> dict:
    """Apply ``adjust`` to the values and write them back before widgets are drawn (with notices).

    ``values`` are the ones :func:`load_state` returned (all of a page's fields): ``adjust`` is
    then also applied when :func:`link_query` checks what a link can leave out.
    """
    rules = _link_rules().get(tuple(values))
    if rules is not None:
        rules[2].append(adjust)
    values, notices = adjust(values)
    for key, value in values.items():
        st.session_state[widget_key(key)] = value
    if notices:
        st.session_state[NOTICES] = st.session_state.get(NOTICES, []) + notices
    return values


def save_state(fields: Iterable[Field], values: dict) -> None:
    """Write ``values`` to the URL (defaults left out) and persist them for other pages."""
    fields = tuple(fields)
    st.session_state.setdefault(PERSISTED, {}).update(values)
    st.query_params.from_dict(link_query(fields, values))


#: Session-state key: per page (its tuple of field keys), its fields and the ``constrain`` and
#: ``adjust`` functions of this run, for :func:`link_query`.
LINK_RULES = "bnviz.link_rules"


def _link_rules() -> dict:
    return st.session_state.setdefault(LINK_RULES, {})


def _fields_key(fields: Iterable[Field]) -> tuple:
    return tuple(f.key for f in fields)


def link_query(fields: Iterable[Field], values: dict) -> dict[str, str]:
    """The query parameters of a link to ``values``: only what differs from what the page opens on.

    :func:`bnviz.views.urlstate.to_query` leaves out values equal to a field's declared default; this
    also leaves out values a page derives when the link does not give them (Compare's and the
    Explorer's ``num_groups``, a divisor of C chosen by the page). A parameter is dropped when
    opening the link without it (parsing, then the page's ``constrain`` and ``adjust`` of this
    run, see :func:`load_state` and :func:`update_state`) gives the same values as with it.
    """
    fields = tuple(fields)
    query = urlstate.to_query(fields, values)
    rules = _link_rules().get(_fields_key(fields))
    if rules is None or not query:
        return query
    _, constrain, adjusts = rules
    return urlstate.minimal_query(fields, query, _opener(constrain, adjusts))


def _opener(constrain, adjusts) -> Callable[[dict], dict]:
    def opened(values: dict) -> dict:
        if constrain is not None:
            values, _ = constrain(values)
        for adjust in adjusts:
            values, _ = adjust(values)
        return values

    return opened


def read_widgets(fields: Iterable[Field]) -> dict:
    """The values the widgets for ``fields`` hold now."""
    return {field.key: st.session_state[widget_key(field)] for field in fields}


def show_notices() -> None:
    """Show, once, what was replaced in the URL or adjusted to keep values consistent: one
    message, however many values were corrected (a tampered link must not push the page down)."""
    notices = list(dict.fromkeys(st.session_state.pop(NOTICES, [])))
    if len(notices) == 1:
        st.warning(notices[0], icon=ICONS["notice"])
    elif notices:
        st.warning(
            f"{len(notices)} values were corrected:\n\n" + "\n".join(f"- {n}" for n in notices),
            icon=ICONS["notice"],
        )


def show_input_error(error: Exception) -> None:
    """A user-caused error as a message on the page, never a traceback."""
    st.error(f"{error}", icon=ICONS["error"])


def result_or_error(compute: Callable[[], object], problem: InputError | None = None):
    """``compute()``, or None once an :class:`InputError` is shown on the page.

    ``problem`` is an error found before (the tensor's, from :func:`open_tensor_page`): when
    given it is shown and nothing is computed.
    """
    try:
        if problem is not None:
            raise problem
        return compute()
    except InputError as error:
        show_input_error(error)
        return None


#: The selected cell (n, c, h, w) or None, shared by the pages that select one.
CELL = "w.cell"


def _select_from_inputs(key_format: str) -> None:
    st.session_state[CELL] = tuple(int(st.session_state[key_format.format(a)]) for a in "nchw")


def cell_inputs(
    shape: tuple, cell, *, container=st, key_format: str = "w.cell.{}", label_format: str = "{}"
) -> None:
    """Four number inputs n, c, h, w that pick the selected cell (for keyboard users)."""
    for col, axis, size, value in zip(
        container.columns(4), "nchw", shape, cell or (0, 0, 0, 0), strict=True
    ):
        key = key_format.format(axis)
        st.session_state[key] = min(int(value), size - 1)
        col.number_input(
            label_format.format(axis),
            0,
            size - 1,
            step=1,
            key=key,
            on_change=_select_from_inputs,
            args=(key_format,),
        )


UPLOADS = "bnviz.uploads"
UPLOADER = "w.uploader"


def _stash_uploads() -> None:
    """Keep uploaded files as (name, bytes) with a digest: they follow the user across pages.

    An empty uploader keeps the pictures stashed (the sidebar then says they are still used):
    on a page switch the uploader's value can arrive empty, its widget state not following the
    page, and ``make soak`` saw a student's pictures lost that way.
    """
    files = st.session_state.get(UPLOADER) or []
    if not files:
        return
    contents = tuple((f.name, f.getvalue()) for f in files)
    digest = hashlib.sha256()
    for name, data in contents:
        digest.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    st.session_state[UPLOADS] = (digest.hexdigest(), contents)


def _uploads() -> tuple[str, tuple]:
    return st.session_state.get(UPLOADS, ("", ()))


def tensor_values(values: dict) -> dict:
    """Only the tensor fields of a page's values (the cache key of the tensor)."""
    return {f.key: values[f.key] for f in source.FIELDS}


#: Bounds of every cached computation, shared by all sessions: by entries here (enough for a
#: classroom of 30, each student on a state or two of their own), by age (an entry is computed
#: again after an hour, so a server left running frees what a class left behind), and, all
#: functions together, by bytes: ``server.maxCacheDataSize`` in .streamlit/config.toml.
CACHE_LIMITS = {"max_entries": 64, "ttl": 3600}


@st.cache_data(**CACHE_LIMITS, show_spinner="Loading pictures…")
def _tensor(values: dict, uploads_digest: str, _uploads: tuple) -> source.Tensor:
    return source.build(values, _uploads)


def _upload_key(values: dict) -> tuple[str, tuple]:
    """The uploads' digest as a cache key ("" unless the page's data are the uploads: other
    sources do not depend on them), and the uploads themselves."""
    digest, files = _uploads()
    return (digest if values["source"] == "upload" else ""), files


def current_tensor(values: dict) -> source.Tensor:
    """The page's tensor (cached); raises InputError for what the user must fix."""
    return _tensor(tensor_values(values), *_upload_key(values))


@st.cache_data(**CACHE_LIMITS, show_spinner="Normalizing…")
def _explorer_result(values: dict, uploads_digest: str, _uploads: tuple) -> explorer.ExplorerResult:
    x = _tensor(tensor_values(values), uploads_digest, _uploads).x
    return explorer.compute(x, values)


def explorer_result(values: dict) -> explorer.ExplorerResult:
    """:func:`bnviz.views.explorer.compute` on the page's tensor, cached per values."""
    return _explorer_result(_explorer_relevant(values), *_upload_key(values))


def _explorer_relevant(values: dict) -> dict:
    """The values an Explorer result depends on (not how it is shown)."""
    return {k: v for k, v in values.items() if k not in explorer.VIEW_KEYS}


def explorer_recompute(values: dict) -> Callable[[], explorer.ExplorerResult]:
    """A function that computes :func:`explorer_result` of ``values`` again, uncached, holding
    only the values and a reference to the session's uploads: for the download buttons.

    Streamlit keeps a download button's function per session until the session's next run; a
    function holding the result itself would keep one private copy per session (the cache hands
    each run its own), and ``make soak`` measured ~120 MB per student at the largest tensor.
    """
    _, files = _uploads()
    relevant = _explorer_relevant(values)
    return lambda: explorer.compute(source.build(tensor_values(relevant), files).x, relevant)


@st.cache_data(**CACHE_LIMITS, show_spinner="Normalizing the pictures…")
def _picture_results(
    values: dict, schemes: tuple, uploads_digest: str, _uploads: tuple
) -> list[images.NormalizedPictures]:
    x = _tensor(values, uploads_digest, _uploads).x
    return images.normalize_pictures(x, schemes)


def picture_results(values: dict, schemes) -> list[images.NormalizedPictures]:
    """:func:`bnviz.views.images.normalize_pictures` on the page's tensor, cached."""
    return _keyed_by_tensor(_picture_results, values, tuple(schemes))


@st.cache_data(**CACHE_LIMITS, show_spinner="Normalizing…")
def _local_result(values: dict, settings: dict, uploads_digest: str, _uploads: tuple):
    return local_norms.compute(_tensor(values, uploads_digest, _uploads).x, settings)


@st.cache_data(**CACHE_LIMITS, show_spinner="Checking the equivalences…")
def _local_equivalences(values: dict, settings: dict, uploads_digest: str, _uploads: tuple):
    x = _tensor(values, uploads_digest, _uploads).x
    return [row.row() for row in local_norms.equivalences(x, settings)]


@st.cache_data(**CACHE_LIMITS, show_spinner=False)
def _local_cell_details(values: dict, keyed: dict, uploads_digest: str, _uploads: tuple):
    result = _local_result(values, keyed["settings"], uploads_digest, _uploads)
    return local_norms.cell_details(result, keyed["cell"])


def _keyed_by_tensor(function, values: dict, settings: dict):
    # Keyed by the tensor's fields and the uploads' digest, as the tensor itself is: hashing a
    # large array on every rerun would cost more than the lookup saves.
    return function(tensor_values(values), settings, *_upload_key(values))


def local_result(values: dict, settings: dict) -> local_norms.LocalResult:
    """:func:`bnviz.views.local_norms.compute` on the page's tensor, cached."""
    return _keyed_by_tensor(_local_result, values, settings)


def local_equivalences(values: dict, settings: dict) -> list:
    """The rows of :func:`bnviz.views.local_norms.equivalences` on the page's tensor, cached."""
    return _keyed_by_tensor(_local_equivalences, values, settings)


def local_cell_details(values: dict, settings: dict, cell) -> dict:
    """:func:`bnviz.views.local_norms.cell_details` of :func:`local_result` at ``cell``, cached
    (for MVN it normalizes the whole tensor again)."""
    keyed = {"settings": settings, "cell": None if cell is None else tuple(cell)}
    return _keyed_by_tensor(_local_cell_details, values, keyed)


@st.cache_data(**CACHE_LIMITS, show_spinner="Training…")
def _training_result(values: dict, settings: dict, uploads_digest: str, _uploads: tuple):
    return training.compute(_tensor(values, uploads_digest, _uploads), {**values, **settings})


def training_result(values: dict) -> training.TrainingResult:
    """:func:`bnviz.views.training.compute` on the page's tensor, cached per page settings."""
    settings = {key: values[key] for key in training.PAGE_KEYS}
    return _keyed_by_tensor(_training_result, values, settings)


@st.cache_data(**CACHE_LIMITS, show_spinner="Computing the gradients…")
def _backward_result(values: dict, present: bool, uploads_digest: str, _uploads: tuple):
    return backward.compute(
        _tensor(tensor_values(values), uploads_digest, _uploads).x, values, present
    )


def backward_result(values: dict, present: bool = False) -> backward.BackwardResult:
    """:func:`bnviz.views.backward.compute` on the page's tensor, cached per values."""
    return _backward_result(values, present, *_upload_key(values))


def tensor_sidebar(values: dict, container=st.sidebar) -> None:
    """The controls of :data:`bnviz.views.source.FIELDS`: data source, shape or pictures, conv layer."""
    fields = {f.key: f for f in source.FIELDS}
    sb = container
    sb.header("Tensor")
    named_radio("Data", source.SOURCES, "source", container=sb)
    if values["source"] == "synthetic":
        cols = sb.columns(4)
        for col, key in zip(cols, ("n", "c", "h", "w")):
            number_field(fields[key], container=col, label=key.upper(), help=fields[key].label)
        sb.caption(
            f"Shape (N, C, H, W), at most {source.MAX_VALUES:,} values (2²²). Each channel gets "
            "its own offset and scale, so it needs normalizing."
        )
        number_field(
            fields["offset"], container=sb, help="Channel offsets run from −offset to +offset."
        )
        number_field(
            fields["spread"],
            container=sb,
            help="The widest channel is this many times the narrowest.",
        )
        number_field(fields["seed"], container=sb)
    else:
        if values["source"] == "samples":
            captions = {s.name: s.caption for s in loading.sample_images()}
            sb.multiselect(
                "Sample pictures",
                source.SAMPLE_NAMES,
                key=widget_key("samples"),
                help="\n\n".join(f"**{k}**: {v}" for k, v in captions.items()),
            )
        else:
            # No type= filter: the browser would refuse other files with only a red icon. Every
            # file reaches bnviz, and each one refused is listed on the page with its reason.
            sb.file_uploader(
                "Pictures (PNG, JPEG, GIF, BMP, WebP, TIFF)",
                accept_multiple_files=True,
                key=UPLOADER,
                on_change=_stash_uploads,
                help=(
                    f"At most {loading.MAX_FILES} files of {loading.MAX_FILE_BYTES / 1e6:g} MB each; "
                    "each picture becomes one sample of the batch. Large photos are scaled down "
                    "as they load; a file that is not a picture is listed with the reason."
                ),
            )
            kept = _uploads()[1]
            if kept and not st.session_state.get(UPLOADER):
                sb.caption(f"Using {len(kept)} picture(s) uploaded earlier in this session.")
        cols = sb.columns([2, 1])
        number_field(fields["size"], container=cols[0], label="Size (H = W)", step=1)
        cols[1].radio(
            "Fit",
            ("crop", "pad"),
            key=widget_key("fit"),
            help="crop: centre-crop to fill; pad: letterbox on black. Both keep the aspect.",
        )
        sb.checkbox("Grayscale (C = 1)", key=widget_key("gray"))
    sb.checkbox(
        "Convolution layer",
        key=widget_key("conv"),
        help="Filters turn the data into feature maps, which are then normalized.",
    )
    if values["conv"]:
        sb.multiselect(
            "Filters",
            list(conv.FILTERS),
            format_func=lambda k: conv.FILTERS[k].label,
            key=widget_key("filters"),
        )
        cols = sb.columns(2)
        number_field(
            fields["random"],
            container=cols[0],
            label="+ random",
            help="He-initialised random filters (seeded)",
        )
        cols[1].selectbox(
            "Kernel",
            list(range(1, conv.MAX_KERNEL_SIZE + 1)),
            key=widget_key("kernel"),
            help="Named filters need an odd size.",
        )
        cols = sb.columns(2)
        number_field(fields["stride"], container=cols[0], label="Stride")
        cols[1].selectbox("Padding", source.PADDINGS, key=widget_key("padding"))


def show_tensor_origin(tensor: source.Tensor) -> None:
    """Where the tensor came from, the conv arithmetic, and files that were refused or repeated."""
    if tensor.rejected:
        count = len(tensor.rejected)
        head = "1 file was not loaded" if count == 1 else f"{count} files were not loaded"
        st.warning(
            f"{head}; the batch is the other pictures:\n\n"
            + "\n".join(f"- {source.refusal_text(n, r)}" for n, r in tensor.rejected),
            icon=ICONS["refused"],
        )
    for note in tensor.notes:
        st.info(note, icon=ICONS["repeated"])
    with st.expander("Where this tensor comes from", expanded=tensor.weight is not None):
        st.markdown(tensor.description)
        for line in tensor.arithmetic:
            st.markdown(f"- Output size, {line}")


def number_field(
    field: Field, *, label=None, step=None, format=None, help=None, disabled=False, container=st
):
    """A number input for an int or float field, bounded as the field is."""
    kind = int if field.kind == "int" else float
    return container.number_input(
        label or field.label,
        min_value=kind(field.low) if field.low is not None else None,
        max_value=kind(field.high) if field.high is not None else None,
        step=step if step is not None else (1 if field.kind == "int" else None),
        format=format,
        help=help,
        disabled=disabled,
        key=widget_key(field),
    )


def number_row(container, *inputs: tuple[Field, dict]) -> None:
    """Number inputs side by side, one equal column of ``container`` each.

    Parameters
    ----------
    container : Streamlit container
        Where the row goes (``st.sidebar``, a column).
    *inputs : (Field, dict)
        Each input's field and the keyword arguments of :func:`number_field` for it.
    """
    for column, (field, options) in zip(container.columns(len(inputs)), inputs, strict=True):
        number_field(field, container=column, **options)


def named_radio(
    label: str, names: dict, field: str, *, container=st, horizontal: bool = True, **options
):
    """A radio for the widget of ``field``: the keys of ``names`` are its values, each shown as
    its name. ``options`` are further arguments of ``st.radio`` (``help``, ``disabled``, …)."""
    return container.radio(
        label,
        list(names),
        format_func=names.get,
        key=widget_key(field),
        horizontal=horizontal,
        **options,
    )


def layout_select(container, effect: str) -> None:
    """The "Layout" box of :data:`bnviz.views.explorer.LAYOUTS` (widget of the ``layout``
    field); ``effect`` says what follows the layout on this page."""
    container.selectbox(
        "Layout",
        options=list(explorer.LAYOUTS),
        key=widget_key("layout"),
        help="How the tensor is held: "
        + "; ".join(f"{name}: {words}" for name, words in explorer.LAYOUTS.items())
        + f". {effect}",
    )


def param_widget(param, key: str, channels: int, container=st) -> bool:
    """The widget for one scheme hyper-parameter, from its declaration (:class:`Param`): a list of
    its ``choices`` for C = ``channels``, a checkbox, or a bounded number input.  Returns False for
    kinds a page draws its own way (``"axes"``)."""
    if param.choices is not None:
        container.selectbox(
            param.title, options=list(param.choices(channels)), key=key, help=param.help
        )
    elif param.kind == "bool":
        container.checkbox(param.title, key=key, help=param.help)
    elif param.kind in ("int", "float"):
        low, high = param.bounds
        container.number_input(param.title, min_value=low, max_value=high, key=key, help=param.help)
    else:
        return False
    return True


def open_tensor_page(
    page: str,
    fields: Iterable[Field],
    constrain: Callable[[dict], tuple[dict, list[str]]] | None,
    fit: Callable[[dict, tuple], tuple[dict, list[str]]],
) -> tuple:
    """Every page's start: its values from the URL or widgets (:func:`load_state`), its tensor,
    the values fitted to the tensor's shape (``fit(values, shape)``), and the tensor sidebar.

    Returns
    -------
    values : dict
    tensor : Tensor or None
        None when the user must fix something first; ``problem`` then says what.
    problem : InputError or None
    """
    values = load_state(page, fields, constrain)
    try:
        tensor, problem = current_tensor(values), None
        # The adjustment is kept in the session (for link_query): it holds the shape, not the
        # tensor.
        shape = tensor.x.shape
        values = update_state(values, lambda v: fit(v, shape))
    except InputError as error:
        tensor, problem = None, error
    tensor_sidebar(values)
    return values, tensor, problem


@st.cache_data(**CACHE_LIMITS, show_spinner=False)
def question_answer(question_id: str):
    """:meth:`bnviz.views.questions.Question.compute` for one question, cached: every session
    shares the same answers (they depend on nothing but the code)."""
    return questions.QUESTIONS_BY_ID[question_id].compute()
