"""Stratified simple random sampling without replacement, reproducibly.

Cochran (1977), *Sampling Techniques*, 3rd ed., sections 2.2 and 5.1;
Lohr (2022), *Sampling: Design and Analysis*, 3rd ed., sections 2.3 and 3.1.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from numbers import Integral

import numpy as np

from ._validate import check_int, check_mapping

__all__ = ["ALGORITHM", "Draw", "draw_stratified"]

ALGORITHM = "stratified-srswor-randomkeys-v1"
# Up to this many strata, units are found with one comparison pass per
# stratum; beyond it, with one stable sort of the labels.  Both give each
# stratum's units in frame order, so the draw is the same either way.
_MASK_MAX_STRATA = 16


@dataclass(frozen=True, eq=False)
class Draw:
    """A stratified sample, with what is needed to reproduce and release it.

    Units are listed stratum by stratum (strata in sorted label order), each
    stratum in release order.

    Attributes
    ----------
    indices : ndarray of int64
        Frame positions of the selected units.
    strata : ndarray
        Their stratum labels.
    inclusion_prob : ndarray of float64
        ``n_h / N_h`` for each selected unit (the design weight is its inverse).
    release_order : ndarray of int64
        Rank ``0 .. n_h - 1`` within the stratum; the first ``k`` in this order
        are themselves a simple random sample of size ``k`` from the stratum.
    population_sizes, sample_sizes : dict
        ``N_h`` and ``n_h`` by stratum, in sorted label order.
    seed : int
        The seed used (drawn from fresh entropy when none was given).
    algorithm : str
        Name of the selection algorithm, see :func:`draw_stratified`.
    numpy_version : str
        NumPy version that made the draw (for the record; the result does not
        depend on it).
    """

    indices: np.ndarray
    strata: np.ndarray
    inclusion_prob: np.ndarray
    release_order: np.ndarray
    population_sizes: dict
    sample_sizes: dict
    seed: int
    algorithm: str = ALGORITHM
    numpy_version: str = field(default=np.__version__)

    @property
    def weights(self) -> np.ndarray:
        """Design weights ``N_h / n_h`` of the selected units."""
        return 1.0 / self.inclusion_prob

    def released(self, k) -> np.ndarray:
        """Frame indices of the first ``k_h`` units of each stratum in release order.

        ``k`` is an int (the same for every stratum, at most ``n_h``) or a
        mapping stratum -> ``k_h`` (strata left out release nothing).

        Examples
        --------
        >>> d = draw_stratified(["a"] * 6 + ["b"] * 4, {"a": 3, "b": 2}, seed=1)
        >>> len(d.released({"a": 2})), len(d.released(1))
        (2, 2)
        """
        if isinstance(k, Integral) and not isinstance(k, bool):
            k = check_int(k, "k")
            wanted = [min(k, n) for n in self.sample_sizes.values()]
        else:
            if not isinstance(k, Mapping):
                raise TypeError(f"k must be an int or a mapping of stratum to int but got {k!r}")
            for label in k:
                if label not in self.sample_sizes:
                    raise ValueError(f"k names stratum {label!r}, which is not in the draw")
            wanted = []
            for label, n in self.sample_sizes.items():
                k_h = check_int(k.get(label, 0), f"k[{label!r}]")
                if k_h > n:
                    raise ValueError(f"k[{label!r}] must be <= n_h = {n} but got {k_h!r}")
                wanted.append(k_h)
        limit = np.repeat(wanted, list(self.sample_sizes.values()))
        return self.indices[self.release_order < limit]


def _groups(strata: np.ndarray, labels: list):
    """Frame indices of each label's units, in frame order, one array per label."""
    if len(labels) <= _MASK_MAX_STRATA:
        found = 0
        groups = []
        for label in labels:
            idx = np.flatnonzero(strata == label)
            found += idx.size
            groups.append(idx)
        if found != strata.size:
            _unknown_label(strata, labels)
        return groups
    uniq, inverse = np.unique(strata, return_inverse=True)
    position = {u: i for i, u in enumerate(uniq.tolist())}
    known = set(labels)
    if any(u not in known for u in position):
        _unknown_label(strata, labels)
    order = np.argsort(inverse.ravel(), kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(inverse.ravel(), minlength=uniq.size))])
    empty = np.empty(0, dtype=np.int64)
    out = []
    for label in labels:
        i = position.get(label)
        out.append(empty if i is None else order[bounds[i] : bounds[i + 1]].astype(np.int64))
    return out


def _unknown_label(strata, labels):
    known = set(labels)
    for value in np.unique(strata).tolist():
        if value not in known:
            raise ValueError(
                f"strata contains label {value!r}, which has no entry in sizes "
                f"(give it size 0 to leave it out)"
            )
    raise ValueError("strata contains labels that do not compare equal to any key of sizes")


def _select_exact(keys: np.ndarray, n: int) -> np.ndarray:
    """Positions of the ``n`` smallest keys (``0 < n < keys.size``), ties to the
    earlier position, in increasing (key, position) order."""
    kth = np.partition(keys, n - 1)[n - 1]
    below = np.flatnonzero(keys < kth)
    ties = np.flatnonzero(keys == kth)[: n - below.size]
    chosen = np.concatenate([below, ties])
    return chosen[np.lexsort((chosen, keys[chosen]))]


def _select(keys: np.ndarray, n: int) -> np.ndarray:
    """Positions of the ``n`` smallest keys, ties to the earlier position,
    listed in increasing (key, position) order.

    Speed-up, exact by construction: keys are uniform on [0, 2**64), so a
    threshold ``t`` with about ``n + 4 sqrt(n) + 16`` keys expected below it
    usually leaves at least ``n`` candidates; then the ``n`` smallest keys are
    all among them and only the candidates are partitioned.  If fewer than
    ``n`` fall below ``t`` (rare), the whole stratum is partitioned instead.
    """
    if n == 0:
        return np.empty(0, dtype=np.int64)
    if n == keys.size:
        return np.argsort(keys, kind="stable")
    ratio = (n + 4.0 * np.sqrt(n) + 16.0) / keys.size
    if ratio < 0.25:
        cand = np.flatnonzero(keys < np.uint64(int(ratio * 2.0**64)))
        if cand.size >= n:
            return cand[_select_exact(keys[cand], n)]
    return _select_exact(keys, n)


def draw_stratified(strata, sizes, seed=None) -> Draw:
    r"""Draw a stratified simple random sample without replacement.

    Parameters
    ----------
    strata : array_like, 1-D
        Stratum label of each frame unit (ints, strings, ...).
    sizes : mapping
        Stratum -> sample size ``n_h``; every label in ``strata`` needs an
        entry (0 to leave it out).
    seed : int, optional
        Non-negative seed of ``np.random.default_rng`` (PCG64).  ``None`` draws
        one from fresh entropy; it is recorded in the result either way.

    Returns
    -------
    Draw

    Raises
    ------
    ValueError
        If ``n_h > N_h`` (naming the stratum) or a label has no size.

    Notes
    -----
    Algorithm ``stratified-srswor-randomkeys-v1``: with
    ``bg = np.random.default_rng(seed).bit_generator``, for each stratum in
    sorted label order, draw ``N_h`` keys ``bg.random_raw(N_h)`` (raw 64-bit
    PCG64 outputs) and give them to the stratum's units in frame order; select
    the ``n_h`` units with the smallest keys, ties going to the earlier unit,
    and release them in increasing key order.  Sorting i.i.d. uniform keys
    gives a uniformly random permutation, so every subset of size ``n_h`` is
    equally likely and every prefix of the release order is itself a simple
    random sample (Cochran 1977, section 2.2; the "random sort" method of
    Tillé 2006, *Sampling Algorithms*, chapter 4).  PCG64, SeedSequence
    seeding and the raw outputs are specified bit for bit by NumPy (NEP 19),
    and the selection uses only exact integer comparisons, so the same inputs
    and seed give the same draw on any platform.  The work is a few
    vectorised passes over the frame plus one per stratum; no Python loop
    runs over units.

    Examples
    --------
    >>> tiers = np.array(["gold", "gold", "gold", "private", "gold", "private"])
    >>> d = draw_stratified(tiers, {"gold": 2, "private": 1}, seed=2026)
    >>> d.sample_sizes, d.population_sizes
    ({'gold': 2, 'private': 1}, {'gold': 4, 'private': 2})
    >>> d.inclusion_prob.tolist()
    [0.5, 0.5, 0.5]
    """
    strata = np.asarray(strata)
    if strata.ndim != 1:
        raise ValueError(f"strata must be 1-D but got an array of shape {strata.shape}")
    sizes = check_mapping(sizes, "sizes")
    wanted = {label: check_int(n, f"sizes[{label!r}]") for label, n in sizes.items()}
    try:
        labels = sorted(wanted)
    except TypeError as exc:
        raise TypeError(f"sizes keys must be mutually sortable but got {list(wanted)!r}") from exc
    if seed is None:
        seed = int(np.random.SeedSequence().entropy)
    else:
        seed = check_int(seed, "seed")
    bitgen = np.random.default_rng(seed).bit_generator

    parts, counts = [], {}
    for label, idx in zip(labels, _groups(strata, labels), strict=True):
        n_h, big_n = wanted[label], int(idx.size)
        if n_h > big_n:
            raise ValueError(
                f"sizes[{label!r}] = {n_h} exceeds the {big_n} units of stratum "
                f"{label!r} in the frame"
            )
        keys = bitgen.random_raw(big_n)
        parts.append(idx[_select(keys, n_h)])
        counts[label] = (big_n, n_h)

    indices = np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)
    indices = indices.astype(np.int64, copy=False)
    n_list = [n for _, n in counts.values()]
    prob = np.repeat([n / big_n if big_n else 0.0 for big_n, n in counts.values()], n_list)
    release = np.concatenate([np.arange(n, dtype=np.int64) for n in n_list] or [[]])
    arrays = [indices, strata[indices], prob.astype(np.float64), release.astype(np.int64)]
    for a in arrays:
        a.setflags(write=False)
    return Draw(
        *arrays,
        population_sizes={label: c[0] for label, c in counts.items()},
        sample_sizes={label: c[1] for label, c in counts.items()},
        seed=seed,
    )
