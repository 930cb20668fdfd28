"""`pallet images`, `rmi`, `tag`, `inspect`, `history`, `load`, `save`, `import`.

Flags and output follow the docker CLI, so scripts written for docker keep working.
"""

from __future__ import annotations

import sys


def register(sub) -> None:
    p = sub.add_parser("images", help="list images")
    p.add_argument("repository", nargs="?", metavar="REPOSITORY[:TAG]")
    p.add_argument("-q", "--quiet", action="store_true", help="only show image IDs")
    p.add_argument("--no-trunc", action="store_true", help="don't truncate output")
    p.add_argument("--digests", action="store_true", help="show digests")
    p.add_argument("-a", "--all", action="store_true", help="accepted for docker compatibility")
    p.set_defaults(func=run_images)

    p = sub.add_parser("rmi", help="remove one or more images")
    p.add_argument("names", nargs="+", metavar="IMAGE")
    p.add_argument("-f", "--force", action="store_true", help="remove every name of an image given by id")
    p.set_defaults(func=run_rmi)

    p = sub.add_parser("tag", help="create a tag TARGET_IMAGE that refers to SOURCE_IMAGE")
    p.add_argument("source", metavar="SOURCE_IMAGE[:TAG]")
    p.add_argument("target", metavar="TARGET_IMAGE[:TAG]")
    p.set_defaults(func=run_tag)

    p = sub.add_parser("inspect", help="show low-level information on images")
    p.add_argument("names", nargs="+", metavar="IMAGE")
    p.add_argument("-f", "--format", help="format the output with a Go-style template")
    p.set_defaults(func=run_inspect)

    p = sub.add_parser("history", help="show the history of an image")
    p.add_argument("name", metavar="IMAGE")
    p.add_argument("--no-trunc", action="store_true", help="don't truncate output")
    p.add_argument("-q", "--quiet", action="store_true", help="only show image IDs")
    p.add_argument("-H", "--human", default="true", choices=("true", "false"), help="human-readable sizes and dates")
    p.set_defaults(func=run_history)

    p = sub.add_parser("load", help="load images from a tar archive (docker-archive or OCI)")
    p.add_argument("-i", "--input", metavar="FILE", help="read from FILE instead of stdin")
    p.add_argument("-q", "--quiet", action="store_true", help="suppress the load output")
    p.set_defaults(func=run_load)

    p = sub.add_parser("save", help="save images to a tar archive (docker-archive by default)")
    p.add_argument("names", nargs="+", metavar="IMAGE")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    p.add_argument("--format", default="docker", choices=("docker", "oci"), help="archive format")
    p.set_defaults(func=run_save)

    p = sub.add_parser("import", help="import a root filesystem tarball as an image")
    p.add_argument("file", metavar="file|-")
    p.add_argument("name", nargs="?", metavar="REPOSITORY[:TAG]")
    p.add_argument("-c", "--change", action="append", default=[], help="apply a Dockerfile instruction")
    p.add_argument("-m", "--message", default="", help="set the commit message (history comment)")
    p.add_argument("--platform", help="set the platform (os/arch[/variant])")
    p.set_defaults(func=run_import)


def _images():
    from pallet.image.local import LocalImages

    return LocalImages.open()


def run_images(args) -> int:
    import time

    from pallet.image.commands import list_images
    from pallet.image.display import ago, human_size, table

    rows = list_images(_images(), args.repository)
    ids = [r.image_id if args.no_trunc else r.image_id[7:19] for r in rows]
    if args.quiet:
        seen = dict.fromkeys(ids)
        sys.stdout.write("".join(f"{i}\n" for i in seen))
        return 0
    now = time.time()
    head = ["REPOSITORY", "TAG", *(["DIGEST"] if args.digests else []), "IMAGE ID", "CREATED", "SIZE"]
    body = [
        [r.repository, r.tag, *([r.digest] if args.digests else []), i, ago(r.created, now), human_size(r.size)]
        for r, i in zip(rows, ids)
    ]
    sys.stdout.write(table([head, *body]))
    return 0


def run_rmi(args) -> int:
    from pallet.image.commands import remove_images

    for line in remove_images(_images(), args.names, force=args.force):
        print(line)
    return 0


def run_tag(args) -> int:
    from pallet.image.commands import tag_image

    tag_image(_images(), args.source, args.target)
    return 0


def run_inspect(args) -> int:
    import json

    from pallet.image.commands import inspect_image
    from pallet.image.display import render_template

    images = _images()
    data = [inspect_image(images, n) for n in args.names]
    if args.format:
        for d in data:
            print(render_template(args.format, d))
    else:
        print(json.dumps(data, indent=4, ensure_ascii=False))
    return 0


def run_history(args) -> int:
    import time

    from pallet.image.commands import image_history
    from pallet.image.config import parse_time
    from pallet.image.display import ago, ellipsis, human_size, table

    rows = image_history(_images(), args.name)
    short = (lambda i: i) if args.no_trunc else (lambda i: i if i.startswith("<") else i[7:19])
    if args.quiet:
        print("\n".join(short(r.image) for r in rows))
        return 0
    human, now = args.human == "true", time.time()

    def created(r) -> str:
        if not r.created:
            return "N/A"
        return ago(parse_time(r.created), now) if human else r.created

    body = [
        [
            short(r.image),
            created(r),
            r.created_by.replace("\t", " ") if args.no_trunc else ellipsis(r.created_by.replace("\t", " "), 45),
            human_size(r.size) if human else str(r.size),
            r.comment,
        ]
        for r in rows
    ]
    sys.stdout.write(table([["IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"], *body]))
    return 0


def run_load(args) -> int:
    from pallet.image.commands import familiar, load_archive

    images = _images()
    if args.input:
        loaded = load_archive(images, args.input)
    else:
        loaded = _load_stdin(images)
    if not args.quiet:
        for names, image_id in loaded:
            for name in names:
                print(f"Loaded image: {familiar(name)}")
            if not names:
                print(f"Loaded image ID: {image_id}")
    return 0


def _load_stdin(images):
    import shutil
    import tempfile

    from pallet.errors import OptionError
    from pallet.image.commands import load_archive
    from pallet.state.root import StateRoot

    if sys.stdin.isatty():
        raise OptionError("requested load from stdin, but stdin is empty", hint="use -i FILE or pipe an archive in")
    with tempfile.NamedTemporaryFile(dir=StateRoot.default().tmp_dir, suffix=".tar") as tmp:
        shutil.copyfileobj(sys.stdin.buffer, tmp)
        tmp.flush()
        return load_archive(images, tmp.name)


def run_save(args) -> int:
    from pallet.errors import OptionError
    from pallet.image.commands import save_archive, save_to_path

    images = _images()
    if args.output:
        save_to_path(images, args.names, args.output, args.format)
        return 0
    if sys.stdout.isatty():
        raise OptionError("cowardly refusing to save to a terminal", hint="use the -o flag or redirect")
    save_archive(images, args.names, sys.stdout.buffer, args.format)
    return 0


def run_import(args) -> int:
    from pallet.errors import OptionError, UserError
    from pallet.image.config import source_date_epoch
    from pallet.image.importer import ImportOptions, import_tarball
    from pallet.image.platform import parse_platform
    from pallet.image.reference import parse_tagged

    if not args.name:
        raise OptionError("pallet import needs REPOSITORY[:TAG]", hint="untagged images are not kept; name it, e.g. myimage:latest")
    parse_tagged(args.name)  # a bad name fails before the tarball is read
    opts = ImportOptions(
        changes=args.change,
        platform=parse_platform(args.platform) if args.platform else None,
        message=args.message,
        epoch=source_date_epoch(),
    )
    images = _images()
    if args.file == "-":
        target = import_tarball(images, sys.stdin.buffer, opts)
    else:
        try:
            src = open(args.file, "rb")
        except OSError as e:
            raise UserError(f'cannot open "{args.file}": {e.strerror}') from None
        with src:
            target = import_tarball(images, src, opts)
    record = images.tag(args.name, target, opts.platform)
    print(record.image_id)
    return 0
