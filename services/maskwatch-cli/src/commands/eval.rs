//! `maskwatch eval`: the models against labelled data.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use maskwatch_domain::Condition;
use maskwatch_eval::report::{ClassificationReport, DetectionReport, EvalReport, Unreadable};
use maskwatch_eval::{ConfusionMatrix, DetectionTally, WidthBand, folders, match_detections, voc};
use maskwatch_pipeline::{FaceCrop, Pipeline};

use crate::image_files::read_photo;
use crate::progress;
use maskwatch_engine::EngineOptions;

/// IoU at which a detection counts as finding a ground-truth face.
const MATCH_IOU: f32 = 0.5;

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("data").required(true).args(["voc", "folders"])))]
pub struct EvalArgs {
    /// A folder with images/ and Pascal VOC annotations/ (classes without_mask,
    /// mask_weared_incorrect, with_mask): scores the classifier on the
    /// annotated boxes and the detector against them.
    #[arg(long)]
    pub voc: Option<PathBuf>,

    /// With --voc: only the images named in this file, one per line.
    #[arg(long, requires = "voc")]
    pub ids: Option<PathBuf>,

    /// A folder of single-face images in subfolders named by class.
    #[arg(long)]
    pub folders: Option<PathBuf>,

    /// Print the report as JSON instead of a table.
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub engine: EngineOptions,
}

/// Photos read and scored per batch of crops.
const PHOTOS_PER_BATCH: usize = 8;

/// What the scoring loop accumulates.
#[derive(Default)]
struct Tallies {
    confusion: ConfusionMatrix,
    confusion_by_width: [ConfusionMatrix; 3],
    super_resolved: u64,
    detection: DetectionTally,
    detection_time: Duration,
    images: u64,
    unreadable: Vec<Unreadable>,
}

impl Tallies {
    fn score(
        &mut self,
        pipeline: &mut Pipeline,
        crops: &[FaceCrop],
        truth: &[(Condition, WidthBand)],
    ) -> anyhow::Result<()> {
        for (class, (condition, band)) in pipeline.classify(crops)?.into_iter().zip(truth) {
            let predicted = class.probabilities.most_likely();
            self.confusion.add(*condition, predicted);
            self.confusion_by_width[*band as usize].add(*condition, predicted);
            self.super_resolved += u64::from(class.super_resolved);
        }
        Ok(())
    }
}

pub fn run(args: EvalArgs) -> anyhow::Result<ExitCode> {
    let mut pipeline = args.engine.load_pipeline()?;
    let (tallies, with_detection) = match (&args.voc, &args.folders) {
        (Some(dir), _) => (evaluate_voc(&mut pipeline, dir, args.ids.as_ref())?, true),
        (None, Some(dir)) => (evaluate_folders(&mut pipeline, dir)?, false),
        (None, None) => unreachable!("clap requires one of --voc and --folders"),
    };
    let detection = with_detection.then(|| {
        let seconds = tallies.detection_time.as_secs_f64();
        let rate = if seconds > 0.0 {
            tallies.images as f64 / seconds
        } else {
            0.0
        };
        DetectionReport::new(&tallies.detection, MATCH_IOU, rate)
    });
    let report = EvalReport {
        faces: tallies.confusion.total(),
        images: tallies.images,
        model_set: pipeline.model_version(),
        classification: ClassificationReport::new(
            &tallies.confusion,
            &tallies.confusion_by_width,
            tallies.super_resolved,
        ),
        detection,
        unreadable: tallies.unreadable,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_table(&report);
    }
    Ok(ExitCode::SUCCESS)
}

fn evaluate_voc(
    pipeline: &mut Pipeline,
    dir: &Path,
    ids: Option<&PathBuf>,
) -> anyhow::Result<Tallies> {
    let ids = ids.map(|p| voc::read_ids(p)).transpose()?;
    let images = voc::load_dir(dir, ids.as_ref())
        .with_context(|| format!("reading annotations in {}", dir.display()))?;
    anyhow::ensure!(
        !images.is_empty(),
        "no annotated images selected in {}",
        dir.display()
    );
    let mut tallies = Tallies::default();
    let bar = progress::bar(images.len(), "evaluating");
    for group in images.chunks(PHOTOS_PER_BATCH) {
        let (mut crops, mut truth) = (Vec::new(), Vec::new());
        for annotated in group {
            let photo = match read_photo(&annotated.image) {
                Ok(photo) => pipeline.prepare(photo),
                Err(reason) => {
                    tallies.unreadable.push(Unreadable {
                        path: annotated.image.display().to_string(),
                        reason,
                    });
                    continue;
                }
            };
            tallies.images += 1;
            for (condition, bbox) in &annotated.faces {
                crops.push(pipeline.crop(&photo, bbox)?);
                truth.push((*condition, WidthBand::of(bbox)));
            }
            let started = Instant::now();
            let detections = pipeline.detect(&photo)?;
            tallies.detection_time += started.elapsed();
            let found: Vec<_> = detections.iter().map(|d| (d.score, d.bbox)).collect();
            let (tally, _) = match_detections(&annotated.faces, &found, MATCH_IOU);
            tallies.detection.merge(&tally);
        }
        tallies.score(pipeline, &crops, &truth)?;
        bar.inc(group.len() as u64);
    }
    bar.finish_and_clear();
    Ok(tallies)
}

fn evaluate_folders(pipeline: &mut Pipeline, dir: &Path) -> anyhow::Result<Tallies> {
    let images = folders::load_dir(dir)?;
    let mut tallies = Tallies::default();
    let bar = progress::bar(images.len(), "evaluating");
    for group in images.chunks(pipeline.config().batch_size) {
        let (mut crops, mut truth) = (Vec::new(), Vec::new());
        for (condition, path) in group {
            match read_photo(path) {
                Ok(photo) => {
                    let prepared = pipeline.prepare(photo);
                    let crop = pipeline.whole_face(&prepared)?;
                    let (w, h) = prepared.stretched.dimensions();
                    let band = WidthBand::of(&maskwatch_domain::BoundingBox::new(
                        0.0, 0.0, w as f32, h as f32,
                    ));
                    crops.push(crop);
                    truth.push((*condition, band));
                    tallies.images += 1;
                }
                Err(reason) => tallies.unreadable.push(Unreadable {
                    path: path.display().to_string(),
                    reason,
                }),
            }
        }
        tallies.score(pipeline, &crops, &truth)?;
        bar.inc(group.len() as u64);
    }
    bar.finish_and_clear();
    Ok(tallies)
}

fn print_table(report: &EvalReport) {
    let c = &report.classification;
    println!(
        "model set {}: {} images, {} faces",
        report.model_set, report.images, report.faces
    );
    println!("classification (ground-truth boxes)");
    println!(
        "  accuracy                      {:>6.2}%",
        100.0 * c.accuracy
    );
    println!("  kappa                         {:>7.4}", c.kappa);
    println!(
        "  mask-wearing accuracy         {:>6.2}%",
        100.0 * c.mask_wearing_accuracy
    );
    println!(
        "  personal-protection accuracy  {:>6.2}%",
        100.0 * c.personal_protection_accuracy
    );
    for condition in Condition::ALL {
        println!(
            "  recall {:<22} {:>6.2}%",
            condition.as_str(),
            100.0 * c.recall[condition.as_str()]
        );
    }
    for band in WidthBand::ALL {
        println!(
            "  accuracy, width {:<13} {:>6.2}%",
            band.as_str(),
            100.0 * c.accuracy_by_width[band.as_str()]
        );
    }
    println!("  confusion (rows truth, columns predicted: no_mask, incorrect, correct)");
    for row in c.confusion {
        println!("    {:>6} {:>6} {:>6}", row[0], row[1], row[2]);
    }
    if let Some(d) = &report.detection {
        println!("detection (IoU >= {})", d.iou_threshold);
        println!("  recall                        {:>6.2}%", 100.0 * d.recall);
        println!(
            "  precision                     {:>6.2}%",
            100.0 * d.precision
        );
        for condition in Condition::ALL {
            println!(
                "  recall {:<22} {:>6.2}%",
                condition.as_str(),
                100.0 * d.recall_by_class[condition.as_str()]
            );
        }
        for band in WidthBand::ALL {
            let faces = d.faces_by_width[band.as_str()];
            println!(
                "  recall, width {:<15} {:>6.2}%  ({faces} faces)",
                band.as_str(),
                100.0 * d.recall_by_width[band.as_str()]
            );
        }
        println!(
            "  detector images per second    {:>7.2}",
            d.images_per_second
        );
    }
    for u in &report.unreadable {
        println!("unreadable: {}: {}", u.path, u.reason);
    }
}
