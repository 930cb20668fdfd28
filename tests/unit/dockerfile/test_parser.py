"""Unit tests for pallet.dockerfile.parser and dump (BuildKit parser behaviour)."""

from __future__ import annotations

import time

import pytest

from pallet.dockerfile.dump import dump, go_quote
from pallet.dockerfile.parser import MAX_LINE_BYTES, parse
from pallet.errors import ParseError, Range

# (id, Dockerfile text, expected dump)
DUMP_CASES = [
    ("from", "FROM alpine AS build\n", '(from "alpine" "AS" "build")'),
    ("keyword-case-kept-in-raw", "fRoM alpine\n", '(from "alpine")'),
    ("tabs-separate", "FROM\talpine\n", '(from "alpine")'),
    ("run-shell", "RUN echo hi  there # not a comment\n", '(run "echo hi  there # not a comment")'),
    ("run-json", 'RUN ["echo", "hi"]\n', '(run "echo" "hi")'),
    ("run-json-empty", "CMD []\n", "(cmd)"),
    ("run-json-trailing-text", 'RUN ["a"]x\n', '(run "[\\"a\\"]x")'),
    ("run-json-broken", 'CMD ["npm", "start]\n', '(cmd "[\\"npm\\", \\"start]")'),
    ("run-json-object", 'CMD {"a": 1}\n', '(cmd "{\\"a\\": 1}")'),
    ("run-json-nan", "CMD [NaN]\n", '(cmd "[NaN]")'),
    ("run-empty", "RUN\n", "(run)"),
    ("copy-list", 'COPY "a b" c\n', '(copy "\\"a" "b\\"" "c")'),
    ("copy-json", 'COPY ["a b", "c"]\n', '(copy "a b" "c")'),
    ("volume-json", 'VOLUME ["/a", "/b"]\n', '(volume "/a" "/b")'),
    ("expose", "EXPOSE 80/tcp  443\n", '(expose "80/tcp" "443")'),
    ("user-verbatim", "USER  me:grp  \n", '(user "me:grp")'),
    ("workdir-verbatim", "WORKDIR /a b\n", '(workdir "/a b")'),
    ("healthcheck-bare", "HEALTHCHECK\n", "(healthcheck)"),
    ("healthcheck-none", "HEALTHCHECK NONE\n", '(healthcheck "NONE")'),
    ("healthcheck-cmd", "HEALTHCHECK --interval=5s CMD curl -f x\n",
     '(healthcheck ["--interval=5s"] "CMD" "curl -f x")'),
    ("healthcheck-json", 'HEALTHCHECK CMD ["curl", "x"]\n', '(healthcheck "CMD" "curl" "x")'),
    ("arg-words", 'ARG abc="123 456" def\n', '(arg "abc=\\"123 456\\"" "def")'),
    ("arg-empty-quotes", 'ARG a=""\n', '(arg "a=\\"\\"")'),
    ("env-legacy", "ENV PATH /usr/bin:/bin  x\n", '(env "PATH" "/usr/bin:/bin  x" "")'),
    ("env-pairs", 'ENV a=1 b="2 3" c=\n', '(env "a" "1" "=" "b" "\\"2 3\\"" "=" "c" "" "=")'),
    ("env-escaped-space", "ENV a=1\\ 2\n", '(env "a" "1\\\\ 2" "=")'),
    ("label-pairs", 'LABEL "a b"=c\n', '(label "\\"a b\\"" "c" "=")'),
    ("env-empty", "ENV\n", "(env)"),
    ("onbuild", "ONBUILD RUN echo hi\n", '(onbuild (run "echo hi"))'),
    ("onbuild-flags", "ONBUILD COPY --from=x a b\n", '(onbuild (copy ["--from=x"] "a" "b"))'),
    ("onbuild-empty", "ONBUILD\n", "(onbuild)"),
    ("unknown", "FOO bar baz\n", '(foo "")'),
    ("flags", "COPY --chown=1:1 --chmod=644 a b\n", '(copy ["--chown=1:1" "--chmod=644"] "a" "b")'),
    ("flags-quoted", 'RUN --mount="type=cache,target=/x y" make\n', '(run ["--mount=type=cache,target=/x y"] "make")'),
    ("flags-double-dash", "COPY --a -- --b c\n", '(copy ["--a"] "--b" "c")'),
    ("flags-single-dash", "COPY -a b\n", '(copy "-a" "b")'),
    ("continuation", "RUN a \\\n  b\n", '(run "a   b")'),
    ("continuation-no-space", "RUN a\\\nb\n", '(run "ab")'),
    ("continuation-trailing-blanks", "RUN a \\  \t\nb\n", '(run "a b")'),
    ("escaped-escape-ends-line", "RUN a\\\\\nRUN b\n", '(run "a\\\\\\\\")\n(run "b")'),
    ("continuation-comment-dropped", "RUN a \\\n# x\n  b\n", '(run "a   b")'),
    ("continuation-indented-comment", "RUN a \\\n   # x\n b\n", '(run "a  b")'),
    ("continuation-at-eof", "RUN a \\\n", '(run "a")'),
    ("escape-alone-starts", "\\\nRUN a\n", '(run "a")'),
    ("crlf", "FROM a\r\nRUN b \\\r\n c\r\n", '(from "a")\n(run "b  c")'),
    ("bom", "\ufeffFROM a\n", '(from "a")'),
    ("backtick-escape", "# escape=`\nRUN a `\n b\nCOPY C:\\ D:\\\n",
     '(run "a  b")\n(copy "C:\\\\" "D:\\\\")'),
    ("no-trailing-newline", "FROM a", '(from "a")'),
    ("json-nul", 'CMD ["a\\u0000"]\n', '(cmd "a\\x00")'),
]

# (id, text, message, first line of the error)
ERROR_CASES = [
    ("empty", "", "file with no instructions", None),
    ("only-comments", "# a\n\n# b\n", "file with no instructions", 3),
    ("env-one-word", "FROM a\nENV PATH\n", "ENV must have two arguments", 2),
    ("label-one-word", "FROM a\nLABEL x\n", "LABEL must have two arguments", 2),
    ("env-missing-equals", "FROM a\nENV a=b c\n",
     "Syntax error - can't find = in \"c\". Must be of the form: name=value", 2),
    ("json-nested", 'FROM a\nCMD [ "a", [ "b" ] ]\n',
     "when using JSON array syntax, arrays must be comprised of strings only", 2),
    ("json-number", "FROM a\nCOPY [1, 2]\n",
     "when using JSON array syntax, arrays must be comprised of strings only", 2),
    ("json-in-continuation", 'FROM a\nRUN [1, \\\n 2]\n',
     "when using JSON array syntax, arrays must be comprised of strings only", 2),
    ("escape-invalid", "# escape=``\nFROM a\n", "invalid escape token '``' does not match ` or \\", 1),
    ("escape-repeated", "# escape=`\n# ESCAPE=\\\nFROM a\n", "only one escape parser directive can be used", 2),
    ("syntax-repeated", "#syntax=a\n# Syntax = b\nFROM a\n", "only one syntax parser directive can be used", 2),
    ("escape-blank-value", "# escape=  \nFROM a\n", "invalid escape token ' ' does not match ` or \\", 1),
    ("heredoc-unterminated", "FROM a\nRUN <<EOF\necho\n", "unterminated heredoc", 2),
]

# (id, text, expected Directives fields)
DIRECTIVE_CASES = [
    ("syntax", "# syntax=docker/dockerfile:1\nFROM a\n", {"syntax": "docker/dockerfile:1"}),
    ("all-three", "#syntax = x y\n# ESCAPE=`\n#check=skip=all\nFROM a\n",
     {"syntax": "x y", "escape": "`", "check": "skip=all", "lines": {"syntax": 1, "escape": 2, "check": 3}}),
    ("ends-at-blank", "# syntax=a\n\n# escape=`\nFROM a\n", {"syntax": "a", "escape": "\\"}),
    ("ends-at-comment", "# hello\n# escape=`\nFROM a\n", {"escape": "\\"}),
    ("ends-at-unknown-key", "# foo=bar\n# escape=`\nFROM a\n", {"escape": "\\"}),
    ("leading-space", "   # escape=`\nFROM a\n", {"escape": "`"}),
    ("bom-then-directive", "\ufeff# escape=`\nFROM a\n", {"escape": "`"}),
    ("after-instruction-ignored", "FROM a\n# escape=`\n", {"escape": "\\", "lines": {}}),
]

GO_QUOTE_CASES = [
    ("plain", "abc", '"abc"'),
    ("quote-backslash", 'a"b\\', '"a\\"b\\\\"'),
    ("heart", "♥", '"♥"'),
    ("controls", "\a\b\f\n\r\t\v", '"\\a\\b\\f\\n\\r\\t\\v"'),
    ("nul-del", "\x00\x7f", '"\\x00\\x7f"'),
    ("nbsp", "\u00a0", '"\\u00a0"'),
    ("astral-private", "\U000f0000", '"\\U000f0000"'),
    ("invalid-byte", b"a\xffb".decode("utf-8", "surrogateescape"), '"a\\xffb"'),
]


@pytest.mark.parametrize("text,expected", [c[1:] for c in DUMP_CASES], ids=[c[0] for c in DUMP_CASES])
def test_dump(text, expected):
    assert dump(parse(text)) == expected


@pytest.mark.parametrize("text,message,line", [c[1:] for c in ERROR_CASES], ids=[c[0] for c in ERROR_CASES])
def test_errors(text, message, line):
    with pytest.raises(ParseError) as info:
        parse(text)
    assert info.value.message == message
    assert info.value.line == line
    assert info.value.source is not None


@pytest.mark.parametrize("text,fields", [c[1:] for c in DIRECTIVE_CASES], ids=[c[0] for c in DIRECTIVE_CASES])
def test_directives(text, fields):
    directives = parse(text).directives
    for key, value in fields.items():
        assert getattr(directives, key) == value


@pytest.mark.parametrize("text,expected", [c[1:] for c in GO_QUOTE_CASES], ids=[c[0] for c in GO_QUOTE_CASES])
def test_go_quote(text, expected):
    assert go_quote(text) == expected


def test_long_directive_line_is_not_quadratic():
    start = time.perf_counter()
    parse("# syntax=x" + " " * 60000 + "y\nFROM a\n")
    assert time.perf_counter() - start < 0.2


def test_node_fields():
    text = "# syntax=x\n# about run\n\n  RuN --mount=type=cache,target=/c \\\n   make \\\n\n  all\nFROM a\n"
    node = parse(text).nodes[0]
    assert node.keyword == "run" and node.raw_keyword == "RuN"
    assert node.original == "RuN --mount=type=cache,target=/c    make   all"
    assert (node.start_line, node.end_line) == (4, 7)
    assert node.flags == ["--mount=type=cache,target=/c"]
    assert node.args == ["make   all"] and not node.json_form
    assert node.comments == ["about run"]  # the directive is not a comment
    assert node.range == Range(4, 7)


def test_comments_reset_by_empty_comment_and_instruction():
    nodes = parse("# a\n#\n# b\n\n# c\nFROM x\nRUN y\n").nodes
    assert nodes[0].comments == ["b", "c"]
    assert nodes[1].comments == []


def test_indented_comment_keeps_hash():
    # BuildKit drops the first byte of the raw line, not the "#"
    assert parse("FROM a\n  # note\nRUN b\n").nodes[1].comments == ["# note"]


def test_json_form_flag():
    nodes = parse('FROM a\nCMD ["a"]\nCMD a\nHEALTHCHECK CMD ["b"]\n').nodes
    assert [n.json_form for n in nodes] == [False, True, False, True]


def test_onbuild_child():
    node = parse("FROM a\nONBUILD --x ADD a b\n").nodes[1]
    assert node.flags == ["--x"]
    assert node.child.keyword == "add" and node.child.args == ["a", "b"]
    assert node.child.original == "ADD a b"
    assert node.child.range == node.range


def test_empty_continuation_warning():
    df = parse("FROM a\nRUN a \\\n\n  b \\\n \n  c\nRUN d \\\n# x\n  e\n")
    assert len(df.warnings) == 1
    warning = df.warnings[0]
    assert warning.rule == "NoEmptyContinuation"
    assert warning.message == "Empty continuation line"
    assert warning.ranges == (Range(6, 6),)
    assert df.nodes[1].original == "RUN a   b   c"


def test_line_numbers_count_every_physical_line():
    nodes = parse("\n\n# c\nFROM a\n\nRUN a \\\n# x\n\n b\n\n\n").nodes
    assert [(n.start_line, n.end_line) for n in nodes] == [(4, 4), (6, 9)]


def test_line_limit():
    ok = "FROM a\nRUN " + "x" * (MAX_LINE_BYTES - 4) + "\n"
    assert len(parse(ok).nodes) == 2
    with pytest.raises(ParseError) as info:
        parse(ok.replace("RUN ", "RUN x"))
    assert info.value.message == "dockerfile line greater than max allowed size of 65535"
    assert info.value.line == 2


def test_line_limit_counts_utf8_bytes():
    with pytest.raises(ParseError):
        parse("FROM a\nRUN " + "é" * 32766 + "\n")


def test_line_limit_before_any_instruction_is_no_instructions():
    with pytest.raises(ParseError) as info:
        parse("# " + "x" * MAX_LINE_BYTES + "\nFROM a\n")
    assert info.value.message == "file with no instructions"


def test_invalid_utf8_round_trips_in_dump():
    assert dump(parse(b"FROM a\nRUN echo \xff\n")) == '(from "a")\n(run "echo \\xff")'


def test_error_renders_snippet():
    with pytest.raises(ParseError) as info:
        parse("FROM a\nENV PATH\n", "my.Dockerfile")
    text = info.value.render()
    assert "my.Dockerfile:2" in text and ">>> ENV PATH" in text and "hint:" in text


def test_bytes_and_str_agree():
    text = "FROM a\nRUN ♥ \\\n  x\n"
    assert dump(parse(text)) == dump(parse(text.encode()))


def test_large_file_is_fast():
    body = "".join(
        f"RUN echo {i} && \\\n    make t{i}\nENV A{i}=b C=d\nCOPY --chown=1:1 a{i} /b\n" for i in range(667)
    )
    text = "FROM alpine\n" + body
    start = time.perf_counter()
    df = parse(text)
    elapsed = time.perf_counter() - start
    assert len(df.nodes) == 2002
    assert elapsed < 0.25, elapsed  # measured ~10 ms; generous for a shared machine
