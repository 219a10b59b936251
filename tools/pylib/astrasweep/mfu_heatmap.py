"""The report's MFU plot: a heatmap over tp x pp per model and GPU count.

Each cell is the best MFU of the ok points with that split, over every
other swept key (micro-batch, ...); a cell that was swept but where nothing
fits or runs is hatched, one not in the sweep is blank.
"""
import math
import textwrap

import matplotlib
import matplotlib.patches
from matplotlib import colors as mcolors
import numpy as np

from . import plotting, tables

TITLE = "MFU (%) over tensor (tp) x pipeline (pp) parallelism"
NOTE = ("each cell: the best over the other swept keys; hatched: swept, but nothing fits in "
        "memory or runs; blank: not in the sweep")


def mfu_over_tp_pp(archive, path, max_gpu_columns=6):
    ok = plotting.ok_points(archive)
    points = archive.points
    models = tables.model_order(points)
    counts = sorted(points["gpu_count"].dropna().unique())
    if len(counts) > max_gpu_columns:
        picks = np.linspace(0, len(counts) - 1, max_gpu_columns).round().astype(int)
        counts = [counts[pick] for pick in sorted(set(picks))]
    split = ["model.name", "gpu_count", "parallelism.tp", "parallelism.pp"]
    best = ok.groupby(split)["mfu"].max() * 100
    heatmap = _Heatmap(best, set(points.groupby(split).groups),
                       sorted(points["parallelism.tp"].dropna().unique()),
                       sorted(points["parallelism.pp"].dropna().unique()))
    figure, axes, colorbar_axis = _heatmap_grid(len(models), len(counts), heatmap.shape)
    series = {}
    for row, model in enumerate(models):
        series[model] = sum(heatmap.draw(axes[row][column], model, count)
                            for column, count in enumerate(counts))
    figure.colorbar(heatmap.image, cax=colorbar_axis, label="MFU (%): model FLOPs over peak")
    plotting.save(figure, path)
    return {"title": "MFU over tp x pp",
            "description": "A heatmap per model (rows) and GPU count (columns): the best MFU, "
                           "in percent, of each tensor- and pipeline-parallel split over the "
                           "other swept keys; hatched cells were swept but nothing fits or "
                           "runs there, blank ones were not swept.",
            "series": series}


class _Heatmap:
    """Draws one model and GPU count's MFU over tp (x) and pp (y), on one colour scale."""

    def __init__(self, best, tried, tps, pps):
        self.best, self.tried, self.tps, self.pps = best, tried, tps, pps
        self.shape = (len(pps), len(tps))
        self.norm = mcolors.Normalize(vmin=math.floor(best.min() / 10) * 10, vmax=best.max())
        self.cmap = matplotlib.colormaps["viridis"].copy()
        self.cmap.set_bad("white")
        self.image = None

    def draw(self, axis, model, count):
        """Draws the panel; returns how many cells have an MFU."""
        grid = np.full(self.shape, np.nan)
        for up, pp in enumerate(self.pps):
            for across, tp in enumerate(self.tps):
                key = (model, count, tp, pp)
                if key in self.best.index:
                    grid[up, across] = self.best[key]
                    axis.text(across, up, f"{self.best[key]:.0f}", ha="center", va="center",
                              fontsize="x-small",
                              color="white" if self.norm(self.best[key]) < 0.5 else "black")
                elif key in self.tried:
                    axis.add_patch(matplotlib.patches.Rectangle(
                        (across - 0.5, up - 0.5), 1, 1, facecolor="#E0E0E0", hatch="////",
                        edgecolor="#B0B0B0", linewidth=0))
        self.image = axis.imshow(grid, cmap=self.cmap, norm=self.norm, origin="lower")
        axis.set_xticks(range(len(self.tps)), [str(tp) for tp in self.tps], fontsize="x-small")
        axis.set_yticks(range(len(self.pps)), [str(pp) for pp in self.pps], fontsize="x-small")
        axis.tick_params(length=0)
        axis.set_title(f"{model}, {count:g} GPUs", fontsize="small")
        axis.set_xlabel("tp", fontsize="small", labelpad=1)
        axis.set_ylabel("pp", fontsize="small", labelpad=1)
        return int(np.isfinite(grid).sum())


def _heatmap_grid(rows, columns, shape):
    """A figure of rows x columns heatmaps of `shape` cells, and an axis for the colour bar.

    Laid out by hand, in inches: the constrained layout takes seconds for a grid of many
    small axes with a label in every cell. The panels are centred under the title."""
    right, bottom, across, down = 1.3, 0.45, 0.6, 0.75
    cell = max(0.42, min(0.9, 1.8 / max(shape)))  # inches: larger when there are few
    panel_w, panel_h = shape[1] * cell, shape[0] * cell
    panels_w = columns * panel_w + (columns - 1) * across
    width = max(6.5, 0.55 + panels_w + right)
    left = (width - panels_w - right) / 2 + 0.25
    title = [TITLE] + textwrap.wrap(NOTE, int(width * 12))
    top = 0.45 + 0.2 * len(title)
    block_h = rows * panel_h + (rows - 1) * down
    height = top + max(block_h, 1.8) + bottom
    figure = plotting.new_figure(width, height, layout=None)
    axes = [[figure.add_axes([(left + column * (panel_w + across)) / width,
                              1 - (top + row * (panel_h + down) + panel_h) / height,
                              panel_w / width, panel_h / height])
             for column in range(columns)] for row in range(rows)]
    bar_h = min(max(block_h, 1.8), 4.0)
    colorbar_axis = figure.add_axes([(left + panels_w + 0.45) / width,
                                     (height - top - (block_h + bar_h) / 2) / height,
                                     0.18 / width, bar_h / height])
    figure.suptitle("\n".join(title), fontsize="medium")
    return figure, axes, colorbar_axis
