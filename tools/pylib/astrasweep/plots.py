"""The report's plots: one function per PNG, each returning what it drew.

A plot function takes the loaded archive and the PNG's path, draws, and
returns its manifest entry: the title, a sentence saying what the picture
shows, and the number of points drawn per series (the test asserts on
them). A plot with nothing to draw raises plotting.NoData with the reason;
the report then writes no picture and says why.
"""
import matplotlib
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
import numpy as np
import pandas as pd

from . import tables
from .mfu_heatmap import mfu_over_tp_pp
from .plotting import (NoData, config_label, gpu_axis, grid, label_columns, legend_below,
                       log_gib_axis, model_colors, new_figure, ok_points, save,
                       throughput_axis)

BREAKDOWN = [("compute_s", "compute", "#4C72B0"),
             ("exposed_comm_s", "exposed communication", "#DD8452"),
             ("bubble_s", "bubble (waiting for other stages)", "#A0A0A0")]


def throughput_vs_gpus(archive, path):
    ok = ok_points(archive)
    colors = model_colors(ok)
    figure = new_figure(10, 5.5)
    axis = figure.subplots()
    series = {}
    for place, (model, color) in enumerate(colors.items()):
        rows = ok[ok["model.name"] == model]
        # each model's dots a little beside its line, so the columns stay apart
        dodge = 2 ** (0.05 * (place - (len(colors) - 1) / 2))
        axis.scatter(rows["gpu_count"] * dodge, rows["tokens_per_s"], s=16, color=color,
                     alpha=0.3, linewidths=0)
        best = rows.groupby("gpu_count")["tokens_per_s"].max()
        axis.plot(best.index, best.to_numpy(), "-o", color=color, markersize=5)
        axis.plot(best.index, best.iloc[0] * best.index / best.index[0], ":", color=color,
                  linewidth=1)
        series[model] = len(rows)
    gpu_axis(axis, ok["gpu_count"])
    throughput_axis(axis, ok["tokens_per_s"])
    axis.grid(True, which="major", alpha=0.3)
    handles = [Line2D([], [], color=colors[model], marker="o", markersize=5, label=model)
               for model in colors]
    handles.append(Line2D([], [], color="grey", marker="o", linestyle="", alpha=0.4,
                          label="other configurations that fit"))
    if ok["gpu_count"].nunique() > 1:
        handles.append(Line2D([], [], color="grey", linestyle=":",
                              label="linear scaling from the fewest GPUs"))
    axis.legend(handles=handles, title="model: best configuration\nper GPU count",
                loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize="small")
    axis.set_title("Training throughput against GPU count")
    save(figure, path)
    return {"title": "Training throughput against GPU count",
            "description": "For each model, the tokens/s of its best configuration at each GPU "
                           "count (line), every other configuration that fits (faint dots), and "
                           "linear scaling from the fewest GPUs (dotted).",
            "series": series}


def step_time_breakdown(archive, path):
    best = tables.best_per_model_and_gpus(archive)
    if best.empty:
        raise NoData("no point has status ok, so there is no best configuration to break down")
    parts = archive.points.set_index("point_index").loc[best["point_index"],
                                                        [part for part, _, _ in BREAKDOWN]]
    best = best.join(parts.reset_index(drop=True))
    columns, note = label_columns(best, tables.configuration_columns(archive))
    models = list(dict.fromkeys(best["model.name"]))
    bars = best.groupby("model.name").size().max()
    rows_n, columns_n = grid(len(models), 2)
    figure = new_figure(max(5.0, bars + 1.5) * columns_n, 4.4 * rows_n + 0.8)
    axes = figure.subplots(rows_n, columns_n, squeeze=False)
    series = {}
    for axis, model in zip(axes.flat, models):
        series[model] = _breakdown_panel(axis, best[best["model.name"] == model], columns)
        axis.set_title(model)
    for axis in axes.flat[len(models):]:
        axis.set_visible(False)
    legend_below(figure, [Patch(color=color, label=label) for _, label, color in BREAKDOWN], 3)
    figure.suptitle("Where the step time goes: the best configuration per model and GPU count\n"
                    + note, fontsize="medium")
    save(figure, path)
    return {"title": "Step-time breakdown of the best configurations",
            "description": "For each model and GPU count, the step time of the configuration "
                           "with the most tokens/s, stacked as compute, exposed communication "
                           "and pipeline bubble (which add up to the step time); each bar is "
                           "labelled with its configuration, step time and shares.",
            "series": series}


def _breakdown_panel(axis, rows, columns):
    """One model's stacked bars, a bar per GPU count; returns how many."""
    rows = rows.sort_values("gpu_count")
    places = np.arange(len(rows))
    bottom = np.zeros(len(rows))
    for part, label, color in BREAKDOWN:
        axis.bar(places, rows[part], bottom=bottom, color=color, width=0.6, label=label)
        bottom += rows[part].to_numpy()
    labels = []
    for place, (_, row) in zip(places, rows.iterrows()):
        step = row["step_time_s"]
        axis.annotate(f"{step:.3g} s\nexposed comm {row['exposed_comm_s'] / step:.1%}\n"
                      f"bubble {row['bubble_s'] / step:.1%}", (place, step), ha="center",
                      va="bottom", xytext=(0, 2), textcoords="offset points", fontsize="x-small")
        labels.append(f"{row['gpu_count']} GPUs\n{config_label(row, columns, 12)}")
    axis.set_xticks(places, labels, fontsize="small")
    axis.set_ylim(0, rows["step_time_s"].max() * 1.3)
    axis.set_ylabel("time per step (s)")
    axis.grid(True, axis="y", alpha=0.3)
    return len(rows)


def memory_vs_capacity(archive, path):
    points = archive.points
    shown = points[points["status"].isin(["ok", "infeasible"]) & points["peak_mem_gib"].notna()]
    if shown.empty:
        raise NoData("no point has a peak memory (every point failed)")
    models = tables.model_order(shown)
    rows_n, columns_n = grid(len(models), 2)
    figure = new_figure(max(7.0, 6.0 * columns_n), 3.8 * rows_n + 0.8)
    axes = figure.subplots(rows_n, columns_n, squeeze=False, sharey=True)
    panel = _MemoryPanel(shown)
    series = {model: panel.draw(axis, model) for axis, model in zip(axes.flat, models)}
    if panel.log:
        axes.flat[0].set_ylim(shown["peak_mem_gib"].min() / 1.3, panel.top * 1.3)
    else:
        axes.flat[0].set_ylim(0, panel.top * 1.06)
    for axis in axes.flat[len(models):]:
        axis.set_visible(False)
    legend_below(figure, panel.handles(), 1 + len(panel.gpus))
    figure.suptitle("Peak memory per GPU against the GPU's capacity")
    save(figure, path)
    return {"title": "Peak memory per GPU against capacity",
            "description": "For each model, every configuration's peak memory per GPU in GiB "
                           "(dots fit, crosses do not) against how many GPUs a replica is "
                           "split over, with the GPU's memory (solid) and what is usable after "
                           "the reserve (dashed).",
            "series": series}


class _MemoryPanel:
    """One model's peak memory per configuration, by the GPUs a replica is split over,
    against each GPU's capacity: blue dots fit and red crosses do not, or with several
    GPUs in the sweep, each GPU's points and lines in a colour of its own."""

    GPU = ["hardware.name", "hardware.memory_gib", "usable_mem_gib"]
    FITS, OVER = "#4C72B0", "#C44E52"

    def __init__(self, shown):
        self.shown = shown
        self.gpus = list(shown.groupby(self.GPU).size().index)
        palette = matplotlib.colormaps["tab10"].colors
        self.colors = {gpu: palette[place % len(palette)] for place, gpu in enumerate(self.gpus)}
        capacity = max(memory for _, memory, _ in self.gpus)
        self.top = max(shown["peak_mem_gib"].max(), capacity)
        self.log = self.top > 4 * capacity
        self.split = shown["parallelism.tp"] * shown["parallelism.cp"] * shown["parallelism.pp"]
        self.with_cp = (shown["parallelism.cp"] > 1).any()
        self.jitter = np.random.default_rng(0)

    def draw(self, axis, model):
        """Draws the panel; returns how many points it shows."""
        rows = self.shown[self.shown["model.name"] == model]
        ways = self.split[rows.index]
        places = {value: place for place, value in enumerate(sorted(ways.unique()))}
        positions = ways.map(places) + self.jitter.uniform(-0.25, 0.25, len(rows))
        for gpu in self.gpus:
            mine = (rows[self.GPU] == gpu).all(axis=1)
            fits = mine & (rows["status"] == "ok")
            over = mine & (rows["status"] != "ok")
            axis.scatter(positions[over], rows["peak_mem_gib"][over], s=18, marker="x",
                         color=self._color(gpu, self.OVER), alpha=0.7, linewidths=1)
            axis.scatter(positions[fits], rows["peak_mem_gib"][fits], s=14, alpha=0.6,
                         color=self._color(gpu, self.FITS), linewidths=0, zorder=3)
            axis.axhline(gpu[1], color=self._color(gpu, "black"), linewidth=1)
            axis.axhline(gpu[2], color=self._color(gpu, "black"), linewidth=1, linestyle="--")
        axis.set_xticks(range(len(places)), [f"{value:g}" for value in places], fontsize="small")
        axis.set_xlim(-0.6, len(places) - 0.4)
        axis.set_xlabel("GPUs a replica is split over (tp x cp x pp)" if self.with_cp
                        else "GPUs a replica is split over (tp x pp)", fontsize="small")
        if self.log:
            log_gib_axis(axis)
        axis.set_ylabel("peak memory per GPU (GiB" + (", log scale)" if self.log else ")"))
        axis.set_title(model)
        axis.grid(True, axis="y", alpha=0.3)
        return len(rows)

    def _color(self, gpu, alone):
        return alone if len(self.gpus) == 1 else self.colors[gpu]

    def handles(self):
        """The legend: what fits and what does not, then each GPU's two lines."""
        several = len(self.gpus) > 1
        handles = [Line2D([], [], color="grey" if several else self.FITS, marker="o",
                          linestyle="", label="fits"),
                   Line2D([], [], color="grey" if several else self.OVER, marker="x",
                          linestyle="", label="does not fit (infeasible)")]
        for gpu in self.gpus:
            name, memory, usable = gpu
            color = self._color(gpu, "black")
            handles += [Line2D([], [], color=color, label=f"{name} memory: {memory:g} GiB"),
                        Line2D([], [], color=color, linestyle="--",
                               label=f"{name} usable: {usable:g} GiB "
                                     f"({memory - usable:g} reserved)")]
        return handles


def pareto_front(archive, path):
    ok = ok_points(archive)
    colors = model_colors(ok)
    fronts = {model: _front(ok[ok["model.name"] == model]) for model in colors}
    columns, note = label_columns(pd.concat(fronts.values()),
                                  tables.configuration_columns(archive))
    rows_n, columns_n = grid(len(colors), 2)
    figure = new_figure(6.2 * columns_n, 4.2 * rows_n + 0.6)
    axes = figure.subplots(rows_n, columns_n, squeeze=False)
    for axis, (model, color) in zip(axes.flat, colors.items()):
        axis.scatter(ok.loc[ok["model.name"] == model, "gpu_count"],
                     ok.loc[ok["model.name"] == model, "tokens_per_s"], s=14, color="grey",
                     alpha=0.35, linewidths=0)
        _draw_front(axis, fronts[model], columns, color)
        gpu_axis(axis, ok["gpu_count"])
        throughput_axis(axis, ok["tokens_per_s"])
        low, high = axis.get_ylim()
        axis.set_ylim(low, high * 1.25)  # room for the top label
        axis.grid(True, which="major", alpha=0.3)
        axis.set_title(model)
    for axis in axes.flat[len(colors):]:
        axis.set_visible(False)
    legend_below(figure, [Line2D([], [], color="black", marker="o", label="Pareto front"),
                          Line2D([], [], color="grey", marker="o", linestyle="", alpha=0.5,
                                 label="dominated configurations")], 2)
    figure.suptitle("Pareto front: the most tokens/s for the fewest GPUs\n" + note,
                    fontsize="medium")
    save(figure, path)
    return {"title": "Pareto front of throughput against GPU count",
            "description": "For each model, the configurations no other beats with as few GPUs "
                           "and as many tokens/s (the staircase, each labelled with its "
                           "parallelism), over every configuration that fits (grey).",
            "series": {model: len(front) for model, front in fronts.items()}}


def _front(rows):
    """The points no other has at most the GPUs and more tokens/s of."""
    ordered = rows.sort_values(["gpu_count", "tokens_per_s"], ascending=[True, False])
    best_so_far = -np.inf
    keep = []
    for index, tokens in zip(ordered.index, ordered["tokens_per_s"]):
        if tokens > best_so_far:
            keep.append(index)
            best_so_far = tokens
    return ordered.loc[keep]


def _draw_front(axis, front, columns, color):
    axis.plot(front["gpu_count"], front["tokens_per_s"], "-o", color=color,
              drawstyle="steps-post", markersize=6)
    for place, (_, row) in enumerate(front.iterrows()):
        # right of and below the first point, left of the others: inside the axes
        first = place == 0
        axis.annotate(config_label(row, columns, width=14),
                      (row["gpu_count"], row["tokens_per_s"]),
                      xytext=(8, -6) if first else (-8, 0), textcoords="offset points",
                      ha="left" if first else "right", va="top" if first else "center",
                      fontsize="x-small", bbox={"boxstyle": "round,pad=0.2",
                                                "facecolor": "white", "edgecolor": color,
                                                "alpha": 0.85})


# file name -> function, in the order the report draws them
PLOTS = {
    "throughput_vs_gpus.png": throughput_vs_gpus,
    "step_time_breakdown.png": step_time_breakdown,
    "mfu_tp_pp.png": mfu_over_tp_pp,
    "memory_vs_capacity.png": memory_vs_capacity,
    "pareto_throughput_gpus.png": pareto_front,
}
