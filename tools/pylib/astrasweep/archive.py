"""An astrasweep archive (OUT.h5) as pandas DataFrames.

`load(path)` reads every table of the archive, decodes its text (HDF5
keeps it as bytes), sorts the rows by point, makes the status categorical,
and joins each point's canonical config to /points as typed columns with
units in their names (see configs.py). What it adds to /points:

- `point_index` (the archive's `index`, renamed so it joins the other
  tables' `point_index`), `gpu_count` (tp x cp x pp x dp),
  `peak_mem_gib` (replacing `peak_mem_bytes`: memory is in GiB, 2^30 bytes,
  everywhere), `usable_mem_gib` (the hardware's memory less what it
  reserves: a point fits when its peak is at most this) and `config` (the
  canonical YAML);
- NaN rather than 0 for the timings of a failed point, which has none.

A swept column that is also a config key (`parallelism.tp`) appears once.
"""
import dataclasses
import os

import h5py
import numpy as np
import pandas as pd

from . import configs

GIB = configs.GIB
STATUSES = ["ok", "infeasible", "failed"]
TABLES = ["points", "rank_timings", "workers", "failures", "configs"]

# /points columns that are neither swept keys nor config (result_fields.cc)
RESULTS = ["step_time_s", "tokens_per_s", "model_tflops_per_gpu", "mfu", "compute_s",
           "tp_comm_s", "pp_comm_s", "dp_comm_s", "exposed_comm_s", "bubble_s",
           "peak_mem_bytes", "fits_memory"]
TIMINGS = RESULTS[:10]
BOOKKEEPING = ["sim_runs", "cache_hits", "cache_misses", "eval_s", "worker_rank"]
IDENTITY = ["index", "id", "status", "mode"]


class ArchiveError(Exception):
    """The file is missing, not HDF5, or not an astrasweep archive."""


@dataclasses.dataclass
class Archive:
    path: str
    points: pd.DataFrame        # one row per point, the config joined
    rank_timings: pd.DataFrame  # one row per pipeline stage (or simulated rank) of a point
    workers: pd.DataFrame       # one row per MPI rank and run
    failures: pd.DataFrame      # one row per failed point: stage and message
    attrs: dict                 # provenance: spec, command line, counts, ...
    swept: list                 # the points columns the spec sweeps (axes and derives)


def load(path):
    """Reads the archive at `path`; raises ArchiveError naming the file."""
    path = os.fspath(path)
    with _open(path) as archive:
        missing = [name for name in TABLES if name not in archive]
        if missing:
            raise ArchiveError(f"{path}: not an astrasweep archive: no table "
                               f"{', '.join('/' + name for name in missing)}")
        tables = {name: archive[name][:] for name in TABLES}
        attrs = {key: _decode_value(value) for key, value in archive.attrs.items()}
    texts = configs.join_parts(tables["configs"])
    points, swept = _points(tables["points"], texts)
    return Archive(
        path=path,
        points=points,
        rank_timings=_sorted(_frame(tables["rank_timings"]), ["point_index", "npu"]),
        workers=_sorted(_frame(tables["workers"]), ["run", "rank"]),
        failures=_sorted(_frame(tables["failures"]), ["point_index"]),
        attrs=attrs,
        swept=swept,
    )


def _open(path):
    if not os.path.exists(path):
        raise ArchiveError(f"{path}: no such file")
    if os.path.isdir(path):
        raise ArchiveError(f"{path}: is a folder, not an archive")
    if not h5py.is_hdf5(path):
        raise ArchiveError(f"{path}: not an HDF5 file (an astrasweep archive is the "
                           "OUT.h5 that `astrasweep run SPEC.yaml -o OUT.h5` writes)")
    try:
        return h5py.File(path, "r")
    except OSError as error:
        raise ArchiveError(f"{path}: cannot open: {error}") from error


def _decode_value(value):
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, np.generic):
        return value.item()
    return value


def _frame(rows):
    """A DataFrame of a compound array, its byte strings decoded."""
    frame = pd.DataFrame(rows)
    for name in frame.columns:
        if frame[name].dtype == object:
            frame[name] = frame[name].str.decode("utf-8", errors="replace")
    return frame


def _sorted(frame, keys):
    return frame.sort_values(keys, kind="stable").reset_index(drop=True)


def _points(rows, texts):
    raw = _sorted(_frame(rows), ["index"]).rename(columns={"index": "point_index"})
    raw["status"] = pd.Categorical(raw["status"], categories=STATUSES)
    failed = raw["status"] == "failed"
    raw.loc[failed, TIMINGS] = np.nan
    raw["peak_mem_gib"] = raw.pop("peak_mem_bytes").where(lambda mem: mem > 0) / GIB
    raw["fits_memory"] = raw["fits_memory"].astype(bool)

    config = configs.config_columns(texts).reindex(raw["point_index"].to_numpy())
    config.index = raw.index
    derived = pd.DataFrame({"gpu_count": _gpu_count(config),
                            "usable_mem_gib": _usable_memory(config)}, index=raw.index)
    known = set(IDENTITY) | {"point_index"} | set(RESULTS) | set(BOOKKEEPING) | {"peak_mem_gib"}
    swept = [name for name in raw.columns if name not in known]
    # a swept config key takes the config's (typed) values in its place, but
    # for the points whose config could not be built (none archived)
    for name in swept:
        if name in config.columns:
            typed = config.pop(name)
            raw[name] = typed.where(typed.notna(), raw[name]) if typed.isna().any() else typed

    head = ["point_index", "id", "status", "mode"] + swept
    results = [name for name in RESULTS if name != "peak_mem_bytes"] + ["peak_mem_gib"]
    points = pd.concat([raw[head], derived, raw[results], raw[BOOKKEEPING], config], axis=1)
    points["config"] = [texts.get(int(index), "") for index in points["point_index"]]
    return points, swept


def _gpu_count(config):
    degrees = [config[name] for name in
               ["parallelism.tp", "parallelism.cp", "parallelism.pp", "parallelism.dp"]
               if name in config.columns]
    if not degrees:
        return pd.Series(pd.NA, index=config.index, dtype="Int64")
    product = degrees[0].astype("Int64")
    for degree in degrees[1:]:
        product = product * degree.astype("Int64")
    return product if product.isna().any() else product.astype("int64")


def _usable_memory(config):
    if "hardware.memory_gib" not in config.columns:
        return pd.Series(np.nan, index=config.index)
    reserved = config.get("hardware.reserved_memory_gib", 0.0)
    return config["hardware.memory_gib"] - reserved
