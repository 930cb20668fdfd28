"""The build graph: immutable ops with stable digests.

Vocabulary: an *op* is a graph node (a frozen dataclass); its *digest* covers what it does
and its inputs' digests, never where it came from in the Dockerfile (that is `OpMeta`, kept
beside it), so moving a line or renaming a stage never invalidates the cache. A *step* is
what the user sees: `[build 2/4] RUN make`.
"""
