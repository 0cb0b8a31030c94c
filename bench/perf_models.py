"""The models bench_optimize.py compares, each pair holding the same weights, and the variants of each.

A pair is (archspec model, reference model): for the Inception networks the reference is timm's model
and archspec loads timm's state_dict through archspec.interop.load_timm_state_dict; for WRN-28-10,
which timm does not ship (its wide_resnet50_2 is a different network), the reference is the
hand-written `WideResNet` below, the official layout (Zagoruyko & Komodakis 2016, pre-activation
basic blocks, dropout between the two convs, 1x1 projection shortcuts reading the pre-activated input),
and it loads archspec's weights by order and shape. All weights are redrawn by
`realistic_weights` (below) so that BN folding has real work to do and logits keep a sane scale.
"""
from __future__ import annotations

import copy
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

import archspec

ROOT = Path(__file__).resolve().parent.parent
# name -> (spec file, overrides, timm model name or None for the hand-written reference)
NETWORKS = {
    "inception_v4": ("inception_v4.yaml", {}, "inception_v4"),
    "inception_resnet_v2": ("inception_resnet_v2.yaml", {}, "inception_resnet_v2"),
    "inception_v3": ("inception_v3.yaml", {}, "inception_v3"),
    "wrn_28_10": ("wrn.yaml", {}, None),
}
CL = torch.channels_last


class _PreActBlock(nn.Module):
    """BN-ReLU-conv3x3, BN-ReLU-dropout-conv3x3, plus the input (or a 1x1 projection of the
    pre-activated input where width or stride change)."""

    def __init__(self, cin: int, cout: int, stride: int, dropout: float):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.shortcut = nn.Conv2d(cin, cout, 1, stride, bias=False) if cin != cout or stride != 1 else None
        self.dropout = dropout

    def forward(self, x):
        o = F.relu(self.bn1(x), inplace=True)
        y = self.conv1(o)
        y = F.relu(self.bn2(y), inplace=True)
        y = self.conv2(F.dropout(y, self.dropout, self.training))
        return y + (x if self.shortcut is None else self.shortcut(o))


class WideResNet(nn.Module):
    """WRN-depth-k for CIFAR (3x32x32 input): conv 16, three stages of (depth-4)/6 blocks at 16k, 32k,
    64k channels (strides 1, 2, 2), then BN-ReLU, global average pooling and a linear classifier."""

    def __init__(self, depth: int = 28, k: int = 10, dropout: float = 0.3, classes: int = 10):
        super().__init__()
        n = (depth - 4) // 6
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        blocks, cin = [], 16
        for width, stride in ((16 * k, 1), (32 * k, 2), (64 * k, 2)):
            for i in range(n):
                blocks.append(_PreActBlock(cin, width, stride if i == 0 else 1, dropout))
                cin = width
        self.blocks = nn.Sequential(*blocks)
        self.bn = nn.BatchNorm2d(cin)
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        x = self.blocks(self.conv1(x))
        x = F.relu(self.bn(x), inplace=True)
        return self.fc(x.mean((2, 3)))


def load_by_order(src: nn.Module, dst: nn.Module) -> None:
    """dst gets src's tensors position by position; every shape must agree."""
    s, d = src.state_dict(), dst.state_dict()
    if len(s) != len(d):
        raise RuntimeError(f"{len(s)} tensors against {len(d)}")
    for (ks, a), (kd, b) in zip(s.items(), d.items()):
        if a.shape != b.shape:
            raise RuntimeError(f"shape mismatch: {ks} {tuple(a.shape)} vs {kd} {tuple(b.shape)}")
    dst.load_state_dict(dict(zip(d.keys(), s.values())))


def realistic_weights(model: nn.Module, seed: int = 0) -> None:
    """Weights whose activations keep their scale through depth, as a trained network's do: convs
    drawn with Kaiming's normal (fan_in, ReLU gain), BatchNorm statistics and affine values near
    (but not at) the identity, a classifier with unit-variance outputs for unit-variance features.
    Freshly built models have BN mean 0 and var 1 (folding would be trivially exact) and timm's
    init makes a deep Inception's logits grow to 1e13, where no float32 comparison means anything."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Conv2d):
                fan_in = m.weight[0].numel()
                m.weight.copy_(torch.randn(m.weight.shape, generator=gen) * (2.0 / fan_in) ** 0.5)
                if m.bias is not None:
                    m.bias.copy_(0.1 * torch.randn(m.bias.shape, generator=gen))
            elif isinstance(m, nn.BatchNorm2d):
                c = m.num_features
                m.running_mean.copy_(0.1 * torch.randn(c, generator=gen))
                m.running_var.copy_(0.5 + torch.rand(c, generator=gen))
                if m.affine:
                    m.weight.copy_(0.5 + torch.rand(c, generator=gen))
                    m.bias.copy_(0.1 * torch.randn(c, generator=gen))
            elif isinstance(m, nn.Linear):
                m.weight.copy_(torch.randn(m.weight.shape, generator=gen) / m.in_features ** 0.5)
                m.bias.zero_()


def scale_logits(model: nn.Module, shape, std: float = 16.0) -> None:
    """Rescale the classifier so logits on a random batch have this std (the Inceptions' logits under
    realistic_weights have about 16; a residual stack without scaling, WRN-28-10, reaches 130, where
    float32 rounding alone moves logits by 1e-4)."""
    with torch.inference_mode():
        got = model(torch.randn(2, *shape, generator=torch.Generator().manual_seed(0))).std().item()
    fc = model.get_classifier()
    with torch.no_grad():
        fc.weight.mul_(std / got)
        fc.bias.mul_(std / got)


def spec_path(name: str) -> Path:
    return ROOT / "specs" / NETWORKS[name][0]


def macs(name: str) -> int:
    """archspec's analytic MAC count of one image (eval mode)."""
    return archspec.stats(spec_path(name), NETWORKS[name][1])["macs"]


def make_pair(name: str, timm) -> tuple[nn.Module, nn.Module, str]:
    """(archspec model, reference model, the reference's label), same weights, both in eval mode."""
    spec, overrides, timm_name = NETWORKS[name]
    torch.manual_seed(0)
    ours = archspec.build_model(ROOT / "specs" / spec, overrides, seed=0)
    if timm_name is None:
        realistic_weights(ours)
        scale_logits(ours.eval(), ours.input_shape)
        ref = WideResNet()
        load_by_order(ours, ref)
        label = "hand-written"
    else:
        from archspec.interop import load_timm_state_dict
        # the spec's dropout before the classifier (timm's default drop_rate is 0), so training does the same work
        ref = timm.create_model(timm_name, drop_rate=ours.spec_params["dropout"])
        realistic_weights(ref)
        scale_logits(ref.eval(), ours.input_shape)
        load_timm_state_dict(ours, ref.state_dict())
        label = "timm"
    return ours.eval(), ref.eval(), label


def input_for(model: nn.Module, batch: int, seed: int = 1) -> torch.Tensor:
    return torch.randn(batch, *model.input_shape, generator=torch.Generator().manual_seed(seed))


def channels_last(model: nn.Module) -> nn.Module:
    return copy.deepcopy(model).to(memory_format=CL)


def fx_fused_channels_last(model: nn.Module) -> nn.Module:
    """torch.fx conv-BN fusion (eval only) of a copy, then channels_last."""
    from torch.fx.experimental.optimization import fuse
    return fuse(copy.deepcopy(model).eval(), inplace=True).to(memory_format=CL)


def batchnorm_count(model: nn.Module) -> int:
    """BatchNorm2d modules of a model; of a torch.fx GraphModule, the batch norms its graph still runs
    (as modules, or as F.batch_norm calls where tracing went inside a module such as timm's
    BatchNormAct2d, which fx's fuse then cannot fold: it matches nn.BatchNorm2d modules by type)."""
    graph = getattr(model, "graph", None)
    if graph is None:
        return sum(isinstance(m, nn.BatchNorm2d) for m in model.modules())
    return sum((n.op == "call_module" and isinstance(model.get_submodule(n.target), nn.BatchNorm2d))
               or (n.op == "call_function" and getattr(n.target, "__name__", "") == "batch_norm")
               for n in graph.nodes)


def optimizer_fn():
    """archspec.optimize where this checkout has it, else None."""
    return getattr(archspec, "optimize", None)


def optimized(model: nn.Module) -> nn.Module:
    fn = optimizer_fn()
    m = copy.deepcopy(model).eval()
    out = fn(m)
    return (out if out is not None else m).eval()


def max_abs(a: torch.Tensor, b: torch.Tensor) -> float:
    return (a.float() - b.float()).abs().max().item()


def conv_peak_layer(cin: int = 256, cout: int = 256, size: int = 56, batch: int = 8):
    """A large 3x3 conv in channels_last, its input, and its MACs: the machine's fp32 conv peak."""
    conv = nn.Conv2d(cin, cout, 3, 1, 1, bias=False).eval().to(memory_format=CL)
    x = torch.randn(batch, cin, size, size).contiguous(memory_format=CL)
    return conv, x, batch * size * size * cout * cin * 9
