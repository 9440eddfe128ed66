"""Runs the unittest cases of a CLI test file a few at a time, for the test files' __main__.

Every case of these files starts convpool in its own temporary folder and mostly waits for it,
so cases run on threads (the GIL is released while waiting). Each case has its own result; the
cases are reported in file order with their times, as `unittest.main(verbosity=2)` would, and the exit status is 1
when any case failed. With test names or unittest options on the command line (e.g.
`-k interrupt`), plain `unittest.main` runs instead, one case after another.
Standard library only.
"""
import concurrent.futures
import io
import os
import sys
import time
import unittest


def _cases(suite):
    for test in suite:
        if isinstance(test, unittest.TestSuite):
            yield from _cases(test)
        else:
            yield test


def _run_one(test):
    stream = io.StringIO()
    result = unittest.TextTestResult(unittest.runner._WritelnDecorator(stream), True, 2)
    start = time.monotonic()
    test(result)
    seconds = time.monotonic() - start
    if not result.wasSuccessful():
        result.printErrors()  # to the case's own stream, printed right after its line
    return result, stream.getvalue(), seconds


def main(module="__main__"):
    """Runs every case of `module` (its BIN and ROOT already set); exits with unittest's status."""
    if len(sys.argv) > 1:
        unittest.main(module=module, verbosity=2)
    workers = int(os.environ.get("CONVPOOL_TEST_WORKERS", "0")) or min(4, os.cpu_count() or 1)
    tests = list(_cases(unittest.defaultTestLoader.loadTestsFromModule(sys.modules[module])))
    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        outcomes = list(pool.map(_run_one, tests))
    failed = 0
    for result, text, seconds in outcomes:
        sys.stderr.write("[%5.1f s] %s" % (seconds, text))
        failed += 0 if result.wasSuccessful() else 1
    ran = sum(result.testsRun for result, _, _ in outcomes)
    print("\nRan %d tests in %.1f s on %d threads: %s" % (
        ran, time.monotonic() - start, workers,
        "OK" if not failed else "FAILED (%d failed)" % failed), file=sys.stderr)
    sys.exit(1 if failed else 0)
