"""Garbage collection as a pure function: mark what the roots reach, the rest is garbage.

Like containerd's `gc.Tricolor` (core/metadata/gc/gc.go): nodes start white; the roots turn
gray; a gray node turns black once every node it references is gray or black. When no gray
node is left, the white ones are unreachable. Nothing here touches the disk: the caller
builds the graph (state/usage.py) and deletes what `sweep` returns, so the rules of what
keeps what alive can be tested with plain tuples.

A node is any hashable value; pallet uses `(kind, id)` pairs:

    ("image", name) -> ("blob", manifest or index digest)
    ("blob", index) -> ("blob", manifest) ...; ("blob", manifest) -> config and layer blobs
    ("cache", key) -> ("snapshot", name) and ("blob", layer digest) of each layer
    ("snapshot", name) -> ("snapshot", parent name)
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable

Node = Hashable


def mark(roots: Iterable[Node], refs: Callable[[Node], Iterable[Node]]) -> set[Node]:
    """Every node reachable from `roots` (roots included): the black set."""
    black: set[Node] = set()
    gray = list(dict.fromkeys(roots))
    seen = set(gray)
    while gray:
        node = gray.pop()
        for child in refs(node):
            if child not in seen:
                seen.add(child)
                gray.append(child)
        black.add(node)
    return black


def sweep(nodes: Iterable[Node], marked: set[Node]) -> list[Node]:
    """The white nodes: those of `nodes` that `mark` did not reach, in their given order."""
    return [n for n in nodes if n not in marked]


def graph_refs(edges: dict[Node, Iterable[Node]]) -> Callable[[Node], Iterable[Node]]:
    """`refs` over an adjacency dict (nodes without an entry reference nothing)."""
    return lambda node: edges.get(node, ())
