"""Page state in URL query parameters: declared fields, forgiving parsing, compact links.

Pure Python (no Streamlit): a page declares its :class:`Field` s; :func:`parse` turns whatever a
URL holds (tampered, absurd, missing) into valid values plus notices saying what was replaced, and
:func:`to_query` writes the values back, leaving out defaults so links stay short.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

#: A "text" field keeps at most this many characters (a search box, not a document).
MAX_TEXT = 200
#: The axes an "axes" field picks from, in the order their letters are written.
AXES = "NCHW"


@dataclass(frozen=True)
class Field:
    """One piece of shareable page state.

    Attributes
    ----------
    key : str
        The query parameter's name.
    kind : {"int", "float", "bool", "choice", "cell", "choices", "axes", "text"}
        "text" is free text (at most :data:`MAX_TEXT` characters kept); "cell" is a tuple of
        non-negative ints written "1,0,2,3"; "choices" a tuple of choices written "batch,layer"; "axes" a set of the axes N, C, H, W held as their letters in that
        order ("NC"), written so, "none" for the empty set (any order and case is read).
    default : object
    low, high : number, optional
        Bounds for "int" and "float"; values outside are clamped.
    choices : tuple of str, optional
        Allowed values for "choice" and "choices".
    label : str
        What the field is, for notices.
    """

    key: str
    kind: str
    default: object
    low: float | None = None
    high: float | None = None
    choices: tuple = ()
    label: str = ""

    @property
    def name(self) -> str:
        return self.label or self.key


def _first(raw) -> str:
    # st.query_params gives the last value as a str; a plain mapping may give a list.
    if isinstance(raw, (list, tuple)):
        return str(raw[-1]) if raw else ""
    return str(raw)


def parse_field(field: Field, raw) -> tuple[object, str | None]:
    """The value of ``field`` from a raw query string, and a notice if it had to be replaced."""
    text = _first(raw).strip()
    replaced = (
        f"{field.name}: {text!r} is not valid here; using {format_value(field, field.default)}."
    )
    try:
        if field.kind == "int":
            value = float(text)
            if not math.isfinite(value) or value != int(value):
                return field.default, replaced
            return _clamp(field, int(value))
        if field.kind == "float":
            value = float(text)
            if not math.isfinite(value):
                return field.default, replaced
            return _clamp(field, value)
        if field.kind == "bool":
            if text.lower() in ("1", "true", "yes", "on"):
                return True, None
            if text.lower() in ("0", "false", "no", "off"):
                return False, None
            return field.default, replaced
        if field.kind == "text":
            return text[:MAX_TEXT], None
        if field.kind == "choice":
            return (text, None) if text in field.choices else (field.default, replaced)
        if field.kind == "cell":
            if text.lower() in ("", "none"):
                return None, None
            cell = tuple(int(part) for part in text.split(","))
            if len(cell) != 4 or min(cell) < 0:
                return field.default, replaced
            return cell, None
        if field.kind == "choices":
            items = tuple(item for item in text.split(",") if item)
            if not items or any(item not in field.choices for item in items):
                return field.default, replaced
            return items, None
        if field.kind == "axes":
            letters = "" if text.lower() in ("", "none", "-") else text.upper().replace(",", "")
            if any(ch not in AXES for ch in letters) or len(set(letters)) != len(letters):
                return field.default, replaced
            return "".join(axis for axis in AXES if axis in letters), None
    except (ValueError, OverflowError):
        return field.default, replaced
    raise ValueError(f"unknown field kind {field.kind!r}")


def _clamp(field: Field, value):
    low = field.low if field.low is not None else value
    high = field.high if field.high is not None else value
    clamped = min(max(value, low), high)
    if clamped != value:
        return clamped, (
            f"{field.name}: {format_value(field, value)} is outside "
            f"{format_value(field, low)}–{format_value(field, high)}; using {format_value(field, clamped)}."
        )
    return value, None


def format_value(field: Field, value) -> str:
    """``value`` as it is written in a URL."""
    if value is None:
        return "none"
    if field.kind == "bool":
        return "1" if value else "0"
    if field.kind == "axes":
        return value or "none"
    if field.kind in ("cell", "choices"):
        return ",".join(str(v) for v in value)
    if field.kind == "float":
        return f"{value:g}"
    return str(value)


def parse(fields: Iterable[Field], query: Mapping) -> tuple[dict, list[str]]:
    """Values for every field (defaults where the query has none) and notices for replaced ones."""
    values, notices = {}, []
    for field in fields:
        if field.key in query:
            value, notice = parse_field(field, query[field.key])
            if notice:
                notices.append(notice)
        else:
            value = field.default
        values[field.key] = value
    return values, notices


def to_query(fields: Iterable[Field], values: Mapping) -> dict[str, str]:
    """Query parameters for ``values``, leaving out those equal to their default."""
    return {
        field.key: format_value(field, values[field.key])
        for field in fields
        if field.key in values and _comparable(values[field.key]) != _comparable(field.default)
    }


def _comparable(value):
    # Widgets hand back lists where a field's default is a tuple (multiselect, cell inputs).
    return tuple(value) if isinstance(value, list) else value


def minimal_query(
    fields: Iterable[Field], query: Mapping[str, str], opened: Callable[[dict], dict]
) -> dict[str, str]:
    """``query`` without the parameters a link can leave out.

    Parameters
    ----------
    fields : sequence of Field
        The page's fields.
    query : mapping of str to str
        Query parameters, e.g. from :func:`to_query`.
    opened : callable
        ``opened(values) -> values``: what the page makes of parsed values (its constraints and
        the values it derives, such as a ``num_groups`` chosen to divide C).

    Returns
    -------
    dict of str to str
        ``query`` without each parameter whose absence opens the same values: a value the page
        derives by itself is not written into links, whatever the field's declared default.
    """
    fields = tuple(fields)

    def reopen(q: Mapping) -> dict:
        values, _ = parse(fields, q)
        return {key: _comparable(value) for key, value in opened(values).items()}

    kept = dict(query)
    target = reopen(kept)
    for key in list(kept):
        trial = {k: v for k, v in kept.items() if k != key}
        if reopen(trial) == target:
            kept = trial
    return kept
