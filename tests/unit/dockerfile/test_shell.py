"""pallet.dockerfile.shell against BuildKit's shell/lex.go behaviour (lex_test.go and
envVarTest cases, plus cases read off the Go source)."""

from __future__ import annotations

import pytest

from pallet.dockerfile import shell_pattern
from pallet.dockerfile.conformance import shell_cases
from pallet.dockerfile.shell import Expansion, ShellLex
from pallet.errors import ExpansionError

ENV = {"PWD": "/home", "SHELL": "bash", "KOREAN": "한국어", "NULL": "", "FOO": "xxyy"}

# (word, expected value) with the default lexer and ENV.
EXPAND_CASES = [
    ("hello", "hello"),
    ("$PWD", "/home"),
    ("${PWD}", "/home"),
    ("he${PWD}xx", "he/homexx"),
    ("$UNSET", ""),
    ("${UNSET}x", "x"),
    ("$.", "$."),
    ("$", "$"),
    ("a$", "a$"),
    ("$PWD.x", "/home.x"),
    ("$PWD_x", ""),
    ("$KOREAN!", "한국어!"),
    # operators
    ("${UNSET:-def}", "def"),
    ("${NULL:-def}", "def"),
    ("${PWD:-def}", "/home"),
    ("${UNSET-def}", "def"),
    ("${NULL-def}", ""),
    ("${UNSET:+alt}", ""),
    ("${NULL:+alt}", ""),
    ("${PWD:+alt}", "alt"),
    ("${UNSET+alt}", ""),
    ("${NULL+alt}", "alt"),
    ("${PWD:?msg}", "/home"),
    ("${NULL?msg}", ""),
    ("${FOO#x}", "xyy"),
    ("${FOO##x*}", ""),
    ("${FOO#*x*y}", "y"),
    ("${FOO#*}", "xxyy"),
    ("${FOO##*x}", "yy"),
    ("${FOO#}", "xxyy"),
    ("${FOO#?\\?}", "xxyy"),
    ("${FOO%y}", "xxy"),
    ("${FOO%y*}", "xxy"),
    ("${FOO%%x*}", ""),
    ("${FOO%}", "xxyy"),
    ("${UNSET#x}", ""),
    ("${FOO/x/z}", "zxyy"),
    ("${FOO//x/z}", "zzyy"),
    ("${FOO//*/z}", "z"),
    ("${FOO/?y/-}", "x-y"),
    ("${FOO///}", "xxyy"),
    ("${FOO/$NULL/ww}", "wwxxyy"),
    ("${FOO/[x]/z}", "xxyy"),  # no bracket expressions in BuildKit: `[` is literal
    ("${FOO//o/'$0'}", "xxyy"),
    ("${FOO//x/'$0$0'}", "xxxxyy"),
    ("${FOO//x/'$$'}", "$$yy"),
    ("${FOO//x/'$1'}", "yy"),
    ("${FOO//x/'$.'}", "$.$.yy"),
    # nesting
    ("${UNSET:-${PWD}}", "/home"),
    ("${UNSET:-${ALSO:-deep}}", "deep"),
    ("${PWD:+${PWD}:}", "/home:"),
    ("${UNSET:-a b}", "a b"),
    ("${UNSET:-\"q}\"}", "q}"),
    ("${aaa:-bbb}}", "bbb}"),
    ("${aaa:-bbb {foo}", "bbb {foo"),
    # positional and special parameters
    ("$1x", "x"),
    ("$001x", "x"),
    ("${999:-b}", "b"),
    ("$@a", "a"),
    ("$$a", "a"),
    ("${#:+b}", ""),
    ("${0:-b}", "b"),
    ("$0abc", "abc"),
    # quotes
    ("'$PWD'", "$PWD"),
    ("\"$PWD\"", "/home"),
    ("he'll'o", "hello"),
    ("\"he'$PWD'\"", "he'/home'"),
    ("'\"x\"'", '"x"'),
    ("\"''\"", "''"),
    ("'a\\tb'", "a\\tb"),
    ("\"a\\tb\"", "a\\tb"),
    ("\"a\\\\b\"", "a\\b"),
    ("\"a\\\"b\"", 'a"b'),
    ("\"a\\$PWD\"", "a$PWD"),
    # escapes outside quotes
    ("a\\tb", "atb"),
    ("a\\$PWD", "a$PWD"),
    ("a\\\\$PWD", "a\\/home"),
    ("a\\'b", "a'b"),
    ("hello\\", "hello"),
    ("\\${}x", "${}x"),
    ("${UNSET:-\\$PWD:}", "$PWD:"),
    # Go's text/scanner drops a leading byte-order mark
    ("\ufeffa$PWD", "a/home"),
]

# (word, BuildKit's error message) with the default lexer and ENV.
ERROR_CASES = [
    ("${UNSET:?msg}", "UNSET: msg"),
    ("${UNSET?msg}", "UNSET: msg"),
    ("${UNSET?}", "UNSET: is not allowed to be unset"),
    ("${UNSET:?}", "UNSET: is not allowed to be unset"),
    ("${NULL:?}", "NULL: is not allowed to be empty"),
    ("${NULL:?m $PWD}", "NULL: m /home"),
    ("${}", "syntax error: bad substitution"),
    ("${:}", "syntax error: bad substitution"),
    ("${{a}", "syntax error: bad substitution"),
    ("${", "syntax error: missing '}'"),
    ("${a:", "syntax error: missing '}'"),
    ("${a:-b", "syntax error: missing '}'"),
    ("${a:-\"b}", "syntax error: missing '}'"),
    ("${a:-${b:?m}", "syntax error: missing '}'"),
    ("${a:-${b:?m}}", "b: m"),
    ("${a", "unsupported modifier (\ufffd) in substitution"),
    ("${.}", "unsupported modifier (.) in substitution"),
    ("${x:=y}", "unsupported modifier (:=) in substitution"),
    ("${x=y}", "unsupported modifier (=) in substitution"),
    ("${XXX:YYY}", "unsupported modifier (:Y) in substitution"),
    ("${FOO:#x}", "unsupported modifier (:#) in substitution"),
    ("${FOO:%x}", "unsupported modifier (:%) in substitution"),
    ("${FOO/a", "syntax error: missing '/' in ${}"),
    ("${FOO//}", "syntax error: missing '/' in ${}"),
    ("${FOO/a/b", "syntax error: missing '}'"),
    ("${FOO#a\\x}", "invalid pattern (a\\x) in substitution: invalid escape '\\x'"),
    ("${FOO%ab\\x}", "invalid pattern (\\xba) in substitution: invalid escape '\\x'"),
    ("${FOO/\\x/y}", "invalid pattern (\\x) in substitution: invalid escape '\\x'"),
    ("'abc", "unexpected end of statement while looking for matching single-quote"),
    ('"abc', "unexpected end of statement while looking for matching double-quote"),
    ('"abc\\"', "unexpected end of statement while looking for matching double-quote"),
    ("a\\\\'b", "unexpected end of statement while looking for matching single-quote"),
]

# (word, env, value, matched, unmatched): lex_test.go TestProcessWithMatches.
MATCH_CASES = [
    ("x", {"DUMMY": "d"}, "x", set(), set()),
    ("x ${UNUSED}", {"DUMMY": "d"}, "x ", set(), {"UNUSED"}),
    ("x ${FOO}", {"FOO": "y"}, "x y", {"FOO"}, set()),
    ("${FOO-a} ${BAR-b} ${BAZ-c}", {"FOO": "x", "BAR": ""}, "x  c", {"FOO", "BAR"}, {"BAZ"}),
    ("${FOO:-a} ${BAR:-b} ${BAZ:-c}", {"FOO": "x", "BAR": ""}, "x b c", {"FOO", "BAR"}, {"BAZ"}),
    ("${FOO+a} ${BAR+b} ${BAZ+c}", {"FOO": "x", "BAR": ""}, "a b ", {"FOO", "BAR"}, {"BAZ"}),
    ("${FOO:+a} ${BAR:+b} ${BAZ:+c}", {"FOO": "x", "BAR": ""}, "a  ", {"FOO", "BAR"}, {"BAZ"}),
    ("${FOO#$BAR}", {"FOO": "xxyy", "BAR": "x"}, "xyy", {"FOO", "BAR"}, set()),
    ("${ABC:-.}${FOO%x}${ABC:-.}", {"FOO": "xxyy"}, ".xxyy.", {"FOO"}, {"ABC"}),
    ("'$FOO' \\$BAR", {"FOO": "x"}, "$FOO $BAR", set(), set()),
    ("${FOO///}", {}, "", set(), {"FOO"}),
    ("$lower", {"LOWER": "x"}, "", set(), {"lower"}),
]

# (word, env, expected words): wordsTest-style splitting.
WORDS_CASES = [
    ("hello there", {}, ["hello", "there"]),
    ("  a   b  ", {}, ["a", "b"]),
    ("a\tb\nc", {}, ["a", "b", "c"]),
    ("hello\\ there", {}, ["hello there"]),
    ('hello" there  "', {}, ["hello there  "]),
    ("a${S}b", {"S": "x  y"}, ["ax", "yb"]),
    ('a"${S}"b', {"S": "x  y"}, ["ax  yb"]),
    ("${S}", {"S": "  x y  "}, ["x", "y"]),
    ("'' a \"\"", {}, ["a"]),
    ("", {}, []),
    ("a\x1cb", {}, ["a\x1cb"]),  # Go's IsSpace does not split on \x1c..\x1f
    ("a\u3000b\xa0c", {}, ["a", "b", "c"]),
    # BuildKit shares one buffer between nested scans: a nested ${V:-w} drops the
    # partial word before it (lex.go processStopOn resets sw.wordsBuffer).
    ("hello${x:-a}bye", {}, ["abye"]),
    ("hello ${x:-a b}bye c", {}, ["hello", "a", "bbye", "c"]),
]

BACKTICK_CASES = [
    ("a`$PWD", "a$PWD"),
    ("a``b", "a`b"),
    ("a\\b", "a\\b"),
    ('"a`"b"', 'a"b'),
    ('"a`tb"', "a`tb"),
    ('"a\\tb"', "a\\tb"),
    ("${UNSET:-`}}", "}"),
    ("ab`", "ab"),
]

# (options, word, expected value); unset variables are X and Y.
OPTION_CASES = [
    ({"raw_quotes": True}, "'a' \"b$PWD\"", "'a' \"b/home\""),
    ({"skip_unset": True}, "$X-${X}-$PWD", "$X-${X}-/home"),
    ({"skip_unset": True}, "${X:-$PWD}", "${X:-/home}"),
    ({"skip_unset": True}, "${X##a*}", "${X##a*}"),
    ({"skip_unset": True}, "${X//a/b}", "${X/a/b}"),  # BuildKit writes back one slash
    ({"skip_unset": True}, "${X:=y}", "${X:=y}"),
    ({"skip_unset": True}, "${X?}", "${X?}"),
    ({"skip_processing_quotes": True}, "'$PWD' \"a\"", "'/home' \"a\""),
    ({"raw_escapes": True}, "a\\$PWD", "a\\$PWD"),
    ({"raw_escapes": True}, '"a\\tb"', "a\\\\tb"),
    ({"raw_quotes": True, "skip_unset": True}, "'x'${Y}", "'x'${Y}"),
]

GLOB_CASES = [
    ("*", "^.*"),
    ("?", "^."),
    ("\\*", "^\\*"),
    ("a\\}b\\/", "^a\\}b/"),
    ("(()[]{\\}^$.\\*\\?|\\\\", "^\\(\\(\\)\\[\\]\\{\\}\\^\\$\\.\\*\\?\\|\\\\"),
]
REVERSE_CASES = [
    ("a\\*c", "c\\*a"),
    ("\\\\\\ab", "b\\a\\\\"),
    ("ab\\", "\\ba"),
    ("\\\\b", "b\\\\"),
]


@pytest.fixture(scope="module")
def lex() -> ShellLex:
    return ShellLex()


@pytest.mark.parametrize(("word", "expected"), EXPAND_CASES, ids=[c[0] for c in EXPAND_CASES])
def test_expand_word(lex, word, expected):
    assert lex.expand_word(word, ENV) == expected


@pytest.mark.parametrize(("word", "message"), ERROR_CASES, ids=[c[0] for c in ERROR_CASES])
def test_errors_use_buildkit_wording(lex, word, message):
    with pytest.raises(ExpansionError) as info:
        lex.expand_word(word, ENV)
    assert info.value.message == message
    assert info.value.ranges == []


@pytest.mark.parametrize(
    ("word", "env", "value", "matched", "unmatched"), MATCH_CASES, ids=[c[0] for c in MATCH_CASES]
)
def test_matches(lex, word, env, value, matched, unmatched):
    assert lex.expand_with_matches(word, env) == Expansion(
        value, frozenset(matched), frozenset(unmatched)
    )


@pytest.mark.parametrize(("word", "env", "expected"), WORDS_CASES, ids=[c[0] for c in WORDS_CASES])
def test_expand_words(lex, word, env, expected):
    assert lex.expand_words(word, env) == expected


@pytest.mark.parametrize(("word", "expected"), BACKTICK_CASES, ids=[c[0] for c in BACKTICK_CASES])
def test_backtick_escape(word, expected):
    assert ShellLex("`").expand_word(word, ENV) == expected


@pytest.mark.parametrize(
    ("options", "word", "expected"), OPTION_CASES, ids=[f"{c[0]}-{c[1]}" for c in OPTION_CASES]
)
def test_options(options, word, expected):
    assert ShellLex(**options).expand_word(word, ENV) == expected


def test_skip_unset_still_errors_for_set_variables():
    with pytest.raises(ExpansionError, match=r"unsupported modifier \(:=\)"):
        ShellLex(skip_unset=True).expand_word("${PWD:=y}", ENV)


def test_mandatory_message_is_expanded(lex):
    # lex_test.go TestShellParserMandatoryEnvVars
    env = {"VAR": "", "ARG": "x"}
    with pytest.raises(ExpansionError, match="^VAR: message herex$"):
        lex.expand_word("${VAR:?message here$ARG}", env)
    assert lex.expand_word("${VAR?message here$ARG}", env) == ""


HINT_CASES = [
    ("${UNSET:?}", "--build-arg UNSET=<value>"),
    ("${x:=y}", "${V:-w}"),
    ("${}", "\\${"),
]


@pytest.mark.parametrize(("word", "fragment"), HINT_CASES, ids=[c[0] for c in HINT_CASES])
def test_errors_carry_hints(lex, word, fragment):
    with pytest.raises(ExpansionError) as info:
        lex.expand_word(word, ENV)
    assert fragment in info.value.hint


def test_names_are_case_sensitive(lex):
    assert lex.expand_word("$pwd", ENV) == ""


def test_fast_path_matches_slow_path(lex):
    for word in ("plain words  here", "", "  x  "):
        assert lex.expand_words(word, {}) == lex.expand_words(word + "$NOPE", {})
        assert lex.expand_with_matches(word, {}).value == word


def test_deep_nesting_is_an_expansion_error(lex):
    word = "${a:-" * 5000 + "x" + "}" * 5000
    with pytest.raises(ExpansionError):
        lex.expand_word(word, {})


def test_bad_escape_token_is_rejected():
    with pytest.raises(ValueError):
        ShellLex("ab")


@pytest.mark.parametrize(("pattern", "regex"), GLOB_CASES, ids=[c[0] for c in GLOB_CASES])
def test_glob_to_regex(pattern, regex):
    assert shell_pattern.glob_to_regex(pattern, greedy=True, anchored=True) == regex


@pytest.mark.parametrize(("pattern", "expected"), REVERSE_CASES, ids=[c[0] for c in REVERSE_CASES])
def test_reverse_pattern(pattern, expected):
    assert shell_pattern.reverse_pattern(pattern) == expected


def test_replace_all_skips_empty_match_after_a_match():
    # Go's ReplaceAllString gives "X\nX" here; Python's re.sub would give "XX\nXX".
    assert shell_pattern.replace("*", "a\nb", "X", True) == "X\nX"
    assert shell_pattern.replace("", "ab", "X", True) == "XaXbX"


def test_conformance_data_passes(shared_dir):
    results = shell_cases.run(shared_dir / "conformance")
    assert len(results) == 115 + 24
    assert [r for r in results if not r.ok] == []


def test_conformance_runner_reports_failures(tmp_path):
    shell = tmp_path / "buildkit" / "shell"
    shell.mkdir(parents=True)
    (shell / "envVarTest").write_text("A|$PWD | wrong\nW|x | y\nA|${ | error\nA|x|error\n")
    (shell / "wordsTest").write_text("ENV A=1 2\n$A | 1,2\n$A | 12\n")
    results = shell_cases.run(tmp_path)
    assert [(r.name, r.ok) for r in results] == [
        ("envVarTest:1", False),
        ("envVarTest:3", True),
        ("envVarTest:4", False),
        ("wordsTest:2", True),
        ("wordsTest:3", False),
    ]
