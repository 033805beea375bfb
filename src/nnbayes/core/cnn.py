"""The authors' CNN (arXiv 2006.15191, image half), batched: B nets evaluated at once.

No pooling: conv layers with stride 1, padding "valid" or "same" per layer, each followed by the
activation, then a dense read-out to one logit. Weights W ~ N(0, sigma_w^2 / fan_in) with
fan_in = C_in * kh * kw for a conv and the flattened feature count for the read-out; biases
b ~ N(0, sigma_b^2), as networks.py does for the MLP. The B nets run as one grouped convolution
per layer: their inputs side by side as channels [N, B * C, H, W], their filters stacked as the
groups (groups = B), so there is no Python loop over nets. Images arrive flattened C-major
([N, C * H * W], the order of the image tasks' arrays), shared or one set per net.
"""

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from nnbayes.core.errors import ConfigError
from nnbayes.core.networks import ACTIVATIONS, Params
from nnbayes.core.train import Model

PADDINGS = ("valid", "same")


@dataclass(frozen=True)
class CNNSpec:
    """The architecture and init prior: image_shape (C, H, W), per conv layer its output channels,
    square filter size and padding; sigma_w, sigma_b as for the MLP."""

    image_shape: tuple[int, int, int]
    channels: tuple[int, ...]
    filters: tuple[int, ...]
    padding: tuple[str, ...]
    sigma_w: float
    sigma_b: float

    @classmethod
    def from_net(cls, net: dict, n_in: int | None = None) -> "CNNSpec":
        """The spec of a config net with `arch: cnn`; n_in (the data's input size) is checked
        against image_shape."""
        spec = cls(tuple(net["image_shape"]), tuple(net["channels"]), tuple(net["filters"]), tuple(net["padding"]),
                   net["sigma_w"], net["sigma_b"])
        if not len(spec.channels) == len(spec.filters) == len(spec.padding):
            raise ConfigError(f"cnn net: channels, filters and padding need one entry per conv layer, got {net}")
        if bad := [p for p in spec.padding if p not in PADDINGS]:
            raise ConfigError(f"cnn net: padding {bad} is not one of {list(PADDINGS)}")
        if n_in is not None and math.prod(spec.image_shape) != n_in:
            raise ConfigError(f"cnn net: image_shape {list(spec.image_shape)} has {math.prod(spec.image_shape)} "
                              f"values, the task's inputs {n_in}; set image_shape to the images' [C, H, W]")
        spec.weight_shapes()  # the filters must fit the images
        return spec

    def weight_shapes(self) -> list[tuple[int, ...]]:
        """Each layer's weight shape for one net: convs [C_out, C_in, k, k], then the read-out [1, F]."""
        (c, h, w), shapes = self.image_shape, []
        for c_out, k, pad in zip(self.channels, self.filters, self.padding):
            shapes.append((c_out, c, k, k))
            c, h, w = (c_out, h, w) if pad == "same" else (c_out, h - k + 1, w - k + 1)
            if min(h, w) < 1:
                raise ConfigError(f"cnn net: a {k}x{k} 'valid' filter leaves no pixels; use a smaller filter or 'same'")
        return [*shapes, (1, c * h * w)]


def init_cnn(n_nets: int, spec: CNNSpec, gen: torch.Generator, device: torch.device, dtype: torch.dtype) -> Params:
    """Draw n_nets CNNs from the init prior with one `randn` call: per layer (W [B, ...], b [B, out])."""
    shapes = spec.weight_shapes()
    flat = torch.randn(n_nets, sum(math.prod(s) + s[0] for s in shapes), generator=gen, device=device, dtype=dtype)
    params, k = [], 0
    for shape in shapes:
        n_w, fan_in = math.prod(shape), math.prod(shape[1:])
        W = flat[:, k : k + n_w].view(n_nets, *shape).mul_(spec.sigma_w / fan_in**0.5)
        params.append((W, flat[:, k + n_w : k + n_w + shape[0]].mul_(spec.sigma_b)))
        k += n_w + shape[0]
    return params


def cnn_forward(flat: list[torch.Tensor], X: torch.Tensor, spec: CNNSpec, activation: str = "relu") -> torch.Tensor:
    """Every net on its inputs: X [N, C*H*W] (shared) or [B, N, C*H*W] (per net) -> outputs [B, N];
    flat = [W0, b0, ..., W_readout, b_readout]."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation {activation!r} is not one of {list(ACTIVATIONS)}")
    act, n_nets, n = ACTIVATIONS[activation], flat[0].shape[0], X.shape[-2]
    images = X.reshape(-1, n, *spec.image_shape)  # [1 or B, N, C, H, W]
    h = images.transpose(0, 1).expand(n, n_nets, *spec.image_shape).reshape(n, -1, *spec.image_shape[1:])
    for k, pad in enumerate(spec.padding):
        W, b = flat[2 * k], flat[2 * k + 1]
        h = act(F.conv2d(h, W.reshape(-1, *W.shape[2:]), b.reshape(-1), padding=pad, groups=n_nets))
    h = h.reshape(n, n_nets, -1).transpose(0, 1)  # [B, N, F]: each net's features, C-major
    return torch.baddbmm(flat[-1].unsqueeze(1), h, flat[-2].transpose(1, 2)).squeeze(-1)


def cnn_model(spec: CNNSpec) -> Model:
    """The CNN as train.train_networks' `model` (trained by autograd)."""
    return Model(lambda flat, X, activation: cnn_forward(flat, X, spec, activation))
