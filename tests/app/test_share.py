"""Sharing a view: the Markdown answer's numbers, download bytes, projector styling (bnviz.share)."""

import csv
import io
import re

import numpy as np
import plotly.graph_objects as go
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bnviz
from bnviz import InputError
from bnviz.engine.synthetic import synthetic
from bnviz.figures import style
from bnviz.text import answers
from bnviz.text.describe import shape_text
from bnviz.views import downloads, explorer
from bnviz.views.urlstate import parse

# Independent of bnviz.layout: the (N, C, H, W) axes each scheme keeps, straight from its
# definition (a cell's group is every cell with the same index along these axes).
KEPT = {
    "batch": "C",
    "batch-pixel": "CHW",
    "batch-location": "HW",
    "layer": "N",
    "instance": "NC",
    "tensor": "",
}


def group_mask(shape, scheme, params, cell):
    """Boolean mask of the cells that share ``cell``'s statistics, by plain index comparison."""
    n, c, h, w = np.indices(shape)
    index = dict(zip("NCHW", (n, c, h, w)))
    if scheme == "group":
        per_group = shape[1] // params["num_groups"]
        return (n == cell[0]) & (c // per_group == cell[1] // per_group)
    if scheme == "mvn":
        kept = "N" if params.get("across_channels") else "NC"
    elif scheme == "custom":
        kept = params["keep"]
    else:
        kept = KEPT[scheme]
    mask = np.ones(shape, dtype=bool)
    for axis in kept:
        mask &= index[axis] == cell["NCHW".index(axis)]
    return mask


def explorer_values(scheme, params, **more):
    """The Explorer's field values for a scheme: its parameters' defaults, then ``params``."""
    defaults = {p.name: p.default for p in bnviz.SCHEMES[scheme].params}
    base = {"affine": False, "gamma": 1.0, "beta": 0.0, "eps": "default"}
    return {**base, **defaults, **params, **more, "scheme": scheme}


def numpy_cell(x, scheme, params, cell, eps, gamma=1.0, beta=0.0):
    """x, μ, σ², x̂ and y of one cell, computed directly in float64."""
    values = x[group_mask(x.shape, scheme, params, cell)].astype(np.float64)
    mean = values.mean()
    var = ((values - mean) ** 2).mean()
    value = float(x[cell])
    if scheme == "mvn" and not params.get("normalize_variance", True):
        x_hat = value - mean
    elif scheme == "mvn":
        x_hat = (value - mean) / (np.sqrt(var) + eps)
    else:
        x_hat = (value - mean) / np.sqrt(var + eps)
    return {"x": value, "μ": mean, "σ²": var, "x̂": x_hat, "y": gamma * x_hat + beta}


NUMBER = r"(-?[\d.]+(?:e[-+]?\d+)?)"


def answer_cell_numbers(answer: str) -> dict:
    """The selected cell's x, μ, σ², x̂ and y as written in a Markdown answer."""
    found = {
        "x": re.search(rf"^- x = {NUMBER}$", answer, re.M),
        "μ": re.search(rf"^- μ = {NUMBER}", answer, re.M),
        "σ²": re.search(rf"^- μ = \S+, σ² = {NUMBER}", answer, re.M),
        "x̂": re.search(rf"^- x̂ = .* = {NUMBER}$", answer, re.M),
        "y": re.search(rf"^- y = .*?= {NUMBER}(?: \(.*\))?$", answer, re.M),
    }
    return {key: float(m.group(1)) for key, m in found.items() if m}


def answer_counts(answer: str) -> dict:
    """The counts a Markdown answer states, read back from its list."""
    pairs = re.search(
        r"^- \*\*(?:Mean/variance pairs|Means \(no variances\)):\*\* ([\d,]+)", answer, re.M
    )
    batch = re.search(
        r"^- \*\*(?:Effective mini-batch|Group size):\*\* m′ = (.*?)(?: values? share|: each)",
        answer,
        re.M,
    )
    params = re.search(
        r"^- \*\*γ and β:\*\* ([\d,]+) entr\S* each, shape (\(.*?\)(?: \(a scalar\))?)",
        answer,
        re.M,
    )
    return {
        "groups": int(pairs.group(1).replace(",", "")),
        "m": batch.group(1),
        "param_shape": params.group(2) if params else None,
        "param_count": int(params.group(1).replace(",", "")) if params else 0,
    }


CASES = [
    ((20, 10, 5, 5), "batch", {}),
    ((4, 6, 3, 5), "group", {"num_groups": 3}),
    ((4, 6, 3, 5), "group", {"num_groups": 6}),
    ((2, 3, 4, 4), "layer", {}),
    ((3, 5, 2, 7), "instance", {}),
    ((5, 2, 3, 3), "batch-pixel", {}),
    ((5, 2, 3, 3), "batch-location", {}),
    ((2, 3, 4, 4), "tensor", {}),
    ((2, 3, 4, 4), "mvn", {}),
    ((2, 3, 4, 4), "mvn", {"across_channels": True, "normalize_variance": False}),
    ((3, 4, 2, 5), "custom", {"keep": "NW"}),
    ((3, 4, 2, 5), "custom", {"keep": ""}),
    ((1, 3, 2, 2), "custom", {"keep": "NCHW"}),
]


def test_question_one_answer():
    """Question 1 of questions.md: N=20, C=10, 5×5 maps, batch norm."""
    d = bnviz.describe((20, 10, 5, 5), "batch")
    answer = answers.markdown_answer(d)
    assert answer.startswith(
        "**Batch norm (per channel)** on a tensor of shape (N, C, H, W) = (20, 10, 5, 5)."
    )
    assert (
        "10 means and 10 variances, each over 20 × 5 × 5 = 500 values; γ and β have 10 entries each"
        in answer
    )
    assert "- **Mean/variance pairs:** 10, one for each channel" in answer
    assert "m′ = N × H × W = 20 × 5 × 5 = 500 values share each mean and variance" in answer
    assert "- **γ and β:** 10 entries each, shape (10,)" in answer
    assert "mean and variance of shape (10,)" in answer  # running statistics
    assert "- **PyTorch (training mode):** `torch.nn.BatchNorm2d(10, eps=1e-05)(x)`." in answer


@pytest.mark.parametrize(("shape", "scheme", "params"), CASES)
def test_answer_counts_equal_describe(shape, scheme, params):
    d = bnviz.describe(shape, scheme, **params)
    answer = answers.markdown_answer(d)
    counts = answer_counts(answer)
    assert counts["groups"] == d.groups
    if d.group_size == 1:
        assert counts["m"].endswith("= 1") or counts["m"] == "1"
    else:
        assert counts["m"] == f"{d.factors_names} = {d.factors_text}"
        # The product written out really is the group size.
        factors = [int(v.replace(",", "")) for v in d.factors_text.split(" = ")[0].split(" × ")]
        assert int(np.prod(factors)) == d.group_size
    if d.param_shape is None:
        assert counts["param_shape"] is None and "none (this scheme learns no scale" in answer
    else:
        assert counts["param_shape"] == shape_text(d.param_shape)
        assert counts["param_count"] == d.param_count == int(np.prod(d.param_shape))
    # The summary is quoted verbatim (escaped), every further sentence is listed.
    assert f"> {answers.escape_markdown(d.summary)}" in answer
    for sentence in d.sentences[2:]:
        assert f"- {answers.sentence_markdown(sentence, d)}" in answer
    settings = answers.params_text(bnviz.layout(shape, scheme, **params).params)
    assert (f" (`{settings}`) " if settings else "** on a") in answer.splitlines()[0]


@pytest.mark.parametrize(("shape", "scheme", "params"), CASES)
@pytest.mark.parametrize("affine", [False, True])
def test_answer_cell_numbers_equal_numpy(shape, scheme, params, affine):
    x = synthetic(shape, seed=3, offset=2.0, spread=5.0)
    values = explorer_values(scheme, params, affine=affine, gamma=1.5, beta=-0.25)
    result = explorer.compute(x, values)
    cell = tuple(k - 1 for k in shape)  # the last cell: every index non-zero where it can be
    details = explorer.cell_details(result, cell)
    answer = answers.markdown_answer(result.description, cell=details, eps=result.eps)
    written = answer_cell_numbers(answer)
    gamma, beta = (1.5, -0.25) if affine and result.weight is not None else (1.0, 0.0)
    expected = numpy_cell(x, scheme, params, cell, result.eps, gamma, beta)
    uses_variance = params.get("normalize_variance", True)
    assert set(written) == ({"x", "μ", "σ²", "x̂", "y"} if uses_variance else {"x", "μ", "x̂", "y"})
    for key, value in written.items():
        # Six significant digits are written; float32 arithmetic adds a little more.
        np.testing.assert_allclose(value, expected[key], rtol=2e-5, atol=2e-5, err_msg=key)
    assert f"in group {details.group} of {result.description.groups:,}" in answer
    assert f"({', '.join(map(str, cell))})" in answer


def test_answer_x_hat_line_follows_each_eps_convention():
    d_batch = bnviz.describe((2, 2, 2, 2), "batch")
    cell = explorer.CellDetails((0, 1, 0, 0), 1, 3.0, 1.0, 4.0, 0.99999, 0.99999, None, None, ())
    batch = answers.markdown_answer(d_batch, cell=cell, eps=1e-5)
    assert "- x̂ = (x − μ) / √(σ² + ε) = (3 − 1) / √(4 + 1e-05) = 0.99999" in batch
    assert "- y = x̂ = 0.99999 (γ and β not applied: γ = 1, β = 0)" in batch
    d_mvn = bnviz.describe((2, 2, 2, 2), "mvn")
    mvn = answers.markdown_answer(d_mvn, cell=cell, eps=1e-9)
    assert "- x̂ = (x − μ) / (σ + ε) = (3 − 1) / (√4 + 1e-09) = 0.99999" in mvn
    assert "- y = x̂ = 0.99999 (no learned γ and β)" in mvn
    negative = explorer.CellDetails((0, 0, 0, 0), 0, -3.0, -1.0, 4.0, -1.0, 2.0, -2.0, 4.0, ())
    text = answers.markdown_answer(d_batch, cell=negative, eps=0.0)
    assert "(-3 − (-1)) / √(4 + 0) = -1" in text
    assert "- y = γ · x̂ + β = -2 · (-1) + 4 = 2" in text


def test_answer_escapes_markdown_and_gives_the_link():
    d = bnviz.describe((2, 3, 2, 2), "batch-pixel")
    answer = answers.markdown_answer(
        d,
        tensor="pictures my_cat_1.png and *dog*",
        url="http://h:1/?scheme=batch-pixel&cell=1,2,0,0",
    )
    # The recipe is inline code; the flat parameter shape is said beside the tensor's layout.
    assert "`torch.nn.BatchNorm1d(12, eps=1e-05)(x.reshape(2, -1)).reshape(2, 3, 2, 2)`" in answer
    assert "12 entries each, shape (3, 2, 2), held flat as (12,) by BatchNorm1d" in answer
    assert "my\\_cat\\_1.png and \\*dog\\*" in answer
    assert answer.rstrip().endswith("See it: <http://h:1/?scheme=batch-pixel&cell=1,2,0,0>")
    relative = answers.markdown_answer(d, url="/?scheme=batch-pixel")
    assert "See it: open `/?scheme=batch-pixel` on the bnviz server." in relative
    assert answers.escape_markdown("a_b*c`d[e]f\\g<h>") == "a\\_b\\*c\\`d\\[e\\]f\\\\g\\<h\\>"


def test_answer_grammar_for_a_single_value_and_no_variances():
    single = answers.markdown_answer(bnviz.describe((1, 2, 2, 2), "custom", keep="NCHW"))
    assert "m′ = 1: each mean and variance is taken over a single value." in single
    means_only = answers.markdown_answer(
        bnviz.describe((2, 2, 2, 2), "mvn", normalize_variance=False)
    )
    assert "- **Means (no variances):** 4" in means_only
    assert "values share each mean." in means_only
    assert "(`across_channels = False, normalize_variance = False`)" in means_only.splitlines()[0]


def test_npy_bytes_round_trip():
    x = synthetic((2, 3, 4, 5), seed=1)
    back = np.load(io.BytesIO(downloads.npy_bytes(x)))
    assert back.dtype == np.float32 and back.shape == x.shape
    np.testing.assert_array_equal(back, x)
    lay = bnviz.layout(x.shape, "instance")
    out = bnviz.normalize(x, "instance")
    stats = downloads.group_stats(lay, out.mean, out.var)
    back = np.load(io.BytesIO(downloads.npy_bytes(stats)), allow_pickle=False)
    assert back.dtype.names == downloads.STATS_COLUMNS
    np.testing.assert_array_equal(back, stats)


def read_csv(data: bytes):
    rows = list(csv.reader(io.StringIO(data.decode())))
    return rows[0], rows[1:]


@pytest.mark.parametrize(("shape", "scheme", "params"), CASES[:5])
def test_cells_csv_rows_columns_values(shape, scheme, params):
    x = synthetic(shape, seed=2, offset=3.0)
    result = explorer.compute(x, explorer_values(scheme, params, affine=True, gamma=2.0, beta=1.0))
    data = downloads.cells_csv(
        result.x, result.labels, result.mean, result.var, result.x_hat, result.y
    )
    header, rows = read_csv(data)
    assert tuple(header) == downloads.CELL_COLUMNS
    assert len(rows) == x.size and all(len(r) == 10 for r in rows)
    table = np.array(rows, dtype=np.float64)
    index = table[:, :4].astype(int)
    # Row-major order of (n, c, h, w).
    np.testing.assert_array_equal(index, np.indices(shape).reshape(4, -1).T)
    cells = tuple(index.T)
    np.testing.assert_array_equal(table[:, 4].astype(np.float32), x[cells])  # exact float32
    np.testing.assert_array_equal(table[:, 5], result.labels[cells])
    mean = np.broadcast_to(result.mean, shape)[cells]
    var = np.broadcast_to(result.var, shape)[cells]
    np.testing.assert_array_equal(table[:, 6], mean)  # exact float64
    np.testing.assert_array_equal(table[:, 7], var)
    np.testing.assert_array_equal(table[:, 8].astype(np.float32), result.x_hat[cells])
    np.testing.assert_array_equal(table[:, 9].astype(np.float32), result.y[cells])
    # Spot check one row against the independent computation.
    cell = tuple(k // 2 for k in shape)
    row = table[np.ravel_multi_index(cell, shape)]
    expected = numpy_cell(x, scheme, params, cell, result.eps, 2.0, 1.0)
    np.testing.assert_allclose(
        row[6:], [expected[k] for k in ("μ", "σ²", "x̂", "y")], rtol=1e-5, atol=1e-5
    )


def test_cells_csv_refuses_large_tensors_and_other_ranks():
    x = np.zeros((2, 2, 2, 2), dtype=np.float32)
    labels = np.zeros(x.shape, dtype=int)
    with pytest.raises(InputError, match="16 cells.*up to 15"):
        downloads.cells_csv(x, labels, x, x, x, x, max_cells=15)
    with pytest.raises(InputError, match=r"\(N, C, H, W\)"):
        downloads.cells_csv(x[0], labels[0], x[0], x[0], x[0], x[0])


@pytest.mark.parametrize(("shape", "scheme", "params"), CASES)
def test_group_stats_and_stats_csv(shape, scheme, params):
    x = synthetic(shape, seed=5, offset=1.0, spread=3.0)
    out = bnviz.normalize(x, scheme, **params)
    lay = out.layout
    stats = downloads.group_stats(lay, out.mean, out.var)
    assert stats.shape == (lay.groups,)
    np.testing.assert_array_equal(stats["group"], np.arange(lay.groups))
    assert (stats["size"] == lay.group_size).all()
    labels = lay.labels()
    for g in range(lay.groups):
        first = tuple(np.argwhere(labels == g)[0])
        values = x[group_mask(shape, scheme, params, first)].astype(np.float64)
        assert values.size == lay.group_size
        np.testing.assert_allclose(stats["mean"][g], values.mean(), rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(stats["var"][g], values.var(), rtol=1e-5, atol=1e-6)
    header, rows = read_csv(downloads.stats_csv(stats))
    assert tuple(header) == downloads.STATS_COLUMNS
    assert len(rows) == lay.groups
    table = np.array(rows, dtype=np.float64)
    np.testing.assert_array_equal(table[:, 0], stats["group"])
    np.testing.assert_array_equal(table[:, 1], stats["mean"])  # 17 digits: exact
    np.testing.assert_array_equal(table[:, 2], stats["var"])
    np.testing.assert_array_equal(table[:, 3], stats["size"])


@settings(max_examples=40, deadline=None)
@given(
    shape=st.tuples(*[st.integers(1, 4)] * 4),
    scheme=st.sampled_from(
        ["batch", "layer", "instance", "batch-pixel", "batch-location", "tensor"]
    ),
    seed=st.integers(0, 1000),
)
def test_group_stats_sizes_sum_to_the_tensor(shape, scheme, seed):
    x = synthetic(shape, seed=seed)
    out = bnviz.normalize(x, scheme)
    stats = downloads.group_stats(out.layout, out.mean, out.var)
    assert stats["size"].sum() == x.size
    # Scattering by label keeps one statistic per group: every cell's own statistic is it.
    labels = out.layout.labels()
    np.testing.assert_array_equal(stats["mean"][labels], np.broadcast_to(out.mean, shape))


def test_downloads_bytes_round_trip():
    x = synthetic((3, 4, 5, 6), seed=4, offset=2.0)
    result = explorer.compute(x, explorer_values("group", {"num_groups": 2}))
    files = {f.file_name: f for f in downloads.downloads(result)}
    stem = "bnviz-group-3x4x5x6-"
    assert set(files) == {
        stem + name for name in ("x.npy", "y.npy", "stats.npy", "stats.csv", "cells.csv")
    }
    assert [f.label for f in downloads.downloads(result)] == [
        "Tensor x (.npy)",
        "Output y (.npy)",
        "Statistics (.npy)",
        "Statistics (.csv)",
        "Every cell (.csv)",
    ]
    np.testing.assert_array_equal(np.load(io.BytesIO(files[stem + "x.npy"].data())), x)
    y = np.load(io.BytesIO(files[stem + "y.npy"].data()))
    np.testing.assert_array_equal(y, result.y)
    assert y.dtype == np.float32
    stats = np.load(io.BytesIO(files[stem + "stats.npy"].data()))
    assert stats.shape == (6,) and (stats["size"] == 2 * 5 * 6).all()
    # Sample 1, channels 2-3 is group 3.
    np.testing.assert_allclose(stats["mean"][3], x[1, 2:4].astype(np.float64).mean(), rtol=1e-6)
    header, rows = read_csv(files[stem + "stats.csv"].data())
    assert len(rows) == 6 and float(rows[3][1]) == stats["mean"][3]
    header, rows = read_csv(files[stem + "cells.csv"].data())
    assert len(rows) == x.size
    assert files[stem + "cells.csv"].mime == "text/csv"


def test_downloads_leave_out_the_cell_table_of_large_tensors():
    x = np.zeros((2, 2, 128, 129), dtype=np.float32)  # 66,048 cells > MAX_CSV_CELLS
    result = explorer.compute(x, explorer_values("batch", {}))
    names = [f.file_name for f in downloads.downloads(result)]
    assert len(names) == 4 and not any(n.endswith("cells.csv") for n in names)


def test_for_projector_changes_a_copy():
    fig = go.Figure(go.Heatmap(z=[[1, 2]]), layout={"title": {"text": "t"}})
    fig.add_annotation(text="a")
    fig.frames = [go.Frame(name="0", data=[go.Heatmap(zmin=0)])]
    big = style.for_projector(fig)
    assert big.layout.font.size == style.PROJECTOR_FONT
    assert big.layout.xaxis.tickfont.size == style.PROJECTOR_FONT
    assert big.layout.annotations[0].font.size == style.PROJECTOR_FONT
    assert big.layout.title.font.size == style.PROJECTOR_FONT + 2
    assert len(big.frames) == 1
    assert fig.layout.font.size is None and fig.layout.title.font.size is None


def test_chart_config_saves_png_offline():
    config = style.chart_config("bnviz-x")
    assert config["toImageButtonOptions"] == {"format": "png", "filename": "bnviz-x", "scale": 2}
    assert config["displaylogo"] is False
    d = bnviz.describe((20, 10, 5, 5), "batch")
    assert downloads.download_name("group-map", d) == "bnviz-batch-20x10x5x5-group-map"


def test_params_text():
    assert answers.params_text({}) == ""
    assert answers.params_text({"num_groups": 4}) == "num_groups = 4"
    assert answers.params_text({"keep": ""}) == "keep = none"
    # A URL state read back gives the same values (urlstate is what the link is built from).
    assert parse(explorer.FIELDS, {"cell": "1,2,3,4"})[0]["cell"] == (1, 2, 3, 4)


def test_page_answer_escapes_unless_told_the_sentences_are_markdown():
    from bnviz.text.answers import page_answer

    text = page_answer("C*H*W pairs", ["BatchNorm1d(C*H*W) learns C*H*W"], url="/images?n=2")
    assert text.startswith("**C\\*H\\*W pairs**")
    assert "- BatchNorm1d(C\\*H\\*W) learns C\\*H\\*W" in text
    assert text.rstrip().endswith("open `/images?n=2` on the bnviz server.")
    raw = page_answer("t", ["**A and B agree**"], escape=False)
    assert "- **A and B agree**" in raw and "See it" not in raw


def test_recipe_sentence_renders_its_code_as_inline_code():
    d = bnviz.describe((20, 10, 5, 5), "batch-pixel")
    (sentence,) = [s for s in d.sentences if d.torch_code in s]
    text = answers.sentence_markdown(sentence, d)
    assert text.endswith(f"`{d.torch_code}`")
    assert f"`{d.torch_code}`" in answers.markdown_answer(d)
