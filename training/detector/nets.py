"""P-Net, R-Net and O-Net with exactly the layer arithmetic of the public ONNX graphs.

The ONNX graphs (converted from Keras) take NHWC input with the spatial axes
swapped ("NWHC": index [n][x][y][c]); their first op transposes to NCHW, so
every conv runs over (W, H). We do the same permutes here, so the ONNX
initializers load unchanged and the exported graphs keep the layout that the
Rust pipeline writes. Dense layers flatten in [W', H', C] order, as Keras did.
MaxPool SAME_UPPER equals PyTorch's ceil_mode=True for these sizes.
"""
import torch
from torch import nn


def _conv(cin, cout, k):
    return nn.Sequential(nn.Conv2d(cin, cout, k), nn.PReLU(cout))


class PNet(nn.Module):
    """Fully convolutional 12x12 face/non-face classifier, stride 2."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            _conv(3, 10, 3), nn.MaxPool2d(2, 2, ceil_mode=True),
            _conv(10, 16, 3), _conv(16, 32, 3))
        self.reg = nn.Conv2d(32, 4, 1)
        self.cls = nn.Conv2d(32, 2, 1)

    def logits(self, x):
        """x: [N, W, H, 3] -> (regression [N, W', H', 4], class logits [N, W', H', 2])."""
        f = self.body(x.permute(0, 3, 1, 2))
        return self.reg(f).permute(0, 2, 3, 1), self.cls(f).permute(0, 2, 3, 1)

    def forward(self, x):
        reg, cls = self.logits(x)
        return reg, torch.softmax(cls, dim=3)


class RNet(nn.Module):
    """24x24 refinement network."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            _conv(3, 28, 3), nn.MaxPool2d(3, 2, ceil_mode=True),
            _conv(28, 48, 3), nn.MaxPool2d(3, 2),
            _conv(48, 64, 2))
        self.fc = nn.Sequential(nn.Linear(576, 128), nn.PReLU(128))
        self.reg = nn.Linear(128, 4)
        self.cls = nn.Linear(128, 2)

    def logits(self, x):
        f = self.body(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1).flatten(1)
        h = self.fc(f)
        return self.reg(h), self.cls(h)

    def forward(self, x):
        reg, cls = self.logits(x)
        return reg, torch.softmax(cls, dim=1)


class ONet(nn.Module):
    """48x48 output network with five landmarks (5 x fractions, then 5 y)."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            _conv(3, 32, 3), nn.MaxPool2d(3, 2, ceil_mode=True),
            _conv(32, 64, 3), nn.MaxPool2d(3, 2),
            _conv(64, 64, 3), nn.MaxPool2d(2, 2, ceil_mode=True),
            _conv(64, 128, 2))
        self.fc = nn.Sequential(nn.Linear(1152, 256), nn.PReLU(256))
        self.reg = nn.Linear(256, 4)
        self.lmk = nn.Linear(256, 10)
        self.cls = nn.Linear(256, 2)

    def logits(self, x):
        f = self.body(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1).flatten(1)
        h = self.fc(f)
        return self.reg(h), self.lmk(h), self.cls(h)

    def forward(self, x):
        reg, lmk, cls = self.logits(x)
        return reg, lmk, torch.softmax(cls, dim=1)


NETS = {"pnet": PNet, "rnet": RNet, "onet": ONet}
# ONNX tensor names the Rust manifest expects, per network.
IO_NAMES = {
    "pnet": (["input_1"], ["conv2d_4", "softmax"]),
    "rnet": (["input_2"], ["dense_2", "softmax_1"]),
    "onet": (["input_3"], ["dense_5", "dense_6", "softmax_2"]),
}
