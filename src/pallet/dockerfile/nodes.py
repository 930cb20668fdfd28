"""The Dockerfile AST: what the parser produces and everything after it reads.

A typed version of BuildKit's `parser.Node` (frontend/dockerfile/parser/parser.go). The
parser does no variable expansion and no validation beyond what BuildKit's parser does;
`instructions` turns nodes into typed, validated instructions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pallet.errors import Range, SourceFile


@dataclass(frozen=True, slots=True)
class Heredoc:
    """One `<<NAME` body attached to a RUN/COPY/ADD line."""

    name: str  # the terminator, unquoted
    content: str  # the body lines, each with its newline
    expand: bool = True  # False when any part of the terminator word was quoted
    chomp: bool = False  # `<<-NAME`: leading tabs are stripped
    fd: int = 0  # `3<<NAME` gives 3; 0 when no digits were written


@dataclass(frozen=True, slots=True)
class Warning:
    """A parser or lint warning, with the lines it is about."""

    rule: str  # e.g. "NoEmptyContinuation"
    message: str  # e.g. "Empty continuation line"
    ranges: tuple[Range, ...] = ()
    url: str = ""


@dataclass(slots=True)
class Node:
    """One instruction as written.

    `args` are shaped per instruction exactly as BuildKit's parser shapes them (see
    conformance/FORMATS.md 1.3): this is what `dump()` prints.
    """

    keyword: str  # lower-cased instruction word: "run", "from", "foo" (unknown words kept)
    original: str  # the whole logical line, continuations joined, as BuildKit's Node.Original
    start_line: int
    end_line: int
    args: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)  # "--mount=type=cache,target=/x", unquoted
    heredocs: list[Heredoc] = field(default_factory=list)
    json_form: bool = False  # args came from a JSON array
    child: Node | None = None  # ONBUILD's nested instruction
    raw_keyword: str = ""  # the instruction word as written (case kept)
    comments: list[str] = field(default_factory=list)  # comment lines just above, without "# "

    @property
    def range(self) -> Range:
        return Range(self.start_line, self.end_line)


@dataclass(frozen=True, slots=True)
class Directives:
    """Parser directives found before the first instruction."""

    syntax: str | None = None
    escape: str = "\\"
    check: str | None = None  # raw value of `# check=...`, parsed by the linter
    # directive name -> 1-based line it was written on
    lines: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class Dockerfile:
    """A parsed Dockerfile: its instructions, directives, warnings and source text."""

    nodes: list[Node]
    directives: Directives
    source: SourceFile
    warnings: list[Warning] = field(default_factory=list)

    @property
    def escape(self) -> str:
        return self.directives.escape
