//! `maskwatch audit`: the embedded default, one process and no servers.

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use maskwatch_domain::FaceFinding;
use serde::Serialize;

use crate::annotate::annotate;
use crate::image_files::{collect, read_photo};
use crate::progress;
use crate::summary::AuditSummary;
use image::RgbImage;
use maskwatch_engine::{EngineOptions, LaneOptions};
use maskwatch_pipeline::Pipeline;

#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    /// Photos, or folders searched recursively for .jpg, .jpeg and .png files.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,

    /// Write one JSON line per face to this file.
    #[arg(long)]
    pub jsonl: Option<PathBuf>,

    /// Write a copy of each photo with its faces boxed and labelled into this folder.
    #[arg(long)]
    pub annotate: Option<PathBuf>,

    /// Photos whose faces share one batch.
    #[arg(long, default_value_t = 8)]
    pub images_per_batch: usize,

    #[command(flatten)]
    pub engine: EngineOptions,

    #[command(flatten)]
    pub lanes: LaneOptions,
}

/// One line of `--jsonl`.
#[derive(Serialize)]
struct FaceLine<'a> {
    image: &'a str,
    #[serde(flatten)]
    face: &'a FaceFinding,
    model_set: &'a str,
}

pub fn run(args: AuditArgs) -> anyhow::Result<ExitCode> {
    let files = collect(&args.paths)?;
    anyhow::ensure!(!files.is_empty(), "no photos found under the given paths");
    let mut lanes = args.engine.load_lanes(&args.lanes)?;
    let model_version = lanes.first().model_version();
    eprintln!(
        "auditing {} photos with model set {} on {} ({} lanes)",
        files.len(),
        model_version,
        lanes.first().provider().as_str(),
        lanes.count()
    );
    let mut jsonl = match &args.jsonl {
        Some(path) => Some(BufWriter::new(
            File::create(path).with_context(|| format!("creating {}", path.display()))?,
        )),
        None => None,
    };
    if let Some(dir) = &args.annotate {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }

    let mut summary = AuditSummary::default();
    let mut annotated_names = HashSet::new();
    let bar = progress::bar(files.len(), "auditing");
    let keep_originals = args.annotate.is_some();
    lanes.map_ordered(
        files.chunks(args.images_per_batch.max(1)),
        |pipeline, group| audit_group(pipeline, group, keep_originals),
        |outcome| -> anyhow::Result<()> {
            for (path, result) in outcome? {
                let (faces, original) = match result {
                    Ok(audited) => audited,
                    Err(reason) => {
                        tracing::warn!(path = %path.display(), %reason, "unreadable photo");
                        summary.add_unreadable(path.clone(), reason);
                        bar.inc(1);
                        continue;
                    }
                };
                summary.add_image(&faces);
                if let Some(out) = jsonl.as_mut() {
                    write_lines(out, path, &faces, &model_version)?;
                }
                if let (Some(dir), Some(mut photo)) = (&args.annotate, original) {
                    annotate(&mut photo, &faces);
                    let target = annotated_path(dir, path, &mut annotated_names);
                    photo
                        .save(&target)
                        .with_context(|| format!("writing {}", target.display()))?;
                }
                bar.inc(1);
            }
            Ok(())
        },
    )?;
    bar.finish_and_clear();
    if let Some(mut out) = jsonl {
        out.flush()?;
    }
    print!("{summary}");
    Ok(ExitCode::SUCCESS)
}

/// A photo's faces and, when annotating, its unstretched pixels; or why it
/// could not be read.
type PhotoOutcome = Result<(Vec<FaceFinding>, Option<RgbImage>), String>;

/// Reads, prepares and audits one group of photos on one lane; the faces
/// of the group share batches.
fn audit_group<'a>(
    pipeline: &mut Pipeline,
    group: &'a [PathBuf],
    keep_originals: bool,
) -> anyhow::Result<Vec<(&'a PathBuf, PhotoOutcome)>> {
    let mut outcomes = Vec::with_capacity(group.len());
    let mut prepared = Vec::with_capacity(group.len());
    let mut originals = Vec::with_capacity(group.len());
    for path in group {
        match read_photo(path) {
            Ok(photo) => {
                // The stretched copy feeds the models; the original is what people see.
                originals.push(keep_originals.then(|| photo.clone()));
                prepared.push(pipeline.prepare(photo));
                outcomes.push((path, Ok((Vec::new(), None))));
            }
            Err(reason) => outcomes.push((path, Err(reason))),
        }
    }
    let mut findings = pipeline.audit(&prepared)?.into_iter().zip(originals);
    for (_, outcome) in &mut outcomes {
        if let Ok(slot) = outcome {
            *slot = findings.next().expect("one result per readable photo");
        }
    }
    Ok(outcomes)
}

fn write_lines(
    out: &mut impl Write,
    path: &Path,
    faces: &[FaceFinding],
    model_set: &str,
) -> anyhow::Result<()> {
    let image = path.to_string_lossy();
    for face in faces {
        serde_json::to_writer(
            &mut *out,
            &FaceLine {
                image: &image,
                face,
                model_set,
            },
        )?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// Annotated copies keep the photo's file name; a name already used by a
/// photo from another folder gets a numeric suffix, so no copy overwrites another.
fn annotated_path(dir: &Path, photo: &Path, used: &mut HashSet<String>) -> PathBuf {
    let stem = photo
        .file_stem()
        .map_or_else(|| "photo".into(), |s| s.to_string_lossy());
    let extension = photo
        .extension()
        .map_or_else(|| "png".into(), |e| e.to_string_lossy());
    let mut name = format!("{stem}.{extension}");
    let mut n = 2;
    while !used.insert(name.clone()) {
        name = format!("{stem}-{n}.{extension}");
        n += 1;
    }
    dir.join(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotated_names_never_collide() {
        let mut used = HashSet::new();
        let dir = Path::new("out");
        assert_eq!(
            annotated_path(dir, Path::new("a/x.jpg"), &mut used),
            Path::new("out/x.jpg")
        );
        assert_eq!(
            annotated_path(dir, Path::new("b/x.jpg"), &mut used),
            Path::new("out/x-2.jpg")
        );
        assert_eq!(
            annotated_path(dir, Path::new("c/x.jpg"), &mut used),
            Path::new("out/x-3.jpg")
        );
    }
}
