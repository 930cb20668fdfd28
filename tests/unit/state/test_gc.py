"""state.gc: the mark phase over plain graphs."""

from pallet.state.gc import graph_refs, mark, sweep

EDGES = {
    ("image", "app:1"): [("blob", "m1")],
    ("blob", "m1"): [("blob", "c1"), ("blob", "l1"), ("blob", "l2")],
    ("cache", "k2"): [("snapshot", "s2"), ("blob", "l2")],
    ("snapshot", "s2"): [("snapshot", "s1")],
    ("cache", "k3"): [("snapshot", "s3")],
    ("snapshot", "s3"): [("snapshot", "s2")],
}
NODES = [("image", "app:1"), ("blob", "m1"), ("blob", "c1"), ("blob", "l1"), ("blob", "l2"),
         ("blob", "l9"), ("cache", "k2"), ("cache", "k3"), ("snapshot", "s1"),
         ("snapshot", "s2"), ("snapshot", "s3")]


def test_an_image_keeps_its_blobs_only():
    black = mark([("image", "app:1")], graph_refs(EDGES))
    assert black == {("image", "app:1"), ("blob", "m1"), ("blob", "c1"), ("blob", "l1"), ("blob", "l2")}
    assert sweep(NODES, black) == [("blob", "l9"), ("cache", "k2"), ("cache", "k3"),
                                   ("snapshot", "s1"), ("snapshot", "s2"), ("snapshot", "s3")]


def test_a_kept_cache_record_keeps_its_snapshot_chain():
    black = mark([("cache", "k2")], graph_refs(EDGES))
    assert ("snapshot", "s1") in black and ("blob", "l2") in black
    assert ("snapshot", "s3") not in black  # a child does not keep its parent's child


def test_cycles_and_duplicate_roots_terminate():
    edges = {"a": ["b"], "b": ["c"], "c": ["a"]}
    assert mark(["a", "a", "b"], graph_refs(edges)) == {"a", "b", "c"}


def test_no_roots_means_everything_is_garbage():
    assert sweep(NODES, mark([], graph_refs(EDGES))) == NODES


def test_refs_of_unknown_nodes_are_empty():
    assert mark(["x"], graph_refs({})) == {"x"}
