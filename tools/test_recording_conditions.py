"""Known answers for the recording conditions that tools/recording_conditions_check.py makes."""
import numpy as np

import recording_conditions_check as conditions


def tone(frequency_hz: float, rate: int = 16000, seconds: float = 1.0) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return np.sin(2 * np.pi * frequency_hz * t).astype(np.float32)


def amplitude(x: np.ndarray) -> float:
    return float(x[200:-200].std() * np.sqrt(2))


def test_telephone_band_keeps_speech_frequencies_and_drops_what_8_khz_cannot_hold():
    for f in (300, 1000, 3000):
        out = conditions.telephone_band(tone(f))
        assert len(out) == 8000
        assert abs(amplitude(out) - 1) < 0.02, f
    for f in (5000, 7000):
        assert amplitude(conditions.telephone_band(tone(f))) < 0.01, f


def test_every_condition_but_the_telephone_band_keeps_the_rate():
    made = conditions.conditions(tone(440), 16000, np.random.default_rng(0))
    assert made["8 kHz telephone band"][1] == 8000
    assert {rate for name, (_, rate) in made.items() if name != "8 kHz telephone band"} == {16000}
    assert abs(amplitude(made["15 dB quieter"][0]) - 10 ** (-15 / 20)) < 0.01
