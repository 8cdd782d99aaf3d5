#!/usr/bin/env python3
"""Times PyTorch (Debian's python3-torch) on the same shapes as bench_fast, with the same thread counts.
Prints: <id> <threads> <torch_ms>. scripts/bench.sh combines both into the ratio table. The instruction set PyTorch
uses is its own choice unless ATEN_CPU_CAPABILITY and ONEDNN_MAX_CPU_ISA restrict it (bench.sh does that for the
AVX2 comparison on a CPU with AVX-512)."""
import sys
import time

import torch
import torch.nn.functional as F


def best_ms(f, budget=0.5):
    best, spent, reps = 1e30, 0.0, 0
    with torch.no_grad():
        for _ in range(3):  # warm-up: oneDNN primitive creation, allocator
            f()
        while reps < 3 or (spent < budget and reps < 200):
            t0 = time.perf_counter()
            f()
            s = time.perf_counter() - t0
            best, spent, reps = min(best, s), spent + s, reps + 1
    return best * 1e3


def main():
    threads = [int(t) for t in sys.argv[1:]] or [1, 2]
    g = torch.Generator().manual_seed(0)
    shapes = [
        ("S1", lambda: (torch.randn(1, 3, 32, 32, generator=g), torch.nn.Conv2d(3, 192, 5, padding=2))),
        ("S2", lambda: (torch.randn(60, 3, 32, 32, generator=g), torch.nn.Conv2d(3, 64, 3, padding="same"))),
        ("S3", lambda: (torch.randn(6, 768, 512, generator=g), torch.nn.Conv1d(768, 100, 2))),
        ("S4", lambda: (torch.randn(3, 1, 28, 28, generator=g), torch.nn.Conv2d(1, 6, 5))),
        ("S5", lambda: (torch.randn(1, 16, 32, 32, generator=g), torch.nn.Conv2d(16, 16, 3, padding=1))),
        ("S6", lambda: (torch.randn(1, 64, 56, 56, generator=g), torch.nn.Conv2d(64, 64, 3, padding=1))),
        ("S7", lambda: (torch.randn(60, 64, 32, 32, generator=g), torch.nn.MaxPool2d(2, 2))),
        ("S8", lambda: (torch.randn(1, 64, 56, 56, generator=g), torch.nn.ConvTranspose2d(64, 32, 4, stride=2, padding=1))),
        ("R1", lambda: (torch.randn(1, 3, 224, 224, generator=g), torch.nn.Conv2d(3, 64, 7, stride=2, padding=3))),
        ("R2", lambda: (torch.randn(1, 64, 56, 56, generator=g), torch.nn.Conv2d(64, 128, 3, stride=2, padding=1))),
        ("R3", lambda: (torch.randn(1, 256, 56, 56, generator=g), torch.nn.Conv2d(256, 64, 1))),
        ("R4", lambda: (torch.randn(1, 64, 112, 112, generator=g), torch.nn.Conv2d(64, 64, 3, padding=1, groups=64))),
        ("R5", lambda: (torch.randn(1, 64, 56, 56, generator=g), torch.nn.Conv2d(64, 64, 3, padding=2, dilation=2))),
        ("R6", lambda: (torch.randn(8, 512, 256, generator=g), torch.nn.Conv1d(512, 512, 3, padding=1))),
        ("R7", lambda: (torch.randn(1, 64, 112, 112, generator=g), torch.nn.MaxPool2d(3, 2, padding=1))),
    ]
    print(f"# torch {torch.__version__}")
    for sid, make in shapes:
        x, layer = make()
        for t in threads:
            torch.set_num_threads(t)
            print(f"{sid} {t} {best_ms(lambda: layer(x)):.4f}", flush=True)


if __name__ == "__main__":
    main()
