"""Shell-word expansion: `$V`, `${V:-w}`, quotes and escapes, as BuildKit does it.

This is BuildKit's frontend/dockerfile/shell/lex.go, behaviour for behaviour; differences
are bugs. It is not a shell: there is no command substitution, no globbing of files and
no assignment (`${V:=w}` is an error). In short:

* `'...'` is literal; in `"..."` only `$` is expanded and the escape token escapes just
  `"`, `$` and itself (any other escape stays, with the character after it).
* Outside quotes the escape token (`\\` or, with `# escape=\\``, a backtick) makes the
  next character literal; one at the very end is dropped.
* `$name` / `${name}`; a name is letters, digits and `_`, or all the digits of a positional
  parameter (`$001`), or one special parameter (`@ * # ? - $ ! 0`). Unset means empty.
* `${V-w} ${V+w} ${V?m}` test "set"; their `:` forms also treat empty as unset.
  `${V#p} ${V##p} ${V%p} ${V%%p} ${V/p/r} ${V//p/r}` use shell_pattern.
* Word splitting (expand_words) happens after expansion, on whitespace that came from
  plain text or an unquoted `$` expansion, never from quotes or escapes.

Errors raise ExpansionError with BuildKit's message (BuildKit then prefixes
`failed to process "<word>": `); ranges are for the caller to attach.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from pallet.dockerfile import shell_pattern
from pallet.dockerfile.heredoc import GO_SPACE as _SPACE  # Go's unicode.IsSpace
from pallet.errors import ExpansionError

_SPACE_SET = frozenset(_SPACE)
_RUNS = re.compile(f"[{_SPACE}]+|[^{_SPACE}]+")
_NON_SPACE = re.compile(f"[^{_SPACE}]+")
_SPECIAL_PARAMS = frozenset("@*#?-$!0")
_BOM = "\ufeff"
_BAD_RUNE = "\ufffd"  # Go's string(rune) of the EOF rune, seen in "unsupported modifier"
_MISSING_BRACE = "syntax error: missing '}'"
_FORMS_HINT = (
    "supported forms: ${V:-w} ${V-w} ${V:+w} ${V+w} ${V:?msg} ${V?msg} "
    "${V#p} ${V##p} ${V%p} ${V%%p} ${V/p/r} ${V//p/r}"
)


@dataclass(frozen=True, slots=True)
class Expansion:
    value: str
    matched: frozenset[str]  # variable names that were referenced and set
    unmatched: frozenset[str]  # variable names that were referenced and not set


class ShellLex:
    """An expander with BuildKit's `shell.Lex` options.

    raw_quotes keeps quote characters in the result; raw_escapes keeps escape tokens;
    skip_unset leaves references to unset variables as written (`SkipUnsetEnv`);
    skip_processing_quotes treats quotes as ordinary characters (`SkipProcessQuotes`).
    """

    __slots__ = ("escape", "raw_quotes", "raw_escapes", "skip_unset", "skip_processing_quotes")

    def __init__(
        self,
        escape: str = "\\",
        *,
        raw_quotes: bool = False,
        raw_escapes: bool = False,
        skip_unset: bool = False,
        skip_processing_quotes: bool = False,
    ) -> None:
        if len(escape) != 1:
            raise ValueError(f"escape token must be one character, not {escape!r}")
        self.escape = escape
        self.raw_quotes = raw_quotes
        self.raw_escapes = raw_escapes
        self.skip_unset = skip_unset
        self.skip_processing_quotes = skip_processing_quotes

    def expand_word(self, word: str, env: Mapping[str, str]) -> str:
        """Expand `word` into one string; whitespace is kept, nothing is split."""
        if self._is_plain(word):
            return word
        return _Run(self, word, env, None).process()

    def expand_words(self, word: str, env: Mapping[str, str]) -> list[str]:
        """Expand `word`, then split it into words (empty words are dropped)."""
        if self._is_plain(word):
            return _NON_SPACE.findall(word)
        words = _Words()
        _Run(self, word, env, words).process()
        return words.finish()

    def expand_with_matches(self, word: str, env: Mapping[str, str]) -> Expansion:
        """Expand `word` into one string and say which variables it referenced."""
        if self._is_plain(word):
            return Expansion(word, frozenset(), frozenset())
        run = _Run(self, word, env, None)
        value = run.process()
        return Expansion(value, frozenset(run.matched), frozenset(run.unmatched))

    def _is_plain(self, word: str) -> bool:
        """True when nothing in `word` can change under expansion (the fast path)."""
        if "$" in word or self.escape in word or word.startswith(_BOM):
            return False
        return self.skip_processing_quotes or ("'" not in word and '"' not in word)


class _Words:
    """BuildKit's wordsStruct: builds the split words as characters arrive."""

    __slots__ = ("buf", "words", "in_word")

    def __init__(self) -> None:
        self.buf: list[str] = []
        self.words: list[str] = []
        self.in_word = False

    def add_text(self, text: str) -> None:
        """Characters that split on whitespace (plain text, unquoted `$` results)."""
        for run in _RUNS.findall(text):
            if run[0] not in _SPACE_SET:
                self.buf.append(run)
                self.in_word = True
            elif self.in_word and self.buf:
                self._flush()

    def add_raw(self, text: str) -> None:
        """Characters that never split (quoted text, escaped characters)."""
        if text:
            self.buf.append(text)
        self.in_word = True

    def finish(self) -> list[str]:
        if self.buf:
            self._flush()
        return self.words

    def _flush(self) -> None:
        self.words.append("".join(self.buf))
        self.buf.clear()
        self.in_word = False


class _Run:
    """The state of one expansion: the text, a cursor and the variables seen."""

    __slots__ = ("lex", "src", "pos", "end", "env", "words", "raw_escapes", "matched", "unmatched")

    def __init__(self, lex: ShellLex, src: str, env: Mapping[str, str], words: _Words | None):
        self.lex = lex
        self.src = src
        # Go's text/scanner skips a byte-order mark at the very start of its input.
        self.pos = 1 if src.startswith(_BOM) else 0
        self.end = len(src)
        self.env = env
        self.words = words
        self.raw_escapes = lex.raw_escapes
        self.matched: set[str] = set()
        self.unmatched: set[str] = set()

    def process(self) -> str:
        try:
            return self._stop_on(None, self.lex.raw_escapes, self.words)
        except RecursionError:
            raise ExpansionError("syntax error: substitutions nested too deeply") from None

    # -- the scanning loop (lex.go processStopOn) --------------------------------------

    def _stop_on(self, stop: str | None, raw_escapes: bool, words: _Words | None) -> str:
        saved, self.raw_escapes = self.raw_escapes, raw_escapes
        if self.words is not None:
            # BuildKit shares one word buffer between nested scans and resets it at the
            # start of each, so a nested ${V:-w} drops the partial word before it.
            self.words.buf.clear()
        try:
            return self._scan(stop, words)
        finally:
            self.raw_escapes = saved

    def _scan(self, stop: str | None, words: _Words | None) -> str:
        src, esc = self.src, self.lex.escape
        quotes = "" if self.lex.skip_processing_quotes else "'\""
        plain = _plain_run(stop or "", esc, quotes)
        out: list[str] = []
        while self.pos < self.end:
            ch = src[self.pos]
            if ch == stop:
                self.pos += 1
                return "".join(out)
            if ch == "$":
                text = self._dollar()
                out.append(text)
                if words is not None:
                    words.add_text(text)
            elif ch in quotes:
                text = self._single_quote() if ch == "'" else self._double_quote()
                out.append(text)
                if words is not None:
                    words.add_raw(text)
            elif ch == esc:
                self.pos += 1
                if self.raw_escapes:
                    out.append(esc)
                    if words is not None:
                        words.add_raw(esc)
                if self.pos >= self.end:
                    break  # an escape at the very end is dropped
                ch = src[self.pos]
                self.pos += 1
                out.append(ch)
                if words is not None:
                    words.add_raw(ch)
            else:
                match = plain.match(src, self.pos)
                self.pos = match.end()
                out.append(match.group())
                if words is not None:
                    words.add_text(match.group())
        if stop is not None:
            raise ExpansionError(f"unexpected end of statement while looking for matching {stop}")
        return "".join(out)

    # -- quotes (lex.go processSingleQuote / processDoubleQuote) ----------------------

    def _single_quote(self) -> str:
        start = self.pos + 1
        close = self.src.find("'", start)
        if close < 0:
            self.pos = self.end
            raise ExpansionError(
                "unexpected end of statement while looking for matching single-quote"
            )
        self.pos = close + 1
        body = self.src[start:close]
        return f"'{body}'" if self.lex.raw_quotes else body

    def _double_quote(self) -> str:
        src, esc, raw_quotes = self.src, self.lex.escape, self.lex.raw_quotes
        plain = _plain_run('"', esc, "")
        self.pos += 1
        out = ['"'] if raw_quotes else []
        while True:
            if self.pos >= self.end:
                raise ExpansionError(
                    "unexpected end of statement while looking for matching double-quote"
                )
            ch = src[self.pos]
            if ch == '"':
                self.pos += 1
                if raw_quotes:
                    out.append('"')
                return "".join(out)
            if ch == "$":
                out.append(self._dollar())
            elif ch == esc:
                self.pos += 1
                if self.raw_escapes:
                    out.append(esc)
                # Only `"`, `$` and the escape itself can be escaped; otherwise it stays.
                if self.pos < self.end and src[self.pos] in ('"', "$", esc):
                    out.append(src[self.pos])
                    self.pos += 1
                elif self.pos < self.end:
                    out.append(esc)
            else:
                match = plain.match(src, self.pos)
                self.pos = match.end()
                out.append(match.group())

    # -- $ and ${...} (lex.go processDollar) ------------------------------------------

    def _dollar(self) -> str:
        self.pos += 1
        if self._peek() != "{":
            name = self._name()
            if not name:
                return "$"
            value = self._get(name)
            if value is None:
                return "$" + name if self.lex.skip_unset else ""
            return value
        self.pos += 1
        first = self._peek()
        if first is None:
            raise ExpansionError(_MISSING_BRACE)
        if first in "{}:":
            hint = f"for a literal ${{ escape the dollar sign: {self.lex.escape}${{"
            raise ExpansionError("syntax error: bad substitution", hint=hint)
        name = self._name()
        op = self._next()
        if op == "}":
            value = self._get(name)
            if value is None:
                return f"${{{name}}}" if self.lex.skip_unset else ""
            return value
        if op == "/":
            return self._replace(name)
        return self._modifier(name, op)

    def _modifier(self, name: str, op: str | None) -> str:
        colon = op == ":"
        if colon:
            op = self._next()
            chs = ":" + (op or _BAD_RUNE)
        else:
            chs = op or _BAD_RUNE
            if op not in ("-", "+", "?", "#", "%"):
                raise _unsupported(chs)
        is_pattern = op in ("#", "%")
        if colon and is_pattern:
            raise _unsupported(chs)
        word = self._nested("}", is_pattern, _MISSING_BRACE)
        value = self._get(name)
        if value is None and self.lex.skip_unset:
            return f"${{{name}{chs}{word}}}"
        empty = value is None or (colon and value == "")
        if op == "-":
            return word if empty else value
        if op == "+":
            return "" if empty else word
        if op == "?":
            hint = f"set {name} with ARG or ENV, or pass --build-arg {name}=<value>"
            if value is None:
                raise ExpansionError(f"{name}: {word or 'is not allowed to be unset'}", hint=hint)
            if empty:
                raise ExpansionError(f"{name}: {word or 'is not allowed to be empty'}", hint=hint)
            return value
        if op in ("#", "%"):
            greedy = word.startswith(op)
            pattern = word[1:] if greedy else word
            trim = shell_pattern.trim_prefix if op == "#" else shell_pattern.trim_suffix
            return trim(pattern, value or "", greedy)
        raise _unsupported(chs)

    def _replace(self, name: str) -> str:
        every = self._peek() == "/"
        if every:
            self.pos += 1
        pattern = self._nested("/", True, "syntax error: missing '/' in ${}")
        replacement = self._nested("}", True, _MISSING_BRACE)
        value = self._get(name)
        if value is None and self.lex.skip_unset:
            # BuildKit writes one slash back even for `//`.
            return f"${{{name}/{pattern}/{replacement}}}"
        return shell_pattern.replace(pattern, value or "", replacement, every)

    def _nested(self, stop: str, raw_escapes: bool, eof_message: str) -> str:
        """Scan a sub-word up to `stop`; any failure that ran off the end becomes
        `eof_message`, as lex.go checks `scanner.Peek() == EOF` after an error."""
        try:
            return self._stop_on(stop, raw_escapes, None)
        except ExpansionError:
            if self.pos >= self.end:
                raise ExpansionError(eof_message) from None
            raise

    def _name(self) -> str:
        """A variable name (lex.go processName); empty if none starts here."""
        src, start, end = self.src, self.pos, self.end
        if start >= end:
            return ""
        first = src[start]
        i = start
        if first.isdecimal():
            while i < end and src[i].isdecimal():
                i += 1
        elif first in _SPECIAL_PARAMS:
            i += 1
        else:
            while i < end and (src[i].isalpha() or src[i].isdecimal() or src[i] == "_"):
                i += 1
        self.pos = i
        return src[start:i]

    def _get(self, name: str) -> str | None:
        if name in self.env:
            self.matched.add(name)
            return self.env[name]
        self.unmatched.add(name)
        return None

    def _peek(self) -> str | None:
        return self.src[self.pos] if self.pos < self.end else None

    def _next(self) -> str | None:
        if self.pos >= self.end:
            return None
        self.pos += 1
        return self.src[self.pos - 1]


def _unsupported(chs: str) -> ExpansionError:
    return ExpansionError(f"unsupported modifier ({chs}) in substitution", hint=_FORMS_HINT)


@lru_cache(maxsize=64)
def _plain_run(stops: str, esc: str, quotes: str) -> re.Pattern[str]:
    """A run of characters with no special meaning in the current scan."""
    specials = set("$" + esc + quotes + stops)
    return re.compile("[^" + "".join(re.escape(c) for c in sorted(specials)) + "]+")
