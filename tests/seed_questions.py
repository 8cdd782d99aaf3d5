#!/usr/bin/env python3
"""The six seed questions (../shared/reference/seed-questions.txt) as CLI tests of `convscope-cli shape`.

Each scenario is an input shape and a chain of layers in PyTorch syntax. The expected shapes, parameter counts
and error texts are not written here: the same layer strings are built as real torch.nn modules and run on a
tensor of that shape (PyTorch 1.13 is the oracle), and convscope's answer must match it.
"""
import argparse
import json
import subprocess
import sys

import torch
from torch import nn  # noqa: F401  (used by eval of the layer strings)

SCENARIOS = [
    # 1. How does Conv2d(3, 192, kernel_size=5, stride=1, padding=2) turn 32x32x3 into 192 maps (and why not 28x28)?
    ("seed1_conv2d_3_192_k5_p2", [1, 3, 32, 32], ["Conv2d(3, 192, kernel_size=5, stride=1, padding=2)"]),
    ("seed1_without_padding_gives_28", [1, 3, 32, 32], ["nn.Conv2d(3, 192, 5)"]),
    # 2. Which image made which feature map: (3,1,28,28) with conv1 = Conv2d(3, 6, 5) fails; batch-first works.
    ("seed2_net_as_asked_fails", [3, 1, 28, 28],
     ["Conv2d(3, 6, 5)", "ReLU()", "MaxPool2d(2, 2)", "Conv2d(6, 16, 5)", "ReLU()", "MaxPool2d(2, 2)", "Flatten()",
      "Linear(256, 120)", "ReLU()", "Linear(120, 84)", "ReLU()", "Linear(84, 10)"]),
    ("seed2_net_corrected", [3, 1, 28, 28],
     ["Conv2d(1, 6, 5)", "ReLU()", "MaxPool2d(2, 2)", "Conv2d(6, 16, 5)", "ReLU()", "MaxPool2d(2, 2)", "Flatten()",
      "Linear(256, 120)", "ReLU()", "Linear(120, 84)", "ReLU()", "Linear(84, 10)"]),
    ("seed2_three_as_channels_mixes", [1, 3, 28, 28], ["Conv2d(3, 6, 5)"]),
    # 3. Keras Conv2D(64, (3,3), padding='same') on 60 CIFAR images: output and parameter count.
    ("seed3_same_padding_cifar_batch", [60, 3, 32, 32], ["Conv2d(3, 64, (3, 3), stride=(1, 1), padding='same')"]),
    ("seed3_same_padding_strided_rejected", [60, 3, 32, 32], ["Conv2d(3, 64, 3, stride=2, padding='same')"]),
    # 4. Conv1d on BERT embeddings: (N, L, C) fails, (N, C, L) works; in_channels=512 "works" but convolves over 768.
    ("seed4_conv1d_nlc_fails", [6, 512, 768], ["nn.Conv1d(768, 100, 2)"]),
    ("seed4_conv1d_ncl_works", [6, 768, 512], ["nn.Conv1d(768, 100, 2)"]),
    ("seed4_conv1d_512_channels_misleads", [6, 512, 768], ["nn.Conv1d(512, 100, 2)"]),
    ("seed4_conv2d_unsqueezed", [5, 1, 512, 768], ["nn.Conv2d(in_channels=1, out_channels=10, kernel_size=[3, 768], padding=(2, 0))"]),
    # 5. Conv2d(16, 16, 3, padding=1) keeps the size; the pool halves it.
    ("seed5_same_size_block", [1, 3, 32, 32],
     ["Conv2d(3, 16, 3, padding = 1 )", "ReLU()", "Conv2d(16, 16, 3, padding = 1)", "ReLU()", "MaxPool2d(2, 2)",
      "Conv2d(16, 32, 3, padding = 1)"]),
    # 6. Keras kernel (5, 5, 3, 32) is PyTorch's (32, 3, 5, 5): same parameter count.
    ("seed6_32_rgb_5x5_kernels", [1, 3, 28, 28], ["Conv2d(3, 32, 5)"]),
]


def torch_answer(shape, layers):
    x = torch.zeros(*shape)
    rows = []
    for text in layers:
        try:
            module = eval(text if text.startswith("nn.") else "nn." + text)
            params = sum(p.numel() for p in module.parameters())
            y = module(x)
        except Exception as e:  # noqa: BLE001 - any PyTorch error is the expected answer
            rows.append({"input": list(x.shape), "error": str(e).split("\n")[0]})
            return rows
        rows.append({"input": list(x.shape), "output": list(y.shape), "parameters": params})
        x = y
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    a = ap.parse_args()
    failures = 0
    for name, shape, layers in SCENARIOS:
        expected = torch_answer(shape, layers)
        p = subprocess.run([a.cli, "shape", "--input", ",".join(map(str, shape)), *layers, "--json"],
                           capture_output=True, text=True, timeout=60)
        problems = []
        want_fail = "error" in expected[-1]
        if p.returncode != (1 if want_fail else 0):
            problems.append(f"exit code {p.returncode}, expected {1 if want_fail else 0}; stderr: {p.stderr.strip()}")
        try:
            got = json.loads(p.stdout)["layers"]
        except (json.JSONDecodeError, KeyError) as e:
            got = []
            problems.append(f"no JSON: {e}: {p.stdout[:200]}")
        if len(got) != len(expected):
            problems.append(f"{len(got)} layer rows, PyTorch has {len(expected)}")
        for g, e in zip(got, expected):
            if g["input_shape"] != e["input"]:
                problems.append(f"{g['layer']}: input {g['input_shape']} != {e['input']}")
            if "error" in e:
                if e["error"] not in g.get("error", ""):
                    problems.append(f"{g['layer']}: error {g.get('error')!r} does not contain PyTorch's {e['error']!r}")
            else:
                if g["output_shape"] != e["output"]:
                    problems.append(f"{g['layer']}: output {g['output_shape']} != PyTorch {e['output']}")
                if g["parameters"] != e["parameters"]:
                    problems.append(f"{g['layer']}: {g['parameters']} parameters != PyTorch {e['parameters']}")
        if want_fail and expected[-1]["error"] not in p.stderr:
            problems.append("PyTorch's error text is not on stderr")
        status = "FAIL" if problems else "ok"
        last = expected[-1]
        print(f"{status:4} {name}: {shape} -> {last.get('output', last.get('error'))}")
        for pr in problems:
            print("     ", pr)
        failures += bool(problems)
    print(f"{len(SCENARIOS) - failures}/{len(SCENARIOS)} seed scenarios agree with PyTorch")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
