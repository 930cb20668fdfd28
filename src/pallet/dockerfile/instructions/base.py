"""What every typed instruction shares: its node, and expansion with its location attached."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from pallet.dockerfile.nodes import Node
from pallet.errors import DockerfileError, InstructionError


class WordExpander(Protocol):
    """The part of `shell.ShellLex` instructions use at conversion time."""

    def expand_word(self, word: str, env: Mapping[str, str]) -> str: ...

    def expand_words(self, word: str, env: Mapping[str, str]) -> list[str]: ...


@dataclass(frozen=True, slots=True)
class Instruction:
    """Base of the typed instructions; `node` is where errors about it point."""

    node: Node = field(compare=False, repr=False, kw_only=True)

    @property
    def keyword(self) -> str:
        return self.node.keyword.upper()

    def word(self, lex: WordExpander, env: Mapping[str, str], word: str) -> str:
        """`word` expanded, an error pointing at this instruction's lines."""
        with located(self.node):
            return lex.expand_word(word, env)

    def words(self, lex: WordExpander, env: Mapping[str, str], word: str) -> list[str]:
        with located(self.node):
            return lex.expand_words(word, env)


class located:
    """Attach `node`'s lines to a DockerfileError raised inside, unless it has some."""

    def __init__(self, node: Node) -> None:
        self.node = node

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type, exc, tb) -> bool:
        if isinstance(exc, DockerfileError) and not exc.ranges:
            exc.ranges = [self.node.range]
        return False


def exactly_one(node: Node, keyword: str) -> str:
    """The only argument, or BuildKit's `errExactlyOneArgument`."""
    if len(node.args) != 1:
        raise InstructionError(f"{keyword} requires exactly one argument")
    return node.args[0]


def at_least_one(node: Node, keyword: str) -> list[str]:
    if not node.args:
        raise InstructionError(f"{keyword} requires at least one argument")
    return node.args


def cmdline(node: Node) -> tuple[str, ...]:
    """BuildKit's `handleJSONArgs`: a JSON array as-is, shell form joined into one word."""
    if not node.args:
        return ()
    if node.json_form:
        return tuple(node.args)
    return (" ".join(node.args),)
