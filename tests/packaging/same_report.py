#!/usr/bin/env python3
"""Exits 1 (saying where) unless two report.csv files hold the same rows apart from the `ms`
column (wall times differ between runs). Usage: same_report.py EXPECTED GOT"""
import csv
import sys


def rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        table = list(csv.reader(f))
    ms = table[0].index("ms")
    return [row[:ms] + row[ms + 1:] for row in table]


expected, got = rows(sys.argv[1]), rows(sys.argv[2])
if len(expected) < 3:
    sys.exit("same_report: %s has only %d rows" % (sys.argv[1], len(expected)))
for i, (a, b) in enumerate(zip(expected, got)):
    if a != b:
        sys.exit("same_report: row %d differs:\n  expected %s\n  got      %s" % (i, a, b))
if len(expected) != len(got):
    sys.exit("same_report: %d rows expected, %d written" % (len(expected), len(got)))
