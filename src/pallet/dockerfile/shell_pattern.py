"""Shell patterns for `${V#p}`, `${V%p}` and `${V/p/r}`, as BuildKit's shell/lex.go runs them.

BuildKit turns the pattern into a Go regular expression (`convertShellPatternToRegex`):
`*` is any run of characters (greedy or lazy), `?` is one character, `\\*`, `\\?` and
`\\\\` are literal, and `\\}` / `\\/` drop their backslash (it only protected the
`${...}` syntax). There are no bracket expressions: `[` and `]` are literal. Any other
backslash is an error. As in Go, `.` never matches a newline.

Suffix trimming reverses both the pattern and the value and trims a prefix instead,
because a regex cannot ask for the shortest *rightmost* match.
"""

from __future__ import annotations

import re
from functools import lru_cache

from pallet.errors import ExpansionError

_BOM = "\ufeff"
_BAD_RUNE = "\ufffd"  # what Go prints for the EOF rune in "invalid escape '\\%c'"


def trim_prefix(pattern: str, value: str, greedy: bool) -> str:
    """`${V#p}` (lazy) and `${V##p}` (greedy)."""
    match = _compile(pattern, greedy, True).search(value)
    return value[match.end() :] if match else value


def trim_suffix(pattern: str, value: str, greedy: bool) -> str:
    """`${V%p}` (lazy) and `${V%%p}` (greedy)."""
    return trim_prefix(reverse_pattern(pattern), value[::-1], greedy)[::-1]


def replace(pattern: str, value: str, replacement: str, every: bool) -> str:
    """`${V/p/r}` (first match, literal r) and `${V//p/r}` (all matches, Go `Expand` on r)."""
    regex = _compile(pattern, True, False)
    if every:
        return _replace_all(regex, value, replacement)
    match = regex.search(value)
    if match is None:
        return value
    return value[: match.start()] + replacement + value[match.end() :]


def reverse_pattern(pattern: str) -> str:
    """Reverse a pattern but keep each `\\x` escape pair in order (lex.go reversePattern)."""
    tokens = []
    i, last = 0, len(pattern) - 1
    while i <= last:
        step = 2 if pattern[i] == "\\" and i != last else 1
        tokens.append(pattern[i : i + step])
        i += step
    return "".join(reversed(tokens))


@lru_cache(maxsize=512)
def _compile(pattern: str, greedy: bool, anchored: bool) -> re.Pattern[str]:
    try:
        return re.compile(glob_to_regex(pattern, greedy=greedy, anchored=anchored))
    except _InvalidEscape as exc:
        raise ExpansionError(f"invalid pattern ({pattern}) in substitution: {exc}") from None


class _InvalidEscape(Exception):
    pass


def glob_to_regex(pattern: str, *, greedy: bool, anchored: bool) -> str:
    """The regex source for a shell pattern; raises _InvalidEscape for a bad `\\x`."""
    # Go's text/scanner skips a byte-order mark at the very start of its input.
    i = 1 if pattern.startswith(_BOM) else 0
    out = ["^"] if anchored else []
    star = ".*" if greedy else ".*?"
    n = len(pattern)
    while i < n:
        ch = pattern[i]
        i += 1
        if ch == "*":
            out.append(star)
        elif ch == "?":
            out.append(".")
        elif ch == "\\":
            nxt = pattern[i] if i < n else None
            if nxt in ("}", "/"):
                continue  # the escape belonged to the ${...} syntax, not the pattern
            i += 1
            if nxt not in ("*", "?", "\\"):
                raise _InvalidEscape(f"invalid escape '\\{nxt or _BAD_RUNE}'")
            out.append("\\" + nxt)
        else:
            out.append(re.escape(ch))
    return "".join(out)


def _replace_all(regex: re.Pattern[str], value: str, template: str) -> str:
    """Go's `Regexp.ReplaceAllString`: an empty match right after a match is skipped
    (Python's re.sub replaces it), and the template goes through `Expand`."""
    out: list[str] = []
    last_end = 0
    pos = 0
    n = len(value)
    while pos <= n:
        match = regex.search(value, pos)
        if match is None:
            break
        start, end = match.span()
        out.append(value[last_end:start])
        if end > last_end or start == 0:
            out.append(_expand(template, match.group()))
        last_end = end
        pos = end if end > pos else pos + 1
    out.append(value[last_end:])
    return "".join(out)


def _expand(template: str, whole: str) -> str:
    """Go's `Regexp.Expand` for a regex without groups: `$$` is `$`, `$0`/`${0}` is the
    match, any other well-formed `$name` is empty, a malformed one stays literal."""
    if "$" not in template:
        return template
    out: list[str] = []
    rest = template
    while True:
        before, dollar, rest = rest.partition("$")
        out.append(before)
        if not dollar:
            return "".join(out)
        if rest.startswith("$"):
            out.append("$")
            rest = rest[1:]
            continue
        name, rest_after = _template_name(rest)
        if name is None:
            out.append("$")
            continue
        rest = rest_after
        if name == "0":
            out.append(whole)


def _template_name(text: str) -> tuple[str | None, str]:
    """Go regexp `extract`: the name after `$` (optionally in braces) and the rest."""
    brace = text.startswith("{")
    body = text[1:] if brace else text
    i = 0
    while i < len(body) and (body[i].isalpha() or body[i].isdecimal() or body[i] == "_"):
        i += 1
    if i == 0:
        return None, text
    name = body[:i]
    if brace:
        if i >= len(body) or body[i] != "}":
            return None, text
        i += 1
    return name, body[i:]
