"""Typed instructions: every instruction and flag, good and bad, with BuildKit's messages."""

from __future__ import annotations

import pytest

from pallet.dockerfile.instructions import (
    Add, Arg, ArgDef, Cmd, Copy, Entrypoint, Env, Expose, From, Healthcheck, KeyValue, Label,
    Maintainer, Onbuild, Run, Shell, SourceContent, Stopsignal, User, Volume, Workdir,
    parse_chmod, parse_instruction)
from pallet.dockerfile.instructions.flags import BFlags
from pallet.dockerfile.instructions.healthcheck import parse_go_duration
from pallet.dockerfile.instructions.mounts import CacheMount
from pallet.dockerfile.nodes import Heredoc, Node
from pallet.dockerfile.parser import parse
from pallet.dockerfile.shell import ShellLex
from pallet.errors import DockerfileError, InstructionError, PalletError, Range, StageError

N = Node("x", "", 1, 1)  # node is compare=False: any node will do in expected values


def first(text: str):
    """The first instruction of a Dockerfile text, typed."""
    return parse_instruction(parse(text).nodes[0])


GOOD = [
    ("from", "FROM alpine", From("alpine", node=N)),
    ("from-as", "FROM alpine AS Build", From("alpine", "build", orig_name="Build", node=N)),
    ("from-platform", "FROM --platform=$BUILDPLATFORM a as b",
     From("a", "b", "$BUILDPLATFORM", "b", node=N)),
    ("run-shell", "RUN echo  hi", Run(("echo  hi",), True, node=N)),
    ("run-json", 'RUN ["echo", "hi"]', Run(("echo", "hi"), False, node=N)),
    ("run-network", "RUN --network=none x",
     Run(("x",), True, network="none", flags_used=("network",), node=N)),
    ("run-security", "RUN --security=insecure x",
     Run(("x",), True, security="insecure", flags_used=("security",), node=N)),
    ("run-end-of-flags", "RUN -- --x", Run(("--x",), True, node=N)),
    ("cmd-empty", "CMD []", Cmd((), False, node=N)),
    ("cmd-shell", "CMD echo hi", Cmd(("echo hi",), True, node=N)),
    ("entrypoint-json", 'ENTRYPOINT ["a", "b"]', Entrypoint(("a", "b"), False, node=N)),
    ("shell", 'SHELL ["/bin/bash", "-c"]', Shell(("/bin/bash", "-c"), node=N)),
    ("env", 'ENV A=1 B="x y"', Env((KeyValue("A", "1"), KeyValue("B", '"x y"')), node=N)),
    ("env-legacy", "ENV A b c", Env((KeyValue("A", "b c", legacy=True),), node=N)),
    ("label", "LABEL a=b", Label((KeyValue("a", "b"),), node=N)),
    ("arg", "ARG a b=2 c=", Arg((ArgDef("a", None), ArgDef("b", "2"), ArgDef("c", "")), node=N)),
    ("expose-sorted", "EXPOSE 8080 443/tcp 80", Expose(("443/tcp", "80", "8080"), node=N)),
    ("workdir", "WORKDIR /a b", Workdir("/a b", node=N)),
    ("user", "USER app:app", User("app:app", node=N)),
    ("volume", 'VOLUME ["/a", "/b"]', Volume(("/a", "/b"), node=N)),
    ("volume-shell", "VOLUME /a /b", Volume(("/a", "/b"), node=N)),
    ("stopsignal", "STOPSIGNAL SIGTERM", Stopsignal("SIGTERM", node=N)),
    ("stopsignal-flags-ignored", "STOPSIGNAL --x=1 9", Stopsignal("9", node=N)),
    ("maintainer", "MAINTAINER me <me@x>", Maintainer("me <me@x>", node=N)),
    ("onbuild", "ONBUILD RUN echo hi", Onbuild("RUN echo hi", node=N)),
    ("healthcheck-none", "HEALTHCHECK NONE", Healthcheck(("NONE",), node=N)),
    ("healthcheck-none-flags-ignored", "HEALTHCHECK --bogus=1 none", Healthcheck(("NONE",), node=N)),
    ("healthcheck-shell", "HEALTHCHECK CMD curl -f x", Healthcheck(("CMD-SHELL", "curl -f x"), node=N)),
    ("healthcheck-json", 'HEALTHCHECK CMD ["curl", "x"]', Healthcheck(("CMD", "curl", "x"), node=N)),
    ("healthcheck-flags",
     "HEALTHCHECK --interval=1m30s --timeout=2s --start-period=0 --start-interval=1.5s "
     "--retries=3 CMD x",
     Healthcheck(("CMD-SHELL", "x"), 90 * 10**9, 2 * 10**9, 0, 1_500_000_000, 3, node=N)),
    ("copy", "COPY a b /dst/", Copy(("a", "b"), "/dst/", node=N)),
    ("copy-json", 'COPY ["a b", "/c"]', Copy(("a b",), "/c", node=N)),
    ("copy-flags",
     "COPY --from=build --chown=1:2 --chmod=0755 --link --parents --exclude=*.md --exclude=x a /",
     Copy(("a",), "/", chown="1:2", chmod="0755", link=True, exclude=("*.md", "x"),
          from_="build", parents=True, node=N)),
    ("copy-link-false", "COPY --link=FALSE a /", Copy(("a",), "/", node=N)),
    ("add", "ADD https://x/y.tgz /", Add(("https://x/y.tgz",), "/", node=N)),
    ("add-flags",
     "ADD --checksum=sha256:abc --keep-git-dir --unpack=false --chmod=u=rwX,go=rX a /",
     Add(("a",), "/", chmod="u=rwX,go=rX", checksum="sha256:abc", keep_git_dir=True,
         unpack=False, node=N)),
    ("chmod-variable-waits", "COPY --chmod=$MODE a /", Copy(("a",), "/", chmod="$MODE", node=N)),
]


@pytest.mark.parametrize("text,expected", [c[1:] for c in GOOD], ids=[c[0] for c in GOOD])
def test_good(text, expected):
    got = first(text)
    assert got == expected
    assert type(got) is type(expected)


BAD = [
    ("unknown", "FORM alpine", 'unknown instruction: FORM (did you mean "FROM"?)'),
    ("unknown-case-kept", "bogus bar", "unknown instruction: bogus"),
    ("from-two-args", "FROM a b", "FROM requires either one or three arguments"),
    ("from-bad-name", "FROM a AS 1x",
     "invalid name for build stage: \"1x\", name can't start with a number or contain symbols"),
    ("from-symbol-name", "FROM a AS b$c",
     "invalid name for build stage: \"b$c\", name can't start with a number or contain symbols"),
    ("from-unknown-flag", "FROM --platfrom=x a",
     'unknown flag: --platfrom (did you mean "platform"?)'),
    ("from-missing-value", "FROM --platform a", "missing a value on flag: --platform"),
    ("from-duplicate-flag", "FROM --platform=a --platform=b a",
     "duplicate flag specified: --platform"),
    ("run-bad-network", "RUN --network=bridge x", 'invalid network mode "bridge"'),
    ("run-bad-security", "RUN --security=x y", 'security "x" is not valid'),
    ("run-unknown-flag", "RUN --mout=type=bind x", 'unknown flag: --mout (did you mean "mount"?)'),
    ("copy-one-arg", "COPY a",
     "COPY requires at least two arguments, but only one was provided. "
     "Destination could not be determined"),
    ("add-one-arg", "ADD a",
     "ADD requires at least two arguments, but only one was provided. "
     "Destination could not be determined"),
    ("copy-heredoc-dest", "COPY a <<EOF\nx\nEOF", "COPY cannot accept a heredoc as a destination"),
    ("copy-bool-value", "COPY --link=yes a b", "expecting boolean value for flag --link, not: yes"),
    ("copy-bool-empty", "COPY --link= a b", "missing a value on flag: --link"),
    ("copy-duplicate", "COPY --from=a --from=b a b", "duplicate flag specified: --from"),
    ("copy-checksum", "COPY --checksum=x a b", 'unknown flag: --checksum'),
    ("add-from", "ADD --from=x a b", "unknown flag: --from"),
    ("add-parents", "ADD --parents a b", 'unknown flag: --parents'),
    ("chmod-not-octal", "COPY --chmod=64a a b",
     "invalid chmod parameter: '64a'. it should be octal string and between 0 and 07777"),
    ("chmod-too-big", "COPY --chmod=10000 a b",
     "invalid chmod parameter: '10000'. it should be octal string and between 0 and 07777"),
    ("env-empty", "ENV", "ENV requires at least one argument"),
    ("label-empty", "LABEL", "LABEL requires at least one argument"),
    ("label-flag", "LABEL --x=1 a=b", "unknown flag: --x"),
    ("arg-empty", "ARG", "ARG requires at least one argument"),
    ("arg-blank-name", "ARG =x", "ARG names can not be blank"),
    ("expose-empty", "EXPOSE", "EXPOSE requires at least one argument"),
    ("workdir-empty", "WORKDIR", "WORKDIR requires exactly one argument"),
    ("user-empty", "USER", "USER requires exactly one argument"),
    ("stopsignal-empty", "STOPSIGNAL", "STOPSIGNAL requires exactly one argument"),
    ("maintainer-empty", "MAINTAINER", "MAINTAINER requires exactly one argument"),
    ("volume-empty", "VOLUME", "VOLUME requires at least one argument"),
    ("volume-blank", 'VOLUME ["/a", " "]', "VOLUME specified can not be an empty string"),
    ("shell-not-json", "SHELL /bin/sh -c", "SHELL requires the arguments to be in JSON form"),
    ("shell-empty", "SHELL []", "SHELL requires at least one argument"),
    ("onbuild-empty", "ONBUILD", "ONBUILD requires at least one argument"),
    ("onbuild-onbuild", "ONBUILD ONBUILD RUN x",
     "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"),
    ("onbuild-from", "ONBUILD FROM x", "FROM isn't allowed as an ONBUILD trigger"),
    ("onbuild-maintainer", "ONBUILD maintainer x", "MAINTAINER isn't allowed as an ONBUILD trigger"),
    ("healthcheck-empty", "HEALTHCHECK", "HEALTHCHECK requires at least one argument"),
    ("healthcheck-none-args", "HEALTHCHECK NONE x", "HEALTHCHECK NONE takes no arguments"),
    ("healthcheck-type", "HEALTHCHECK CONNECT x", 'Unknown type "CONNECT" in HEALTHCHECK (try CMD)'),
    ("healthcheck-no-cmd", "HEALTHCHECK CMD", "Missing command after HEALTHCHECK CMD"),
    ("healthcheck-short", "HEALTHCHECK --interval=1us CMD x",
     'Interval "interval" cannot be less than 1ms'),
    ("healthcheck-negative", "HEALTHCHECK --timeout=-1s CMD x",
     'Interval "timeout" cannot be less than 1ms'),
    ("healthcheck-bad-duration", "HEALTHCHECK --start-period=abc CMD x",
     'time: invalid duration "abc"'),
    ("healthcheck-no-unit", "HEALTHCHECK --interval=10 CMD x",
     'time: missing unit in duration "10"'),
    ("healthcheck-unit", "HEALTHCHECK --interval=10d CMD x",
     'time: unknown unit "d" in duration "10d"'),
    ("healthcheck-retries-negative", "HEALTHCHECK --retries=-1 CMD x",
     "--retries cannot be negative (-1)"),
    ("healthcheck-retries-syntax", "HEALTHCHECK --retries=x CMD x",
     'strconv.ParseInt: parsing "x": invalid syntax'),
    ("healthcheck-unknown-flag", "HEALTHCHECK --intervl=1s CMD x",
     'unknown flag: --intervl (did you mean "interval"?)'),
]


@pytest.mark.parametrize("text,message", [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_bad(text, message):
    with pytest.raises(DockerfileError) as info:
        first(text)
    assert info.value.message == message
    assert info.value.ranges == [Range(1, text.count("\n") + 1)]


def test_bad_stage_name_is_a_stage_error():
    with pytest.raises(StageError):
        first("FROM a AS 1x")


def test_flag_word_without_dashes():
    node = Node("run", "RUN x", 1, 1, args=["x"], flags=["-x"], raw_keyword="RUN")
    with pytest.raises(InstructionError, match="^arg should start with -- : -x$"):
        parse_instruction(node)


def test_unknown_flag_error_carries_the_node_lines():
    df = parse("FROM a\nRUN --bogus \\\n  x\n")
    with pytest.raises(InstructionError) as info:
        parse_instruction(df.nodes[1])
    assert info.value.ranges == [Range(2, 3)]


def test_run_heredocs_and_mounts_are_kept():
    run = first("RUN --mount=type=cache,target=/c --mount=target=/s <<EOF\necho hi\nEOF")
    assert run.heredocs == (Heredoc("EOF", "echo hi\n"),)
    assert [type(m).__name__ for m in run.mounts] == ["CacheMount", "BindMount"]
    assert run.cmd == ("<<EOF",) and run.flags_used == ("mount",)


def test_copy_heredoc_sources_become_contents():
    copy = first("COPY <<-A <<'B' x /dst\n\tone\nA\ntwo $X\nB")
    assert copy.sources == ("x",)
    assert copy.contents == (SourceContent("A", "one\n", True), SourceContent("B", "two $X\n", False))


def test_copy_heredoc_source_named_with_inner_quotes():
    """BuildKit reads `<<E"O"F` as the heredoc EOF, unexpanded, for COPY as for RUN."""
    copy = first('COPY <<E"O"F /x\nhello $X\nEOF')
    assert copy.contents == (SourceContent("EOF", "hello $X\n", False),)


@pytest.mark.parametrize("line, sources, dest", [
    ('COPY <<"EOF /x', ('<<"EOF',), "/x"),
    ('COPY ["<<E\'F", "/x"]', ("<<E'F",), "/x"),
    ('COPY src <<"EOF', ("src",), '<<"EOF'),
])
def test_copy_word_that_is_no_heredoc_is_a_path(line, sources, dest):
    """BuildKit's MustParseHeredoc: a `<<` word that cannot be lexed is a plain path."""
    copy = first(line)
    assert (copy.sources, copy.dest, copy.contents) == (sources, dest, ())


def test_arg_comment_comes_from_the_line_above():
    arg = first("# VERSION the release to build\nARG VERSION=1 OTHER")
    assert [a.comment for a in arg.args] == ["the release to build", ""]


def test_onbuild_keeps_its_trigger_heredoc():
    onbuild = first("ONBUILD RUN <<EOF\necho hi\nEOF")
    assert onbuild.expression == "RUN <<EOF\necho hi\nEOF"


def test_hand_built_node_without_parser():
    node = Node("copy", "COPY a b", 3, 4, args=["a", "b"], flags=["--link"], raw_keyword="COPY")
    assert parse_instruction(node) == Copy(("a",), "b", link=True, node=N)


# --- expansion at conversion time -------------------------------------------------------

ENV = {"A": "1", "D": "/dst", "P": "80 90/udp", "M": "0640", "U": "app", "S": "stage"}
EXPAND = [
    ("env", 'ENV K$A="v $A"', Env((KeyValue("K1", "v 1"),), node=N)),
    ("label", "LABEL l=$A", Label((KeyValue("l", "1"),), node=N)),
    ("arg-value-not-name", "ARG $A=$A N", Arg((ArgDef("$A", "1"), ArgDef("N", None)), node=N)),
    ("workdir", "WORKDIR $D/x", Workdir("/dst/x", node=N)),
    ("user", "USER ${U}:$A", User("app:1", node=N)),
    ("volume", "VOLUME $D /v", Volume(("/dst", "/v"), node=N)),
    ("stopsignal", "STOPSIGNAL $A", Stopsignal("1", node=N)),
    # sorted as written at parse time ("$P" < "22"), then expanded and split
    ("expose-splits", "EXPOSE $P 22", Expose(("80", "90/udp", "22"), node=N)),
    ("copy", "COPY --chown=$U --chmod=$M --from=$S --exclude=$A a$A $D",
     Copy(("a1",), "/dst", chown="app", chmod="0640", exclude=("$A",), from_="stage", node=N)),
    ("add-checksum", "ADD --checksum=$A x $D", Add(("x",), "/dst", checksum="1", node=N)),
    ("run-mount-values", "RUN --mount=type=cache,target=$D,uid=$A x",
     Run(("x",), True, mounts=(CacheMount(target="/dst", uid=1),), flags_used=("mount",),
         node=N)),
    ("from", "FROM --platform=$A img:$A", From("img:1", platform="1", node=N)),
]


@pytest.mark.parametrize("text,expected", [c[1:] for c in EXPAND], ids=[c[0] for c in EXPAND])
def test_expand(text, expected):
    assert first(text).expand(ShellLex(), ENV) == expected


def test_expand_returns_a_new_instance_and_keeps_the_node():
    wd = first("WORKDIR $D")
    out = wd.expand(ShellLex(), ENV)
    assert wd.path == "$D" and out.path == "/dst" and out.node is wd.node


def test_copy_heredoc_body_expands_without_quote_removal():
    copy = first('COPY <<EOF /x\necho "$A" \\$A\nEOF')
    assert copy.expand(ShellLex(), ENV).contents[0].data == 'echo "1" $A\n'


def test_expanded_chmod_is_validated():
    with pytest.raises(InstructionError) as info:
        first("COPY --chmod=$A$A$A$A$A a b").expand(ShellLex(), ENV)
    assert "invalid chmod parameter: '11111'" in info.value.message
    assert info.value.ranges == [Range(1, 1)]


def test_expand_error_gets_the_instruction_lines():
    with pytest.raises(PalletError) as info:
        first("WORKDIR ${X:?must be set}").expand(ShellLex(), {})
    assert info.value.ranges == [Range(1, 1)]


# --- flags ------------------------------------------------------------------------------

def test_bflags_repeatable_and_end_of_flags():
    bf = BFlags(["--mount=a", "--mount=b", "--link", "--", "--ignored"])
    mount, link = bf.add_strings("mount"), bf.add_bool("link")
    bf.parse()
    assert mount.values == ["a", "b"] and link.is_true and bf.used() == ["mount", "link"]


def test_bflags_string_default_kept_when_unused():
    bf = BFlags([])
    flag = bf.add_string("network", "default")
    bf.parse()
    assert flag.value == "default" and not flag.used


# --- chmod and durations ----------------------------------------------------------------

CHMOD = [
    ("octal", "755", 0o100600, False, 0o100755),
    ("octal-keeps-type", "0", 0o40755, True, 0o40000),
    ("u=rwX-file", "u=rwX,go=rX", 0o100600, False, 0o100644),
    ("u=rwX-dir", "u=rwX,go=rX", 0o40700, True, 0o40755),
    ("X-when-some-x", "go=rX", 0o100700, False, 0o100755),
    ("a+x", "a+x", 0o644, False, 0o755),
    ("no-who-is-all", "+w", 0o444, False, 0o666),
    ("minus", "go-w", 0o777, False, 0o755),
    ("copy-class", "g=u", 0o750, False, 0o770),
    ("setid-sticky", "u+s,g+s,+t", 0o755, True, 0o7755),
    ("equals-clears", "o=", 0o777, False, 0o770),
    ("several-actions", "u+w-x", 0o500, False, 0o600),
]


@pytest.mark.parametrize("text,mode,is_dir,want", [c[1:] for c in CHMOD], ids=[c[0] for c in CHMOD])
def test_chmod_apply(text, mode, is_dir, want):
    assert oct(parse_chmod(text).apply(mode, is_dir)) == oct(want)


@pytest.mark.parametrize("text", ["64a", "10000", "u=q", "z+x", "u", "", "u+r,", "+8"])
def test_chmod_invalid(text):
    with pytest.raises(InstructionError, match="invalid chmod parameter"):
        parse_chmod(text)


DURATIONS = [("0", 0), ("1ns", 1), ("1.5h", 5_400_000_000_000), ("1h2m3s", 3_723_000_000_000),
             ("-2ms", -2_000_000), ("+3us", 3_000), (".5s", 500_000_000), ("3µs", 3_000)]


@pytest.mark.parametrize("text,ns", DURATIONS, ids=[d[0] for d in DURATIONS])
def test_go_duration(text, ns):
    assert parse_go_duration(text) == ns


@pytest.mark.parametrize("text", ["", "-", "s", "1", ".s", "1x", "1.2.3s"])
def test_go_duration_invalid(text):
    with pytest.raises(InstructionError, match="^time: "):
        parse_go_duration(text)
