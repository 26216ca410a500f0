"""tools/speaker_folds_check.py: its folds and its notion of a copy (no corpus or binary needed)."""
import json

import pytest

from speaker_folds_check import always_trained, folds_by_speaker, is_original, pearson, training_folder


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



def feature_folder(path, rows, settings):
    (path / "features").mkdir(parents=True)
    (path / "extraction.json").write_text(json.dumps(settings))
    for r in rows:
        (path / r["file"]).write_text(r["id"])
    (path / "index.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return rows


def test_always_trained_rows_join_every_fold_and_are_checked(tmp_path):
    settings = {"model": "m", "preset": "p"}
    rows = feature_folder(tmp_path / "a", [{"id": f"{s}1", "speaker": s, "file": f"features/{s}1.safetensors"} for s in "abc"], settings)
    more = feature_folder(tmp_path / "b", [{"id": "z1", "speaker": "z", "file": "features/z1.safetensors"}], settings)
    assert always_trained(tmp_path / "a", tmp_path / "b", rows) == more
    fold = folds_by_speaker(rows, 3)
    training_folder(tmp_path / "t", tmp_path / "a", rows, fold, 1, tmp_path / "b", more)
    kept = [json.loads(line)["id"] for line in open(tmp_path / "t" / "index.jsonl")]
    assert kept == ["a1", "c1", "z1"]
    assert (tmp_path / "t" / "features" / "z1.safetensors").read_text() == "z1"
    feature_folder(tmp_path / "other", more, {"model": "m", "preset": "q"})
    with pytest.raises(SystemExit):
        always_trained(tmp_path / "a", tmp_path / "other", rows)
    feature_folder(tmp_path / "same", [{"id": "a2", "speaker": "a", "file": "features/a2.safetensors"}], settings)
    with pytest.raises(SystemExit):
        always_trained(tmp_path / "a", tmp_path / "same", rows)
