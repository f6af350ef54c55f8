"""Stratified SRSWOR draw with release order (sampling._draw)."""

import itertools

import numpy as np
import pytest
from scipy import stats

import sampling._draw as draw_module
from sampling import ALGORITHM, Draw, draw_stratified

# A small frame: 12 gold and 8 private clients, interleaved.
FRAME = np.array(["gold", "private"] * 8 + ["gold"] * 4)
SIZES = {"gold": 4, "private": 3}
N_DRAWS = 2000
ALPHA = 0.001


def _inclusion_counts(sampler, frame, sizes, n_draws=N_DRAWS):
    counts = np.zeros(frame.size, dtype=np.int64)
    for seed in range(n_draws):
        picked = sampler(frame, sizes, seed)
        assert np.unique(picked).size == picked.size  # no unit twice
        counts[picked] += 1
    return counts


def _uniformity_pvalues(counts, frame):
    """Chi-square goodness of fit of inclusion counts to 'every unit of a stratum
    equally often'.  Counts of a without-replacement sampler vary less than
    multinomial counts, so the test is conservative under the null; it still
    rejects a biased sampler (see test_check_rejects_a_biased_sampler)."""
    return {h: stats.chisquare(counts[frame == h]).pvalue for h in np.unique(frame).tolist()}


def _ours(frame, sizes, seed):
    return draw_stratified(frame, sizes, seed).indices


def _biased(frame, sizes, seed):
    """A deliberately wrong sampler: favours low frame indices (weights 1/(rank+1))."""
    rng = np.random.default_rng(seed)
    out = []
    for h, n in sizes.items():
        idx = np.flatnonzero(frame == h)
        w = 1.0 / np.arange(1, idx.size + 1)
        out.append(rng.choice(idx, n, replace=False, p=w / w.sum()))
    return np.concatenate(out)


def test_every_unit_equally_likely():
    counts = _inclusion_counts(_ours, FRAME, SIZES)
    for h, n in SIZES.items():  # expected n_h / N_h * draws per unit
        assert counts[FRAME == h].sum() == n * N_DRAWS
    pvalues = _uniformity_pvalues(counts, FRAME)
    assert min(pvalues.values()) > ALPHA, pvalues


def _off_by_one(frame, sizes, seed):
    """A realistic bug: permutes all but the last unit of each stratum."""
    rng = np.random.default_rng(seed)
    return np.concatenate(
        [rng.permutation(np.flatnonzero(frame == h)[:-1])[:n] for h, n in sizes.items()]
    )


@pytest.mark.parametrize("sampler", [_biased, _off_by_one])
def test_check_rejects_a_biased_sampler(sampler):
    counts = _inclusion_counts(sampler, FRAME, SIZES)
    pvalues = _uniformity_pvalues(counts, FRAME)
    assert max(pvalues.values()) < ALPHA, pvalues


def test_every_subset_equally_likely():
    # SRSWOR: all C(6, 2) = 15 pairs equally likely; one pair per draw, so the
    # counts are exactly multinomial and the chi-square test is exact.
    frame = np.zeros(6, dtype=np.int64)
    pairs = list(itertools.combinations(range(6), 2))
    counts = dict.fromkeys(pairs, 0)
    for seed in range(3000):
        counts[tuple(sorted(draw_stratified(frame, {0: 2}, seed).indices.tolist()))] += 1
    assert stats.chisquare(list(counts.values())).pvalue > ALPHA


def test_released_prefix_is_a_simple_random_sample():
    # release the first k = 2 of n_h = 4 in each stratum: each unit's inclusion
    # frequency is uniform, and the first released unit is uniform (multinomial).
    counts = np.zeros(FRAME.size, dtype=np.int64)
    first = np.zeros(FRAME.size, dtype=np.int64)
    for seed in range(N_DRAWS):
        d = draw_stratified(FRAME, {"gold": 4, "private": 4}, seed)
        counts[d.released(2)] += 1
        first[d.released(1)] += 1
    for h in ["gold", "private"]:
        assert stats.chisquare(counts[FRAME == h]).pvalue > ALPHA
        assert stats.chisquare(first[FRAME == h]).pvalue > ALPHA


def test_released_prefix_pairs_equally_likely():
    frame = np.zeros(6, dtype=np.int64)
    counts = {}
    for seed in range(3000):
        pair = tuple(sorted(draw_stratified(frame, {0: 4}, seed).released(2).tolist()))
        counts[pair] = counts.get(pair, 0) + 1
    assert len(counts) == 15
    assert stats.chisquare(list(counts.values())).pvalue > ALPHA


def test_sizes_and_fields():
    d = draw_stratified(FRAME, SIZES, seed=7)
    assert isinstance(d, Draw)
    assert d.indices.dtype == np.int64 and d.release_order.dtype == np.int64
    assert d.sample_sizes == {"gold": 4, "private": 3}
    assert d.population_sizes == {"gold": 12, "private": 8}
    assert d.strata.tolist() == ["gold"] * 4 + ["private"] * 3
    assert np.array_equal(FRAME[d.indices], d.strata)
    assert d.release_order.tolist() == [0, 1, 2, 3, 0, 1, 2]
    np.testing.assert_allclose(d.inclusion_prob, [4 / 12] * 4 + [3 / 8] * 3)
    np.testing.assert_allclose(d.weights, [3.0] * 4 + [8 / 3] * 3)
    assert d.seed == 7 and d.algorithm == ALGORITHM == "stratified-srswor-randomkeys-v1"
    assert d.numpy_version == np.__version__
    assert np.unique(d.indices).size == d.indices.size
    with pytest.raises(ValueError):
        d.indices[0] = 3  # read-only
    with pytest.raises(AttributeError):
        d.seed = 8  # frozen


def test_same_seed_same_draw_and_different_seed_different_draw():
    frame = np.random.default_rng(0).integers(0, 4, 5000)
    sizes = {0: 50, 1: 50, 2: 50, 3: 50}
    a, b = draw_stratified(frame, sizes, 99), draw_stratified(frame.tolist(), sizes, 99)
    assert np.array_equal(a.indices, b.indices)
    assert np.array_equal(a.release_order, b.release_order)
    c = draw_stratified(frame, sizes, 100)
    assert not np.array_equal(a.indices, c.indices)


def test_key_order_of_sizes_does_not_matter():
    a = draw_stratified(FRAME, {"gold": 4, "private": 3}, 5)
    b = draw_stratified(FRAME, {"private": 3, "gold": 4}, 5)
    assert np.array_equal(a.indices, b.indices)


def test_pinned_draw():
    # Computed once (numpy 2.4, x86-64 Linux) and pinned.  PCG64 seeded through
    # SeedSequence and its raw 64-bit outputs are specified bit for bit by NumPy
    # (NEP 19), and the selection uses only exact integer comparisons and
    # stable sorts, so this draw must be identical on every platform.
    assert np.random.default_rng(20261001).bit_generator.random_raw(3).tolist() == [
        11822568575912000804,
        14634179942841585867,
        856562762062946196,
    ]
    tiers = np.array(
        "gold standard private standard gold standard platinum standard gold standard "
        "private standard standard gold platinum standard gold standard standard platinum".split()
    )
    d = draw_stratified(
        tiers, {"private": 1, "platinum": 2, "gold": 3, "standard": 4}, seed=20261001
    )
    assert d.indices.tolist() == [8, 16, 13, 14, 19, 2, 9, 5, 12, 11]
    assert d.release_order.tolist() == [0, 1, 2, 0, 1, 0, 0, 1, 2, 3]
    assert d.population_sizes == {"gold": 5, "platinum": 3, "private": 2, "standard": 10}
    lab = np.arange(1000) % 7
    d = draw_stratified(lab, dict.fromkeys(range(7), 5), seed=12345)
    assert d.indices.tolist() == [
        336,
        868,
        630,
        798,
        980,
        29,
        764,
        246,
        449,
        960,
        646,
        247,
        471,
        541,
        422,
        563,
        878,
        255,
        766,
        647,
        319,
        648,
        662,
        39,
        109,
        558,
        320,
        796,
        523,
        215,
        342,
        734,
        573,
        419,
        440,
    ]


def test_many_strata_path_gives_the_same_draw(monkeypatch):
    frame = np.random.default_rng(1).integers(0, 30, 3000).astype(str)
    sizes = {h: 7 for h in np.unique(frame).tolist()}
    sizes["unused"] = 0  # a stratum absent from the frame, with size 0
    by_sort = draw_stratified(frame, sizes, 3)  # 31 strata > 16: sort path
    monkeypatch.setattr(draw_module, "_MASK_MAX_STRATA", 100)
    by_mask = draw_stratified(frame, sizes, 3)
    assert np.array_equal(by_sort.indices, by_mask.indices)
    assert by_sort.population_sizes == by_mask.population_sizes
    assert by_sort.population_sizes["unused"] == 0


def test_census_and_empty_strata():
    d = draw_stratified(FRAME, {"gold": 12, "private": 0}, seed=1)
    assert sorted(d.indices.tolist()) == np.flatnonzero(FRAME == "gold").tolist()
    assert d.release_order.tolist() == list(range(12))
    np.testing.assert_allclose(d.inclusion_prob, 1.0)
    assert d.sample_sizes == {"gold": 12, "private": 0}


def test_ties_between_keys_go_to_the_earlier_unit():
    keys = np.array([5, 1, 5, 5, 0], dtype=np.uint64)
    assert draw_module._select(keys, 3).tolist() == [4, 1, 0]
    assert draw_module._select(keys, 5).tolist() == [4, 1, 0, 2, 3]
    assert draw_module._select(keys, 0).tolist() == []


@pytest.mark.parametrize("n", [1, 5, 50, 400, 2500])
def test_threshold_prefilter_is_exact(n):
    keys = np.random.default_rng(n).bit_generator.random_raw(10_000)
    assert np.array_equal(draw_module._select(keys, n), draw_module._select_exact(keys, n))
    # keys too large for the threshold: the fallback partitions everything
    high = keys | np.uint64(1 << 63)
    assert np.array_equal(draw_module._select(high, n), draw_module._select_exact(high, n))
    # with heavy ties (few distinct keys) the earlier position still wins
    tied = keys % np.uint64(7)
    assert np.array_equal(draw_module._select(tied, n), draw_module._select_exact(tied, n))
    for k in (keys, high, tied):  # the definition: sort by (key, position), take n
        assert np.array_equal(draw_module._select(k, n), np.lexsort((np.arange(k.size), k))[:n])


def test_seed_none_is_recorded_and_reproduces():
    d = draw_stratified(FRAME, SIZES)
    again = draw_stratified(FRAME, SIZES, seed=d.seed)
    assert np.array_equal(d.indices, again.indices)


def test_released():
    d = draw_stratified(FRAME, SIZES, seed=11)
    gold = d.indices[d.strata == "gold"]
    assert d.released({"gold": 2}).tolist() == gold[:2].tolist()
    assert d.released(0).size == 0
    assert d.released(100).tolist() == d.indices.tolist()  # an int is capped at n_h
    assert d.released({"gold": 4, "private": 3}).tolist() == d.indices.tolist()
    with pytest.raises(ValueError, match=r"k\['gold'\] must be <= n_h = 4 but got 5"):
        d.released({"gold": 5})
    with pytest.raises(ValueError, match="k names stratum 'silver'"):
        d.released({"silver": 1})
    with pytest.raises(TypeError, match="k must be an int or a mapping"):
        d.released([1, 2])


def test_errors_name_the_stratum():
    with pytest.raises(
        ValueError,
        match=r"sizes\['private'\] = 9 exceeds the 8 units of "
        r"stratum 'private'",
    ):
        draw_stratified(FRAME, {"gold": 1, "private": 9}, seed=1)
    with pytest.raises(ValueError, match="strata contains label 'private', which has no entry"):
        draw_stratified(FRAME, {"gold": 1}, seed=1)
    with pytest.raises(ValueError, match=r"sizes\['silver'\] = 1 exceeds the 0 units"):
        draw_stratified(FRAME, {"gold": 1, "private": 1, "silver": 1}, seed=1)
    with pytest.raises(ValueError, match="strata must be 1-D"):
        draw_stratified(FRAME.reshape(4, 5), SIZES, seed=1)
    with pytest.raises(ValueError, match=r"sizes\['gold'\] must be >= 0 but got -1"):
        draw_stratified(FRAME, {"gold": -1, "private": 1}, seed=1)
    with pytest.raises(ValueError, match="seed must be >= 0 but got -3"):
        draw_stratified(FRAME, SIZES, seed=-3)
    with pytest.raises(TypeError, match="sizes keys must be mutually sortable"):
        draw_stratified(FRAME, {"gold": 1, 2: 1}, seed=1)


def test_integer_and_object_labels():
    ints = np.repeat(np.array([3, 1, 2]), [10, 20, 30])
    d = draw_stratified(ints, {1: 2, 2: 3, 3: 4}, seed=4)
    assert d.strata.tolist() == [1, 1, 2, 2, 2, 3, 3, 3, 3]
    objs = np.array(["a", "b", "c"] * 5, dtype=object)
    d = draw_stratified(objs, {"a": 1, "b": 2, "c": 3}, seed=4)
    assert d.sample_sizes == {"a": 1, "b": 2, "c": 3}
