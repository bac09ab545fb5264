#!/usr/bin/env python3
"""Generate the audio test fixtures in fixtures/audio/ (deterministic).

Needs the Debian packages `espeak-ng` (speech) and `sox` (resampling and
format conversion). If either is missing and we run as root, this script
installs them with `apt-get update && apt-get install -y espeak-ng sox`;
otherwise it stops and says so.

Everything except the speech is synthesised here with numpy from fixed
random seeds, so running the script again gives byte-identical files
(checked with sha256 in fixtures/audio/README.md). Output: 16 kHz mono
16-bit PCM WAV, 3-8 s each, plus one 44.1 kHz stereo speech variant.
Run it through scripts/audio/regenerate (uses .cache/venv-audio).
"""

import os
import shutil
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "fixtures" / "audio"
SR = 16000


def ensure_tools() -> None:
    missing = [t for t in ("espeak-ng", "sox") if shutil.which(t) is None]
    if not missing:
        return
    if os.geteuid() != 0:
        sys.exit(f"missing {missing}: run `apt-get install -y espeak-ng sox` as root")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "espeak-ng", "sox"], check=True, env=env)


def tool_versions() -> dict:
    e = subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True).stdout.split("Data")[0].strip()
    s = subprocess.run(["sox", "--version"], capture_output=True, text=True).stdout.strip()
    return {"espeak-ng": e, "sox": s}


def write_wav(path: Path, x: np.ndarray, sr: int = SR) -> None:
    """x: float in [-1, 1], shape [n] or [n, ch]; written as 16-bit PCM."""
    if x.ndim == 1:
        x = x[:, None]
    pcm = np.clip(np.round(x * 32767.0), -32768, 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(x.shape[1])
        w.setsampwidth(2)
        w.setframerate(sr)
        w.writeframes(pcm.tobytes())


def read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as w:
        assert w.getsampwidth() == 2 and w.getnchannels() == 1, path
        return np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float64) / 32768.0


def espeak(text: str, voice: str, tmp: Path, name: str, sr: int = SR, speed: int = 140) -> np.ndarray:
    """espeak-ng (22050 Hz) -> sox, no dither -> `sr` Hz mono, as float."""
    raw = tmp / f"{name}.espeak.wav"
    out = tmp / f"{name}.{sr}.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-a", "100", "-w", str(raw), text], check=True)
    subprocess.run(["sox", "-D", str(raw), "-r", str(sr), "-c", "1", "-b", "16", str(out)], check=True)
    x = read_wav(out)
    nz = np.flatnonzero(np.abs(x) > 1e-3)  # trim espeak's leading/trailing silence
    return x[nz[0]: nz[-1] + 1] if nz.size else x


def sil(seconds: float, sr: int = SR) -> np.ndarray:
    return np.zeros(int(round(seconds * sr)))


def fit(x: np.ndarray, seconds: float, sr: int = SR) -> np.ndarray:
    n = int(round(seconds * sr))
    return np.pad(x, (0, max(0, n - x.size)))[:n]


def normalise(x: np.ndarray, peak: float) -> np.ndarray:
    m = np.max(np.abs(x))
    return x if m == 0 else x * (peak / m)


def brown_noise(rng, n):
    w = rng.standard_normal(n)
    b = np.cumsum(w)
    b -= np.convolve(b, np.ones(801) / 801, mode="same")  # remove the slow drift
    return b / np.std(b)


def pink_noise(rng, n):
    # Paul Kellett's filter on white noise
    w = rng.standard_normal(n)
    b = np.zeros(7)
    y = np.empty(n)
    for i, wi in enumerate(w):
        b[0] = 0.99886 * b[0] + wi * 0.0555179
        b[1] = 0.99332 * b[1] + wi * 0.0750759
        b[2] = 0.96900 * b[2] + wi * 0.1538520
        b[3] = 0.86650 * b[3] + wi * 0.3104856
        b[4] = 0.55000 * b[4] + wi * 0.5329522
        b[5] = -0.7616 * b[5] - wi * 0.0168980
        y[i] = b[:6].sum() + b[6] + wi * 0.5362
        b[6] = wi * 0.115926
    return y / np.std(y)


def room_bed(rng, n, dbfs=-55.0):
    """Quiet room background: mostly brown, some pink noise, at about `dbfs` RMS."""
    x = 0.7 * brown_noise(rng, n) + 0.3 * pink_noise(rng, n)
    return x / np.std(x) * 10 ** (dbfs / 20)


def ramp(x, ms=5.0, sr=SR):
    k = int(sr * ms / 1000)
    env = np.ones(x.size)
    env[:k] = np.linspace(0, 1, k)
    env[-k:] = np.linspace(1, 0, k)
    return x * env


def smoke_alarm_t3(rng):
    # ISO 8201 / NFPA 72 temporal-three: 0.5 s on, 0.5 s off x3, then 1.5 s off; 2 cycles = 8 s.
    t = np.arange(int(0.5 * SR)) / SR
    beep = ramp(0.5 * np.sin(2 * np.pi * 3000 * t) + 0.08 * np.sin(2 * np.pi * 6000 * t))
    cycle = np.concatenate([beep, sil(0.5), beep, sil(0.5), beep, sil(1.5)])
    x = np.concatenate([cycle, cycle])
    return normalise(x, 0.6) + room_bed(rng, x.size)


def impact_thud(rng):
    # A body or heavy object hitting the floor: short low-frequency decaying burst
    # (55 + 90 Hz modes, tau 60-90 ms) with a low-passed noise transient, then a smaller bounce.
    def thud(gain):
        n = int(0.6 * SR)
        t = np.arange(n) / SR
        tone = np.sin(2 * np.pi * 55 * t) * np.exp(-t / 0.09) + 0.6 * np.sin(2 * np.pi * 90 * t + 0.5) * np.exp(-t / 0.06)
        noise = rng.standard_normal(n) * np.exp(-t / 0.015)
        k = 24  # ~670 Hz moving-average low-pass
        noise = np.convolve(noise, np.ones(k) / k, mode="same") * 3.0
        att = np.minimum(1.0, t / 0.002)
        return gain * att * (tone + noise)
    x = sil(4.0)
    for start, g in ((0.40, 1.0), (0.62, 0.35), (2.50, 0.8)):
        i = int(start * SR)
        y = thud(g)
        x[i:i + y.size] += y
    return normalise(x, 0.9) + room_bed(rng, x.size)


def glass_break(rng):
    # Glass-like: bursts of high-passed noise with fast decay plus short ringing partials 2.5-7.5 kHz,
    # a loud first crash and a scatter of smaller "tinkles".
    x = sil(4.0)

    def burst(gain, tau, npartials):
        n = int(0.5 * SR)
        t = np.arange(n) / SR
        w = rng.standard_normal(n)
        hp = np.diff(np.diff(w, prepend=0.0), prepend=0.0)  # 2nd difference: strong high-pass
        y = hp * np.exp(-t / tau)
        for _ in range(npartials):
            f = rng.uniform(2500, 7500)
            y += rng.uniform(0.3, 1.0) * np.sin(2 * np.pi * f * t + rng.uniform(0, 6.28)) * np.exp(-t / rng.uniform(0.03, 0.15))
        return gain * y

    events = [(0.30, 1.0, 0.08, 12)] + [(0.30 + rng.uniform(0.05, 1.8), rng.uniform(0.15, 0.5), rng.uniform(0.01, 0.04), 4) for _ in range(14)]
    for start, g, tau, npart in sorted(events):
        i = int(start * SR)
        y = burst(g, tau, npart)
        x[i:i + y.size] += y[: x.size - i]
    return normalise(x, 0.9) + room_bed(rng, x.size)


def scream(rng):
    # Scream-like: loud harmonic tone with a rising-falling glide of f0 (500 -> 1100 -> 700 Hz),
    # irregular vibrato/jitter, harmonics shaped by two broad "formants" (~1.2 and ~3 kHz),
    # and breathy noise. Two screams of 1.4 s and 1.1 s.
    def one(dur, f_lo, f_hi, f_end):
        n = int(dur * SR)
        t = np.arange(n) / SR
        u = t / dur
        f0 = np.where(u < 0.3, f_lo + (f_hi - f_lo) * u / 0.3, f_hi + (f_end - f_hi) * (u - 0.3) / 0.7)
        jit = np.convolve(rng.standard_normal(n), np.ones(400) / 400, mode="same") * 40
        f0 = f0 * (1 + 0.03 * np.sin(2 * np.pi * 6.5 * t)) + jit
        ph = 2 * np.pi * np.cumsum(f0) / SR
        y = np.zeros(n)
        for h in range(1, 15):
            fh = h * f0
            amp = np.exp(-((fh - 1200) / 900) ** 2) + 0.7 * np.exp(-((fh - 3000) / 1200) ** 2) + 0.05
            amp = np.where(fh < SR / 2 - 200, amp, 0.0)
            y += amp * np.sin(h * ph) / h ** 0.3
        noise = np.diff(rng.standard_normal(n), prepend=0.0)
        y = y / np.max(np.abs(y)) + 0.12 * noise
        env = np.minimum(1, t / 0.08) * np.minimum(1, (dur - t) / 0.2)
        return np.tanh(2.0 * y * env)  # loud, slightly clipped like a shouting voice on a small mic
    x = np.concatenate([sil(0.3), one(1.4, 500, 1100, 700), sil(0.7), one(1.1, 600, 1000, 650), sil(0.5)])
    return normalise(x, 0.9) + room_bed(rng, x.size)


def main() -> None:
    ensure_tools()
    OUT.mkdir(parents=True, exist_ok=True)
    files = {}
    with tempfile.TemporaryDirectory() as td:
        tmp = Path(td)
        # English "help", said four ways with pauses (espeak-ng en, 140 wpm).
        parts = [("Help!", 0.3), ("Help me!", 0.6), ("Help!", 0.5), ("Please help!", 0.5)]
        segs = []
        for i, (txt, pause) in enumerate(parts):
            segs += [sil(pause), espeak(txt, "en", tmp, f"en{i}")]
        files["speech_help_en"] = normalise(fit(np.concatenate(segs + [sil(0.3)]), 5.0), 0.7)
        # Danish "hjaelp" (espeak-ng da voice).
        parts = [("Hjælp!", 0.3), ("Hjælp mig!", 0.6), ("Hjælp!", 0.5), ("Kan nogen hjælpe mig?", 0.5)]
        segs = []
        for i, (txt, pause) in enumerate(parts):
            segs += [sil(pause), espeak(txt, "da", tmp, f"da{i}")]
        files["speech_hjaelp_da"] = normalise(fit(np.concatenate(segs + [sil(0.3)]), 5.5), 0.7)

        rng = np.random.default_rng(20240601)
        files["smoke_alarm_t3"] = smoke_alarm_t3(rng)
        files["impact_thud"] = impact_thud(rng)
        files["glass_break"] = glass_break(rng)
        files["scream"] = scream(rng)
        files["silence"] = sil(3.0)
        files["room_noise"] = room_bed(rng, 4 * SR, dbfs=-50.0)

        for name, x in files.items():
            write_wav(OUT / f"{name}.wav", x)

        # 44.1 kHz stereo variant of the English speech (first 3.5 s), made with sox from
        # espeak-ng's own 22050 Hz output, so the 16 kHz pipeline must resample.
        segs = []
        for i, (txt, pause) in enumerate([("Help!", 0.3), ("Help me!", 0.6), ("Help!", 0.5)]):
            segs += [sil(pause, 44100), espeak(txt, "en", tmp, f"st{i}", sr=44100)]
        m = normalise(fit(np.concatenate(segs), 3.5, 44100), 0.7)
        # right channel 3 dB quieter and 0.5 ms later, like a mic pair off-axis
        d = int(0.0005 * 44100)
        r = np.concatenate([np.zeros(d), m[:-d]]) * 10 ** (-3 / 20)
        write_wav(OUT / "speech_help_en_44k1_stereo.wav", np.stack([m, r], axis=1), sr=44100)

    v = tool_versions()
    print("espeak-ng:", v["espeak-ng"])
    print("sox:", v["sox"])
    for p in sorted(OUT.glob("*.wav")):
        print(p.name, p.stat().st_size)


if __name__ == "__main__":
    main()
