#!/usr/bin/env python3
"""Fails on any #include that points up the layer order, or on a heavy library in a low layer.

Layers, top to bottom (docs/development.md, "Layers"):

    cli > commands > render > report > io > ops > pipeline > core

A file's layer is its folder: src/<layer>/... or include/convpool/<layer>/... (ops/common and
ops/fast belong to ops; inside ops, the op files may use ops/fast and ops/common, ops/fast may
use ops/common, and ops/common uses neither). An include's layer is the folder it names:
"convpool/<layer>/x.hpp" or, for a private header, "<layer>/x.hpp". core, pipeline and ops
never include OpenCV or another heavy library: an op that needs one calls it through an
interface implemented in io/ or a plugin.

Usage: check_layers.py SOURCE_DIR
"""

import pathlib
import re
import sys

ORDER = ["core", "pipeline", "ops", "io", "report", "render", "commands", "cli", "python"]
RANK = {name: i for i, name in enumerate(ORDER)}
# Within ops: common < fast < the op files.
OPS_RANK = {"common": 0, "fast": 1, "": 2}
HEAVY = re.compile(r'#\s*include\s*[<"](opencv2/|onnx|dnnl|cairo|gif_lib|zip\.h|zlib\.h|png\.h|'
                   r'jpeglib\.h|nlohmann/|CLI/)')
INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"', re.MULTILINE)
NO_HEAVY = {"core", "pipeline", "ops"}


def layer_of(parts):
    """(layer, ops sub-layer) of a path given as parts below src/ or include/convpool/."""
    if not parts or parts[0] not in RANK:
        return None, None
    sub = ""
    if parts[0] == "ops" and len(parts) > 2 and parts[1] in ("common", "fast"):
        sub = parts[1]
    return parts[0], sub


def file_layer(rel):
    parts = rel.parts
    if parts[0] == "src":
        return layer_of(parts[1:])
    if parts[:2] == ("include", "convpool"):
        return layer_of(parts[2:])
    return None, None


def include_layer(text):
    parts = pathlib.PurePosixPath(text).parts
    if parts and parts[0] == "convpool":
        parts = parts[1:]
    if len(parts) < 2:
        return None, None  # a header beside the file, or a generated one (op_list.inc)
    return layer_of(parts)


def check(root):
    problems = []
    files = sorted(p for d in ("src", "include") for p in (root / d).rglob("*")
                   if p.suffix in (".cpp", ".hpp", ".inc"))
    if not files:
        return [f"no sources found under {root}"]
    unplaced = []
    for path in files:
        rel = path.relative_to(root)
        layer, sub = file_layer(rel)
        if layer is None:
            unplaced.append(str(rel))
            continue
        text = path.read_text(encoding="utf-8")
        for m in INCLUDE.finditer(text):
            inc_layer, inc_sub = include_layer(m.group(1))
            if inc_layer is None:
                continue
            line = text.count("\n", 0, m.start()) + 1
            if RANK[inc_layer] > RANK[layer]:
                problems.append(f"{rel}:{line}: {layer}/ includes {m.group(1)} from {inc_layer}/, "
                                f"a higher layer")
            elif layer == "ops" and inc_layer == "ops" and OPS_RANK[inc_sub] > OPS_RANK[sub]:
                problems.append(f"{rel}:{line}: ops/{sub or '<op>'} includes {m.group(1)}: "
                                f"ops/common may not use ops/fast or an op file, ops/fast not an "
                                f"op file")
        if layer in NO_HEAVY:
            for m in HEAVY.finditer(text):
                line = text.count("\n", 0, m.start()) + 1
                problems.append(f"{rel}:{line}: {layer}/ includes a heavy library "
                                f"({m.group(0).strip()}); call it through an interface in io/")
    for rel in unplaced:
        problems.append(f"{rel}: not in a layer folder ({', '.join(ORDER)})")
    return problems


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    problems = check(pathlib.Path(sys.argv[1]))
    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} layering problem(s); see docs/development.md, 'Layers'")
        return 1
    print("layers: every include points down")
    return 0


if __name__ == "__main__":
    sys.exit(main())
