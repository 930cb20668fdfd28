"""An instruction's `--flag` words, with BuildKit's BFlags semantics.

Matches frontend/dockerfile/instructions/bflag.go: a flag is declared as bool, string or
string-array before parsing; `--name=value` gives a value, a bare `--name` is only valid
for bools; only string-array flags (`--mount`, `--exclude`) may repeat; a bare `--` ends
the flags.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from pallet.dockerfile.suggest import did_you_mean
from pallet.errors import InstructionError


class FlagKind(Enum):
    BOOL = "bool"
    STRING = "string"
    STRINGS = "strings"


@dataclass(slots=True)
class Flag:
    name: str
    kind: FlagKind
    value: str = ""  # BOOL: "true"/"false"; STRING: the value or its default
    values: list[str] = field(default_factory=list)  # STRINGS: every value, in order
    used: bool = False

    @property
    def is_true(self) -> bool:
        return self.value == "true"


class BFlags:
    """Declare the flags an instruction accepts, then `parse()` the words it was given."""

    def __init__(self, words: list[str]) -> None:
        self.words = list(words)
        self.flags: dict[str, Flag] = {}

    def add_bool(self, name: str, default: bool = False) -> Flag:
        return self._add(Flag(name, FlagKind.BOOL, "true" if default else "false"))

    def add_string(self, name: str, default: str = "") -> Flag:
        return self._add(Flag(name, FlagKind.STRING, default))

    def add_strings(self, name: str) -> Flag:
        return self._add(Flag(name, FlagKind.STRINGS))

    def _add(self, flag: Flag) -> Flag:
        if flag.name in self.flags:  # a programming error, as BuildKit's "Duplicate flag defined"
            raise ValueError(f"duplicate flag defined: {flag.name}")
        self.flags[flag.name] = flag
        return flag

    def used(self) -> list[str]:
        return [name for name, flag in self.flags.items() if flag.used]

    def parse(self) -> None:
        for word in self.words:
            if word == "--":  # POSIX: the end of options
                return
            self._parse_one(word)

    def _parse_one(self, word: str) -> None:
        if not word.startswith("--"):
            raise InstructionError(f"arg should start with -- : {word}")
        flag_name, has_value, value = word.partition("=")
        has_value = bool(has_value)
        flag = self.flags.get(flag_name[2:])
        if flag is None:
            hint = did_you_mean(flag_name[2:], self.flags, case_sensitive=True)
            raise InstructionError(f"unknown flag: {flag_name}{hint}")
        if flag.used and flag.kind is not FlagKind.STRINGS:
            raise InstructionError(f"duplicate flag specified: {flag_name}")
        flag.used = True
        if flag.kind is FlagKind.BOOL:
            flag.value = _parse_bool(flag_name, value, has_value)
        elif not has_value:
            raise InstructionError(f"missing a value on flag: {flag_name}")
        elif flag.kind is FlagKind.STRING:
            flag.value = value
        else:
            flag.values.append(value)


def _parse_bool(flag_name: str, value: str, has_value: bool) -> str:
    if has_value and value == "":
        raise InstructionError(f"missing a value on flag: {flag_name}")
    lower = value.lower()
    if lower in ("", "true"):
        return "true"
    if lower == "false":
        return "false"
    raise InstructionError(f"expecting boolean value for flag {flag_name}, not: {value}")


def parse_flags(words: list[str], spec: dict[str, FlagKind]) -> dict[str, Flag]:
    """Declare `spec` (name -> kind), parse `words`, and return the flags by name."""
    bflags = BFlags(words)
    for name, kind in spec.items():
        bflags._add(Flag(name, kind, "false" if kind is FlagKind.BOOL else ""))
    bflags.parse()
    return bflags.flags
