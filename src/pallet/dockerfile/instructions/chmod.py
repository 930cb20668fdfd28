"""`--chmod` values: octal (`0755`) or symbolic like chmod(1) (`u=rwX,go=rX`).

Octal is BuildKit's `strconv.ParseUint(v, 8, 32)` capped at 07777
(dockerfile2llb/convert_copy.go); symbolic modes (dockerfile 1.14) follow chmod(1), except
that a clause with no `ugoa` means `a` with no umask, as fsutil applies them. A symbolic
mode depends on the file it is applied to, so the parsed value is applied per file with
`apply(mode, is_dir)`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pallet.errors import InstructionError

_WHO_BITS = {"u": 0o4700, "g": 0o2070, "o": 0o1007, "a": 0o7777}
_PERM_BITS = {"r": 0o444, "w": 0o222, "x": 0o111, "s": 0o6000, "t": 0o1000}
_CLASS_SHIFT = {"u": 6, "g": 3, "o": 0}
_CLAUSE = re.compile(r"([ugoa]*)((?:[-+=](?:[ugo]|[rwxXst]*))+)")
_ACTION = re.compile(r"([-+=])([ugo]|[rwxXst]*)")


@dataclass(frozen=True, slots=True)
class Action:
    op: str  # "+", "-" or "="
    perms: str  # letters from "rwxXst", or a single "u"/"g"/"o" to copy that class


@dataclass(frozen=True, slots=True)
class Clause:
    who: str  # letters from "ugoa"; "" means all
    actions: tuple[Action, ...]


@dataclass(frozen=True, slots=True)
class Chmod:
    """A parsed `--chmod`: `octal` when it was numeric, else symbolic `clauses`."""

    text: str
    octal: int | None = None
    clauses: tuple[Clause, ...] = ()

    def apply(self, mode: int, is_dir: bool) -> int:
        """The new mode of a file with `mode`; file-type bits are kept."""
        if self.octal is not None:
            return (mode & ~0o7777) | self.octal
        perm = mode & 0o7777
        for clause in self.clauses:
            for action in clause.actions:
                perm = _apply_action(perm, clause.who or "a", action, is_dir)
        return (mode & ~0o7777) | perm


def parse_chmod(text: str) -> Chmod:
    """Parse a `--chmod` value, with BuildKit's message for a bad one."""
    if re.fullmatch(r"[0-7]+", text):
        value = int(text, 8)
        if value > 0o7777:
            raise _invalid(text)
        return Chmod(text, octal=value)
    clauses = tuple(_parse_clause(part, text) for part in text.split(","))
    return Chmod(text, clauses=clauses)


def _parse_clause(part: str, text: str) -> Clause:
    match = _CLAUSE.fullmatch(part)
    if not match:
        raise _invalid(text)
    actions = tuple(Action(op, perms) for op, perms in _ACTION.findall(match.group(2)))
    return Clause(match.group(1), actions)


def _invalid(text: str) -> InstructionError:
    return InstructionError(
        f"invalid chmod parameter: '{text}'. it should be octal string and between 0 and 07777"
    )


def _who_mask(who: str) -> int:
    mask = 0
    for letter in who:
        mask |= _WHO_BITS[letter]
    return mask


def _perm_bits(perm: int, perms: str, is_dir: bool) -> int:
    """The bits `perms` stands for, before masking by `who`."""
    if perms in _CLASS_SHIFT:  # `g=u`: copy the u bits into every class named in who
        rwx = (perm >> _CLASS_SHIFT[perms]) & 0o7
        return rwx * 0o111
    bits = 0
    for letter in perms:
        if letter == "X":
            if is_dir or perm & 0o111:
                bits |= 0o111
        else:
            bits |= _PERM_BITS[letter]
    return bits


def _apply_action(perm: int, who: str, action: Action, is_dir: bool) -> int:
    mask = _who_mask(who)
    bits = _perm_bits(perm, action.perms, is_dir) & mask
    if action.op == "+":
        return perm | bits
    if action.op == "-":
        return perm & ~bits
    # "=" clears the classes' rwx and set-id bits; the sticky bit only for `o`/`a`
    return (perm & ~(mask & ~(0 if "o" in who or "a" in who else 0o1000))) | bits
