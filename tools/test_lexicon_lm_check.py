"""Tests for tools/lexicon_lm_check.py's decoders (numpy only: no model, corpus or wordfreq)."""
import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lexicon_lm_check as lm  # noqa: E402

VOCAB = {"<pad>": 0, "|": 1, "A": 2, "C": 3, "T": 4, "X": 5, "D": 6, "O": 7, "G": 8}


def posteriors(frames):
    """Log posteriors from rows of {token: probability}; the rest shared by the other tokens."""
    rows = []
    for probs in frames:
        row = np.full(len(VOCAB), (1 - sum(probs.values())) / (len(VOCAB) - len(probs)))
        for token, p in probs.items():
            row[VOCAB[token]] = p
        rows.append(np.log(row))
    return np.array(rows)


def test_greedy_collapses_repeats_and_blanks():
    lp = posteriors([{"C": 0.9}, {"C": 0.9}, {"<pad>": 0.9}, {"A": 0.9}, {"T": 0.9}, {"|": 0.9}, {"D": 0.9}, {"O": 0.9},
                     {"<pad>": 0.9}, {"O": 0.9}, {"G": 0.9}])
    assert lm.greedy_decode(lp, VOCAB) == "CAT DOOG"


def test_beam_keeps_to_the_lexicon():
    # Greedy reads "CAX": X is a little more likely than T in the last frame.
    lp = posteriors([{"C": 0.9}, {"A": 0.9}, {"X": 0.5, "T": 0.4}])
    assert lm.greedy_decode(lp, VOCAB) == "CAX"
    lexicon = lm.Lexicon({"CAT": math.log(0.01), "DOG": math.log(0.01)})
    assert lm.beam_decode(lp, lexicon, VOCAB, alpha=0.5, beta=0.0, width=8) == "CAT"


def test_beam_word_boundaries_and_frequency():
    # "CAT DOG" with a clear word delimiter; a rarer spelling of the first word loses to the
    # frequent one when the audio cannot tell them apart.
    lp = posteriors([{"C": 0.9}, {"A": 0.9}, {"T": 0.45, "D": 0.45}, {"|": 0.9}, {"D": 0.9}, {"O": 0.9}, {"G": 0.9}])
    lexicon = lm.Lexicon({"CAT": math.log(0.01), "CAD": math.log(0.0001), "DOG": math.log(0.01)})
    assert lm.beam_decode(lp, lexicon, VOCAB, alpha=1.0, beta=0.0, width=8) == "CAT DOG"
    rarer_cat = lm.Lexicon({"CAT": math.log(0.0001), "CAD": math.log(0.01), "DOG": math.log(0.01)})
    assert lm.beam_decode(lp, rarer_cat, VOCAB, alpha=1.0, beta=0.0, width=8) == "CAD DOG"
