#!/usr/bin/env python3
"""convscope-cli's contract: exit codes (0 ok, 1 invalid input/configuration with the message on stderr,
2 usage), --help for each subcommand, messages for bad files, no output written on failure, and the demo."""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

FAILURES = []


def run(cli, *args):
    return subprocess.run([cli, *args], capture_output=True, text=True, timeout=60)


def expect(name, cond, detail=""):
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else f"\n     {detail}"))
    if not cond:
        FAILURES.append(name)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    cli = ap.parse_args().cli
    with tempfile.TemporaryDirectory() as tmp:
        def path(n):
            return os.path.join(tmp, n)

        rng = np.random.default_rng(3)
        np.save(path("x.npy"), rng.standard_normal((1, 3, 8, 8)).astype(np.float32))
        np.save(path("w.npy"), rng.standard_normal((4, 3, 3, 3)).astype(np.float32))
        np.save(path("w64.npy"), rng.standard_normal((4, 3, 3, 3)))  # float64: converted with a notice
        np.save(path("b.npy"), rng.standard_normal((4,)).astype(np.float32))
        conv = ["--input", path("x.npy"), "--weight", path("w.npy"), "--bias", path("b.npy")]

        for sub in ["conv", "explain", "shape", "demo"]:
            p = run(cli, sub, "--help")
            expect(f"{sub} --help exits 0 and documents options", p.returncode == 0 and "--" in p.stdout, p.stderr)
        p = run(cli)
        expect("no subcommand is a usage error (2)", p.returncode == 2, p.stderr)
        p = run(cli, "conv", "--input", path("x.npy"))
        expect("missing required option is a usage error (2)", p.returncode == 2, p.stderr)
        p = run(cli, "conv", *conv, "--stride", "two", "--output", path("y.npy"))
        expect("non-numeric stride is a usage error (2) naming the option",
               p.returncode == 2 and "--stride" in p.stderr, p.stderr)
        p = run(cli, "conv", *conv, "--padding-mode", "mirror", "--output", path("y.npy"))
        expect("unknown padding mode is a usage error (2)", p.returncode == 2 and "padding-mode" in p.stderr, p.stderr)

        p = run(cli, "conv", *conv, "--padding", "1", "--output", path("y.npy"))
        expect("conv writes the output", p.returncode == 0 and np.load(path("y.npy")).shape == (1, 4, 8, 8), p.stderr)

        before = open(path("y.npy"), "rb").read()
        p = run(cli, "conv", *conv, "--padding", "0", "--output", path("y.npy"))
        expect("an existing output is not overwritten without --force (usage error, file unchanged)",
               p.returncode == 2 and "--force" in p.stderr and open(path("y.npy"), "rb").read() == before, p.stderr)
        p = run(cli, "conv", *conv, "--padding", "0", "--output", path("y.npy"), "--force")
        expect("--force overwrites", p.returncode == 0 and np.load(path("y.npy")).shape == (1, 4, 6, 6), p.stderr)

        p = run(cli, "conv", "--input", path("x.npy"), "--weight", path("w64.npy"), "--output", path("y64.npy"))
        expect("a float64 weight is converted", p.returncode == 0, p.stderr)

        p = run(cli, "conv", *conv, "--groups", "3", "--output", path("bad.npy"))
        expect("invalid groups: exit 1 with PyTorch's text, no file",
               p.returncode == 1 and "Given groups=3, expected weight to be divisible by 3" in p.stderr
               and not os.path.exists(path("bad.npy")), p.stderr)

        with open(path("junk.npy"), "wb") as f:
            f.write(b"PK\x03\x04 this is a zip")
        p = run(cli, "conv", "--input", path("junk.npy"), "--weight", path("w.npy"), "--output", path("bad.npy"))
        expect("a non-.npy input: exit 1, message names the file",
               p.returncode == 1 and "junk.npy" in p.stderr and not os.path.exists(path("bad.npy")), p.stderr)
        p = run(cli, "conv", "--input", path("missing.npy"), "--weight", path("w.npy"), "--output", path("bad.npy"))
        expect("a missing input: exit 1 naming the path", p.returncode == 1 and "missing.npy" in p.stderr, p.stderr)
        p = run(cli, "conv", "--input", tmp, "--weight", path("w.npy"), "--output", path("bad.npy"))
        expect("a directory as input: exit 1, no hang", p.returncode == 1, p.stderr)
        np.save(path("w2.npy"), np.zeros((4, 3), np.float32))
        p = run(cli, "conv", "--input", path("x.npy"), "--weight", path("w2.npy"), "--output", path("bad.npy"))
        expect("a rank-2 weight: exit 1 explaining ranks 3/4", p.returncode == 1 and "rank 3" in p.stderr, p.stderr)

        p = run(cli, "explain", *conv, "--padding", "1", "--at", "0,2,0,7", "--json")
        j = json.loads(p.stdout) if p.returncode == 0 else {}
        expect("explain --json has value, bias, channels with channel/sum/taps",
               p.returncode == 0 and {"value", "bias", "channels"} <= j.keys()
               and all({"channel", "sum", "taps"} <= c.keys() for c in j["channels"]) and len(j["channels"]) == 3, p.stderr)
        if j:
            corner = j["channels"][0]["taps"][0]
            expect("explain marks the padding taps at the top edge",
                   corner["padding"] and corner["source_index"] is None and corner["input_index"] == [-1, 6], str(corner))
        p = run(cli, "explain", *conv, "--at", "0,9,0,0")
        expect("explain outside the output: exit 1 with the output shape",
               p.returncode == 1 and "[1, 4, 6, 6]" in p.stderr, p.stderr)
        p = run(cli, "explain", *conv, "--at", "0,1,2")
        expect("explain with 3 coordinates for Conv2d is a usage error", p.returncode == 2, p.stderr)
        p = run(cli, "explain", *conv, "--padding", "1", "--padding-mode", "reflect", "--at", "0,0,0,0")
        expect("explain names what reflect padding copies", p.returncode == 0 and "reflect of (1,1)" in p.stdout, p.stdout[-400:])

        p = run(cli, "shape", "--input", "1,3,32,32", "Conv2d(3, 6, 5, foo=1)")
        expect("shape: an unknown keyword is reported like Python does",
               p.returncode == 1 and "got an unexpected keyword argument 'foo'" in p.stderr, p.stderr)
        p = run(cli, "shape", "--input", "1,3,32,32", "Conv2d(3, 6, 5")
        expect("shape: a syntax error names the column", p.returncode == 1 and "column" in p.stderr, p.stderr)
        p = run(cli, "shape", "--input", "1,3,32,32", "Conv2d(3, 192, kernel_size=5, stride=1, padding=2)")
        expect("shape prints the formula with the numbers filled in",
               p.returncode == 0 and "H_out = floor((32 + 2*2 - 1*(5-1) - 1) / 1) + 1 = floor(31 / 1) + 1 = 32" in p.stdout
               and "14592" in p.stdout, p.stdout)

        np.save(path("img.npy"), np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4))
        p = run(cli, "pool", "--input", path("img.npy"), "--mode", "max", "--kernel-size", "2", "--output", path("p.npy"))
        expect("pool max 2x2 on a 4x4 ramp", p.returncode == 0 and np.load(path("p.npy")).tolist() == [[[[5, 7], [13, 15]]]],
               p.stderr)
        p = run(cli, "explain", "--input", path("img.npy"), "--pool", "avg", "--kernel-size", "3", "--padding", "1",
                "--count-include-pad", "false", "--at", "0,0,0,0", "--json")
        j = json.loads(p.stdout) if p.returncode == 0 else {}
        expect("explain --pool avg reports sum, divisor and its rule (corner: 4 real cells, padding not counted)",
               j.get("divisor") == 4 and j.get("sum") == 0 + 1 + 4 + 5 and j.get("value") == 2.5, p.stdout + p.stderr)
        p = run(cli, "pool", "--input", path("img.npy"), "--mode", "max", "--kernel-size", "2", "--padding", "2",
                "--output", path("bad.npy"))
        expect("pool padding over half the kernel: PyTorch's text",
               p.returncode == 1 and "pad should be at most half of kernel size" in p.stderr, p.stderr)

        p = run(cli, "demo")
        expect("demo explains y[0, 0, 16, 16] of the seed layer",
               p.returncode == 0 and "nn.Conv2d(3, 192, kernel_size=5, padding=2)" in p.stdout
               and "= y[0, 0, 16, 16]" in p.stdout, p.stdout[-300:] + p.stderr)
    print(f"{len(FAILURES)} failures")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
