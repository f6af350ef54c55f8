"""Result objects of the design-based estimators."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np

from ._common import interval

__all__ = ["Estimate", "DomainEstimates"]


@dataclass(frozen=True)
class Estimate:
    """One design-based estimate with its standard error.

    Attributes
    ----------
    estimate : float
        Point estimate (an NPS is on the -100..100 scale).
    se : float
        Linearisation standard error, with finite population correction.
    df : int
        Degrees of freedom of the design, ``n - H`` (respondents minus strata).
    n : int
        Respondents that entered the estimate (in the domain, value present).
    deff : float
        Design effect (Kish 1965): ``se**2`` over the variance of a simple random
        sample of the same size, ``(1 - n/N) s**2 / n`` with ``N = sum(w)`` and
        ``s**2 = n/(n-1) * sum(w (y - ybar)**2) / sum(w)`` over the domain's
        respondents (the convention of R ``survey``).  For a total the SRS
        variance is ``N**2 (1 - n/N) s**2 / n`` of ``y * 1_domain`` over all n
        respondents.  nan when ``n < 2``.
    kind : str
        ``"mean"``, ``"total"``, ``"proportion"`` or ``"nps"``; it selects the
        interval method of :meth:`ci`.
    """

    estimate: float
    se: float
    df: int
    n: int
    deff: float
    kind: str

    def ci(self, level: float = 0.95, method: str | None = None) -> tuple[float, float]:
        """Confidence interval ``(low, high)`` at ``level``.

        Means and totals: ``estimate +/- t_{df} * se``.  ``t`` has ``n - H``
        degrees of freedom (Lohr 2022, ch. 3).

        Proportions, ``method="logit"`` (the default, also with ``None``): the
        logit interval, inside [0, 1].  It collapses to a point where the
        estimate is 0 or 1 (a tier where everyone answered 4-5), so there it
        falls back to ``"beta"``; a zero SE with 0 < p < 1 means a census
        (every unit answered), where the point is the right interval.  ``method="beta"``: the
        Korn-Graubard (1998) interval, Clopper-Pearson on the effective sample
        size ``n_eff = p (1 - p) / se**2`` (capped at ``n``; ``n`` where p is
        0 or 1 or the SE is 0) times ``(t_{n-1} / t_{df})**2`` (ratio capped
        at 1), as R ``survey::svyciprop(method = "beta")``.

        NPS: the t interval clipped to [-100, 100]; at -100 or 100 the
        Korn-Graubard interval of ``(NPS + 100) / 200`` with
        ``n_eff = n``, mapped back (so all promoters give ``(low, 100)`` with
        ``low < 100``).  ``method`` is for proportions only.
        """
        return interval(self.kind, self.estimate, self.se, self.df, level, self.n, method)


@dataclass(frozen=True, eq=False)
class DomainEstimates(Mapping):
    """Estimates for every domain of one partition, computed inside the design.

    Behaves as a read-only mapping ``label -> Estimate`` and also exposes the
    columns as arrays (``labels``, ``estimate``, ``se``, ``n``, ``deff``) for
    vectorised use.  ``df`` is the design's ``n - H`` for every domain.

    Examples
    --------
    >>> import analysis
    >>> design = analysis.StratifiedDesign([1, 1, 2, 2], {1: 10, 2: 20})
    >>> by_branch = design.by(["N", "S", "N", "S"]).mean([4, 5, 3, 5])
    >>> float(by_branch["S"].estimate)
    5.0
    """

    labels: np.ndarray
    estimate: np.ndarray
    se: np.ndarray
    n: np.ndarray
    deff: np.ndarray
    df: int
    kind: str

    def __post_init__(self) -> None:
        index = {label: i for i, label in enumerate(self.labels.tolist())}
        object.__setattr__(self, "_index", index)
        for name in ("labels", "estimate", "se", "n", "deff"):
            arr = np.array(getattr(self, name))  # a private, read-only copy
            arr.flags.writeable = False
            object.__setattr__(self, name, arr)

    def __getitem__(self, label) -> Estimate:
        key = label.item() if isinstance(label, np.generic) else label
        i = self._index[key]
        return Estimate(
            estimate=float(self.estimate[i]),
            se=float(self.se[i]),
            df=self.df,
            n=int(self.n[i]),
            deff=float(self.deff[i]),
            kind=self.kind,
        )

    def __iter__(self) -> Iterator:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)

    def __repr__(self) -> str:
        rows = ", ".join(
            f"{lab!r}: {est:.4g} (se {se:.3g}, n {n})"
            for lab, est, se, n in zip(
                self.labels.tolist(), self.estimate, self.se, self.n, strict=True
            )
        )
        return f"DomainEstimates(kind={self.kind!r}, {{{rows}}})"

    def ci(self, level: float = 0.95, method: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Arrays ``(low, high)`` of the per-domain intervals (see :meth:`Estimate.ci`).

        Each domain's ``n`` is its respondents; the logit-to-beta fallback of
        proportions is decided domain by domain.
        """
        return interval(self.kind, self.estimate, self.se, self.df, level, self.n, method)
