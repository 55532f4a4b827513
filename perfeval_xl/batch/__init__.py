"""Many files -> DIR/annex/*.xlsx, DIR/results.jsonl, DIR/summary.xlsx.

discover.py finds the files; pool.py scores them in local worker processes
and cluster.py on a Dask cluster; outputs.py stages and commits what a run
writes; run.py ties them together.
"""

from .discover import Discovery, discover, is_candidate
from .outputs import ANNEX_DIR, RESULTS_NAME, SUMMARY_NAME, output_paths
from .run import Report, default_workers, run_batch

__all__ = [
    "ANNEX_DIR", "RESULTS_NAME", "SUMMARY_NAME", "Discovery", "Report", "default_workers", "discover",
    "is_candidate", "output_paths", "run_batch",
]
