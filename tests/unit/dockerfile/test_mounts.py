"""RUN --mount specs: every type and option, defaults, and BuildKit's messages."""

from __future__ import annotations

import pytest

from pallet.dockerfile.instructions import parse_instruction
from pallet.dockerfile.instructions.csvfields import CsvError, read_record
from pallet.dockerfile.instructions.mounts import (
    BindMount, CacheMount, SecretMount, SshMount, TmpfsMount, parse_mount)
from pallet.dockerfile.parser import parse
from pallet.dockerfile.shell import ShellLex
from pallet.errors import InstructionError, Range

GOOD = [
    ("bind-default", "target=/src", BindMount(target="/src")),
    ("bind-all", "type=bind,source=/a,target=/b,from=build,rw",
     BindMount(target="/b", source="/a", from_="build", readonly=False)),
    ("bind-aliases", "type=BIND,src=a,dst=/b,readwrite=true",
     BindMount(target="/b", source="a", readonly=False)),
    ("bind-destination", "destination=/d,ro=false", BindMount(target="/d", readonly=False)),
    ("key-case", "TYPE=bind,Target=/x,RO", BindMount(target="/x")),
    ("cache-default", "type=cache,target=/c", CacheMount(target="/c")),
    ("cache-all",
     "type=cache,target=/c,id=go,sharing=LOCKED,from=img,source=/s,mode=0700,uid=1000,gid=10,ro",
     CacheMount(target="/c", id="go", readonly=True, sharing="locked", from_="img",
                source="/s", mode=0o700, uid=1000, gid=10)),
    ("cache-private", "type=cache,target=/c,sharing=private",
     CacheMount(target="/c", sharing="private")),
    ("cache-readonly-value", "type=cache,target=/c,readonly=1", CacheMount(target="/c", readonly=True)),
    ("tmpfs", "type=tmpfs,target=/t", TmpfsMount(target="/t")),
    ("tmpfs-size", "type=tmpfs,target=/t,size=64m", TmpfsMount(target="/t", size=64 << 20)),
    ("tmpfs-size-bytes", "type=tmpfs,target=/t,size=1000", TmpfsMount(target="/t", size=1000)),
    ("tmpfs-size-gib", "type=tmpfs,target=/t,size=1.5GiB", TmpfsMount(target="/t", size=3 << 29)),
    ("secret-id", "type=secret,id=npm", SecretMount(id="npm", target="/run/secrets/npm")),
    ("secret-source", "type=secret,source=a/tok", SecretMount(id="a/tok", target="/run/secrets/tok")),
    ("secret-target", "type=secret,target=/etc/key",
     SecretMount(id="key", target="/etc/key")),
    ("secret-env-only", "type=secret,id=t,env=TOKEN", SecretMount(id="t", env="TOKEN")),
    ("secret-env-and-file", "type=secret,id=t,env=T,target=/t",
     SecretMount(id="t", target="/t", env="T")),
    ("secret-options", "type=secret,id=s,required,mode=0440,uid=1,gid=2",
     SecretMount(id="s", target="/run/secrets/s", required=True, mode=0o440, uid=1, gid=2)),
    ("secret-required-false", "type=secret,id=s,required=false",
     SecretMount(id="s", target="/run/secrets/s")),
    ("ssh-default", "type=ssh", SshMount()),
    ("ssh-all", "type=ssh,id=gh,target=/agent,required=true,mode=0600,uid=1,gid=1",
     SshMount(id="gh", target="/agent", required=True, mode=0o600, uid=1, gid=1)),
    ("csv-quoted", '"target=/a,b",type=bind', BindMount(target="/a,b")),
    ("csv-doubled-quote", '"target=/a""b"', BindMount(target='/a"b')),
    ("variables-wait", "type=cache,target=$T,mode=$M", CacheMount(target="$T")),
]


@pytest.mark.parametrize("spec,expected", [c[1:] for c in GOOD], ids=[c[0] for c in GOOD])
def test_good(spec, expected):
    mount = parse_mount(spec)
    assert mount == expected and type(mount) is type(expected)
    assert mount.spec == spec


BAD = [
    ("csv-bare-quote", 'target=/a"b', 'failed to parse csv mounts: parse error on line 1, '
     'column 10: bare " in non-quoted field'),
    ("csv-unterminated", '"target=/a', 'failed to parse csv mounts: parse error on line 1, '
     'column 11: extraneous or missing " in quoted-field'),
    ("csv-empty", "", "failed to parse csv mounts: EOF"),
    ("type-unknown", "type=cahce,target=/c", 'unsupported mount type "cahce" (did you mean "cache"?)'),
    ("type-far", "type=volume", 'unsupported mount type "volume"'),
    ("key-unknown", "type=cache,targte=/c",
     "unexpected key 'targte' in 'targte=/c' (did you mean \"target\"?)"),
    ("key-no-value", "type=cache,target", "invalid field 'target' must be a key=value pair"),
    ("ro-bad", "target=/x,ro=maybe", "invalid value for ro: maybe"),
    ("rw-bad", "target=/x,rw=yes", "invalid value for rw: yes"),
    ("required-bind", "target=/x,required", "unexpected key 'required' for mount type 'bind'"),
    ("required-cache-value", "type=cache,required=true",
     "unexpected key 'required' for mount type 'cache'"),
    ("required-bad", "type=ssh,required=2", "invalid value for required: 2"),
    ("size-not-tmpfs", "type=cache,size=1m", "unexpected key 'size' for mount type 'cache'"),
    ("size-bad", "type=tmpfs,target=/t,size=lots", "invalid value for size: lots"),
    ("sharing-bad", "type=cache,target=/c,sharing=shard",
     'unsupported sharing value "shard" (did you mean "shared"?)'),
    ("sharing-not-cache", "type=bind,target=/c,sharing=locked",
     "invalid cache sharing set for bind mount"),
    ("mode-not-octal", "type=cache,target=/c,mode=0x1", "invalid value 0x1 for mode"),
    ("mode-eight", "type=cache,target=/c,mode=8", "invalid value 8 for mode"),
    ("uid-negative", "type=cache,target=/c,uid=-1", "invalid value -1 for uid"),
    ("gid-bad", "type=cache,target=/c,gid=x", "invalid value x for gid"),
    ("uid-too-big", "type=cache,target=/c,uid=4294967296", "invalid value 4294967296 for uid"),
    ("mode-bind", "target=/c,mode=0700", 'mode not allowed for "bind" type mounts'),
    ("uid-tmpfs", "type=tmpfs,target=/c,uid=1", 'uid not allowed for "tmpfs" type mounts'),
    ("gid-bind", "target=/c,gid=1", 'gid not allowed for "bind" type mounts'),
    ("secret-from", "type=secret,id=a,from=x", "secret mount should not have a from"),
    ("secret-sharing", "type=secret,id=a,sharing=shared", "secret mount should not define sharing"),
    ("secret-nothing", "type=secret", "invalid secret mount. one of source, target required"),
    ("secret-source-and-id", "type=secret,id=a,source=b", "both source and id can't be set"),
    ("from-variable", "from=$STAGE,target=/x",
     "'from' doesn't support variable expansion, define alias stage instead"),
]


@pytest.mark.parametrize("spec,message", [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_bad(spec, message):
    with pytest.raises(InstructionError) as info:
        parse_mount(spec)
    assert info.value.message == message


def test_trailing_dollar_in_from_is_literal():
    assert parse_mount("from=a$,target=/x") == BindMount(target="/x", from_="a$")


ENV = {"T": "/cache", "M": "0700", "ID": "go", "TYPE": "tmpfs", "S": "64k"}
EXPAND = [
    ("values", "type=cache,target=$T,mode=$M,id=${ID}",
     CacheMount(target="/cache", id="go", mode=0o700)),
    ("type-from-variable", "type=$TYPE,target=/t,size=$S", TmpfsMount(target="/t", size=64 << 10)),
    ("quotes-removed", "type=secret,id='$ID'", SecretMount(id="$ID", target="/run/secrets/$ID")),
]


@pytest.mark.parametrize("spec,expected", [c[1:] for c in EXPAND], ids=[c[0] for c in EXPAND])
def test_expand(spec, expected):
    assert parse_mount(spec).expand(ShellLex(), ENV) == expected


def test_expanded_value_is_validated():
    with pytest.raises(InstructionError, match="^invalid value 0x for mode$"):
        parse_mount("type=cache,target=/c,mode=$M").expand(ShellLex(), {"M": "0x"})


def test_run_mount_errors_point_at_the_run_line():
    df = parse("FROM a\nRUN --mount=type=bogus \\\n  true\n")
    with pytest.raises(InstructionError) as info:
        parse_instruction(df.nodes[1])
    assert info.value.message == 'unsupported mount type "bogus"'
    assert info.value.ranges == [Range(2, 3)]


def test_run_expand_errors_point_at_the_run_line():
    run = parse_instruction(parse("RUN --mount=type=cache,target=/c,uid=$U x").nodes[0])
    with pytest.raises(InstructionError) as info:
        run.expand(ShellLex(), {"U": "me"})
    assert info.value.ranges == [Range(1, 1)]


CSV = [("plain", "a,b", ["a", "b"]), ("empty-fields", ",a,", ["", "a", ""]),
       ("first-record-only", "a\nb", ["a"]), ("quoted-newline", '"a\nb",c', ["a\nb", "c"]),
       ("leading-blank-lines", "\n\na", ["a"]), ("crlf", "a\r\nb", ["a"])]


@pytest.mark.parametrize("text,fields", [c[1:] for c in CSV], ids=[c[0] for c in CSV])
def test_read_record(text, fields):
    assert read_record(text) == fields


def test_read_record_extraneous_quote():
    with pytest.raises(CsvError, match='column 4: extraneous or missing " in quoted-field'):
        read_record('"a"b')
