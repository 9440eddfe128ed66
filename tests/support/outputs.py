"""What the tests compare between two runs of convpool: the files of an output folder, and a
report.json without what differs from run to run (timings, the output folder, the build)."""
import os


def tree(root):
    """Relative path -> bytes of every file below root (report files excluded)."""
    out = {}
    for d, _, files in os.walk(root):
        for f in files:
            if f.startswith("report."):
                continue
            p = os.path.join(d, f)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, root)] = fh.read()
    return out


def strip_timings(report):
    """report.json as a dict, without what two runs of the same work may differ in."""
    report.pop("build", None)  # which convpool wrote it: report comparisons ignore it
    report.pop("throughput", None)  # the run's wall time
    for img in report["images"]:
        for st in img["stages"]:
            st["ms"] = 0
        img["output_dir"] = None
    return report
