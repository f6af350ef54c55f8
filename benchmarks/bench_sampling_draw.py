"""Benchmark sampling.draw_stratified against plain numpy and pandas.

Usage::

    python benchmarks/bench_sampling_draw.py                      # 1M and 10M units
    python benchmarks/bench_sampling_draw.py --sizes 100000 --repeat 1   # smoke run

Frame: N units over 5 tiers of skewed sizes (1 %, 4 %, 15 %, 30 %, 50 %),
labels shuffled; sample min(2,000, N_h) per tier.  Methods, each timed as the
best of ``--repeat`` runs with ``time.perf_counter`` (the frame and the
DataFrame are built once, outside the timings):

* ``sampling.draw_stratified`` - the product's draw (random keys, partition);
* ``numpy permutation``        - the baseline the requirement is stated against:
  per stratum ``np.flatnonzero(strata == h)`` then
  ``Generator.permutation(idx)[:n_h]``;
* ``pandas groupby sample``    - ``DataFrame.groupby(...).sample`` takes a single
  ``n`` for every group, so the idiomatic per-group form is used: iterate over
  ``df.groupby("s")`` and ``g.sample(n=n_h, random_state=rng)``, then concat.

Requirements (checked at frames of 10M units or more): our draw within 1.5x
of the numpy baseline, and faster than pandas.  Exit status 1 if one fails.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sampling import draw_stratified  # noqa: E402

SHARES = (0.01, 0.04, 0.15, 0.30, 0.50)
TIERS = ("private", "diamond", "platinum", "gold", "standard")


def build_frame(n_units: int, labels: str, seed: int = 0):
    counts = [int(n_units * s) for s in SHARES]
    counts[-1] = n_units - sum(counts[:-1])
    codes = np.repeat(np.arange(len(SHARES)), counts)
    np.random.default_rng(seed).shuffle(codes)
    strata = np.array(TIERS)[codes] if labels == "str" else codes
    keys = list(TIERS) if labels == "str" else list(range(len(SHARES)))
    return strata, dict(zip(keys, counts, strict=True))


def ours(strata, sizes, seed, _df):
    return draw_stratified(strata, sizes, seed).indices


def numpy_baseline(strata, sizes, seed, _df):
    rng = np.random.default_rng(seed)
    parts = []
    for h in sorted(sizes):
        idx = np.flatnonzero(strata == h)
        parts.append(rng.permutation(idx)[: sizes[h]])
    return np.concatenate(parts)


def pandas_groupby(_strata, sizes, seed, df):
    import pandas as pd

    rng = np.random.default_rng(seed)
    parts = [g.sample(n=sizes[h], random_state=rng) for h, g in df.groupby("s", sort=True)]
    return pd.concat(parts).index.to_numpy()


METHODS = {
    "sampling.draw_stratified": ours,
    "numpy permutation": numpy_baseline,
    "pandas groupby sample": pandas_groupby,
}


def best_time(func, args, repeat):
    best = float("inf")
    for r in range(repeat):
        gc.collect()
        start = time.perf_counter()
        out = func(*args[:2], r, args[2])
        best = min(best, time.perf_counter() - start)
    return best, out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--per-stratum", type=int, default=2000)
    parser.add_argument("--labels", choices=["int", "str"], default="int")
    parser.add_argument("--smoke", action="store_true", help="one small frame: shows it runs, checks nothing")
    args = parser.parse_args(argv)
    if args.smoke:
        args.sizes, args.repeat = [100_000], 1
    try:
        import pandas as pd
    except ImportError:  # pandas is only a test/benchmark dependency
        pd = None
        del METHODS["pandas groupby sample"]

    print(f"numpy {np.__version__}" + (f", pandas {pd.__version__}" if pd else ""))
    print(f"{'frame size':>12}  {'method':<26}{'seconds':>10}{'x numpy':>10}")
    failures = []
    for n_units in args.sizes:
        strata, pops = build_frame(n_units, args.labels)
        sizes = {h: min(args.per_stratum, n) for h, n in pops.items()}
        df = pd.DataFrame({"s": strata}) if pd else None
        times = {}
        for name, func in METHODS.items():
            times[name], picked = best_time(func, (strata, sizes, df), args.repeat)
            assert picked.size == sum(sizes.values()), name
            assert np.unique(picked).size == picked.size, name
        base = times["numpy permutation"]
        for name, sec in times.items():
            print(f"{n_units:>12,}  {name:<26}{sec:>10.4f}{sec / base:>10.2f}")
        ratio = times["sampling.draw_stratified"] / base
        checks = [(f"draw within 1.5x of numpy baseline ({ratio:.2f}x)", ratio <= 1.5)]
        if pd:
            pratio = times["sampling.draw_stratified"] / times["pandas groupby sample"]
            checks.append((f"draw faster than pandas ({pratio:.2f}x pandas time)", pratio < 1))
        required = n_units >= 10_000_000
        for text, ok in checks:
            tag = "PASS" if ok else "FAIL"
            note = "" if required else "  (informative: requirement is at 10M)"
            print(f"{'':>12}  {tag}: {text}{note}")
            if required and not ok:
                failures.append((n_units, text))
        del strata, df
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
