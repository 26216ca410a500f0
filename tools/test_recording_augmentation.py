"""tools/recording_augmentation.py on a tiny corpus made here (no speechocean762 needed)."""
import json

import numpy as np
import soundfile as sf

from recording_augmentation import main
from recording_conditions_check import speech_power


def make_corpus(folder):
    (folder / "wav").mkdir(parents=True)
    t = np.arange(16000) / 16000
    for i, spk in enumerate(["s1", "s1", "s2"]):
        tone = (0.3 * np.sin(2 * np.pi * 200 * t) * (np.sin(2 * np.pi * 2 * t) > 0)).astype(np.float32)
        sf.write(folder / "wav" / f"u{i}.wav", tone, 16000, subtype="PCM_16")
    (folder / "wav.scp").write_text("".join(f"u{i} wav/u{i}.wav\n" for i in range(3)))
    (folder / "utt2spk").write_text("u0 s1\nu1 s1\nu2 s2\n")
    (folder / "text").write_text("u0 WE CALL IT BEAR\nu1 HELLO\nu2 GOOD MORNING\n")
    (folder / "scores.csv").write_text("utt_id,accuracy,completeness,fluency,prosodic,total,text\n"
                                       "u0,8,10,9,9,8,WE CALL IT BEAR\nu1,5,10,4,5,5,HELLO\nu2,7,10,7,7,7,GOOD MORNING\n")


def test_copies_of_chosen_speakers_keep_speaker_and_labels(tmp_path):
    make_corpus(tmp_path / "corpus")
    (tmp_path / "speakers.json").write_text(json.dumps({"speakers": ["s1"]}))
    main(["--corpus", str(tmp_path / "corpus"), "--speakers", str(tmp_path / "speakers.json"), "--out", str(tmp_path / "aug")])
    rows = [json.loads(l) for l in (tmp_path / "aug" / "manifest.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == ["u0", "u0q", "u0n", "u1", "u1q", "u1n", "u2"]
    by_id = {r["id"]: r for r in rows}
    assert by_id["u1q"]["labels"] == by_id["u1"]["labels"] == {"accuracy": 5, "completeness": 10, "fluency": 4, "prosodic": 5, "total": 5}
    assert by_id["u0n"]["speaker"] == "s1" and by_id["u0n"]["text"] == "WE CALL IT BEAR"
    original, _ = sf.read(by_id["u0"]["audio"], dtype="float32")
    quiet, _ = sf.read(by_id["u0q"]["audio"], dtype="float32")
    noisy, _ = sf.read(by_id["u0n"]["audio"], dtype="float32")
    drop_db = 10 * np.log10(speech_power(original) / speech_power(quiet))
    assert 10 - 0.5 < drop_db < 25 + 0.5
    # The noise fills the pauses: the quietest frames are no longer silent.
    frames = noisy[: len(noisy) // 320 * 320].reshape(-1, 320)
    assert (frames ** 2).mean(1).min() > 1e-6


def test_only_chosen_leaves_the_other_speakers_out(tmp_path):
    make_corpus(tmp_path / "corpus")
    (tmp_path / "speakers.json").write_text(json.dumps({"speakers": ["s2"]}))
    main(["--corpus", str(tmp_path / "corpus"), "--speakers", str(tmp_path / "speakers.json"), "--only-chosen", "--out", str(tmp_path / "aug")])
    rows = [json.loads(l) for l in (tmp_path / "aug" / "manifest.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == ["u2", "u2q", "u2n"]


def test_refuses_an_existing_folder(tmp_path):
    make_corpus(tmp_path / "corpus")
    (tmp_path / "aug").mkdir()
    try:
        main(["--corpus", str(tmp_path / "corpus"), "--out", str(tmp_path / "aug")])
    except SystemExit as e:
        assert "exists" in str(e)
    else:
        raise AssertionError("an existing folder was written into")
