"""tools/speaker_folds_check.py: its folds and its notion of a copy (no corpus or binary needed)."""
import pytest

from speaker_folds_check import folds_by_speaker, is_original, pearson


def test_every_speaker_in_one_fold_and_the_folds_do_not_depend_on_row_order():
    rows = [{"speaker": s, "id": str(i)} for i, s in enumerate("dcbaedcbaf")]
    fold = folds_by_speaker(rows, 3)
    assert fold == {"a": 0, "b": 1, "c": 2, "d": 0, "e": 1, "f": 2}
    assert folds_by_speaker(list(reversed(rows)), 3) == fold


def test_too_few_speakers_is_an_error():
    with pytest.raises(SystemExit):
        folds_by_speaker([{"speaker": "a", "id": "1"}], 5)


def test_copies_are_not_originals():
    assert is_original({"id": "000010011"})
    assert not is_original({"id": "000010011q"}) and not is_original({"id": "000010011n"})


def test_pearson_known_answers():
    assert pearson([1, 2, 3], [2, 4, 6]) == 1.0 and pearson([1, 2, 3], [3, 2, 1]) == -1.0

