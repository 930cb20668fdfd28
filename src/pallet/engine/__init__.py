"""The build engine: Dockerfile stages -> op graph -> solved layers -> an image.

    convert.py    stages -> ops and image config, one dispatch function per instruction
    config.py     the image config a stage accumulates, and its history lines
    goformat.py   Go's %q/%v/Duration formatting, since BuildKit's history lines use them
    worker.py     executes one op: snapshots, runc, copies, layer blobs
    api.py        build(options): the whole pipeline, used by the CLI and tests
"""
