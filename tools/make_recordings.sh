#!/usr/bin/env bash
# Regenerates the demo recordings in recordings/ with espeak-ng and sox (Debian packages).
# They are synthetic speech made by us, so they can be committed and redistributed.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p recordings
say() {  # voice, words-per-minute, pitch, text, output
    espeak-ng -v "$1" -s "$2" -p "$3" -w /tmp/proscore-say.wav "$4"
    sox /tmp/proscore-say.wav -r 22050 -c 1 "$5"
    rm -f /tmp/proscore-say.wav
}
say en-us 150 50 "Hello. My name is Anna, and I am learning English. Every morning I read the news, and then I walk to work with my friend." \
    recordings/anna-morning.flac
say en-gb 120 40 "I think, um, the weather today is... very nice. We can go to the park and, uh, play football after school." \
    recordings/park-hesitant.flac
ls -l recordings
