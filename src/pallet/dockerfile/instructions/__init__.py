"""Typed, validated instructions from AST nodes (BuildKit's frontend/dockerfile/instructions).

`parse_instruction(node)` turns one `Node` into a frozen dataclass named after its
Dockerfile word. Words stay unexpanded, as in BuildKit: instructions whose words are
expanded at conversion have `expand(lex, env)`, which returns an expanded copy.

An instruction's module is imported when a Dockerfile first uses it (and the names below
are re-exported lazily): defining all ~30 instruction dataclasses takes ~10 ms, and a
Dockerfile uses a few kinds. Code that handles instructions goes by `type(inst).__name__`.
"""

from __future__ import annotations

from importlib import import_module

from pallet.dockerfile.instructions.base import Instruction, WordExpander
from pallet.dockerfile.nodes import Node
from pallet.dockerfile.suggest import did_you_mean
from pallet.errors import DockerfileError, InstructionError

# keyword -> (module in this package, its parse function)
_PARSERS: dict[str, tuple[str, str]] = {
    "add": ("copy", "parse_add"),
    "arg": ("env", "parse_arg"),
    "cmd": ("config", "parse_cmd"),
    "copy": ("copy", "parse_copy"),
    "entrypoint": ("config", "parse_entrypoint"),
    "env": ("env", "parse_env"),
    "expose": ("config", "parse_expose"),
    "from": ("image", "parse_from"),
    "healthcheck": ("healthcheck", "parse_healthcheck"),
    "label": ("env", "parse_label"),
    "maintainer": ("image", "parse_maintainer"),
    "onbuild": ("image", "parse_onbuild"),
    "run": ("run", "parse_run"),
    "shell": ("config", "parse_shell"),
    "stopsignal": ("config", "parse_stopsignal"),
    "user": ("config", "parse_user"),
    "volume": ("config", "parse_volume"),
    "workdir": ("config", "parse_workdir"),
}
INSTRUCTION_NAMES = tuple(name.upper() for name in _PARSERS)

# re-exported name -> its module in this package
_EXPORTS = {
    "Add": "copy", "Copy": "copy", "SourceContent": "copy",
    "Arg": "env", "ArgDef": "env", "Env": "env", "KeyValue": "env", "Label": "env",
    "Chmod": "chmod", "parse_chmod": "chmod",
    "Cmd": "config", "Entrypoint": "config", "Expose": "config", "Shell": "config",
    "Stopsignal": "config", "User": "config", "Volume": "config", "Workdir": "config",
    "From": "image", "Maintainer": "image", "Onbuild": "image",
    "Healthcheck": "healthcheck",
    "BindMount": "mounts", "CacheMount": "mounts", "Mount": "mounts", "SecretMount": "mounts",
    "SshMount": "mounts", "TmpfsMount": "mounts", "parse_mount": "mounts",
    "Run": "run",
}


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'pallet.dockerfile.instructions' has no attribute {name!r}")
    return getattr(import_module(f"pallet.dockerfile.instructions.{module}"), name)


class UnknownInstructionError(InstructionError):
    """The instruction word is not one BuildKit knows."""


def parse_instruction(node: Node) -> Instruction:
    """One node as its typed instruction; errors carry the node's lines."""
    parser = _PARSERS.get(node.keyword.lower())
    try:
        if parser is None:
            raise _unknown(node)
        module, name = parser
        parse = getattr(import_module(f"pallet.dockerfile.instructions.{module}"), name)
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
