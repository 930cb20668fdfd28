"""`pallet build` (and `pallet buildx build`): docker's build flags -> BuildOptions.

Every flag docker/buildx documents for `build` is accepted in argparse's usual forms
(`-t x`, `--tag=x`, `-tx`, repeated, after the context). `--call=outline|targets|check`
and `--check` run here; a plain build hands the options to `pallet.build`.
"""

from __future__ import annotations

_LIST = {"action": "append", "default": []}
# (flags, argparse keyword arguments); dest names match BuildOptions where they can.
FLAGS: tuple[tuple[tuple[str, ...], dict], ...] = (
    (("-t", "--tag"), {"dest": "tags", "metavar": "NAME[:TAG]", **_LIST}),
    (("-f", "--file"), {"dest": "dockerfile", "metavar": "PATH"}),
    (("--target",), {"metavar": "STAGE"}),
    (("--build-arg",), {"dest": "build_args", "metavar": "KEY[=VALUE]", **_LIST}),
    (("--label",), {"dest": "labels", "metavar": "KEY=VALUE", **_LIST}),
    (("--no-cache",), {"action": "store_true"}),
    (("--no-cache-filter",), {"metavar": "STAGE", **_LIST}),
    (("--pull",), {"action": "store_true"}),
    (("--progress",), {"default": "auto", "metavar": "MODE"}),
    (("--network",), {"default": "default"}),
    (("--platform",), {"dest": "platforms", **_LIST}),
    (("-o", "--output"), {"dest": "outputs", **_LIST}),
    (("--load",), {"action": "store_true"}),
    (("--push",), {"action": "store_true"}),
    (("--secret",), {"dest": "secrets", **_LIST}),
    (("--ssh",), {**_LIST}),
    (("--allow",), {**_LIST}),
    (("--call",), {"default": "build", "metavar": "METHOD"}),
    (("--check",), {"action": "store_true"}),
    (("--iidfile",), {"metavar": "FILE"}),
    (("--metadata-file",), {"metavar": "FILE"}),
    (("--cache-from",), {**_LIST}),
    (("--cache-to",), {**_LIST}),
    (("--builder",), {}),
    (("-q", "--quiet"), {"action": "store_true"}),
    (("--build-context",), {"dest": "build_contexts", **_LIST}),
    (("--add-host",), {"dest": "add_hosts", **_LIST}),
)


def register(sub) -> None:
    p = sub.add_parser("build", help="build an image from a Dockerfile", allow_abbrev=False)
    p.add_argument("context", metavar="PATH", help="the build context directory, or -")
    for names, kwargs in FLAGS:
        p.add_argument(*names, **kwargs)
    p.set_defaults(func=run)


def run(args) -> int:
    if parse_call(args.call, args.check)[0] != "build":  # outline, targets, check: no context read
        return run_call(options_from_args(args))
    with _prefetching(args.context):
        return _build(options_from_args(args))


def _prefetching(context: str):
    """From before the build's imports: a child checks whether the context changed
    (engine/fingerprint.py) while this process gets ready to ask."""
    import contextlib
    import os

    if context == "-" or not os.path.isdir(context):
        return contextlib.nullcontext()
    from pallet.engine.fingerprint import prefetching
    from pallet.state.root import StateRoot

    return prefetching(StateRoot.default().stat_cache_path, context)


def _build(options) -> int:
    import pallet

    result = pallet.build(options)
    if options.quiet and result:
        print(result.image_id)
    return 0


def options_from_args(args, environ=None, stdin=None):
    """Validate the flags and build the BuildOptions the engine takes."""
    import sys

    from pallet.build_options import BuildOptions
    from pallet.dockerfile.args import parse_build_args

    call, call_format = parse_call(args.call, args.check)
    options = BuildOptions(
        context=args.context, dockerfile=args.dockerfile, tags=list(args.tags),
        target=args.target or None, build_args=parse_build_args(args.build_args, environ),
        labels=_key_values(args.labels, "--label"), no_cache=args.no_cache,
        no_cache_filter=_split_commas(args.no_cache_filter), pull=args.pull,
        progress=_progress(args.progress), network=args.network,
        platforms=_platforms(args.platforms), outputs=list(args.outputs), load=args.load,
        push=args.push, secrets=list(args.secrets), ssh=list(args.ssh),
        allow=_split_commas(args.allow), call=call, call_format=call_format,
        iidfile=args.iidfile, metadata_file=args.metadata_file,
        cache_from=list(args.cache_from), cache_to=list(args.cache_to), builder=args.builder,
        quiet=args.quiet, build_contexts=_key_values(args.build_contexts, "--build-context"),
        add_hosts=list(args.add_hosts),
    )
    _check_context(options)
    if options.dockerfile == "-" or options.context == "-":
        options.dockerfile_data = (stdin or sys.stdin.buffer).read()
    return options


def parse_call(value: str, check: bool) -> tuple[str, str]:
    """buildx's --call syntax: `NAME[,format=text|json][,ignorestatus=bool]`."""
    from pallet.build_options import CALL_ALIASES, CALL_FORMATS, CALL_NAMES
    from pallet.errors import OptionError

    if check:
        value = "check"
    name, fmt = "", "text"
    for field in (value or "build").split(","):
        key, sep, val = field.strip().partition("=")
        if not sep:
            name = CALL_ALIASES.get(key, key)
        elif key == "format" and val in CALL_FORMATS:
            fmt = val
        elif key != "ignorestatus":
            raise OptionError(f'invalid --call option "{field}"',
                              hint="use --call=NAME[,format=text|json]")
    if name not in CALL_NAMES:
        raise OptionError(f'invalid --call value "{value}"',
                          hint="one of: " + ", ".join(CALL_NAMES))
    return name, fmt


def _key_values(items, flag: str) -> dict[str, str]:
    from pallet.errors import OptionError

    out = {}
    for item in items:
        key, _, value = item.partition("=")
        if not key:
            raise OptionError(f'invalid {flag} value "{item}": the name is empty')
        out[key] = value
    return out


def _split_commas(items) -> list[str]:
    return [p.strip() for item in items for p in item.split(",") if p.strip()]


def _progress(mode: str) -> str:
    from pallet.build_options import PROGRESS_MODES
    from pallet.errors import OptionError

    if mode not in PROGRESS_MODES:
        raise OptionError(f'invalid progress mode "{mode}"',
                          hint="one of: " + ", ".join(PROGRESS_MODES))
    return mode


def _platforms(items) -> list[str]:
    from pallet.image.platform import parse_platforms

    out: list[str] = []
    for item in items:
        for p in parse_platforms(item):
            if str(p) not in out:
                out.append(str(p))
    return out


def _check_context(options) -> None:
    import os

    from pallet.errors import ContextError

    ctx = options.context
    if ctx == "-" or "://" in ctx or ctx.startswith("git@"):
        return
    if not os.path.exists(ctx):
        raise ContextError(f'unable to prepare context: path "{ctx}" not found')
    if not os.path.isdir(ctx):
        raise ContextError(f'unable to prepare context: context must be a directory: {ctx}')


def run_call(options) -> int:
    """--call=targets|outline|check: print what buildx prints, build nothing."""
    from pallet.dockerfile import frontend

    dockerfile = frontend.load_dockerfile(options.dockerfile_path, options.dockerfile_data,
                                          options.dockerfile_name)
    staged = frontend.stage(dockerfile)
    if options.call == "targets":
        return _print_targets(staged, options)
    if options.call == "outline":
        return _print_outline(staged, options)
    return _print_check(staged, options)


def _target_platform(options):
    return options.platforms[0] if options.platforms else None


def _print_targets(staged, options) -> int:
    from pallet.dockerfile import outline

    return _print(outline.list_targets(staged), outline.format_targets, options)


def _print_outline(staged, options) -> int:
    from pallet.dockerfile import frontend, outline

    plan = frontend.resolve(staged, options.target, options.build_args,
                            target_platform=_target_platform(options))
    return _print(outline.outline(plan), outline.format_outline, options)


def _print(data, format_text, options) -> int:
    """--call output as text, or with `,format=json` as JSON."""
    from pallet.dockerfile import outline

    if options.call_format == "json":
        print(outline.to_json(data))
    else:
        print(format_text(data), end="")
    return 0


def _print_check(staged, options) -> int:
    import json

    from pallet.dockerfile.lint.checks import run_checks
    from pallet.dockerfile.lint.render import format_check_report

    result = run_checks(staged, target=options.target, build_args=options.build_args,
                        ignore_matcher=_ignore_matcher(options),
                        target_platform=_target_platform(options))
    source = staged.dockerfile.source
    if options.call_format == "json":
        print(json.dumps({"warnings": [_warning_json(w) for w in result.warnings]}, indent=2))
    elif result.error is None or result.warnings:
        report = format_check_report(result.warnings, source)
        print(report if result.error is None else report.rsplit("Check complete", 1)[0], end="")
    if result.error is not None:
        raise result.error
    if result.config.error and result.warnings:
        from pallet.dockerfile.lint.directive import Linter

        raise Linter(result.config, list(result.warnings)).error()
    return 0


def _warning_json(w) -> dict:
    return {"ruleName": w.rule, "url": w.url, "detail": w.message,
            "location": {"ranges": [{"start": {"line": r.start}, "end": {"line": r.end}}
                                    for r in w.ranges]}}


def _ignore_matcher(options):
    import os
    from pathlib import Path

    if options.context == "-" or not os.path.isdir(options.context):
        return None
    from pallet.dockerfile.dockerignore import load_matcher

    df = None if options.dockerfile in (None, "-") else Path(options.dockerfile)
    return load_matcher(Path(options.context), df)
