#!/usr/bin/env python3
"""Export test: drives the real convscope window under Xvfb (--export, --export-tensors, scripts) and decodes
what it wrote with independent code: Pillow for PNG and GIF, ffprobe for MP4/WebM, NumPy + live PyTorch for the
tensors.
  * a PNG sequence of 12 steps: every frame equals a screenshot taken at that step (pixel-identical at scale 1);
    frames.json lists each frame's step; exporting twice gives byte-identical PNGs;
  * scale 2: exactly twice the size and not a pixel-doubled copy (differs from a nearest-neighbour upscale of the
    1x frame in the Layer panel's text);
  * --panel input: the frame is the Input panel's content (smaller than the window);
  * GIF: frame count, size, delays (with the hold), loop; PSNR >= 30 dB per frame against the PNG frames;
  * MP4 (H.264, yuv420p, even size) and WebM (VP9): ffprobe's codec, frame count and size;
  * --theme light: the background is light and the text dark; --caption adds a strip under the frame;
  * tensors: np.load + PyTorch reproduce output.npy (rtol 1e-5) for the default scene, the Q2a batch preset and the
    Q4 Conv1d preset and the Q2b channel-stack preset; window.npy is the cursor's window; the files are
    byte-identical to np.save of the same arrays; the script verbs export and export_tensors;
  * refusals: an existing file without --force, an unwritable folder, --scale 9, a range past the end, a signal
    mid-export: exit 1 with a clear message, and nothing left behind.
Usage: export_gui_test.py --app build/convscope
"""
import argparse
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gui_util import FAILURES, check, xvfb  # noqa: E402


def run(app, args, timeout=600):
    p = subprocess.run(xvfb() + [app] + args, capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def rgb(path):
    return np.asarray(Image.open(path).convert("RGB"), dtype=np.uint8)


def psnr(a, b):
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return 99.0 if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def listing(d):
    return sorted(os.listdir(d))


def test_sequence_matches_screenshots(app, tmp):
    seq = os.path.join(tmp, "seq")
    code, out, err = run(app, ["--export", seq + "/", "--steps", "100:112"])
    check(code == 0, "PNG sequence of steps 100:112 exported (exit %d: %s)" % (code, err.strip()[-300:]))
    names = sorted(glob.glob(seq + "/frame_*.png"))
    check(len(names) == 12, "12 frames written (%d)" % len(names))
    manifest = json.load(open(os.path.join(seq, "frames.json")))
    check([f["step"] for f in manifest["frames"]] == list(range(100, 112)), "frames.json lists steps 100..111")
    script = "".join("seek %d\nscreenshot %s/shot_%d.png\n" % (s, tmp, s) for s in range(100, 112))
    code, _, err = run(app, ["--script", write(os.path.join(tmp, "shots.txt"), script)])
    check(code == 0, "screenshots at the same steps (exit %d %s)" % (code, err.strip()[-200:]))
    same = 0
    for k, name in enumerate(names):
        a, b = rgb(name), rgb(os.path.join(tmp, "shot_%d.png" % (100 + k)))
        if a.shape == b.shape and np.array_equal(a, b):
            same += 1
        elif k == 0:
            diff = np.argwhere(np.any(a != b, axis=2)) if a.shape == b.shape else []
            print("  first differing pixels of frame 0:", list(diff[:5]), "count", len(diff))
    check(same == 12, "every exported frame is pixel-identical to the screenshot at its step (%d of 12)" % same)
    again = os.path.join(tmp, "again")
    code, _, _ = run(app, ["--export", again + "/", "--steps", "100:112"])
    identical = code == 0 and all(open(a, "rb").read() == open(b, "rb").read()
                                  for a, b in zip(names, sorted(glob.glob(again + "/frame_*.png"))))
    check(identical, "exporting the same frames twice gives byte-identical PNGs")
    return names


def test_scale(app, tmp, frame1x):
    out = os.path.join(tmp, "x2.png")
    code, _, err = run(app, ["--export", out, "--steps", "100:101", "--scale", "2"])
    check(code == 0, "scale 2 PNG exported (%s)" % err.strip()[-200:])
    a, one = rgb(out), rgb(frame1x)
    check(a.shape[0] == 2 * one.shape[0] and a.shape[1] == 2 * one.shape[1],
          "scale 2 is exactly twice the size (%s vs %s)" % (a.shape, one.shape))
    if a.shape[0] == 2 * one.shape[0]:
        nearest = one.repeat(2, axis=0).repeat(2, axis=1)
        # the Layer panel (left column, below its title): text there is re-rasterised, not doubled
        region = (slice(80, 600), slice(0, 2 * 270))
        differ = np.mean(np.any(a[region] != nearest[region], axis=2))
        check(differ > 0.02, "scale 2 is not a pixel-doubled copy in the Layer panel's text (%.1f%% differ)" % (100 * differ))
    out3 = os.path.join(tmp, "x3_input.png")
    code, _, err = run(app, ["--export", out3, "--panel", "input", "--scale", "3"])
    check(code == 0, "scale 3 Input panel exported (%s)" % err.strip()[-200:])


def test_gif_and_video(app, tmp):
    frames_dir = os.path.join(tmp, "inframes")
    code, _, err = run(app, ["--export", frames_dir + "/", "--panel", "input", "--steps", "0:16"])
    check(code == 0, "Input panel PNG frames exported (%s)" % err.strip()[-200:])
    pngs = sorted(glob.glob(frames_dir + "/frame_*.png"))
    w, h = Image.open(pngs[0]).size
    check(w < 1280 and h < 800, "--panel input crops to the panel (%d x %d)" % (w, h))
    gif = os.path.join(tmp, "conv.gif")
    code, _, err = run(app, ["--export", gif, "--panel", "input", "--steps", "0:16", "--fps", "10", "--hold", "1"])
    check(code == 0, "GIF exported (%s)" % err.strip()[-200:])
    im = Image.open(gif)
    check(im.n_frames == 16, "GIF has 16 frames (%d)" % im.n_frames)
    check(im.size == (w, h), "GIF is the panel's size %s" % (im.size,))
    check(im.info.get("loop") == 0, "GIF loops forever (loop=%s)" % im.info.get("loop"))
    delays, worst = [], 99.0
    for k in range(im.n_frames):
        im.seek(k)
        delays.append(im.info.get("duration"))
        worst = min(worst, psnr(np.asarray(im.convert("RGB")), rgb(pngs[k])))
    check(delays == [100] * 15 + [1100], "GIF delays 100 ms and the last 100 ms + 1 s hold (%s)" % delays)
    check(worst >= 30.0, "GIF PSNR >= 30 dB against the PNG frames on every frame (worst %.1f dB)" % worst)
    print("  GIF %d bytes for 16 frames of %d x %d" % (os.path.getsize(gif), w, h))
    if not shutil.which("ffprobe"):
        check(False, "ffprobe is installed (scripts/setup.sh installs ffmpeg)")
        return
    for ext, codec in (("mp4", "h264"), ("webm", "vp9")):
        out = os.path.join(tmp, "conv." + ext)
        code, _, err = run(app, ["--export", out, "--panel", "input", "--steps", "0:16", "--fps", "8"])
        check(code == 0, "%s exported (%s)" % (ext, err.strip()[-300:]))
        p = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
                            "stream=codec_name,width,height,nb_read_frames,pix_fmt", "-of", "json", out],
                           capture_output=True, text=True)
        s = json.loads(p.stdout or "{}").get("streams", [{}])[0]
        check(s.get("codec_name") == codec, "%s codec is %s (%s)" % (ext, codec, s.get("codec_name")))
        check(int(s.get("nb_read_frames", 0)) == 16, "%s has 16 frames (%s)" % (ext, s.get("nb_read_frames")))
        check(s.get("width") == w + (w % 2) and s.get("height") == h + (h % 2),
              "%s is the panel's size padded to even (%sx%s for %dx%d)" % (ext, s.get("width"), s.get("height"), w, h))
        check(s.get("pix_fmt") == "yuv420p", "%s is yuv420p" % ext)


def test_theme_and_caption(app, tmp):
    out = os.path.join(tmp, "light.png")
    code, _, err = run(app, ["--export", out, "--theme", "light", "--caption", "--steps", "100:101"])
    check(code == 0, "light theme + caption exported (%s)" % err.strip()[-200:])
    a = rgb(out)
    check(a.shape[0] > 800 and a.shape[1] == 1280, "the caption adds a strip under the 1280x800 frame (%s)" % (a.shape,))
    luma = a[:800].astype(np.float64) @ np.array([0.299, 0.587, 0.114])
    layer = luma[60:500, 10:270]
    check(np.median(luma) > 200, "light theme: the background is light (median luma %.0f)" % np.median(luma))
    check(np.mean(layer < 90) > 0.01 and np.mean(layer > 200) > 0.5,
          "light theme: the Layer panel's text is dark on light (%.1f%% dark pixels)" % (100 * np.mean(layer < 90)))
    strip = a[800:].astype(np.float64) @ np.array([0.299, 0.587, 0.114])
    check(np.mean(strip < 90) > 0.005, "the caption strip holds dark text")
    code, _, _ = run(app, ["--export", os.path.join(tmp, "dark.png"), "--steps", "100:101"])
    d = rgb(os.path.join(tmp, "dark.png")).astype(np.float64) @ np.array([0.299, 0.587, 0.114])
    check(np.median(d) < 60, "dark theme stays dark (median luma %.0f)" % np.median(d))


def torch_conv(x, w, b, geo):
    import torch
    import torch.nn.functional as F
    xt, wt = torch.from_numpy(x), torch.from_numpy(w)
    bt = torch.from_numpy(b) if b is not None else None
    mode = {"zeros": "constant"}.get(geo["padding_mode"], geo["padding_mode"])
    if geo["dims"] == 1:
        xt = F.pad(xt, (geo["pad_begin"][1], geo["pad_end"][1]), mode=mode)
        return F.conv1d(xt, wt, bt, stride=geo["stride"][1], dilation=geo["dilation"][1], groups=geo["groups"]).numpy()
    xt = F.pad(xt, (geo["pad_begin"][1], geo["pad_end"][1], geo["pad_begin"][0], geo["pad_end"][0]), mode=mode)
    return F.conv2d(xt, wt, bt, stride=geo["stride"], dilation=geo["dilation"], groups=geo["groups"]).numpy()


def export_tensors(app, tmp, name, preset):
    d = os.path.join(tmp, "t_" + name)
    script = ("preset %s\n" % preset if preset else "") + "cursor 0 1 2 3\n" + "dump %s.json\n" % d
    if preset == "conv1d":
        script = script.replace("cursor 0 1 2 3", "cursor 0 1 3")
    code, _, err = run(app, ["--script", write(d + ".txt", script), "--export-tensors", d])
    check(code == 0, "%s: tensors exported (%s)" % (name, err.strip()[-300:]))
    return d, json.load(open(d + ".json"))


def test_tensors(app, tmp):
    results = {}
    for name, preset in (("default", None), ("batch", "batch_vs_channel"), ("conv1d", "conv1d"),
                         ("stack", "channel_stack")):
        d, dump = export_tensors(app, tmp, name, preset)
        results[name] = d
        geo = dump["geometry"]
        x, w = np.load(d + "/input.npy"), np.load(d + "/weight.npy")
        b = np.load(d + "/bias.npy") if os.path.exists(d + "/bias.npy") else None
        y = np.load(d + "/output.npy")
        check(x.dtype == np.float32 and list(x.shape) == dump["input_shape"], "%s: input.npy %s in PyTorch layout" % (name, x.shape))
        ref = torch_conv(x, w, b, geo)
        check(ref.shape == y.shape and np.allclose(y, ref, rtol=1e-5, atol=1e-5),
              "%s: F.conv%dd(input, weight, bias) reproduces output.npy (max diff %s)"
              % (name, geo["dims"], np.abs(y - ref).max() if ref.shape == y.shape else "shape"))
        win = np.load(d + "/window.npy")
        c = dump["cursor"]
        value = float((win * w[c["c_out"]]).sum() + (b[c["c_out"]] if b is not None else 0))
        check(abs(value - c["value"]) <= 1e-4 * max(1, abs(c["value"])),
              "%s: (window * w[c_out]).sum() + b is the cursor's value (%g vs %g)" % (name, value, c["value"]))
        for f in ("input", "weight", "output", "window"):
            path = d + "/%s.npy" % f
            np.save(os.path.join(tmp, "np_%s.npy" % f), np.load(path))
            if open(path, "rb").read() != open(os.path.join(tmp, "np_%s.npy" % f), "rb").read():
                check(False, "%s: %s.npy is byte-identical to np.save" % (name, f))
                break
        else:
            check(True, "%s: every file is byte-identical to np.save of the same array" % name)
    # (Q2b's input being Q2a's three images stacked as channels is not checked here yet: on this main the
    # channel-stack preset still draws its own 3-channel picture; the preset change belongs to the workspace work.)
    code, _, err = run(app, ["--export-tensors", results["default"]])
    check(code == 1 and "already exists" in err and "--force" in err,
          "tensors: an existing folder's files are not replaced without --force (%s)" % err.strip()[-200:])
    code, _, _ = run(app, ["--export-tensors", results["default"], "--force"])
    check(code == 0, "tensors: --force replaces them")


def test_script_verbs(app, tmp):
    d = os.path.join(tmp, "verbs")
    os.makedirs(d)
    script = "preset conv1d\nexport_tensors %s/t\nexport %s/a.gif --steps 0:4 --panel input\n" % (d, d)
    code, _, err = run(app, ["--script", write(os.path.join(tmp, "verbs.txt"), script)])
    check(code == 0, "script verbs export_tensors and export (exit %d %s)" % (code, err.strip()[-200:]))
    ok = os.path.exists(d + "/t/output.npy") and np.load(d + "/t/input.npy").ndim == 3
    check(ok and Image.open(d + "/a.gif").n_frames == 4, "the verbs wrote the Conv1d tensors and a 4-frame GIF")
    code, _, err = run(app, ["--script", write(os.path.join(tmp, "verbs2.txt"), "export x.gif --scale 7\n")])
    check(code == 1 and "--scale" in err, "a bad export verb is refused before anything runs (%s)" % err.strip()[-200:])


def test_refusals(app, tmp):
    d = os.path.join(tmp, "ref")
    os.makedirs(d)
    existing = write(os.path.join(d, "keep.gif"), "precious")
    code, _, err = run(app, ["--export", existing])
    check(code == 1 and "already exists" in err and "--force" in err and open(existing).read() == "precious",
          "an existing file is kept without --force (%s)" % err.strip()[-200:])
    code, _, err = run(app, ["--export", "/proc/convscope_cannot.gif"])
    check(code == 1 and "/proc/convscope_cannot.gif" in err, "an unwritable folder: exit 1 naming the file (%s)" % err.strip()[-200:])
    code, _, err = run(app, ["--export", os.path.join(d, "x.png"), "--scale", "9"])
    check(code == 1 and "--scale" in err, "--scale 9 is refused (%s)" % err.strip()[-200:])
    code, _, err = run(app, ["--export", os.path.join(d, "x.gif"), "--steps", "0:99999999"])
    check(code == 1 and "goes past the last step" in err, "a range past the end is refused (%s)" % err.strip()[-200:])
    code, _, err = run(app, ["--export", os.path.join(d, "x.jpg")])
    check(code == 1 and ".gif" in err, "an unknown extension is refused (%s)" % err.strip()[-200:])
    # a signal mid-export: the export is cancelled and nothing is left
    out = os.path.join(d, "long.gif")
    # The app's own exit code, written by a shell around it: xvfb-run's may be its own (5 when cleaning up its
    # temporary folder fails, seen once in CI while the app had exited 1).
    code_file = os.path.join(tempfile.gettempdir(), "convscope_sigterm_%d.code" % os.getpid())
    p = subprocess.Popen(xvfb() + ["sh", "-c", '"$0" "$@"; echo $? > "%s"' % code_file, app, "--export", out,
                                 "--steps", "0:3000"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(10)
    killed = False
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmd = open("/proc/%s/cmdline" % pid, "rb").read().split(b"\0")
        except OSError:
            continue
        if cmd and cmd[0] == app.encode() and out.encode() in cmd:
            os.kill(int(pid), signal.SIGTERM)
            killed = True
    _, err = p.communicate(timeout=120)
    try:
        with open(code_file) as f:
            app_code = int(f.read().strip())
        os.remove(code_file)
    except (OSError, ValueError):
        app_code = None
    check(killed and app_code == 1 and "interrupted" in err,
          "SIGTERM mid-export: exit 1 saying it was interrupted (exit %s, xvfb-run %s: %s)"
          % (app_code, p.returncode, err.strip()[-200:]))
    check(listing(d) == ["keep.gif"], "an interrupted export leaves nothing behind (%s)" % listing(d))
    # without a display
    env = dict(os.environ)
    env.pop("DISPLAY", None)
    p = subprocess.run([app, "--export", os.path.join(d, "y.png")], capture_output=True, text=True, env=env)
    check(p.returncode == 1 and "xvfb-run" in p.stderr, "without a display it says to use xvfb-run (%s)" % p.stderr.strip()[-200:])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--app", required=True)
    args = ap.parse_args()
    if not shutil.which("xvfb-run"):
        print("xvfb-run is missing")
        return 1 if os.environ.get("CI") else 77
    app = os.path.abspath(args.app)
    tmp = tempfile.mkdtemp(prefix="convscope_export_")
    try:
        names = test_sequence_matches_screenshots(app, tmp)
        if names:
            test_scale(app, tmp, names[0])
        test_gif_and_video(app, tmp)
        test_theme_and_caption(app, tmp)
        test_tensors(app, tmp)
        test_script_verbs(app, tmp)
        test_refusals(app, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d failure(s)" % len(FAILURES))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
