"""Go's `strconv.Quote` (what `%q` prints for a string): BuildKit's dumps, messages and
history lines quote values this way."""

from __future__ import annotations

_SHORT_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
    '"': '\\"',
    "\\": "\\\\",
}


def go_quote(text: str) -> str:
    """Go's strconv.Quote: printable runes as-is, the rest escaped.

    Text decoded with `surrogateescape` carries invalid UTF-8 bytes as U+DC80..U+DCFF;
    those print as `\\xHH`, the way Go prints the raw byte.
    """
    if text.isprintable() and '"' not in text and "\\" not in text:
        return '"' + text + '"'
    return '"' + "".join(_quote_char(ch) for ch in text) + '"'


def _quote_char(ch: str) -> str:
    if ch in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[ch]
    if ch.isprintable():
        return ch
    code = ord(ch)
    if code < 0x20 or code == 0x7F:
        return f"\\x{code:02x}"
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"
    if 0xD800 <= code <= 0xDFFF:
        # a lone surrogate is invalid UTF-8 to Go: each of its 3 bytes is escaped
        return "".join(f"\\x{b:02x}" for b in ch.encode("utf-8", "surrogatepass"))
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"
