"""ENV, LABEL and ARG: name/value instructions (instructions/parse.go parseKvps, parseArg)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from pallet.dockerfile.instructions.base import Instruction, WordExpander, at_least_one
from pallet.dockerfile.instructions.flags import parse_flags
from pallet.dockerfile.nodes import Node
from pallet.errors import InstructionError


@dataclass(frozen=True, slots=True)
class KeyValue:
    key: str
    value: str
    legacy: bool = False  # written `ENV key value`, without `=` (the LegacyKeyValueFormat lint)


@dataclass(frozen=True, slots=True)
class Env(Instruction):
    """ENV key=value [key=value ...]"""

    pairs: tuple[KeyValue, ...]

    def expand(self, lex: WordExpander, env: Mapping[str, str]) -> Env:
        return replace(self, pairs=_expand_pairs(self, lex, env))


@dataclass(frozen=True, slots=True)
class Label(Instruction):
    """LABEL key=value [key=value ...]"""

    pairs: tuple[KeyValue, ...]

    def expand(self, lex: WordExpander, env: Mapping[str, str]) -> Label:
        return replace(self, pairs=_expand_pairs(self, lex, env))


@dataclass(frozen=True, slots=True)
class ArgDef:
    key: str
    value: str | None  # None for `ARG name` with no default
    comment: str = ""  # from a `# name description` comment just above


@dataclass(frozen=True, slots=True)
class Arg(Instruction):
    """ARG name[=default] [name[=default] ...]"""

    args: tuple[ArgDef, ...]

    def expand(self, lex: WordExpander, env: Mapping[str, str]) -> Arg:
        """Defaults expanded; names never are (dockerfile2llb/convert.go dispatchArg)."""
        args = tuple(
            a if a.value is None else replace(a, value=self.word(lex, env, a.value))
            for a in self.args
        )
        return replace(self, args=args)


def _expand_pairs(ins: Env | Label, lex: WordExpander, env) -> tuple[KeyValue, ...]:
    return tuple(
        replace(p, key=ins.word(lex, env, p.key), value=ins.word(lex, env, p.value))
        for p in ins.pairs
    )


def _pairs(node: Node, keyword: str) -> tuple[KeyValue, ...]:
    """The parser's (key, value, "=" or "") triples (parse.go parseKvps)."""
    args = at_least_one(node, keyword)
    if len(args) % 3:
        raise InstructionError(f"Bad input to {keyword}, too many arguments")
    pairs = []
    for i in range(0, len(args), 3):
        key, value, delim = args[i : i + 3]
        if not key:
            raise InstructionError(f"{keyword} names can not be blank")
        pairs.append(KeyValue(key, value, legacy=delim == ""))
    return tuple(pairs)


def parse_env(node: Node) -> Env:
    parse_flags(node.flags, {})
    return Env(_pairs(node, "ENV"), node=node)


def parse_label(node: Node) -> Label:
    parse_flags(node.flags, {})
    return Label(_pairs(node, "LABEL"), node=node)


def parse_arg(node: Node) -> Arg:
    words = at_least_one(node, "ARG")
    return Arg(tuple(_arg_def(word, node.comments) for word in words), node=node)


def _arg_def(word: str, comments: list[str]) -> ArgDef:
    key, has_value, value = word.partition("=")
    if has_value and not key:
        raise InstructionError("ARG names can not be blank")
    return ArgDef(key, value if has_value else None, comment_for(comments, key))


def comment_for(comments: list[str], name: str) -> str:
    """The text after `name ` in the first comment line starting with it (parse.go getComment)."""
    if not name:
        return ""
    prefix = name + " "
    for line in comments:
        if line.startswith(prefix):
            return line[len(prefix) :]
    return ""
