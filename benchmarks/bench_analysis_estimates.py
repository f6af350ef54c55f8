"""Benchmark: wave-by-tier satisfaction estimates with SEs, three ways.

For every wave, the overall and per-tier mean satisfaction (1-5), top-two-box
proportion and NPS, each with its standard error, computed

1. with this package (``analysis.StratifiedDesign`` / ``design.by``),
2. with a plain numpy ``bincount`` baseline written here (same formulas, no checks),
3. with samplics 0.6 ``TaylorEstimator`` (slow: ``--samplics-waves K`` times K waves and
   extrapolates linearly to all waves).

Requirements: ours within 2x of the baseline, and at least 10x faster than samplics.
The figures of (1) must equal those of (2), and of (3) on the waves it ran.

    /work/venv/bin/python benchmarks/bench_analysis_estimates.py --n 1000000 --waves 20 --repeat 3
    /work/venv/bin/python benchmarks/bench_analysis_estimates.py --smoke   # CI: n 20000, 4 waves
"""

from __future__ import annotations

import argparse
import importlib.util
import pathlib
import sys
import time
import warnings

import numpy as np
from numpy.testing import assert_allclose

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
import analysis  # noqa: E402

TIERS = 5
TIER_SHARE = np.array([0.05, 0.10, 0.15, 0.30, 0.40])  # of each wave's respondents
TIER_N = np.array([5_000, 20_000, 60_000, 200_000, 1_000_000])  # clients per tier
SAT_P = np.array(
    [  # P(satisfaction = 1..5) by tier
        [0.02, 0.03, 0.10, 0.35, 0.50],
        [0.02, 0.04, 0.12, 0.37, 0.45],
        [0.03, 0.05, 0.15, 0.40, 0.37],
        [0.04, 0.06, 0.20, 0.40, 0.30],
        [0.05, 0.08, 0.22, 0.38, 0.27],
    ]
)
KINDS = ("mean", "proportion", "nps")
NPS_TABLE = np.array([-100.0] * 7 + [0.0] * 2 + [100.0] * 2)


def make_waves(n: int, waves: int, seed: int):
    """One dict of arrays per wave: tier code, satisfaction 1-5, likelihood to recommend 0-10."""
    rng = np.random.default_rng(seed)
    wave = np.sort(rng.integers(0, waves, n))
    tier = rng.choice(TIERS, n, p=TIER_SHARE)
    u = rng.random(n)
    sat = 1 + (u[:, None] > np.cumsum(SAT_P, axis=1)[tier]).sum(axis=1)
    score = np.clip(np.round(2.2 * sat + rng.normal(-1.0, 1.5, n)), 0, 10).astype(np.int64)
    bounds = np.searchsorted(wave, np.arange(waves + 1))
    pop = {h: int(TIER_N[h]) for h in range(TIERS)}
    out = []
    for k in range(waves):
        sl = slice(bounds[k], bounds[k + 1])
        out.append({"tier": tier[sl], "sat": sat[sl].astype(float), "score": score[sl]})
    return out, pop


# -- (1) this package ---------------------------------------------------------------
def run_ours(waves, pop):
    est = np.empty((len(waves), TIERS + 1, 3))
    se = np.empty_like(est)
    for k, w in enumerate(waves):
        design = analysis.StratifiedDesign(w["tier"], pop)
        by_tier = design.by(w["tier"])
        top2 = w["sat"] >= 4
        overall = (design.mean(w["sat"]), design.proportion(top2), design.nps(w["score"]))
        tiers = (by_tier.mean(w["sat"]), by_tier.proportion(top2), by_tier.nps(w["score"]))
        for j in range(3):
            est[k, 0, j], se[k, 0, j] = overall[j].estimate, overall[j].se
            est[k, 1:, j], se[k, 1:, j] = tiers[j].estimate, tiers[j].se
    return est, se


# -- (2) plain numpy baseline ---------------------------------------------------------
def _ratio_mean(y, w, strata, c_h, r_h, H, dom, D):
    """Domain ratio means, linearised variance: sum_h c_h [sum z^2 - (sum z)^2 / r_h]."""
    pair = strata * D + dom
    w_d = np.bincount(dom, w, minlength=D)
    ybar = np.bincount(dom, w * y, minlength=D) / w_d
    z = w * (y - ybar[dom])
    s = np.bincount(pair, z, minlength=H * D).reshape(H, D)
    q = np.bincount(pair, z * z, minlength=H * D).reshape(H, D)
    var = (c_h[:, None] * (q - s * s / r_h[:, None])).sum(axis=0) / w_d**2
    return ybar, np.sqrt(var)


def run_baseline(waves, pop):
    big_n = np.array([pop[h] for h in range(TIERS)], dtype=float)
    est = np.empty((len(waves), TIERS + 1, 3))
    se = np.empty_like(est)
    for k, w in enumerate(waves):
        tier = w["tier"]
        r_h = np.bincount(tier, minlength=TIERS).astype(float)
        weight = (big_n / r_h)[tier]
        c_h = (1 - r_h / big_n) * r_h / (r_h - 1)
        zeros = np.zeros(tier.size, dtype=np.intp)
        for j, y in enumerate((w["sat"], (w["sat"] >= 4).astype(float), NPS_TABLE[w["score"]])):
            est[k, :1, j], se[k, :1, j] = _ratio_mean(y, weight, tier, c_h, r_h, TIERS, zeros, 1)
            est[k, 1:, j], se[k, 1:, j] = _ratio_mean(y, weight, tier, c_h, r_h, TIERS, tier, TIERS)
    return est, se


# -- (3) samplics ------------------------------------------------------------------------
def run_samplics(waves, pop):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from samplics import PopParam, TaylorEstimator
    est = np.empty((len(waves), TIERS + 1, 3))
    se = np.empty_like(est)
    for k, w in enumerate(waves):
        tier = w["tier"]
        r_h = np.bincount(tier, minlength=TIERS)
        weight = (TIER_N / r_h)[tier]
        fpc = {h: 1 - r_h[h] / pop[h] for h in range(TIERS)}
        top2 = (w["sat"] >= 4).astype(int)
        jobs = (
            (PopParam.mean, w["sat"]),
            (PopParam.prop, top2),
            (PopParam.mean, NPS_TABLE[w["score"]]),
        )
        for j, (param, y) in enumerate(jobs):
            for domain in (None, tier):
                e = TaylorEstimator(param)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    e.estimate(y, weight, stratum=tier, fpc=fpc, domain=domain)
                if domain is None:
                    pick = (lambda d: d[1]) if param == PopParam.prop else (lambda d: d)
                    est[k, 0, j], se[k, 0, j] = pick(e.point_est), pick(e.stderror)
                else:
                    for h in range(TIERS):
                        pe, sd = e.point_est[h], e.stderror[h]
                        est[k, 1 + h, j], se[k, 1 + h, j] = (
                            (pe[1], sd[1]) if param == PopParam.prop else (pe, sd)
                        )
    return est, se


def best_time(fn, *args, repeat=1):
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn(*args)
        best = min(best, time.perf_counter() - t0)
    return best, out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--n", type=int, default=1_000_000, help="responses in all (default 1,000,000)"
    )
    parser.add_argument("--waves", type=int, default=20, help="tracking waves (default 20)")
    parser.add_argument(
        "--repeat", type=int, default=3, help="timing repeats; best is kept (default 3)"
    )
    parser.add_argument(
        "--samplics-waves",
        type=int,
        default=2,
        help="waves timed with samplics, extrapolated (default 2; 0 skips)",
    )
    parser.add_argument("--seed", type=int, default=20260101)
    parser.add_argument(
        "--smoke", action="store_true", help="quick run for CI: --n 20000 --waves 4 --repeat 1"
    )
    args = parser.parse_args(argv)
    if args.smoke:
        args.n, args.waves, args.repeat, args.samplics_waves = 20_000, 4, 1, 1

    waves, pop = make_waves(args.n, args.waves, args.seed)
    print(
        f"data: {args.n:,} responses, {args.waves} waves, {TIERS} tiers; "
        f"per wave x (overall + {TIERS} tiers): mean, top-two-box, NPS with SEs"
    )

    t_ours, (est, se) = best_time(run_ours, waves, pop, repeat=args.repeat)
    t_base, (est_b, se_b) = best_time(run_baseline, waves, pop, repeat=args.repeat)
    assert_allclose(est, est_b, rtol=1e-10, atol=1e-12)
    assert_allclose(se, se_b, rtol=1e-8, atol=1e-12)
    print("check: package figures equal the numpy baseline (rtol 1e-10 estimates, 1e-8 SEs)")

    rows = [("analysis (this package)", t_ours, ""), ("numpy bincount baseline", t_base, "")]
    t_samp = None
    k = min(args.samplics_waves, args.waves)
    if k > 0 and importlib.util.find_spec("samplics") is None:
        print("samplics is not installed: its row is skipped")
        k = 0
    if k > 0:
        t_k, (est_s, se_s) = best_time(run_samplics, waves[:k], pop, repeat=1)
        assert_allclose(est_s, est[:k], rtol=1e-9)
        assert_allclose(se_s, se[:k], rtol=1e-9)
        print(f"check: package figures equal samplics on the {k} waves it ran (rtol 1e-9)")
        t_samp = t_k * args.waves / k
        note = (
            f"timed {k} of {args.waves} waves ({t_k:.3f} s), extrapolated linearly"
            if k < args.waves
            else ""
        )
        rows.append(("samplics TaylorEstimator", t_samp, note))

    print(f"\n{'method':<26}{'seconds':>10}{'vs ours':>10}  note")
    for name, t, note in rows:
        print(f"{name:<26}{t:>10.3f}{t / t_ours:>9.2f}x  {note}")

    checks = [
        (
            "ours within 2x of the numpy baseline",
            t_ours <= 2 * t_base,
            f"ours/baseline = {t_ours / t_base:.2f}",
        )
    ]
    if t_samp is not None:
        checks.append(
            (
                "ours >= 10x faster than samplics",
                t_samp >= 10 * t_ours,
                f"samplics/ours = {t_samp / t_ours:.1f}",
            )
        )
    small = args.n < 200_000
    print()
    for name, ok, detail in checks:
        verdict = "SKIP" if small else ("PASS" if ok else "FAIL")
        print(f"{verdict}  {name} ({detail})")
    if small:
        print("(smoke run: below 200,000 responses fixed overhead dominates; not judged)")
    return 0 if small or all(ok for _, ok, _ in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
