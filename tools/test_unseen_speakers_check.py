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
