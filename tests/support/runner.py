"""What the Python CLI tests share: running the binary, and the check of a one-line error.
Standard library only."""
import subprocess


def run_binary(binary, *args, cwd=None, stdin=None, timeout=120):
    """Runs `binary` with `args`; returns (exit code, stdout, stderr) as text, bytes that are not
    UTF-8 replaced."""
    p = subprocess.run([binary, *args], cwd=cwd, input=stdin, capture_output=True, text=True,
                       errors="replace", timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def assert_one_error_line(test, err, *fragments):
    """`err` is one `convpool: error:` line holding every fragment (a unittest.TestCase check);
    returns the line."""
    lines = err.splitlines()
    test.assertEqual(len(lines), 1, err)
    test.assertTrue(lines[0].startswith("convpool: error: "), err)
    for f in fragments:
        test.assertIn(f, lines[0])
    return lines[0]
