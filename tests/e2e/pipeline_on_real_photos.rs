//! The real models on real photos, through the library API.

use std::fs;

use maskwatch_domain::Condition;
use maskwatch_eval::voc::VocImage;
use maskwatch_eval::{ConfusionMatrix, DetectionTally, match_detections};
use maskwatch_pipeline::decode::{DecodeLimits, decode_rgb};
use maskwatch_pipeline::{
    FaceCrop, ModelRole, OnnxRuntime, Pipeline, PipelineConfig, PipelineError, Precision,
    PrecisionPolicy, PreparedImage, RuntimeConfig,
};
use maskwatch_tests::{
    copy_tree, face_mask_detection, models_dir, pipeline, runtime, scratch_dir, val_images,
};

fn prepared(pipeline: &Pipeline, path: &std::path::Path) -> PreparedImage {
    let bytes = fs::read(path).expect("photo readable");
    pipeline.prepare(decode_rgb(&bytes, DecodeLimits::default()).expect("photo decodes"))
}

/// The annotated faces of a photo, cut by the crop rule.
fn annotated_crops(
    pipeline: &mut Pipeline,
    photo: &PreparedImage,
    annotated: &VocImage,
) -> Vec<FaceCrop> {
    annotated
        .faces
        .iter()
        .map(|(_, b)| pipeline.crop(photo, b).unwrap())
        .collect()
}

#[test]
fn detector_finds_most_annotated_faces_with_landmarks_inside_them() {
    let Some(dataset) = face_mask_detection() else {
        return;
    };
    let mut pipeline = pipeline(PipelineConfig::default());
    let mut tally = DetectionTally::default();
    for annotated in val_images(&dataset, 15) {
        let photo = prepared(&pipeline, &annotated.image);
        let detections = pipeline.detect(&photo).unwrap();
        for d in &detections {
            let (w, h) = photo.stretched.dimensions();
            assert!(
                d.bbox.x_min >= 0.0 && d.bbox.y_max <= h as f32 && d.bbox.x_max <= w as f32,
                "{d:?}"
            );
            let inside = d.landmarks.0.iter().filter(|[x, y]| {
                let margin = d.bbox.width() * 0.25;
                *x >= d.bbox.x_min - margin
                    && *x <= d.bbox.x_max + margin
                    && *y >= d.bbox.y_min - margin
                    && *y <= d.bbox.y_max + margin
            });
            assert_eq!(inside.count(), 5, "landmarks outside their face: {d:?}");
        }
        let found: Vec<_> = detections.iter().map(|d| (d.score, d.bbox)).collect();
        tally.merge(&match_detections(&annotated.faces, &found, 0.5).0);
    }
    eprintln!(
        "detector on 15 val photos: recall {:.3}, precision {:.3}",
        tally.recall(),
        tally.precision()
    );
    assert!(tally.ground_truth() > 40, "enough faces to judge");
    assert!(tally.recall() >= 0.6, "recall {:.3}", tally.recall());
    assert!(
        tally.precision() >= 0.7,
        "precision {:.3}",
        tally.precision()
    );
}

#[test]
fn classifier_labels_ground_truth_faces_of_val_photos() {
    let Some(dataset) = face_mask_detection() else {
        return;
    };
    let mut pipeline = pipeline(PipelineConfig::default());
    let mut matrix = ConfusionMatrix::default();
    for annotated in val_images(&dataset, 25) {
        let photo = prepared(&pipeline, &annotated.image);
        let crops = annotated_crops(&mut pipeline, &photo, &annotated);
        for (class, (truth, _)) in pipeline
            .classify(&crops)
            .unwrap()
            .iter()
            .zip(&annotated.faces)
        {
            let sum = class.probabilities.no_mask
                + class.probabilities.incorrect
                + class.probabilities.correct;
            assert!(
                (sum - 1.0).abs() < 1e-3,
                "probabilities sum to one: {class:?}"
            );
            matrix.add(*truth, class.probabilities.most_likely());
        }
    }
    eprintln!(
        "classifier on 25 val photos: accuracy {:.3}, confusion {:?}",
        matrix.accuracy(),
        matrix.counts
    );
    assert!(matrix.total() > 80);
    assert!(
        matrix.accuracy() >= 0.9,
        "accuracy {:.3}",
        matrix.accuracy()
    );
    assert!(
        matrix.recall(Condition::NoMask) >= 0.8 && matrix.recall(Condition::Correct) >= 0.9,
        "{:?}",
        matrix.counts
    );
}

#[test]
fn the_int8_super_resolution_copy_answers_like_the_float32_network() {
    let Some(dataset) = face_mask_detection() else {
        return;
    };
    let mut int8 = pipeline(PipelineConfig::default());
    assert!(
        int8.precisions()
            .contains(&(ModelRole::SuperResolution, Precision::Int8)),
        "the CPU default runs the int8 copy: {:?}",
        int8.precisions()
    );
    assert_eq!(
        int8.model_version(),
        format!("{}+int8", int8.model_set().version())
    );
    let float_runtime = OnnxRuntime::init(RuntimeConfig {
        precision: PrecisionPolicy::Float32,
        ..RuntimeConfig::default()
    })
    .unwrap();
    let mut fp32 =
        Pipeline::load(&float_runtime, &models_dir(), PipelineConfig::default()).unwrap();
    assert!(
        fp32.precisions()
            .iter()
            .all(|(_, precision)| *precision == Precision::Float32)
    );
    assert_eq!(fp32.model_version(), fp32.model_set().version());

    let (mut faces, mut same_class, mut largest_gap) = (0, 0, 0.0f32);
    for annotated in val_images(&dataset, 20) {
        let photo = prepared(&int8, &annotated.image);
        let crops = annotated_crops(&mut int8, &photo, &annotated);
        let quantized = int8.classify(&crops).unwrap();
        let reference = fp32.classify(&crops).unwrap();
        for (q, r) in quantized.iter().zip(&reference) {
            assert_eq!(q.super_resolved, r.super_resolved);
            faces += 1;
            same_class +=
                usize::from(q.probabilities.most_likely() == r.probabilities.most_likely());
            let gap = (q.probabilities.no_mask - r.probabilities.no_mask)
                .abs()
                .max((q.probabilities.incorrect - r.probabilities.incorrect).abs())
                .max((q.probabilities.correct - r.probabilities.correct).abs());
            largest_gap = largest_gap.max(gap);
        }
    }
    eprintln!(
        "int8 vs fp32 super-resolution on {faces} val faces: same class {same_class}, largest probability gap {largest_gap:.3}"
    );
    assert!(faces > 60, "enough faces to judge");
    assert!(
        same_class as f64 >= 0.95 * faces as f64,
        "{same_class} of {faces} faces keep their class"
    );
}

#[test]
fn small_crops_are_super_resolved_and_large_ones_are_not() {
    let Some(dataset) = face_mask_detection() else {
        return;
    };
    let mut pipeline = pipeline(PipelineConfig::default());
    let annotated = &val_images(&dataset, 1)[0];
    let photo = prepared(&pipeline, &annotated.image);
    let small = pipeline.crop(&photo, &annotated.faces[0].1).unwrap();
    let whole = pipeline.whole_face(&photo).unwrap();
    assert!(small.source_side <= 150 && whole.source_side > 150);
    let classes = pipeline.classify(&[small, whole]).unwrap();
    assert!(classes[0].super_resolved);
    assert!(!classes[1].super_resolved);
}

#[test]
fn batching_faces_across_photos_gives_the_same_answers_as_one_photo_at_a_time() {
    let Some(dataset) = face_mask_detection() else {
        return;
    };
    let mut pipeline = pipeline(PipelineConfig {
        batch_size: 16,
        ..PipelineConfig::default()
    });
    let photos: Vec<_> = val_images(&dataset, 3)
        .iter()
        .map(|a| prepared(&pipeline, &a.image))
        .collect();
    let together = pipeline.audit(&photos).unwrap();
    for (photo, batched) in photos.iter().zip(&together) {
        let alone = pipeline
            .audit(std::slice::from_ref(photo))
            .unwrap()
            .remove(0);
        assert_eq!(alone.len(), batched.len());
        for (a, b) in alone.iter().zip(batched) {
            assert_eq!(a.bbox, b.bbox);
            assert_eq!(a.condition, b.condition);
            assert!((a.probabilities.correct - b.probabilities.correct).abs() < 1e-4);
        }
    }
    assert!(
        together.iter().map(Vec::len).sum::<usize>() > 5,
        "the photos have faces"
    );
}

#[test]
fn a_tampered_model_file_is_refused_at_load() {
    let dir = scratch_dir("tampered");
    copy_tree(&models_dir(), &dir);
    let models = maskwatch_pipeline::ModelSet::load(&dir).expect("the copy verifies");
    let rnet = models.path(
        maskwatch_pipeline::ModelRole::Rnet,
        maskwatch_pipeline::Precision::Float32,
    );
    let mut bytes = fs::read(&rnet).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    fs::write(&rnet, bytes).unwrap();
    let err = Pipeline::load(&runtime(), &dir, PipelineConfig::default())
        .err()
        .expect("load must fail");
    assert!(matches!(err, PipelineError::ModelChecksum { .. }), "{err}");
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn super_resolution_reads_and_writes_planes_in_the_documented_layout() {
    let Some(dataset) = face_mask_detection() else {
        return;
    };
    let models = maskwatch_pipeline::ModelSet::load(&models_dir()).unwrap();
    let mut pipeline = pipeline(PipelineConfig::default());
    let annotated = &val_images(&dataset, 1)[0];
    let photo = prepared(&pipeline, &annotated.image);
    let crop = pipeline.crop(&photo, &annotated.faces[0].1).unwrap();
    let mut resolver = maskwatch_pipeline::SuperResolver::load(&runtime(), &models).unwrap();
    let pixels = crop.pixels.as_raw();
    let plane = 224 * 224;
    resolver
        .restore(&[pixels.as_slice()], |_, planes| {
            // The network learns a residual: its output stays close to its
            // input. A wrong axis order or scale would scramble it.
            let mut total_error = 0.0f64;
            for (i, px) in pixels.chunks_exact(3).enumerate() {
                for c in 0..3 {
                    total_error += (planes[c * plane + i] as f64 - px[c] as f64 / 255.0).abs();
                }
            }
            let mean_error = total_error / pixels.len() as f64;
            assert!(mean_error < 0.06, "mean absolute change {mean_error}");
            assert!(
                planes.iter().all(|v| (0.0..=1.0).contains(v)),
                "output is clipped to [0, 1]"
            );
            Ok(())
        })
        .unwrap();
}
