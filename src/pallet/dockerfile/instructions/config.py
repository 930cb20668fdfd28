"""Instructions that only change the image config: CMD, ENTRYPOINT, SHELL, EXPOSE,
WORKDIR, USER, VOLUME, STOPSIGNAL (instructions/parse.go)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from pallet.dockerfile.instructions.base import (
    Instruction, WordExpander, at_least_one, cmdline, exactly_one)
from pallet.dockerfile.instructions.flags import parse_flags
from pallet.dockerfile.nodes import Node
from pallet.errors import InstructionError


@dataclass(frozen=True, slots=True)
class Cmd(Instruction):
    """CMD command | CMD ["executable", "param"...]"""

    cmd: tuple[str, ...]
    prepend_shell: bool


@dataclass(frozen=True, slots=True)
class Entrypoint(Instruction):
    """ENTRYPOINT command | ENTRYPOINT ["executable", "param"...]"""

    cmd: tuple[str, ...]  # () clears the entrypoint
    prepend_shell: bool


@dataclass(frozen=True, slots=True)
class Shell(Instruction):
    """SHELL ["executable", "param"...]"""

    shell: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Expose(Instruction):
    """EXPOSE port[/proto] [port[/proto]...]"""

    ports: tuple[str, ...]  # string-sorted, as BuildKit stores them

    def expand(self, lex: WordExpander, env: Mapping[str, str]) -> Expose:
        """Each word expanded and split again (dockerfile2llb/convert_expose.go)."""
        ports = tuple(p for word in self.ports for p in self.words(lex, env, word))
        return replace(self, ports=ports)


@dataclass(frozen=True, slots=True)
class Workdir(Instruction):
    """WORKDIR path"""

    path: str

    def expand(self, lex: WordExpander, env: Mapping[str, str]) -> Workdir:
        return replace(self, path=self.word(lex, env, self.path))


@dataclass(frozen=True, slots=True)
class User(Instruction):
    """USER user[:group]"""

    user: str

    def expand(self, lex: WordExpander, env: Mapping[str, str]) -> User:
        return replace(self, user=self.word(lex, env, self.user))


@dataclass(frozen=True, slots=True)
class Volume(Instruction):
    """VOLUME path [path...] | VOLUME ["path"...]"""

    volumes: tuple[str, ...]

    def expand(self, lex: WordExpander, env: Mapping[str, str]) -> Volume:
        return replace(self, volumes=tuple(self.word(lex, env, v) for v in self.volumes))


@dataclass(frozen=True, slots=True)
class Stopsignal(Instruction):
    """STOPSIGNAL signal"""

    signal: str

    def expand(self, lex: WordExpander, env: Mapping[str, str]) -> Stopsignal:
        return replace(self, signal=self.word(lex, env, self.signal))


def parse_cmd(node: Node) -> Cmd:
    parse_flags(node.flags, {})
    return Cmd(cmdline(node), not node.json_form, node=node)


def parse_entrypoint(node: Node) -> Entrypoint:
    parse_flags(node.flags, {})
    return Entrypoint(cmdline(node), not node.json_form, node=node)


def parse_shell(node: Node) -> Shell:
    parse_flags(node.flags, {})
    shell = cmdline(node)
    if not shell:
        raise InstructionError("SHELL requires at least one argument")
    if not node.json_form:
        raise InstructionError("SHELL requires the arguments to be in JSON form")
    return Shell(shell, node=node)


def parse_expose(node: Node) -> Expose:
    ports = at_least_one(node, "EXPOSE")
    parse_flags(node.flags, {})
    return Expose(tuple(sorted(ports)), node=node)


def parse_workdir(node: Node) -> Workdir:
    path = exactly_one(node, "WORKDIR")
    parse_flags(node.flags, {})
    return Workdir(path, node=node)


def parse_user(node: Node) -> User:
    user = exactly_one(node, "USER")
    parse_flags(node.flags, {})
    return User(user, node=node)


def parse_volume(node: Node) -> Volume:
    at_least_one(node, "VOLUME")
    parse_flags(node.flags, {})
    volumes = tuple(v.strip() for v in node.args)
    if any(not v for v in volumes):
        raise InstructionError("VOLUME specified can not be an empty string")
    return Volume(volumes, node=node)


def parse_stopsignal(node: Node) -> Stopsignal:
    # parse.go parseStopSignal reads no flags, so any given are ignored
    return Stopsignal(exactly_one(node, "STOPSIGNAL"), node=node)
