"""How docker prints images: tables, "2 minutes ago", "4.27MB", Go-template-ish --format.

Matched to docker/cli (formatter.go uses tabwriter minwidth 10, padding 3) and go-units
(HumanDuration, HumanSizeWithPrecision with 3 significant digits, decimal units).
"""

from __future__ import annotations

import re

from pallet.errors import OptionError
from pallet.image.gojson import go_marshal

_SIZE_UNITS = ("B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB")


def human_size(size: float, precision: int = 3) -> str:
    """go-units HumanSizeWithPrecision: 4265000 -> "4.26MB", 0 -> "0B". docker images uses
    3 significant digits, buildx du 4 (HumanSize)."""
    i = 0
    while size >= 1000 and i < len(_SIZE_UNITS) - 1:
        size /= 1000
        i += 1
    return "%.*g%s" % (precision, size, _SIZE_UNITS[i])


def human_duration(seconds: float) -> str:
    """go-units HumanDuration."""
    s = int(seconds)
    if s < 1:
        return "Less than a second"
    if s == 1:
        return "1 second"
    if s < 60:
        return f"{s} seconds"
    minutes = int(seconds / 60)
    if minutes == 1:
        return "About a minute"
    if minutes < 60:
        return f"{minutes} minutes"
    hours = int(seconds / 3600 + 0.5)
    if hours == 1:
        return "About an hour"
    if hours < 48:
        return f"{hours} hours"
    if hours < 24 * 7 * 2:
        return f"{hours // 24} days"
    if hours < 24 * 30 * 2:
        return f"{hours // 24 // 7} weeks"
    if hours < 24 * 365 * 2:
        return f"{hours // 24 // 30} months"
    return f"{int(seconds / 3600) // 24 // 365} years"


def ago(then: float, now: float) -> str:
    return human_duration(max(0.0, now - then)) + " ago"


def ellipsis(text: str, limit: int) -> str:
    """docker's stringutils.Ellipsis: cut to `limit` runes, the last one "…"."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def table(rows: list[list[str]], minwidth: int = 10, padding: int = 3) -> str:
    """Go text/tabwriter as docker configures it; the last column is not padded."""
    if not rows:
        return ""
    ncols = max(len(r) for r in rows)
    widths = [max([minwidth] + [len(r[c]) + padding for r in rows if c < len(r) - 1]) for c in range(ncols)]
    lines = []
    for r in rows:
        cells = [cell.ljust(widths[c]) if c < len(r) - 1 else cell for c, cell in enumerate(r)]
        lines.append("".join(cells))
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------- --format --

_ACTION_RE = re.compile(r"\{\{\s*(json\s+)?((?:\.[A-Za-z0-9_]+)+|\.)\s*\}\}")


def go_print(value) -> str:
    """Go's %v of a decoded JSON value: [a b], map[k:v], <nil>."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + " ".join(go_print(v) for v in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{go_print(value[k])}" for k in sorted(value)) + "]"
    return str(value)


def render_template(template: str, data: dict) -> str:
    """The `{{.Field.Sub}}` and `{{json .Field}}` subset of Go templates."""

    def field(m: re.Match) -> str:
        value = data
        for part in [p for p in m.group(2).split(".") if p]:
            if not isinstance(value, dict) or part not in value:
                raise OptionError(f'template: can\'t evaluate field {part} in "{template}"')
            value = value[part]
        return go_marshal(value).decode() if m.group(1) else go_print(value)

    out = _ACTION_RE.sub(field, template)
    if "{{" in out:
        raise OptionError(f'unsupported --format template "{template}"', hint="pallet supports {{.Field}} and {{json .Field}}")
    return out
