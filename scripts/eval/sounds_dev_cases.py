#!/usr/bin/env python3
"""Writes the real recordings of a sound data set (a folder with manifest.tsv
and audio/, such as ../shared/datasets/sounds-dev) as `tryghed eval` case
folders, one per recording.

    sounds_dev_cases.py DATASET OUT

Each case's case.toml names its recording by absolute path (it is not
copied) and labels its category as the activity, so the report counts
hits, misses and false events per category. What each category expects:

- scream: a `scream`; moaning and crying: `distress`; breathing (panting):
  `breathing`; coughing: `coughing` (a fit: most recordings are shorter
  than one, which the figures must show, so it is expected all the same);
  each anywhere in the recording or within 2 s after it, untimed;
- smoke_alarm: a `smoke_alarm` within 5 s of the start (the recordings
  begin where the alarm sounds), timed; `smoke_alarm` may go on after.
  A recording shorter than 5 s is heard repeated to 12 s, as an alarm goes
  on sounding: the repeat is written once into OUT (the only sound this
  writes, and only from the data set's own files);
- impact (keys dropped on a desk, a weak stand-in for a fall's thud):
  `impact` is allowed, nothing expected;
- everything else is ordinary room sound and expects nothing: any event in
  it is a false event, except `calling` on speech, which is what calling is.
"""
import sys
import wave
from pathlib import Path

from dataset import rows_and_out

AFTER_S = 2.0
SMOKE_WITHIN_S = 5.0
SHORT_ALARM_S = 5.0
REPEAT_TO_S = 12.0
FOREVER_S = 3600.0

EXPECTED = {
    "scream": "scream",
    "moaning": "distress",
    "crying": "distress",
    "breathing": "breathing",
    "coughing": "coughing",
}
ALLOWED = {"impact": "impact", "speech": "calling"}


def toml_string(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def window(table, kind, from_s, to_s, timed):
    lines = ["", f"[[{table}]]", f"kind = {toml_string(kind)}", f"from_s = {from_s}", f"to_s = {to_s}"]
    if not timed:
        lines.append("timed = false")
    return lines


def repeated(clip, out_file):
    """The recording repeated to REPEAT_TO_S, written as a WAV like it."""
    with wave.open(str(clip), "rb") as src:
        params = src.getparams()
        frames = src.readframes(params.nframes)
    if not frames:
        sys.exit(f"{clip}: no sound in it")
    rate, width = params.framerate, params.sampwidth * params.nchannels
    need = int(REPEAT_TO_S * rate) * width
    data = (frames * (need // len(frames) + 1))[:need]
    with wave.open(str(out_file), "wb") as dst:
        dst.setparams(params)
        dst.writeframes(data)
    return out_file


def case_toml(row, audio):
    category = row["category"]
    duration = float(row["duration_s"])
    lines = [f"audio = {toml_string(str(audio))}", f"activity = {toml_string(category)}"]
    if category in EXPECTED:
        lines += window("expect", EXPECTED[category], 0.0, duration + AFTER_S, False)
    elif category == "smoke_alarm":
        lines += window("expect", "smoke_alarm", 0.0, SMOKE_WITHIN_S, True)
        lines += window("allow", "smoke_alarm", 0.0, FOREVER_S, True)
    if category in ALLOWED:
        lines += window("allow", ALLOWED[category], 0.0, FOREVER_S, True)
    return "\n".join(lines) + "\n"


def main():
    dataset, out, rows = rows_and_out(sys.argv, __doc__)
    for row in rows:
        clip = dataset / row["file"]
        case = out / Path(row["file"]).stem
        case.mkdir(parents=True, exist_ok=True)
        audio = clip
        if row["category"] == "smoke_alarm" and float(row["duration_s"]) < SHORT_ALARM_S:
            audio = repeated(clip, case / "repeated.wav")
        (case / "case.toml").write_text(case_toml(row, audio))
    print(f"{len(rows)} cases written to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
