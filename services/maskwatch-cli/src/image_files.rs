//! Finding the photos a command was pointed at.

use std::path::{Path, PathBuf};

/// File extensions treated as photos when walking folders. Files named
/// explicitly are always taken, so that a bad file is reported, not skipped.
const PHOTO_EXTENSIONS: [&str; 3] = ["jpg", "jpeg", "png"];

/// The files under `paths` (folders walked recursively), sorted and deduplicated.
pub fn collect(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            for entry in walkdir::WalkDir::new(path).follow_links(true) {
                let entry = entry?;
                if entry.file_type().is_file() && has_photo_extension(entry.path()) {
                    files.push(entry.into_path());
                }
            }
        } else if path.exists() {
            files.push(path.clone());
        } else {
            anyhow::bail!("{} does not exist", path.display());
        }
    }
    files.sort();
    files.dedup();
    Ok(files)
}

fn has_photo_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| PHOTO_EXTENSIONS.iter().any(|p| p.eq_ignore_ascii_case(e)))
}

/// Reads and decodes one photo, or says why it cannot be used.
pub fn read_photo(path: &Path) -> Result<image::RgbImage, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read: {e}"))?;
    maskwatch_pipeline::decode::decode_rgb(
        &bytes,
        maskwatch_pipeline::decode::DecodeLimits::default(),
    )
    .map_err(|e| e.to_string())
}
