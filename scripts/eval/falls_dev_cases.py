#!/usr/bin/env python3
"""Writes the real clips of a falls data set (a folder with manifest.tsv and
clips/, such as ../shared/datasets/falls-dev) as `tryghed eval` case folders.

    falls_dev_cases.py DATASET OUT

Each case's case.toml names its clip by absolute path (the clip is not
copied), labels the camera view and the activity for the report, and
expects, for a fall, one `fall` in the annotated interval (from its onset to
3 s after its end, since a fall is confirmed after the body lies still);
`on_floor` is allowed from the onset on. Where the source gives no times,
the manifest's visual estimate in `notes` is used; with neither, the whole
clip is the window and the delay is not counted (`timed = false`).
Everyday activities expect nothing: every event in them is a false alarm.
"""
import re
import sys
from pathlib import Path

from dataset import rows_and_out

# After the annotated end of a fall, time for it to be confirmed.
CONFIRM_S = 3.0
UNTIMED_END_S = 3600.0


def view_of(description):
    """side, corner or high: where the camera is, from the manifest's words."""
    d = description.lower()
    if any(w in d for w in ("elevated", "high wall", "ceiling", "looking down")):
        return "high"
    if "corner" in d:
        return "corner"
    return "side"


# Activities grouped for the report: (words, group), first match wins.
FALL_GROUPS = [
    (("onto the bed",), "fall onto a bed"),
    (("off the bed", "lying on bed"), "fall out of bed"),
    (("chair", "sitting"), "fall from sitting"),
    (("faint", "collapse", "knees"), "collapse to the floor"),
    ((), "fall from standing or walking"),
]
EVERYDAY_GROUPS = [
    (("lying", "laying"), "lying down on purpose"),
    (("crawl",), "crawling"),
    (("stumbl",), "stumbling"),
    (("collaps",), "collapsing onto a chair"),
    (("bend", "picking", "squat"), "bending, squatting, picking up"),
    (("sitting", "chair"), "sitting"),
    (("jump", "jog", "raising", "exercis"), "exercising"),
    (("walk", "stairs"), "walking"),
    ((), "other"),
]


def activity_of(row):
    groups = FALL_GROUPS if row["label"] == "fall" else EVERYDAY_GROUPS
    text = row["activity"].lower()
    return next(name for words, name in groups if not words or any(w in text for w in words))


def fall_window(row):
    """(from_s, to_s, timed) for a fall clip."""
    start, end = row["fall_start_s"].strip(), row["fall_end_s"].strip()
    if start:
        to = float(end) if end else float(start)
        return float(start), to + CONFIRM_S, True
    match = re.search(r"(?:fall ~|visually at about )(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?) s", row["notes"])
    if match:
        return float(match.group(1)), float(match.group(2)) + CONFIRM_S, True
    return 0.0, UNTIMED_END_S, False


def toml_string(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def case_toml(row, clip):
    lines = [
        f"video = {toml_string(str(clip))}",
        f"view = {toml_string(view_of(row['camera_view']))}",
        f"activity = {toml_string(activity_of(row))}",
    ]
    if row["label"] == "fall":
        start, end, timed = fall_window(row)
        lines += ["", "[[expect]]", 'kind = "fall"', f"from_s = {start}", f"to_s = {end}"]
        if not timed:
            lines.append("timed = false")
        lines += ["", "[[allow]]", 'kind = "on_floor"', f"from_s = {start}", f"to_s = {UNTIMED_END_S}"]
    return "\n".join(lines) + "\n"


def main():
    dataset, out, rows = rows_and_out(sys.argv, __doc__)
    for row in rows:
        case = out / Path(row["file"]).stem
        case.mkdir(parents=True, exist_ok=True)
        (case / "case.toml").write_text(case_toml(row, dataset / row["file"]))
    print(f"{len(rows)} cases written to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
