#!/usr/bin/env python3
"""MediaPipe side of the vision speed comparison.

Runs MediaPipe 0.10.14's legacy Pose solution (BlazePose full) in tracking mode
over a folder of frames, as a video:

    mp.solutions.pose.Pose(static_image_mode=False, model_complexity=1,
                           enable_segmentation=True, smooth_landmarks=True)

1. Every frame (*.jpg, *.jpeg, *.png, sorted by name) is decoded into memory
   first and converted BGR -> RGB, so decoding is never timed.
2. Warm-up: the first --warmup frames (default 10) are processed untimed.
   Tracking state carries on into the timed run; the timed run starts again at
   frame 0, which is close to the warm-up frames in a slow camera move.
3. Every frame is processed once, timing each process() call alone
   (time.perf_counter_ns). With --passes N > 1 the sequence is played N times,
   forward then backward (ping-pong), so the camera motion stays continuous and
   the tracker is never handed a jump; "frames" then counts all timed frames.

Prints one JSON object on stdout (MediaPipe's own log lines go to stderr):

    {"engine": "mediapipe-python", "version": "0.10.14", "frames": N,
     "ms_p50": .., "ms_p95": .., "ms_p99": .., "fps": .., "persons_found": ..}

plus a few extra fields (ms_mean, ms_min, ms_max, total_s, warmup_frames,
peak_rss_mb, ...). Percentiles interpolate linearly between ranks (numpy's
default). fps = frames / total seconds of the timed loop (wall clock). The
legacy solution tracks at most one person, so persons_found is the number of
timed frames in which a person was found (persons summed over frames).
peak_rss_mb is this process's peak resident memory, frames in memory included.

Usage: python scripts/bench/mediapipe_vision.py --frames DIR [--json] [--warmup 10] [--passes 1]
"""
import argparse
import glob
import json
import os
import resource
import sys
import time

import cv2
import mediapipe as mp
import numpy as np


def load_frames(folder):
    paths = sorted(p for p in glob.glob(os.path.join(folder, "*"))
                   if p.lower().endswith((".jpg", ".jpeg", ".png")))
    if not paths:
        sys.exit(f"no frames (*.jpg, *.jpeg, *.png) in {folder}")
    frames = []
    for p in paths:
        bgr = cv2.imread(p, cv2.IMREAD_COLOR)
        if bgr is None:
            sys.exit(f"cannot read {p}")
        frames.append(np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)))
    return paths, frames


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--frames", required=True, help="folder of frames")
    ap.add_argument("--json", action="store_true", help="print only the JSON object")
    ap.add_argument("--warmup", type=int, default=10, help="untimed frames first (default 10)")
    ap.add_argument("--passes", type=int, default=1, help="play the sequence N times, ping-pong (default 1)")
    args = ap.parse_args()

    paths, frames = load_frames(args.frames)
    h, w = frames[0].shape[:2]
    order = []
    for p in range(max(1, args.passes)):
        idx = list(range(len(frames)))
        order += idx if p % 2 == 0 else idx[::-1]

    pose = mp.solutions.pose.Pose(static_image_mode=False, model_complexity=1,
                                  enable_segmentation=True, smooth_landmarks=True,
                                  min_detection_confidence=0.5, min_tracking_confidence=0.5)
    try:
        for i in range(args.warmup):
            pose.process(frames[i % len(frames)])

        times_ns = []
        found = 0
        t_start = time.perf_counter_ns()
        for i in order:
            f = frames[i]
            t0 = time.perf_counter_ns()
            res = pose.process(f)
            times_ns.append(time.perf_counter_ns() - t0)
            if res.pose_landmarks is not None:
                found += 1
        total_s = (time.perf_counter_ns() - t_start) / 1e9
    finally:
        pose.close()

    ms = np.array(times_ns, dtype=np.float64) / 1e6
    out = {
        "engine": "mediapipe-python",
        "version": mp.__version__,
        "frames": len(order),
        "ms_p50": round(float(np.percentile(ms, 50)), 3),
        "ms_p95": round(float(np.percentile(ms, 95)), 3),
        "ms_p99": round(float(np.percentile(ms, 99)), 3),
        "fps": round(len(order) / total_s, 2),
        "persons_found": found,
        "ms_mean": round(float(ms.mean()), 3),
        "ms_min": round(float(ms.min()), 3),
        "ms_max": round(float(ms.max()), 3),
        "total_s": round(total_s, 4),
        "warmup_frames": args.warmup,
        "passes": max(1, args.passes),
        "distinct_frames": len(frames),
        "frame_size": [w, h],
        "mode": "tracking, full model, segmentation on, smoothing on",
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1),
        "frames_dir": args.frames,
    }
    if args.json:
        print(json.dumps(out))
    else:
        for k, v in out.items():
            print(f"{k:14s} {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
