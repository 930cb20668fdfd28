"""BuildKit's shell/envVarTest and shell/wordsTest, run against pallet.dockerfile.shell.

The procedures are upstream's TestShellParser4EnvVars and TestShellParser4Words, as
restated in shared/conformance/FORMATS.md §2-3.
"""

from __future__ import annotations

from pathlib import Path

from pallet.dockerfile.conformance import CaseResult
from pallet.dockerfile.shell import ShellLex
from pallet.errors import ExpansionError

ENV_VAR_ENV = {"PWD": "/home", "SHELL": "bash", "KOREAN": "한국어", "NULL": ""}
LINUX_PLATFORMS = ("A", "U")  # W (Windows-only) lines are skipped


def run(root: Path) -> list[CaseResult]:
    shell = root / "buildkit" / "shell"
    return run_env_var_test(shell / "envVarTest") + run_words_test(shell / "wordsTest")


def run_env_var_test(path: Path) -> list[CaseResult]:
    lex = ShellLex("\\")
    results = []
    for number, line in _lines(path):
        if line.startswith("#") or not line.strip():
            continue
        name = f"envVarTest:{number}"
        fields = [f.strip() for f in line.strip().split("|")]
        if len(fields) != 3:
            results.append(CaseResult("envVarTest", name, False, f"want 3 fields: {line!r}"))
            continue
        platform, source, expected = fields
        if platform not in LINUX_PLATFORMS:
            continue
        got = _expand_one(lex, source)
        ok = got == (_ERROR if expected == "error" else expected)
        shown = "an error" if got is _ERROR else repr(got)
        detail = "" if ok else f"{source!r}: expected {expected!r}, got {shown}"
        results.append(CaseResult("envVarTest", name, ok, detail))
    return results


def run_words_test(path: Path) -> list[CaseResult]:
    lex = ShellLex("\\")
    env: dict[str, str] = {}
    results = []
    for number, line in _lines(path):
        if line.startswith("#"):
            continue
        if line.startswith("ENV "):
            key, _, value = line[3:].lstrip(" ").partition("=")
            env[key] = value
            continue
        name = f"wordsTest:{number}"
        fields = line.split("|")
        if len(fields) != 2:
            results.append(CaseResult("wordsTest", name, False, f"want 2 fields: {line!r}"))
            continue
        source = fields[0].strip()
        expected = fields[1].lstrip(" ").split(",")
        try:
            got = lex.expand_words(source, env)
        except ExpansionError:
            got = ["error"]
        ok = got == expected
        detail = "" if ok else f"{source!r}: expected {expected!r}, got {got!r}"
        results.append(CaseResult("wordsTest", name, ok, detail))
    return results


_ERROR = ExpansionError  # the "result" of a failed expansion, distinct from any string


def _expand_one(lex: ShellLex, source: str) -> str | type[ExpansionError]:
    try:
        return lex.expand_word(source, ENV_VAR_ENV)
    except ExpansionError:
        return _ERROR


def _lines(path: Path) -> list[tuple[int, str]]:
    """(1-based number, text) per line, without the newline or a trailing CR (Go's
    bufio.Scanner lines)."""
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return [(n, line.removesuffix("\r")) for n, line in enumerate(lines, 1)]
