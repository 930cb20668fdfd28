"""One record of Go's `encoding/csv`, the way BuildKit splits a `--mount` value.

Matches `csv.NewReader(strings.NewReader(v)).Read()` with default options: `,` separates
fields, a field that starts with `"` is quoted (`""` inside is one quote), a quote anywhere
else in a field is an error, and only the first record (line) is read.
"""

from __future__ import annotations


class CsvError(ValueError):
    """Go's `*csv.ParseError` text, or `EOF` for an input with no record."""


def read_record(text: str) -> list[str]:
    pos = _skip_blank_lines(text, 0)
    if pos >= len(text):
        raise CsvError("EOF")
    fields: list[str] = []
    while True:
        if text.startswith('"', pos):
            field, pos = _quoted(text, pos)
        else:
            field, pos = _unquoted(text, pos)
        fields.append(field)
        if pos >= len(text) or text[pos] == "\n":
            return fields
        pos += 1  # the comma


def _skip_blank_lines(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in "\r\n":
        pos += 1
    return pos


def _unquoted(text: str, pos: int) -> tuple[str, int]:
    end = pos
    while end < len(text) and text[end] not in ",\n":
        if text[end] == '"':
            raise _error(text, end, 'bare " in non-quoted field')
        end += 1
    return text[pos:end].removesuffix("\r"), end


def _quoted(text: str, pos: int) -> tuple[str, int]:
    out = []
    i = pos + 1
    while True:
        close = text.find('"', i)
        if close < 0:
            raise _error(text, len(text), 'extraneous or missing " in quoted-field')
        out.append(text[i:close])
        nxt = text[close + 1 : close + 2]
        if nxt == '"':
            out.append('"')
            i = close + 2
        elif nxt in ("", ",", "\n"):
            return "".join(out), close + 1
        else:
            raise _error(text, close + 1, 'extraneous or missing " in quoted-field')


def _error(text: str, index: int, what: str) -> CsvError:
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return CsvError(f"parse error on line {line}, column {column}: {what}")
