"""URL state: forgiving parsing of tampered values, compact round trips."""

import math

import pytest

import bnviz
from bnviz.engine.schemes import default_groups
from bnviz.views import explorer, source
from bnviz.views.urlstate import Field, minimal_query, parse, parse_field, to_query

N = Field("n", "int", 4, 1, 256, label="N")
EPS = Field("eps", "float", 1e-5, 0.0, 1.0)
CELL = Field("cell", "cell", None)
KEEP = Field("keep", "axes", "C")
SCHEMES = Field("schemes", "choices", ("batch", "layer"), choices=("batch", "layer", "group"))


@pytest.mark.parametrize(
    ("field", "raw", "value", "noticed"),
    [
        (N, "7", 7, False),
        (N, "7.0", 7, False),
        (N, "100000", 256, True),
        (N, "-3", 1, True),
        (N, "7.5", 4, True),
        (N, "abc", 4, True),
        (N, "nan", 4, True),
        (N, "1e999", 4, True),
        (EPS, "1e-3", 1e-3, False),
        (EPS, "inf", 1e-5, True),
        (EPS, "5", 1.0, True),
        (CELL, "1,2,3,4", (1, 2, 3, 4), False),
        (CELL, "1,2,3", None, True),
        (CELL, "1,-2,3,4", None, True),
        (CELL, "a,b,c,d", None, True),
        (SCHEMES, "group,batch", ("group", "batch"), False),
        (SCHEMES, "group,<script>", ("batch", "layer"), True),
        (KEEP, "wHn", "NHW", False),
        (KEEP, "N,C", "NC", False),
        (KEEP, "none", "", False),
        (KEEP, "", "", False),
        (KEEP, "NN", "C", True),
        (KEEP, "NX", "C", True),
        (Field("b", "bool", False), "1", True, False),
        (Field("b", "bool", False), "maybe", False, True),
        (Field("s", "choice", "batch", choices=("batch",)), "bogus", "batch", True),
    ],
)
def test_parse_field(field, raw, value, noticed):
    parsed, notice = parse_field(field, raw)
    assert parsed == value
    assert (notice is not None) == noticed


def test_round_trip_leaves_out_defaults():
    fields = (N, EPS, CELL, SCHEMES)
    values = {"n": 9, "eps": 1e-5, "cell": (0, 1, 2, 3), "schemes": ("group",)}
    query = to_query(fields, values)
    assert query == {"n": "9", "cell": "0,1,2,3", "schemes": "group"}
    parsed, notices = parse(fields, query)
    assert parsed == values and notices == []


def test_explorer_fields_round_trip_every_value():
    values = {f.key: f.default for f in explorer.FIELDS}
    values.update(n=2, c=8, h=3, w=5, scheme="group", num_groups=4, eps="1e-3", affine=True)
    values.update(gamma=1.5, beta=-0.25, colour="y", cell=(1, 7, 2, 4), seed=11, spread=100.0)
    parsed, notices = parse(explorer.FIELDS, to_query(explorer.FIELDS, values))
    assert notices == []
    assert parsed == values


def test_explorer_constraints():
    values = {f.key: f.default for f in explorer.FIELDS}
    values.update(n=256, c=512, h=512, w=512, scheme="group", num_groups=7, cell=(300, 0, 0, 0))
    fixed, notices = explorer.constrain(values)
    assert fixed["n"] * fixed["c"] * fixed["h"] * fixed["w"] <= explorer.MAX_VALUES
    assert len(notices) == 1 and "shrunk" in notices[0]
    shape = tuple(fixed[k] for k in ("n", "c", "h", "w"))
    fitted, notices = explorer.fit_to_shape(fixed, shape)
    assert fitted["c"] % fitted["num_groups"] == 0
    assert fitted["cell"] is None
    assert len(notices) == 2


def test_default_groups_is_a_divisor_and_more_than_one():
    assert default_groups(16) == 4
    assert default_groups(3) == 3
    assert default_groups(1) == 1
    (groups,) = [p for p in bnviz.SCHEMES["group"].params if p.choices]
    assert groups.value_for(12, 5) == 4 and groups.value_for(12, None) == default_groups(12)


def test_a_list_from_a_widget_equal_to_the_default_tuple_is_left_out():
    assert to_query([SCHEMES], {"schemes": ["batch", "layer"]}) == {}
    assert to_query([SCHEMES], {"schemes": ["layer"]}) == {"schemes": "layer"}


def test_a_request_over_the_limit_shrinks_to_the_largest_shape_that_fits():
    values = {f.key: f.default for f in explorer.FIELDS}
    values.update(n=65, c=64, h=32, w=32)
    fixed, notices = explorer.constrain(values)
    # N = 64 fits the 2**22 limit exactly (halving the longest axis gave N = 32).
    assert tuple(fixed[k] for k in "nchw") == (64, 64, 32, 32)
    assert notices == [
        "A tensor of shape (65, 64, 32, 32) has 4,259,840 values; the limit is 4,194,304, so it "
        "was shrunk to (64, 64, 32, 32) (4,194,304 values), the largest shape that fits."
    ]


@pytest.mark.parametrize(
    "shape",
    [(65, 64, 32, 32), (256, 512, 512, 512), (256, 512, 6, 6), (1, 512, 512, 512), (3, 2, 1, 7)],
)
def test_fit_shape_is_within_the_request_the_limit_and_cannot_grow(shape):
    limit = 2**22 if max(shape) > 7 else 20
    fitted = source.fit_shape(shape, limit)
    assert all(1 <= f <= s for f, s in zip(fitted, shape))
    assert math.prod(fitted) <= limit
    for axis, (f, s) in enumerate(zip(fitted, shape)):
        if f < s:  # one more along any cut axis would pass the limit
            assert math.prod(fitted) // f * (f + 1) > limit, axis
    if math.prod(shape) <= limit:
        assert fitted == shape


def test_minimal_query_leaves_out_what_the_page_derives():
    groups = Field("num_groups", "int", None, 1, 64)
    c = Field("c", "int", 3, 1, 64)
    fields = (c, groups)

    def opened(values):  # like the Explorer: num_groups defaults to a divisor of C
        values = dict(values)
        if values["num_groups"] is None:
            values["num_groups"] = 2 if values["c"] % 2 == 0 else values["c"]
        return values

    assert minimal_query(fields, {"c": "6", "num_groups": "2"}, opened) == {"c": "6"}
    assert minimal_query(fields, {"c": "6", "num_groups": "3"}, opened) == {
        "c": "6",
        "num_groups": "3",
    }
    # Removing C would change what num_groups means: both stay.
    assert minimal_query(fields, {"c": "4", "num_groups": "4"}, opened) == {
        "c": "4",
        "num_groups": "4",
    }
