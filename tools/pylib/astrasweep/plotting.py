"""What the report's plots share: their errors, axes, labels, legends and saving.

Axes of GPU counts are log2 when the counts span a factor of 4 or more,
ticked at each count swept; throughput is in k and M tokens/s, log when it
spans more than a factor of 20; memory is in GiB (2^30 bytes). A
configuration is labelled by its parallel degrees and micro-batch
(`tp2 pp4 dp8 mb1`) and whatever else distinguishes it.
"""
import math
import textwrap

import matplotlib
from matplotlib import ticker
from matplotlib.figure import Figure
import numpy as np

from . import tables

DPI = 110

LABEL_NOTE = ("configurations: tensor (tp), pipeline (pp) and data (dp) parallel degrees, "
              "micro-batch size (mb)")


class NoData(Exception):
    """The archive has nothing this plot could show; the message says why."""


def ok_points(archive):
    """The ok points; NoData when there are none."""
    points = archive.points
    ok = points[points["status"] == "ok"]
    if ok.empty:
        raise NoData("no point has status ok (each failed or does not fit in memory)")
    return ok


def model_colors(points):
    """{model name: colour}, from the smallest model to the largest."""
    palette = matplotlib.colormaps["tab10"].colors
    return {model: palette[place % len(palette)]
            for place, model in enumerate(tables.model_order(points))}


def gpu_axis(axis, counts, label="GPUs"):
    """GPU counts on a log2 axis when they span a factor of 4 or more, ticked at each
    count swept (or at powers of two when there are many)."""
    counts = sorted({int(count) for count in counts})
    if counts[-1] >= 4 * counts[0]:
        axis.set_xscale("log", base=2)
        axis.set_xlim(counts[0] / 1.35, counts[-1] * 1.35)
    else:
        spread = max(counts[-1] - counts[0], counts[0]) * 0.15
        axis.set_xlim(counts[0] - spread, counts[-1] + spread)
    if len(counts) <= 12:
        axis.xaxis.set_major_locator(ticker.FixedLocator(counts))
    axis.xaxis.set_major_formatter(ticker.FuncFormatter(lambda value, _: f"{value:g}"))
    axis.xaxis.set_minor_locator(ticker.NullLocator())
    axis.set_xlabel(label + (" (log scale)" if axis.get_xscale() == "log" else ""))


def throughput_axis(axis, values):
    """Tokens/s in k and M, on a log axis when they span more than a factor of 20."""
    values = np.asarray(values, dtype=float)
    if values.max() > 20 * values.min():
        axis.set_yscale("log")
        axis.yaxis.set_major_locator(ticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        axis.yaxis.set_minor_locator(ticker.NullLocator())
    axis.yaxis.set_major_formatter(ticker.EngFormatter(sep=""))
    axis.set_ylabel("throughput (tokens/s" + (", log scale)" if axis.get_yscale() == "log"
                                             else ")"))


SHORT = {"parallelism.tp": "tp", "parallelism.cp": "cp", "parallelism.pp": "pp",
         "parallelism.dp": "dp", "training.micro_batch": "mb"}


def label_columns(rows, columns):
    """Which configuration columns to label each of `rows` with (the parallel degrees and
    micro-batch, and any other that differs between them), and a note of the values they
    all share (said once, in the title)."""
    per_point, shared = [], []
    for name in columns:
        if name in ("model.name", "gpu_count"):
            continue
        if name in SHORT or rows[name].astype(str).nunique() > 1:
            per_point.append(name)
        else:
            shared.append(word(name, rows[name].iloc[0]))
    note = LABEL_NOTE + ("\nshared by all: " + ", ".join(shared) if shared else "")
    return per_point, note


def word(name, value):
    """One key's value in a label: `tp2`, `schedule=1f1b`."""
    if name in SHORT:
        return f"{SHORT[name]}{value}"
    if isinstance(value, (bool, np.bool_)):
        value = "yes" if value else "no"
    return f"{name.rsplit('.', 1)[-1]}={value}"


def log_gib_axis(axis):
    """A log y axis of GiB, ticked at 1, 2, 5 x 10^n."""
    axis.set_yscale("log")
    axis.yaxis.set_major_locator(ticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    axis.yaxis.set_major_formatter(ticker.FuncFormatter(lambda value, _: f"{value:g}"))
    axis.yaxis.set_minor_locator(ticker.NullLocator())


def config_label(row, columns, width):
    """A configuration in a few words: `tp2 pp4 dp8 mb2` and the other columns'."""
    words = " ".join(word(name, row[name]) for name in columns)
    return "\n".join(textwrap.wrap(words, width, break_long_words=False))


def grid(count, columns):
    """(rows, columns) of a grid of `count` panels at most `columns` wide."""
    columns = min(count, columns)
    return math.ceil(count / columns), columns


def legend_below(figure, handles, columns):
    """A legend under the plots, in a strip the layout keeps free for it (this
    matplotlib's constrained layout leaves figure legends out), in as many of
    `columns` as fit the figure's width."""
    widest = max(len(handle.get_label()) for handle in handles) * 0.065 + 0.7  # inches
    columns = max(1, min(columns, int(figure.get_figwidth() // widest)))
    rows = math.ceil(len(handles) / columns)
    strip = (0.22 * rows + 0.2) / figure.get_figheight()
    figure.get_layout_engine().set(rect=(0, strip, 1, 1 - strip))
    figure.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 0.005),
                  ncol=columns, fontsize="small")


def new_figure(width, height, layout="constrained"):
    """A figure of its own, not pyplot's: drawing a report leaves the caller's
    backend and figures alone."""
    return Figure(figsize=(width, height), layout=layout)


def save(figure, path):
    """Writes the PNG (compressed a little less than by default, for a quarter less time)."""
    figure.savefig(path, dpi=DPI, pil_kwargs={"compress_level": 1})
