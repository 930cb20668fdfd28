"""FROM, MAINTAINER and ONBUILD (instructions/parse.go parseFrom, parseMaintainer,
parseOnBuild)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from pallet.dockerfile.instructions.base import Instruction, WordExpander, exactly_one
from pallet.dockerfile.instructions.flags import FlagKind, parse_flags
from pallet.dockerfile.goquote import go_quote
from pallet.dockerfile.nodes import Node
from pallet.errors import InstructionError, StageError

# parse.go validStageName
STAGE_NAME = re.compile(r"[a-z][a-z0-9\-_.]*")
_ONBUILD_PREFIX = re.compile(r"^\s*ONBUILD\s*", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class From(Instruction):
    """FROM [--platform=platform] image [AS name]"""

    base: str  # unexpanded
    name: str | None = None  # lower-cased
    platform: str | None = None  # unexpanded; None when --platform was not given
    orig_name: str | None = None  # as written

    def expand(self, lex: WordExpander, global_args: Mapping[str, str]) -> From:
        """Image and platform expanded against the global ARGs (dockerfile2llb/convert.go)."""
        platform = None if self.platform is None else self.word(lex, global_args, self.platform)
        return replace(self, base=self.word(lex, global_args, self.base), platform=platform)


@dataclass(frozen=True, slots=True)
class Maintainer(Instruction):
    """MAINTAINER name"""

    maintainer: str


@dataclass(frozen=True, slots=True)
class Onbuild(Instruction):
    """ONBUILD instruction"""

    expression: str  # the trigger as written (stored in the image config's OnBuild)
    child: Node | None = field(default=None, compare=False, repr=False)


def parse_from(node: Node) -> From:
    name, orig_name = _stage_name(node.args)
    flags = parse_flags(node.flags, {"platform": FlagKind.STRING})
    platform = flags["platform"].value if flags["platform"].used else None
    return From(node.args[0], name, platform, orig_name, node=node)


def _stage_name(args: list[str]) -> tuple[str | None, str | None]:
    if len(args) == 3 and args[1].lower() == "as":
        name = args[2].lower()
        if not STAGE_NAME.fullmatch(name):
            raise StageError(
                f"invalid name for build stage: {go_quote(args[2])}, "
                "name can't start with a number or contain symbols"
            )
        return name, args[2]
    if len(args) != 1:
        raise InstructionError("FROM requires either one or three arguments")
    return None, None


def parse_maintainer(node: Node) -> Maintainer:
    maintainer = exactly_one(node, "MAINTAINER")
    parse_flags(node.flags, {})
    return Maintainer(maintainer, node=node)


def parse_onbuild(node: Node) -> Onbuild:
    if node.child is None:
        raise InstructionError("ONBUILD requires at least one argument")
    parse_flags(node.flags, {})
    trigger = (node.child.raw_keyword or node.child.keyword).strip().upper()
    if trigger == "ONBUILD":
        raise InstructionError("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed")
    if trigger in ("MAINTAINER", "FROM"):
        raise InstructionError(f"{trigger} isn't allowed as an ONBUILD trigger")
    expression = _ONBUILD_PREFIX.sub("", node.original, count=1)
    for heredoc in node.heredocs or node.child.heredocs:
        expression += "\n" + heredoc.content + heredoc.name
    return Onbuild(expression, node.child, node=node)
