"""Design-based estimation for the client-satisfaction tracking product.

A pure package: it imports only the standard library, numpy and scipy.  Data
comes in as arrays (one row per respondent) and leaves as frozen dataclasses.
scipy is imported inside the functions that use it, not at module level: the web
app imports this package when it starts, and a worker that only serves survey
forms should not carry scipy (some 70 MB).

Designs and estimates
---------------------
StratifiedDesign  -- stratified SRSWOR of respondents, weights N_h / r_h
Domains           -- ``design.by(domain)``: domain estimation inside the design
Estimate          -- ``.estimate``, ``.se``, ``.ci(level)``, ``.deff``, ``.n``
DomainEstimates   -- mapping label -> Estimate, plus arrays

Changes over waves
------------------
compare           -- difference of two wave estimates (with their covariance when they overlap)
overlap_covariance -- covariance of two waves' means from the clients in both (Kish 1965)
adjust_pvalues    -- Holm (default), Bonferroni, Hochberg, Benjamini-Hochberg
trend             -- generalised least-squares slope per wave (known or residual scale)

Fieldwork outcomes
------------------
disposition_counts -- AAPOR final codes -> I, P, R, NC, O, UH, UO, NE
response_rates     -- RR1-RR6, COOP1-COOP4, REF1-REF3, CON1-CON3

Reporting
---------
drivers           -- Shapley importance and performance of service items
driver_intervals  -- stratified bootstrap intervals of the importance shares
scorecard         -- per manager/branch estimates shrunk toward the mean, ranks and bands
scorecard_prior   -- between/within-group variances fitted once per wave
between_variance  -- Paule-Mandel, REML or DerSimonian-Laird tau^2

Calibration
-----------
rake              -- raking ratio weights to known margins (variance by raking residuals)

References: Cochran, *Sampling Techniques* (3rd ed., 1977); Lohr, *Sampling:
Design and Analysis* (3rd ed., 2022); AAPOR, *Standard Definitions* (2023);
Korn & Graubard, "Confidence intervals for proportions with small expected
number of positive counts estimated from survey data", *Survey Methodology*
24 (1998), 193-201 (the ``method="beta"`` proportion interval).
"""

from ._aapor import DispositionCounts, ResponseRates, disposition_counts, response_rates
from ._calibrate import Raking, rake
from ._common import DegenerateDataWarning
from ._compare import Comparison, Trend, adjust_pvalues, compare, trend
from ._design import Domains, StratifiedDesign
from ._driver_boot import DriverIntervals, driver_intervals
from ._drivers import DriverAnalysis, drivers
from ._overlap import Overlap, overlap_covariance
from ._results import DomainEstimates, Estimate
from ._scorecard import Scorecard, ScorecardPrior, scorecard, scorecard_prior
from ._tau2 import between_variance

__all__ = [
    "Comparison",
    "DegenerateDataWarning",
    "DispositionCounts",
    "DomainEstimates",
    "Domains",
    "DriverAnalysis",
    "DriverIntervals",
    "Estimate",
    "Overlap",
    "Raking",
    "ResponseRates",
    "Scorecard",
    "ScorecardPrior",
    "StratifiedDesign",
    "Trend",
    "adjust_pvalues",
    "between_variance",
    "compare",
    "disposition_counts",
    "driver_intervals",
    "drivers",
    "overlap_covariance",
    "rake",
    "response_rates",
    "scorecard",
    "scorecard_prior",
    "trend",
]
