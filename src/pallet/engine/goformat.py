"""Go value formatting, because BuildKit writes history lines with fmt (%q, %v, maps)
(dockerfile2llb/convert.go: commitToHistory callers)."""

from __future__ import annotations


def quote(s: str) -> str:
    """strconv.Quote for the strings Dockerfiles carry."""
    from pallet.dockerfile.goquote import go_quote

    return go_quote(s)


def q_slice(items) -> str:
    """fmt %q of a []string: ["a" "b"]."""
    return "[" + " ".join(quote(i) for i in items) + "]"


def v_slice(items) -> str:
    """fmt %v of a []string: [a b]."""
    return "[" + " ".join(items) + "]"


def v_set(keys) -> str:
    """fmt %v of a map[string]struct{}: keys sorted, map[k:{} k2:{}]."""
    return "map[" + " ".join(f"{k}:{{}}" for k in sorted(keys)) + "]"


def q_rune(n: int) -> str:
    """fmt %q of an int: a quoted rune, as Go prints HEALTHCHECK retries."""
    escapes = {7: "\\a", 8: "\\b", 12: "\\f", 10: "\\n", 13: "\\r", 9: "\\t", 11: "\\v",
               39: "\\'", 92: "\\\\"}
    if n in escapes:
        return f"'{escapes[n]}'"
    if n < 0x20 or n == 0x7F:
        return f"'\\x{n:02x}'"
    if n > 0x10FFFF:
        return "'\\ufffd'"
    ch = chr(n)
    return f"'{ch}'" if ch.isprintable() else f"'\\u{n:04x}'"


def duration(ns: int) -> str:
    """time.Duration.String()."""
    if ns == 0:
        return "0s"
    sign = "-" if ns < 0 else ""
    ns = abs(ns)
    if ns < 1_000_000_000:
        for unit, size in (("ms", 1_000_000), ("µs", 1_000), ("ns", 1)):
            if ns >= size:
                return sign + _trim(ns / size) + unit
    h, rem = divmod(ns, 3600 * 10**9)
    m, rem = divmod(rem, 60 * 10**9)
    s = _trim_frac(rem)
    if h:
        return f"{sign}{h}h{m}m{s}s"
    if m:
        return f"{sign}{m}m{s}s"
    return f"{sign}{s}s"


def _trim(x: float) -> str:
    return f"{x:.9f}".rstrip("0").rstrip(".")


def _trim_frac(rem_ns: int) -> str:
    whole, frac = divmod(rem_ns, 10**9)
    if not frac:
        return str(whole)
    return f"{whole}.{frac:09d}".rstrip("0")


