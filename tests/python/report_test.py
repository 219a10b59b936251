"""tools/report on the quickstart archive: every table written, every PNG drawn and showing data.

Run by ctest through tools/python:  tools/python tests/python/report_test.py BUILD/astrasweep
The quickstart's report runs as users run it (tools/report); the others in
this process, to save starting Python for each.
"""
import contextlib
import io
import json
import os
import struct
import subprocess
import tempfile
import unittest

import matplotlib.image
import numpy as np
import pandas as pd

import sweeps  # tests/python/sweeps.py, beside this file

from astrasweep import report

ASTRASWEEP = sweeps.binary()
REPORT = os.path.join(sweeps.ROOT, "tools", "report")
# listed here rather than read from the package, so a plot that disappears fails
PLOTS = ["throughput_vs_gpus.png", "step_time_breakdown.png", "mfu_tp_pp.png",
         "memory_vs_capacity.png", "pareto_throughput_gpus.png"]
MODELS = ["gpt-1.3b", "gpt-2.7b", "gpt-6.7b", "gpt-13b"]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def setUpModule():
    global folder
    folder = tempfile.TemporaryDirectory(prefix="astrasweep-report-test-")


def tearDownModule():
    folder.cleanup()


def report_in_process(*arguments):
    """(exit code, stderr) of the report's main()."""
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = report.main(list(arguments))
        except SystemExit as exit:  # argparse's usage errors
            code = exit.code
    return code, stderr.getvalue()


def png_size(path):
    """(width, height) from the PNG's header; fails on anything but a PNG."""
    with open(path, "rb") as file:
        head = file.read(24)
    if head[:8] != PNG_SIGNATURE or head[12:16] != b"IHDR":
        raise AssertionError(f"{path} is not a PNG")
    return struct.unpack(">II", head[16:24])


class QuickstartReportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        archive = sweeps.run_sweep(ASTRASWEEP, sweeps.QUICKSTART,
                                   os.path.join(folder.name, "quickstart.h5"))
        cls.out = os.path.join(folder.name, "quickstart-report")
        result = subprocess.run([REPORT, archive, "-o", cls.out], capture_output=True, text=True)
        if result.returncode != 0:
            raise AssertionError(f"tools/report exited {result.returncode}:\n{result.stderr}")
        with open(os.path.join(cls.out, "report.json")) as file:
            cls.manifest = json.load(file)

    def test_every_plot_drawn(self):
        self.assertEqual(self.manifest["skipped"], {}, "a plot was skipped on the quickstart")
        self.assertEqual(sorted(self.manifest["plots"]), sorted(PLOTS))

    def test_each_png_is_a_png_of_sensible_size(self):
        for name in PLOTS:
            with self.subTest(plot=name):
                path = os.path.join(self.out, name)
                self.assertTrue(os.path.exists(path), f"{name} was not written")
                width, height = png_size(path)
                self.assertTrue(600 <= width <= 4000 and 400 <= height <= 4000,
                                f"{name} is {width} x {height} pixels")
                self.assertGreater(os.path.getsize(path), 20_000, f"{name} is nearly empty")

    def test_each_png_shows_every_model(self):
        for name in PLOTS:
            with self.subTest(plot=name):
                entry = self.manifest["plots"][name]
                self.assertEqual(sorted(entry["series"]), sorted(MODELS),
                                 f"{name} does not draw each model")
                for model, points in entry["series"].items():
                    self.assertGreater(points, 0, f"{name} draws no point of {model}")
                self.assertTrue(entry["title"] and entry["description"])

    def test_each_png_has_ink(self):
        for name in PLOTS:
            with self.subTest(plot=name):
                pixels = matplotlib.image.imread(os.path.join(self.out, name))[..., :3]
                inked = (pixels.min(axis=2) < 0.9).mean()
                rgb = (pixels * 255).astype(np.uint32)
                colours = len(np.unique(rgb[..., 0] << 16 | rgb[..., 1] << 8 | rgb[..., 2]))
                self.assertGreater(inked, 0.02, f"{name}: {inked:.1%} of the pixels are not white")
                self.assertGreater(colours, 20, f"{name} has {colours} colours: no data drawn?")

    def test_series_counts(self):
        plots = self.manifest["plots"]
        # every ok point is a dot of the throughput plot; 12 infeasible points of 294
        self.assertEqual(plots["throughput_vs_gpus.png"]["points"], 282)
        self.assertEqual(plots["memory_vs_capacity.png"]["points"], 294)
        # one bar per model and GPU count (8, 32, 64)
        self.assertEqual(plots["step_time_breakdown.png"]["series"], {model: 3 for model in MODELS})

    def test_tables(self):
        best = pd.read_csv(os.path.join(self.out, "best.csv"))
        self.assertEqual(len(best), 12, "one best configuration per model and GPU count")
        self.assertEqual(sorted(best["gpu_count"].unique()), [8, 32, 64])
        self.assertTrue((best["peak_mem_gib"] <= best["usable_mem_gib"]).all())
        infeasible = pd.read_csv(os.path.join(self.out, "infeasible.csv"))
        self.assertEqual(len(infeasible), 12)
        self.assertTrue((infeasible["over_gib"] > 0).all())
        failures = pd.read_csv(os.path.join(self.out, "failures.csv"))
        self.assertTrue(failures.empty)

    def test_summary(self):
        with open(os.path.join(self.out, "summary.md")) as file:
            summary = file.read()
        for heading in ["## Best configuration per model and GPU count", "## Failures",
                        "## Infeasible points", "## Plots"]:
            self.assertIn(heading, summary)
        self.assertIn("No point failed.", summary)
        self.assertIn("12 points do not fit", summary)
        self.assertIn("(GiB)", summary)
        self.assertNotIn(" GB", summary, "memory must be in GiB")


class NothingFitsReportTest(unittest.TestCase):
    """Plots without data are not drawn, and say why; the others still are."""

    @classmethod
    def setUpClass(cls):
        spec = sweeps.write_spec(folder.name, "nothing-fits.yaml", sweeps.NOTHING_FITS)
        archive = sweeps.run_sweep(ASTRASWEEP, spec, os.path.join(folder.name, "none.h5"))
        cls.out = os.path.join(folder.name, "none-report")
        os.makedirs(cls.out)
        # a picture from an earlier report must not survive as if it were this one's
        with open(os.path.join(cls.out, "pareto_throughput_gpus.png"), "wb") as file:
            file.write(PNG_SIGNATURE)
        cls.code, cls.stderr = report_in_process(archive, "-o", cls.out)
        with open(os.path.join(cls.out, "report.json")) as file:
            cls.manifest = json.load(file)

    def test_succeeds(self):
        self.assertEqual(self.code, 0, self.stderr)

    def test_plots_without_data_skipped_with_a_reason(self):
        skipped = self.manifest["skipped"]
        self.assertEqual(sorted(skipped), sorted(name for name in PLOTS
                                                 if name != "memory_vs_capacity.png"))
        for name, reason in skipped.items():
            self.assertIn("no point has status ok", reason)
            self.assertFalse(os.path.exists(os.path.join(self.out, name)), f"{name} left behind")
            self.assertIn(f"no {name}", self.stderr)

    def test_memory_plot_shows_the_infeasible_point(self):
        self.assertEqual(self.manifest["plots"]["memory_vs_capacity.png"]["points"], 1)
        png_size(os.path.join(self.out, "memory_vs_capacity.png"))

    def test_summary_says_why(self):
        with open(os.path.join(self.out, "summary.md")) as file:
            summary = file.read()
        self.assertIn("No point is ok.", summary)
        self.assertIn("3 points failed", summary)
        self.assertIn("`mfu_tp_pp.png`: not drawn: no point has status ok", summary)
        failures = pd.read_csv(os.path.join(self.out, "failures.csv"))
        self.assertEqual(list(failures["stage"]), ["pipeline", "config", "config"])


class BadArchiveTest(unittest.TestCase):
    def test_missing_archive(self):
        missing = os.path.join(folder.name, "missing.h5")
        code, stderr = report_in_process(missing, "-o", os.path.join(folder.name, "missing-report"))
        self.assertEqual(code, 2)
        self.assertEqual(stderr, f"report: {missing}: no such file\n")

    def test_not_an_archive(self):
        path = sweeps.write_spec(folder.name, "text.h5", "hello\n")
        code, stderr = report_in_process(path, "-o", os.path.join(folder.name, "text-report"))
        self.assertEqual(code, 2)
        self.assertIn(f"report: {path}: not an HDF5 file", stderr)

    def test_usage(self):
        code, stderr = report_in_process()
        self.assertEqual(code, 2)
        self.assertIn("usage: report", stderr)


if __name__ == "__main__":
    unittest.main()
