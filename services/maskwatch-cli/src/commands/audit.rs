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
use maskwatch_engine::EngineOptions;

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
    let mut pipeline = args.engine.load_pipeline()?;
    eprintln!(
        "auditing {} photos with model set {} on {}",
        files.len(),
        pipeline.model_set().version(),
        pipeline.provider().as_str()
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
    for group in files.chunks(args.images_per_batch.max(1)) {
        let mut readable = Vec::with_capacity(group.len());
        let mut prepared = Vec::with_capacity(group.len());
        for path in group {
            match read_photo(path) {
                Ok(photo) => {
                    // The stretched copy feeds the models; the original is what people see.
                    let original = args.annotate.is_some().then(|| photo.clone());
                    prepared.push(pipeline.prepare(photo));
                    readable.push((path, original));
                }
                Err(reason) => {
                    tracing::warn!(path = %path.display(), %reason, "unreadable photo");
                    summary.add_unreadable(path.clone(), reason);
                }
            }
        }
        let findings = pipeline.audit(&prepared)?;
        for ((path, original), faces) in readable.into_iter().zip(findings) {
            summary.add_image(&faces);
            if let Some(out) = jsonl.as_mut() {
                write_lines(out, path, &faces, pipeline.model_set().version())?;
            }
            if let (Some(dir), Some(mut photo)) = (&args.annotate, original) {
                annotate(&mut photo, &faces);
                let target = annotated_path(dir, path, &mut annotated_names);
                photo
                    .save(&target)
                    .with_context(|| format!("writing {}", target.display()))?;
            }
        }
        bar.inc(group.len() as u64);
    }
    bar.finish_and_clear();
    if let Some(mut out) = jsonl {
        out.flush()?;
    }
    print!("{summary}");
    Ok(ExitCode::SUCCESS)
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
