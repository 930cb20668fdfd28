"""Dockerfile text -> AST (`Dockerfile` of `Node`s), exactly as BuildKit's parser reads it.

Matches frontend/dockerfile/parser/parser.go (Parse), split_command.go and line_parsers.go;
conformance/FORMATS.md sections 1.3 and 4 restate the rules. In short: physical lines are
split after each "\\n"; a logical line is joined from continuation lines (escape token at
the end), dropping comment lines and blank lines inside it; the instruction word, leading
`--flags` and the rest are split off; the rest is shaped per instruction; RUN/COPY/ADD lines
then consume the bodies of their heredocs.

Where BuildKit reports a line one too early (directive errors, an over-long line), the error
here points at the line itself.
"""

from __future__ import annotations

import json
import re

from pallet.dockerfile.goquote import go_quote
from pallet.dockerfile.directives import DirectiveError, DirectiveParser
from pallet.dockerfile.heredoc import GO_SPACE, HeredocWordError, heredocs_in_line, read_body
from pallet.dockerfile.nodes import Dockerfile, Node, Warning
from pallet.errors import ParseError, Range, SourceFile

# bufio.Scanner's MaxScanTokenSize (64 KiB) holds a line and its "\n": content up to 65535.
MAX_LINE_BYTES = 65535
_HEREDOC_KEYWORDS = frozenset({"run", "copy", "add"})
_EMPTY_CONTINUATION_URL = "https://docs.docker.com/go/dockerfile/rule/no-empty-continuation/"


def parse(data: bytes | str, name: str = "Dockerfile") -> Dockerfile:
    """Parse a whole Dockerfile; raises ParseError where BuildKit's parser fails."""
    text = data.decode("utf-8", "surrogateescape") if isinstance(data, bytes) else data
    return _Parser(text, name).run()


class _Parser:
    def __init__(self, text: str, name: str) -> None:
        self.source = SourceFile(name, text)
        self.lines, self.too_long_line = _physical_lines(text)
        self.pos = 0  # index of the next physical line; also the count of lines read
        self.directives = DirectiveParser()
        self.nodes: list[Node] = []
        self.warnings: list[Warning] = []
        self.comments: list[str] = []

    def run(self) -> Dockerfile:
        while self.pos < len(self.lines):
            node = self._next_node()
            if node is not None:
                self.nodes.append(node)
                self.comments = []
        if not self.nodes:
            raise self._error("file with no instructions", self.pos, self.pos,
                              hint="a Dockerfile needs at least one instruction, such as FROM")
        if self.too_long_line:
            line = self.too_long_line
            raise self._error(f"dockerfile line greater than max allowed size of {MAX_LINE_BYTES}",
                              line, line, hint="split the line with the escape character")
        return Dockerfile(self.nodes, self.directives.result(), self.source, self.warnings)

    def _next_node(self) -> Node | None:
        start = self.pos + 1
        raw = self._take()
        if start == 1:
            raw = raw.removeprefix("\ufeff")
        self._collect_comment(raw)
        text = raw.rstrip("\r\n").lstrip(GO_SPACE)
        self._feed_directive(text, start)
        if text.startswith("#"):
            text = ""
        text, done = self._trim_continuation(text)
        if done and not text:
            return None
        line = self._join_continuation(text, done)
        node = self._make_node(line, start)
        self._read_heredocs(node, line, start)
        node.start_line, node.end_line = start, self.pos
        if node.child is not None:
            node.child.start_line, node.child.end_line = start, self.pos
        return node

    def _take(self) -> str:
        raw = self.lines[self.pos]
        self.pos += 1
        return raw

    def _collect_comment(self, raw: str) -> None:
        # BuildKit's PrevComment: the comment lines read since the last instruction; an
        # empty `#` starts over. It drops the first byte, not "#" after indentation.
        if raw.lstrip(GO_SPACE).startswith("#"):
            comment = raw[1:].strip(GO_SPACE)
            if comment:
                self.comments.append(comment)
            else:
                self.comments = []

    def _feed_directive(self, text: str, lineno: int) -> None:
        try:
            if self.directives.feed(text, lineno):
                self.comments.pop()  # a directive is not a comment of the first instruction
        except DirectiveError as err:
            raise self._error(err.message, lineno, lineno, hint=err.hint) from None

    def _trim_continuation(self, text: str) -> tuple[str, bool]:
        """(text without the escape token, True if the line does not continue).

        BuildKit's regex `([^E])E[ \\t]*$|^E[ \\t]*$`: an escape token ending the line
        continues it unless the token itself is escaped (`foo\\\\`).
        """
        escape = self.directives.escape
        body = text.rstrip(" \t")
        if not body.endswith(escape):
            return text, True
        if len(body) == 1:
            return "", False
        if body[-2] == escape:
            return text, True
        return body[:-1], False

    def _join_continuation(self, first: str, done: bool) -> str:
        parts = [first]
        has_empty = False
        while not done and self.pos < len(self.lines):
            text = self._take().rstrip("\r\n")
            stripped = text.lstrip(GO_SPACE)
            if stripped.startswith("#"):
                continue
            if not stripped:
                has_empty = True
                continue
            text, done = self._trim_continuation(text)
            parts.append(text)
        if has_empty:
            where = (Range(self.pos, self.pos),)
            self.warnings.append(Warning("NoEmptyContinuation", "Empty continuation line", where,
                                         _EMPTY_CONTINUATION_URL))
        return "".join(parts)

    def _make_node(self, line: str, start: int) -> Node:
        try:
            return _node_from_line(line, self.directives.escape, self.comments)
        except LineError as err:
            raise self._error(err.message, start, self.pos, hint=err.hint) from None

    def _read_heredocs(self, node: Node, line: str, start: int) -> None:
        if not _can_contain_heredoc(node):
            return
        try:
            wanted = heredocs_in_line(line)
        except HeredocWordError as err:
            raise self._error(str(err), start, self.pos) from None
        for heredoc in wanted:
            found = read_body(heredoc, self.lines, self.pos)
            if found is None:
                self.pos = len(self.lines)
                raise self._error("unterminated heredoc", start, self.pos,
                                  hint=f'end the heredoc with a line that is just "{heredoc.name}"')
            body, self.pos = found
            node.heredocs.append(body)
        if node.child is not None:
            node.child.heredocs = list(node.heredocs)

    def _error(self, message: str, start: int, end: int, *, hint: str | None = None) -> ParseError:
        ranges = [Range(start, end)] if start > 0 else []
        return ParseError(message, hint=hint, ranges=ranges, source=self.source)


def _node_from_line(line: str, escape: str, comments: list[str]) -> Node:
    """newNodeFromLine: one logical line to a Node (without line numbers or heredocs)."""
    word, flags, rest = split_command(line)
    keyword = word.lower()
    if keyword == "onbuild":
        child = _node_from_line(rest, escape, []) if rest else None
        args, json_form = [], False
    else:
        child = None
        args, json_form = shape_args(keyword, rest, escape)
    return Node(
        keyword=keyword,
        original=line,
        start_line=0,
        end_line=0,
        args=args,
        flags=flags,
        json_form=json_form,
        child=child,
        raw_keyword=word,
        comments=list(comments),
    )


def _can_contain_heredoc(node: Node) -> bool:
    target = node.child if node.keyword == "onbuild" and node.child is not None else node
    return target.keyword in _HEREDOC_KEYWORDS and not target.json_form


def _physical_lines(text: str) -> tuple[list[str], int]:
    """Lines with their "\\n", cut before the first line bufio.Scanner cannot hold.

    Returns (lines, 1-based number of the over-long line or 0).
    """
    parts = text.split("\n")
    last = parts.pop()
    lines = [part + "\n" for part in parts]
    if last:
        lines.append(last)
    for index, part in enumerate(parts + [last]):
        if len(part) * 4 > MAX_LINE_BYTES and _utf8_len(part) > MAX_LINE_BYTES:
            return lines[:index], index + 1
    return lines, 0


def _utf8_len(text: str) -> int:
    try:
        return len(text.encode("utf-8", "surrogateescape"))
    except UnicodeEncodeError:
        return len(text.encode("utf-8", "surrogatepass"))


# --- one logical line: instruction word, flags, arguments (split_command.go, line_parsers.go)

_WHITESPACE = re.compile(r"[\t\v\f\r ]+")
_WHITESPACE_CHARS = "\t\v\f\r "
_WHITESPACE_SET = frozenset(_WHITESPACE_CHARS)
_GO_SPACE_SET = frozenset(GO_SPACE)
_SURROGATES = re.compile("[\ud800-\udfff]")
_NOT_STRINGS = "when using JSON array syntax, arrays must be comprised of strings only"


class LineError(Exception):
    """A line BuildKit's parser rejects; located by the caller."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def split_command(line: str) -> tuple[str, list[str], str]:
    """(instruction word as written, flags, rest trimmed)."""
    word, _, rest = _split_first(line.strip(GO_SPACE))
    flags: list[str] = []
    if rest:
        rest, flags = extract_flags(rest)
    return word, flags, rest.strip(GO_SPACE)


def _split_first(text: str) -> tuple[str, str, str]:
    """Split at the first run of [\\t\\v\\f\\r ]+ (BuildKit's tokenWhitespace)."""
    head, space, tail = text.partition(" ")
    if space and _WHITESPACE_SET.isdisjoint(head):  # fast path: "RUN make"
        rest = tail.lstrip(_WHITESPACE_CHARS)
        return head, text[len(head) : len(text) - len(rest)], rest
    match = _WHITESPACE.search(text)
    if match is None:
        return text, "", ""
    return text[: match.start()], match.group(), text[match.end() :]


def extract_flags(text: str) -> tuple[str, list[str]]:
    """extractBuilderFlags: leading `--words`, unquoted and unescaped; a bare `--` ends them.

    BuildKit walks bytes here, so a multi-byte character in a flag comes out garbled; this
    walks characters and keeps it intact.
    """
    if not text.startswith("--"):
        return text, []
    flags: list[str] = []
    pos, n = 0, len(text)
    while pos < n:
        while pos < n and text[pos] in _GO_SPACE_SET:
            pos += 1
        if pos == n:
            break
        if not text.startswith("--", pos):
            return text[pos:], flags
        word, pos, quoted = _flag_word(text, pos)
        if word == "--":
            return text[pos:], flags
        if word or quoted:
            flags.append(word)
    return "", flags


def _flag_word(text: str, pos: int) -> tuple[str, int, bool]:
    """One flag word from pos: (unquoted word, position after it, had quotes)."""
    out: list[str] = []
    quote = ""
    quoted = False
    n = len(text)
    while pos < n:
        ch = text[pos]
        if not quote and ch in _GO_SPACE_SET:
            break
        pos += 1
        if quote and ch == quote:
            quote = ""
            continue
        if not quote and ch in ("'", '"'):
            quote, quoted = ch, True
            continue
        if ch == "\\":
            if pos == n:
                quote = ""
                continue
            ch = text[pos]
            pos += 1
        out.append(ch)
    return "".join(out), pos, quoted


def shape_args(keyword: str, rest: str, escape: str) -> tuple[list[str], bool]:
    """The arguments BuildKit's line parser for `keyword` makes of rest, and json form."""
    shaper = _SHAPERS.get(keyword)
    if shaper is None:
        return [""], False  # parseIgnore: unknown words dump as (foo "")
    return shaper(rest, escape)


def _whitespace_list(rest: str, escape: str) -> tuple[list[str], bool]:
    return (_WHITESPACE.split(rest) if rest else []), False


def _one_string(rest: str, escape: str) -> tuple[list[str], bool]:
    return ([rest] if rest else []), False


def _maybe_json(rest: str, escape: str) -> tuple[list[str], bool]:
    if not rest:
        return [], False
    array = parse_json_array(rest)
    return (array, True) if array is not None else ([rest], False)


def _maybe_json_list(rest: str, escape: str) -> tuple[list[str], bool]:
    array = parse_json_array(rest)
    return (array, True) if array is not None else _whitespace_list(rest, escape)


def _healthcheck(rest: str, escape: str) -> tuple[list[str], bool]:
    kind, _, command = _split_at_space(rest)
    if not kind:
        return [], False
    args, json_form = _maybe_json(command.lstrip(GO_SPACE), escape)
    return [kind, *args], json_form


def _split_at_space(text: str) -> tuple[str, str, str]:
    for index, ch in enumerate(text):
        if ch in _GO_SPACE_SET:
            return text[:index], ch, text[index + 1 :]
    return text, "", ""


def _arg_words(rest: str, escape: str) -> tuple[list[str], bool]:
    return parse_words(rest, escape), False


def _name_values(keyword: str):
    def shape(rest: str, escape: str) -> tuple[list[str], bool]:
        return parse_name_values(keyword.upper(), rest, escape), False

    return shape


def parse_json_array(rest: str) -> list[str] | None:
    """The strings of a JSON array, or None when rest is not one (shell form).

    Raises LineError for a valid array holding anything but strings (parseJSON).
    """
    rest = rest.lstrip(GO_SPACE)
    if not rest.startswith("["):
        return None
    try:
        value = json.loads(rest, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        return None
    if not all(isinstance(item, str) for item in value):
        raise LineError(_NOT_STRINGS, hint='write every element as a "quoted string"')
    # Go decodes bad surrogates to U+FFFD
    return [_SURROGATES.sub("\ufffd", item) for item in value]


def _reject_constant(name: str) -> None:
    raise ValueError(f"not JSON: {name}")


def parse_words(rest: str, escape: str) -> list[str]:
    """parseWords: split on whitespace outside quotes, keeping quotes and escapes."""
    words: list[str] = []
    word: list[str] = []
    quote = ""
    blank_ok = False
    pos, n = 0, len(rest)
    while pos < n:
        ch = rest[pos]
        pos += 1
        if quote:
            if ch == quote:
                quote = ""
            elif ch == escape and quote != "'":
                if pos == n:
                    break
                word.append(ch)
                ch = rest[pos]
                pos += 1
            word.append(ch)
            continue
        if ch in _GO_SPACE_SET:
            if blank_ok or word:
                words.append("".join(word))
            word, blank_ok = [], False
            continue
        if ch in ("'", '"'):
            quote, blank_ok = ch, True
        elif ch == escape:
            if pos == n:
                break
            word.append(ch)
            ch = rest[pos]
            pos += 1
        word.append(ch)
    if blank_ok or word:
        words.append("".join(word))
    return words


def parse_name_values(keyword: str, rest: str, escape: str) -> list[str]:
    """ENV/LABEL: `key value ""` (legacy form) or `key value "="` per key=value word."""
    words = parse_words(rest, escape)
    if not words:
        return []
    if "=" not in words[0]:
        parts = _WHITESPACE.split(rest, maxsplit=1)
        if len(parts) < 2:
            raise LineError(f"{keyword} must have two arguments", hint=f"write {keyword} name=value")
        return [parts[0], parts[1], ""]
    args: list[str] = []
    for word in words:
        if "=" not in word:
            raise LineError(
                f"Syntax error - can't find = in {go_quote(word)}. Must be of the form: name=value",
                hint=f"write {keyword} name=value, quoting values that contain spaces",
            )
        key, _, value = word.partition("=")
        args += [key, value, "="]
    return args


_SHAPERS = {
    "add": _maybe_json_list,
    "arg": _arg_words,
    "cmd": _maybe_json,
    "copy": _maybe_json_list,
    "entrypoint": _maybe_json,
    "env": _name_values("env"),
    "expose": _whitespace_list,
    "from": _whitespace_list,
    "healthcheck": _healthcheck,
    "label": _name_values("label"),
    "maintainer": _one_string,
    "run": _maybe_json,
    "shell": _maybe_json,
    "stopsignal": _one_string,
    "user": _one_string,
    "volume": _maybe_json_list,
    "workdir": _one_string,
}
