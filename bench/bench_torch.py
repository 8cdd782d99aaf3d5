#!/usr/bin/env python3
"""Times PyTorch (Debian's python3-torch) on the same shapes as bench_fast, with the same thread counts.
Prints: <id> <threads> <torch_ms>. scripts/bench.sh combines both into the ratio table. The instruction set PyTorch
uses is its own choice unless ATEN_CPU_CAPABILITY and ONEDNN_MAX_CPU_ISA restrict it, and the BLAS it hands some
layers to (Debian's OpenBLAS) picks its own kernels unless OPENBLAS_CORETYPE names them: bench.sh sets all three for the
AVX2 comparison on a CPU with AVX-512. Without OPENBLAS_CORETYPE=Haswell the 1x1 convolution R3, a BLAS GEMM in
PyTorch, ran OpenBLAS's AVX-512 (SkylakeX) kernels in the "AVX2" run: 0.84-0.87 ms instead of 1.09-1.17 on the Xeon.
The OpenBLAS kernels are printed on a comment line.

torch.set_num_threads(t) limits PyTorch's own (OpenMP) threads, not OpenBLAS's: layers PyTorch hands to a BLAS
GEMM (the 1x1 convolution R3) ran on both cores in the "1 thread" row (process time twice the wall time). The BLAS
thread count is set to t too, through OpenBLAS's own function, and a row whose process time still exceeds t cores
is flagged on a comment line (OpenMP or BLAS threads spin-waiting after an earlier 2-thread row also count, so a
flag is a hint to look, not proof)."""
import ctypes
import sys
import time

import torch
import torch.nn.functional as F


def best_ms(f, budget=0.5):
    """The best wall time of up to 200 runs within `budget` seconds, and the cores used (process / wall time)."""
    best, spent, reps = 1e30, 0.0, 0
    with torch.no_grad():
        for _ in range(3):  # warm-up: oneDNN primitive creation, allocator
            f()
        cpu0 = time.process_time()
        while reps < 3 or (spent < budget and reps < 200):
            t0 = time.perf_counter()
            f()
            s = time.perf_counter() - t0
            best, spent, reps = min(best, s), spent + s, reps + 1
        cores = (time.process_time() - cpu0) / spent
    return best * 1e3, cores


def openblas_function(name):
    """A function of the BLAS PyTorch loaded (Debian: libblas.so.3 is OpenBLAS), or None."""
    with open("/proc/self/maps") as maps:
        paths = {line.split()[-1] for line in maps if "blas" in line and line.rstrip().endswith(".so.3")
                 or "openblas" in line and ".so" in line}
    for path in sorted(paths):
        try:
            return getattr(ctypes.CDLL(path), name)
        except (OSError, AttributeError):
            continue
    return None


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
    corename = openblas_function("openblas_get_corename")
    if corename is not None:
        corename.restype = ctypes.c_char_p
        print(f"# PyTorch's BLAS: OpenBLAS, {corename().decode()} kernels")
    set_blas_threads = openblas_function("openblas_set_num_threads")
    if set_blas_threads is None:
        print("# no openblas_set_num_threads found: BLAS calls may use every core in the 1-thread rows")
    for sid, make in shapes:
        x, layer = make()
        for t in threads:
            torch.set_num_threads(t)
            if set_blas_threads is not None:
                set_blas_threads(t)
            ms, cores = best_ms(lambda: layer(x))
            print(f"{sid} {t} {ms:.4f}", flush=True)
            if cores > t + 0.3:
                # (threads that spin-wait after an earlier 2-thread row count too: a hint, not a measurement)
                print(f"# {sid} {t}: PyTorch's process time was {cores:.1f}x its wall time", flush=True)


if __name__ == "__main__":
    main()
