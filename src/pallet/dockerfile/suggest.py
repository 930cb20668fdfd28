"""Did-you-mean hints for mistyped names (instructions, flags, stages, mount options)."""

from __future__ import annotations

from collections.abc import Iterable


def levenshtein(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def closest(word: str, candidates: Iterable[str], *, case_sensitive: bool = False) -> str | None:
    """The candidate nearest to `word`, if it is close enough to be a typo (distance < 3,
    as BuildKit's util/suggest)."""
    key = word if case_sensitive else word.lower()
    best, best_distance = None, 3
    for cand in candidates:
        d = levenshtein(key, cand if case_sensitive else cand.lower())
        if d < best_distance:
            best, best_distance = cand, d
    return best


def did_you_mean(word: str, candidates: Iterable[str], **kw) -> str:
    """` (did you mean "x"?)` or the empty string, ready to append to a message."""
    match = closest(word, candidates, **kw)
    return f' (did you mean "{match}"?)' if match else ""
