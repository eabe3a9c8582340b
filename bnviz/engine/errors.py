"""The package's one error type for bad input, and the look-up by id that raises it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

Entry = TypeVar("Entry")


class InputError(ValueError):
    """Raised for input a user can get wrong: an unknown scheme, a bad shape or parameter, a bad file.

    The message is written for the person who made the mistake; the app shows it as it is.
    """


def look_up(
    table: Mapping[str, Entry],
    key,
    unknown: Callable[[str], str],
    kind: type | None = None,
) -> Entry:
    """``table[key]``, or ``key`` itself where it already is an entry; InputError otherwise.

    Parameters
    ----------
    table : Mapping of str to entries
        The entries by id, in the order an error lists them.
    key : object
        The id asked for; one that is not hashable is unknown too.
    unknown : callable
        ``unknown(known)`` is the error's message, given the table's ids joined by ", ".
    kind : type, optional
        The entries' type: an instance passed as ``key`` is returned as it is.
    """
    if kind is not None and isinstance(key, kind):
        return key
    try:
        return table[key]
    except (KeyError, TypeError):
        raise InputError(unknown(", ".join(table))) from None
