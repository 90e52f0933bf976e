//! `maskwatch bench`: throughput of each stage and of the whole pipeline.
//!
//! Numbers, not pass/fail: faces per second for super-resolution plus
//! classification at several batch sizes, images per second end to end,
//! time per stage and the process's peak resident memory.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use maskwatch_pipeline::FaceCrop;
use serde::Serialize;

use crate::image_files::{collect, read_photo};
use maskwatch_engine::EngineOptions;

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

    /// Print the numbers as JSON.
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub engine: EngineOptions,
}

#[derive(Debug, Serialize)]
struct BenchReport {
    provider: &'static str,
    model_set: String,
    photos: usize,
    faces_detected: usize,
    stages_seconds: StageSeconds,
    pipeline_images_per_second: f64,
    pipeline_faces_per_second: f64,
    classification: Vec<BatchRate>,
    peak_resident_mib: f64,
}

#[derive(Debug, Default, Serialize)]
struct StageSeconds {
    decode: f64,
    contrast_stretch: f64,
    detection: f64,
    crop: f64,
    super_resolution_and_classification: f64,
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
    let mut pipeline = args.engine.load_pipeline()?;

    // Warm-up: the first run of each session allocates and plans.
    if let Ok(photo) = read_photo(&files[0]) {
        let prepared = pipeline.prepare(photo);
        pipeline.audit(std::slice::from_ref(&prepared))?;
    }

    let mut stages = StageSeconds::default();
    let mut crops: Vec<FaceCrop> = Vec::new();
    let whole = Instant::now();
    for path in &files {
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
    let whole = whole.elapsed().as_secs_f64();

    let mut rates = Vec::new();
    if !crops.is_empty() {
        for &batch_size in &args.batch_sizes {
            rates.push(classification_rate(
                &mut pipeline,
                &crops,
                batch_size,
                args.faces,
            )?);
        }
    }

    let report = BenchReport {
        provider: pipeline.provider().as_str(),
        model_set: pipeline.model_set().version().to_owned(),
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

/// Faces per second for super-resolution plus classification at one batch size.
fn classification_rate(
    pipeline: &mut maskwatch_pipeline::Pipeline,
    crops: &[FaceCrop],
    batch_size: usize,
    faces: usize,
) -> anyhow::Result<BatchRate> {
    pipeline.set_batch_size(batch_size);
    let sample: Vec<FaceCrop> = crops
        .iter()
        .cycle()
        .take(faces.max(batch_size))
        .map(|c| FaceCrop {
            pixels: c.pixels.clone(),
            source_side: c.source_side,
        })
        .collect();
    pipeline.classify(&sample[..batch_size])?; // warm-up at this shape
    let limit = pipeline
        .model_set()
        .manifest
        .preprocessing
        .super_resolution_max_side;
    let (result, seconds) = timed(|| pipeline.classify(&sample));
    result?;
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
    println!(
        "whole pipeline on {} photos, {} faces detected:",
        r.photos, r.faces_detected
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
        "  seconds per stage: decode {:.2}, contrast stretch {:.2}, detection {:.2}, crop {:.2}, SR + classification {:.2}",
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
