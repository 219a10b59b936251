"""Archives for the Python tests, made by the astrasweep binary under test.

The binary is the tests' first argument (ctest passes the built one); each
archive is made once per test module, in a temporary folder.
"""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QUICKSTART = os.path.join(ROOT, "sweeps", "quickstart.yaml")

# Nothing runs: 1f1b does not fit (13B on 8 GPUs without model parallelism),
# interleaved needs pp >= 2 (fails when timed), tp 3 does not divide the heads
# (fails when its config is built, so it has no config).
NOTHING_FITS = f"""
name: nothing-fits
base: {os.path.join(ROOT, "sweeps", "points", "gpt-1.3b-a100.yaml")}
set: {{model: gpt-13b, training.global_batch: 64, parallelism.pp: 1, parallelism.dp: 8}}
axes:
  parallelism.tp: [1, 3]
  training.schedule: [1f1b, interleaved]
"""


def binary():
    """The astrasweep binary: the first argument (taken off sys.argv), else build/'s."""
    if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
        return os.path.abspath(sys.argv.pop(1))
    return os.path.join(ROOT, "build", "astrasweep")


def run_sweep(astrasweep, spec, out):
    """Runs `astrasweep run SPEC -o OUT` in one process; fails the test with its stderr."""
    result = subprocess.run([astrasweep, "run", spec, "-o", out, "--progress", "none"],
                            capture_output=True, text=True, cwd=ROOT)
    if result.returncode != 0:
        raise AssertionError(f"astrasweep run {spec} exited {result.returncode}:\n{result.stderr}")
    return out


def write_spec(folder, name, text):
    path = os.path.join(folder, name)
    with open(path, "w") as file:
        file.write(text)
    return path
