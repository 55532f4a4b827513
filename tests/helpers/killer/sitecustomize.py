"""TEST ONLY: makes a worker process die or hang like a crashing reader, for the batch tests.

On PYTHONPATH only while a test asks for it (helpers.kill_workers_on,
helpers.hang_workers_on). In every Python process started then, the scoring
function of the local pool and of the Dask workers is wrapped: a file whose
name is $PERFEVAL_TEST_KILL_WORKER_ON kills its process with SIGKILL, as a
segfault in a reader would; one named $PERFEVAL_TEST_HANG_WORKER_ON spins
for ever in C code that holds the GIL and never looks at signals, as a
reader stuck in a loop would.
"""

import os
import signal

_NAME = os.environ.get("PERFEVAL_TEST_KILL_WORKER_ON")
_HANG = os.environ.get("PERFEVAL_TEST_HANG_WORKER_ON")

if _NAME or _HANG:
    from perfeval_xl.batch import cluster, pool

    def _wrap(score_one):
        def killing(index, path, *args, **kwargs):
            if _NAME and os.path.basename(path) == _NAME:
                os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))
            if _HANG and os.path.basename(path) == _HANG:
                import collections
                import itertools

                collections.deque(itertools.repeat(1), maxlen=0)   # never returns, never sees a signal
            return score_one(index, path, *args, **kwargs)
        return killing

    pool.score_one = _wrap(pool.score_one)
    cluster.score_one = _wrap(cluster.score_one)

# The check page's workers (perfeval_xl/web): a file uploaded under the name
# $PERFEVAL_TEST_KILL_WORKER_ON kills its worker; one uploaded as
# $PERFEVAL_TEST_HANG_WORKER_ON makes it hang, as a reader caught in a loop would.

try:
    from perfeval_xl.web import scoring
except ImportError:      # the web extra is not installed: no check page to patch
    scoring = None

if (_NAME or _HANG) and scoring is not None:
    import time

    def _wrap_web(score):
        def misbehaving(path, profile_spec, shown_name):
            if shown_name == _NAME:
                os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))
            if shown_name == _HANG:
                time.sleep(3600)
            return score(path, profile_spec, shown_name)
        return misbehaving

    scoring._score_upload = _wrap_web(scoring._score_upload)
