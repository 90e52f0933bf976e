"""Split-aware access to the VOC photos (contrast-stretched, cached on disk as .npy)."""
import csv
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
from PIL import Image

from maskwatch_training.data import DEFAULT_DATA, contrast_stretch

# The data set beside the repository (../shared/datasets), as the classifier training reads it.
ROOT = DEFAULT_DATA.resolve() / "face-mask-detection"
CACHE = Path(__file__).resolve().parents[1] / ".cache" / "detector"
LABELS = {"without_mask": 0, "mask_weared_incorrect": 1, "with_mask": 2}


def split_ids(split, root=ROOT):
    with open(root / "splits.csv") as f:
        return sorted(r["image"] for r in csv.DictReader(f) if r["split"] == split)


def annotations(name, root=ROOT):
    """(boxes [N,4] float32 continuous VOC coords, labels [N])."""
    tree = ET.parse(root / "annotations" / f"{name}.xml").getroot()
    boxes, labels = [], []
    for obj in tree.iter("object"):
        bb = obj.find("bndbox")
        boxes.append([float(bb.findtext(k)) for k in ("xmin", "ymin", "xmax", "ymax")])
        labels.append(LABELS[obj.findtext("name")])
    return np.array(boxes, np.float32).reshape(-1, 4), np.array(labels, int)


def photo(name, root=ROOT):
    """The contrast-stretched RGB photo, as the pipeline feeds the detector."""
    f = CACHE / "photos" / f"{name}.npy"
    if f.exists():
        return np.load(f)
    with Image.open(root / "images" / f"{name}.jpg") as im:
        img = contrast_stretch(np.asarray(im.convert("RGB")))
    f.parent.mkdir(parents=True, exist_ok=True)
    np.save(f, img)
    return img
