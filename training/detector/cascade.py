"""A NumPy/PyTorch re-implementation of the Rust MTCNN cascade (shared/maskwatch-pipeline/src/mtcnn).

Used for two things: mining R-Net/O-Net training windows exactly as the
pipeline would produce them, and fast inner-loop scoring on val. Resizing
uses Pillow (BOX for pyramid downscaling, antialiased BILINEAR otherwise),
which fast_image_resize models closely; final numbers come from the Rust
evaluator.
"""
import numpy as np
import torch
from PIL import Image


def normalise(rgb_u8):
    """uint8 HWC -> float32 WHC (the transposed layout), (p - 127.5) / 128."""
    return ((rgb_u8.astype(np.float32) - 127.5) / 128.0).transpose(1, 0, 2)


def pyramid_scales(w, h, min_face, factor):
    first = 12.0 / min_face
    shorter = np.float32(min(w, h)) * np.float32(first)
    scale = np.float32(first)
    out = []
    while shorter >= 12.0:
        out.append(float(scale))
        scale = np.float32(scale * np.float32(factor))
        shorter = np.float32(shorter * np.float32(factor))
    return out


def nms(boxes, thr, method="union"):
    """boxes: [N, >=5] (x1, y1, x2, y2, score); indices kept, best first (inclusive +1 areas)."""
    if len(boxes) == 0:
        return np.zeros(0, dtype=int)
    x1, y1, x2, y2, s = boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3], boxes[:, 4]
    area = (x2 - x1 + 1) * (y2 - y1 + 1)
    order = np.argsort(-s, kind="stable")
    keep = []
    while order.size:
        i = order[0]
        keep.append(i)
        rest = order[1:]
        w = np.maximum(0.0, np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest]) + 1)
        h = np.maximum(0.0, np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest]) + 1)
        inter = w * h
        if method == "min":
            o = inter / np.minimum(area[i], area[rest])
        else:
            o = inter / (area[i] + area[rest] - inter)
        order = rest[o <= thr]
    return np.array(keep, dtype=int)


def regress(b, inclusive):
    """Apply the regression in columns 5:9 to the box in 0:4."""
    b = b.copy()
    w = b[:, 2] - b[:, 0] + (1 if inclusive else 0)
    h = b[:, 3] - b[:, 1] + (1 if inclusive else 0)
    b[:, 0] += b[:, 5] * w
    b[:, 1] += b[:, 6] * h
    b[:, 2] += b[:, 7] * w
    b[:, 3] += b[:, 8] * h
    return b


def squared(b):
    b = b.copy()
    w, h = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
    side = np.maximum(w, h)
    b[:, 0] = b[:, 0] + w * 0.5 - side * 0.5
    b[:, 1] = b[:, 1] + h * 0.5 - side * 0.5
    b[:, 2] = b[:, 0] + side
    b[:, 3] = b[:, 1] + side
    return b


def truncated(b):
    b = b.copy()
    b[:, :4] = np.trunc(b[:, :4])
    return b


def window_crop(img, box, side):
    """The pipeline's crop: 1-based inclusive window, black outside, bilinear to side x side (uint8 HWC)."""
    x1, y1, x2, y2 = [int(v) for v in box[:4]]
    w, h = x2 - x1 + 1, y2 - y1 + 1
    if w <= 0 or h <= 0:
        return None
    H, W = img.shape[:2]
    out = np.zeros((h, w, 3), np.uint8)
    l, t = x1 - 1, y1 - 1
    sx0, sx1 = max(l, 0), min(l + w, W)
    sy0, sy1 = max(t, 0), min(t + h, H)
    if sx0 < sx1 and sy0 < sy1:
        out[sy0 - t:sy1 - t, sx0 - l:sx1 - l] = img[sy0:sy1, sx0:sx1]
    return np.asarray(Image.fromarray(out).resize((side, side), Image.BILINEAR))


class Cascade:
    """The three stages over torch nets (eval mode)."""

    def __init__(self, pnet, rnet, onet, min_face=12.0, factor=0.709, thresholds=(0.6, 0.7, 0.7)):
        self.nets = (pnet.eval(), rnet.eval(), onet.eval())
        self.min_face, self.factor, self.t = min_face, factor, list(thresholds)

    @torch.no_grad()
    def propose(self, img):
        H, W = img.shape[:2]
        pil = Image.fromarray(img)
        allb = []
        for scale in pyramid_scales(W, H, self.min_face, self.factor):
            w, h = int(np.ceil(np.float32(W) * np.float32(scale))), int(np.ceil(np.float32(H) * np.float32(scale)))
            lvl = np.asarray(pil.resize((w, h), Image.BOX if scale < 1 else Image.BILINEAR))
            reg, prob = self.nets[0](torch.from_numpy(np.ascontiguousarray(normalise(lvl)))[None])
            prob, reg = prob[0, :, :, 1].numpy(), reg[0].numpy()
            xs, ys = np.nonzero(prob >= self.t[0])
            if len(xs) == 0:
                continue
            b = np.zeros((len(xs), 9), np.float32)
            b[:, 0] = np.trunc((2 * xs + 1) / np.float32(scale))
            b[:, 1] = np.trunc((2 * ys + 1) / np.float32(scale))
            b[:, 2] = np.trunc((2 * xs + 12) / np.float32(scale))
            b[:, 3] = np.trunc((2 * ys + 12) / np.float32(scale))
            b[:, 4] = prob[xs, ys]
            b[:, 5:9] = reg[xs, ys]
            allb.append(b[nms(b, 0.5)])
        if not allb:
            return np.zeros((0, 9), np.float32)
        b = np.concatenate(allb)
        b = b[nms(b, 0.7)]
        return truncated(squared(regress(b, False)))

    @torch.no_grad()
    def score(self, stage, img, boxes):
        """Run R-Net (stage 1) or O-Net (stage 2) on windows; returns (boxes with score+reg, landmarks|None)."""
        side = 24 if stage == 1 else 48
        crops, keep = [], []
        for i, b in enumerate(boxes):
            c = window_crop(img, b, side)
            if c is not None:
                crops.append(normalise(c))
                keep.append(i)
        if not crops:
            return np.zeros((0, 9), np.float32), np.zeros((0, 10), np.float32)
        boxes = boxes[keep].copy()
        out = []
        x = torch.from_numpy(np.stack(crops))
        for k in range(0, len(x), 512):
            out.append([o.numpy() for o in self.nets[stage](x[k:k + 512])])
        out = [np.concatenate(o) for o in zip(*out)]
        boxes[:, 4] = out[-1][:, 1]
        boxes[:, 5:9] = out[0]
        lm = out[1] if stage == 2 else np.zeros((len(boxes), 10), np.float32)
        return boxes, lm

    def refine(self, img, boxes):
        b, _ = self.score(1, img, boxes)
        b = b[b[:, 4] >= self.t[1]]
        b = b[nms(b, 0.7)]
        return squared(regress(b, True))

    def finish(self, img, boxes):
        b, _ = self.score(2, img, truncated(boxes))
        return final_boxes(b, self.t[2], img.shape)

    def detect(self, img):
        return self.finish(img, self.refine(img, self.propose(img)))


def final_boxes(scored, threshold, shape):
    """O-Net-scored windows -> the detector's faces: kept at `threshold`, regressed,
    suppressed by minimum overlap, as continuous [x1, y1, x2, y2, score] clipped to the photo."""
    b = regress(scored[scored[:, 4] >= threshold], True)
    b = b[nms(b, 0.7, "min")]
    H, W = shape[:2]
    out = np.stack([np.clip(b[:, 0] - 1, 0, W), np.clip(b[:, 1] - 1, 0, H),
                    np.clip(b[:, 2], 0, W), np.clip(b[:, 3], 0, H), b[:, 4]], 1) if len(b) else np.zeros((0, 5))
    return out[(out[:, 2] > out[:, 0]) & (out[:, 3] > out[:, 1])]


def window_boxes(b):
    """1-based inclusive windows -> continuous 0-based boxes [x1-1, y1-1, x2, y2]."""
    return np.stack([b[:, 0] - 1, b[:, 1] - 1, b[:, 2], b[:, 3]], 1)


def iou_matrix(a, b):
    """IoU of continuous boxes a [N,4] vs b [M,4]."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)))
    ix = np.clip(np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0]), 0, None)
    iy = np.clip(np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1]), 0, None)
    inter = ix * iy
    aa = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    ab = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / np.maximum(aa[:, None] + ab[None, :] - inter, 1e-9)


def match(gt, det, min_iou=0.5):
    """PASCAL greedy matching as the Rust evaluator: returns (hits per gt bool array, false positives)."""
    hit = np.zeros(len(gt), bool)
    fp = 0
    if len(det) == 0:
        return hit, 0
    iou = iou_matrix(det[:, :4], gt)
    for d in np.argsort(-det[:, 4], kind="stable"):
        cand = np.where(~hit & (iou[d] >= min_iou), iou[d], -1)
        if len(gt) and cand.max() >= min_iou:
            hit[int(cand.argmax())] = True
        else:
            fp += 1
    return hit, fp
