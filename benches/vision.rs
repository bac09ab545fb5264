//! Micro-benchmarks of the vision stage's own work around the models: the
//! crop warp, detector decoding, the landmark step end to end, and drawing
//! the silhouette. `tryghed bench vision` measures the whole pipeline.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use tryghed::capture::Frame;
use tryghed::config::{DEFAULT_DEMO_FRAMES, DEFAULT_MODELS_DIR};
use tryghed::inference::Runtime;
use tryghed::vision::geometry::{crop_to_tensor, Border, Roi};
use tryghed::vision::silhouette::Silhouette;
use tryghed::vision::ssd;
use tryghed::vision::{PoseTracker, VisionSettings};

fn first_frame() -> Frame {
    let files = tryghed::capture::replay::frame_files(std::path::Path::new(DEFAULT_DEMO_FRAMES))
        .expect("bench frames");
    Frame::decode_file(&files[0]).expect("decodes")
}

fn geometry(c: &mut Criterion) {
    let frame = first_frame();
    let roi = Roi {
        center_x: 320.0,
        center_y: 260.0,
        size: 300.0,
        rotation: 0.3,
    };
    let mut out = vec![0.0f32; 256 * 256 * 3];
    c.bench_function("crop_to_tensor 256x256 rotated, from 640x480", |b| {
        b.iter(|| {
            crop_to_tensor(
                frame.rgb(),
                frame.width(),
                frame.height(),
                black_box(&roi),
                256,
                (0.0, 1.0),
                Border::Replicate,
                &mut out,
            )
        })
    });
    let letterbox = Roi {
        center_x: 320.0,
        center_y: 240.0,
        size: 640.0,
        rotation: 0.0,
    };
    let mut out = vec![0.0f32; 224 * 224 * 3];
    c.bench_function("crop_to_tensor 224x224 letterbox, from 640x480", |b| {
        b.iter(|| {
            crop_to_tensor(
                frame.rgb(),
                frame.width(),
                frame.height(),
                black_box(&letterbox),
                224,
                (-1.0, 1.0),
                Border::Constant(-1.0),
                &mut out,
            )
        })
    });
}

fn detector_decoding(c: &mut Criterion) {
    let options = ssd::AnchorOptions {
        input_size: 224,
        min_scale: 0.1484375,
        max_scale: 0.75,
        strides: &[8, 16, 32, 32, 32],
        anchor_offset: 0.5,
    };
    let anchors = ssd::anchors(&options);
    // Scores that keep a cluster of 40 overlapping candidates, as a real person gives.
    let scores: Vec<f32> = (0..anchors.len())
        .map(|i| if (600..640).contains(&i) { 2.0 } else { -6.0 })
        .collect();
    let boxes: Vec<f32> = (0..anchors.len() * 12)
        .map(|i| ((i % 12) as f32 - 4.0) * 3.0)
        .collect();
    c.bench_function("ssd decode + weighted NMS, 2254 anchors", |b| {
        b.iter(|| {
            ssd::weighted_nms(
                ssd::decode(&anchors, black_box(&boxes), &scores, 12, 224, 0.5),
                0.3,
            )
        })
    });
}

fn pipeline(c: &mut Criterion) {
    let runtime = Runtime::load().expect("ONNX Runtime: run scripts/setup");
    let mut tracker = PoseTracker::load(
        &runtime,
        std::path::Path::new(DEFAULT_MODELS_DIR),
        VisionSettings {
            max_persons: 1,
            ..VisionSettings::default()
        },
    )
    .expect("models");
    let frame = first_frame();
    let persons = tracker.analyze_image(&frame).expect("runs");
    c.bench_function(
        "track one person, one frame (landmark model + work around it)",
        |b| b.iter(|| tracker.track(black_box(&frame)).map(|p| p.len())),
    );
    c.bench_function("silhouette draw + PNG, 640x480", |b| {
        b.iter(|| Silhouette::draw(frame.width(), frame.height(), black_box(&persons)).to_png(4))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = geometry, detector_decoding, pipeline
}
criterion_main!(benches);
