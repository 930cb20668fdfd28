"""COPY and ADD (instructions/parse.go parseCopy, parseAdd, parseSourcesAndDest)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from pallet.dockerfile.instructions.base import Instruction, WordExpander, located
from pallet.dockerfile.instructions.chmod import Chmod, parse_chmod
from pallet.dockerfile.instructions.flags import Flag, FlagKind, parse_flags
from pallet.dockerfile.heredoc import must_parse_heredoc_word
from pallet.dockerfile.nodes import Node
from pallet.errors import InstructionError

COPY_FLAGS = {"from": FlagKind.STRING, "chown": FlagKind.STRING, "chmod": FlagKind.STRING,
              "link": FlagKind.BOOL, "parents": FlagKind.BOOL, "exclude": FlagKind.STRINGS}
ADD_FLAGS = {"chown": FlagKind.STRING, "chmod": FlagKind.STRING, "link": FlagKind.BOOL,
             "exclude": FlagKind.STRINGS, "checksum": FlagKind.STRING,
             "keep-git-dir": FlagKind.BOOL, "unpack": FlagKind.BOOL}


@dataclass(frozen=True, slots=True)
class SourceContent:
    """A heredoc used as a COPY/ADD source: a file named `path` holding `data`."""

    path: str
    data: str
    expand: bool  # False when the delimiter was quoted


@dataclass(frozen=True, slots=True)
class _Transfer(Instruction):
    sources: tuple[str, ...]
    dest: str
    contents: tuple[SourceContent, ...] = ()  # heredoc sources, in order
    chown: str = ""
    chmod: str = ""
    link: bool = False
    exclude: tuple[str, ...] = ()  # never expanded

    @property
    def mode(self) -> Chmod | None:
        """`--chmod` parsed; call on an expanded instruction."""
        with located(self.node):
            return parse_chmod(self.chmod) if self.chmod else None

    def _expanded(self, lex: WordExpander, env: Mapping[str, str]) -> dict:
        """SourcesAndDest.Expand plus --chown and --chmod (instructions/commands.go)."""
        changes = dict(
            sources=tuple(self.word(lex, env, s) for s in self.sources),
            dest=self.word(lex, env, self.dest),
            contents=tuple(self._content(lex, env, c) for c in self.contents),
            chown=self.word(lex, env, self.chown),
            chmod=self.word(lex, env, self.chmod),
        )
        if changes["chmod"]:
            with located(self.node):
                parse_chmod(changes["chmod"])
        return changes

    def _content(self, lex: WordExpander, env, content: SourceContent) -> SourceContent:
        """Heredoc bodies go through `ExpandRaw` (dockerfile2llb/convert.go): escape `\\`
        whatever the directive says, and quotes are ordinary characters."""
        if not content.expand:
            return content
        raw = type(lex)("\\", skip_processing_quotes=True)
        return replace(content, data=self.word(raw, env, content.data))


@dataclass(frozen=True, slots=True)
class Copy(_Transfer):
    """COPY [--from=] [--chown=] [--chmod=] [--link] [--parents] [--exclude=] src... dest"""

    from_: str = ""
    parents: bool = False

    def expand(self, lex: WordExpander, env: Mapping[str, str]) -> Copy:
        # BuildKit takes --from as written; pallet expands it, as frontend.py resolves it
        from_ = self.word(lex, env, self.from_) if "$" in self.from_ else self.from_
        return replace(self, from_=from_, **self._expanded(lex, env))


@dataclass(frozen=True, slots=True)
class Add(_Transfer):
    """ADD [--chown=] [--chmod=] [--link] [--exclude=] [--checksum=] [--keep-git-dir] [--unpack] src... dest"""

    checksum: str = ""
    keep_git_dir: bool = False
    unpack: bool | None = None  # None: BuildKit's default (local archives unpacked, URLs not)

    def expand(self, lex: WordExpander, env: Mapping[str, str]) -> Add:
        changes = self._expanded(lex, env)
        return replace(self, checksum=self.word(lex, env, self.checksum), **changes)


def parse_copy(node: Node) -> Copy:
    _require_dest(node, "COPY")
    flags = parse_flags(node.flags, COPY_FLAGS)
    return Copy(**_common(node, flags, "COPY"), from_=flags["from"].value,
                parents=flags["parents"].is_true, node=node)


def parse_add(node: Node) -> Add:
    _require_dest(node, "ADD")
    flags = parse_flags(node.flags, ADD_FLAGS)
    unpack = flags["unpack"]
    return Add(**_common(node, flags, "ADD"), checksum=flags["checksum"].value,
               keep_git_dir=flags["keep-git-dir"].is_true,
               unpack=unpack.is_true if unpack.used else None, node=node)


def _require_dest(node: Node, keyword: str) -> None:
    if len(node.args) < 2:
        raise InstructionError(
            f"{keyword} requires at least two arguments, but only one was provided. "
            "Destination could not be determined"
        )


def _common(node: Node, flags: dict[str, Flag], keyword: str) -> dict:
    *sources, dest = node.args
    if must_parse_heredoc_word(dest) is not None:  # the parser's own reading of `<<WORD`
        raise InstructionError(f"{keyword} cannot accept a heredoc as a destination")
    chmod = flags["chmod"].value
    if chmod and "$" not in chmod:
        parse_chmod(chmod)  # fail early when there is nothing to expand
    paths, contents = _split_sources(node, sources)
    return dict(sources=paths, dest=dest, contents=contents, chown=flags["chown"].value,
                chmod=chmod, link=flags["link"].is_true, exclude=tuple(flags["exclude"].values))


def _split_sources(node: Node, sources: list[str]) -> tuple[tuple[str, ...], tuple[SourceContent, ...]]:
    bodies = {h.name: h for h in node.heredocs}
    paths, contents = [], []
    for src in sources:
        word = must_parse_heredoc_word(src)
        if word is None:
            paths.append(src)
            continue
        name = word.name  # quotes removed as the parser removed them: <<E"O"F is EOF
        heredoc = bodies.get(name)
        data = heredoc.content if heredoc else ""
        if heredoc and heredoc.chomp:
            data = chomp_heredoc(data)
        contents.append(SourceContent(name, data, heredoc.expand if heredoc else True))
    return tuple(paths), tuple(contents)


def chomp_heredoc(content: str) -> str:
    """`<<-` strips leading tabs from every line (parser.ChompHeredocContent)."""
    return "".join(line.lstrip("\t") for line in content.splitlines(keepends=True))
