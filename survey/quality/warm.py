"""A worker's first quality page loads the statistics libraries once, then keeps them out of the collector.

The gunicorn master loads the app and freezes its objects (``survey.serve.warm_master``) but leaves scipy out,
so that a worker serving only survey forms stays small.  A worker's first quality page imports it (tens of
thousands of functions, types and dicts); left in the collector, every full collection would walk them again
(about 0.1 s on this class of machine, at unpredictable requests).  So the first quality request imports what
the estimates use, collects, and freezes what is there: later collections see only what came after.
"""

from __future__ import annotations

import gc
import threading

_lock = threading.Lock()
_done = False


def warm_worker() -> None:
    """Import the libraries of the quality figures and freeze the collector's view; once per process."""
    global _done
    if _done:
        return
    with _lock:
        if _done:
            return
        from scipy import optimize, special, stats  # noqa: F401  (what analysis/ loads on first use)

        gc.collect()  # garbage now is freed first, so nothing unreachable is frozen
        gc.freeze()
        _done = True
