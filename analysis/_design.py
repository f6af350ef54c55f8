"""The stratified design and its estimators (means, totals, proportions, NPS)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ._calibrate import calibrated_variance
from ._common import as_float_vector, check_choice, warn_degenerate
from ._linearise import label_codes, linearised, make_partition
from ._results import DomainEstimates, Estimate

__all__ = ["StratifiedDesign", "Domains"]

_NPS_TABLE = np.array([-100.0] * 7 + [0.0] * 2 + [100.0] * 2)
_BOUNDS = {"proportion": (0.0, 1.0), "nps": (-100.0, 100.0)}


class StratifiedDesign:
    r"""Stratified simple random sample without replacement of respondents.

    One row per respondent.  With the default weights every respondent of
    stratum h weighs :math:`w_{hi} = N_h / r_h` (r_h respondents out of N_h
    clients: the base weight adjusted for non-response within the tier).

    Estimators are design-based (Cochran 1977, ch. 5; Lohr 2022, ch. 3).  A
    mean is the ratio :math:`\hat{\bar y} = \sum w y / \sum w` with the
    linearised variance

    .. math:: \hat V = \sum_h (1 - r_h/N_h) \frac{r_h}{r_h - 1}
              \sum_{i \in h} (z_{hi} - \bar z_h)^2,\qquad
              z_{hi} = w_{hi} (y_{hi} - \hat{\bar y}) / \sum w,

    which, with the default weights, is exactly the stratified SRSWOR variance
    :math:`\sum_h (N_h/N)^2 (1 - r_h/N_h) s_h^2 / r_h` (Cochran 1977, ch. 5; Lohr 2022, ch. 3).

    Parameters
    ----------
    strata : array_like, shape (n,)
        Stratum (tier) label of every respondent: integers or strings.
    population_sizes : mapping
        ``label -> N_h``, the clients of each stratum in the frame.
    weights : array_like, shape (n,), optional
        Positive weights replacing ``N_h / r_h`` (e.g. calibrated weights).
    calibration : array_like, shape (n, p), keyword-only, optional
        The calibration variables the ``weights`` were raked or calibrated to
        (``analysis.rake(...).matrix``).  Variances then use the residuals of each
        linearised score on them (Deville & Sarndal 1992), so margins fixed by the
        calibration carry no sampling variance.
    single_unit_stratum : {"nan", "skip", "adjust", "raise"}, keyword-only
        A stratum with one respondent (and N_h > 1) has no variance estimate
        (the R equivalents are values of ``options(survey.lonely.psu=)``):

        - ``"nan"`` (default): the SE of every estimate that uses it is nan,
          with a :class:`DegenerateDataWarning`.  R has no such option (its
          default ``"fail"`` stops, as ``"raise"`` here).
        - ``"skip"``: the stratum contributes zero variance, as a certainty
          stratum (R ``"certainty"``; ``"remove"`` gives the same single-stage
          variance).
        - ``"adjust"``: the lonely unit's score is centred at the grand mean of
          the scores over all n respondents instead of its stratum mean, and
          contributes :math:`(1 - 1/N_h)(z_{h1} - \sum_i z_i / n)^2`, without
          a warning (R ``"adjust"``, whose recent versions centre at the
          average of all PSU scores; for means, proportions and NPS the
          scores sum to 0, so both give :math:`(1 - 1/N_h) z_{h1}^2`).  An
          approximation: a lonely stratum has no unbiased variance estimate.
        - ``"raise"``: ValueError here (R ``"fail"``).

    Examples
    --------
    >>> import analysis
    >>> design = analysis.StratifiedDesign(
    ...     ["gold", "gold", "gold", "private", "private"],
    ...     {"gold": 300, "private": 20})
    >>> result = design.mean([4, 5, 3, 5, 4])
    >>> round(result.estimate, 4)    # (300 * 4 + 20 * 4.5) / 320
    4.0312
    """

    def __init__(self, strata, population_sizes, weights=None, *, single_unit_stratum="nan", calibration=None):
        check_choice("single_unit_stratum", single_unit_stratum, ("nan", "skip", "adjust", "raise"))
        if not isinstance(population_sizes, Mapping):
            raise TypeError(
                f"population_sizes must be a mapping label -> N_h, but got {type(population_sizes).__name__}"
            )
        uniques, codes, missing = label_codes("strata", strata)
        if missing.any():
            raise ValueError(
                f"strata must not contain missing labels, but got {int(missing.sum())}"
            )
        r_h = np.bincount(codes, minlength=uniques.size).astype(float)
        big_n = np.empty(uniques.size)
        for h, label in enumerate(uniques.tolist()):
            if label not in population_sizes:
                raise ValueError(f"population_sizes has no entry for stratum {label!r}")
            size = population_sizes[label]
            try:
                big_n[h] = float(size)
            except (TypeError, ValueError):
                raise TypeError(
                    f"population_sizes[{label!r}] must be a number, but got {size!r}"
                ) from None
            if not np.isfinite(big_n[h]) or big_n[h] < r_h[h]:
                raise ValueError(
                    f"population_sizes[{label!r}] must be at least the {int(r_h[h])} respondents "
                    f"of that stratum, but got {size!r}"
                )
        empty = sorted(set(population_sizes) - set(uniques.tolist()), key=repr)
        if empty:
            warn_degenerate(
                f"strata {empty} have no respondents; estimates do not represent their clients"
            )
        n = codes.shape[0]
        if weights is None:
            w = (big_n / r_h)[codes]
        else:
            w = as_float_vector("weights", weights, n).copy()
            if np.isnan(w).any() or (w <= 0).any():
                raise ValueError(
                    "weights must be positive numbers, but got a zero, negative or missing weight"
                )
        lonely = (r_h == 1) & (big_n > 1)
        if lonely.any() and single_unit_stratum == "raise":
            raise ValueError(
                f"strata {uniques[lonely].tolist()} have a single respondent (single_unit_stratum='raise')"
            )
        with np.errstate(divide="ignore", invalid="ignore"):
            c_h = (1.0 - r_h / big_n) * r_h / (r_h - 1.0)
        c_h[lonely] = np.nan if single_unit_stratum == "nan" else 0.0
        c_h[r_h == big_n] = 0.0  # a tier taken whole has no sampling variance
        # "adjust": the lonely unit's own term, (1 - 1/N_h)(z - grand mean)^2
        adjust = single_unit_stratum == "adjust"
        self._lonely_f = np.where(lonely, 1.0 - 1.0 / big_n, 0.0) if adjust else None
        w.flags.writeable = False
        self._codes, self._c_h, self._w, self._r_h = codes, c_h, w, r_h
        self._fpc_h = 1.0 - r_h / big_n
        self._lonely = uniques[lonely].tolist()
        self.strata = uniques
        self.population_sizes = {
            lab: float(v) for lab, v in zip(uniques.tolist(), big_n, strict=True)
        }
        self.n = n
        self.df = n - uniques.size
        self._whole = make_partition(codes, r_h, w, np.zeros(n, dtype=np.intp), 1)
        self._calib = None
        if calibration is not None:
            x = np.asarray(calibration, dtype=float)
            if x.ndim != 2 or x.shape[0] != n or not np.isfinite(x).all():
                raise ValueError(
                    f"calibration must be a finite (n, p) matrix with n = {n}, but got shape {x.shape}"
                )
            self._calib = x

    @property
    def weights(self) -> np.ndarray:
        """Read-only weight of every respondent."""
        return self._w

    def __repr__(self) -> str:
        return f"StratifiedDesign(n={self.n}, strata={self.strata.tolist()!r})"

    def mean(self, y, *, missing="raise") -> Estimate:
        """Population mean of ``y``: ratio estimator ``sum(w y) / sum(w)``, linearised SE.

        ``missing="omit"`` treats NaN rows as outside the domain (they stay in the
        design); ``"raise"`` rejects NaN.  See the class docstring for the formula.
        """
        return self._single(y, "mean", missing)

    def total(self, y, *, missing="raise") -> Estimate:
        r"""Population total :math:`\hat t = \sum w y`, the stratified estimator.

        :math:`\hat V = \sum_h c_h \sum_{i \in h} (w_{hi} y_{hi} - \overline{wy}_h)^2`
        with :math:`c_h = (1 - r_h/N_h)\, r_h/(r_h - 1)` (Cochran 1977, ch. 5;
        Lohr 2022, ch. 3).

        >>> import analysis
        >>> d = analysis.StratifiedDesign(["A", "A", "B", "B"], {"A": 10, "B": 20})
        >>> d.total([1, 0, 1, 1]).estimate        # 10 * 1/2 + 20 * 1 clients
        25.0
        """
        return self._single(y, "total", missing)

    def proportion(self, flag, *, missing="raise") -> Estimate:
        """Share of clients with ``flag`` true (e.g. top-two-box), as a mean of 0/1.

        Its :meth:`Estimate.ci` is the logit interval, inside [0, 1], falling
        back to the Korn-Graubard interval (``method="beta"``) when the
        estimate is 0 or 1 or the SE is 0.

        >>> import analysis
        >>> d = analysis.StratifiedDesign([0] * 5, {0: 1000})
        >>> res = d.proportion([1, 1, 1, 0, 1])           # top-two-box
        >>> low, high = res.ci()
        >>> res.estimate, 0 < low < 0.8 < high < 1
        (0.8, True)
        """
        return self._single(flag, "proportion", missing)

    def nps(self, score_0_10, *, missing="raise") -> Estimate:
        """Net Promoter Score on the -100..100 scale.

        The mean of +100 (scores 9-10, promoters), 0 (7-8) and -100 (0-6,
        detractors): % promoters minus % detractors, estimated as a ratio mean
        with its linearised SE (Reichheld 2003 for the score; the ratio mean as
        in Lohr 2022, ch. 4 and ch. 9 on linearization).

        >>> import analysis
        >>> d = analysis.StratifiedDesign([0, 0, 0, 0], {0: 100})
        >>> d.nps([10, 9, 7, 3]).estimate     # (2 promoters - 1 detractor) / 4
        25.0
        """
        return self._single(score_0_10, "nps", missing)

    def by(self, domain, *, missing="raise") -> Domains:
        """Domains (branch, manager, mode...) estimated inside the whole design.

        Returns a :class:`Domains` whose ``mean``, ``total``, ``proportion`` and
        ``nps`` give a :class:`DomainEstimates`.  ``missing="omit"`` leaves rows
        with a NaN/None label outside every domain.

        >>> import analysis
        >>> d = analysis.StratifiedDesign(["A", "A", "B", "B"], {"A": 10, "B": 20})
        >>> by_mode = d.by(["phone", "visit", "phone", "phone"]).mean([4, 2, 5, 3])
        >>> round(by_mode["phone"].estimate, 4)     # (10/2 * 4 + 10 * 8) / (5 + 20)
        4.0
        """
        return Domains(self, domain, missing=missing)

    # -- machinery shared with Domains -------------------------------------
    def _single(self, y, kind, missing) -> Estimate:
        res = self._estimate(y, kind, missing, self._whole)
        return res[res.labels[0]]

    def _estimate(self, y, kind, missing, part, labels=None) -> DomainEstimates:
        check_choice("missing", missing, ("raise", "omit"))
        name = {"proportion": "flag", "nps": "score_0_10"}.get(kind, "y")
        values, absent = _prepare(name, y, kind, self.n)
        if absent is not None:
            if missing == "raise":
                raise ValueError(
                    f"{name} has {int(absent.sum())} missing values (NaN); pass missing='omit' to leave them out"
                )
            dcodes = np.where(absent, part.D, part.dcodes)
            part = make_partition(self._codes, self._r_h, self._w, dcodes, part.D)
        est, var, deff = linearised(
            part, self._c_h, self._w, values, total=kind == "total", n=self.n, lonely=self._lonely_f
        )
        if self._calib is not None:  # calibrated weights: the variance of the raking residuals
            var0 = var
            var = calibrated_variance(self._codes, self._c_h, self._w, part.dcodes, part.D, values,
                                      self._calib, total=kind == "total")
            with np.errstate(divide="ignore", invalid="ignore"):
                deff = deff * var / var0  # the same SRS variance in the denominator
        if kind in _BOUNDS:  # a ratio of sums can round a hair outside its range
            est = np.clip(est, *_BOUNDS[kind])
        n_d = part.n_d
        if (n_d == 0).any() and kind != "total":
            where = "" if labels is None else f" in domains {labels[n_d == 0].tolist()}"
            warn_degenerate(f"no respondents with a value{where}, so the {kind} is nan", 4)
        if labels is None:
            labels = np.array([None], dtype=object)
        if self._lonely and np.isnan(var).any():
            warn_degenerate(
                f"strata {self._lonely} have a single respondent, so the SE is nan; see single_unit_stratum",
                4,
            )
        return DomainEstimates(labels, est, np.sqrt(var), n_d, deff, self.df, kind)


class Domains:
    """Domain estimation inside a :class:`StratifiedDesign` (from ``design.by``).

    Each estimator uses the domain indicator times y, so the domain's size is
    random and the variance comes from the whole design (Lohr 2022, ch. 4,
    estimation in domains; Cochran 1977, ch. 2 on subpopulations), never from
    treating the domain as its own sample.
    Vectorised over all domains with one bincount per (stratum, domain) cell.
    """

    def __init__(self, design: StratifiedDesign, domain, *, missing="raise"):
        check_choice("missing", missing, ("raise", "omit"))
        labels, dcodes, absent = label_codes("domain", domain, design.n)
        if absent.any():
            if missing == "raise":
                raise ValueError(
                    f"domain has {int(absent.sum())} missing labels; pass missing='omit' to leave them out"
                )
            dcodes = np.where(absent, labels.size, dcodes)
        self.design = design
        self.labels = labels
        self._part = make_partition(design._codes, design._r_h, design._w, dcodes, labels.size)

    def __repr__(self) -> str:
        return f"Domains({len(self.labels)} domains of {self.design!r})"

    def _run(self, y, kind, missing) -> DomainEstimates:
        return self.design._estimate(y, kind, missing, self._part, self.labels)

    def mean(self, y, *, missing="raise") -> DomainEstimates:
        """Domain means ``sum(w y 1_d) / sum(w 1_d)`` with linearised SEs."""
        return self._run(y, "mean", missing)

    def total(self, y, *, missing="raise") -> DomainEstimates:
        """Domain totals ``sum(w y 1_d)``; a domain without respondents totals 0."""
        return self._run(y, "total", missing)

    def proportion(self, flag, *, missing="raise") -> DomainEstimates:
        """Domain proportions of a 0/1 ``flag``, with logit (or Korn-Graubard) intervals."""
        return self._run(flag, "proportion", missing)

    def nps(self, score_0_10, *, missing="raise") -> DomainEstimates:
        """Domain Net Promoter Scores on the -100..100 scale."""
        return self._run(score_0_10, "nps", missing)


def _prepare(name: str, y, kind: str, n: int) -> tuple[np.ndarray, np.ndarray | None]:
    """Validate a response vector and map it to the variable that is averaged.

    Returns the values (0 where missing) and the missing mask (None if complete).
    Boolean flags and integer scores skip the float checks.
    """
    arr = np.asarray(y)
    if arr.ndim == 1 and arr.shape[0] == n:
        if kind == "proportion" and arr.dtype == bool:
            return arr.astype(float), None
        if kind == "nps" and arr.dtype.kind in "iu" and n and 0 <= arr.min() and arr.max() <= 10:
            return _NPS_TABLE[arr], None
    values = as_float_vector(name, arr, n)
    absent = np.isnan(values)
    if not absent.any():
        absent = None
    present = True if absent is None else ~absent
    if kind == "proportion":
        bad = present & (values != 0.0) & (values != 1.0)
        if bad.any():
            raise ValueError(
                f"{name} must hold only 0/1 (or True/False), but got {values[bad][0]!r}"
            )
    elif kind == "nps":
        bad = present & ((values < 0) | (values > 10) | (values != np.floor(values)))
        if bad.any():
            raise ValueError(f"{name} must hold whole scores 0..10, but got {values[bad][0]!r}")
        values = _NPS_TABLE[np.where(present, values, 0).astype(np.intp)]
    if absent is not None:
        values = np.where(absent, 0.0, values)
    return values, absent
