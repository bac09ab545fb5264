//! Single-shot detector decoding as MediaPipe does it: anchors, box and
//! keypoint decoding, and weighted non-maximum suppression. Shared by the
//! pose detector and the face detector used in privacy checks.

/// MediaPipe's `SsdAnchorsCalculatorOptions` for models with fixed-size
/// anchors and one aspect ratio plus an interpolated one.
#[derive(Debug, Clone)]
pub struct AnchorOptions {
    pub input_size: usize,
    pub min_scale: f32,
    pub max_scale: f32,
    pub strides: &'static [usize],
    pub anchor_offset: f32,
}

/// Anchor centres in the detector's normalised input space.
pub fn anchors(options: &AnchorOptions) -> Vec<(f32, f32)> {
    let layers = options.strides.len();
    let mut out = Vec::new();
    let mut layer = 0;
    while layer < layers {
        let mut per_cell = 0;
        let mut last = layer;
        while last < layers && options.strides[last] == options.strides[layer] {
            per_cell += 2; // one aspect ratio (1.0) and one interpolated scale
            last += 1;
        }
        let cells = options.input_size.div_ceil(options.strides[layer]);
        for y in 0..cells {
            for x in 0..cells {
                let centre = (
                    (x as f32 + options.anchor_offset) / cells as f32,
                    (y as f32 + options.anchor_offset) / cells as f32,
                );
                out.extend(std::iter::repeat_n(centre, per_cell));
            }
        }
        layer = last;
    }
    let _ = (options.min_scale, options.max_scale); // fixed-size anchors: scales do not move centres
    out
}

/// One decoded detection in the detector's normalised input space.
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    pub score: f32,
    /// `[x0, y0, x1, y1]`
    pub bbox: [f32; 4],
    pub keypoints: Vec<(f32, f32)>,
}

/// Decodes raw `boxes` (`coords_per_anchor` values per anchor: centre x,
/// centre y, width, height, then keypoint x, y pairs, in input pixels) and
/// raw `scores` (logits), keeping those at or above `min_score`.
pub fn decode(
    anchors: &[(f32, f32)],
    boxes: &[f32],
    scores: &[f32],
    coords_per_anchor: usize,
    input_size: usize,
    min_score: f32,
) -> Vec<Detection> {
    let scale = input_size as f32;
    let keypoints = (coords_per_anchor - 4) / 2;
    let mut out = Vec::new();
    for (i, &(ax, ay)) in anchors.iter().enumerate() {
        let Some(&logit) = scores.get(i) else { break };
        let score = sigmoid(logit.clamp(-100.0, 100.0));
        if score.is_nan() || score < min_score {
            continue;
        }
        let Some(raw) = boxes.get(i * coords_per_anchor..(i + 1) * coords_per_anchor) else {
            break;
        };
        let (cx, cy) = (raw[0] / scale + ax, raw[1] / scale + ay);
        let (w, h) = (raw[2] / scale, raw[3] / scale);
        let keypoints = (0..keypoints)
            .map(|k| (raw[4 + 2 * k] / scale + ax, raw[5 + 2 * k] / scale + ay))
            .collect();
        out.push(Detection {
            score,
            bbox: [cx - w / 2.0, cy - h / 2.0, cx + w / 2.0, cy + h / 2.0],
            keypoints,
        });
    }
    out
}

/// MediaPipe's weighted non-maximum suppression: each kept detection takes
/// the score-weighted mean position of everything that overlaps it by more
/// than `min_iou`, and keeps its own score.
pub fn weighted_nms(mut detections: Vec<Detection>, min_iou: f32) -> Vec<Detection> {
    detections.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut kept = Vec::new();
    while !detections.is_empty() {
        // The best always leaves the list, even when a degenerate box
        // overlaps nothing, not even itself: no endless loop on bad output.
        let best = detections.remove(0);
        let (mut overlapping, rest): (Vec<_>, Vec<_>) = detections
            .into_iter()
            .partition(|d| super::geometry::iou(&best.bbox, &d.bbox) > min_iou);
        overlapping.insert(0, best.clone());
        let total: f32 = overlapping.iter().map(|d| d.score).sum();
        let mut merged = best.clone();
        if total > 0.0 && !overlapping.is_empty() {
            merged.bbox = [0.0; 4];
            merged.keypoints.iter_mut().for_each(|k| *k = (0.0, 0.0));
            for d in &overlapping {
                let weight = d.score / total;
                for (m, v) in merged.bbox.iter_mut().zip(d.bbox) {
                    *m += v * weight;
                }
                for (m, v) in merged.keypoints.iter_mut().zip(&d.keypoints) {
                    m.0 += v.0 * weight;
                    m.1 += v.1 * weight;
                }
            }
        }
        kept.push(merged);
        detections = rest;
    }
    kept
}

pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pose_detector_has_2254_anchors() {
        let options = AnchorOptions {
            input_size: 224,
            min_scale: 0.1484375,
            max_scale: 0.75,
            strides: &[8, 16, 32, 32, 32],
            anchor_offset: 0.5,
        };
        let a = anchors(&options);
        assert_eq!(a.len(), 2254);
        assert_eq!(a[0], (0.5 / 28.0, 0.5 / 28.0));
        assert_eq!(a[1], a[0]);
    }

    #[test]
    fn face_detector_has_896_anchors() {
        let options = AnchorOptions {
            input_size: 128,
            min_scale: 0.1484375,
            max_scale: 0.75,
            strides: &[8, 16, 16, 16],
            anchor_offset: 0.5,
        };
        assert_eq!(anchors(&options).len(), 896);
    }

    #[test]
    fn decode_keeps_only_confident_anchors_and_offsets_from_anchor() {
        let anchors = [(0.5, 0.5), (0.25, 0.25)];
        let boxes = [
            22.4, 0.0, 44.8, 22.4, 0.0, 0.0, /* second */ 0.0, 0.0, 10.0, 10.0, 0.0, 0.0,
        ];
        let scores = [5.0, -5.0];
        let found = decode(&anchors, &boxes, &scores, 6, 224, 0.5);
        assert_eq!(found.len(), 1);
        let d = &found[0];
        assert!((d.bbox[0] - 0.5).abs() < 1e-6 && (d.bbox[2] - 0.7).abs() < 1e-6);
        assert_eq!(d.keypoints, vec![(0.5, 0.5)]);
    }

    #[test]
    fn weighted_nms_merges_overlaps_and_keeps_separate_people() {
        let det = |score, x0: f32| Detection {
            score,
            bbox: [x0, 0.0, x0 + 1.0, 1.0],
            keypoints: vec![(x0, 0.0)],
        };
        let kept = weighted_nms(vec![det(0.9, 0.0), det(0.6, 0.1), det(0.8, 5.0)], 0.3);
        assert_eq!(kept.len(), 2);
        assert_eq!(kept[0].score, 0.9);
        assert!((kept[0].bbox[0] - 0.04).abs() < 1e-5, "{:?}", kept[0].bbox);
        assert_eq!(kept[1].bbox[0], 5.0);
    }

    #[test]
    fn degenerate_boxes_end_and_are_each_kept_once() {
        let flat = |score| Detection {
            score,
            bbox: [1.0, 1.0, 0.0, 0.0],
            keypoints: vec![],
        };
        let kept = weighted_nms(vec![flat(0.9), flat(0.8), flat(0.7)], 0.3);
        assert_eq!(kept.len(), 3);
    }

    #[test]
    fn nan_scores_are_never_kept() {
        let found = decode(&[(0.5, 0.5)], &[0.0; 6], &[f32::NAN], 6, 224, 0.5);
        assert!(found.is_empty());
    }
}
