//! Shared helpers for the end-to-end tests: where the repository, the
//! models, the data sets and the built command line are.
//!
//! The tests use the real ONNX Runtime library installed by `scripts/setup`
//! and the labelled photos in `../shared/datasets` (or `MASKWATCH_DATASETS`).
//! When the photos are absent a test says so plainly on standard error and
//! returns, so that a checkout without the data still builds and tests.

pub mod deployment;
pub mod machine;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use maskwatch_eval::voc::{self, VocImage};
use maskwatch_pipeline::{OnnxRuntime, Pipeline, PipelineConfig, RuntimeConfig};

/// The repository root (the parent of this crate's folder).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

pub fn models_dir() -> PathBuf {
    repo_root().join("models")
}

/// The data sets folder, from `MASKWATCH_DATASETS` or `../shared/datasets`.
pub fn datasets_dir() -> PathBuf {
    std::env::var_os("MASKWATCH_DATASETS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("../shared/datasets"))
}

/// The `face-mask-detection` VOC folder, or `None` (with a message) when absent.
pub fn face_mask_detection() -> Option<PathBuf> {
    dataset("face-mask-detection", "annotations")
}

/// The first `count` photos of a VOC data set, in name order (fewer when it
/// has fewer).
pub fn first_photos(dataset: &Path, count: usize) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dataset.join("images"))
        .expect("photos")
        .map(|entry| entry.expect("entry").path())
        .collect();
    files.sort();
    files.truncate(count);
    files
}

/// The `mask-2class` folder, or `None` (with a message) when absent.
pub fn mask_2class() -> Option<PathBuf> {
    dataset("mask-2class", "with_mask")
}

/// The data set folder `name`, recognised by its subfolder `marker`, or
/// `None` after saying plainly on standard error that the test checks nothing.
fn dataset(name: &str, marker: &str) -> Option<PathBuf> {
    let dir = datasets_dir().join(name);
    if dir.join(marker).is_dir() {
        return Some(dir);
    }
    eprintln!(
        "DATASET ABSENT: {} not found; this test checks nothing without it. \
         Point MASKWATCH_DATASETS at a folder holding {name}/.",
        dir.display()
    );
    None
}

/// The names of the validation photos, from the data set's `splits.csv`.
pub fn val_ids(dataset: &Path) -> Vec<String> {
    let splits = std::fs::read_to_string(dataset.join("splits.csv")).expect("splits.csv");
    splits
        .lines()
        .filter_map(|line| line.split_once(','))
        .filter(|(_, split)| split.trim() == "val")
        .map(|(name, _)| name.trim().to_owned())
        .collect()
}

/// The first `count` validation photos with their annotations.
pub fn val_images(dataset: &Path, count: usize) -> Vec<VocImage> {
    let ids = val_ids(dataset).into_iter().collect();
    let mut images = voc::load_dir(dataset, Some(&ids)).expect("annotations load");
    images.truncate(count);
    images
}

/// ONNX Runtime from `scripts/setup`, loaded once for the test binary.
pub fn runtime() -> OnnxRuntime {
    static RUNTIME: OnceLock<OnnxRuntime> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            OnnxRuntime::init(RuntimeConfig::default())
                .unwrap_or_else(|e| panic!("{e}\n(the tests need `scripts/setup` to have run)"))
        })
        .clone()
}

/// A pipeline over the repository's model set.
pub fn pipeline(config: PipelineConfig) -> Pipeline {
    Pipeline::load(&runtime(), &models_dir(), config)
        .unwrap_or_else(|e| panic!("loading the model set: {e}"))
}

/// The `maskwatch` binary built next to this test binary.
pub fn maskwatch_binary() -> PathBuf {
    built_binary("maskwatch", "maskwatch-cli")
}

/// A binary of this workspace built next to this test binary.
pub fn built_binary(name: &str, package: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    // target/<profile>/deps/<test> -> target/<profile>/<name>
    let binary = exe
        .parent()
        .and_then(Path::parent)
        .expect("target folder")
        .join(name);
    assert!(
        binary.is_file(),
        "{} is missing: build it first with `cargo build -p {package}` (scripts/test does)",
        binary.display()
    );
    binary
}

/// A fresh empty folder under the system temp folder for one test.
pub fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("maskwatch-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

/// Copies a folder and everything under it.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("target folder");
    for entry in std::fs::read_dir(from).expect("source folder") {
        let path = entry.expect("folder entry").path();
        let target = to.join(path.file_name().expect("a name"));
        if path.is_dir() {
            copy_tree(&path, &target);
        } else {
            std::fs::copy(&path, &target).expect("copy");
        }
    }
}
