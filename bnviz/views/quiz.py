"""The Quiz page's model: question kinds, questions generated from a seed, scoring, the summary.

Pure (NumPy, no Streamlit).  A quiz is its URL fields (:data:`FIELDS`: seed, number of
questions, kinds); :func:`generate` makes the same questions from the same fields, so a teacher
hands a class one link.  Every right answer is computed by the engine (:func:`bnviz.describe`,
:func:`bnviz.group_labels`, :mod:`bnviz.engine.partitions`, :class:`bnviz.RunningStatistics`,
:func:`bnviz.normalize`), never typed in; ``tests/views/test_quiz.py`` checks them for many seeds.

Question kinds (:data:`KINDS`):

- ``picture``: the group map of a hidden scheme on a random shape; choose among schemes whose
  groups differ on that shape (:func:`bnviz.engine.partitions.partition_signature`).
- ``group``: click every cell that shares a given cell's statistics; scored by the Jaccard
  index of the marked cells and the true group (the given cell left out of both).
- ``means``, ``gamma``, ``mprime``: how many means a layer computes, γ's shape, m′, for a random
  shape and a PyTorch module or a Keras ``BatchNormalization(axis=...)``.
- ``lecture``: fixed questions from the lecture, each checked against the engine.
- ``momentum``, ``variance``, ``eps``: the conventions of :data:`bnviz.engine.running.CONVENTIONS`
  (momentum's direction in Keras and PyTorch, the biased and unbiased variance) and where ε goes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from urllib.parse import urlencode

import numpy as np

from ..engine.layout import group_labels, layout
from ..engine.normalize import normalize
from ..engine.partitions import partition_signature
from ..engine.running import CONVENTIONS, RunningStatistics
from ..engine.schemes import divisors, scheme_label
from ..figures import groupmap
from ..text import quiz as words
from ..text.describe import describe, shape_text
from . import compare, explorer, source, training
from .urlstate import Field, to_query

#: Kind id → its title (what the settings list shows).
KINDS = {
    "picture": "Which normalization does this picture show?",
    "group": "Click the cells that share a mean and a variance",
    "means": "How many means does this layer compute?",
    "gamma": "What is γ's shape?",
    "mprime": "What is m′?",
    "lecture": "Questions from the lecture",
    "momentum": "Momentum in Keras and PyTorch",
    "variance": "Biased or unbiased running variance",
    "eps": "Where does ε go?",
}
MAX_QUESTIONS = 30
FIELDS = (
    Field("qseed", "int", 1, 0, 2**31 - 1, label="quiz seed"),
    Field("qn", "int", 9, 1, MAX_QUESTIONS, label="number of questions"),
    Field("kinds", "choices", tuple(KINDS), choices=tuple(KINDS), label="question kinds"),
)
#: The group kind's shapes: small enough that every cell is drawn and can be clicked.
GROUP_SHAPES = {"n": (2, 3), "c": (2, 3, 4), "h": (2, 3), "w": (2, 3)}
#: The most cells a click-the-group question asks for (besides the given one).
MAX_GROUP_CLICKS = 24
#: Schemes whose maps the picture and group kinds draw: each groups cells in its own way on a
#: shape with every axis longer than 1 (RMS, pixel and MVN group as layer, layer-channels and
#: instance norm do; custom is not a named scheme).
MAP_SCHEMES = (
    "batch",
    "batch-pixel",
    "batch-location",
    "layer",
    "instance",
    "group",
    "layer-channels",
    "tensor",
)
#: PyTorch layers the counting kinds ask about, by scheme.
TORCH_SCHEMES = ("batch", "layer", "instance", "group", "layer-channels", "rms")
#: Marks on the group kind's map: 1 the student's marks, then the feedback's.
MARK_STYLES = (
    {"name": "marked", "style": "dot", "colour": "#0072B2"},
    {"name": "missed: in the group, not marked", "style": "ring", "colour": "#000000"},
    {"name": "extra: marked, not in the group", "style": "cross", "colour": "#000000"},
)


@dataclass(frozen=True)
class Question:
    """One question, with its right answer and its feedback, all computed.

    Attributes
    ----------
    number : int
        1-based position in the quiz.
    kind : str
        A key of :data:`KINDS`.
    prompt : str
        The question, Markdown.
    choices : tuple of str
        The choices (empty for the ``group`` kind).
    answer : int or frozenset of tuple
        The right choice's index, or for ``group`` the cells (n, c, h, w) that share the given
        cell's statistics, the given cell left out.
    explanation : str
        One line, numbers from the engine.
    link : str
        Path and query of the page that shows the answer ("/?n=2&c=4&scheme=group&...").
    page : str
        That page's title.
    shape : tuple or None
        (N, C, H, W) of the question's map (``picture``, ``group``) or layer.
    scheme : str or None
        The scheme of the right answer's picture, with ``params``.
    params : dict
    cell : tuple or None
        The given cell (``group``).
    seed : int
        The seed of the map's random tensor (the Explorer's ``seed``: the link shows it).
    formulas : tuple of str
        LaTeX lines that picture a convention's answer.
    choice_schemes : tuple
        For ``picture``: each choice's (scheme, params), to draw a wrong choice's map.
    facts : dict
        The computed numbers behind the answer (for tests).
    """

    number: int
    kind: str
    prompt: str
    choices: tuple
    answer: object
    explanation: str
    link: str
    page: str
    shape: tuple | None = None
    scheme: str | None = None
    params: dict = field(default_factory=dict)
    cell: tuple | None = None
    seed: int = 0
    formulas: tuple = ()
    choice_schemes: tuple = ()
    facts: dict = field(default_factory=dict)

    @property
    def right_text(self) -> str:
        """The right answer in words."""
        if self.kind == "group":
            return f"{len(self.answer):,} cells: {words.cells_text(self.answer)}"
        return self.choices[self.answer]


# --- Links -------------------------------------------------------------------------------------


def _link(path: str, fields, values: dict) -> str:
    """``path`` with the query of ``values`` (defaults left out, as the pages write links)."""
    query = to_query(fields, values)
    return path + ("?" + urlencode(query, safe=",") if query else "")


def explorer_link(shape, scheme: str, params: dict, *, seed: int = 0, cell=None) -> str:
    """The Explorer showing ``scheme`` on the synthetic tensor of ``shape`` and ``seed``."""
    n, c, h, w = shape
    values = {"n": n, "c": c, "h": h, "w": w, "seed": seed, "scheme": scheme, "cell": cell}
    values.update(params)
    return _link("/", explorer.FIELDS, values)


def explorer_question(
    number: int, kind: str, shape, scheme: str, params: dict, *, seed: int, cell=None, **fields
) -> Question:
    """A question drawn on the synthetic tensor of ``shape`` and ``seed``, whose link opens the
    Explorer on ``scheme`` there (at ``cell``); ``fields`` are the rest of :class:`Question`'s."""
    return Question(
        number=number,
        kind=kind,
        link=explorer_link(shape, scheme, params, seed=seed, cell=cell),
        page="Explorer",
        shape=shape,
        scheme=scheme,
        params=params,
        cell=cell,
        seed=seed,
        **fields,
    )


def compare_link(shape, schemes) -> str:
    n, c, h, w = shape
    return _link("/compare", compare.FIELDS, {"n": n, "c": c, "h": h, "w": w, "schemes": schemes})


def training_link(**values) -> str:
    return _link("/training", training.FIELDS, values)


def tensor(shape, seed: int) -> np.ndarray:
    """The Explorer's synthetic tensor of ``shape`` (N, C, H, W) and ``seed`` (what links show)."""
    defaults = {f.key: f.default for f in source.FIELDS}
    n, c, h, w = shape
    return source.build({**defaults, "n": n, "c": c, "h": h, "w": w, "seed": seed}).x


# --- Generation --------------------------------------------------------------------------------


def _map_variants(shape) -> list[tuple[str, dict]]:
    """(scheme, params) of :data:`MAP_SCHEMES` on ``shape``, one per grouping (group norm with
    every G that is neither layer nor instance norm)."""
    found, seen = [], set()
    channels = shape[1]
    for scheme in MAP_SCHEMES:
        options = [{"num_groups": g} for g in divisors(channels)] if scheme == "group" else [{}]
        for params in options:
            signature = partition_signature(layout(shape, scheme, **params))
            if signature not in seen:
                seen.add(signature)
                found.append((scheme, params))
    return found


def _pick(rng, values):
    return values[int(rng.integers(len(values)))]


def _choices(rng, right, pool, count: int = 4) -> tuple[tuple, int]:
    """``right`` and up to ``count`` − 1 distinct others from ``pool``, shuffled; the index of
    ``right``."""
    others = [p for p in dict.fromkeys(pool) if p != right]
    picked = [others[i] for i in rng.permutation(len(others))[: count - 1]]
    options = [right, *picked]
    order = rng.permutation(len(options))
    options = [options[i] for i in order]
    return tuple(options), options.index(right)


def _picture(number: int, rng, seed: int) -> Question:
    shape = (
        int(_pick(rng, (2, 3))),
        int(_pick(rng, (4, 6))),
        *(int(v) for v in rng.integers(2, 5, 2)),
    )
    variants = _map_variants(shape)
    hidden = variants[int(rng.integers(len(variants)))]
    others = [v for v in variants if v != hidden]
    picked = [others[i] for i in rng.permutation(len(others))[:3]]
    options = [hidden, *picked]
    options = [options[i] for i in rng.permutation(len(options))]
    scheme, params = hidden
    d = describe(shape, scheme, **params)
    return explorer_question(
        number,
        "picture",
        shape,
        scheme,
        params,
        seed=seed,
        prompt=words.picture_prompt(shape),
        choices=tuple(scheme_label(*o) for o in options),
        answer=options.index(hidden),
        explanation=words.counts_explanation(d, scheme_label(scheme, params)),
        choice_schemes=tuple(options),
        facts={"groups": d.groups, "group_size": d.group_size},
    )


def _group(number: int, rng, seed: int) -> Question:
    while True:
        shape = tuple(int(_pick(rng, GROUP_SHAPES[a])) for a in "nchw")
        variants = _map_variants(shape)
        scheme, params = variants[int(rng.integers(len(variants)))]
        labels = group_labels(shape, scheme, **params)
        cell = tuple(int(rng.integers(s)) for s in shape)
        members = {tuple(int(i) for i in c) for c in np.argwhere(labels == labels[cell])}
        members.discard(cell)
        if 1 <= len(members) <= MAX_GROUP_CLICKS:
            break
    d = describe(shape, scheme, **params)
    return explorer_question(
        number,
        "group",
        shape,
        scheme,
        params,
        seed=seed,
        cell=cell,
        prompt=words.group_prompt(scheme_label(scheme, params), shape, cell),
        choices=(),
        answer=frozenset(members),
        explanation=words.group_explanation(d, cell, len(members)),
        facts={"group_size": d.group_size},
    )


@dataclass(frozen=True)
class Layer:
    """A layer as a framework writes it, and the scheme it computes on the NCHW tensor.

    ``shown`` is the input's shape in the framework's own layout (``order``).
    """

    framework: str
    call: str
    order: str
    shown: tuple
    shape: tuple
    scheme: str
    params: dict
    gamma_shape: tuple | None
    axis_text: str = ""


def _layer(rng) -> Layer:
    n = int(_pick(rng, (2, 4, 8, 16, 32)))
    c = int(_pick(rng, (3, 6, 8, 16, 32, 64)))
    h = w = int(_pick(rng, (4, 5, 7, 8, 14, 28)))
    shape = (n, c, h, w)
    if rng.random() < 0.7:
        scheme = str(_pick(rng, TORCH_SCHEMES))
        params = {}
        if scheme == "group":
            if not [g for g in divisors(c) if 1 < g < c]:
                c *= 2  # C = 3: G would be 1 (layer norm) or 3 (instance norm); C = 6 has G = 2
                shape = (n, c, h, w)
            params = {"num_groups": int(_pick(rng, [g for g in divisors(c) if 1 < g < c]))}
        d = describe(shape, scheme, **params)
        return Layer(
            "pytorch", f"`y = {d.torch_code}`", "NCHW", shape, shape, scheme, params,
            d.torch.param_shape,
        )  # fmt: skip
    order = str(_pick(rng, ("NHWC", "NCHW")))
    axis = int(_pick(rng, (-1, 1, 3) if order == "NHWC" else (1, -1, 2)))
    kept = compare.kept_letters(order, axis)
    shown = tuple(dict(zip("NCHW", shape))[a] for a in order)
    equivalents = compare.named_equivalents(kept, shape)
    call = f"`keras.layers.BatchNormalization(axis={axis})` on {order} data"
    text = words.keras_axis_explanation(
        order, axis, kept, equivalents[0].label if equivalents else None
    )
    size = dict(zip("NCHW", shape))[kept]
    return Layer(
        "keras", call, order, shown, shape, "custom", {"keep": kept}, (size,), text
    )  # fmt: skip


def _layer_question(number: int, rng, seed: int, kind: str) -> Question:
    lay = _layer(rng)
    n, c, h, w = lay.shape
    d = describe(lay.shape, lay.scheme, **lay.params)
    plain = [n, c, h * w, n * c, c * h * w, n * h * w, h, 1]
    others = [describe(lay.shape, s, **p) for s, p in _map_variants(lay.shape)]
    if kind == "means":
        right = d.groups
        pool = [o.groups for o in others] + plain
        fmt = words.number
    elif kind == "mprime":
        right = d.group_size
        pool = [o.group_size for o in others] + plain
        fmt = words.number
    else:
        right = tuple(lay.gamma_shape)
        pool = [(c,), (c, h, w), (n,), (n, c), (h, w), (c * h * w,), (h,), (1,)]
        fmt = shape_text
    options, index = _choices(rng, right, pool)
    explanation = (lay.axis_text + " " if lay.axis_text else "") + (
        words.gamma_explanation(lay.call.split(" on ")[0], lay.gamma_shape, lay.framework)
        if kind == "gamma"
        else words.counts_explanation(d, "It" if lay.axis_text else lay.call.split(" on ")[0])
    )
    return explorer_question(
        number,
        kind,
        lay.shape,
        lay.scheme,
        lay.params,
        seed=seed,
        prompt=words.layer_prompt(kind, lay.call, lay.framework, lay.shown, d.formula),
        choices=tuple(fmt(o) for o in options),
        answer=index,
        explanation=explanation,
        facts={
            "groups": d.groups,
            "group_size": d.group_size,
            "gamma_shape": lay.gamma_shape,
            "framework": lay.framework,
            "order": lay.order,
        },
    )


#: The lecture's fixed questions: (prompt, choices, the scheme asked about, the quantity, each
#: choice's value of it on LECTURE_SHAPE).  The right choice is the one whose value the engine
#: computes (see :func:`_lecture`).
LECTURE_SHAPE = (8, 16, 5, 5)


def _lecture_items(shape=LECTURE_SHAPE):
    n, c, h, w = shape
    return (
        (
            "The number of γ in a BN layer (after a convolution) equals:",
            ("the batch size", "the number of feature maps", "the number of activations"),
            "batch",
            "param_count",
            (n, c, c * h * w),
        ),
        (
            "Batch norm after a convolution takes each mean over:",
            (
                "one feature map of one image",
                "one feature map across the whole mini-batch",
                "all the feature maps of one image",
            ),
            "batch",
            "group_size",
            (h * w, n * h * w, c * h * w),
        ),
        (
            "Instance norm computes one mean per:",
            ("channel", "sample", "sample and channel"),
            "instance",
            "groups",
            (c, n, n * c),
        ),
        (
            "Layer norm's output for one image depends on the other images of the mini-batch:",
            ("yes", "no"),
            "layer",
            "shares_batch",
            (True, False),
        ),
        (
            "In evaluation mode (model.eval()), batch norm normalizes with:",
            ("the mini-batch's own mean and variance", "the running estimates kept in training"),
            "batch",
            "eval_uses_running",
            (False, True),
        ),
    )


LECTURE = _lecture_items()


def lecture_fact(quantity: str, scheme: str, shape=LECTURE_SHAPE):
    """The engine's value of ``quantity`` for ``scheme`` on ``shape`` (a lecture answer)."""
    if quantity == "eval_uses_running":
        # Train two steps, then normalize a third batch in evaluation mode: is y what the
        # running estimates give?  (It is not what the batch's own statistics give.)
        stats = RunningStatistics(scheme)
        rng = np.random.default_rng(0)
        for _ in range(2):
            stats.update(rng.normal(2.0, 3.0, size=shape))
        x = rng.normal(2.0, 3.0, size=shape)
        y = stats.infer(x).y
        c = (1, -1, 1, 1)
        expected = (x - stats.mean.reshape(c)) / np.sqrt(stats.var.reshape(c) + stats.eps)
        own = normalize(x, scheme, eps=stats.eps).y
        return bool(np.allclose(y, expected, atol=1e-5) and not np.allclose(y, own, atol=1e-3))
    return getattr(describe(shape, scheme), quantity)


def _lecture(number: int, seed: int, occurrence: int) -> Question:
    order = np.random.default_rng([seed, 7]).permutation(len(LECTURE))
    prompt, choices, scheme, quantity, values = LECTURE[int(order[occurrence % len(LECTURE)])]
    fact = lecture_fact(quantity, scheme)
    answer = values.index(fact)
    d = describe(LECTURE_SHAPE, scheme)
    n, c, h, w = LECTURE_SHAPE
    if quantity == "eval_uses_running":
        explanation = words.EVAL_EXPLANATION
        link = training_link(section="eval")
        page = "Train vs. inference"
    elif quantity == "shares_batch":
        explanation = words.shares_batch_explanation(d, fact)
        link = compare_link(LECTURE_SHAPE, ("batch", scheme))
        page = "Compare"
    else:
        explanation = words.counts_explanation(
            d, f"On {shape_text(LECTURE_SHAPE)}, {d.scheme.name}"
        )
        link = explorer_link(LECTURE_SHAPE, scheme, {})
        page = "Explorer"
    return Question(
        number=number,
        kind="lecture",
        prompt=f"**{prompt}**",
        choices=choices,
        answer=answer,
        explanation=explanation,
        link=link,
        page=page,
        shape=LECTURE_SHAPE,
        scheme=scheme if quantity != "eval_uses_running" else None,
        facts={"quantity": quantity, "value": fact},
    )


def _momentum(number: int, rng, seed: int) -> Question:
    keras, torch = CONVENTIONS["keras"], CONVENTIONS["pytorch"]
    keras_m = float(_pick(rng, (0.9, 0.95, 0.99, 0.999)))
    torch_m = torch.momentum_for_weight(keras.new_batch_weight(keras_m))
    from_keras = bool(rng.random() < 0.5)
    # The trap: the asked momentum itself, read as if both frameworks weighed the same term.
    right, trap = (torch_m, keras_m) if from_keras else (keras_m, torch_m)
    options = [
        words.momentum_choice(right),
        words.momentum_choice(trap),
        words.no_momentum_choice(from_keras),
    ]
    order = rng.permutation(3)
    options = [options[i] for i in order]
    # Both estimates on the same batches: they agree.
    batches = np.random.default_rng([seed, number]).normal(1.0, 2.0, size=(3, 4, 2, 1, 1))
    runs = {}
    for convention, m in (("keras", keras_m), ("pytorch", torch_m)):
        stats = RunningStatistics("batch", convention=convention, momentum=m)
        for x in batches:
            stats.update(x)
        runs[convention] = stats.mean
    return Question(
        number=number,
        kind="momentum",
        prompt=words.momentum_prompt(from_keras, trap),
        choices=tuple(options),
        answer=options.index(words.momentum_choice(right)),
        explanation=words.momentum_explanation(
            keras, torch, keras_m, torch_m, len(batches), float(runs["pytorch"][0])
        ),
        link=training_link(section="stream", momentum=torch_m, keras_momentum=keras_m),
        page="Train vs. inference",
        formulas=words.momentum_formulas(keras, torch, keras_m, torch_m),
        facts={"keras": keras_m, "pytorch": torch_m, "runs": runs},
    )


def _variance(number: int, rng) -> Question:
    convention = CONVENTIONS[str(_pick(rng, tuple(CONVENTIONS)))]
    m = int(_pick(rng, (3, 4, 5)))
    values = [float(v) for v in rng.choice(np.arange(-3, 10), size=m, replace=False)]
    x = np.array(values).reshape(m, 1, 1, 1)
    # One step that counts the batch fully: PyTorch momentum 1, Keras momentum 0; Caffe's first
    # estimate is the batch's own.
    full = {"pytorch": 1.0, "keras": 0.0, "caffe": 0.999}[convention.id]
    stats = RunningStatistics("batch", convention=convention.id, momentum=full)
    out = stats.update(x)
    biased = float(np.asarray(out.var).reshape(-1)[0])
    stored = float(stats.var[0])
    unbiased = biased * m / (m - 1)
    options = words.variance_choices(m, biased, unbiased)
    answer = 1 if math.isclose(stored, unbiased, rel_tol=1e-9) else 0
    return Question(
        number=number,
        kind="variance",
        prompt=words.variance_prompt(convention, values),
        choices=options,
        answer=answer,
        explanation=words.variance_explanation(convention, values, biased, stored),
        link=training_link(section="stream", convention=convention.id),
        page="Train vs. inference",
        formulas=words.variance_formulas(values, biased, unbiased),
        facts={"convention": convention.id, "biased": biased, "stored": stored},
    )


#: Layers for the ε question: (scheme, params, how the framework names it).
EPS_LAYERS = (
    ("batch", {}, "PyTorch's `torch.nn.BatchNorm2d`"),
    ("layer", {}, "PyTorch's `torch.nn.LayerNorm`"),
    ("group", {"num_groups": 1}, "PyTorch's `torch.nn.GroupNorm`"),
    ("instance", {}, "PyTorch's `torch.nn.InstanceNorm2d`"),
    ("mvn", {}, "Caffe's `MVN` layer"),
)


def _eps(number: int, rng) -> Question:
    # Caffe's MVN half the time: the one layer here that adds ε to σ.
    k = len(EPS_LAYERS) - 1 if rng.random() < 0.5 else int(rng.integers(len(EPS_LAYERS) - 1))
    scheme, params, name = EPS_LAYERS[k]
    values = (0.0, 0.002)
    x = np.array(values, dtype=np.float64).reshape(1, 1, 1, 2)
    out = normalize(x, scheme, **params)
    divide = describe(x.shape, scheme, **params).formula.divide
    options = list(words.EPS_PLACES)
    return Question(
        number=number,
        kind="eps",
        prompt=words.eps_prompt(name),
        choices=tuple(words.EPS_PLACES[p] for p in options),
        answer=options.index(divide),
        explanation=words.eps_explanation(
            name, divide, out.eps, values, float(out.y.reshape(-1)[0])
        ),
        link=explorer_link((2, 3, 4, 4), scheme, params, cell=(0, 0, 0, 0)),
        page="Explorer",
        scheme=scheme,
        params=params,
        formulas=(words.EPS_FORMULAS[divide],),
        facts={"divide": divide, "eps": out.eps, "x_hat": float(out.y.reshape(-1)[0])},
    )


def generate(seed: int, count: int, kinds) -> tuple[Question, ...]:
    """The quiz: ``count`` questions cycling through ``kinds`` (in an order the seed shuffles),
    each made from its own generator seeded by (``seed``, its number).  The same arguments give
    the same questions."""
    kinds = [k for k in KINDS if k in set(kinds)] or list(KINDS)
    order = [kinds[i] for i in np.random.default_rng([seed, 0]).permutation(len(kinds))]
    questions, lectures = [], 0
    for k in range(count):
        kind = order[k % len(order)]
        number = k + 1
        rng = np.random.default_rng([seed, number])
        data_seed = int(rng.integers(1000))
        if kind == "picture":
            q = _picture(number, rng, data_seed)
        elif kind == "group":
            q = _group(number, rng, data_seed)
        elif kind in ("means", "gamma", "mprime"):
            q = _layer_question(number, rng, data_seed, kind)
        elif kind == "lecture":
            q = _lecture(number, seed, lectures)
            lectures += 1
        elif kind == "momentum":
            q = _momentum(number, rng, seed)
        elif kind == "variance":
            q = _variance(number, rng)
        else:
            q = _eps(number, rng)
        questions.append(q)
    return tuple(questions)


# --- Scoring -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scored:
    """A checked answer.

    Attributes
    ----------
    score : float
        1 right, 0 wrong; for ``group`` the Jaccard index |marked ∩ group| / |marked ∪ group|
        (the given cell left out of both; 1 when both are empty).
    right : bool
        ``score == 1``.
    given : str
        The answer in words.
    text : str
        The verdict and, for ``group``, the overlap in numbers.
    missed, extra : frozenset of tuple
        ``group``: cells of the group not marked, and marked cells outside it.
    """

    score: float
    right: bool
    given: str
    text: str
    missed: frozenset = frozenset()
    extra: frozenset = frozenset()


def score(question: Question, response) -> Scored:
    """Score ``response``: a choice's index, or for ``group`` the marked cells."""
    if question.kind == "group":
        marked = {tuple(int(i) for i in c) for c in response or ()} - {question.cell}
        truth = set(question.answer)
        hit = marked & truth
        union = marked | truth
        value = len(hit) / len(union) if union else 1.0
        missed, extra = frozenset(truth - marked), frozenset(marked - truth)
        text = f"{words.verdict(value)}. " + words.overlap_text(
            len(hit), len(missed), len(extra), value
        )
        given = f"{len(marked):,} cells: {words.cells_text(marked)}"
        return Scored(value, value == 1.0, given, text, missed, extra)
    chosen = int(response)
    value = 1.0 if chosen == question.answer else 0.0
    text = words.verdict(value) + ("." if value else f": the answer is “{question.right_text}”.")
    return Scored(value, bool(value), question.choices[chosen], text)


# --- Pictures ----------------------------------------------------------------------------------


def _map(shape, scheme, params, seed, **kwargs) -> bytes:
    x = tensor(shape, seed)
    out = normalize(x, scheme, **params)
    d = describe(shape, scheme, **params)
    plan = groupmap.plan_drawing(shape)
    return groupmap.map_payload(
        plan,
        group_labels(shape, scheme, **params),
        x=x,
        y=out.y,
        mean=out.mean,
        var=out.var,
        formula=d.formula,
        **kwargs,
    )


def question_map(
    question: Question, marked=(), *, font_px: int = 13, max_height_px: int | None = None
) -> bytes | None:
    """The map a question shows before it is answered; None for kinds without one.

    ``picture``: the hidden scheme's groups in colour.  ``group``: every cell plain grey (nothing
    tells the groups), the given cell outlined, ``marked`` cells with a dot; clicks toggle marks.
    """
    if question.kind == "picture":
        return _map(
            question.shape, question.scheme, question.params, question.seed,
            font_px=font_px, file_name=f"quiz-{question.number}", max_height_px=max_height_px,
        )  # fmt: skip
    if question.kind != "group":
        return None
    shape = question.shape
    marks = np.zeros(shape, dtype=np.uint8)
    for cell in marked:
        if cell != question.cell:
            marks[tuple(cell)] = 1
    x = tensor(shape, question.seed)
    zeros = np.zeros(shape)
    return groupmap.map_payload(
        groupmap.plan_drawing(shape),
        np.arange(math.prod(shape)).reshape(shape),  # every cell its own: no group given away
        x=x,
        y=x,
        mean=zeros,
        var=zeros,
        colour_by="plain",
        selected=question.cell,
        statistics=False,
        y_label="x",
        marks=marks,
        mark_styles=MARK_STYLES[:1],
        light=False,
        clicks="toggle",
        font_px=font_px,
        max_height_px=max_height_px,
        file_name=f"quiz-{question.number}",
    )


#: The answer's maps stay this short (pixels): the feedback beside them stays in view.
ANSWER_MAP_PX = 440


def drawn_text(question: Question) -> str:
    """What the answer's map draws of a large tensor, in words ("" when every cell)."""
    if question.shape is None:
        return ""
    return groupmap.plan_drawing(question.shape).text_with("the counts use the whole tensor")


def answer_map(question: Question, scored: Scored | None = None, choice=None, *, font_px=13):
    """The picture of the right answer: the scheme's group map, the given cell's group lit; for
    ``group``, the student's marks as right (dot), missed (ring) and extra (cross).  ``choice``
    (a ``picture`` choice's index) draws that choice's map instead.  None without a map."""
    if question.kind == "picture" and choice is not None:
        scheme, params = question.choice_schemes[choice]
        return _map(
            question.shape, scheme, params, question.seed, font_px=font_px,
            title=scheme_label(scheme, params), file_name=f"quiz-{question.number}-choice",
            max_height_px=ANSWER_MAP_PX,
        )  # fmt: skip
    if question.scheme is None or question.shape is None:
        return None
    shape = question.shape
    marks = None
    if question.kind == "group" and scored is not None:
        marks = np.zeros(shape, dtype=np.uint8)
        for cell in set(question.answer) - scored.missed:
            marks[cell] = 1
        for cell in scored.missed:
            marks[cell] = 2
        for cell in scored.extra:
            marks[cell] = 3
    return _map(
        shape, question.scheme, question.params, question.seed,
        selected=question.cell, font_px=font_px, title=scheme_label(question.scheme, question.params),
        marks=marks, mark_styles=MARK_STYLES if marks is not None else (),
        file_name=f"quiz-{question.number}-answer", max_height_px=ANSWER_MAP_PX,
    )  # fmt: skip


def has_pictures(question: Question, scored: Scored | None) -> bool:
    """Whether the page draws maps beside ``question``: before the answer, the picture and
    group kinds' map; after it, the right answer's (any question with a scheme and a shape)."""
    if scored is None:
        return question.kind in ("picture", "group")
    return question.scheme is not None and question.shape is not None


# --- The summary -------------------------------------------------------------------------------


def summary(questions, results: dict, link: str) -> str:
    """The Markdown summary of a quiz: ``results`` maps a question's number to its Scored."""
    rows = [
        {
            "number": q.number,
            "question": _plain(q.prompt),
            "given": results[q.number].given if q.number in results else "not answered",
            "right": q.right_text,
            "score": results[q.number].score if q.number in results else 0.0,
        }
        for q in questions
    ]
    return words.summary_markdown("bnviz quiz", link, rows, total(results), len(questions))


def total(results: dict) -> float:
    """The quiz's score so far: the sum of the checked answers' scores."""
    return sum(r.score for r in results.values())


def _plain(markdown: str) -> str:
    return markdown.replace("**", "").replace("`", "")


def constrain(values: dict) -> tuple[dict, list[str]]:
    """At least one kind (none chosen: every kind), in :data:`KINDS` order."""
    values = dict(values)
    kinds = tuple(k for k in KINDS if k in set(values.get("kinds") or ()))
    notices = []
    if not kinds:
        kinds = tuple(KINDS)
        notices.append("No question kind was chosen: the quiz asks every kind.")
    values["kinds"] = kinds
    return values, notices


def cell_label(cell) -> str:
    """A cell as the answer list names it: "(n, c, h, w)"."""
    return words.cell_text(cell)


def cell_options(question: Question) -> list[str]:
    """Every cell of a ``group`` question's tensor but the given one, as :func:`cell_label`."""
    return [
        cell_label(c)
        for c in np.ndindex(*question.shape)
        if tuple(int(i) for i in c) != question.cell
    ]


def parse_cell(label: str) -> tuple:
    """:func:`cell_label` read back."""
    return tuple(int(part) for part in label.strip("()").split(","))


def quiz_settings(values: dict) -> tuple:
    """(seed, count, kinds) from the page's field values."""
    return int(values["qseed"]), int(values["qn"]), tuple(values["kinds"])
