"""The report's summary tables, as DataFrames, and their text form.

Each table keeps the loaded column names (units in them) for its CSV;
`markdown` prints one with short headers and rounded numbers for
summary.md.
"""
import numpy as np
import pandas as pd

# the columns that say which configuration a point is, when present
CONFIGURATION = ["model.name", "hardware.name", "gpu_count", "parallelism.tp", "parallelism.cp",
                 "parallelism.pp", "parallelism.dp", "training.micro_batch"]
THROUGHPUT = ["tokens_per_s", "step_time_s", "mfu", "model_tflops_per_gpu", "peak_mem_gib",
              "usable_mem_gib"]


def configuration_columns(archive):
    """The columns naming a configuration: model, GPUs, parallelism, and whatever else
    the spec sweeps (a swept column equal to one of those, as `gpus`, is left out)."""
    points = archive.points
    columns = [name for name in CONFIGURATION if name in points.columns]
    if "parallelism.cp" in columns and (points["parallelism.cp"].fillna(1) == 1).all():
        columns.remove("parallelism.cp")
    if "hardware.name" in columns and points["hardware.name"].nunique() < 2:
        columns.remove("hardware.name")
    for name in archive.swept:
        if name in columns or any(_same(points[name], points[kept]) for kept in columns):
            continue
        columns.append(name)
    return columns


def _same(left, right):
    return left.astype(str).reset_index(drop=True).equals(right.astype(str).reset_index(drop=True))


def best_per_model_and_gpus(archive):
    """The ok point of most tokens/s for each model and GPU count."""
    ok = archive.points[archive.points["status"] == "ok"]
    if ok.empty:
        return pd.DataFrame(columns=configuration_columns(archive) + THROUGHPUT)
    best = ok.loc[ok.groupby(["model.name", "gpu_count"])["tokens_per_s"].idxmax()]
    columns = configuration_columns(archive) + THROUGHPUT + ["point_index", "id"]
    return order_models(best[columns], best)


def failures(archive):
    """Each failed point's configuration, stage and message."""
    described = archive.points.set_index("point_index")[configuration_columns(archive)]
    table = archive.failures.join(described, on="point_index")
    return table[["point_index"] + list(described.columns) + ["stage", "message"]]


def failure_reasons(failed):
    """The failures grouped by stage and message, most frequent first."""
    if failed.empty:
        return pd.DataFrame(columns=["points", "stage", "message", "example_point"])
    # "file:line:col: point 12: ..." says the same for every point but the number
    reason = failed["message"].str.replace(r"\bpoint \d+: ", "", regex=True)
    frame = pd.DataFrame({"stage": failed["stage"], "message": reason,
                          "point_index": failed["point_index"]})
    groups = frame.groupby(["stage", "message"], sort=False)["point_index"]
    table = pd.DataFrame({"points": groups.size(), "example_point": groups.min()}).reset_index()
    table = table.sort_values(["points", "example_point"], ascending=[False, True])
    return table[["points", "stage", "message", "example_point"]].reset_index(drop=True)


def infeasible(archive):
    """The points that do not fit: peak memory per GPU against what the GPU offers."""
    points = archive.points
    rows = points[points["status"] == "infeasible"].copy()
    rows["over_gib"] = rows["peak_mem_gib"] - rows["usable_mem_gib"]
    memory = ["peak_mem_gib", "usable_mem_gib", "hardware.memory_gib", "over_gib"]
    columns = configuration_columns(archive) + [name for name in memory if name in rows.columns]
    return order_models(rows[columns + ["point_index"]], rows, extra=["over_gib"])


def closest_to_fitting(infeasible):
    """Per model and GPU count: how many points do not fit, and the one closest to fitting."""
    groups = infeasible.groupby(["model.name", "gpu_count"], sort=False, dropna=False)
    closest = groups.head(1).reset_index(drop=True)
    closest.insert(2, "infeasible_points", groups.size().to_numpy())
    return closest


def model_order(points):
    """Model names from the smallest model to the largest (layers x hidden^2)."""
    if "model.name" not in points.columns:
        return []
    size = points.get("model.layers", 1) * points.get("model.hidden", 1) ** 2
    frame = pd.DataFrame({"name": points["model.name"], "size": size})
    return list(frame.groupby("name")["size"].max().sort_values(kind="stable").index)


def order_models(table, points, extra=()):
    rank = {name: place for place, name in enumerate(model_order(points))}
    keys = pd.DataFrame({"model": table["model.name"].map(rank), "gpus": table["gpu_count"]})
    for name in extra:
        keys[name] = table[name]
    order = keys.sort_values(list(keys.columns), kind="stable").index
    return table.loc[order].reset_index(drop=True)


# ---- text form

HEADERS = {
    "model.name": "model", "hardware.name": "hardware", "gpu_count": "GPUs",
    "training.micro_batch": "micro-batch", "tokens_per_s": "tokens/s",
    "step_time_s": "step (s)", "mfu": "MFU", "model_tflops_per_gpu": "TFLOP/s/GPU",
    "peak_mem_gib": "peak mem (GiB)", "usable_mem_gib": "usable (GiB)",
    "hardware.memory_gib": "GPU mem (GiB)", "over_gib": "over by (GiB)",
    "point_index": "point", "example_point": "example point",
    "infeasible_points": "infeasible points",
}
FORMATS = {
    "tokens_per_s": "{:,.0f}", "step_time_s": "{:.4g}", "mfu": "{:.1%}",
    "model_tflops_per_gpu": "{:.1f}", "peak_mem_gib": "{:.2f}", "usable_mem_gib": "{:.2f}",
    "hardware.memory_gib": "{:.0f}", "over_gib": "{:.2f}",
}


def header(name):
    return HEADERS.get(name, name.rsplit(".", 1)[-1])


def markdown(table, limit=None, drop=("id",)):
    """A Markdown table of `table` (its first `limit` rows), numbers rounded."""
    columns = [name for name in table.columns if name not in drop]
    shown = table if limit is None else table.head(limit)
    cells = [[_cell(name, row[name]) for name in columns] for _, row in shown.iterrows()]
    heads = [header(name) for name in columns]
    widths = [max([len(head)] + [len(row[i]) for row in cells]) for i, head in enumerate(heads)]
    numeric = [pd.api.types.is_numeric_dtype(table[name]) for name in columns]

    def line(values):
        padded = [value.rjust(width) if right else value.ljust(width)
                  for value, width, right in zip(values, widths, numeric)]
        return "| " + " | ".join(padded) + " |"

    rule = "|" + "|".join(("-" * (width + 1) + ":") if right else ("-" * (width + 2))
                          for width, right in zip(widths, numeric)) + "|"
    lines = [line(heads), rule] + [line(row) for row in cells]
    if limit is not None and len(table) > limit:
        lines.append(f"\n... and {len(table) - limit} more rows")
    return "\n".join(lines)


def _cell(name, value):
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ""
    if name in FORMATS:
        return FORMATS[name].format(value)
    text = str(value)
    return text.replace("|", "\\|").replace("\n", " ")
