#!/usr/bin/env python3
"""Generate the fixtures of convpool's `model` stage (issue 14) in tests/fixtures/onnx/:

- small.onnx: a small network exported by torch.onnx.export (torch 1.13's default opset 14, no
  `onnx` module needed): conv 3->8 3x3 pad 1, batch norm (eval mode: the export folds it into
  the convolution), relu, max pool 2, conv 8->4 3x3; input `input` 1x3x16x16, output `output`;
- image.npy: a 3x16x16 float32 input in [0, 1];
- expected_<layer>.npy: torch's output (C x H x W, float32) of each named layer on image.npy:
  conv1 (after the batch norm, as the ONNX node /conv1/Conv computes it), relu, pool and the
  model's output;
- conv1_w.npy ... conv2_b.npy, bn_*.npy: the layers' weights, so that the same network written
  as a convpool pipeline (conv:weights=@, bn, relu, pool:max, conv:weights=@) can be compared
  with the model stage;
- hostile files for the error tests: truncated.onnx (small.onnx cut in half), garbage.onnx
  (random bytes) and huge.onnx (a model whose weight declares 2^40 values and carries none).

Run it from anywhere as

    /usr/bin/python3 scripts/make_onnx_fixtures.py

with Debian's python3-torch. Deterministic for the same torch/numpy versions. The CLI test
(tests/cli/test_model.py) compares within |convpool - torch| <= 1e-5 * max|torch| + 1e-6.
"""

import pathlib

import numpy as np
import torch
from torch import nn

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "onnx"
SEED = 20261207


class Small(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.relu = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(8, 4, 3)

    def forward(self, x):
        return self.conv2(self.pool(self.relu(self.bn(self.conv1(x)))))


def save(name, array):
    if isinstance(array, torch.Tensor):
        array = array.detach().numpy()
    np.save(OUT / name, np.ascontiguousarray(array, dtype=np.float32))


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def field(number, payload):
    """A length-delimited protobuf field (wire type 2)."""
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def number_field(number, value):
    return varint(number << 3) + varint(value)


def huge_model():
    """ONNX bytes of one Conv whose weight declares 2^20 x 2^20 x 1 x 1 values and has none."""
    weight = (number_field(1, 1 << 20) + number_field(1, 1 << 20) + number_field(1, 1)
              + number_field(1, 1) + number_field(2, 1) + field(8, b"w"))
    node = field(1, b"input") + field(1, b"w") + field(2, b"output") + field(3, b"conv") \
        + field(4, b"Conv")
    dims = b"".join(field(1, number_field(1, d)) for d in (1, 3, 8, 8))
    value = field(1, b"input") + field(2, field(1, number_field(1, 1) + field(2, dims)))
    graph = field(1, node) + field(2, b"huge") + field(5, weight) + field(11, value) \
        + field(12, field(1, b"output"))
    return number_field(1, 8) + field(8, field(1, b"") + number_field(2, 14)) + field(7, graph)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(SEED)
    model = Small()
    with torch.no_grad():  # running statistics that are not the identity
        model.bn.running_mean.uniform_(-0.5, 0.5)
        model.bn.running_var.uniform_(0.5, 2.0)
        model.bn.weight.uniform_(0.5, 1.5)
        model.bn.bias.uniform_(-0.2, 0.2)
    model.eval()
    torch.onnx.export(model, torch.zeros(1, 3, 16, 16), str(OUT / "small.onnx"),
                      input_names=["input"], output_names=["output"])
    rng = np.random.default_rng(SEED)
    image = rng.random((3, 16, 16), dtype=np.float32)
    save("image.npy", image)
    with torch.no_grad():
        x = torch.from_numpy(image)[None].double()
        m = model.double()
        conv1 = m.bn(m.conv1(x))
        relu = m.relu(conv1)
        pool = m.pool(relu)
        out = m.conv2(pool)
    for name, t in (("conv1", conv1), ("relu", relu), ("pool", pool), ("output", out)):
        save(f"expected_{name}.npy", t[0])
    save("conv1_w.npy", m.conv1.weight)
    save("conv1_b.npy", m.conv1.bias)
    save("conv2_w.npy", m.conv2.weight)
    save("conv2_b.npy", m.conv2.bias)
    for name in ("running_mean", "running_var", "weight", "bias"):
        save(f"bn_{name.replace('running_', '')}.npy", getattr(m.bn, name))
    data = (OUT / "small.onnx").read_bytes()
    (OUT / "truncated.onnx").write_bytes(data[: len(data) // 2])
    (OUT / "garbage.onnx").write_bytes(rng.integers(0, 256, 600, dtype=np.uint8).tobytes())
    (OUT / "huge.onnx").write_bytes(huge_model())
    print(f"wrote {len(list(OUT.iterdir()))} files to {OUT.relative_to(ROOT)}/")


if __name__ == "__main__":
    main()
