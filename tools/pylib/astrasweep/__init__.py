"""Reads astrasweep archives into pandas.

    import sys; sys.path.insert(0, "tools/pylib")
    import astrasweep
    archive = astrasweep.load("out.h5")
    archive.points                  # one row per point, config joined, units in names
    archive.failures, archive.rank_timings, archive.workers, archive.attrs
"""
from .archive import Archive, ArchiveError, load

__all__ = ["Archive", "ArchiveError", "load"]
