"""Reads astrasweep archives into pandas, and writes reports of them.

    import sys; sys.path.insert(0, "tools/pylib")
    import astrasweep
    archive = astrasweep.load("out.h5")
    archive.points                  # one row per point, config joined, units in names
    archive.failures, archive.rank_timings, archive.workers, archive.attrs

`tools/report OUT.h5 -o DIR` writes the summary tables and plots.
"""
from .archive import Archive, ArchiveError, load

__all__ = ["Archive", "ArchiveError", "load"]
