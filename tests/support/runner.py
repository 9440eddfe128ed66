"""What the Python CLI tests share: running the binary, and the check of a one-line error.
Standard library only."""
import os
import subprocess


def run_binary(binary, *args, cwd=None, stdin=None, env=None, timeout=120, text=True,
               errors="replace"):
    """Runs `binary` with `args` in folder `cwd` (None: this process's), `stdin` on its standard
    input (text or bytes, as `text`; None: this process's), `env` (a dict) added to this process's
    environment; returns (exit code, stdout, stderr). With `text` both are text, bytes that are
    not UTF-8 decoded by `errors` ("replace", or "strict": raise, failing the test); otherwise
    bytes. A run longer than `timeout` seconds raises subprocess.TimeoutExpired."""
    p = subprocess.run([binary, *args], cwd=cwd, input=stdin, capture_output=True, text=text,
                       errors=errors if text else None, timeout=timeout,
                       env=None if env is None else dict(os.environ, **env))
    return p.returncode, p.stdout, p.stderr


def assert_one_error_line(test, err, *fragments):
    """`err` is one `convpool: error:` line, ending with a newline, holding every fragment (a
    unittest.TestCase check); returns the line."""
    test.assertEqual(err.count("\n"), 1, err)
    test.assertTrue(err.endswith("\n"), err)
    test.assertEqual(len(err.splitlines()), 1, err)  # no other line break (\r, \v, ...) either
    line = err[:-1]
    test.assertTrue(line.startswith("convpool: error: "), err)
    for f in fragments:
        test.assertIn(f, line)
    return line
