"""Simulation figures of issue 12: overlap-aware change SEs and bootstrap importance coverage.

1. A panel of two waves (n per wave, m clients in both, answers correlated rho), ``--panel-reps``
   repeats: the root mean square of the estimated SE of the change, with the overlap covariance
   (``analysis.overlap_covariance``, Kish 1965) and without it, against the simulated SD.
2. Key drivers: ``--coverage-sims`` samples of a population whose Shapley importance is known
   exactly; the share of samples whose bootstrap 95% interval (200 replicates, within tiers)
   covers it, per item.

    python benchmarks/bench_analysis_simulations.py                    # the figures of the report
    python benchmarks/bench_analysis_simulations.py --smoke            # CI: small and quick
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import analysis  # noqa: E402
from tests.test_analysis_driver_boot import sample, true_share  # noqa: E402
from tests.test_analysis_overlap import simulate_panel  # noqa: E402


def panel(reps: int, n: int, m: int, rho: float, seed: int) -> dict[str, float]:
    sd, se_o, se_i = simulate_panel(np.random.default_rng(seed), reps, n, m, rho)
    return {"sd": sd, "overlap": float(np.sqrt(np.mean(se_o**2))), "independent": float(np.sqrt(np.mean(se_i**2)))}


def coverage(sims: int, n: int, seed: int) -> np.ndarray:
    truth = true_share()
    rng = np.random.default_rng(seed)
    hits = np.zeros(truth.size)
    for s in range(sims):
        x, y, w, tier = sample(rng, n)
        ci = analysis.driver_intervals(x, y, w, tier, seed=s)
        hits += (ci.low <= truth) & (truth <= ci.high)
    return hits / sims


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--panel-reps", type=int, default=5000)
    p.add_argument("--coverage-sims", type=int, default=400)
    p.add_argument("--smoke", action="store_true")
    args = p.parse_args()
    reps, sims = (200, 10) if args.smoke else (args.panel_reps, args.coverage_sims)
    t0 = time.perf_counter()
    for rho in (0.3, 0.6, 0.9):
        f = panel(reps, 120, 60, rho, 20261201)
        print(f"panel rho={rho}: simulated SD {f['sd']:.4f}; overlap SE {f['overlap']:.4f} "
              f"({100 * (f['overlap'] / f['sd'] - 1):+.1f}%); independent SE {f['independent']:.4f} "
              f"({100 * (f['independent'] / f['sd'] - 1):+.1f}%)  [{reps} repeats]")
    cov = coverage(sims, 300, 2026)
    print(f"bootstrap 95% importance intervals, coverage of the true share per item: "
          f"{', '.join(f'{c:.3f}' for c in cov)}  [{sims} samples of 300, true shares "
          f"{', '.join(f'{s:.3f}' for s in true_share())}]")
    print(f"{time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
