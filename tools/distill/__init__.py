"""Distillation of a real recogniser (Whisper base, via CTranslate2 weights) into
Proscore's default Wav2Vec2ForCTC. Tools only; see tools/distill_default_model.py."""
