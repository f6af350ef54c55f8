"""Assignment of fieldwork cases (calls, visits) to interviewers.

Rules: a case is never given to the interviewer who is the client's own
relationship manager (interviewer independence); work is shared in
proportion to each interviewer's daily capacity, counting cases already on
their list; visits of one branch stay with one interviewer where possible.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np

from ._validate import check_int

__all__ = ["Assignment", "assign_cases"]


@dataclass(frozen=True, eq=False)
class Assignment:
    """Result of :func:`assign_cases`.

    Attributes
    ----------
    interviewer : ndarray of int64
        Per case, the index into ``interviewer_ids`` or -1 when no interviewer
        is eligible (every interviewer with capacity manages the client).
    load : ndarray of int64
        New cases given to each interviewer.
    unassigned : int
        Number of cases left at -1.
    """

    interviewer: np.ndarray
    load: np.ndarray
    unassigned: int


def _quotas(n, capacity, existing, rank) -> np.ndarray:
    """Integer quotas ``q_j`` summing to ``n`` that bring ``existing + q`` as
    close as possible to proportional to ``capacity`` (water-filling, then
    largest remainders with ties to the better ``rank``)."""
    active = np.flatnonzero(capacity > 0)
    level = existing[active] / capacity[active]
    order = active[np.argsort(level, kind="stable")]
    lam = 0.0
    for k in range(1, order.size + 1):
        used = order[:k]
        lam = (n + existing[used].sum()) / capacity[used].sum()
        if k == order.size or lam <= existing[order[k]] / capacity[order[k]]:
            break
    x = np.where(capacity > 0, np.maximum(0.0, lam * capacity - existing), 0.0)
    x = x * (n / x.sum()) if x.sum() > 0 else x
    base = np.floor(x + 1e-9).astype(np.int64)
    short = n - int(base.sum())
    if short > 0:
        frac = np.where(capacity > 0, x - base, -1.0)
        base[np.lexsort((rank, -frac))[:short]] += 1
    return base


def _rebalance(out, load, quota, blocked, branch, rank) -> None:
    """Move cases along chains ``over-quota -> ... -> under-quota`` interviewer
    (augmenting paths, breadth first) until no chain exists.  Each move takes a
    case its new interviewer may handle, preferring one of a branch that
    interviewer already holds, so grouping is disturbed as little as possible."""
    m = load.size
    while True:
        over = np.flatnonzero(load > quota)
        if over.size == 0 or not (load < quota).any():
            return
        # reach[u, v]: u holds a case that v may take
        reach = np.zeros((m, m), dtype=bool)
        for u in range(m):
            reach[u] = (~blocked[out == u]).any(axis=0)
        parent = np.full(m, -2)
        parent[over] = -1
        frontier, end = list(over[np.argsort(rank[over])]), -1
        while frontier and end < 0:
            nxt = []
            for u in frontier:
                step = np.flatnonzero(reach[u] & (parent == -2))
                for v in step[np.argsort(rank[step])]:
                    parent[v] = u
                    if load[v] < quota[v]:
                        end = v
                        break
                    nxt.append(v)
                if end >= 0:
                    break
            frontier = nxt
        if end < 0:
            return
        v = end
        while parent[v] >= 0:
            u = parent[v]
            cand = np.flatnonzero((out == u) & ~blocked[:, v])
            kin = np.isin(branch[cand], branch[out == v]) if (out == v).any() else None
            i = cand[np.argmax(kin)] if kin is not None and kin.any() else cand[0]
            out[i] = v
            load[u] -= 1
            load[v] += 1
            v = u


def _check_array(values, name, n=None, dtype=None):
    arr = np.asarray(values, dtype=dtype)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D but got shape {arr.shape}")
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"{name} must have length {n} but got {arr.shape[0]}")
    return arr


def assign_cases(
    case_branch,
    case_manager,
    interviewer_ids,
    interviewer_codes,
    capacity,
    *,
    interviewer_branches=None,
    existing_load=None,
    group_by_branch=True,
    seed=None,
) -> Assignment:
    """Give each case an interviewer, balancing workload against capacity.

    Parameters
    ----------
    case_branch : array_like
        Branch of each case.
    case_manager : array_like
        Employee code of each client's relationship manager (None or "" if none).
    interviewer_ids : array_like
        Interviewer identifiers (unique); the result indexes into them.
    interviewer_codes : array_like
        Each interviewer's employee code, compared with ``case_manager``.
    capacity : array_like of float
        Cases per day each interviewer can handle (>= 0; 0 = unavailable).
    interviewer_branches : array_like, optional
        Each interviewer's home branch; cases go to home interviewers first.
    existing_load : array_like of int, optional
        Open cases already on each interviewer's list.
    group_by_branch : bool
        Keep the cases of one branch with one interviewer where possible.
    seed : int, optional
        Breaks ties between equally placed interviewers; ``None`` breaks them
        by list order.  The result is a function of the inputs and the seed.

    Returns
    -------
    Assignment

    Notes
    -----
    Each interviewer gets a quota: ``n`` cases are shared so that
    ``existing_j + q_j`` is proportional to ``capacity_j`` (or as near as
    existing loads allow), rounded by largest remainders, so each quota is
    within one case of its exact share.  Groups of cases (a branch, or a
    single case when ``group_by_branch`` is false, constrained cases first)
    are then placed largest first, on a home interviewer if possible, else
    on the interviewer whose remaining quota fits the whole group most
    tightly (best fit); a group no quota can hold fills the largest one and
    its remainder rejoins the queue by its size.
    A case nobody independent has quota left for goes to the eligible
    interviewer with the lowest relative load ``(existing + load + 1) / capacity``;
    finally cases move along chains of interviewers from those over their
    quota to those under it (augmenting paths), wherever independence allows.

    Examples
    --------
    >>> res = assign_cases(["b1", "b1", "b2", "b2"], ["m1", "m2", "m1", "m3"],
    ...                    ["ann", "bob"], ["m1", "x9"], [1.0, 1.0])
    >>> res.interviewer.tolist(), res.load.tolist()
    ([1, 0, 1, 0], [2, 2])
    """
    branch = _check_array(case_branch, "case_branch", dtype=object)
    n = branch.shape[0]
    manager = _check_array(case_manager, "case_manager", n, dtype=object)
    ids = _check_array(interviewer_ids, "interviewer_ids")
    m = ids.shape[0]
    if len(set(ids.tolist())) != m:
        raise ValueError(f"interviewer_ids must be unique but got {ids.tolist()!r}")
    codes = _check_array(interviewer_codes, "interviewer_codes", m, dtype=object)
    cap = _check_array(capacity, "capacity", m, dtype=float)
    if not np.all(np.isfinite(cap) & (cap >= 0)):
        raise ValueError(f"capacity must be finite and >= 0 but got {cap.tolist()!r}")
    if existing_load is None:
        existing = np.zeros(m)
    else:
        existing = _check_array(existing_load, "existing_load", m)
        existing = np.array([check_int(v, "existing_load") for v in existing], dtype=float)
    home_of = None
    if interviewer_branches is not None:
        home_of = _check_array(interviewer_branches, "interviewer_branches", m, dtype=object)
    rank = (
        np.arange(m)
        if seed is None
        else np.argsort(np.random.default_rng(check_int(seed, "seed")).permutation(m))
    )

    out = np.full(n, -1, dtype=np.int64)
    load = np.zeros(m, dtype=np.int64)
    if n == 0 or not (cap > 0).any():
        return Assignment(out, load, n)
    # blocked[i, j]: interviewer j manages the client of case i
    blocked = np.zeros((n, m), dtype=bool)
    for j, code in enumerate(codes.tolist()):
        if code is not None and code != "":
            blocked[:, j] = manager == code
    blocked[:, cap <= 0] = True
    quota = _quotas(n, cap, existing, rank)
    room = quota.copy()

    if group_by_branch:
        first = {}
        for i, b in enumerate(branch.tolist()):
            first.setdefault(b, []).append(i)
        groups = sorted(first.values(), key=lambda g: (-len(g), g[0]))
    else:
        constrained = blocked[:, cap > 0].any(axis=1)
        groups = [
            [i] for i in np.concatenate([np.flatnonzero(constrained), np.flatnonzero(~constrained)])
        ]

    def step(cases, allowed):
        """Give part of ``cases`` to one interviewer in ``allowed``: the tightest
        quota that holds the whole group, else the largest.  Returns the rest,
        or None when nobody allowed has room for any of them."""
        free = ~blocked[cases]
        take = np.minimum(room, free.sum(axis=0))
        take[~allowed] = 0
        if take.max() <= 0:
            return None
        whole = take == cases.size
        if whole.any():
            j = np.lexsort((rank, np.where(whole, room, np.inf)))[0]
        else:
            j = np.lexsort((rank, -take))[0]
        mine = cases[free[:, j]][: take[j]]
        out[mine] = j
        load[j] += mine.size
        room[j] -= mine.size
        return np.setdiff1d(cases, mine, assume_unique=True)

    queue = []  # (-size, position, cases): largest group first, then in order
    for pos, group in enumerate(groups):
        cases = np.asarray(group, dtype=np.int64)
        if home_of is not None:  # home interviewers first
            home = home_of == branch[cases[0]]
            while cases.size and (rest := step(cases, home)) is not None:
                cases = rest
        if cases.size:
            heapq.heappush(queue, (-cases.size, pos, cases))
    everyone = np.ones(m, dtype=bool)
    leftover = []
    while queue:  # a split group's remainder goes back in the queue by its size
        _, pos, cases = heapq.heappop(queue)
        rest = step(cases, everyone)
        if rest is None:
            leftover.extend(cases.tolist())
        elif rest.size:
            heapq.heappush(queue, (-rest.size, pos, rest))
    for i in sorted(leftover):  # overflow beyond the quotas
        ok = ~blocked[i]
        if not ok.any():
            continue
        rel = np.where(ok, (existing + load + 1) / np.where(cap > 0, cap, 1), np.inf)
        j = np.lexsort((rank, rel))[0]
        out[i] = j
        load[j] += 1
    _rebalance(out, load, quota, blocked, branch, rank)
    for a in (out, load):
        a.setflags(write=False)
    return Assignment(interviewer=out, load=load, unassigned=int((out < 0).sum()))
