"""Heredoc detection and bodies (pallet.dockerfile.heredoc, through the parser)."""

from __future__ import annotations

import pytest

from pallet.dockerfile.heredoc import heredocs_in_line, line_words, parse_heredoc_word
from pallet.dockerfile.nodes import Heredoc
from pallet.dockerfile.parser import parse
from pallet.errors import ParseError

# (id, word, (name, expand, chomp, fd) or None)
WORD_CASES = [
    ("plain", "<<EOF", ("EOF", True, False, 0)),
    ("chomp", "<<-EOF", ("EOF", True, True, 0)),
    ("fd", "3<<EOF", ("EOF", True, False, 3)),
    ("single-quoted", "<<'EOF'", ("EOF", False, False, 0)),
    ("double-quoted", '<<"EOF"', ("EOF", False, False, 0)),
    ("partly-quoted", "<<eo'f'", ("eof", False, False, 0)),
    ("escaped-quote", "<<eo\\'f", ("eo'f", True, False, 0)),
    ("quoted-and-escaped", "<<'e'o\\'f", ("eo'f", False, False, 0)),
    ("quoted-space", "<<'one two'", ("one two", False, False, 0)),
    ("dollar-kept", "<<$EOF", ("$EOF", True, False, 0)),
    ("braces-kept", "<<${A:-b}", ("${A:-b}", True, False, 0)),
    ("blank-after", "<<  EOF", ("EOF", True, False, 0)),
    ("no-name", "<<", None),
    ("not-at-start", "a<<EOF", None),
    ("two-words", "<<one two", None),
    ("quoted-whole", '"<<EOF"', None),
    ("another-redirect", "<<EOF<", None),
]

# (id, line, names found)
LINE_CASES = [
    ("none", "RUN echo hi", []),
    ("one", "RUN <<EOF", ["EOF"]),
    ("two", "COPY <<FILE1 <<FILE2 /dest", ["FILE1", "FILE2"]),
    ("spaced", "RUN <<  EOF  > foo", ["EOF"]),
    ("quoted-line-word", 'RUN "<<NOHEREDOC"', []),
    ("with-flags", "RUN --mount=type=cache,target=/x <<M", ["M"]),
    ("unlexable-line", "RUN <<EOF ${", []),
    ("cat-redirect", "RUN cat <<EOF > /x", ["EOF"]),
]


@pytest.mark.parametrize("word,expected", [c[1:] for c in WORD_CASES], ids=[c[0] for c in WORD_CASES])
def test_heredoc_word(word, expected):
    heredoc = parse_heredoc_word(word)
    if expected is None:
        assert heredoc is None
    else:
        assert (heredoc.name, heredoc.expand, heredoc.chomp, heredoc.fd) == expected


@pytest.mark.parametrize("line,names", [c[1:] for c in LINE_CASES], ids=[c[0] for c in LINE_CASES])
def test_heredocs_in_line(line, names):
    assert [h.name for h in heredocs_in_line(line)] == names


def test_line_words_keep_quotes_and_escapes():
    assert line_words("RUN 'a b' \"c\\\"d\" e\\ f $X") == ["RUN", "'a b'", '"c\\"d"', "e\\ f", "$X"]


def test_bodies_and_lines():
    text = "FROM a\nRUN <<EOF\n# kept\n\n  x \\\nEOF\nRUN b\n"
    nodes = parse(text).nodes
    assert nodes[1].heredocs == [Heredoc("EOF", "# kept\n\n  x \\\n")]
    assert (nodes[1].start_line, nodes[1].end_line) == (2, 6)
    assert nodes[2].original == "RUN b"


def test_two_bodies_in_order():
    nodes = parse("FROM a\nCOPY <<X <<Y /d\nY\nX\nX\nY\n").nodes
    assert [(h.name, h.content) for h in nodes[1].heredocs] == [("X", "Y\n"), ("Y", "X\n")]


def test_chomp_compares_without_tabs_but_keeps_them():
    heredoc = parse("FROM a\nRUN <<-E\n\tx\n\tE\n").nodes[1].heredocs[0]
    assert heredoc.content == "\tx\n" and heredoc.chomp


def test_crlf_body_kept_raw():
    heredoc = parse("FROM a\r\nRUN <<E\r\nx\r\nE\r\n").nodes[1].heredocs[0]
    assert heredoc.content == "x\r\n"


def test_heredoc_after_continuation():
    node = parse("FROM a\nRUN --mount=type=tmpfs,target=/t \\\n  <<EOT\nls\nEOT\n").nodes[1]
    assert node.heredocs[0].content == "ls\n"
    assert (node.start_line, node.end_line) == (2, 5)


def test_onbuild_heredoc():
    node = parse("FROM a\nONBUILD RUN <<E\nx\nE\n").nodes[1]
    assert [h.name for h in node.heredocs] == ["E"]
    assert node.child.heredocs == node.heredocs


@pytest.mark.parametrize(
    "text",
    ['FROM a\nRUN ["<<EOF"]\n', "FROM a\nUSER <<EOF\n", 'FROM a\nCOPY ["<<E", "/x"]\n', "FROM a\nRUN echo 1<2\n"],
    ids=["json-run", "user", "json-copy", "less-than"],
)
def test_no_heredoc(text):
    assert all(not n.heredocs for n in parse(text).nodes)


def test_user_heredoc_word_makes_next_line_an_instruction():
    nodes = parse("FROM a\nUSER <<INVALID\nINVALID\n").nodes
    assert [n.keyword for n in nodes] == ["from", "user", "invalid"]


def test_unterminated_heredoc_location():
    with pytest.raises(ParseError) as info:
        parse("FROM a\nRUN <<A <<B\nA\nx\n")
    assert info.value.message == "unterminated heredoc"
    assert (info.value.ranges[0].start, info.value.ranges[0].end) == (2, 4)
    assert '"B"' in info.value.hint


def test_heredoc_cut_by_line_limit_is_unterminated():
    with pytest.raises(ParseError) as info:
        parse("FROM a\nRUN <<E\n" + "x" * 70000 + "\nE\n")
    assert info.value.message == "unterminated heredoc"
