"""BuildKit's `Node.Dump` text for a parsed Dockerfile, used to check conformance.

Format (frontend/dockerfile/parser/parser.go Dump, FORMATS.md 1.2): one `(keyword ...)` line
per instruction, flags as Go prints a `[]string` with `%q`, each argument through Go's
`strconv.Quote`, ONBUILD's instruction nested as `(onbuild (run "x"))`.
"""

from __future__ import annotations

from pallet.dockerfile.nodes import Dockerfile, Node

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


def dump_node(node: Node) -> str:
    """One instruction without the outer parentheses: `run ["--mount=x"] "make"`."""
    parts = [node.keyword]
    if node.flags:
        parts.append("[" + " ".join(go_quote(f) for f in node.flags) + "]")
    if node.child is not None:
        parts.append("(" + dump_node(node.child) + ")")
    else:
        parts.extend(go_quote(arg) for arg in node.args)
    return " ".join(parts)


def dump(dockerfile: Dockerfile) -> str:
    """The whole dump, lines joined by "\\n" (BuildKit's result files add a final "\\n")."""
    return "\n".join("(" + dump_node(node) + ")" for node in dockerfile.nodes)
