"""Every error pallet shows a user, in one tree.

This module is a leaf: it imports nothing from pallet, so any layer can raise these.

    PalletError                      message, hint, exit_code
    ├── UserError                    the user can fix it: bad input, bad flags, bad files
    │   ├── DockerfileError          + source (SourceFile) and ranges (lines to show)
    │   │   ├── ParseError           the text is not a Dockerfile
    │   │   ├── InstructionError     an instruction's words or flags are wrong
    │   │   ├── ExpansionError       ${VAR...} could not be expanded
    │   │   └── StageError           FROM/--from/--target name a stage that is wrong
    │   ├── OptionError              a command-line flag or its value is wrong
    │   ├── ContextError             a context file is missing, outside the context, ignored
    │   ├── IgnorePatternError       a .dockerignore pattern is invalid
    │   └── BuildArgError            a --build-arg is malformed
    ├── BuildError                   the build ran and something in it failed
    │   ├── RunFailedError           a RUN step exited non-zero
    │   └── LintError                --check found problems and error=true was asked for
    ├── RegistryError                a registry said no, or could not be reached
    │   ├── AuthError                401/403: missing or wrong credentials, access denied
    │   ├── ManifestUnknownError     no such tag or digest in the repository
    │   ├── RegistryUnreachableError connection refused, DNS, TLS, timeout
    │   └── TransferInterruptedError a body stopped half-way (pull resumes with Range)
    └── StoreError                   the state root: for code to act on
        ├── NotFoundError
        ├── AlreadyExistsError
        └── CorruptBlobError         expected and got digests differ

Messages follow BuildKit's wording (users and log tools grep for it): lower-case, no
trailing period, the offending value quoted, `(did you mean "RUN"?)` for names. The CLI
(`pallet.cli.main`) is the only place that turns these into exit codes and text.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Range:
    """1-based, inclusive physical line numbers in a Dockerfile."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if self.end < self.start:
            object.__setattr__(self, "end", self.start)


@dataclass(frozen=True, slots=True)
class SourceFile:
    """The text of a file an error points into."""

    name: str
    text: str

    def lines(self) -> list[str]:
        # Only "\n" ends a Dockerfile line (str.splitlines would also split on \v, \x85...).
        # BuildKit splits the raw text too, so a final newline shows as an empty last line.
        return [line.removesuffix("\r") for line in self.text.split("\n")]


def render_snippet(source: SourceFile, ranges) -> str:
    """BuildKit's `solver/errdefs/source.go:Print`: the lines with `>>>` marks, padded with
    up to 4 lines of context around one line, 2 around a range."""
    lines = source.lines()
    if not ranges or not lines:
        return ""
    first = min(r.start for r in ranges)
    last = min(max(r.end for r in ranges), len(lines))
    if not 1 <= first <= len(lines):
        return ""
    lo, hi = _pad(first, last, len(lines))
    marked = {n for r in ranges for n in range(r.start, max(r.end, r.start) + 1)}
    out = [f"{source.name}:{first}", "-" * 20]
    for n in range(lo, hi + 1):
        mark = ">>>" if n in marked else "   "
        out.append(f" {n:>3} | {mark} {lines[n - 1]}")
    out.append("-" * 20)
    return "\n".join(out)


def _pad(start: int, end: int, count: int) -> tuple[int, int]:
    """BuildKit's padding loop, kept as is: it counts each step twice, so one marked
    line gets 2 lines of context on each side and a range 1."""
    pad, p = (4 if start == end else 2), 0
    while p < pad:
        if start > 1:
            start -= 1
            p += 1
        if end != count:
            end += 1
            p += 1
        p += 1
    return start, end


class PalletError(Exception):
    """Base of every error pallet raises on purpose."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        # Where in a Dockerfile the error is, for the snippet; a build step failing far
        # from the parser (a RUN, a COPY) gets these attached by the engine.
        self.ranges: list[Range] = []
        self.source: SourceFile | None = None
        self.step: str = ""  # "[build 2/4] RUN make": the step that failed
        self.output: list[str] = []  # its last output lines

    def __str__(self) -> str:
        return self.message

    def render(self) -> str:
        """The full text the CLI prints: message, snippet (if any), hint."""
        parts = [f"error: {self.message}"]
        if self.step and self.output:  # BuildKit's block with the step's last output lines
            parts += ["", "------", f" > {self.step}:", *self.output, "------"]
        snippet = self.snippet()
        if snippet:
            parts.append("")
            parts.append(snippet)
        if self.hint:
            parts.append(f"hint: {self.hint}")
        return "\n".join(parts)

    @property
    def line(self) -> int | None:
        return self.ranges[0].start if self.ranges else None

    def snippet(self) -> str:
        return render_snippet(self.source, self.ranges) if self.source else ""


class UserError(PalletError):
    """Something the user can fix."""


class DockerfileError(UserError):
    """An error located in a Dockerfile; renders BuildKit's snippet block."""

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        ranges: list[Range] | tuple[Range, ...] = (),
        source: SourceFile | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.ranges = list(ranges)
        self.source = source


class ParseError(DockerfileError):
    """The text is not a Dockerfile BuildKit would accept."""


class InstructionError(DockerfileError):
    """An instruction's arguments or flags are wrong."""


class ExpansionError(DockerfileError):
    """A ${VAR} expression could not be expanded."""


class StageError(DockerfileError):
    """A stage reference (FROM, --from, --target) is wrong."""


class OptionError(UserError):
    """A command-line option or its value is wrong."""

    exit_code = 2


class ContextError(UserError):
    """A build-context file is missing, outside the context or unreadable."""


class IgnorePatternError(UserError):
    """A .dockerignore pattern cannot be used."""


class BuildArgError(UserError):
    """A --build-arg value is malformed."""


class BuildError(PalletError):
    """The build ran and a step of it failed."""


class LintError(BuildError):
    """`--check` (or check=error=true) found problems."""


class RunFailedError(BuildError):
    """A RUN step exited with a non-zero status."""

    def __init__(self, command: str, exit_code: int, *, hint: str | None = None) -> None:
        super().__init__(
            f'process "{command}" did not complete successfully: exit code: {exit_code}', hint=hint
        )
        self.command = command
        self.status = exit_code


class RegistryError(PalletError):
    """A registry refused a request or answered with something unusable.

    `code` is the OCI distribution error code (`MANIFEST_UNKNOWN`, `UNAUTHORIZED`...) when
    the registry sent one; messages read as docker prints them (`unauthorized: ...`).
    """

    def __init__(self, message: str, *, hint: str | None = None, code: str = "", status: int = 0) -> None:
        super().__init__(message, hint=hint)
        self.code = code
        self.status = status


class AuthError(RegistryError):
    """Credentials are missing or wrong, or the account may not do this."""


class ManifestUnknownError(RegistryError):
    """The repository has no manifest under this tag or digest."""


class RegistryUnreachableError(RegistryError):
    """No HTTP answer at all: refused, unresolvable, TLS failure, timeout."""


class TransferInterruptedError(RegistryError):
    """A response body ended before its Content-Length; the caller may resume it."""


class StoreError(PalletError):
    """A problem in the state root; for code to act on."""


class NotFoundError(StoreError):
    pass


class AlreadyExistsError(StoreError):
    pass


class CorruptBlobError(StoreError):
    def __init__(self, expected: str, got: str) -> None:
        super().__init__(f"blob digest mismatch: expected {expected}, got {got}")
        self.expected = expected
        self.got = got
