//! Single-face images sorted into folders named by class.

use std::fs;
use std::path::{Path, PathBuf};

use maskwatch_domain::Condition;

#[derive(Debug, thiserror::Error)]
pub enum FoldersError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{dir} has no class folders (no_mask/without_mask, incorrect/mask_weared_incorrect, correct/with_mask)"
    )]
    NoClasses { dir: PathBuf },
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> FoldersError + '_ {
    move |source| FoldersError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Every image under the class subfolders of `dir`, sorted by path. Folders
/// whose names are not a condition are skipped.
pub fn load_dir(dir: &Path) -> Result<Vec<(Condition, PathBuf)>, FoldersError> {
    let mut images = Vec::new();
    let mut classes = 0;
    for entry in fs::read_dir(dir).map_err(io_error(dir))? {
        let path = entry.map_err(io_error(dir))?.path();
        let Some(condition) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.parse::<Condition>().ok())
        else {
            continue;
        };
        if !path.is_dir() {
            continue;
        }
        classes += 1;
        for file in fs::read_dir(&path).map_err(io_error(&path))? {
            let file = file.map_err(io_error(&path))?.path();
            if file.is_file() {
                images.push((condition, file));
            }
        }
    }
    if classes == 0 {
        return Err(FoldersError::NoClasses {
            dir: dir.to_path_buf(),
        });
    }
    images.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(images)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_namings_and_skips_others() {
        let dir = std::env::temp_dir().join(format!("maskwatch-folders-{}", std::process::id()));
        for sub in ["with_mask", "no_mask", "misc"] {
            fs::create_dir_all(dir.join(sub)).unwrap();
        }
        fs::write(dir.join("with_mask/a.jpg"), b"x").unwrap();
        fs::write(dir.join("no_mask/b.jpg"), b"x").unwrap();
        fs::write(dir.join("misc/c.jpg"), b"x").unwrap();
        let images = load_dir(&dir).unwrap();
        fs::remove_dir_all(&dir).unwrap();
        let conditions: Vec<Condition> = images.iter().map(|i| i.0).collect();
        assert_eq!(conditions, vec![Condition::NoMask, Condition::Correct]);
    }

    #[test]
    fn no_class_folders_is_an_error() {
        let dir = std::env::temp_dir().join(format!("maskwatch-noclass-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        assert!(matches!(
            load_dir(&dir),
            Err(FoldersError::NoClasses { .. })
        ));
        fs::remove_dir_all(&dir).unwrap();
    }
}
