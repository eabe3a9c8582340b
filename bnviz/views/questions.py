"""The Questions page's model: questions as learners ask them, each answered by one link.

Pure (no Streamlit).  Each :class:`Question` is declared once, here: its words, its topic, the
page and URL state that show the answer, and an answer function.  The answer function opens the
view exactly as the page does (:func:`open_view`: the URL parsed with the page's own fields,
constrained, its tensor built, fitted) and takes its numbers and sentences from the same page
models the page calls, so what the gallery says is what the link shows
(``tests/app/test_questions_page.py`` checks every number of every answer against the page).

The README's list of questions is generated from :data:`QUESTIONS` (:func:`readme_table`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

import numpy as np

from ..engine.layout import layout
from ..engine.partitions import same_groups
from ..engine.schemes import SCHEMES, default_params, divisors
from ..figures.experiment import NORM_COLOURS
from ..figures.thumbnail import (
    colour_name,
    lines_thumbnail,
    map_thumbnail,
    thumbnail_plan,
    tokens_layout,
)
from ..figures.training import CONVENTION_COLOURS
from ..text import backward as backward_words
from ..text import images as picture_words
from ..text import questions as words
from ..text.describe import Description, describe
from . import (
    backward,
    compare,
    experiment,
    explorer,
    images,
    local_norms,
    source,
    training,
    urlstate,
)

#: Topics to filter by, in the order the page offers them.
TOPICS = {
    "sharing": "Which cells share statistics",
    "conventions": "Conventions",
    "training": "Training vs. inference",
    "backward": "Backward",
    "local": "Local norms",
    "beyond": "Beyond CNNs",
    "experiments": "Experiments",
}


@dataclass(frozen=True)
class PageModel:
    """What a page makes of its URL: its fields, their constraints, and the fit to the tensor.

    ``path`` is the page's URL path ("" for the Explorer), ``script`` its file (for AppTest);
    ``fit`` is None for a page without a tensor (the Experiment trains on its own data).
    """

    path: str
    script: str
    fields: tuple
    constrain: Callable | None
    fit: Callable | None


PAGE_MODELS = {
    "explorer": PageModel("", "app.py", explorer.FIELDS, explorer.constrain, explorer.fit_to_shape),
    "compare": PageModel(
        "compare", "pages/compare.py", compare.FIELDS, compare.constrain, compare.fit_to_shape
    ),
    "images": PageModel(
        "images", "pages/images.py", images.FIELDS, images.constrain, images.fit_to_shape
    ),
    "local": PageModel(
        "local",
        "pages/local.py",
        local_norms.FIELDS,
        local_norms.constrain,
        local_norms.fit_to_shape,
    ),
    "training": PageModel(
        "training", "pages/training.py", training.FIELDS, training.constrain, training.fit_to_tensor
    ),
    "backward": PageModel(
        "backward", "pages/backward.py", backward.FIELDS, backward.constrain, backward.fit_to_shape
    ),
    "experiment": PageModel(
        "experiment", "pages/experiment.py", experiment.FIELDS, experiment.constrain, None
    ),
}


@dataclass(frozen=True)
class View:
    """A page's values and tensor as a link opens them.

    Attributes
    ----------
    values : dict
        Every field's value after the page's constraints and the fit to the tensor.
    tensor : Tensor or None
        The page's tensor (``tensor.x`` of shape (N, C, H, W)); None for the Experiment.
    notices : tuple of str
        What the page would say it replaced (empty for the declared links: tested).
    """

    values: dict
    tensor: source.Tensor | None
    notices: tuple


def open_view(page: str, query: str) -> View:
    """The values and tensor the page ``page`` opens on for the URL query ``query``."""
    model = PAGE_MODELS[page]
    values, notices = urlstate.parse(model.fields, dict(parse_qsl(query)))
    if model.constrain is not None:
        values, more = model.constrain(values)
        notices += more
    if model.fit is None:
        return View(values, None, tuple(notices))
    tensor = source.build(values)
    values, more = model.fit(values, tensor.x.shape)
    return View(values, tensor, tuple(notices + more))


@dataclass(frozen=True)
class Picture:
    """A small picture and what it shows.

    Attributes
    ----------
    image : ndarray of uint8, shape (height, width, 3)
    caption : str
    """

    image: np.ndarray
    caption: str


@dataclass(frozen=True)
class Answer:
    """A question's answer, computed for its view.

    Attributes
    ----------
    sentences : tuple of str
        Two or three sentences; every number in them is on the linked page.
    picture : Picture
    cited : tuple of str
        Sentences that quote a paper or a framework (with the source named); their numbers are
        the source's, not computed.
    """

    sentences: tuple
    picture: Picture
    cited: tuple = ()


@dataclass(frozen=True)
class Question:
    """One question, declared once.

    Attributes
    ----------
    id : str
        A short name, unique (``?q=<id>`` on the Questions page opens it alone).
    title : str
        The question in a learner's words.
    topic : str
        A key of :data:`TOPICS`.
    page : str
        A key of :data:`PAGE_MODELS`: where the answer is shown.
    query : str
        The URL query that opens the exact view ("" for the page as it opens).
    answer : callable
        ``answer(view) -> Answer``.
    asked : str
        Where people ask it, in a few words.
    keywords : str
        More words a search should find it by.
    """

    id: str
    title: str
    topic: str
    page: str
    query: str
    answer: Callable[[View], Answer] = field(repr=False)
    asked: str = ""
    keywords: str = ""

    @property
    def link(self) -> str:
        """The view's link from the server's root, e.g. ``/compare?schemes=batch,layer``."""
        path = "/" + PAGE_MODELS[self.page].path
        return path + (f"?{self.query}" if self.query else "")

    def compute(self) -> Answer:
        """The answer, computed for the view the link opens."""
        return self.answer(open_view(self.page, self.query))


# ---- the pictures ------------------------------------------------------------------------------


def _group_picture(shape, d: Description, cell, caption: str | None = None) -> Picture:
    """``d``'s groups on the map's (N, C, H, W) cells of ``shape``, the group of ``cell`` lit
    and outlined; ``caption`` replaces the one said from ``d``.

    ``d.layout`` is in the engine's order, whose cells are the map's in the same memory order
    (a tensor held as tokens too: :func:`bnviz.views.explorer.back_to_cells`).
    """
    labels = d.layout.labels().reshape(shape)
    cell = tuple(cell) if cell is not None else (0, 0, 0, 0)
    caption = caption or words.group_caption(d, cell, tokens_layout(shape))
    drawn = thumbnail_plan(shape).text_with("the groups are the whole tensor's")
    lit = labels == labels[cell]
    return Picture(map_thumbnail(labels, highlight=lit, mark=cell), f"{caption} {drawn}".strip())


def _cell(values: Mapping) -> tuple:
    return tuple(values.get("cell") or (0, 0, 0, 0))


def _sentence(sentences, word: str) -> str:
    """The one sentence of a page's ``sentences`` that starts with ``word``, else the one that
    contains it."""
    found = [s for s in sentences if s.startswith(word)] or [s for s in sentences if word in s]
    (found,) = found
    return found


def _held_description(view: View, scheme: str, **params) -> Description:
    """``scheme`` on the view's tensor as its ``layout`` field holds it (NCHW by default)."""
    layout_name = view.values.get("layout", "NCHW")
    shape = explorer.held_shape(view.tensor.x.shape, layout_name)
    return describe(shape, scheme, layout=layout_name, **params)


def _explorer_description(view: View) -> Description:
    values = view.values
    eps = explorer.eps_value(values["eps"])
    return _held_description(view, values["scheme"], eps=eps, **explorer.scheme_params(values))


def _view_picture(view: View, d: Description) -> Picture:
    """``d``'s groups on the view's tensor, the selected cell's lit (Explorer and Compare)."""
    return _group_picture(view.tensor.x.shape, d, _cell(view.values))


def _compare_descriptions(view: View) -> list[Description]:
    """Each slot's scheme on the view's tensor, in slot order."""
    values = view.values
    return [
        _held_description(view, scheme, **compare.slot_params(values, slot))
        for slot, scheme in enumerate(values["schemes"], start=1)
    ]


# ---- the answers -------------------------------------------------------------------------------


def _spatial_locations(view: View) -> Answer:
    d = _explorer_description(view)
    return Answer((d.sentences[0], d.sentences[2]), _view_picture(view, d))


def _feature_maps(view: View) -> Answer:
    d = _explorer_description(view)
    return Answer((view.tensor.description, d.sentences[0]), _view_picture(view, d))


def _rgb(view: View) -> Answer:
    d = _explorer_description(view)
    names = view.tensor.channel_names
    return Answer(
        (d.sentences[0], words.colour_planes(names, view.tensor.x.shape[0])),
        _view_picture(view, d),
    )


def _per_channel_params(view: View) -> Answer:
    per_channel, per_activation = _compare_descriptions(view)[:2]
    return Answer(
        (per_channel.sentences[0], per_activation.sentences[0]),
        _view_picture(view, per_channel),
        cited=(words.CONVOLUTIONAL_PROPERTY,),
    )


def _three_methods(view: View) -> Answer:
    described = _compare_descriptions(view)
    return Answer(
        tuple(words.method_sentence(k, d) for k, d in enumerate(described, start=1)),
        _view_picture(view, described[-1]),
    )


def _choose_groups(view: View) -> Answer:
    described = _compare_descriptions(view)
    shape = view.tensor.x.shape
    channels = shape[1]
    d = next(d for d in described if d.scheme.id == "group")
    scheme = d.scheme.id
    (param,) = d.scheme.params
    # Which named schemes G = 1 and G = C reproduce, measured on this shape.
    ends = {
        g: [
            SCHEMES[other].name
            for other in SCHEMES
            if other != scheme
            and not SCHEMES[other].params
            and explorer.default_formula(other) == explorer.default_formula(scheme)
            and same_groups(layout(shape, scheme, **{param.name: g}), layout(shape, other))
        ]
        for g in (1, channels)
    }
    return Answer(
        (d.sentences[0], words.group_ends(channels, divisors(channels), ends)),
        _view_picture(view, d),
        cited=(words.GN_DEFAULT,),
    )


def _style(view: View) -> Answer:
    results = images.normalize_pictures(view.tensor.x, view.values["schemes"])
    sentences = tuple(
        picture_words.colour_sentence(r, view.tensor.names, colour=view.tensor.colour_channels)
        for r in results
    )
    instance = next(r for r in results if r.scheme == "instance")
    shape = view.tensor.x.shape
    d = describe(shape, "instance")
    cell = (0, 0, 0, 0)
    caption = f"{words.group_caption(d, cell, tokens_layout(shape))} {instance.summary}"
    return Answer(sentences, _group_picture(shape, d, cell, caption))


def _transformer(view: View) -> Answer:
    d = _explorer_description(view)
    per_sequence = _sentence(d.sentences, "per-sequence variant")
    return Answer((d.sentences[0], d.sentences[1], per_sequence), _view_picture(view, d))


def _convnext(view: View) -> Answer:
    last, whole = _compare_descriptions(view)[:2]
    return Answer(
        (last.sentences[0], whole.sentences[0]),
        _view_picture(view, last),
        cited=(last.sentences[-1],),
    )


def _rms(view: View) -> Answer:
    rms, layer_norm = _compare_descriptions(view)[:2]
    return Answer(
        (rms.sentences[0], rms.sentences[3], layer_norm.sentences[3]),
        _view_picture(view, rms),
        cited=(rms.sentences[-1],),
    )


def _eps(view: View) -> Answer:
    d = _explorer_description(view)
    shape = view.tensor.x.shape
    modules = sorted(
        {
            recipe.module_name
            for s in SCHEMES
            if explorer.default_formula(s).divide in ("std", "rms")
            and not any(p.kind == "axes" for p in SCHEMES[s].params)  # custom: any module
            and (recipe := describe(shape, s, **default_params(s, shape[1])).torch) is not None
            and recipe.module_name
        }
    )
    return Answer(
        (d.sentences[4], words.eps_inside(modules)),
        _view_picture(view, d),
    )


def _training(view: View) -> training.TrainingResult:
    return training.compute(view.tensor, view.values)


def _channel_picture(view: View) -> Picture:
    """Batch norm's channel groups on the view's tensor, channel 0's lit."""
    shape = view.tensor.x.shape
    return _group_picture(shape, describe(shape, "batch"), None, words.channel_caption(shape))


def _eval(view: View) -> Answer:
    result = _training(view)
    return Answer(
        tuple(result.sentences[:2]),
        _channel_picture(view),
    )


def _one_value(view: View) -> Answer:
    result = _training(view)
    return Answer((result.sentences[0],), _channel_picture(view))


def _small(view: View) -> Answer:
    result = _training(view)
    return Answer(
        (result.sentences[0], result.sentences[2]),
        _channel_picture(view),
        cited=(result.sentences[3],),
    )


def _fold(view: View) -> Answer:
    result = _training(view)
    return Answer(
        (result.sentences[0], result.sentences[2], result.sentences[3]),
        _channel_picture(view),
    )


def _stream_picture(result: training.TrainingResult, statistic: int = 0) -> Picture:
    """Channel 0's running mean (``statistic`` 0) or variance (1) after each step."""
    stream = result.stream
    conventions = ("pytorch", "keras")
    lines = [stream.running[name][statistic][:, 0] for name in conventions]
    population = (stream.population_mean, stream.population_var)[statistic]
    # Each convention in its colour on the Training page.
    colours = [CONVENTION_COLOURS[name] for name in conventions]
    return Picture(
        lines_thumbnail(lines, colours=colours, level=float(population[0])),
        words.stream_caption(
            conventions,
            [colour_name(c) for c in colours],
            stream.steps,
            ("mean", "variance")[statistic],
        ),
    )


def _momentum(view: View) -> Answer:
    result = _training(view)
    sentences = (
        _sentence(result.sentences, "PyTorch's momentum"),
        _sentence(result.sentences, "Keras' momentum"),
    )
    return Answer(sentences, _stream_picture(result))


def _running_var(view: View) -> Answer:
    result = _training(view)
    return Answer((_sentence(result.sentences, "unbiased"),), _stream_picture(result, 1))


def _backward(view: View) -> backward.BackwardResult:
    return backward.compute(view.tensor.x, view.values)


def _backward_picture(view: View, result: backward.BackwardResult) -> Picture:
    slot = result.slots[0]
    caption = words.jacobian_caption(slot.label, result.cell)
    return _group_picture(view.tensor.x.shape, slot.description, result.cell, caption)


def _influence(view: View) -> Answer:
    result = _backward(view)
    return Answer(
        tuple(
            backward_words.jacobian_caption(s.jacobian, s.label).split(". ")[0] + "."
            for s in result.slots
        ),
        _backward_picture(view, result),
    )


def _sum_zero(view: View) -> Answer:
    result = _backward(view)
    held = backward_words.held_sentences(result.held)
    return Answer(tuple(held[:2]), _backward_picture(view, result))


def _local(view: View) -> Answer:
    result = local_norms.compute(view.tensor.x, view.values)
    sentences = local_norms.comparison_sentences(result)
    shape = view.tensor.x.shape
    cell = _cell(view.values)
    window = local_norms.cell_neighbourhood(shape, result.a, cell)
    plain = [sentence.replace("**", "") for sentence in sentences]
    framing = words.conventions_framing(
        local_norms.scheme_name(result.a.scheme_id), local_norms.scheme_name(result.b.scheme_id)
    )
    return Answer(
        (framing, *plain[1:3]),
        Picture(
            map_thumbnail(np.zeros(shape, dtype=np.int64), highlight=window, mark=cell),
            words.window_caption(
                local_norms.scheme_name(result.a.scheme_id), cell, int(np.count_nonzero(window))
            ),
        ),
    )


def _experiment(view: View) -> experiment.ExperimentResult:
    """The Experiment page's result for the view: its shipped runs, any missing one trained."""
    runs = dict(experiment.shipped_runs())
    for settings in experiment.plan(view.values):
        if settings.key() not in runs:
            runs[settings.key()] = experiment.train(settings)
    return experiment.compute(view.values, runs)


def _experiment_lines(lines, norms, labels, caption: str) -> Picture:
    """Lines in the Experiment page's colour of each normalization, named in the caption."""
    colours = [NORM_COLOURS[norm] for norm in norms]
    named = ", ".join(f"{label} ({colour_name(c)})" for label, c in zip(labels, colours))
    return Picture(lines_thumbnail(lines, colours=colours), f"{caption}: {named}.")


def _speed(view: View) -> Answer:
    result = _experiment(view)
    curves = result.curves
    steps = int(curves[0].steps[-1])
    return Answer(
        tuple(result.sentences[:3]),
        _experiment_lines(
            [np.nan_to_num(c.mean_accuracy()) for c in curves],
            [c.norm for c in curves],
            [c.label for c in curves],
            f"Test accuracy over {steps} steps, mean over the seeds",
        ),
    )


#: What each sweep varies, as the Experiment page's fields name it.
_FIELD_LABELS = {f.key: f.label for f in experiment.FIELDS}


def _sweep_answer(view: View, chosen: tuple, cited: tuple = ()) -> Answer:
    result = _experiment(view)
    sweep = result.sweep
    return Answer(
        tuple(result.sentences[k] for k in chosen),
        _experiment_lines(
            [np.nan_to_num(row) for row in sweep.mean_accuracy],
            sweep.norms,
            sweep.labels,
            f"Final test accuracy at each {_FIELD_LABELS[sweep.section]} of the sweep, "
            f"{sweep.grid[0]:g} to {sweep.grid[-1]:g} from left to right",
        ),
        cited=tuple(result.sentences[k] for k in cited),
    )


def _learning_rate(view: View) -> Answer:
    return _sweep_answer(view, (0, 1, 2))


def _small_batches_gn(view: View) -> Answer:
    # The Group Normalization paper's numbers close the sentences (-1).
    return _sweep_answer(view, (0, 1, 3), cited=(-1,))


QUESTIONS = (
    Question(
        "spatial-locations",
        "With 10 feature maps of 5×5 and a mini-batch of 20, does each feature map get its own mean "
        "and variance? Is the effective mini-batch 20×25?",
        "sharing",
        "explorer",
        "n=20&c=10&h=5&w=5&cell=0,3,2,2",
        _spatial_locations,
        "deep-learning mailing list",
        "batch norm convolution m' effective mini-batch locations feature map",
    ),
    Question(
        "feature-maps",
        "A 50×50 image through 7 filters of 5×5 ('valid') gives 7 feature maps of 46×46. With 10 "
        "images, is the effective mini-batch 10×46×46 for every feature map?",
        "sharing",
        "explorer",
        "source=samples&samples=sunset,sea,leaves,checker,stained-glass,night-cast,fruit,snow,"
        "dunes,flowers&size=50&conv=1&filters=edge-x,edge-y,laplacian,box-blur,gaussian-blur,"
        "sharpen,emboss&kernel=5",
        _feature_maps,
        "deep-learning mailing list",
        "convolution filters valid padding feature maps m'",
    ),
    Question(
        "rgb",
        "The diagram computes the mean over h, w and the batch for one channel. What changes for RGB "
        "images?",
        "sharing",
        "explorer",
        "source=samples&samples=sunset,sea,leaves,fruit&cell=1,0,5,5",
        _rgb,
        "Q&A community",
        "colour channels red green blue picture",
    ),
    Question(
        "gamma-per-channel",
        'Why do γ and β have C entries and not C×H×W? What is the "convolutional property"?',
        "sharing",
        "compare",
        "schemes=batch,batch-pixel&n=8&c=16&h=5&w=5",
        _per_channel_params,
        "Cross Validated",
        "gamma beta parameters per activation per channel convolutional property",
    ),
    Question(
        "three-methods",
        "For T of shape (N, C, H, W): normalize each location over N and C, each (c, h, w) over N, "
        "or each channel over N, H and W. Which is used in practice?",
        "sharing",
        "compare",
        "schemes=batch-location,batch-pixel,batch&n=2&c=3&h=4&w=4",
        _three_methods,
        "Data Science Stack Exchange",
        "per location per activation per channel which axes",
    ),
    Question(
        "choose-groups",
        "How do I choose G in GroupNorm? What do G = 1 and G = C do?",
        "sharing",
        "compare",
        "schemes=layer,group,instance&n=2&c=8&h=4&w=4&num_groups2=4",
        _choose_groups,
        "forums, GroupNorm users",
        "group norm num_groups divisor layer norm instance norm",
    ),
    Question(
        "style-transfer",
        "Instance norm or batch norm for style transfer: what does each do to a picture?",
        "sharing",
        "images",
        "schemes=batch,instance",
        _style,
        "style-transfer tutorials",
        "instance norm contrast colour cast images pictures",
    ),
    Question(
        "transformers",
        "Why do transformers use layer norm and not batch norm, and over which axes?",
        "beyond",
        "explorer",
        "layout=NLD&scheme=layer&n=4&c=8&h=2&w=3&cell=0,0,1,2",
        _transformer,
        "forums on transformers",
        "tokens sequence LayerNorm features NLP attention",
    ),
    Question(
        "convnext",
        "ConvNeXt's LayerNorm: channels_last LayerNorm(C) or LayerNorm([C, H, W])?",
        "beyond",
        "compare",
        "schemes=layer-channels,layer&n=2&c=4&h=3&w=3",
        _convnext,
        "ConvNeXt code readers",
        "channels last permute LayerNorm2d",
    ),
    Question(
        "rmsnorm",
        "What does RMSNorm leave out compared with LayerNorm?",
        "beyond",
        "compare",
        "schemes=rms,layer&n=2&c=8&h=1&w=4",
        _rms,
        "LLM code readers",
        "root mean square T5 LLaMA no mean no beta",
    ),
    Question(
        "eval-mode",
        "What does model.eval() change for batch norm? Why is my output different at test time?",
        "training",
        "training",
        "section=eval",
        _eval,
        "PyTorch forums",
        "evaluation inference running mean running var test time train mode",
    ),
    Question(
        "one-value",
        "ValueError: Expected more than 1 value per channel when training",
        "training",
        "training",
        "section=eval&n=1&h=1&w=1",
        _one_value,
        "PyTorch forums, Stack Overflow",
        "batch size 1 error global pooling linear",
    ),
    Question(
        "small-batches",
        "Why does batch norm get worse with small batches?",
        "training",
        "training",
        "section=small",
        _small,
        "forums, detection and segmentation users",
        "batch size noise group norm ImageNet",
    ),
    Question(
        "fold",
        "How is batch norm folded into the convolution for inference?",
        "training",
        "training",
        "section=fold&conv=1",
        _fold,
        "deployment guides",
        "fuse merge conv bn weights bias deployment",
    ),
    Question(
        "momentum",
        "Keras momentum 0.99 vs PyTorch momentum 0.1: which is which?",
        "conventions",
        "training",
        "section=stream",
        _momentum,
        "porting models between frameworks",
        "running average exponential moving average decay",
    ),
    Question(
        "running-var",
        "Why is PyTorch's running_var not the variance it normalized with?",
        "conventions",
        "training",
        "section=stream",
        _running_var,
        "PyTorch forums",
        "unbiased biased Bessel m'-1",
    ),
    Question(
        "eps",
        "Is ε added to the variance or to the standard deviation?",
        "conventions",
        "explorer",
        "scheme=mvn&cell=0,0,0,0",
        _eps,
        "porting Caffe models",
        "epsilon MVN Caffe square root",
    ),
    Question(
        "backward-influence",
        "In batch norm's backward pass, how does one value of a feature map influence the others?",
        "backward",
        "backward",
        "schemes=batch,instance&cell=1,0,2,2&loss=cell",
        _influence,
        "a lecture on normalization layers",
        "gradient jacobian dx chain rule",
    ),
    Question(
        "backward-sum",
        "Why does batch norm's input gradient sum to zero over each channel?",
        "backward",
        "backward",
        "schemes=batch,instance&cell=1,0,2,2&loss=cell",
        _sum_zero,
        "derivations of the backward pass",
        "gradient mean path variance path statistics held constant",
    ),
    Question(
        "lrn",
        "AlexNet's LRN in PyTorch and MatConvNet's cross-channel norm: how do their α differ, and "
        "how do I make them agree?",
        "local",
        "local",
        "",
        _local,
        "a lecture on normalization layers",
        "local response normalization alpha size window Caffe",
    ),
    Question(
        "bn-speed",
        "Does batch norm really speed up training?",
        "experiments",
        "experiment",
        "",
        _speed,
        "the batch-norm paper's readers",
        "training curves accuracy steps faster sigmoid MLP Ioffe Szegedy",
    ),
    Question(
        "learning-rate",
        "Does batch norm let me use a larger learning rate, and where does it break?",
        "experiments",
        "experiment",
        "section=lr",
        _learning_rate,
        "forums, the batch-norm paper's claims",
        "lr sweep diverge higher learning rate",
    ),
    Question(
        "gn-small-batches",
        "Does group norm beat batch norm with small batches, as the Group Normalization paper "
        "reports?",
        "experiments",
        "experiment",
        "section=batch",
        _small_batches_gn,
        "detection and segmentation users",
        "batch size sweep group norm small batch ImageNet",
    ),
)
QUESTIONS_BY_ID = {q.id: q for q in QUESTIONS}


def matches(question: Question, text: str) -> bool:
    """True when every word of ``text`` occurs in the question, its topic, page or keywords."""
    haystack = " ".join(
        (
            question.title,
            TOPICS[question.topic],
            question.page,
            question.keywords,
            question.asked,
        )
    ).lower()
    return all(word in haystack for word in text.lower().split())


def select(text: str = "", topics: Iterable[str] = ()) -> list[Question]:
    """The questions matching the search ``text`` within ``topics`` (all topics when empty)."""
    topics = set(topics)
    return [q for q in QUESTIONS if (not topics or q.topic in topics) and matches(q, text)]


def readme_table(server: str = "") -> str:
    """The README's table of questions, generated from :data:`QUESTIONS`."""
    lines = ["| question | topic | link |", "|---|---|---|"]
    for q in QUESTIONS:
        title = q.title.replace("|", "\\|")
        lines.append(f"| {title} | {TOPICS[q.topic]} | `{server}{q.link}` |")
    return "\n".join(lines)


FIELDS = (
    urlstate.Field("search", "text", "", label="search"),
    urlstate.Field("topics", "choices", (), choices=tuple(TOPICS), label="topics"),
    urlstate.Field("q", "choice", "", choices=("",) + tuple(QUESTIONS_BY_ID), label="question"),
)
