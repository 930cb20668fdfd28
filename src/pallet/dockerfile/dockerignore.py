"""Which context files a build may see: `.dockerignore`, read and applied exactly as Docker does.

Differences from Docker are bugs. Each piece matches one upstream file (shared FORMATS.md §5
restates them):

- `read_ignore_file`: moby/patternmatcher `ignorefile/ignorefile.go` (ReadAll).
- `PatternMatcher`: moby/patternmatcher v0.6.1 `patternmatcher.go`, vendored unchanged by
  buildkit. Every pattern is compiled once to a regex, as upstream does, and `matches` is
  upstream's MatchesOrParentMatches: the last applicable pattern wins, and a pattern that
  matches an ancestor directory applies to everything under it.
- `walk_context`: tonistiigi/fsutil `filter.go` (filterFS.Walk), the walk that decides what
  buildx sends as the build context. It carries each directory's per-pattern results down
  to its children (MatchesUsingParentResults), prunes excluded directories that no `!`
  pattern can reach into, and still emits an excluded directory when something under it
  is re-included.

Upstream turns a glob into a Go (RE2) regex by text substitution, so what a pattern means is
partly decided by the RE2 parser (`[*]` becomes `[[^/]*]`). To keep that exact, `_go_regex`
builds the same RE2 text upstream builds, and `_re2_to_python` translates that text. Not
translated (the pattern is then reported as a syntax error when it is used): RE2's `\\p{..}`
Unicode classes, `\\Q..\\E` and negated POSIX classes, which a glob reaches only by writing
`\\p`, `\\Q` or `[[:^alpha:]]`. RE2's `\\s` excludes `\\v`; Python's includes it.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from pallet.dockerfile.heredoc import GO_SPACE
from pallet.errors import ContextError, IgnorePatternError

IGNORE_FILE = ".dockerignore"

_EXCLAMATION_HINT = 'a "!" line re-includes what follows it, e.g. "!README.md"; delete the lone "!"'
_SYNTAX_HINT = (
    'patterns use Go filepath.Match syntax ("*", "?", "[a-z]", "[^a-z]", "\\" escapes) '
    'plus "**"; write a literal "[" as "\\["'
)


def go_trim(text: str) -> str:
    """Go's strings.TrimSpace (Python's str.strip also strips \\x1c-\\x1f)."""
    return text.strip(GO_SPACE)


def clean_path(path: str) -> str:
    """Go's filepath.Clean on Unix: collapse "//", drop ".", resolve "..", no trailing "/"."""
    rooted = path.startswith("/")
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part != "..":
            parts.append(part)
        elif parts and parts[-1] != "..":
            parts.pop()
        elif not rooted:
            parts.append("..")
    body = "/".join(parts)
    return "/" + body if rooted else body or "."


def read_ignore_file(text: str) -> list[str]:
    """The patterns of an ignore file, as ignorefile.ReadAll hands them to the matcher."""
    patterns = []
    for number, line in enumerate(text.split("\n")):
        line = line.removesuffix("\r")  # bufio.ScanLines drops one "\r" before "\n"
        if number == 0:
            line = line.removeprefix("\ufeff")
        if line.startswith("#"):  # only a "#" in the first column starts a comment
            continue
        pattern = _normalise_line(go_trim(line))
        if pattern:
            patterns.append(pattern)
    return patterns


def _normalise_line(pattern: str) -> str:
    if not pattern:
        return ""
    invert = pattern.startswith("!")
    if invert:
        pattern = go_trim(pattern[1:])
    if pattern:
        pattern = clean_path(pattern)
        if len(pattern) > 1 and pattern.startswith("/"):
            pattern = pattern[1:]
    return "!" + pattern if invert else pattern


# --- filepath.Match syntax check (go/src/path/filepath/match.go, Unix) -------------------


def glob_syntax_ok(pattern: str) -> bool:
    """Whether Go's filepath.Match accepts `pattern` (it reports ErrBadPattern otherwise)."""
    try:
        for chunk in _glob_chunks(pattern):
            _check_chunk(chunk)
    except ValueError:
        return False
    return True


def _glob_chunks(pattern: str) -> Iterator[str]:
    """filepath.scanChunk: the runs of a pattern between "*"s ("*" inside [...] is literal)."""
    while pattern:
        pattern = pattern.lstrip("*")
        in_range, i = False, 0
        while i < len(pattern):
            ch = pattern[i]
            if ch == "\\" and i + 1 < len(pattern):
                i += 1
            elif ch == "[":
                in_range = True
            elif ch == "]":
                in_range = False
            elif ch == "*" and not in_range:
                break
            i += 1
        yield pattern[:i]
        pattern = pattern[i:]


def _check_chunk(chunk: str) -> None:
    """filepath.matchChunk's well-formedness checks; raises ValueError like ErrBadPattern."""
    while chunk:
        ch, chunk = chunk[0], chunk[1:]
        if ch == "[":
            chunk = _check_class(chunk.removeprefix("^"))
        elif ch == "\\":
            if not chunk:
                raise ValueError("trailing backslash")
            chunk = chunk[1:]


def _check_class(chunk: str) -> str:
    ranges = 0
    while not (chunk.startswith("]") and ranges > 0):
        chunk = _class_char(chunk)
        if chunk.startswith("-"):
            chunk = _class_char(chunk[1:])
        ranges += 1
    return chunk[1:]


def _class_char(chunk: str) -> str:
    """filepath.getEsc: one (possibly escaped) class character; the class must go on."""
    if not chunk or chunk[0] in "-]":
        raise ValueError("bad class character")
    if chunk[0] == "\\":
        chunk = chunk[1:]
    rest = chunk[1:]
    if not chunk or not rest:
        raise ValueError("unterminated class")
    return rest


# --- pattern -> RE2 text (patternmatcher.go Pattern.compile) ------------------------------

EXACT, PREFIX, SUFFIX, REGEXP = "exact", "prefix", "suffix", "regexp"
_RE2_QUOTED = frozenset(".+()|{}$")  # patternmatcher's shouldEscape set


def _go_regex(pattern: str) -> tuple[str, str]:
    """(kind, RE2 text) exactly as Pattern.compile builds them; the text only for REGEXP."""
    out, kind, pos, step = ["^"], EXACT, 0, 0
    while pos < len(pattern):
        ch, pos = pattern[pos], pos + 1
        if ch == "*" and pattern.startswith("*", pos):
            pos += 1 + pattern.startswith("/", pos + 1)  # "**/" is read as "**"
            if pos < len(pattern):
                out.append("(.*/)?")
                kind = REGEXP
            elif kind == EXACT:
                kind = PREFIX
            else:
                out.append(".*")
                kind = REGEXP
            if step == 0:
                kind = SUFFIX
        elif ch in "*?":
            out.append("[^/]*" if ch == "*" else "[^/]")
            kind = REGEXP
        elif ch in _RE2_QUOTED:
            out.append("\\" + ch)
        elif ch == "\\" and pos < len(pattern):
            out.append("\\" + pattern[pos])
            pos += 1
            kind = REGEXP
        elif ch in "[]":
            out.append(ch)
            kind = REGEXP
        else:
            out.append(ch)
        step += 1
    return kind, "".join(out) + "$" if kind == REGEXP else ""


# --- RE2 text -> Python re (only what _go_regex can produce) -------------------------------

_PERL_CLASSES = frozenset("dDsSwW")  # ASCII in RE2; compiled with re.ASCII below
_CHAR_ESCAPES = {"a": "\a", "f": "\f", "t": "\t", "n": "\n", "r": "\r", "v": "\v"}
_POSIX_CLASSES = {  # RE2 [[:name:]], ASCII ranges
    "alnum": "0-9A-Za-z", "alpha": "A-Za-z", "ascii": "\x00-\x7f", "blank": "\t ",
    "cntrl": "\x00-\x1f\x7f", "digit": "0-9", "graph": "!-~", "lower": "a-z",
    "print": " -~", "punct": "!-/:-@[-`{-~", "space": "\t\n\v\f\r ", "upper": "A-Z",
    "word": "0-9A-Za-z_", "xdigit": "0-9A-Fa-f",
}


def _re2_to_python(src: str) -> str:
    """Translate RE2 text into Python syntax; ValueError where RE2 would refuse it."""
    out, i = [], 0
    while i < len(src):
        ch = src[i]
        if ch == "\\":
            piece, i = _re2_escape(src, i + 1, in_class=False)
        elif ch == "[":
            piece, i = _re2_class(src, i + 1)
        else:
            # RE2's "$" without (?m) is end of text; Python's also matches before a last "\n"
            piece = {"$": r"\Z"}.get(ch, ch if ch in "^.()?*|" else re.escape(ch))
            i += 1
        out.append(piece)
    return "".join(out)


def _re2_escape(src: str, i: int, *, in_class: bool) -> tuple[str, int]:
    """regexp/syntax parseEscape and parsePerlClassEscape, for the escape at src[i]."""
    if i >= len(src):
        raise ValueError("trailing backslash")
    ch = src[i]
    if ch.isascii() and not ch.isalnum():
        return re.escape(ch), i + 1
    if ch in _PERL_CLASSES:
        return "\\" + ch, i + 1
    if ch in _CHAR_ESCAPES:
        return re.escape(_CHAR_ESCAPES[ch]), i + 1
    if ch in "01234567":
        return _re2_octal(src, i)
    if ch == "x":
        return _re2_hex(src, i + 1)
    if not in_class and ch in "AzbB":
        return {"z": r"\Z"}.get(ch, "\\" + ch), i + 1
    raise ValueError(f"unsupported escape \\{ch}")  # incl. \p{..} and \Q..\E: see the module docstring


def _re2_octal(src: str, i: int) -> tuple[str, int]:
    digits = re.match(r"[0-7]{1,3}", src[i:]).group()
    if digits[0] != "0" and len(digits) == 1:
        raise ValueError("backreferences are not supported")
    return re.escape(chr(int(digits, 8))), i + len(digits)


def _re2_hex(src: str, i: int) -> tuple[str, int]:
    m = re.match(r"\{([0-9A-Fa-f]+)\}|[0-9A-Fa-f]{2}", src[i:])
    if not m or int(m.group(1) or m.group(), 16) > 0x10FFFF:
        raise ValueError("bad \\x escape")
    return re.escape(chr(int(m.group(1) or m.group(), 16))), i + m.end()


def _re2_class(src: str, i: int) -> tuple[str, int]:
    """regexp/syntax parseClass with Perl flags; src[i] is just after "["."""
    negated = src.startswith("^", i)
    i += negated
    items, first = [], True
    while first or not src.startswith("]", i):
        first = False
        if src.startswith("[:", i) and ":]" in src[i + 2 :]:
            name = src[i + 2 : src.index(":]", i + 2)]
            if name not in _POSIX_CLASSES:
                raise ValueError(f"unsupported class [:{name}:]")
            items.append(_class_ranges(_POSIX_CLASSES[name]))
            i += len(name) + 4
            continue
        lo, i = _re2_class_char(src, i)
        if len(lo) > 1:  # a Perl class such as \d
            items.append(lo)
            continue
        hi = lo
        if src.startswith("-", i) and i + 1 < len(src) and src[i + 1] != "]":
            hi, i = _re2_class_char(src, i + 1)
            if len(hi) > 1 or hi < lo:
                raise ValueError("invalid character class range")
        items.append(re.escape(lo) + ("-" + re.escape(hi) if hi != lo else ""))
    return "[" + "^" * negated + "".join(items) + "]", i + 1


def _re2_class_char(src: str, i: int) -> tuple[str, int]:
    """One class character, unescaped; or a Perl class like \\d (longer than one char)."""
    if i >= len(src):
        raise ValueError("missing closing ]")
    if src[i] != "\\":
        return src[i], i + 1
    if i + 1 < len(src) and src[i + 1] in _PERL_CLASSES:
        return "\\" + src[i + 1], i + 2
    piece, end = _re2_escape(src, i + 1, in_class=True)
    return re.sub(r"\\(.)", r"\1", piece, flags=re.S), end


def _class_ranges(spec: str) -> str:
    inner = range(1, len(spec) - 1)  # a "-" between two characters is a range
    return "".join("-" if c == "-" and k in inner else re.escape(c) for k, c in enumerate(spec))


# --- compiled patterns -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CompiledPattern:
    """One cleaned pattern (without "!"), compiled the way patternmatcher compiles it."""

    text: str
    kind: str  # EXACT, PREFIX, SUFFIX or REGEXP (patternmatcher's matchType)
    regex: str  # the RE2 text upstream builds; "" unless kind is REGEXP
    test: Callable[[str], object] | None  # truthy when a path matches; None: unusable pattern


@functools.lru_cache(maxsize=4096)
def compile_pattern(text: str) -> CompiledPattern:
    kind, regex = _go_regex(text)
    return CompiledPattern(text, kind, regex, _tester(text, kind, regex))


def _tester(text: str, kind: str, regex: str) -> Callable[[str], object] | None:
    if kind == EXACT:
        return text.__eq__
    if kind == PREFIX:
        return functools.partial(_has_prefix, text[:-2])
    if kind == SUFFIX:
        return functools.partial(_has_suffix, text[2:])
    try:
        return re.compile(_re2_to_python(regex), re.ASCII).match
    except (ValueError, re.error):
        return None  # upstream: compile fails, so every match reports ErrBadPattern


def _has_prefix(prefix: str, path: str) -> bool:
    return path.startswith(prefix)


def _has_suffix(suffix: str, path: str) -> bool:
    # "**/foo" also matches "foo" itself (patternmatcher.go suffixMatch)
    return path.endswith(suffix) or (suffix.startswith("/") and path == suffix[1:])


@dataclass(frozen=True, slots=True)
class Pattern:
    """A pattern of an ignore file: `!` (exclusion) re-includes what it matches."""

    raw: str
    compiled: CompiledPattern
    exclusion: bool

    @property
    def text(self) -> str:
        return self.compiled.text

    def without_trailing_glob(self) -> str:
        """fsutil filter.go patternWithoutTrailingGlob."""
        return self.text.removesuffix("/**").removesuffix("/*")


# fsutil filter.go: an exception with any of these (apart from a trailing /* or /**) could
# match anywhere, so no excluded directory may be pruned.
_GLOB_CHARS = frozenset("*[]?^\\")


class PatternMatcher:
    """The ordered patterns of one ignore file (patternmatcher.New)."""

    def __init__(self, patterns: Sequence[str], *, source: str = IGNORE_FILE) -> None:
        self.source = source
        self.patterns = tuple(_parse_pattern(p, source) for p in patterns if go_trim(p))
        self._exceptions = tuple(p.without_trailing_glob() for p in self.patterns if p.exclusion)
        self._prune_by_prefix = not any(_GLOB_CHARS.intersection(e) for e in self._exceptions)

    @property
    def exclusions(self) -> bool:
        """Whether any pattern starts with "!"."""
        return bool(self._exceptions)

    def matches(self, path: str) -> bool:
        """Whether `path` (relative, "/"-separated) is excluded; the context root never is."""
        path = clean_path(path)
        if path == ".":
            return False
        ancestors = _ancestors(path)
        matched = False
        for pattern in self.patterns:
            if pattern.exclusion == matched and self._hits(pattern, path, ancestors):
                matched = not pattern.exclusion
        return matched

    def match_in_walk(
        self, path: str, parent: tuple[bool, ...] | None
    ) -> tuple[bool, tuple[bool, ...]]:
        """MatchesUsingParentResults: (excluded, per-pattern hits to hand to children)."""
        matched, hits = False, []
        ancestors = None if parent is not None else _ancestors(path)
        for k, pattern in enumerate(self.patterns):
            hit = parent[k] if parent else False
            if not hit and pattern.exclusion == matched:
                hit = self._hits(pattern, path, ancestors or ())
            hits.append(hit)
            if hit:
                matched = not pattern.exclusion
        return matched, tuple(hits)

    def may_reinclude_below(self, directory: str) -> bool:
        """Whether an excluded directory must still be walked (fsutil's pruning rule)."""
        if not self._prune_by_prefix:
            return True
        below = directory + "/"
        return any((e + "/").startswith(below) for e in self._exceptions)

    def _hits(self, pattern: Pattern, path: str, ancestors: Sequence[str]) -> bool:
        test = pattern.compiled.test
        if test is None:
            raise _syntax_error(self.source, pattern.raw)
        return bool(test(path)) or any(test(a) for a in ancestors)


def _parse_pattern(raw: str, source: str) -> Pattern:
    raw = go_trim(raw)
    text = clean_path(raw)  # before "!" is removed, as upstream
    exclusion = text.startswith("!")
    if exclusion:
        if text == "!":
            raise IgnorePatternError(
                f'{source}: illegal exclusion pattern: "!"', hint=_EXCLAMATION_HINT
            )
        text = text[1:]
    if not glob_syntax_ok(text):
        raise _syntax_error(source, raw)
    return Pattern(raw, compile_pattern(text), exclusion)


def _syntax_error(source: str, raw: str) -> IgnorePatternError:
    quoted = json.dumps(raw, ensure_ascii=False)
    return IgnorePatternError(f"{source}: syntax error in pattern: {quoted}", hint=_SYNTAX_HINT)


def _ancestors(path: str) -> list[str]:
    """The parent dirs patternmatcher tries: "a", "a/b" for "a/b/c" (filepath.Dir, split)."""
    if "/" not in path:
        return []
    parent = clean_path(path.rpartition("/")[0] or "/")
    parts = parent.split("/")
    return ["/".join(parts[: k + 1]) for k in range(len(parts))]


# --- finding the ignore file -----------------------------------------------------------------


def find_ignore_file(context_dir: Path, dockerfile: Path | None) -> Path | None:
    """`<Dockerfile-name>.dockerignore` beside the Dockerfile wins over `<context>/.dockerignore`
    (buildkit dockerui/config.go)."""
    if dockerfile is not None:
        beside = dockerfile.parent / (dockerfile.name + IGNORE_FILE)
        if beside.is_file():
            return beside
    default = context_dir / IGNORE_FILE
    return default if default.is_file() else None


def load_matcher(context_dir: Path, dockerfile: Path | None) -> PatternMatcher:
    """The matcher for a build; it excludes nothing when there is no ignore file."""
    path = find_ignore_file(context_dir, dockerfile)
    if path is None:
        return PatternMatcher([])
    try:
        text = path.read_bytes().decode("utf-8", "surrogateescape")
    except OSError as e:
        raise ContextError(
            f'cannot read ignore file "{path}": {e.strerror}',
            hint="check the file's permissions, or remove it",
        ) from None
    return PatternMatcher(read_ignore_file(text), source=path.name)


# --- walking the context ---------------------------------------------------------------------


@dataclass(slots=True)
class _Dir:
    rel: str  # "" for the context root
    hits: tuple[bool, ...] | None  # per-pattern results; None at the root
    entries: Iterator[tuple[str, bool]]


def walk_context(context_dir: Path, matcher: PatternMatcher) -> Iterator[str]:
    """Every path the context sends (dirs and files, pre-order, sorted by name, "/"-separated).

    An excluded directory is pruned when no exception can reach below it; otherwise it is
    walked, and emitted just before the first path under it that is kept (fsutil filter.go).
    """
    root = os.fspath(context_dir)
    pending: list[str] = []  # excluded dirs not yet emitted, outermost first
    stack = [_Dir("", None, _list_dir(root, "", excluded=False))]
    while stack:
        top = stack[-1]
        entry = next(top.entries, None)
        if entry is None:
            stack.pop()
            if pending and pending[-1] == top.rel:
                pending.pop()
            continue
        name, is_dir = entry
        rel = f"{top.rel}/{name}" if top.rel else name
        excluded, hits = matcher.match_in_walk(rel, top.hits)
        if excluded and not (is_dir and matcher.may_reinclude_below(rel)):
            continue
        if excluded:
            pending.append(rel)
        else:
            yield from pending
            pending.clear()
            yield rel
        if is_dir:
            entries = _list_dir(os.path.join(root, rel), rel, excluded=excluded)
            stack.append(_Dir(rel, hits, entries))


def _list_dir(path: str, rel: str, *, excluded: bool) -> Iterator[tuple[str, bool]]:
    """(name, is_dir) sorted by name bytes, as Go's os.ReadDir; symlinks are not followed."""
    try:
        with os.scandir(path) as it:
            entries = [(e.name, e.is_dir(follow_symlinks=False)) for e in it]
    except (FileNotFoundError, NotADirectoryError):
        return iter(())  # vanished while walking: fsutil skips it
    except PermissionError:
        if excluded:  # fsutil ignores permission errors below excluded dirs
            return iter(())
        raise ContextError(
            f'cannot read "{rel or "."}" in the build context: permission denied',
            hint="fix its permissions, or exclude it in .dockerignore",
        ) from None
    except OSError as e:
        raise ContextError(
            f'cannot read "{rel or "."}" in the build context: {e.strerror}',
            hint="check the directory, or exclude it in .dockerignore",
        ) from None
    return iter(sorted(entries, key=lambda e: os.fsencode(e[0])))
