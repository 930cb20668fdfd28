"""Random and mutated words: expansion either succeeds or raises ExpansionError, and
gives the same answer every time."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pallet.dockerfile.shell import ShellLex
from pallet.errors import ExpansionError

ENV = {"PWD": "/home", "SHELL": "bash", "KOREAN": "한국어", "NULL": "", "A": "a b*?/\\}"}
# Characters that steer the lexer, plus some ordinary ones, a BOM and Go/Python
# whitespace edge cases.
ALPHABET = "${}:-+?#%/*\\`'\" \t\nabAPWDNUL_019@!.[]()\ufeff\x1c\u3000한"
LEXERS = [
    ShellLex("\\"),
    ShellLex("`"),
    ShellLex(raw_quotes=True, skip_unset=True),
    ShellLex(skip_processing_quotes=True, skip_unset=True),
    ShellLex(raw_escapes=True),
]
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def conformance_inputs() -> list[str]:
    path = Path(__file__).parents[3] / "shared/conformance/buildkit/shell/envVarTest"
    lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
    return [line.split("|")[1].strip() for line in lines if line[:2] in ("A|", "U|", "W|")]


SEEDS = conformance_inputs()


def mutate(seed: str, cuts: list[tuple[int, str]]) -> str:
    for pos, text in cuts:
        pos %= len(seed) + 1
        seed = seed[:pos] + text + seed[pos + 1 :]
    return seed


def check(word: str) -> None:
    for lex in LEXERS:
        first = outcome(lex, word)
        assert outcome(lex, word) == first
        if first[0] == "ok":
            assert lex.expand_with_matches(word, ENV).value == first[1]
            words = lex.expand_words(word, ENV)
            assert "" not in words


def outcome(lex: ShellLex, word: str) -> tuple[str, str]:
    try:
        return ("ok", lex.expand_word(word, ENV))
    except ExpansionError as exc:
        assert exc.message
        return ("error", exc.message)


@FUZZ
@given(st.text(alphabet=ALPHABET, max_size=40))
def test_random_words(word):
    check(word)


@FUZZ
@given(st.text(max_size=30))
def test_arbitrary_unicode(word):
    check(word)


def test_seeds_were_found():
    assert len(SEEDS) > 100


@FUZZ
@given(
    st.sampled_from(SEEDS or ["${a:-b}"]),
    st.lists(st.tuples(st.integers(0, 60), st.text(alphabet=ALPHABET, max_size=3)), max_size=4),
)
def test_mutated_conformance_inputs(seed, cuts):
    check(mutate(seed, cuts))
