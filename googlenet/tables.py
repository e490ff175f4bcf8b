"""Plain-text tables that line up in a notebook even with Chinese in them: Python's string padding counts
characters, but a CJK character takes two monospace columns, so ``f"{'权重':>10}"`` drifts; `format_table`
pads by display width."""

from __future__ import annotations

import re
from typing import Sequence


def display_width(text: str) -> int:
    """Columns ``text`` takes in a monospace font: East Asian wide characters count two."""
    return sum(2 if _wide(ch) else 1 for ch in text)


def _wide(ch: str) -> bool:
    code = ord(ch)
    return (0x1100 <= code <= 0x115F or 0x2E80 <= code <= 0xA4CF or 0xAC00 <= code <= 0xD7A3
            or 0xF900 <= code <= 0xFAFF or 0xFE30 <= code <= 0xFE4F or 0xFF00 <= code <= 0xFF60
            or 0xFFE0 <= code <= 0xFFE6)


def format_table(header: Sequence[str], rows: Sequence[Sequence[object]], *, gap: int = 2) -> str:
    """Header, a rule, then the rows; numbers right-aligned, text left-aligned. Integers get thousands
    separators, other cells ``str``: format floats yourself (e.g. ``f"{x:.1%}"``) when the digits matter."""
    if any(len(r) != len(header) for r in rows):
        lengths = sorted({len(r) for r in rows})
        raise ValueError(f"每一行的列数应与表头相同（{len(header)} 列），收到的行有 {lengths} 列")
    cells = [[_cell(v) for v in r] for r in rows]
    # a column is numeric when every non-empty cell is a number (a blank total cell is fine)
    numeric = [any(c[i] for c in cells) and all(_is_number(r[i]) for r, c in zip(rows, cells) if c[i])
               for i in range(len(header))]
    widths = [max(display_width(s) for s in [h, *(c[i] for c in cells)]) for i, h in enumerate(header)]

    def line(values) -> str:
        parts = []
        for v, w, right in zip(values, widths, numeric):
            pad = " " * (w - display_width(v))
            parts.append(pad + v if right else v + pad)
        return (" " * gap).join(parts).rstrip()

    out = [line(header), line(["-" * w for w in widths])]
    out += [line(c) for c in cells]
    return "\n".join(out)


# numbers as notebooks print them: 1,234  0.5  -7.5%  2.41×  112K  and shapes like 28×28×192
_NUMBER = re.compile(r"^[+\-−]?[\d,]*\.?\d+(%|×|K|M)?$|^\d+(×\d+)+$")


def _is_number(value) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, (int, float)) or (isinstance(value, str) and bool(_NUMBER.match(value)))


def _cell(value) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)
