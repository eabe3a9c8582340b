"""The README states only what the code does: its scheme table is checked against describe()."""

import re
from pathlib import Path

import bnviz

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
SHAPE = (2, 6, 4, 5)


def scheme_rows() -> dict:
    """The README's scheme table: id → cells."""
    section = README.split("## The schemes", 1)[1].split("The local normalizations", 1)[0]
    rows = {}
    for line in section.splitlines():
        match = re.match(r"^\| `([a-z-]+)` \|(.*)\|$", line)
        if match:
            rows[match.group(1)] = [cell.strip() for cell in match.group(2).split("|")]
    return rows


def test_every_scheme_has_a_row():
    assert set(scheme_rows()) == set(bnviz.SCHEMES)


def test_pytorch_column_is_the_recipe_the_tests_run():
    for scheme, cells in scheme_rows().items():
        params = {"num_groups": 2} if scheme == "group" else {}
        code = bnviz.describe(SHAPE, scheme, **params).torch_code
        column = cells[-1]
        if code is None:
            assert column.startswith("none"), scheme
        else:
            assert f"`{code}`" in column, scheme


def test_param_column_names_the_layout_and_the_flat_shape():
    rows = scheme_rows()
    for scheme, cells in rows.items():
        d = bnviz.describe(SHAPE, scheme, **({"num_groups": 2} if scheme == "group" else {}))
        text = cells[1]
        if d.param_shape is None:
            assert text == "none", scheme
        elif "held flat" in d.param_shape_text:
            assert "held flat" in text, scheme
        else:
            assert "held flat" not in text, scheme
