"""Data access and the preprocessing contract shared with the Rust pipeline.

Everything that decides which pixels the networks see lives here, so the Rust
implementation has one Python reference to match: the whole-photo contrast
stretch, the square crop rule with edge clamping, and Pillow's bicubic resize.
"""
from __future__ import annotations

import csv
import math
import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

CLASSES = ("no_mask", "incorrect", "correct")
VOC_LABELS = {"without_mask": 0, "mask_weared_incorrect": 1, "with_mask": 2}
INPUT = 224
SR_MAX_SIDE = 150  # crops with side <= this go through the SR network
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
DEFAULT_DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "datasets"


def resolve_data_root(path: str | os.PathLike | None) -> Path:
    """Return the datasets folder, failing with instructions when it is absent."""
    root = Path(path) if path else DEFAULT_DATA
    if not (root / "face-mask-detection" / "splits.csv").is_file():
        raise SystemExit(
            f"datasets not found at {root.resolve()}: expected face-mask-detection/ and "
            "mask-2class/ (see ../shared/datasets/README.md); pass --data PATH to your copy")
    return root.resolve()


# ---------------------------------------------------------------- contract ---

def stretch_lut(channel: np.ndarray) -> np.ndarray | None:
    """LUT of MATLAB imadjust(I, stretchlim(I)) for one uint8 channel, or None if degenerate."""
    hist = np.bincount(channel.ravel(), minlength=256).astype(np.float64)
    cdf = np.cumsum(hist) / hist.sum()
    lo = int(np.argmax(cdf > 0.01))
    hi = int(np.argmax(cdf >= 0.99))
    if lo >= hi:
        return None
    v = np.arange(256, dtype=np.float64)
    return np.floor(np.clip((v - lo) / (hi - lo), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def contrast_stretch(rgb: np.ndarray) -> np.ndarray:
    """Per-channel 1%/99% contrast stretch of a whole RGB uint8 image (before any cropping)."""
    out = rgb.copy()
    for c in range(3):
        lut = stretch_lut(rgb[..., c])
        if lut is not None:
            out[..., c] = lut[rgb[..., c]]
    return out


def crop_square_from_box(box: tuple[float, float, float, float]) -> tuple[int, int, int]:
    """Crop rule: (x0, y0, s) of the 1.2x enlarged square around a VOC box."""
    xmin, ymin, xmax, ymax = box
    cx, cy = (xmin + xmax) / 2.0, (ymin + ymax) / 2.0
    side = max(xmax - xmin, ymax - ymin) * 1.2
    s = max(1, math.floor(side + 0.5))
    return math.floor(cx - s / 2.0 + 0.5), math.floor(cy - s / 2.0 + 0.5), s


def clamped_crop(img: np.ndarray, x0: int, y0: int, w: int, h: int) -> np.ndarray:
    """Pixels [x0, x0+w) x [y0, y0+h); outside coordinates take the nearest edge pixel."""
    ys = np.clip(np.arange(y0, y0 + h), 0, img.shape[0] - 1)
    xs = np.clip(np.arange(x0, x0 + w), 0, img.shape[1] - 1)
    return img[ys[:, None], xs[None, :]]


def resize224(crop: np.ndarray) -> np.ndarray:
    """Pillow bicubic resize to the network input size (Rust matches it with Catmull-Rom)."""
    return np.asarray(Image.fromarray(crop).resize((INPUT, INPUT), Image.BICUBIC))


def contract_face(photo_stretched: np.ndarray, box) -> tuple[np.ndarray, int]:
    """The exact inference input for one face: 224x224 uint8 crop and its side s."""
    x0, y0, s = crop_square_from_box(box)
    return resize224(clamped_crop(photo_stretched, x0, y0, s, s)), s


def square_of_crop(crop_img: np.ndarray) -> tuple[int, int, int]:
    """mask-2class images are already face crops: centre square of side max(w, h), no enlargement."""
    h, w = crop_img.shape[:2]
    s = max(w, h)
    return (w - s) // 2, (h - s) // 2, s


# ------------------------------------------------------------- datasets ---

@dataclass(frozen=True)
class Face:
    """One labelled face: a source image plus the square to crop (or a VOC box)."""
    path: str
    label: int
    split: str
    box: tuple[float, float, float, float] | None  # VOC box; None for mask-2class crops
    side: int  # crop side s of the contract (decides SR)


def voc_faces(root: Path) -> list[Face]:
    """All VOC faces with their split, in file order (deterministic)."""
    base = root / "face-mask-detection"
    with open(base / "splits.csv") as f:
        splits = {r["image"]: r["split"] for r in csv.DictReader(f)}
    faces = []
    for name in sorted(splits):
        tree = ET.parse(base / "annotations" / f"{name}.xml").getroot()
        fname = tree.findtext("filename") or f"{name}.jpg"
        for obj in tree.iter("object"):
            bb = obj.find("bndbox")
            box = tuple(float(bb.findtext(k)) for k in ("xmin", "ymin", "xmax", "ymax"))
            faces.append(Face(str(base / "images" / fname), VOC_LABELS[obj.findtext("name")],
                              splits[name], box, crop_square_from_box(box)[2]))
    return faces


def mask2class_faces(root: Path, holdout_frac: float = 0.1, seed: int = 0) -> list[Face]:
    """mask-2class crops; a fixed-seed slice is marked split 'holdout' (kept out of SR training)."""
    faces = []
    for sub, label in (("without_mask", 0), ("with_mask", 2)):
        for p in sorted((root / "mask-2class" / sub).iterdir()):
            with Image.open(p) as im:
                s = max(im.size)
            faces.append(Face(str(p), label, "train", None, s))
    rng = np.random.default_rng(seed)
    held = set(rng.choice(len(faces), int(len(faces) * holdout_frac), replace=False).tolist())
    return [Face(f.path, f.label, "holdout" if i in held else f.split, f.box, f.side)
            for i, f in enumerate(faces)]


class PhotoCache:
    """Stretched photos kept in memory: VOC photos hold many faces and are reused per copy."""

    def __init__(self):
        self._cache: dict[str, np.ndarray] = {}

    def get(self, path: str) -> np.ndarray:
        img = self._cache.get(path)
        if img is None:
            with Image.open(path) as im:
                img = contrast_stretch(np.asarray(im.convert("RGB")))
            self._cache[path] = img
        return img


def face_input(cache: PhotoCache, face: Face) -> tuple[np.ndarray, int]:
    """Un-augmented contract input (224 uint8) for a face of either source."""
    img = cache.get(face.path)
    if face.box is not None:
        return contract_face(img, face.box)
    x0, y0, s = square_of_crop(img)
    return resize224(clamped_crop(img, x0, y0, s, s)), s


# ---------------------------------------------------------- augmentation ---

def augmented_input(cache: PhotoCache, face: Face, rng: np.random.Generator,
                    box_jitter: float = 0.08) -> tuple[np.ndarray, int]:
    """Training input: box jitter, rotation ~N(0, 3 deg) clipped to +-6, shift <= 4 px (at 224), h-flip.

    Rotation and shift are applied to a crop with a 15% clamped margin, then the
    central square is kept, so no black corners appear; geometry stays that of the
    contract crop up to the sampled perturbation.
    """
    img = cache.get(face.path)
    if face.box is not None:
        xmin, ymin, xmax, ymax = face.box
        w, h = xmax - xmin, ymax - ymin
        scale = 1.0 + rng.uniform(-box_jitter, box_jitter)
        cx = (xmin + xmax) / 2 + rng.uniform(-box_jitter, box_jitter) * w
        cy = (ymin + ymax) / 2 + rng.uniform(-box_jitter, box_jitter) * h
        x0, y0, s = crop_square_from_box((cx - w * scale / 2, cy - h * scale / 2,
                                          cx + w * scale / 2, cy + h * scale / 2))
    else:
        x0, y0, s = square_of_crop(img)
    m = max(1, math.ceil(0.15 * s))
    big = Image.fromarray(clamped_crop(img, x0 - m, y0 - m, s + 2 * m, s + 2 * m))
    angle = float(np.clip(rng.normal(0.0, 3.0), -6.0, 6.0))
    shift = rng.uniform(-4.0, 4.0, size=2) * s / INPUT
    big = big.rotate(angle, resample=Image.BICUBIC, translate=(float(shift[0]), float(shift[1])))
    crop = np.asarray(big)[m:m + s, m:m + s]
    out = resize224(np.ascontiguousarray(crop))
    if rng.random() < 0.5:
        out = np.ascontiguousarray(out[:, ::-1])
    return out, s
