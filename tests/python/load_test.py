"""astrasweep.load: an archive as DataFrames, text decoded, configs joined with units.

Run by ctest through tools/python:  tools/python tests/python/load_test.py BUILD/astrasweep
"""
import os
import tempfile
import unittest

import h5py
import numpy as np
import pandas as pd
import yaml

import sweeps  # tests/python/sweeps.py, beside this file

import astrasweep
from astrasweep import configs

ASTRASWEEP = sweeps.binary()
GIB = 2**30


def setUpModule():
    global folder, quickstart, nothing_fits
    folder = tempfile.TemporaryDirectory(prefix="astrasweep-load-test-")
    quickstart = sweeps.run_sweep(ASTRASWEEP, sweeps.QUICKSTART,
                                  os.path.join(folder.name, "quickstart.h5"))
    spec = sweeps.write_spec(folder.name, "nothing-fits.yaml", sweeps.NOTHING_FITS)
    nothing_fits = sweeps.run_sweep(ASTRASWEEP, spec, os.path.join(folder.name, "none.h5"))


def tearDownModule():
    folder.cleanup()


def text_columns(frame):
    return [name for name in frame.columns if frame[name].dtype == object]


class QuickstartTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.archive = astrasweep.load(quickstart)
        cls.points = cls.archive.points
        with h5py.File(quickstart, "r") as file:
            cls.raw = pd.DataFrame(file["points"][:]).sort_values("index").reset_index(drop=True)

    def test_every_point_in_index_order(self):
        self.assertEqual(len(self.points), self.archive.attrs["points_total"])
        self.assertTrue(self.points["point_index"].is_monotonic_increasing,
                        "points are not sorted by point_index")

    def test_no_text_left_as_bytes(self):
        for name, frame in [("points", self.points), ("failures", self.archive.failures),
                            ("workers", self.archive.workers)]:
            for column in text_columns(frame):
                kinds = {type(value) for value in frame[column].dropna()}
                self.assertLessEqual(kinds, {str}, f"{name}.{column} holds {kinds}")
        for key, value in self.archive.attrs.items():
            self.assertNotIsInstance(value, bytes, f"attribute {key} is still bytes")
        self.assertIsInstance(self.archive.attrs["points_total"], int)
        self.assertIn("quickstart", self.archive.attrs["spec"])

    def test_status_is_categorical(self):
        status = self.points["status"]
        self.assertIsInstance(status.dtype, pd.CategoricalDtype)
        self.assertEqual(list(status.cat.categories), ["ok", "infeasible", "failed"])
        counts = status.value_counts()
        for name in ["ok", "infeasible", "failed"]:
            self.assertEqual(counts[name], self.archive.attrs[f"points_{name}"], name)

    def test_memory_in_gib(self):
        self.assertNotIn("peak_mem_bytes", self.points.columns)
        np.testing.assert_allclose(self.points["peak_mem_gib"] * GIB, self.raw["peak_mem_bytes"])
        self.assertTrue((self.points["hardware.memory_gib"] == 80).all())
        self.assertTrue((self.points["usable_mem_gib"] == 80 - 6).all(),
                        "usable memory is the a100-80gb's 80 GiB less its 6 GiB reserved")
        infeasible = self.points["status"] == "infeasible"
        self.assertTrue((self.points.loc[infeasible, "peak_mem_gib"] >
                         self.points.loc[infeasible, "usable_mem_gib"]).all())

    def test_config_columns_typed_with_units(self):
        first = self.points.iloc[0]
        self.assertEqual(first["model.name"], "gpt-1.3b")
        self.assertEqual(first["hardware.name"], "a100-80gb")
        self.assertEqual(first["network.0.bandwidth_gb_per_s"], 300.0)
        self.assertEqual(first["network.1.latency_s"], 5e-6)
        self.assertEqual(first["hardware.peak_flops.bf16_tflop_per_s"], 312.0)
        self.assertEqual(self.points["model.layers"].dtype, np.int64)
        self.assertEqual(self.points["training.dp_overlap"].dtype, bool)
        self.assertEqual(list(self.points["model"]), list(self.points["model.name"]),
                         "the swept model (a preset name) is the config's model.name")

    def test_swept_keys_once_and_typed(self):
        self.assertEqual(self.archive.swept, ["model", "gpus", "parallelism.tp", "parallelism.pp",
                                              "training.micro_batch", "parallelism.dp"])
        self.assertEqual(len(set(self.points.columns)), len(self.points.columns))
        self.assertTrue((self.points["parallelism.tp"] == self.raw["parallelism.tp"]).all())

    def test_gpu_count_is_the_product_of_the_degrees(self):
        product = (self.points["parallelism.tp"] * self.points["parallelism.cp"] *
                   self.points["parallelism.pp"] * self.points["parallelism.dp"])
        self.assertTrue((self.points["gpu_count"] == product).all())
        self.assertTrue((self.points["gpu_count"] == self.points["gpus"]).all())

    def test_config_text_joined(self):
        with h5py.File(quickstart, "r") as file:
            parts = file["configs"][:]
        first = b"".join(row["text"] for row in parts if row["point_index"] == 0).decode()
        self.assertEqual(self.points.loc[0, "config"], first)
        self.assertEqual(yaml.safe_load(first)["parallelism"]["tp"],
                         self.points.loc[0, "parallelism.tp"])

    def test_fast_reader_agrees_with_pyyaml(self):
        for text in self.points["config"]:
            fast = configs._flatten_canonical(text)
            self.assertIsNotNone(fast, "a canonical config the fast reader gave up on")
            slow = {}
            configs._flatten_tree(yaml.safe_load(text), [], slow)
            self.assertEqual(fast, slow)

    def test_other_tables_sorted_and_decoded(self):
        timings = self.archive.rank_timings
        self.assertGreater(len(timings), len(self.points))
        self.assertTrue(timings["point_index"].is_monotonic_increasing)
        self.assertEqual(self.archive.workers.loc[0, "points"], len(self.points))
        self.assertIsInstance(self.archive.workers.loc[0, "host"], str)
        self.assertTrue(self.archive.failures.empty)


class FailedPointsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.archive = astrasweep.load(nothing_fits)
        cls.points = cls.archive.points.set_index("point_index")

    def test_failed_points_have_no_timings(self):
        failed = self.points[self.points["status"] == "failed"]
        self.assertEqual(len(failed), 3)
        self.assertTrue(failed[["step_time_s", "tokens_per_s", "mfu"]].isna().all().all(),
                        "a failed point's timings read as 0 rather than NaN")

    def test_a_point_without_config_keeps_its_swept_values(self):
        self.assertEqual(self.points.loc[2, "parallelism.tp"], 3)
        self.assertTrue(pd.isna(self.points.loc[2, "model.name"]))
        self.assertEqual(self.points.loc[2, "config"], "")

    def test_failures_decoded(self):
        failures = self.archive.failures
        self.assertEqual(list(failures["point_index"]), [1, 2, 3])
        self.assertEqual(list(failures["stage"]), ["pipeline", "config", "config"])
        self.assertIn("does not divide model.heads", failures.loc[1, "message"])


class ErrorTest(unittest.TestCase):
    def assertRefused(self, path, words):
        with self.assertRaises(astrasweep.ArchiveError) as raised:
            astrasweep.load(path)
        self.assertIn(path, str(raised.exception))
        self.assertIn(words, str(raised.exception))

    def test_missing_file(self):
        self.assertRefused(os.path.join(folder.name, "missing.h5"), "no such file")

    def test_not_hdf5(self):
        path = sweeps.write_spec(folder.name, "not.h5", "not an archive\n")
        self.assertRefused(path, "not an HDF5 file")

    def test_hdf5_without_the_tables(self):
        path = os.path.join(folder.name, "other.h5")
        with h5py.File(path, "w") as file:
            file["points"] = np.zeros(3)
        self.assertRefused(path, "not an astrasweep archive: no table /rank_timings")


if __name__ == "__main__":
    unittest.main()
