"""JSON bytes exactly as Go's encoding/json writes them.

Digests of configs and manifests are digests of bytes, so pallet must produce the bytes
BuildKit and containerd produce: compact, no trailing newline, struct fields in declaration
order (callers pass dicts already in that order), map keys sorted (callers sort), non-ASCII
kept as UTF-8, and Go's HTML-safe escapes for <, > and & plus U+2028/U+2029
(encoding/json encode.go: `HTMLEscape` is on by default for json.Marshal).
"""

from __future__ import annotations

import json

_GO_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def _escape(text: str) -> str:
    for char, escaped in _GO_ESCAPES.items():
        text = text.replace(char, escaped)
    return text


def go_marshal(value) -> bytes:
    """`json.Marshal(value)`; dict order is kept, so pass struct fields in Go's order."""
    # Escaping after encoding is safe: the characters replaced can only appear inside
    # strings (never in JSON syntax), and json.dumps never emits them escaped itself.
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return _escape(text).encode("utf-8")


def sorted_map(mapping: dict | None) -> dict | None:
    """A Go map as encoding/json writes it: keys in sorted (byte) order."""
    if mapping is None:
        return None
    return {k: mapping[k] for k in sorted(mapping, key=lambda s: s.encode("utf-8"))}
