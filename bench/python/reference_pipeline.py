"""The maskwatch inference pipeline written plainly in Python, for speed comparisons.

It mirrors shared/maskwatch-pipeline (the Rust pipeline) step by step, the
way a user would write it with ONNX Runtime, NumPy and Pillow:

1. decode the photo with Pillow (EXIF orientation applied), RGB;
2. contrast stretch: saturate the darkest and brightest 1% of each channel;
3. MTCNN: P-Net over an image pyramid, R-Net on 24x24, O-Net on 48x48;
4. crop each face as a square 1.2x its box's longer side, edges repeated,
   and resize it to 224x224 bicubic;
5. super-resolve the crops whose side is <= 150 px, then classify all
   faces in batches.

Everything the Rust code reads from models/manifest.json (file names, tensor
names, normalisation, detector settings) is read from it here too.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnxruntime as ort
from PIL import Image, ImageOps

CLASS_NAMES = ("no_mask", "incorrect", "correct")  # classifier output order

# P-Net output cell i covers input pixels from 2 * i over a 12-pixel window.
PNET_STRIDE = np.float32(2.0)
PNET_CELL = np.float32(12.0)
# R-Net and O-Net get candidates in chunks of this size, as in the Rust
# code, which bounds the input buffer in crowded photos.
REFINE_CHUNK = 256

F32 = np.float32


# ---------------------------------------------------------------- models


@dataclass
class Model:
    """One ONNX session with the interface its manifest entry describes."""

    session: ort.InferenceSession
    input_name: str
    output_names: list[str]
    # Per-channel (multiplier, offset): normalised = pixel * m + o.
    multiplier: np.ndarray
    offset: np.ndarray

    def run(self, tensor: np.ndarray) -> list[np.ndarray]:
        return self.session.run(self.output_names, {self.input_name: tensor})

    def normalise(self, pixels: np.ndarray) -> np.ndarray:
        """uint8 pixels (channels last) to the model's float input values."""
        return pixels.astype(F32) * self.multiplier + self.offset


def load_model(
    model_dir: Path, entry: dict, options: ort.SessionOptions, precision: str
) -> Model:
    norm = entry["normalisation"]
    scale = F32(norm["input_scale"])
    mean = np.asarray(norm["mean"], dtype=F32)
    std = np.asarray(norm["std"], dtype=F32)
    # "auto" takes the int8 copy where the manifest has one, as the Rust
    # pipeline does on the CPU, so both run the same files.
    file = entry["int8"]["file"] if precision == "auto" and "int8" in entry else entry["file"]
    session = ort.InferenceSession(
        str(model_dir / file), options, providers=["CPUExecutionProvider"]
    )
    return Model(
        session=session,
        input_name=entry["inputs"][0]["name"],
        output_names=[o["name"] for o in entry["outputs"]],
        # Same arithmetic as Normalisation::affine, so float results agree.
        multiplier=F32(1.0) / (scale * std),
        offset=-mean / std,
    )


@dataclass
class ModelSet:
    manifest: dict
    pnet: Model
    rnet: Model
    onet: Model
    super_resolution: Model
    classifier: Model

    @classmethod
    def load(cls, model_dir: Path, threads: int, precision: str) -> "ModelSet":
        manifest = json.loads((model_dir / "manifest.json").read_text())
        # Defaults (all graph optimisations, like the Rust's Level3) except
        # the thread count.
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        models = {
            role: load_model(model_dir, manifest["models"][role], options, precision)
            for role in ("pnet", "rnet", "onet", "super_resolution", "classifier")
        }
        return cls(manifest=manifest, **models)


# ------------------------------------------------- decode and contrast stretch


def decode(path: Path) -> np.ndarray:
    """The photo as an (height, width, 3) uint8 array, upright."""
    with Image.open(path) as image:
        # Cameras store portrait shots sideways; the detector needs them upright.
        return np.asarray(ImageOps.exif_transpose(image).convert("RGB"))


def channel_limits(histogram: np.ndarray, fraction: float) -> tuple[int, int] | None:
    """MATLAB's stretchlim for one channel, or None for a flat channel.

    low is the first value whose cumulative share exceeds `fraction`, high
    the first whose share reaches 1 - fraction.
    """
    total = histogram.sum()
    if total == 0:
        return None
    share = np.cumsum(histogram) / total
    low = int(np.argmax(share > fraction))
    high = int(np.argmax(share >= 1.0 - fraction))
    return (low, high) if low < high else None


def stretch_table(low: int, high: int) -> np.ndarray:
    """The lookup table imadjust applies for the given limits."""
    values = np.arange(256, dtype=F32)
    normalised = np.clip((values - F32(low)) / F32(high - low), 0.0, 1.0)
    return np.floor(normalised * F32(255.0) + F32(0.5)).astype(np.uint8)


def stretch_contrast(image: np.ndarray, fraction: float) -> np.ndarray:
    """Stretches each channel so its darkest and brightest `fraction` saturate."""
    out = np.empty_like(image)
    for c in range(3):
        channel = image[:, :, c]
        limits = channel_limits(np.bincount(channel.ravel(), minlength=256), fraction)
        out[:, :, c] = channel if limits is None else stretch_table(*limits)[channel]
    return out


# ---------------------------------------------------------------- MTCNN
#
# Candidates are float32 arrays of shape (n, 9): x1, y1, x2, y2, score and the
# four edge offsets the last network predicted. Window coordinates follow the
# MTCNN reference: whole pixels, 1-based and inclusive.

X1, Y1, X2, Y2, SCORE = range(5)
REG = slice(5, 9)


def pyramid_scales(width: int, height: int, min_face: float, factor: float) -> list:
    """Scales making the smallest face 12 px, shrinking until under 12 px."""
    factor = F32(factor)
    scale = F32(12.0) / F32(min_face)
    shorter = F32(min(width, height)) * scale
    scales = []
    while shorter >= 12.0:
        scales.append(scale)
        scale = scale * factor
        shorter = shorter * factor
    return scales


def nms(candidates: np.ndarray, threshold: float, use_min: bool = False) -> np.ndarray:
    """Greedy non-maximum suppression; indices kept, best score first.

    Overlap is intersection over union, or over the smaller area with
    `use_min` (which drops face parts nested in a better box). Areas use
    the inclusive +1 convention.
    """
    x1, y1, x2, y2 = (candidates[:, i] for i in (X1, Y1, X2, Y2))
    areas = (x2 - x1 + 1) * (y2 - y1 + 1)
    # Stable, so ties keep input order as Rust's sort_by does.
    order = np.argsort(-candidates[:, SCORE], kind="stable")
    keep = []
    while order.size:
        best, rest = order[0], order[1:]
        keep.append(best)
        w = np.maximum(np.minimum(x2[best], x2[rest]) - np.maximum(x1[best], x1[rest]) + 1, 0)
        h = np.maximum(np.minimum(y2[best], y2[rest]) - np.maximum(y1[best], y1[rest]) + 1, 0)
        inter = w * h
        if use_min:
            ratio = inter / np.minimum(areas[best], areas[rest])
        else:
            ratio = inter / (areas[best] + areas[rest] - inter)
        order = rest[~(ratio > threshold)]
    return np.asarray(keep, dtype=np.int64)


def regressed(candidates: np.ndarray, inclusive: bool) -> np.ndarray:
    """Moves the edges by the regression, scaled by the window size.

    P-Net's output uses the exclusive size (x2 - x1), R-Net and O-Net the
    inclusive one (x2 - x1 + 1), as in the reference.
    """
    out = candidates.copy()
    extra = F32(1.0) if inclusive else F32(0.0)
    w = candidates[:, X2] - candidates[:, X1] + extra
    h = candidates[:, Y2] - candidates[:, Y1] + extra
    out[:, [X1, Y1, X2, Y2]] += candidates[:, REG] * np.stack([w, h, w, h], axis=1)
    return out


def squared(candidates: np.ndarray) -> np.ndarray:
    """Same centre, longer side: the next network sees an undistorted face."""
    out = candidates.copy()
    w = candidates[:, X2] - candidates[:, X1]
    h = candidates[:, Y2] - candidates[:, Y1]
    side = np.maximum(w, h)
    out[:, X1] = candidates[:, X1] + w * F32(0.5) - side * F32(0.5)
    out[:, Y1] = candidates[:, Y1] + h * F32(0.5) - side * F32(0.5)
    out[:, X2] = out[:, X1] + side
    out[:, Y2] = out[:, Y1] + side
    return out


def truncated(candidates: np.ndarray) -> np.ndarray:
    """Coordinates truncated toward zero (np.fix), as the crops need."""
    out = candidates.copy()
    out[:, :4] = np.trunc(out[:, :4])
    return out


def window_pixels(image: np.ndarray, window: np.ndarray) -> np.ndarray | None:
    """The pixels of a truncated window; outside the photo is black."""
    width = int(window[X2] - window[X1] + 1)
    height = int(window[Y2] - window[Y1] + 1)
    if width <= 0 or height <= 0:
        return None
    left, top = int(window[X1]) - 1, int(window[Y1]) - 1
    out = np.zeros((height, width, 3), dtype=np.uint8)
    img_h, img_w = image.shape[:2]
    sx0, sx1 = max(left, 0), min(left + width, img_w)
    sy0, sy1 = max(top, 0), min(top + height, img_h)
    if sx0 < sx1 and sy0 < sy1:
        out[sy0 - top : sy1 - top, sx0 - left : sx1 - left] = image[sy0:sy1, sx0:sx1]
    return out


def to_nwhc(model: Model, pixels: np.ndarray) -> np.ndarray:
    """(n, height, width, 3) uint8 to the MTCNN input: spatial axes swapped,
    because the networks were trained on transposed images."""
    return np.ascontiguousarray(model.normalise(pixels).transpose(0, 2, 1, 3))


def pnet_windows(
    scores: np.ndarray, regression: np.ndarray, scale: np.float32, threshold: float
) -> np.ndarray:
    """Candidates from one pyramid level's P-Net maps, indexed [x][y]."""
    xs, ys = np.nonzero(scores >= threshold)  # row-major, i.e. x-major as in Rust
    fx, fy = xs.astype(F32), ys.astype(F32)
    return np.column_stack(
        [
            np.trunc((PNET_STRIDE * fx + 1) / scale),
            np.trunc((PNET_STRIDE * fy + 1) / scale),
            np.trunc((PNET_STRIDE * fx + PNET_CELL) / scale),
            np.trunc((PNET_STRIDE * fy + PNET_CELL) / scale),
            scores[xs, ys],
            regression[xs, ys],
        ]
    ).astype(F32)


class Mtcnn:
    def __init__(self, models: ModelSet):
        self.pnet, self.rnet, self.onet = models.pnet, models.rnet, models.onet
        settings = models.manifest["detector"]["settings"]
        self.min_face = settings["min_face"]
        self.scale_factor = settings["scale_factor"]
        self.thresholds = [F32(t) for t in settings["thresholds"]]

    def detect(self, image: np.ndarray) -> list[tuple[np.ndarray, float, np.ndarray]]:
        """Faces as (box x_min, y_min, x_max, y_max (0-based, continuous),
        score, landmarks (5, 2))."""
        windows = self.propose(image)
        windows = self.refine(image, windows)
        return self.finish(image, windows)

    def propose(self, image: np.ndarray) -> np.ndarray:
        """Stage 1: P-Net over every pyramid level."""
        height, width = image.shape[:2]
        picture = Image.fromarray(image)
        levels = []
        for scale in pyramid_scales(width, height, self.min_face, self.scale_factor):
            w = int(np.ceil(F32(width) * scale))
            h = int(np.ceil(F32(height) * scale))
            # Area averaging when shrinking, as the MTCNN reference does.
            resample = Image.Resampling.BOX if scale < 1 else Image.Resampling.BILINEAR
            level = np.asarray(picture.resize((w, h), resample))
            regression, probabilities = self.pnet.run(to_nwhc(self.pnet, level[None]))
            found = pnet_windows(probabilities[0, :, :, 1], regression[0], scale, self.thresholds[0])
            levels.append(found[nms(found, 0.5)])
        candidates = np.concatenate(levels) if levels else np.empty((0, 9), F32)
        candidates = candidates[nms(candidates, 0.7)]
        return truncated(squared(regressed(candidates, inclusive=False)))

    def refine(self, image: np.ndarray, windows: np.ndarray) -> np.ndarray:
        """Stage 2: R-Net rejects and refines."""
        passed, _ = self.score_windows(self.rnet, 24, image, windows, self.thresholds[1])
        passed = passed[nms(passed, 0.7)]
        return squared(regressed(passed, inclusive=True))

    def finish(self, image: np.ndarray, windows: np.ndarray) -> list:
        """Stage 3: O-Net gives the final boxes and landmarks."""
        passed, points = self.score_windows(
            self.onet, 48, image, truncated(windows), self.thresholds[2]
        )
        final = regressed(passed, inclusive=True)
        height, width = image.shape[:2]
        faces = []
        for i in nms(final, 0.7, use_min=True):
            # 1-based inclusive window to a 0-based continuous box, clipped.
            box = final[i, :4] - np.array([1, 1, 0, 0], dtype=F32)
            box = np.clip(box, 0, np.array([width, height, width, height], dtype=F32))
            if box[2] > box[0] and box[3] > box[1]:
                faces.append((box, float(final[i, SCORE]), points[i]))
        return faces

    def score_windows(
        self, model: Model, side: int, image: np.ndarray, windows: np.ndarray, threshold
    ) -> tuple[np.ndarray, np.ndarray]:
        """Runs R-Net or O-Net on the windows; keeps those scoring >= threshold
        with the new score and regression, plus landmarks from O-Net."""
        kept, landmarks = [], []
        for start in range(0, len(windows), REFINE_CHUNK):
            chunk = windows[start : start + REFINE_CHUNK]
            usable, crops = [], []
            for window in chunk:
                pixels = window_pixels(image, window)
                if pixels is not None:
                    resized = Image.fromarray(pixels).resize((side, side), Image.Resampling.BILINEAR)
                    crops.append(np.asarray(resized))
                    usable.append(window)
            if not usable:
                continue
            usable = np.array(usable, dtype=F32)
            outputs = model.run(to_nwhc(model, np.stack(crops)))
            regression, scores = outputs[0], outputs[-1][:, 1]
            passing = scores >= threshold
            result = usable[passing]
            result[:, SCORE] = scores[passing]
            result[:, REG] = regression[passing]
            kept.append(result)
            if len(outputs) == 3:  # O-Net: (regression, landmarks, scores)
                landmarks.append(landmarks_in_image(result, outputs[1][passing]))
        empty = np.empty((0, 9), F32)
        return (
            np.concatenate(kept) if kept else empty,
            np.concatenate(landmarks) if landmarks else np.empty((0, 5, 2), F32),
        )


def landmarks_in_image(windows: np.ndarray, raw: np.ndarray) -> np.ndarray:
    """O-Net landmarks (five x fractions, then five y) in image pixels."""
    w = (windows[:, X2] - windows[:, X1] + 1)[:, None]
    h = (windows[:, Y2] - windows[:, Y1] + 1)[:, None]
    xs = w * raw[:, :5] + windows[:, X1, None] - 1
    ys = h * raw[:, 5:] + windows[:, Y1, None] - 1
    return np.stack([xs, ys], axis=2)


# ------------------------------------------------------------------ crops


@dataclass
class FaceCrop:
    pixels: np.ndarray  # face_size x face_size x 3, uint8
    source_side: int  # crop side in photo pixels, before resizing


def round_half_up(v):
    """floor(v + 0.5), as crop.rs and training round (not banker's rounding)."""
    return np.floor(v + F32(0.5))


def crop_face(image: np.ndarray, box: np.ndarray, crop_scale: float, face_size: int) -> FaceCrop:
    """The crop rule: a square centred on the box, crop_scale times its longer
    side, edge pixels repeated outside the photo, resized bicubic."""
    x_min, y_min, x_max, y_max = box
    cx, cy = (x_min + x_max) / F32(2), (y_min + y_max) / F32(2)
    longer = max(x_max - x_min, y_max - y_min, F32(0))
    side = max(round_half_up(longer * F32(crop_scale)), F32(1))
    x0 = int(round_half_up(cx - side / F32(2)))
    y0 = int(round_half_up(cy - side / F32(2)))
    side = int(side)
    height, width = image.shape[:2]
    rows = np.clip(np.arange(y0, y0 + side), 0, height - 1)
    cols = np.clip(np.arange(x0, x0 + side), 0, width - 1)
    window = image[rows[:, None], cols[None, :]]
    resized = Image.fromarray(window).resize((face_size, face_size), Image.Resampling.BICUBIC)
    return FaceCrop(np.asarray(resized), side)


def crop_faces(image: np.ndarray, faces: list, prep: dict) -> list[FaceCrop]:
    return [crop_face(image, box, prep["crop_scale"], prep["face_size"]) for box, _, _ in faces]


# ------------------------------------------- super-resolution and classifier


def to_nchw(model: Model, pixels: np.ndarray) -> np.ndarray:
    """(n, h, w, 3) uint8 to normalised NCHW planes."""
    return np.ascontiguousarray(model.normalise(pixels).transpose(0, 3, 1, 2))


def classify(models: ModelSet, crops: list[FaceCrop], batch_size: int) -> np.ndarray:
    """Class probabilities (n, 3): small crops are super-resolved first."""
    limit = models.manifest["preprocessing"]["super_resolution_max_side"]
    cls = models.classifier
    results = []
    for start in range(0, len(crops), batch_size):
        batch = crops[start : start + batch_size]
        inputs = to_nchw(cls, np.stack([c.pixels for c in batch]))
        small = [i for i, c in enumerate(batch) if c.source_side <= limit]
        if small:
            sr = models.super_resolution
            (restored,) = sr.run(to_nchw(sr, np.stack([batch[i].pixels for i in small])))
            # The SR output is in 0..1; fed on as floats, not rounded to 8 bits.
            m = (cls.multiplier * F32(255.0))[:, None, None]
            o = cls.offset[:, None, None]
            inputs[small] = restored * m + o
        (probabilities,) = cls.run(inputs)
        results.append(probabilities)
    return np.concatenate(results) if results else np.empty((0, 3), F32)


# -------------------------------------------------------------- pipeline


STAGES = ("decode", "stretch", "detection", "crop", "sr_classification")


@dataclass
class Timer:
    seconds: dict = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))

    def timed(self, stage: str, fn, *args):
        started = time.perf_counter()
        value = fn(*args)
        self.seconds[stage] += time.perf_counter() - started
        return value


def audit(models: ModelSet, detector: Mtcnn, photos: list[Path], batch_size: int, timer: Timer):
    """Faces per photo and their class probabilities; the faces of all photos
    share super-resolution and classifier batches."""
    prep = models.manifest["preprocessing"]
    faces_per_photo, crops = [], []
    for path in photos:
        image = timer.timed("decode", decode, path)
        image = timer.timed("stretch", stretch_contrast, image, prep["contrast_saturated_fraction"])
        faces = timer.timed("detection", detector.detect, image)
        crops += timer.timed("crop", crop_faces, image, faces, prep)
        faces_per_photo.append(faces)
    probabilities = timer.timed("sr_classification", classify, models, crops, batch_size)
    return faces_per_photo, probabilities


def per_photo_summary(photos, faces_per_photo, probabilities) -> list[dict]:
    classes = np.argmax(probabilities, axis=1)  # ties go to the earlier class, as in Rust
    summary, start = [], 0
    for path, faces in zip(photos, faces_per_photo):
        counts = np.bincount(classes[start : start + len(faces)], minlength=3)
        summary.append(
            {"photo": str(path), "faces": len(faces), **dict(zip(CLASS_NAMES, map(int, counts)))}
        )
        start += len(faces)
    return summary


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("photos", nargs="+", type=Path)
    parser.add_argument("--models", type=Path, default=Path("models"))
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument(
        "--threads", type=int, default=os.cpu_count(), help="intra-op threads per session [cores]"
    )
    parser.add_argument(
        "--precision",
        choices=("auto", "fp32"),
        default="auto",
        help="auto: the manifest's int8 copies where it has them (as maskwatch on the CPU); "
        "fp32: the float32 files only",
    )
    parser.add_argument("--no-warmup", action="store_true", help="skip the untimed first-photo run")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)

    models = ModelSet.load(args.models, args.threads, args.precision)
    detector = Mtcnn(models)
    batch_size = max(args.batch_size, 1)
    if not args.no_warmup:
        # The first run of each session allocates and plans; `maskwatch bench`
        # warms up the same way before timing.
        audit(models, detector, args.photos[:1], batch_size, Timer())

    timer = Timer()
    started = time.perf_counter()
    faces_per_photo, probabilities = audit(models, detector, args.photos, batch_size, timer)
    total = time.perf_counter() - started

    faces = len(probabilities)
    sr_cls = timer.seconds["sr_classification"]
    report = {
        "photos": len(args.photos),
        "faces": faces,
        "seconds_total": total,
        "images_per_second": len(args.photos) / total,
        "faces_per_second_sr_cls": faces / sr_cls if sr_cls > 0 else 0.0,
        "seconds_by_stage": timer.seconds,
        "threads": args.threads,
        "precision": args.precision,
        "batch_size": batch_size,
        "per_photo": per_photo_summary(args.photos, faces_per_photo, probabilities),
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for row in report["per_photo"]:
            print(
                f"{row['photo']}: {row['faces']} faces "
                + ", ".join(f"{name} {row[name]}" for name in CLASS_NAMES)
            )
        print(
            f"{report['photos']} photos, {faces} faces in {total:.2f} s: "
            f"{report['images_per_second']:.2f} images/s, "
            f"{report['faces_per_second_sr_cls']:.1f} faces/s (SR + classification)"
        )
        for stage, seconds in timer.seconds.items():
            print(f"  {stage:<18}{seconds:8.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
