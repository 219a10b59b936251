#!/usr/bin/python3
"""What tests/slurm/run_slurm_test asks of an archive, read as users read it (h5py).

  archive_check.py facts OUT.h5         key=value lines: the root attributes
                                        the test checks, the /points rows and
                                        whether their indices are distinct
  archive_check.py same-points A.h5 B.h5
                                        exit 0 when both hold the same points
                                        (by index, every column but eval_s and
                                        worker_rank); otherwise print the first
                                        differences and exit 1
"""
import sys

import h5py
import numpy

FACTS = ("status", "runs", "shard", "mpi_size", "points_total", "points_done", "points_ok",
         "points_failed", "points_infeasible", "simulator", "command_line")
# Where and how long a point ran: not part of what it is.
RUN_COLUMNS = ("eval_s", "worker_rank")


def text(value):
    return value.decode() if isinstance(value, bytes) else str(value)


def facts(path):
    with h5py.File(path, "r") as archive:
        for key in FACTS:
            print(f"{key}={text(archive.attrs.get(key, ''))}")
        indices = archive["points"]["index"]
        print(f"rows={len(indices)}")
        print(f"distinct_indices={len(numpy.unique(indices))}")
    return 0


def sorted_points(path):
    with h5py.File(path, "r") as archive:
        points = archive["points"][:]
    return points[numpy.argsort(points["index"], kind="stable")]


def same_points(path_a, path_b):
    a, b = sorted_points(path_a), sorted_points(path_b)
    if len(a) != len(b):
        print(f"{path_a} has {len(a)} points, {path_b} {len(b)}")
        return 1
    columns = [name for name in a.dtype.names if name not in RUN_COLUMNS]
    if columns != [name for name in b.dtype.names if name not in RUN_COLUMNS]:
        print(f"different columns: {a.dtype.names} and {b.dtype.names}")
        return 1
    differences = [(name, i) for name in columns
                   for i in numpy.flatnonzero(a[name] != b[name])]
    for name, i in differences[:10]:
        print(f"point {a['index'][i]}: {name} {a[name][i]!r} against {b[name][i]!r}")
    return 1 if differences else 0


def main(argv):
    if len(argv) == 3 and argv[1] == "facts":
        return facts(argv[2])
    if len(argv) == 4 and argv[1] == "same-points":
        return same_points(argv[2], argv[3])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
