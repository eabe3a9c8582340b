"""Numbers as LaTeX, for formulas with the numbers put in."""

from __future__ import annotations


def latex_number(value: float, digits: int = 4) -> str:
    """A float for LaTeX: ``digits`` significant digits, powers of ten as 10^{k}."""
    value = float(value)
    if value == 0:
        return "0"
    text = f"{value:.{digits}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        power = f"10^{{{int(exponent)}}}"
        return power if mantissa in ("1", "1.0") else rf"{mantissa} \times {power}"
    return text


def signed(value: float) -> str:
    """:func:`latex_number`, in parentheses when negative (it follows an operator)."""
    text = latex_number(value)
    return f"({text})" if float(value) < 0 else text
