//! `maskwatch bench`: throughput of each stage and of the whole pipeline.
//!
//! Numbers, not pass/fail: faces per second for super-resolution plus
//! classification at several batch sizes, images per second end to end,
//! time per stage and the process's peak resident memory.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use maskwatch_pipeline::{FaceCrop, Pipeline};
use serde::Serialize;

use crate::image_files::{collect, read_photo};
use maskwatch_engine::{EngineOptions, LaneOptions, Lanes};

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Photos, or folders of photos, to measure on.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,

    /// How many photos to use (the first ones in path order).
    #[arg(long, default_value_t = 40)]
    pub photos: usize,

    /// Batch sizes for the super-resolution plus classification measurement.
    #[arg(long, value_delimiter = ',', default_value = "1,8,32")]
    pub batch_sizes: Vec<usize>,

    /// Faces classified per batch-size measurement.
    #[arg(long, default_value_t = 96)]
    pub faces: usize,

    /// Photos whose faces share one batch in the whole-pipeline run, as in
    /// `maskwatch audit`.
    #[arg(long, default_value_t = 8)]
    pub images_per_batch: usize,

    /// Print the numbers as JSON.
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub engine: EngineOptions,

    #[command(flatten)]
    pub lanes: LaneOptions,
}

#[derive(Debug, Serialize)]
struct BenchReport {
    provider: &'static str,
    model_set: String,
    /// Model role to the precision it ran in.
    precision: BTreeMap<String, &'static str>,
    /// Pipelines that worked side by side.
    lanes: usize,
    photos: usize,
    faces_detected: usize,
    stages_seconds: StageSeconds,
    pipeline_images_per_second: f64,
    pipeline_faces_per_second: f64,
    classification: Vec<BatchRate>,
    peak_resident_mib: f64,
}

/// Seconds spent in each stage, summed over the lanes (with several lanes
/// the sum exceeds the wall-clock time).
#[derive(Debug, Default, Serialize)]
struct StageSeconds {
    decode: f64,
    contrast_stretch: f64,
    detection: f64,
    crop: f64,
    super_resolution_and_classification: f64,
}

impl StageSeconds {
    fn add(&mut self, other: &StageSeconds) {
        self.decode += other.decode;
        self.contrast_stretch += other.contrast_stretch;
        self.detection += other.detection;
        self.crop += other.crop;
        self.super_resolution_and_classification += other.super_resolution_and_classification;
    }
}

#[derive(Debug, Serialize)]
struct BatchRate {
    batch_size: usize,
    faces: usize,
    super_resolved: usize,
    faces_per_second: f64,
}

pub fn run(args: BenchArgs) -> anyhow::Result<ExitCode> {
    let mut files = collect(&args.paths)?;
    files.truncate(args.photos);
    anyhow::ensure!(!files.is_empty(), "no photos found under the given paths");
    let mut lanes = args.engine.load_lanes(&args.lanes)?;

    // Warm-up: the first run of each session allocates and plans.
    if let Ok(photo) = read_photo(&files[0]) {
        for pipeline in lanes.pipelines_mut() {
            let prepared = pipeline.prepare(photo.clone());
            pipeline.audit(std::slice::from_ref(&prepared))?;
        }
    }

    let mut stages = StageSeconds::default();
    let mut crops: Vec<FaceCrop> = Vec::new();
    let whole = Instant::now();
    lanes.map_ordered(
        files.chunks(args.images_per_batch.max(1)),
        measure_group,
        |measured| -> anyhow::Result<()> {
            let (seconds, cut) = measured?;
            stages.add(&seconds);
            crops.extend(cut);
            Ok(())
        },
    )?;
    let whole = whole.elapsed().as_secs_f64();

    let mut rates = Vec::new();
    if !crops.is_empty() {
        for &batch_size in &args.batch_sizes {
            rates.push(classification_rate(
                &mut lanes, &crops, batch_size, args.faces,
            )?);
        }
    }

    let first = lanes.first();
    let report = BenchReport {
        provider: first.provider().as_str(),
        model_set: first.model_version(),
        precision: first
            .precisions()
            .into_iter()
            .map(|(role, precision)| (role.name().to_owned(), precision.as_str()))
            .collect(),
        lanes: lanes.count(),
        photos: files.len(),
        faces_detected: crops.len(),
        pipeline_images_per_second: files.len() as f64 / whole,
        pipeline_faces_per_second: crops.len() as f64 / whole,
        stages_seconds: stages,
        classification: rates,
        peak_resident_mib: peak_resident_mib(),
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report);
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs one group of photos through every stage on one lane, timing each;
/// the group's faces share super-resolution and classifier batches, as in
/// `maskwatch audit`. Unreadable photos are skipped.
fn measure_group(
    pipeline: &mut Pipeline,
    group: &[PathBuf],
) -> anyhow::Result<(StageSeconds, Vec<FaceCrop>)> {
    let mut stages = StageSeconds::default();
    let mut crops = Vec::new();
    for path in group {
        let (photo, t) = timed(|| read_photo(path));
        stages.decode += t;
        let Ok(photo) = photo else { continue };
        let (prepared, t) = timed(|| pipeline.prepare(photo));
        stages.contrast_stretch += t;
        let (faces, t) = timed(|| pipeline.detect(&prepared));
        stages.detection += t;
        let (cut, t) = timed(|| {
            faces?
                .iter()
                .map(|f| pipeline.crop(&prepared, &f.bbox))
                .collect::<Result<Vec<_>, _>>()
        });
        stages.crop += t;
        crops.extend(cut?);
    }
    let (classified, t) = timed(|| pipeline.classify(&crops));
    classified?;
    stages.super_resolution_and_classification = t;
    Ok((stages, crops))
}

/// Faces per second for super-resolution plus classification at one batch
/// size, with the faces split evenly over the lanes.
fn classification_rate(
    lanes: &mut Lanes,
    crops: &[FaceCrop],
    batch_size: usize,
    faces: usize,
) -> anyhow::Result<BatchRate> {
    let count = lanes.count();
    let per_lane = faces.max(batch_size).div_ceil(count);
    let sample: Vec<FaceCrop> = crops
        .iter()
        .cycle()
        .take(per_lane * count)
        .map(|c| FaceCrop {
            pixels: c.pixels.clone(),
            source_side: c.source_side,
        })
        .collect();
    let shares: Vec<&[FaceCrop]> = sample.chunks(per_lane).collect();
    for (pipeline, share) in lanes.pipelines_mut().iter_mut().zip(&shares) {
        pipeline.set_batch_size(batch_size);
        pipeline.classify(&share[..batch_size.min(share.len())])?; // warm-up at this shape
    }
    let started = Instant::now();
    std::thread::scope(|scope| {
        let running: Vec<_> = lanes
            .pipelines_mut()
            .iter_mut()
            .zip(&shares)
            .map(|(pipeline, share)| scope.spawn(move || pipeline.classify(share).map(drop)))
            .collect();
        running
            .into_iter()
            .try_for_each(|lane| lane.join().expect("a classification lane panicked"))
    })?;
    let seconds = started.elapsed().as_secs_f64();
    let limit = lanes
        .first()
        .model_set()
        .manifest
        .preprocessing
        .super_resolution_max_side;
    Ok(BatchRate {
        batch_size,
        faces: sample.len(),
        super_resolved: sample.iter().filter(|c| c.source_side <= limit).count(),
        faces_per_second: sample.len() as f64 / seconds,
    })
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let started = Instant::now();
    let value = f();
    (value, Duration::as_secs_f64(&started.elapsed()))
}

/// The process's peak resident set (VmHWM) in MiB, or 0 where /proc is absent.
fn peak_resident_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0)
}

fn print_report(r: &BenchReport) {
    println!("provider {}   model set {}", r.provider, r.model_set);
    let precision: Vec<String> = r
        .precision
        .iter()
        .map(|(role, precision)| format!("{role} {precision}"))
        .collect();
    println!("precision: {}", precision.join(", "));
    println!(
        "whole pipeline on {} photos, {} faces detected, {} lanes:",
        r.photos, r.faces_detected, r.lanes
    );
    println!(
        "  images per second                  {:>8.2}",
        r.pipeline_images_per_second
    );
    println!(
        "  faces per second                   {:>8.2}",
        r.pipeline_faces_per_second
    );
    let s = &r.stages_seconds;
    println!(
        "  seconds per stage (summed over lanes): decode {:.2}, contrast stretch {:.2}, detection {:.2}, crop {:.2}, SR + classification {:.2}",
        s.decode, s.contrast_stretch, s.detection, s.crop, s.super_resolution_and_classification
    );
    println!("super-resolution + classification:");
    for rate in &r.classification {
        println!(
            "  batch {:>3}: {:>8.2} faces per second ({} faces, {} super-resolved)",
            rate.batch_size, rate.faces_per_second, rate.faces, rate.super_resolved
        );
    }
    println!(
        "peak resident memory                 {:>8.1} MiB",
        r.peak_resident_mib
    );
}
