"""Heredocs (`<<EOF` ... `EOF`) on RUN/COPY/ADD lines: finding them and reading their bodies.

Matches BuildKit's frontend/dockerfile/parser/parser.go (heredocsFromLine, heredocFromMatch)
and the part of frontend/dockerfile/shell/lex.go they use. BuildKit finds heredoc words by
running its shell lexer over the whole line with raw quotes, raw escapes and unset variables
left as written; a word matching `^(\\d*)<<(-?)\\s*([^<]*)$` names a heredoc. The terminator
is that word's rest lexed again with quotes removed, and `expand` is off when removing quotes
changed the quote count (some part of the word was quoted).

The lexer here is that subset of shell.Lex with an empty environment: no expansion happens,
so `$X` and `${X...}` come back as written. It never raises for bad input: lexing errors
come back as `_LexError` and are handled the way BuildKit handles them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pallet.dockerfile.nodes import Heredoc

_HEREDOC_WORD = re.compile(r"([0-9]*)<<(-?)[\t\n\f\r ]*([^<]*)\Z")
_SPECIAL_PARAMS = frozenset("@*#?-$!0")
_QUOTES = ("'", '"')
# Go's unicode.IsSpace: ASCII and Latin-1 spaces plus Unicode White_Space (not \x1c-\x1f,
# which Python's str.isspace also accepts).
GO_SPACE = (
    "\t\n\v\f\r \x85\xa0\u1680"
    + "".join(chr(c) for c in range(0x2000, 0x200B))
    + "\u2028\u2029\u202f\u205f\u3000"
)
_GO_SPACE_SET = frozenset(GO_SPACE)
ESCAPE = "\\"  # heredoc lexing always uses backslash, whatever `# escape=` says


class _LexError(Exception):
    pass


class _Words:
    """shell.Lex's word splitter: whitespace splits, except inside raw strings."""

    def __init__(self) -> None:
        self.words: list[str] = []
        self.word: list[str] = []

    def add_char(self, ch: str) -> None:
        if ch in _GO_SPACE_SET:
            self.flush()
        else:
            self.word.append(ch)

    def add_raw(self, text: str) -> None:
        self.word.append(text)

    def flush(self) -> None:
        word = "".join(self.word)
        if word:
            self.words.append(word)
        self.word = []


class _Lexer:
    """Quote/escape-aware word splitting with nothing expanded (shell.Lex, SkipUnsetEnv)."""

    def __init__(self, text: str, *, raw_quotes: bool, raw_escapes: bool) -> None:
        self.text = text
        self.pos = 0
        self.raw_quotes = raw_quotes
        self.raw_escapes = raw_escapes

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def next(self) -> str:
        ch = self.peek()
        self.pos += 1 if ch else 0
        return ch

    def words(self) -> list[str]:
        return self.process_until("", self.raw_escapes)[1]

    def process_until(self, stop: str, raw_escapes: bool) -> tuple[str, list[str]]:
        saved, self.raw_escapes = self.raw_escapes, raw_escapes
        try:
            return self._process_until(stop)
        finally:
            self.raw_escapes = saved

    def _process_until(self, stop: str) -> tuple[str, list[str]]:
        result: list[str] = []
        words = _Words()
        while self.peek():
            ch = self.peek()
            if stop and ch == stop:
                self.next()
                words.flush()
                return "".join(result), words.words
            if ch in ("$", "'", '"', "<"):
                text = self._special(ch)
                result.append(text)
                if ch == "$":
                    for c in text:
                        words.add_char(c)
                else:
                    words.add_raw(text)
                continue
            self.next()
            if ch == ESCAPE:
                if self.raw_escapes:
                    words.add_raw(ch)
                    result.append(ch)
                ch = self.next()
                if not ch:
                    break
                words.add_raw(ch)
            else:
                words.add_char(ch)
            result.append(ch)
        if stop:
            raise _LexError(f"unexpected end of statement while looking for matching {stop}")
        words.flush()
        return "".join(result), words.words

    def _special(self, ch: str) -> str:
        if ch == "$":
            return self._dollar()
        if ch == "<":
            return self._possible_heredoc()
        return self._single_quote() if ch == "'" else self._double_quote()

    def _single_quote(self) -> str:
        opening = self.next()
        out = [opening] if self.raw_quotes else []
        while True:
            ch = self.next()
            if not ch:
                raise _LexError("unexpected end of statement while looking for matching single-quote")
            if ch == "'":
                if self.raw_quotes:
                    out.append(ch)
                return "".join(out)
            out.append(ch)

    def _double_quote(self) -> str:
        opening = self.next()
        out = [opening] if self.raw_quotes else []
        while True:
            ch = self.peek()
            if not ch:
                raise _LexError("unexpected end of statement while looking for matching double-quote")
            if ch == '"':
                self.next()
                if self.raw_quotes:
                    out.append(ch)
                return "".join(out)
            if ch == "$":
                out.append(self._dollar())
                continue
            self.next()
            if ch == ESCAPE:
                if self.raw_escapes:
                    out.append(ch)
                following = self.peek()
                if not following:
                    continue
                if following in ('"', "$", ESCAPE):
                    ch = self.next()
            out.append(ch)

    def _possible_heredoc(self) -> str:
        # lex.go processPossibleHeredoc: `<<` swallows the blanks after it, so that
        # `<<  EOF` stays one word.
        self.next()
        if self.peek() != "<":
            return "<"
        self.next()
        start = self.pos
        while self.peek() in (" ", "\t"):
            self.next()
        return "<<" + self.text[start : self.pos]

    def _dollar(self) -> str:
        self.next()
        if self.peek() != "{":
            name = self._name()
            return "$" + name if name else "$"
        self.next()
        first = self.peek()
        if not first:
            raise _LexError("syntax error: missing '}'")
        if first in "{}:":
            raise _LexError("syntax error: bad substitution")
        name = self._name()
        op = self.next()
        if op == "}":
            return "${" + name + "}"
        if op == ":":
            op += self.next()
        if op.startswith(":") or op in ("+", "-", "?", "#", "%"):
            raw = op[-1] in ("#", "%")
            word = self._until_brace(raw)
            return "${" + name + op + word + "}"
        if op == "/":
            return self._replacement(name)
        raise _LexError(f"unsupported modifier ({op or chr(0xFFFD)}) in substitution")

    def _until_brace(self, raw_escapes: bool) -> str:
        try:
            return self.process_until("}", raw_escapes)[0]
        except _LexError:
            if not self.peek():
                raise _LexError("syntax error: missing '}'") from None
            raise

    def _replacement(self, name: str) -> str:
        if self.peek() == "/":
            self.next()
        try:
            pattern = self.process_until("/", True)[0]
        except _LexError:
            if not self.peek():
                raise _LexError("syntax error: missing '/' in ${}") from None
            raise
        replacement = self._until_brace(True)
        return "${" + name + "/" + pattern + "/" + replacement + "}"

    def _name(self) -> str:
        start = self.pos
        ch = self.peek()
        if ch and ch.isdecimal():
            while self.peek() and self.peek().isdecimal():
                self.next()
            return self.text[start : self.pos]
        if ch and ch in _SPECIAL_PARAMS:
            return self.next()
        while self.peek() and (self.peek().isalpha() or self.peek().isdecimal() or self.peek() == "_"):
            self.next()
        return self.text[start : self.pos]


def line_words(line: str) -> list[str]:
    """The words BuildKit looks for heredocs in; [] when the line does not lex."""
    try:
        return _Lexer(line, raw_quotes=True, raw_escapes=True).words()
    except _LexError:
        return []


class HeredocWordError(Exception):
    """A heredoc word that cannot be lexed; the parser locates it."""


def parse_heredoc_word(word: str) -> Heredoc | None:
    """The heredoc a `<<WORD` names (empty content), or None if the word is not one."""
    match = _HEREDOC_WORD.match(word)
    if not match or not match.group(3):
        return None
    fd, chomp, rest = match.groups()
    try:
        plain = _Lexer(rest, raw_quotes=False, raw_escapes=False).words()
        if len(plain) != 1:
            return None
        raw = _Lexer(rest, raw_quotes=True, raw_escapes=False).words()
    except _LexError as err:
        raise HeredocWordError(f'failed to process "{rest}": {err}') from None
    expand = _quote_count(plain[0]) == _quote_count(raw[0])
    return Heredoc(name=plain[0], content="", expand=expand, chomp=chomp == "-", fd=int(fd or 0))


def must_parse_heredoc_word(word: str) -> Heredoc | None:
    """parse_heredoc_word, with a word that cannot be lexed not a heredoc (BuildKit's
    MustParseHeredoc, which COPY/ADD use for their sources and destination)."""
    try:
        return parse_heredoc_word(word)
    except HeredocWordError:
        return None


def heredocs_in_line(line: str) -> list[Heredoc]:
    """Every heredoc a RUN/COPY/ADD line opens, in order, without bodies."""
    if "<<" not in line:
        return []
    found = (parse_heredoc_word(w) for w in line_words(line))
    return [h for h in found if h is not None]


def _quote_count(word: str) -> int:
    return word.count("'") + word.count('"')


def read_body(heredoc: Heredoc, lines: Sequence[str], start: int) -> tuple[Heredoc, int] | None:
    """Read the body of `heredoc` from lines[start:] (each line with its newline).

    Returns the heredoc with its content and the index after the terminator line, or
    None when the input ends first. Body lines are kept verbatim; `<<-` only strips
    tabs when comparing against the terminator (parser.go).
    """
    name = heredoc.name
    for index in range(start, len(lines)):
        candidate = lines[index].rstrip("\r\n")
        if heredoc.chomp:
            candidate = candidate.lstrip("\t")
        if candidate == name:
            content = "".join(lines[start:index])
            return _with_content(heredoc, content), index + 1
    return None


def _with_content(heredoc: Heredoc, content: str) -> Heredoc:
    return Heredoc(heredoc.name, content, heredoc.expand, heredoc.chomp, heredoc.fd)
