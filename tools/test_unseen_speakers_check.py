"""The statistics of tools/unseen_speakers_check.py against known answers."""
import numpy as np

from unseen_speakers_check import ranks, stats


def test_ranks_share_ties():
    assert list(ranks(np.array([3.0, 1.0, 3.0, 2.0]))) == [2.5, 0.0, 2.5, 1.0]


def test_stats_known_answers():
    s = stats([1, 2, 3, 4], [2, 4, 6, 8])
    assert s["pearson"] == 1.0 and s["spearman"] == 1.0 and s["count"] == 4
    assert s["rmse"] == round(float(np.sqrt(np.mean([1, 4, 9, 16]))), 3)
    # A monotone but curved relation: Spearman 1, Pearson below 1.
    curved = stats([1, 2, 3, 10], [1, 2, 3, 4])
    assert curved["spearman"] == 1.0 and curved["pearson"] < 1.0
    assert stats([1, 2, 3], [3, 2, 1])["pearson"] == -1.0


def test_speaker_bootstrap_intervals():
    from unseen_speakers_check import speaker_bootstrap
    rng = np.random.default_rng(0)
    speakers = np.repeat(np.arange(20), 20)
    gold = rng.normal(size=400)
    good = gold + 0.3 * rng.normal(size=400)     # r about 0.96
    poor = gold + 2.0 * rng.normal(size=400)     # r about 0.45
    b = speaker_bootstrap(speakers, good, gold, other=poor, rounds=300)
    lo, hi = b["pearson_95"]
    assert 0.9 < lo < hi < 1.0
    # The better predictor's margin is clearly positive...
    assert b["minus_baseline_95"][0] > 0.3
    # ...and a predictor against itself differs by exactly 0 in every draw.
    assert speaker_bootstrap(speakers, good, gold, other=good, rounds=50)["minus_baseline_95"] == [0.0, 0.0]


def test_basis_matches_the_swift_known_answers():
    """The numpy mirror of FeatureBasis.swift gives its test's known answers."""
    from unseen_speakers_check import basis_expand
    rows = np.array([[float(i), 5.0] for i in range(101)])
    z = basis_expand(np.array([[200.0, 5.0], [30.0, 5.0]]), rows)
    # clipped to 99, then hinges at 20/40/60/80; the constant column stays 5 with zero hinges
    assert list(z[0]) == [99, 5, 79, 0, 59, 0, 39, 0, 19, 0]
    assert list(z[1]) == [30, 5, 10, 0, 0, 0, 0, 0, 0, 0]


def test_basis_baseline_follows_a_saturating_relation():
    from unseen_speakers_check import ridge_basis_fit_predict
    rng = np.random.default_rng(3)
    x = rng.uniform(2, 5, size=(400, 1))
    y = 2 * np.minimum(x[:, 0], 3.2) + 0.1 * rng.normal(size=400)
    speakers = [f"s{i // 10}" for i in range(400)]
    pred = ridge_basis_fit_predict(x[:300], y[:300], speakers[:300], x[300:])
    linear = np.polyval(np.polyfit(x[:300, 0], y[:300], 1), x[300:, 0])
    assert np.corrcoef(pred, y[300:])[0, 1] > np.corrcoef(linear, y[300:])[0, 1] + 0.05
