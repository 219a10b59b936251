"""`tools/report ARCHIVE -o DIR`: summary tables and plots of an archive.

Writes into DIR:
  summary.md                 provenance, counts and the tables below, readable as text
  best.csv                   the best configuration (most tokens/s) per model and GPU count
  failures.csv               every failed point with its stage and message
  infeasible.csv             every point that does not fit, its peak memory against capacity
  <plot>.png                 the plots of plots.PLOTS
  report.json                what each plot shows (its series and points), or why it was skipped
A plot without data is not written (an older one in DIR is removed); the
summary and report.json say why. Exit codes: 0 written, 2 bad usage or an
unreadable archive.
"""
import argparse
import json
import os
import sys

from . import archive as archive_module
from . import plots, tables

TABLE_ROWS = 40  # rows of each table in summary.md; the CSVs have all


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="report", description="Writes summary tables (CSV, Markdown) and PNG plots of an "
                                   "astrasweep archive.")
    parser.add_argument("archive", help="the archive (OUT.h5 of astrasweep run)")
    parser.add_argument("-o", "--out", required=True, help="folder for the report (created)")
    options = parser.parse_args(argv)
    try:
        archive = archive_module.load(options.archive)
    except archive_module.ArchiveError as error:
        print(f"report: {error}", file=sys.stderr)
        return 2
    try:
        os.makedirs(options.out, exist_ok=True)
    except OSError as error:
        print(f"report: {options.out}: cannot create the folder: {error.strerror}", file=sys.stderr)
        return 2
    write_report(archive, options.out)
    print(f"report: {os.path.join(options.out, 'summary.md')}")
    return 0


def write_report(archive, out):
    """Writes every table and plot of `archive` into the folder `out`; returns the manifest."""
    best = tables.best_per_model_and_gpus(archive)
    failed = tables.failures(archive)
    infeasible = tables.infeasible(archive)
    best.to_csv(os.path.join(out, "best.csv"), index=False)
    failed.to_csv(os.path.join(out, "failures.csv"), index=False)
    infeasible.to_csv(os.path.join(out, "infeasible.csv"), index=False)

    manifest = {"archive": archive.path, "plots": {}, "skipped": {},
                "tables": {"best.csv": len(best), "failures.csv": len(failed),
                           "infeasible.csv": len(infeasible)}}
    for name, draw in plots.PLOTS.items():
        path = os.path.join(out, name)
        if os.path.exists(path):
            os.remove(path)
        try:
            entry = draw(archive, path)
        except plots.NoData as reason:
            manifest["skipped"][name] = str(reason)
            print(f"report: no {name}: {reason}", file=sys.stderr)
            continue
        entry["points"] = sum(entry["series"].values())
        manifest["plots"][name] = entry
    with open(os.path.join(out, "summary.md"), "w") as summary:
        summary.write(summary_text(archive, best, failed, infeasible, manifest))
    with open(os.path.join(out, "report.json"), "w") as file:
        json.dump(manifest, file, indent=2)
        file.write("\n")
    return manifest


def summary_text(archive, best, failed, infeasible, manifest):
    """summary.md: provenance and counts, then each table and what each plot shows."""
    sections = [_provenance(archive), _best_section(best), _failures_section(failed),
                _infeasible_section(infeasible), _plots_section(manifest)]
    return "\n".join(line for section in sections for line in section) + "\n"


def _provenance(archive):
    attrs = archive.attrs
    counts = archive.points["status"].value_counts()
    lines = [f"# Report of {archive.path}", "",
             f"- spec: {attrs.get('spec_file', '?')} "
             f"(sha256 {str(attrs.get('spec_sha256', ''))[:16]})",
             f"- status: {attrs.get('status', '?')}, {len(archive.points)} of "
             f"{attrs.get('points_total', '?')} points: {counts.get('ok', 0)} ok, "
             f"{counts.get('infeasible', 0)} infeasible, {counts.get('failed', 0)} failed",
             f"- created {attrs.get('created', '?')}, finished {attrs.get('finished', '?')}, "
             f"astrasweep {attrs.get('astrasweep_version', '?')} (git {attrs.get('git_sha', '?')})",
             f"- command: `{attrs.get('command_line', '?')}`", ""]
    if attrs.get("status") == "partial":
        lines += ["The archive is partial: the run was interrupted; `--resume` finishes it.", ""]
    return lines


def _best_section(best):
    return ["## Best configuration per model and GPU count", "",
            "The ok point with the most tokens/s (best.csv); memory is per GPU, in GiB.", "",
            tables.markdown(best, TABLE_ROWS) if len(best) else "No point is ok.", ""]


def _failures_section(failed):
    if failed.empty:
        return ["## Failures", "", "No point failed.", ""]
    return ["## Failures", "",
            f"{_count(len(failed), 'point', 'points')} failed (every one in failures.csv), "
            "by reason:", "",
            tables.markdown(tables.failure_reasons(failed), TABLE_ROWS), ""]


def _infeasible_section(infeasible):
    if infeasible.empty:
        return ["## Infeasible points", "", "Every point that ran fits in GPU memory.", ""]
    lines = ["## Infeasible points", "",
             f"{_count(len(infeasible), 'point does', 'points do')} not fit: the peak memory "
             "per GPU is above the usable memory (the GPU's memory less what the hardware "
             "preset reserves).", ""]
    if len(infeasible) <= TABLE_ROWS:
        return lines + ["Closest to fitting first, per model and GPU count (infeasible.csv):",
                        "", tables.markdown(infeasible), ""]
    return lines + ["Per model and GPU count, how many and the one closest to fitting "
                    "(every one in infeasible.csv):", "",
                    tables.markdown(tables.closest_to_fitting(infeasible), TABLE_ROWS), ""]


def _plots_section(manifest):
    lines = ["## Plots", ""]
    lines += [f"- `{name}`: {entry['description']}" for name, entry in manifest["plots"].items()]
    lines += [f"- `{name}`: not drawn: {reason}." for name, reason in manifest["skipped"].items()]
    return lines


def _count(number, one, many):
    return f"{number} {one if number == 1 else many}"


if __name__ == "__main__":
    sys.exit(main())
