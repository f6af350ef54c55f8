"""Quality figures computed once per state of the data they read, and reused while that state holds.

A figure is remembered under its arguments and the *stamp* of the data it reads: the write counts
that database triggers keep in ``quality_changes`` (migration 0006) for each wave read (its
invitations, responses and answers), for ``setup`` (waves, draws, tiers, questionnaires, branches,
staff names, settings) and for ``clients`` (a tier, branch or manager changed, a client removed),
plus the newest client id (clients added).  Every committed write raises one of those counts, so a
changed wave, a new response, a disposition, a wave closing, a weighting or tier change all give
a new stamp, and the figure is computed afresh; a closed wave keeps its stamp and its figures.

The stamp is read *before* the figure is computed: a write committed in between is then in the
figure but not in its stamp, and the next view (seeing the write) computes again; never the other
way round, which could keep a figure older than its stamp.

Remembered per database engine in this process (an LRU of ``MAX_ENTRIES``); nothing is stored in the
database.  Values are shared between requests: they are frozen dataclasses and read-only arrays.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from typing import TypeVar

from sqlalchemy import Engine, String, func, literal, select, union_all
from sqlalchemy.orm import Session

from survey.models import Client, QualityChange

NEWEST = "#newest client"  # not a scope: the row of max(clients.id) in the stamp query
MAX_ENTRIES = 2048  # trends over 20 waves keep 190 pairs of waves per measure
T = TypeVar("T")

_lock = threading.Lock()
_stores: weakref.WeakKeyDictionary[Engine, OrderedDict] = weakref.WeakKeyDictionary()
_disabled = threading.local()


def stamp(session: Session, wave_ids: Iterable[int]) -> tuple:
    """The write counts of ``setup``, ``clients`` and each wave (sorted), and the newest client id."""
    scopes = ["setup", "clients", *(f"wave:{w}" for w in sorted({int(w) for w in wave_ids}))]
    counts = select(QualityChange.scope, func.sum(QualityChange.n)).where(QualityChange.scope.in_(scopes)) \
        .group_by(QualityChange.scope)
    newest = select(literal(NEWEST, String), func.max(Client.id))
    found = dict(session.execute(union_all(counts, newest)).all())  # one round trip
    return (found.get(NEWEST), *((s, int(found.get(s) or 0)) for s in scopes))


def stamps(session: Session, wave_ids: Iterable[int]) -> dict[int, tuple]:
    """Each wave's own stamp (with setup, clients and the newest client), all read in one go."""
    newest, setup, clients, *waves = stamp(session, wave_ids)
    return {int(scope.split(":", 1)[1]): (newest, setup, clients, (scope, n)) for scope, n in waves}


def _store(session: Session) -> OrderedDict:
    engine = session.get_bind()
    engine = getattr(engine, "engine", engine)
    with _lock:
        store = _stores.get(engine)
        if store is None:
            store = _stores[engine] = OrderedDict()
        return store


def remembered(session: Session, key: Hashable, wave_ids: Iterable[int], compute: Callable[[], T]) -> T:
    """``compute()``, or what it gave for ``key`` when the waves' data (and setup, clients) were as now."""
    if getattr(_disabled, "on", False):
        return compute()
    return remember(session, key, stamp(session, wave_ids), compute)


def remember(session: Session, key: Hashable, data_stamp: Hashable, compute: Callable[[], T]) -> T:
    """``compute()`` remembered under ``key`` and a stamp read (by :func:`stamp`) before calling it."""
    if getattr(_disabled, "on", False):
        return compute()
    full = (key, data_stamp)
    store = _store(session)
    with _lock:
        if full in store:
            store.move_to_end(full)
            return store[full]
    value = compute()
    with _lock:
        store[full] = value
        while len(store) > MAX_ENTRIES:
            store.popitem(last=False)
    return value


class uncached:
    """``with uncached():`` computes every figure afresh in this thread (the reference the tests compare with)."""

    def __enter__(self):
        self._was = getattr(_disabled, "on", False)
        _disabled.on = True
        return self

    def __exit__(self, *exc):
        _disabled.on = self._was
        return False


def clear() -> None:
    """Forget every remembered figure (all engines)."""
    with _lock:
        _stores.clear()
