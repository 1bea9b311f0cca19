#!/usr/bin/env python3
"""Writes a PyTorch CNN's weights and outputs as safetensors, for tests/nn/test_cnn_torch.cpp.

usage: torch_cnn.py OUT_FILE

The model (torch 1.13) uses every convolutional layer xgrad has: Conv2d (zeros padding,
"same" with groups and reflect padding), BatchNorm2d (momentum 0.1 and None), MaxPool2d,
AvgPool2d (padding, ceil_mode, count_include_pad=False), ConvTranspose2d (stride,
output_padding), Upsample, AdaptiveAvgPool2d, Flatten, Linear, Unflatten, Conv1d,
BatchNorm1d and MaxPool1d. It is trained for a few SGD steps (so the running statistics
are not the initial ones), then the file gets, in float32:
  model.<key>          the state_dict (num_batches_tracked as int64)
  input                an input batch (4, 2, 10, 10)
  eval_output          the model's output in eval mode
  train_output         the output in train mode (batch statistics), from the same state
  grad.input, grad.<key>   gradients of sum(train_output * weights) in train mode
  loss_weights         those weights
  after.<key>          the running statistics after that train-mode forward
The file is written with struct + json + NumPy (the safetensors package is not needed).
"""
import json
import struct
import sys

import numpy as np
import torch
from torch import nn


def model():
    return nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=1),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(4, 6, 3, padding="same", groups=2, padding_mode="reflect"),
        nn.BatchNorm2d(6, momentum=None),
        nn.ReLU(),
        nn.AvgPool2d(2, padding=1, ceil_mode=True, count_include_pad=False),
        nn.ConvTranspose2d(6, 4, 3, stride=2, padding=1, output_padding=1),
        nn.Upsample(scale_factor=2),
        nn.AdaptiveAvgPool2d((3, 2)),
        nn.Flatten(),
        nn.Linear(24, 12),
        nn.Unflatten(1, (3, 4)),
        nn.Conv1d(3, 5, 2, stride=2),
        nn.BatchNorm1d(5),
        nn.MaxPool1d(2),
        nn.Flatten(),
    )


def save(path, tensors):
    dtypes = {np.dtype("float32"): "F32", np.dtype("int64"): "I64"}
    header, blobs, offset = {}, [], 0
    for name, value in tensors.items():
        array = value.detach().cpu().numpy().copy(order="C")  # keeps 0-d shapes
        raw = array.tobytes()
        header[name] = {"dtype": dtypes[array.dtype], "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def main():
    torch.manual_seed(0)
    net = model()
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    for _ in range(3):
        x = torch.randn(8, 2, 10, 10)
        loss = (net(x) - 0.5).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()

    out = {"model." + k: v.clone() for k, v in net.state_dict().items()}
    x = torch.randn(4, 2, 10, 10)
    out["input"] = x
    net.eval()
    with torch.no_grad():
        out["eval_output"] = net(x)
    net.train()
    net.zero_grad()  # the last training step's gradients are still there
    xg = x.clone().requires_grad_(True)
    y = net(xg)
    w = torch.randn(y.shape)
    (y * w).sum().backward()
    out["train_output"] = y
    out["loss_weights"] = w
    out["grad.input"] = xg.grad
    for k, p in net.named_parameters():
        out["grad." + k] = p.grad
    for k, b in net.named_buffers():
        out["after." + k] = b.clone()
    save(sys.argv[1], out)


if __name__ == "__main__":
    main()
