"""Design-based estimation for the client-satisfaction tracking product.

A pure package: it imports only the standard library, numpy and scipy.  Data
comes in as arrays (one row per respondent) and leaves as frozen dataclasses.

Designs and estimates
---------------------
StratifiedDesign  -- stratified SRSWOR of respondents, weights N_h / r_h
Domains           -- ``design.by(domain)``: domain estimation inside the design
Estimate          -- ``.estimate``, ``.se``, ``.ci(level)``, ``.deff``, ``.n``
DomainEstimates   -- mapping label -> Estimate, plus arrays

Changes over waves
------------------
compare           -- difference of two independent wave estimates
adjust_pvalues    -- Holm (default), Bonferroni, Hochberg, Benjamini-Hochberg
trend             -- weighted least-squares slope per wave

Fieldwork outcomes
------------------
disposition_counts -- AAPOR final codes -> I, P, R, NC, O, UH, UO, NE
response_rates     -- RR1-RR6, COOP1-COOP4, REF1-REF3, CON1-CON3

Reporting
---------
drivers           -- Shapley importance and performance of service items
scorecard         -- per manager/branch estimates shrunk toward the mean

References: Cochran, *Sampling Techniques* (3rd ed., 1977); Lohr, *Sampling:
Design and Analysis* (3rd ed., 2022); AAPOR, *Standard Definitions* (2023);
Korn & Graubard, "Confidence intervals for proportions with small expected
number of positive counts estimated from survey data", *Survey Methodology*
24 (1998), 193-201 (the ``method="beta"`` proportion interval).
"""

from ._aapor import DispositionCounts, ResponseRates, disposition_counts, response_rates
from ._common import DegenerateDataWarning
from ._compare import Comparison, Trend, adjust_pvalues, compare, trend
from ._design import Domains, StratifiedDesign
from ._drivers import DriverAnalysis, drivers
from ._results import DomainEstimates, Estimate
from ._scorecard import Scorecard, scorecard

__all__ = [
    "Comparison",
    "DegenerateDataWarning",
    "DispositionCounts",
    "DomainEstimates",
    "Domains",
    "DriverAnalysis",
    "Estimate",
    "ResponseRates",
    "Scorecard",
    "StratifiedDesign",
    "Trend",
    "adjust_pvalues",
    "compare",
    "disposition_counts",
    "drivers",
    "response_rates",
    "scorecard",
    "trend",
]
