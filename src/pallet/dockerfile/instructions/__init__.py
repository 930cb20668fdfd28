"""Typed, validated instructions from AST nodes (BuildKit's frontend/dockerfile/instructions).

`parse_instruction(node)` turns one `Node` into a frozen dataclass named after its
Dockerfile word. Words stay unexpanded, as in BuildKit: instructions whose words are
expanded at conversion have `expand(lex, env)`, which returns an expanded copy.
"""

from __future__ import annotations

from collections.abc import Callable

from pallet.dockerfile.instructions.base import Instruction, WordExpander
from pallet.dockerfile.instructions.chmod import Chmod, parse_chmod
from pallet.dockerfile.instructions.config import (
    Cmd, Entrypoint, Expose, Shell, Stopsignal, User, Volume, Workdir, parse_cmd,
    parse_entrypoint, parse_expose, parse_shell, parse_stopsignal, parse_user, parse_volume,
    parse_workdir)
from pallet.dockerfile.instructions.copy import Add, Copy, SourceContent, parse_add, parse_copy
from pallet.dockerfile.instructions.env import (
    Arg, ArgDef, Env, KeyValue, Label, parse_arg, parse_env, parse_label)
from pallet.dockerfile.instructions.healthcheck import Healthcheck, parse_healthcheck
from pallet.dockerfile.instructions.image import (
    From, Maintainer, Onbuild, parse_from, parse_maintainer, parse_onbuild)
from pallet.dockerfile.instructions.mounts import (
    BindMount, CacheMount, Mount, SecretMount, SshMount, TmpfsMount, parse_mount)
from pallet.dockerfile.instructions.run import Run, parse_run
from pallet.dockerfile.nodes import Node
from pallet.dockerfile.suggest import did_you_mean
from pallet.errors import DockerfileError, InstructionError

_PARSERS: dict[str, Callable[[Node], Instruction]] = {
    "add": parse_add,
    "arg": parse_arg,
    "cmd": parse_cmd,
    "copy": parse_copy,
    "entrypoint": parse_entrypoint,
    "env": parse_env,
    "expose": parse_expose,
    "from": parse_from,
    "healthcheck": parse_healthcheck,
    "label": parse_label,
    "maintainer": parse_maintainer,
    "onbuild": parse_onbuild,
    "run": parse_run,
    "shell": parse_shell,
    "stopsignal": parse_stopsignal,
    "user": parse_user,
    "volume": parse_volume,
    "workdir": parse_workdir,
}
INSTRUCTION_NAMES = tuple(name.upper() for name in _PARSERS)


class UnknownInstructionError(InstructionError):
    """The instruction word is not one BuildKit knows."""


def parse_instruction(node: Node) -> Instruction:
    """One node as its typed instruction; errors carry the node's lines."""
    parse = _PARSERS.get(node.keyword.lower())
    try:
        if parse is None:
            raise _unknown(node)
        return parse(node)
    except DockerfileError as e:
        e.ranges = e.ranges or [node.range]
        raise


def _unknown(node: Node) -> UnknownInstructionError:
    word = node.raw_keyword or node.keyword.upper()
    hint = did_you_mean(word, INSTRUCTION_NAMES)
    return UnknownInstructionError(f"unknown instruction: {word}{hint}")


__all__ = [
    "Add", "Arg", "ArgDef", "BindMount", "CacheMount", "Chmod", "Cmd", "Copy", "Entrypoint",
    "Env", "Expose", "From", "Healthcheck", "INSTRUCTION_NAMES", "Instruction", "KeyValue",
    "Label", "Maintainer", "Mount", "Onbuild", "Run", "SecretMount", "Shell", "SourceContent",
    "SshMount", "Stopsignal", "TmpfsMount", "UnknownInstructionError", "User", "Volume",
    "WordExpander", "Workdir", "parse_chmod", "parse_instruction", "parse_mount",
]
