#!/usr/bin/env python3
"""Regenerate tryghed's ONNX models from the pinned MediaPipe wheel.

Run through `scripts/models/regenerate`, which prepares the virtual
environment and fetches and checks the wheel. This script:

1. reads the three TF Lite models, the licence and the graph definitions out
   of the wheel;
2. writes the MediaPipe graphs that describe each model's pre- and
   post-processing as text into models/mediapipe-graphs/;
3. converts each model to ONNX (opset 17, batch 1, float32) with tf2onnx,
   densifying the pose detector's sparse weights first, and gives the inputs
   and outputs clear names;
4. runs every ONNX model in ONNX Runtime and its TF Lite original in the TF
   Lite interpreter (built-in ops, no default delegates) on the same inputs
   (seeded random inputs and a real photo) and fails if they differ by more
   than the tolerance;
5. writes models/README.md.
"""

import argparse
import collections
import glob
import hashlib
import importlib
import math
import os
import re
import shutil
import sys
import types
import zipfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import logging
import warnings

warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402

OPSET = 17
WHEEL_NAME = "mediapipe-0.10.14-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
PACKAGE = "mediapipe"
VERSION = "0.10.14"
BINDINGS = "mediapipe/python/_framework_bindings.cpython-311-x86_64-linux-gnu.so"

# Tolerance for |ONNX - TF Lite|, relative to the largest magnitude of the
# reference output (at least 1). See README ("Verification") for the reasoning.
REL_TOL = 1e-3
# Outputs that the pipeline passes through a sigmoid: also compared after it.
SIGMOID_TOL = 5e-3

MODELS = [
    {
        "onnx": "pose_detection.onnx",
        "tflite": "mediapipe/modules/pose_detection/pose_detection.tflite",
        "what": "person detector (BlazePose detector, SSD with 2254 anchors)",
        "input": ("image", [1, 224, 224, 3]),
        "range": (-1.0, 1.0),
        # Outputs in the TF Lite model's own output order.
        "sigmoid": ["scores"],
        "outputs": [
            ("boxes", [1, 2254, 12], "box (4) and 4 keypoints (x,y each) per anchor, raw, anchor-relative"),
            ("scores", [1, 2254, 1], "raw score (logit) per anchor"),
        ],
    },
    {
        "onnx": "pose_landmark_full.onnx",
        "tflite": "mediapipe/modules/pose_landmark/pose_landmark_full.tflite",
        "what": "pose landmarks, full model (BlazePose GHUM 3D)",
        "input": ("image", [1, 256, 256, 3]),
        "range": (0.0, 1.0),
        "sigmoid": ["segmentation", "heatmap"],
        "outputs": [
            ("landmarks", [1, 195], "39 landmarks x (x, y, z, visibility logit, presence logit), pixels of the 256x256 crop"),
            ("pose_flag", [1, 1], "pose presence probability (sigmoid already applied inside the model)"),
            ("segmentation", [1, 256, 256, 1], "segmentation mask logits of the crop"),
            ("heatmap", [1, 64, 64, 39], "per-landmark heatmap logits"),
            ("world_landmarks", [1, 117], "39 landmarks x (x, y, z) in metres, hip-centred"),
        ],
    },
    {
        "onnx": "face_detection_short_range.onnx",
        "tflite": "mediapipe/modules/face_detection/face_detection_short_range.tflite",
        "what": "face detector, short range (BlazeFace, SSD with 896 anchors); used only by the privacy test",
        "input": ("image", [1, 128, 128, 3]),
        "range": (-1.0, 1.0),
        "sigmoid": ["scores"],
        "outputs": [
            ("boxes", [1, 896, 16], "box (4) and 6 keypoints (x,y each) per anchor, raw, anchor-relative"),
            ("scores", [1, 896, 1], "raw score (logit) per anchor"),
        ],
    },
]

PHOTO_NOTE = "scikit-image's bundled `astronaut.png` (512x512 RGB photo of a person), resized to the input size"
RANDOM_SEEDS = [1, 2, 3]


def log(*a):
    print(*a, flush=True)


def sha256_bytes(b):
    return hashlib.sha256(b).hexdigest()


def sha256_file(p):
    with open(p, "rb") as f:
        return sha256_bytes(f.read())


# --------------------------------------------------------------------------
# MediaPipe graphs
# --------------------------------------------------------------------------

def import_mediapipe_protos(root):
    """Import the wheel's generated protobuf modules without importing the
    mediapipe package itself (its __init__ loads the native bindings)."""
    pkg = types.ModuleType("mediapipe")
    pkg.__path__ = [os.path.join(root, "mediapipe")]
    sys.modules["mediapipe"] = pkg
    sys.path.insert(0, root)
    failed = []
    for f in sorted(glob.glob(os.path.join(root, "mediapipe/**/*_pb2.py"), recursive=True)):
        mod = os.path.relpath(f, root)[:-3].replace("/", ".")
        try:
            importlib.import_module(mod)
        except Exception as e:  # noqa: BLE001 -- a few unrelated protos may not load
            failed.append((mod, str(e)))
    from mediapipe.framework import calculator_pb2
    return calculator_pb2, failed


def read_varint(d, q):
    v = 0
    shift = 0
    while True:
        b = d[q]
        v |= (b & 0x7F) << shift
        shift += 7
        q += 1
        if b < 0x80:
            return v, q


def extract_embedded_graphs(so_bytes, graph_type, calculator_pb2):
    """Find the CalculatorGraphConfig(s) of subgraph `graph_type` that the
    MediaPipe build embeds as serialized protobufs in the native library.

    A graph's `type` field (number 20) is serialized after its nodes and
    streams, followed only by optional `options` (1001) / `graph_options`
    (1002). We find `type`, extend over those trailing fields, then search
    backwards for the longest byte range that parses as a graph with nodes
    and re-serializes to exactly the same bytes."""
    name = graph_type.encode()
    pat = b"\xa2\x01" + bytes([len(name)]) + name
    found = []
    for m in re.finditer(re.escape(pat), so_bytes):
        end = m.end()
        while so_bytes[end:end + 2] in (b"\xca\x3e", b"\xd2\x3e"):
            length, q = read_varint(so_bytes, end + 2)
            end = q + length
        best = None
        for start in range(m.start() - 1, max(0, m.start() - 65536), -1):
            if so_bytes[start] != 0x0A:  # field 1 (node), length-delimited
                continue
            blob = so_bytes[start:end]
            g = calculator_pb2.CalculatorGraphConfig()
            try:
                g.ParseFromString(blob)
            except Exception:  # noqa: BLE001
                continue
            if len(g.node) > 0 and g.type == graph_type and g.SerializeToString() == blob:
                best = g
        if best is not None:
            found.append(best)
    # identical copies are the same graph
    uniq = []
    for g in found:
        if all(g.SerializeToString() != u.SerializeToString() for u in uniq):
            uniq.append(g)
    return uniq


def is_repeated(field):
    if hasattr(field, "is_repeated"):  # protobuf >= 5.x
        return field.is_repeated
    return field.label == field.LABEL_REPEATED


def fmt_value(field, v):
    from google.protobuf.descriptor import FieldDescriptor as FD
    if field.type == FD.TYPE_ENUM:
        return field.enum_type.values_by_number[v].name
    if field.type == FD.TYPE_BOOL:
        return "true" if v else "false"
    if field.type in (FD.TYPE_FLOAT, FD.TYPE_DOUBLE):
        return "%g" % float(np.float32(v)) if field.type == FD.TYPE_FLOAT else "%g" % v
    if field.type == FD.TYPE_MESSAGE:
        from google.protobuf import text_format
        return "{" + text_format.MessageToString(v, as_one_line=True) + "}"
    if field.type == FD.TYPE_STRING:
        return '"%s"' % v
    return str(v)


def describe(msg, skip=()):
    """'name=value' for every field of an options message: the ones set in the
    graph first, then the ones left at their proto default (marked)."""
    set_parts, default_parts = [], []
    for field in msg.DESCRIPTOR.fields:
        if field.name in skip:
            continue
        if is_repeated(field):
            vals = list(getattr(msg, field.name))
            s = "%s=[%s]" % (field.name, ", ".join(fmt_value(field, v) for v in vals))
            (set_parts if vals else default_parts).append(s)
        elif field.type == field.TYPE_MESSAGE:
            if msg.HasField(field.name):
                set_parts.append("%s=%s" % (field.name, fmt_value(field, getattr(msg, field.name))))
        else:
            s = "%s=%s" % (field.name, fmt_value(field, getattr(msg, field.name)))
            if msg.HasField(field.name):
                set_parts.append(s)
            else:
                default_parts.append(s)
    out = ", ".join(set_parts)
    if default_parts:
        out += "; proto defaults: " + ", ".join(default_parts)
    return out


class Graphs:
    def __init__(self, root):
        self.root = root
        self.pb, self.failed_imports = import_mediapipe_protos(root)
        with open(os.path.join(root, BINDINGS), "rb") as f:
            self.so = f.read()
        self.graphs = collections.OrderedDict()  # type -> (config, source)

    def load_file(self, rel):
        g = self.pb.CalculatorGraphConfig()
        with open(os.path.join(self.root, rel), "rb") as f:
            g.ParseFromString(f.read())
        self.graphs[g.type] = (g, rel)
        return g

    def load_embedded(self, graph_type, want_input=None):
        found = extract_embedded_graphs(self.so, graph_type, self.pb)
        if want_input is not None:
            found = [g for g in found if list(g.input_stream) == want_input]
        if len(found) != 1:
            raise SystemExit("expected exactly one embedded graph %s, found %d" % (graph_type, len(found)))
        self.graphs[graph_type] = (found[0], BINDINGS + " (embedded)")
        return found[0]

    def node(self, graph_type, calculator, index=0):
        g = self.graphs[graph_type][0]
        nodes = [n for n in g.node if n.calculator == calculator]
        return nodes[index]

    def options(self, graph_type, calculator, ext_cls, index=0):
        n = self.node(graph_type, calculator, index)
        return n.options.Extensions[ext_cls.ext]

    def src(self, graph_type):
        where = self.graphs[graph_type][1]
        if where.startswith(BINDINGS):
            return "`%s` (embedded)" % graph_type
        return "`%s` (`%s`)" % (graph_type, where)


def resolve_face_options(graphs):
    """The face detector's subgraph `FaceDetection` takes some calculator
    fields from FaceDetectionOptions (`option_value`); apply the values that
    `FaceDetectionShortRange` sets to get the effective options."""
    from mediapipe.modules.face_detection import face_detection_pb2
    outer = graphs.node("FaceDetectionShortRange", "FaceDetection")
    fopts = face_detection_pb2.FaceDetectionOptions()
    outer.node_options[0].Unpack(fopts)
    resolved = {}
    for calc, modname, clsname in [
        ("ImageToTensorCalculator", "mediapipe.calculators.tensor.image_to_tensor_calculator_pb2", "ImageToTensorCalculatorOptions"),
        ("SsdAnchorsCalculator", "mediapipe.calculators.tflite.ssd_anchors_calculator_pb2", "SsdAnchorsCalculatorOptions"),
        ("TensorsToDetectionsCalculator", "mediapipe.calculators.tensor.tensors_to_detections_calculator_pb2", "TensorsToDetectionsCalculatorOptions"),
        ("NonMaxSuppressionCalculator", "mediapipe.calculators.util.non_max_suppression_calculator_pb2", "NonMaxSuppressionCalculatorOptions"),
    ]:
        cls = getattr(importlib.import_module(modname), clsname)
        n = graphs.node("FaceDetection", calc)
        o = cls()
        o.CopyFrom(n.options.Extensions[cls.ext])
        for ov in n.option_value:
            field, path = ov.split(":", 1)
            src_field = path.split("/")[-1]
            if field not in o.DESCRIPTOR.fields_by_name or src_field not in fopts.DESCRIPTOR.fields_by_name:
                continue
            fd = o.DESCRIPTOR.fields_by_name[field]
            sv = getattr(fopts, src_field)
            if is_repeated(fd):
                del getattr(o, field)[:]
                getattr(o, field).extend(list(sv))
            elif fopts.HasField(src_field) or fd.type != fd.TYPE_MESSAGE:
                if fd.type == fd.TYPE_MESSAGE:
                    getattr(o, field).CopyFrom(sv)
                elif fopts.HasField(src_field):
                    setattr(o, field, sv)
        resolved[calc] = o
    return fopts, resolved


def ssd_anchor_count(o):
    """Number of anchors MediaPipe's SsdAnchorsCalculator generates for these
    options (same layer grouping as the calculator), to check num_boxes."""
    count = 0
    layer_id = 0
    n = o.num_layers
    while layer_id < n:
        per_cell = 0
        last_same = layer_id
        while last_same < n and o.strides[last_same] == o.strides[layer_id]:
            if last_same == 0 and o.reduce_boxes_in_lowest_layer:
                per_cell += 3
            else:
                per_cell += len(o.aspect_ratios)
                if o.interpolated_scale_aspect_ratio > 0:
                    per_cell += 1
            last_same += 1
        stride = o.strides[layer_id]
        fh = math.ceil(o.input_size_height / stride)
        fw = math.ceil(o.input_size_width / stride)
        count += fh * fw * per_cell
        layer_id = last_same
    return count


def graph_facts(graphs, out_dir):
    """Write the graph texts and return the README section (markdown)."""
    from google.protobuf import text_format
    imp = importlib.import_module
    I2T = imp("mediapipe.calculators.tensor.image_to_tensor_calculator_pb2").ImageToTensorCalculatorOptions
    SSD = imp("mediapipe.calculators.tflite.ssd_anchors_calculator_pb2").SsdAnchorsCalculatorOptions
    T2D = imp("mediapipe.calculators.tensor.tensors_to_detections_calculator_pb2").TensorsToDetectionsCalculatorOptions
    NMS = imp("mediapipe.calculators.util.non_max_suppression_calculator_pb2").NonMaxSuppressionCalculatorOptions
    D2R = imp("mediapipe.calculators.util.detections_to_rects_calculator_pb2").DetectionsToRectsCalculatorOptions
    RT = imp("mediapipe.calculators.util.rect_transformation_calculator_pb2").RectTransformationCalculatorOptions
    T2L = imp("mediapipe.calculators.tensor.tensors_to_landmarks_calculator_pb2").TensorsToLandmarksCalculatorOptions
    RH = imp("mediapipe.calculators.util.refine_landmarks_from_heatmap_calculator_pb2").RefineLandmarksFromHeatmapCalculatorOptions
    T2S = imp("mediapipe.calculators.tensor.tensors_to_segmentation_calculator_pb2").TensorsToSegmentationCalculatorOptions
    THR = imp("mediapipe.calculators.util.thresholding_calculator_pb2").ThresholdingCalculatorOptions
    SV = imp("mediapipe.calculators.core.split_vector_calculator_pb2").SplitVectorCalculatorOptions
    WA = imp("mediapipe.calculators.image.warp_affine_calculator_pb2").WarpAffineCalculatorOptions
    SEGSM = imp("mediapipe.calculators.image.segmentation_smoothing_calculator_pb2").SegmentationSmoothingCalculatorOptions
    VC = imp("mediapipe.calculators.util.visibility_copy_calculator_pb2").VisibilityCopyCalculatorOptions

    # --- load the graphs -------------------------------------------------
    graphs.load_file("mediapipe/modules/pose_landmark/pose_landmark_cpu.binarypb")
    graphs.load_file("mediapipe/modules/face_detection/face_detection_short_range_cpu.binarypb")
    for t in ["PoseDetectionCpu", "PoseDetectionToRoi", "PoseLandmarkByRoiCpu", "PoseLandmarkModelLoader",
              "TensorsToPoseLandmarksAndSegmentation", "PoseLandmarksAndSegmentationInverseProjection",
              "PoseLandmarksToRoi", "PoseLandmarkFiltering", "PoseSegmentationFiltering",
              "FaceDetectionShortRange", "FaceDetection"]:
        graphs.load_embedded(t)

    gdir = os.path.join(out_dir, "mediapipe-graphs")
    if os.path.isdir(gdir):
        shutil.rmtree(gdir)
    os.makedirs(gdir)
    for t, (g, src) in graphs.graphs.items():
        with open(os.path.join(gdir, t + ".pbtxt"), "w") as f:
            f.write("# Graph %s, decoded from %s\n# in PyPI %s==%s. Generated by scripts/models/regenerate.\n\n"
                    % (t, src, PACKAGE, VERSION))
            f.write(text_format.MessageToString(g))

    # --- checks that tie the graphs to the models ---------------------------
    def check(cond, what):
        if not cond:
            raise SystemExit("graph check failed: " + what)

    inf = imp("mediapipe.calculators.tensor.inference_calculator_pb2").InferenceCalculatorOptions
    check(graphs.options("PoseDetectionCpu", "InferenceCalculator", inf).model_path == MODELS[0]["tflite"],
          "PoseDetectionCpu model path")
    loader = graphs.node("PoseLandmarkModelLoader", "SwitchContainer")
    check("pose_landmark_full.tflite" in str(loader.options), "PoseLandmarkModelLoader lists the full model")

    # pose detection
    pd_i2t = graphs.options("PoseDetectionCpu", "ImageToTensorCalculator", I2T)
    pd_ssd = graphs.options("PoseDetectionCpu", "SsdAnchorsCalculator", SSD)
    pd_t2d = graphs.options("PoseDetectionCpu", "TensorsToDetectionsCalculator", T2D)
    pd_nms = graphs.options("PoseDetectionCpu", "NonMaxSuppressionCalculator", NMS)
    check(ssd_anchor_count(pd_ssd) == pd_t2d.num_boxes == 2254, "pose anchors = 2254")
    pd_split = graphs.options("PoseLandmarkCpu", "SplitDetectionVectorCalculator", SV)
    roi_d2r = graphs.options("PoseDetectionToRoi", "AlignmentPointsRectsCalculator", D2R)
    roi_rt = graphs.options("PoseDetectionToRoi", "RectTransformationCalculator", RT)
    lroi_d2r = graphs.options("PoseLandmarksToRoi", "AlignmentPointsRectsCalculator", D2R)
    lroi_rt = graphs.options("PoseLandmarksToRoi", "RectTransformationCalculator", RT)

    # pose landmarks
    pl_i2t = graphs.options("PoseLandmarkByRoiCpu", "ImageToTensorCalculator", I2T)
    tpl = "TensorsToPoseLandmarksAndSegmentation"
    split = graphs.options(tpl, "SplitTensorVectorCalculator", SV)
    split_node = graphs.node(tpl, "SplitTensorVectorCalculator")
    t2l = graphs.options(tpl, "TensorsToLandmarksCalculator", T2L, 0)
    t2l_world = graphs.options(tpl, "TensorsToLandmarksCalculator", T2L, 1)
    refine = graphs.options(tpl, "RefineLandmarksFromHeatmapCalculator", RH)
    thr = graphs.options(tpl, "ThresholdingCalculator", THR)
    t2s = graphs.options(tpl, "TensorsToSegmentationCalculator", T2S)
    lm_split = graphs.options(tpl, "SplitNormalizedLandmarkListCalculator", SV)
    world_split = graphs.options(tpl, "SplitLandmarkListCalculator", SV)
    vcopy = graphs.options(tpl, "VisibilityCopyCalculator", VC)
    t2f = graphs.node(tpl, "TensorsToFloatsCalculator")
    warp = graphs.options("PoseLandmarksAndSegmentationInverseProjection", "WarpAffineCalculator", WA)
    segsm = graphs.options("PoseSegmentationFiltering", "SegmentationSmoothingCalculator", SEGSM)
    ranges = [(r.begin, r.end) for r in split.ranges]
    check(ranges == [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5)], "landmark tensor split")
    streams = list(split_node.output_stream)
    check(streams == ["landmark_tensor", "pose_flag_tensor", "segmentation_tensor", "heatmap_tensor",
                      "world_landmark_tensor"], "landmark tensor order")

    # face detection
    fopts, face = resolve_face_options(graphs)
    fd_i2t, fd_ssd, fd_t2d, fd_nms = (face["ImageToTensorCalculator"], face["SsdAnchorsCalculator"],
                                      face["TensorsToDetectionsCalculator"], face["NonMaxSuppressionCalculator"])
    check(fopts.model_path == MODELS[2]["tflite"], "face model path")
    check(ssd_anchor_count(fd_ssd) == fd_t2d.num_boxes == 896, "face anchors = 896")

    def rng(o):
        r = o.output_tensor_float_range
        return "[%g, %g]" % (r.min, r.max)

    S = graphs.src
    L = []
    a = L.append
    a("## Pre- and post-processing (from the MediaPipe graphs)")
    a("")
    a("Every value below was decoded by `regenerate.py` from the wheel itself: the top-level graphs "
      "`mediapipe/modules/pose_landmark/pose_landmark_cpu.binarypb` and "
      "`mediapipe/modules/face_detection/face_detection_short_range_cpu.binarypb`, and the subgraphs "
      "they use, which the wheel carries as serialized `CalculatorGraphConfig` protobufs inside "
      "`%s` (marked *embedded* below). The full decoded graphs are in `models/mediapipe-graphs/*.pbtxt`. "
      "Option values are listed as set in the graph, then the fields left at their proto default "
      "(the calculator sees the default). Lines marked *(calculator code)* describe what a MediaPipe "
      "calculator does with these options; that code is not in the wheel as source, so treat those lines "
      "as orientation to check against the reference, not as decoded facts." % BINDINGS)
    a("")
    a("Images are RGB, row-major, tensors NHWC float32.")
    a("")
    a("### Pose detector (`pose_detection.onnx`), %s" % S("PoseDetectionCpu"))
    a("")
    a("- **Input**: ImageToTensorCalculator: %s. So: whole frame scaled to fit 224x224 keeping the aspect "
      "ratio, letterboxed, values mapped to **%s**." % (describe(pd_i2t), rng(pd_i2t)))
    a("  *(calculator code)*: pixel p in 0..255 becomes p/255*(max-min)+min; BORDER_ZERO pads with pixel 0, "
      "i.e. -1 in this range. The letterbox padding is removed from detections afterwards "
      "(DetectionLetterboxRemovalCalculator).")
    a("- **Anchors**: SsdAnchorsCalculator: %s. Gives %d anchors (checked)." % (describe(pd_ssd), ssd_anchor_count(pd_ssd)))
    a("  *(calculator code)*: layers with equal stride are grouped; per grid cell, one anchor per aspect ratio "
      "plus one for interpolated_scale_aspect_ratio; feature map = ceil(224/stride); anchor centre "
      "((x+anchor_offset_x)/fw, (y+anchor_offset_y)/fh); fixed_anchor_size means anchor w = h = 1. "
      "Strides 8,16,32,32,32 give 28x28x2 + 14x14x2 + 7x7x6 = 2254.")
    a("- **Decoding**: TensorsToDetectionsCalculator: %s." % describe(pd_t2d))
    a("  Output tensors in TF Lite order: `boxes` (regressors) then `scores` (classificators), as the "
      "calculator expects.")
    a("  *(calculator code)*: reverse_output_order means each 12-vector is x_center, y_center, w, h, then "
      "keypoints (x, y): cx = raw/x_scale*anchor_w + anchor_cx, w = raw/w_scale*anchor_w (likewise y, h; "
      "keypoints like cx). Score = sigmoid(clamp(raw, -score_clipping_thresh, +score_clipping_thresh)); keep "
      "score >= min_score_thresh. Coordinates are normalized to the 224x224 letterboxed input.")
    a("- **NMS**: NonMaxSuppressionCalculator: %s." % describe(pd_nms))
    a("- Only the first detection is used: SplitDetectionVectorCalculator ranges %s, element_only=%s (%s)."
      % ([(r.begin, r.end) for r in pd_split.ranges], str(pd_split.element_only).lower(), S("PoseLandmarkCpu")))
    a("- **Min detection score** %g; the Python solution sets it from `min_detection_confidence` "
      "(default 0.5, `mediapipe/python/solutions/pose.py`)." % pd_t2d.min_score_thresh)
    a("- The 4 keypoints *(model card / calculator use)*: 0 = hip centre, 1 = a point giving the full-body "
      "circle's radius, 2 = shoulder centre, 3 = upper-body radius point. The ROI uses 0 and 1.")
    a("")
    a("### ROI from detection, %s" % S("PoseDetectionToRoi"))
    a("")
    a("- AlignmentPointsRectsCalculator: %s." % describe(roi_d2r))
    a("- RectTransformationCalculator: %s." % describe(roi_rt))
    a("  *(calculator code)*: centre = keypoint %d; box side = 2 x distance(keypoint %d, keypoint %d) in pixels "
      "(a square); rotation = %g deg - atan2(-(y1-y0), x1-x0) with y in pixels pointing down, normalized to "
      "[-pi, pi); square_long keeps it a square of the longer side in pixels; then width x %g, height x %g."
      % (roi_d2r.rotation_vector_start_keypoint_index, roi_d2r.rotation_vector_start_keypoint_index,
         roi_d2r.rotation_vector_end_keypoint_index, roi_d2r.rotation_vector_target_angle_degrees,
         roi_rt.scale_x, roi_rt.scale_y))
    a("")
    a("### Pose landmarks (`pose_landmark_full.onnx`), %s and %s" % (S("PoseLandmarkByRoiCpu"), S(tpl)))
    a("")
    a("- **Input**: ImageToTensorCalculator with the ROI (rotated rectangle): %s. So: the rotated square ROI "
      "cropped and scaled to 256x256, values in **%s**." % (describe(pl_i2t), rng(pl_i2t)))
    a("  *(calculator code)*: border_mode unspecified means the CPU path replicates the border pixels.")
    a("- **Model file**: PoseLandmarkModelLoader selects `pose_landmark_full.tflite` for model_complexity=1 "
      "(the Python default).")
    a("- **Output order**: SplitTensorVectorCalculator ranges %s into streams %s. "
      "This is the TF Lite output order `Identity`, `Identity_1`, ... `Identity_4`, renamed `landmarks`, "
      "`pose_flag`, `segmentation`, `heatmap`, `world_landmarks` (shapes checked)." % (ranges, streams))
    a("- **Pose flag**: TensorsToFloatsCalculator with no options (%s activation) then ThresholdingCalculator "
      "threshold=%g: a pose is present when pose_flag > %g, else the landmarks are dropped (GateCalculator). "
      "The model ends in LOGISTIC then RESHAPE for this output (checked), so `pose_flag` is already a probability. The Python "
      "solution sets the threshold from `min_tracking_confidence` (default 0.5)."
      % ("no" if not t2f.HasField("options") else "see graph", thr.threshold, thr.threshold))
    a("- **Landmarks**: TensorsToLandmarksCalculator: %s." % describe(t2l))
    a("  *(calculator code)*: each landmark is 5 values x, y, z, visibility, presence; x/%d, y/%d, z/%d/normalize_z "
      "give coordinates normalized to the crop; visibility and presence get the sigmoid."
      % (t2l.input_image_width, t2l.input_image_height, t2l.input_image_width))
    a("- **Heatmap refinement**: RefineLandmarksFromHeatmapCalculator: %s." % describe(refine))
    a("  *(calculator code)*: heatmap 64x64 with one channel per landmark; around the landmark's cell, a "
      "kernel_size x kernel_size window (clipped to the map); confidence = sigmoid(heatmap value); if the "
      "window's max confidence >= min_confidence_to_refine, x and y become the confidence-weighted mean of "
      "the window's column and row indices, divided by 64. z, visibility, presence unchanged (refine_presence/visibility false).")
    a("- **Split**: landmarks %s and auxiliary landmarks %s (SplitNormalizedLandmarkListCalculator); "
      "33 + 2 auxiliary + 4 unused = 39." % ((lm_split.ranges[0].begin, lm_split.ranges[0].end),
                                               (lm_split.ranges[1].begin, lm_split.ranges[1].end)))
    a("- **World landmarks**: TensorsToLandmarksCalculator: %s (no scaling: metres); first %d kept; "
      "VisibilityCopyCalculator: %s. WorldLandmarkProjectionCalculator rotates them by the ROI rotation."
      % (describe(t2l_world), world_split.ranges[0].end, describe(vcopy)))
    a("- **Segmentation**: TensorsToSegmentationCalculator: %s: mask = sigmoid(segmentation logits). "
      "Projected back to the frame by WarpAffineCalculator (%s) with the inverse of the crop matrix. "
      "Temporal smoothing (tracking mode): SegmentationSmoothingCalculator %s (%s)."
      % (describe(t2s), describe(warp), describe(segsm), S("PoseSegmentationFiltering")))
    a("- **Back to the frame**: LandmarkLetterboxRemovalCalculator then LandmarkProjectionCalculator with the ROI "
      "(%s). *(calculator code)*: rotate (x-0.5, y-0.5) by the ROI rotation, scale by ROI width/height, add the ROI "
      "centre; z is scaled by the ROI width." % S("PoseLandmarksAndSegmentationInverseProjection"))
    a("")
    a("### ROI from landmarks (tracking), %s" % S("PoseLandmarksToRoi"))
    a("")
    a("- Input: the 2 auxiliary landmarks (33, 34) as a detection with 2 keypoints (LandmarksToDetectionCalculator), "
      "after smoothing.")
    a("- AlignmentPointsRectsCalculator: %s." % describe(lroi_d2r))
    a("- RectTransformationCalculator: %s." % describe(lroi_rt))
    a("- In %s: the detector runs only when there is no ROI from the previous frame "
      "(GateCalculator DISALLOW on its presence); `use_prev_landmarks` = not static_image_mode." % S("PoseLandmarkCpu"))
    filt = graphs.graphs["PoseLandmarkFiltering"][0]
    smooth = []
    for n in filt.node:
        for cn in (n.options.Extensions[imp("mediapipe.framework.tool.switch_container_pb2").SwitchContainerOptions.ext].contained_node
                   if n.calculator == "SwitchContainer" else [n]):
            if cn.calculator in ("LandmarksSmoothingCalculator", "VisibilitySmoothingCalculator"):
                s = text_format.MessageToString(cn.options, as_one_line=True)
                if "no_filter" not in s:
                    smooth.append("%s on %s: %s" % (cn.calculator, n.input_stream[0].split(":")[-1],
                                                    re.sub(r"\[mediapipe\.\w+\.ext\] ", "", s)))
    a("- Smoothing when tracking (%s): %s." % (S("PoseLandmarkFiltering"), "; ".join(smooth)))
    a("")
    a("### Face detector (`face_detection_short_range.onnx`), %s, %s, %s" % (
        S("FaceDetectionShortRangeCpu"), S("FaceDetectionShortRange"), S("FaceDetection")))
    a("")
    a("The generic `FaceDetection` subgraph takes some fields from the FaceDetectionOptions that "
      "`FaceDetectionShortRange` passes (%s); the effective options are:" % describe(fopts, skip=("delegate",)))
    a("")
    a("- **Input**: ImageToTensorCalculator: %s: whole frame letterboxed to 128x128, values in **%s**." % (describe(fd_i2t), rng(fd_i2t)))
    a("- **Anchors**: SsdAnchorsCalculator: %s. Gives %d anchors (checked): 16x16x2 + 8x8x6." % (describe(fd_ssd), ssd_anchor_count(fd_ssd)))
    a("- **Decoding**: TensorsToDetectionsCalculator: %s. Same decoding as the pose detector (6 keypoints)." % describe(fd_t2d))
    a("- **NMS**: NonMaxSuppressionCalculator: %s." % describe(fd_nms))
    a("- **Min detection score** %g (FaceDetectionOptions.min_score_thresh; the Python solution sets it from "
      "`min_detection_confidence`, default 0.5)." % fd_t2d.min_score_thresh)
    a("")
    facts = {
        "pose_detection": {"range": [pd_i2t.output_tensor_float_range.min, pd_i2t.output_tensor_float_range.max]},
        "pose_landmark_full": {"range": [pl_i2t.output_tensor_float_range.min, pl_i2t.output_tensor_float_range.max]},
        "face_detection_short_range": {"range": [fd_i2t.output_tensor_float_range.min, fd_i2t.output_tensor_float_range.max]},
    }
    return "\n".join(L), facts


# --------------------------------------------------------------------------
# Conversion
# --------------------------------------------------------------------------

def tflite_interpreter(path_or_bytes, preserve=False):
    import tensorflow as tf
    kw = dict(experimental_op_resolver_type=tf.lite.experimental.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
              experimental_preserve_all_tensors=preserve, num_threads=1)
    if isinstance(path_or_bytes, (bytes, bytearray)):
        it = tf.lite.Interpreter(model_content=bytes(path_or_bytes), **kw)
    else:
        it = tf.lite.Interpreter(model_path=path_or_bytes, **kw)
    it.allocate_tensors()
    return it


def run_tflite(it, x):
    it.set_tensor(it.get_input_details()[0]["index"], x)
    it.invoke()
    return [it.get_tensor(d["index"]).copy() for d in it.get_output_details()]


def densify(tflite_bytes):
    """Replace every DENSIFY op by a constant holding its dense output.

    tf2onnx cannot read TF Lite's sparse weight format. The TF Lite
    interpreter can: run it once (built-in ops, no default delegates, all
    tensors preserved), read each DENSIFY output, store it as an ordinary
    constant buffer and drop the DENSIFY op. Returns (bytes, count)."""
    from tensorflow.lite.tools import flatbuffer_utils as fu
    from tensorflow.lite.python import schema_py_generated as schema

    model = fu.read_model_from_bytearray(bytearray(tflite_bytes))
    sg = model.subgraphs[0]
    dens = [op for op in sg.operators if fu.opcode_to_name(model, op.opcodeIndex) == "DENSIFY"]
    if not dens:
        return tflite_bytes, 0
    if len(model.subgraphs) != 1:
        raise SystemExit("densify: expected one subgraph")

    values = []
    for seed in (11, 12):  # two different inputs: the dense weights must not depend on them
        it = tflite_interpreter(tflite_bytes, preserve=True)
        inp = it.get_input_details()[0]
        x = np.random.default_rng(seed).uniform(-1, 1, inp["shape"]).astype(np.float32)
        it.set_tensor(inp["index"], x)
        it.invoke()
        values.append({op.outputs[0]: it.get_tensor(op.outputs[0]).copy() for op in dens})
    for k in values[0]:
        if not np.array_equal(values[0][k], values[1][k]):
            raise SystemExit("densify: DENSIFY output %d differs between runs" % k)
        if not np.all(np.isfinite(values[0][k].astype(np.float32))):
            raise SystemExit("densify: DENSIFY output %d not finite" % k)

    for op in dens:
        src, dst = op.inputs[0], op.outputs[0]
        dense = values[0][dst]
        t = sg.tensors[dst]
        want = list(t.shape)
        if list(dense.shape) != want:
            raise SystemExit("densify: shape %s != %s" % (dense.shape, want))
        # the sparse source holds the non-zero values: they must reappear
        nz_src = np.count_nonzero(
            np.frombuffer(bytes(bytearray(model.buffers[sg.tensors[src].buffer].data)), dtype=dense.dtype))
        if np.count_nonzero(dense) != nz_src:
            raise SystemExit("densify: non-zero count differs for tensor %d" % dst)
        buf = schema.BufferT()
        buf.data = np.frombuffer(dense.astype(dense.dtype.newbyteorder("<")).tobytes(), dtype=np.uint8)
        model.buffers.append(buf)
        t.buffer = len(model.buffers) - 1
    sg.operators = [op for op in sg.operators if op not in dens]
    # drop the now-unused sparse source tensors' data (keep tensor table indices stable)
    used = set()
    for op in sg.operators:
        used.update(i for i in op.inputs if i >= 0)
    for op in dens:
        src = op.inputs[0]
        if src not in used:
            empty = schema.BufferT()
            model.buffers[sg.tensors[src].buffer] = empty
            sg.tensors[src].sparsity = None
    return bytes(fu.convert_object_to_bytearray(model)), len(dens)


GENERATED = re.compile(r"__\d+")


def canonicalize(model):
    """Make the graph independent of tf2onnx's run-to-run variation.

    tf2onnx walks some sets of objects whose order changes from run to run,
    so node order and the numeric suffixes of the names it makes up
    ("const_fold_opt__2674") vary. Order the nodes by a depth-first walk from
    the graph outputs (structure only), rename made-up names by first use in
    that order, and sort initializers and value_info the same way."""
    g = model.graph
    producer = {}
    for node in g.node:
        for o in node.output:
            if o:
                producer[o] = node
    order, done = [], set()
    for out in g.output:  # iterative post-order DFS
        stack = [(producer.get(out.name), 0)] if out.name in producer else []
        while stack:
            node, i = stack.pop()
            if id(node) in done:
                continue
            ins = [x for x in node.input if x in producer]
            if i < len(ins):
                stack.append((node, i + 1))
                dep = producer[ins[i]]
                if id(dep) not in done:
                    stack.append((dep, 0))
            else:
                done.add(id(node))
                order.append(node)
    dropped = len(g.node) - len(order)

    first_use = []
    seen = set()
    for n in [i.name for i in g.input] + [x for node in order for x in list(node.input) + list(node.output)]:
        if n and n not in seen:
            seen.add(n)
            first_use.append(n)
    rename, k = {}, 0
    for n in first_use:
        if GENERATED.search(n):
            rename[n] = "%s__%d" % (GENERATED.split(n)[0], k)
            k += 1
    rank = {n: i for i, n in enumerate(first_use)}

    nodes = []
    for node in order:
        c = type(node)()
        c.CopyFrom(node)
        for i, x in enumerate(c.input):
            c.input[i] = rename.get(x, x)
        for i, x in enumerate(c.output):
            c.output[i] = rename.get(x, x)
        c.name = c.output[0]
        nodes.append(c)
    inits = sorted((i for i in g.initializer if i.name in rank), key=lambda i: rank[i.name])
    inits = [type(i).FromString(i.SerializeToString()) for i in inits]
    for i in inits:
        i.name = rename.get(i.name, i.name)
    vis = sorted((v for v in g.value_info if v.name in rank), key=lambda v: rank[v.name])
    vis = [type(v).FromString(v.SerializeToString()) for v in vis]
    for v in vis:
        v.name = rename.get(v.name, v.name)
    del g.node[:]
    g.node.extend(nodes)
    del g.initializer[:]
    g.initializer.extend(inits)
    del g.value_info[:]
    g.value_info.extend(vis)
    return dropped


def output_producers(tflite_path, output_index, depth=2):
    """Op names producing a TF Lite output, walking back `depth` ops."""
    from tensorflow.lite.tools import flatbuffer_utils as fu
    m = fu.read_model(tflite_path)
    g = m.subgraphs[0]
    prod = {o: op for op in g.operators for o in op.outputs}
    chain, t = [], g.outputs[output_index]
    for _ in range(depth):
        if t not in prod:
            break
        op = prod[t]
        chain.append(fu.opcode_to_name(m, op.opcodeIndex))
        t = op.inputs[0]
    return chain


def convert(spec, tflite_path, workdir):
    import onnx
    import tf2onnx
    from onnx import helper, TensorProto

    with open(tflite_path, "rb") as f:
        src = f.read()
    dense, ndens = densify(src)
    conv_path = os.path.join(workdir, "converted", os.path.basename(tflite_path))
    os.makedirs(os.path.dirname(conv_path), exist_ok=True)
    with open(conv_path, "wb") as f:
        f.write(dense)
    dense_check = None
    if ndens:
        # the densified TF Lite model must compute exactly what the original does
        a_it, b_it = tflite_interpreter(src), tflite_interpreter(dense)
        x = np.random.default_rng(5).uniform(*spec["range"], spec["input"][1]).astype(np.float32)
        ya, yb = run_tflite(a_it, x), run_tflite(b_it, x)
        dense_check = max(float(np.max(np.abs(p - q))) for p, q in zip(ya, yb))
        if dense_check != 0.0:
            raise SystemExit("densified TF Lite model differs from the original by %g" % dense_check)

    model, _ = tf2onnx.convert.from_tflite(conv_path, opset=OPSET)
    g = model.graph

    # rename inputs and outputs
    if len(g.input) != 1 or len(g.output) != len(spec["outputs"]):
        raise SystemExit("unexpected I/O count in %s" % spec["onnx"])
    rename = {g.input[0].name: spec["input"][0]}
    for o, (name, _, _) in zip(g.output, spec["outputs"]):
        rename[o.name] = name
    existing = {n for node in g.node for n in list(node.input) + list(node.output)} | {i.name for i in g.initializer}
    for new in rename.values():
        if new in existing and new not in rename:
            raise SystemExit("name clash: %s" % new)
    for node in g.node:
        for i, n in enumerate(node.input):
            if n in rename:
                node.input[i] = rename[n]
        for i, n in enumerate(node.output):
            if n in rename:
                node.output[i] = rename[n]
    for vi in list(g.input) + list(g.output) + list(g.value_info):
        if vi.name in rename:
            vi.name = rename[vi.name]

    dropped = canonicalize(model)

    # fixed shapes, batch 1, float32
    def set_shape(vi, shape):
        tt = vi.type.tensor_type
        if tt.elem_type != TensorProto.FLOAT:
            raise SystemExit("%s is not float32" % vi.name)
        tt.shape.Clear()
        for d in shape:
            tt.shape.dim.add().dim_value = d
    set_shape(g.input[0], spec["input"][1])
    for o, (_, shape, _) in zip(g.output, spec["outputs"]):
        set_shape(o, shape)

    # the result must be plain ONNX in float32
    for node in g.node:
        if node.domain not in ("", "ai.onnx"):
            raise SystemExit("non-standard op %s (%s) in %s" % (node.op_type, node.domain, spec["onnx"]))
    bad = [i.name for i in g.initializer if i.data_type not in (TensorProto.FLOAT, TensorProto.INT64, TensorProto.INT32)]
    if bad:
        raise SystemExit("non-float32 initializers in %s: %s" % (spec["onnx"], bad[:5]))
    casts = [n for n in g.node if n.op_type == "Cast"]

    used_domains = {n.domain for n in g.node}
    keep = [o for o in model.opset_import if o.domain in ("", "ai.onnx") or o.domain in used_domains]
    del model.opset_import[:]
    model.opset_import.extend(keep)
    if [(o.domain, o.version) for o in model.opset_import] != [("", OPSET)]:
        raise SystemExit("unexpected opset imports %s" % model.opset_import)

    model.doc_string = "%s; converted from %s in PyPI %s==%s by scripts/models/regenerate" % (
        spec["what"], spec["tflite"], PACKAGE, VERSION)
    del model.metadata_props[:]
    for k, v in [("source_package", "%s==%s" % (PACKAGE, VERSION)), ("source_file", spec["tflite"]),
                 ("source_sha256", sha256_bytes(src)), ("license", "Apache-2.0")]:
        model.metadata_props.add(key=k, value=v)
    onnx.checker.check_model(model, full_check=True)
    return model, {"densified": ndens, "dense_check": dense_check, "casts": len(casts),
                   "nodes": len(g.node), "dropped": dropped, "ops": collections.Counter(n.op_type for n in g.node)}


# --------------------------------------------------------------------------
# Verification
# --------------------------------------------------------------------------

def photo(shape):
    import skimage
    from PIL import Image
    p = os.path.join(os.path.dirname(skimage.__file__), "data", "astronaut.png")
    img = Image.open(p).convert("RGB").resize((shape[2], shape[1]), Image.BILINEAR)
    return np.asarray(img, dtype=np.uint8), sha256_file(p)


def verify(spec, onnx_path, tflite_path):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    sess = ort.InferenceSession(onnx_path, so, providers=["CPUExecutionProvider"])
    ins, outs = sess.get_inputs(), sess.get_outputs()
    assert [i.name for i in ins] == [spec["input"][0]] and list(ins[0].shape) == spec["input"][1], ins
    assert [(o.name, list(o.shape)) for o in outs] == [(n, s) for n, s, _ in spec["outputs"]], outs
    it = tflite_interpreter(tflite_path)
    tin = it.get_input_details()[0]
    assert list(tin["shape"]) == spec["input"][1]
    tout = [tuple(d["shape"]) for d in it.get_output_details()]
    assert tout == [tuple(s) for _, s, _ in spec["outputs"]], tout

    lo, hi = spec["range"]
    cases = []
    for seed in RANDOM_SEEDS:
        x = np.random.default_rng(seed).uniform(lo, hi, spec["input"][1]).astype(np.float32)
        cases.append(("random (seed %d)" % seed, x))
    img, _ = photo(spec["input"][1])
    x = (img.astype(np.float32) / 255.0 * (hi - lo) + lo)[None]
    cases.append(("photo", x.astype(np.float32)))

    import tensorflow as tf
    # TF Lite's default CPU path (XNNPACK, as MediaPipe runs it): the spread
    # between two correct float32 implementations, shown for comparison.
    itx = tf.lite.Interpreter(model_path=tflite_path, num_threads=1)
    itx.allocate_tensors()

    def sig(z):
        return 1.0 / (1.0 + np.exp(-np.clip(z.astype(np.float64), -100, 100)))

    keys = []
    for name, _, _ in spec["outputs"]:
        keys.append(name)
        if name in spec["sigmoid"]:
            keys.append("sigmoid(%s)" % name)
    worst = collections.OrderedDict((k, {"random": 0.0, "photo": 0.0, "scale": 1.0, "xnn": 0.0}) for k in keys)
    failed = False
    for label, x in cases:
        ref = run_tflite(it, x)
        xnn = run_tflite(itx, x)
        got = sess.run(None, {spec["input"][0]: x})
        for (name, _, _), r, o, q in zip(spec["outputs"], ref, got, xnn):
            pairs = [(name, r.astype(np.float64), o.astype(np.float64), q.astype(np.float64))]
            if name in spec["sigmoid"]:
                pairs.append(("sigmoid(%s)" % name, sig(r), sig(o), sig(q)))
            for k, rr, oo, qq in pairs:
                d = float(np.max(np.abs(rr - oo)))
                dx = float(np.max(np.abs(rr - qq)))
                scale = 1.0 if k.startswith("sigmoid") else max(1.0, float(np.max(np.abs(rr))))
                lim = SIGMOID_TOL if k.startswith("sigmoid") else REL_TOL * scale
                w = worst[k]
                kind = "photo" if label == "photo" else "random"
                w[kind], w["scale"], w["xnn"] = max(w[kind], d), max(w["scale"], scale), max(w["xnn"], dx)
                bad = d > lim
                failed |= bad
                log("  %-16s %-22s max|diff| %.1e  limit %.1e  (max|ref| %.3g; XNNPACK vs ref %.1e)%s"
                    % (label, k, d, lim, scale, dx, "  FAIL" if bad else ""))
    for k, w in worst.items():
        w["limit"] = SIGMOID_TOL if k.startswith("sigmoid") else REL_TOL * w["scale"]
    if failed:
        raise SystemExit("verification failed for %s" % spec["onnx"])

    # what the photo shows, as a sanity check of the pre-processing facts
    ref = run_tflite(it, cases[-1][1])
    note = None
    if spec["onnx"] != "pose_landmark_full.onnx":
        s = 1.0 / (1.0 + np.exp(-np.clip(ref[1][0, :, 0], -100, 100)))
        note = "best score %.3f, %d anchors >= 0.5" % (float(s.max()), int((s >= 0.5).sum()))
    else:
        note = "pose_flag %.3f" % float(ref[1][0, 0])
    return worst, note


# --------------------------------------------------------------------------
# README
# --------------------------------------------------------------------------

def write_readme(out_dir, wheel_sha, wheel_name, licence, results, facts_md, photo_sha, versions):
    L = []
    a = L.append
    a("# Models")
    a("")
    a("Generated by `scripts/models/regenerate` (do not edit by hand; run it again instead). "
      "All three models come from the PyPI package **`%s==%s`**, wheel `%s`, sha256 `%s`. "
      "Licence: Apache-2.0; the wheel's licence file `%s` is copied to `models/LICENSE.mediapipe.txt`."
      % (PACKAGE, VERSION, wheel_name, wheel_sha, licence))
    a("")
    a("Converted with %s; ONNX opset %d, batch fixed to 1, float32 in and out, NHWC like the originals."
      % (", ".join("%s %s" % kv for kv in versions), OPSET))
    a("")
    a("| file | source in the wheel | source sha256 | ONNX sha256 | size |")
    a("|---|---|---|---|---|")
    for r in results:
        a("| `%s` | `%s` | `%s` | `%s` | %d bytes |" % (r["onnx"], r["tflite"], r["src_sha"], r["onnx_sha"], r["size"]))
    a("")
    for r in results:
        spec = r["spec"]
        a("### `%s`: %s" % (r["onnx"], spec["what"]))
        a("")
        a("- input `%s` %s float32, values in [%g, %g] (see below)" % (spec["input"][0], spec["input"][1], *spec["range"]))
        for (name, shape, meaning), tname in zip(spec["outputs"], r["tflite_outputs"]):
            a("- output `%s` %s (TF Lite `%s`): %s" % (name, shape, tname, meaning))
        if r["info"]["densified"]:
            a("- %d sparse weight tensors densified before conversion (DENSIFY ops replaced by their dense output, "
              "read from the TF Lite interpreter); the densified TF Lite model gives bit-identical outputs to the "
              "original." % r["info"]["densified"])
        a("")
    a("## Verification")
    a("")
    a("`regenerate.py` runs each ONNX model in ONNX Runtime (CPU, 1 thread) and the original in the TF Lite "
      "interpreter (built-in ops, no default delegates, so no XNNPACK) on the same inputs: %d uniform random "
      "inputs in the model's input range (seeds %s) and one photo, %s (sha256 `%s`), mapped to the input range. "
      "Maximum absolute difference per output (random: the largest over the 3 inputs; limit: shown for the "
      "largest |value| over all 4 inputs, each input is checked against its own; last column: the same 4 "
      "inputs, TF Lite with and without XNNPACK):"
      % (len(RANDOM_SEEDS), ", ".join(map(str, RANDOM_SEEDS)), PHOTO_NOTE, photo_sha))
    a("")
    a("| model | output | ONNX vs TF Lite, random | ONNX vs TF Lite, photo | limit | max abs value | "
      "TF Lite XNNPACK vs reference kernels |")
    a("|---|---|---|---|---|---|---|")
    for r in results:
        for name, w in r["worst"].items():
            a("| `%s` | `%s` | %.1e | %.1e | %.1e | %.3g | %.1e |"
              % (r["onnx"], name, w["random"], w["photo"], w["limit"], w["scale"], w["xnn"]))
    a("")
    a("The photo through the TF Lite models (a sanity check of the input ranges below): %s."
      % "; ".join("`%s`: %s" % (r["onnx"], r["note"]) for r in results))
    a("")
    a("Limits: raw outputs %g x max(1, largest |value| of that output over the inputs); outputs the pipeline "
      "passes through a sigmoid are also compared after it, limit %g. Why: both runtimes compute in float32 but "
      "in a different order with different kernels (ONNX Runtime fuses ops and picks its own convolution "
      "algorithms), so rounding differences of a few ulps per layer add up over 50-100 layers, and grow with "
      "the size of the activations (the segmentation head's logits reach about 1700). The last column shows "
      "that this spread is the normal one: TF Lite's own default CPU path (XNNPACK, which MediaPipe uses) "
      "differs from TF Lite's reference kernels by the same order. A wrong conversion (layout, padding, a "
      "dropped or misplaced op) gives differences of order 1 to 100%% of the values. In product terms the limit "
      "means a few tenths of a pixel of the 256-pixel crop for landmarks, and %g on any probability; the "
      "figures seen on the photo are 5-1000 times smaller. The script fails if any comparison exceeds its limit."
      % (REL_TOL, SIGMOID_TOL, SIGMOID_TOL))
    a("")
    a(facts_md)
    a("## Regenerating")
    a("")
    a("```")
    a("scripts/models/regenerate")
    a("```")
    a("")
    a("It creates `.cache/venv-models` from `scripts/models/requirements.txt` (exact pins) if missing, "
      "downloads the wheel with `pip download --no-deps %s==%s` into `.cache/`, checks its sha256, and runs "
      "`scripts/models/regenerate.py`, which rewrites `models/*.onnx`, `models/mediapipe-graphs/`, "
      "`models/LICENSE.mediapipe.txt` and this file. Needs PyPI access and about 2 GB in `.cache/`. "
      "A second run gives byte-identical files (tf2onnx's run-to-run variation in node order and made-up "
      "names is normalized away). On a different CPU the ONNX files stay identical, but the verification "
      "figures in this file may differ in the last digit, since the runtimes pick CPU-specific kernels; "
      "the script takes about a minute on 2 cores." % (PACKAGE, VERSION))
    a("")
    with open(os.path.join(out_dir, "README.md"), "w") as f:
        f.write("\n".join(L))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wheel", required=True)
    ap.add_argument("--wheel-sha256", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--workdir", required=True)
    args = ap.parse_args()

    logging.getLogger("tf2onnx").setLevel(logging.ERROR)
    import tensorflow as tf
    tf.get_logger().setLevel(logging.ERROR)
    import onnx
    import onnxruntime
    import tf2onnx

    if sha256_file(args.wheel) != args.wheel_sha256:
        raise SystemExit("wheel sha256 mismatch")
    work = args.workdir
    if os.path.isdir(work):
        shutil.rmtree(work)
    root = os.path.join(work, "wheel")
    os.makedirs(root)
    with zipfile.ZipFile(args.wheel) as z:
        names = z.namelist()
        want = [n for n in names if n.endswith("_pb2.py") or n.endswith("__init__.py")]
        want += [m["tflite"] for m in MODELS] + [BINDINGS,
                 "mediapipe/modules/pose_landmark/pose_landmark_cpu.binarypb",
                 "mediapipe/modules/face_detection/face_detection_short_range_cpu.binarypb"]
        licences = sorted(n for n in names if re.search(r"(LICEN[CS]E|COPYING|NOTICE)[^/]*$", n.split("/")[-1])
                          and n.count("/") <= 1)
        want += licences
        for n in sorted(set(want)):
            z.extract(n, root)
    if not licences:
        raise SystemExit("no licence file in the wheel")
    licence = licences[0]
    with open(os.path.join(root, licence)) as f:
        lic_text = f.read()
    if "Apache License" not in lic_text or "Version 2.0" not in lic_text:
        raise SystemExit("wheel licence is not Apache-2.0")

    out = args.out
    os.makedirs(out, exist_ok=True)
    shutil.copyfile(os.path.join(root, licence), os.path.join(out, "LICENSE.mediapipe.txt"))

    log("== MediaPipe graphs")
    graphs = Graphs(root)
    facts_md, facts = graph_facts(graphs, out)
    for spec, key in zip(MODELS, ["pose_detection", "pose_landmark_full", "face_detection_short_range"]):
        if tuple(facts[key]["range"]) != spec["range"]:
            raise SystemExit("input range of %s in the graph is %s, expected %s" % (key, facts[key]["range"], spec["range"]))
    log("  decoded %d graphs; input ranges match" % len(graphs.graphs))

    results = []
    photo_sha = None
    for spec in MODELS:
        log("== %s" % spec["onnx"])
        tpath = os.path.join(root, spec["tflite"])
        if spec["onnx"] == "pose_landmark_full.onnx" and output_producers(tpath, 1) != ["RESHAPE", "LOGISTIC"]:
            raise SystemExit("pose flag output is not produced by LOGISTIC + RESHAPE")
        model, info = convert(spec, tpath, work)
        dst = os.path.join(out, spec["onnx"])
        data = model.SerializeToString()
        with open(dst, "wb") as f:
            f.write(data)
        log("  %d nodes (%d unused dropped), densified %d, written %s (%d bytes)"
            % (info["nodes"], info["dropped"], info["densified"], dst, len(data)))
        worst, note = verify(spec, dst, tpath)
        log("  photo: " + note)
        it = tflite_interpreter(tpath)
        _, photo_sha = photo(spec["input"][1])
        results.append({"spec": spec, "onnx": spec["onnx"], "tflite": spec["tflite"], "src_sha": sha256_file(tpath),
                        "onnx_sha": sha256_bytes(data), "size": len(data), "info": info, "worst": worst,
                        "note": note, "tflite_outputs": [d["name"] for d in it.get_output_details()]})

    versions = [("tensorflow-cpu", tf.__version__), ("tf2onnx", tf2onnx.__version__), ("onnx", onnx.__version__),
                ("onnxruntime", onnxruntime.__version__)]
    write_readme(out, args.wheel_sha256, os.path.basename(args.wheel), licence, results, facts_md, photo_sha, versions)
    log("== done")
    for r in results:
        log("  %s  %s" % (r["onnx_sha"], r["onnx"]))


if __name__ == "__main__":
    main()
