"""BuildKit's `Node.Dump` text for a parsed Dockerfile, used to check conformance.

Format (frontend/dockerfile/parser/parser.go Dump, FORMATS.md 1.2): one `(keyword ...)` line
per instruction, flags as Go prints a `[]string` with `%q`, each argument through Go's
`strconv.Quote`, ONBUILD's instruction nested as `(onbuild (run "x"))`.
"""

from __future__ import annotations

from pallet.dockerfile.goquote import go_quote
from pallet.dockerfile.nodes import Dockerfile, Node

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
