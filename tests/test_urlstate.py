"""URL state: forgiving parsing of tampered values, compact round trips."""

import pytest

from bnviz import explorer
from bnviz.urlstate import Field, parse, parse_field, to_query

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
    assert explorer.default_groups(16) == 4
    assert explorer.default_groups(3) == 3
    assert explorer.default_groups(1) == 1
    assert explorer.nearest_divisor(12, 5) == 4


def test_a_list_from_a_widget_equal_to_the_default_tuple_is_left_out():
    assert to_query([SCHEMES], {"schemes": ["batch", "layer"]}) == {}
    assert to_query([SCHEMES], {"schemes": ["layer"]}) == {"schemes": "layer"}
