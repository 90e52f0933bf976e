"""SRCNet: the study's encoder-decoder super-resolution network.

Five 4x4 stride-2 convolutions (32..512 kernels) encode, five 4x4 stride-2
transposed convolutions (256..16 kernels) decode; each encoder output is added
to the decoder output of the same shape. The last decoder level (16 channels at
full resolution) has no 16-channel encoder mirror, so it gets no skip: the
global residual (input image added to the output) already carries the
full-resolution content there. A final stride-1 3x3 transposed convolution
maps to 3 channels; it starts near zero so the untrained net is ~identity.
"""
import torch
from torch import nn

ENC = (32, 64, 128, 256, 512)
DEC = (256, 128, 64, 32, 16)


class SRCNet(nn.Module):
    """Residual encoder-decoder; input and output are RGB in [0, 1], NCHW, H and W multiples of 32."""

    def __init__(self, slope: float = 0.2):
        super().__init__()
        chans = (3,) + ENC
        self.enc = nn.ModuleList(nn.Conv2d(chans[i], chans[i + 1], 4, 2, 1) for i in range(5))
        dchans = (ENC[-1],) + DEC
        self.dec = nn.ModuleList(nn.ConvTranspose2d(dchans[i], dchans[i + 1], 4, 2, 1) for i in range(5))
        self.final = nn.ConvTranspose2d(DEC[-1], 3, 3, 1, 1)
        self.act = nn.LeakyReLU(slope)
        nn.init.normal_(self.final.weight, 0.0, 1e-3)
        nn.init.zeros_(self.final.bias)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        feats = []
        x = image
        for conv in self.enc:
            x = self.act(conv(x))
            feats.append(x)
        # feats[3] (256 ch) mirrors dec[0], ..., feats[0] (32 ch) mirrors dec[3]; dec[4] has no mirror.
        for i, deconv in enumerate(self.dec):
            x = self.act(deconv(x))
            if i < 4:
                x = x + feats[3 - i]
        return torch.clamp(image + self.final(x), 0.0, 1.0)
