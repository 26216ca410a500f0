"""Tests for tools/score_agreement.py (standard library only)."""
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import score_agreement as sa  # noqa: E402


def test_normalise_and_rates():
    assert sa.normalise("We call it bear, 2 times!") == "WE CALL IT BEAR TWO TIMES"
    cer, wer = sa.error_rates([("WE CALL IT BEER", "we call it bear")])
    assert abs(cer - 1 / 15) < 1e-9 and abs(wer - 1 / 4) < 1e-9


def test_two_runs(tmp_path, capsys):
    manifest = tmp_path / "m.jsonl"
    manifest.write_text(json.dumps({"id": "a", "audio": "a.wav", "speaker": "s", "text": "HELLO THERE"}) + "\n")
    for name, transcript, total in (("x.jsonl", "HELLO THERE", 7.0), ("y.jsonl", "HELLO THEE", 7.25)):
        (tmp_path / name).write_text(json.dumps({"id": "a", "transcript": transcript, "scores": {"total": total}}) + "\n")
    assert sa.main([str(tmp_path / "x.jsonl"), str(tmp_path / "y.jsonl"), "--manifest", str(manifest), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["utterances"] == 1 and out["transcripts_identical"] == 0
    assert abs(out["score_difference"]["total"]["max"] - 0.25) < 1e-9
    assert abs(out["cer_difference_points"] - 100 / 11) < 1e-9
