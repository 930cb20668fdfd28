"""Build args: `--build-arg` values, the predefined args, and global (meta) ARGs.

Global ARGs are the ARG instructions before the first FROM. They are the only variables a
FROM line may use, together with the predefined platform args (BuildKit's
`dockerfile2llb/convert.go`: defaultArgs, buildMetaArgs). A `--build-arg` only reaches a
stage or a FROM line through an ARG that declares it, except the predefined args, which it
may override.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from pallet.errors import BuildArgError, DockerfileError, Range

# Available in every RUN without an ARG, and kept out of the image history
# (BuildKit: proxyEnvFromBuildArgs; docs "Predefined ARGs").
PROXY_ARGS = (
    "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy",
    "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy",
)
PLATFORM_ARGS = (
    "BUILDPLATFORM", "BUILDOS", "BUILDARCH", "BUILDVARIANT",
    "TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT",
)
PREDEFINED_ARGS = (*PLATFORM_ARGS, "TARGETSTAGE", *PROXY_ARGS)


@dataclass(frozen=True, slots=True)
class MetaArg:
    """A global ARG after build args were applied: what `--call=outline` lists."""

    name: str
    value: str | None  # None: declared without a default and not given
    description: str
    ranges: tuple[Range, ...]
    deps: frozenset[str] = frozenset()  # the args its default refers to


def parse_build_args(items: list[str], environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """`--build-arg K=V` and `--build-arg K` (value from the environment, skipped if unset),
    as docker's CLI reads them."""
    environ = os.environ if environ is None else environ
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not key:
            raise BuildArgError(f'invalid build arg "{item}": the name is empty',
                                hint="write --build-arg NAME=VALUE")
        if sep:
            out[key] = value
        elif key in environ:
            out[key] = environ[key]
    return out


def predefined_args(platform_args: Mapping[str, str], target_stage: str,
                    build_args: Mapping[str, str]) -> dict[str, str]:
    """BUILDPLATFORM..TARGETVARIANT and TARGETSTAGE; a --build-arg of the same name wins
    (BuildKit: defaultArgs)."""
    env = {k: platform_args.get(k, "") for k in PLATFORM_ARGS}
    env["TARGETSTAGE"] = target_stage
    for key in env:
        if key in build_args:
            env[key] = build_args[key]
    return env


def build_meta_args(env: dict[str, str], lex, arg_instructions, build_args: Mapping[str, str],
                    source=None) -> tuple[dict[str, str], dict[str, MetaArg]]:
    """Apply the global ARGs in order: a build arg wins, else the default is expanded with
    what is defined so far. Returns the FROM-line environment and each arg's info."""
    env = dict(env)
    infos: dict[str, MetaArg] = {}
    for inst in arg_instructions:
        ranges = (inst.node.range,)
        for arg in inst.args:
            value, deps = _meta_value(arg, env, lex, build_args, ranges, source)
            if value is not None:
                env[arg.key] = value
            infos[arg.key] = MetaArg(arg.key, value, arg.comment or "", ranges, deps)
    return env, infos


def _meta_value(arg, env, lex, build_args, ranges, source):
    if arg.key in build_args:
        return build_args[arg.key], frozenset()
    if arg.value is None:
        return None, frozenset()
    try:
        result = lex.expand_with_matches(arg.value, env)
    except DockerfileError as e:
        _locate(e, ranges, source)
        raise
    return result.value, frozenset(result.matched)


def _locate(err: DockerfileError, ranges, source) -> None:
    if not err.ranges:
        err.ranges = list(ranges)
    if err.source is None:
        err.source = source
