#!/usr/bin/env python3
"""Exits 1 (saying what differs) unless sharded runs together equal one unsharded run: every
file the shards wrote, byte for byte, is the unsharded run's, and the merged report.json is its
report.json apart from timings. Usage: same_shards.py WHOLE MERGED SHARD..."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from outputs import strip_timings, tree  # noqa: E402

whole_dir, merged_dir, shard_dirs = sys.argv[1], sys.argv[2], sys.argv[3:]
whole = tree(whole_dir)
together = {}
for shard in shard_dirs:
    together.update(tree(shard))
if len(whole) < 3:
    sys.exit("same_shards: the unsharded run wrote only %d files" % len(whole))
missing = sorted(set(whole) - set(together))
extra = sorted(set(together) - set(whole))
changed = sorted(p for p in set(whole) & set(together) if whole[p] != together[p])
if missing or extra or changed:
    sys.exit("same_shards: missing %s, extra %s, different %s" % (missing[:5], extra[:5], changed[:5]))


def report(folder):
    with open(os.path.join(folder, "report.json"), encoding="utf-8") as f:
        return strip_timings(json.load(f))


if report(whole_dir) != report(merged_dir):
    sys.exit("same_shards: the merged report.json differs from the unsharded run's")
print("same_shards: %d files equal, merged report equal" % len(whole))
