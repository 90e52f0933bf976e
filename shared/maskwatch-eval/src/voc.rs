//! Pascal VOC face annotations, as the public face-mask data sets ship them.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use maskwatch_domain::{BoundingBox, Condition};

/// One annotated photo.
#[derive(Debug, Clone, PartialEq)]
pub struct VocImage {
    /// The photo's path (`DIR/images/<filename>`).
    pub image: PathBuf,
    pub faces: Vec<(Condition, BoundingBox)>,
}

#[derive(Debug, thiserror::Error)]
pub enum VocError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: not valid XML: {reason}")]
    Xml { path: PathBuf, reason: String },
    #[error("{path}: {reason}")]
    Content { path: PathBuf, reason: String },
    #[error("{dir} has no annotations/ folder with .xml files")]
    Empty { dir: PathBuf },
}

/// Parses one annotation file's text. Box corners are read as continuous
/// pixel coordinates.
pub fn parse_annotation(
    xml: &str,
    path: &Path,
) -> Result<(String, Vec<(Condition, BoundingBox)>), VocError> {
    let content = |reason: String| VocError::Content {
        path: path.to_path_buf(),
        reason,
    };
    let document = roxmltree::Document::parse(xml).map_err(|e| VocError::Xml {
        path: path.into(),
        reason: e.to_string(),
    })?;
    let root = document.root_element();
    let child_text = |node: roxmltree::Node<'_, '_>, name: &str| {
        node.children()
            .find(|c| c.has_tag_name(name))
            .and_then(|c| c.text())
            .map(str::trim)
            .map(str::to_owned)
    };
    let filename = child_text(root, "filename").ok_or_else(|| content("no <filename>".into()))?;
    let mut faces = Vec::new();
    for object in root.children().filter(|c| c.has_tag_name("object")) {
        let name = child_text(object, "name")
            .ok_or_else(|| content("an <object> without <name>".into()))?;
        let condition: Condition = name
            .parse()
            .map_err(|e: maskwatch_domain::UnknownCondition| content(e.to_string()))?;
        let bndbox = object
            .children()
            .find(|c| c.has_tag_name("bndbox"))
            .ok_or_else(|| content("no <bndbox>".into()))?;
        let coordinate = |tag: &str| -> Result<f32, VocError> {
            child_text(bndbox, tag)
                .and_then(|t| t.parse::<f32>().ok())
                .ok_or_else(|| content(format!("missing or bad <{tag}>")))
        };
        let bbox = BoundingBox::new(
            coordinate("xmin")?,
            coordinate("ymin")?,
            coordinate("xmax")?,
            coordinate("ymax")?,
        );
        faces.push((condition, bbox));
    }
    Ok((filename, faces))
}

/// Reads an ID list: one image name per line, extension optional; blank
/// lines and `#` comments are skipped.
pub fn read_ids(path: &Path) -> Result<HashSet<String>, VocError> {
    let text = fs::read_to_string(path).map_err(|source| VocError::Io {
        path: path.into(),
        source,
    })?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| stem(l).to_owned())
        .collect())
}

fn stem(name: &str) -> &str {
    Path::new(name)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or(name)
}

/// Loads every annotated photo of `dir` (with `images/` and `annotations/`),
/// restricted to `ids` when given, sorted by file name.
pub fn load_dir(dir: &Path, ids: Option<&HashSet<String>>) -> Result<Vec<VocImage>, VocError> {
    let annotations = dir.join("annotations");
    let entries = fs::read_dir(&annotations).map_err(|_| VocError::Empty { dir: dir.into() })?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("xml")))
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(VocError::Empty { dir: dir.into() });
    }
    let mut images = Vec::new();
    for path in paths {
        let xml = fs::read_to_string(&path).map_err(|source| VocError::Io {
            path: path.clone(),
            source,
        })?;
        let (filename, faces) = parse_annotation(&xml, &path)?;
        if ids.is_some_and(|ids| !ids.contains(stem(&filename))) {
            continue;
        }
        images.push(VocImage {
            image: dir.join("images").join(filename),
            faces,
        });
    }
    Ok(images)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"<annotation>
        <filename>photo7.jpg</filename>
        <size><width>512</width><height>366</height><depth>3</depth></size>
        <object><name>without_mask</name><bndbox><xmin>79</xmin><ymin>105</ymin><xmax>109</xmax><ymax>142</ymax></bndbox></object>
        <object><name>mask_weared_incorrect</name><bndbox><xmin>1</xmin><ymin>2</ymin><xmax>3</xmax><ymax>4</ymax></bndbox></object>
    </annotation>"#;

    #[test]
    fn parses_faces_and_classes() {
        let (filename, faces) = parse_annotation(SAMPLE, Path::new("a.xml")).unwrap();
        assert_eq!(filename, "photo7.jpg");
        assert_eq!(faces.len(), 2);
        assert_eq!(
            faces[0],
            (
                Condition::NoMask,
                BoundingBox::new(79.0, 105.0, 109.0, 142.0)
            )
        );
        assert_eq!(faces[1].0, Condition::Incorrect);
    }

    #[test]
    fn unknown_class_is_an_error() {
        let xml = SAMPLE.replace("without_mask", "hat");
        let err = parse_annotation(&xml, Path::new("a.xml")).unwrap_err();
        assert!(err.to_string().contains("hat"), "{err}");
    }

    #[test]
    fn missing_coordinate_is_an_error() {
        let xml = SAMPLE.replace("<xmin>79</xmin>", "");
        assert!(parse_annotation(&xml, Path::new("a.xml")).is_err());
    }

    #[test]
    fn ids_ignore_extensions_and_comments() {
        let path = std::env::temp_dir().join(format!("maskwatch-ids-{}.txt", std::process::id()));
        fs::write(&path, "# val\nphoto7.jpg\n\nphoto9\n").unwrap();
        let ids = read_ids(&path).unwrap();
        fs::remove_file(&path).unwrap();
        assert_eq!(
            ids,
            HashSet::from(["photo7".to_owned(), "photo9".to_owned()])
        );
    }
}
