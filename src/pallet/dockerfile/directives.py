"""Parser directives (`# syntax=`, `# escape=`, `# check=`) at the top of a Dockerfile.

Matches BuildKit's frontend/dockerfile/parser/directives.go: a directive is a `#key=value`
comment line; the block ends at the first line that is not one (a blank line, an ordinary
comment, an unknown key or an instruction). Keys are case-insensitive and may not repeat.
"""

from __future__ import annotations

import re

from pallet.dockerfile.nodes import Directives

# BuildKit's `^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$` (Go's `\s` is ASCII-only). The
# value part is matched by hand: a lazy `(.+?)\s*$` backtracks quadratically in Python.
_GO_S = "\t\n\f\r "
_DIRECTIVE_KEY = re.compile(r"#[\t\n\f\r ]*([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=([\t\n\f\r ]*)")
KNOWN = ("syntax", "escape", "check")
ESCAPE_TOKENS = ("\\", "`")


class DirectiveError(Exception):
    """A bad directive; the parser turns it into a located ParseError."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class DirectiveParser:
    """Feeds on the leading lines of a file until the directive block ends."""

    def __init__(self) -> None:
        self.done = False
        self.escape = "\\"
        self.values: dict[str, str] = {}
        self.lines: dict[str, int] = {}

    def feed(self, line: str, lineno: int) -> bool:
        """Look at one line (newline and leading whitespace removed).

        Returns True when the line was a known directive. Raises DirectiveError for a
        repeated directive or an escape token other than ` or \\.
        """
        if self.done:
            return False
        key, value = _match_directive(line)
        if key not in KNOWN:
            self.done = True
            return False
        if key in self.values:
            raise DirectiveError(
                f"only one {key} parser directive can be used",
                hint=f"remove the repeated # {key}= line",
            )
        if key == "escape":
            self.escape = _check_escape(value)
        self.values[key] = value
        self.lines[key] = lineno
        return True

    def result(self) -> Directives:
        return Directives(
            syntax=self.values.get("syntax"),
            escape=self.escape,
            check=self.values.get("check"),
            lines=dict(self.lines),
        )


def _match_directive(line: str) -> tuple[str, str]:
    """(lower-cased key, value) of a `#key=value` line, or ("", "")."""
    match = _DIRECTIVE_KEY.match(line)
    if match is None:
        return "", ""
    value = line[match.end() :].rstrip(_GO_S)
    if not value and match.group(2):
        value = match.group(2)[-1]  # the regex gives `(.+?)` one blank back
    return (match.group(1).lower(), value) if value else ("", "")


def _check_escape(value: str) -> str:
    if value not in ESCAPE_TOKENS:
        # BuildKit's wording (parser.go setEscapeToken), quote style included.
        raise DirectiveError(
            f"invalid escape token '{value}' does not match ` or \\",
            hint="write # escape=` or # escape=\\ (a single character)",
        )
    return value
