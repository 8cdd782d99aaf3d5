#!/usr/bin/env python3
"""File -> Export...'s live preview, in the real window under Xvfb.

The dialog is opened by script (`export_dialog OUT [flags]`, the same flags as `export`):
  * the preview shows the first frame exactly as the export writes it: the same settings exported for real, scaled
    down by the same box filter, match the preview's pixels in the screenshot;
  * it follows the settings (another panel, theme or caption makes it again) and is not made again while nothing it
    depends on changes;
  * making it leaves the window as it was: the cursor's step, the dark theme on screen, the dialog still open;
  * a range the layer does not have shows the reason in the dialog instead of a picture;
  * on the light theme the current multiply-add's text (cyan on the dark theme) is dark enough to read.
Usage: export_preview_gui_test.py --app build/convscope
"""
import argparse
import math
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gui_util import FAILURES, check, read_png, run_script as run, load_json as load  # noqa: E402


def compare_preview(d, shot, exported, label):
    """The exported frame, box-filtered like the preview, against the preview's pixels in the screenshot."""
    pv = d["export_dialog"]["preview"]
    ew, eh, epx = read_png(exported)
    check((pv["frame_width"], pv["frame_height"]) == (ew, eh),
          f"{label}: the preview is of a {pv['frame_width']}x{pv['frame_height']} frame, the export wrote {ew}x{eh}")
    f = max(1, math.ceil(max(ew / 480, eh / 300)))
    check((pv["width"], pv["height"]) == (ew // f, eh // f), f"{label}: scaled down by {f}: {pv['width']}x{pv['height']}")
    _, _, spx = read_png(shot)
    x0, y0 = pv["rect"][0], pv["rect"][1]
    total, worst, n = 0.0, 0, 0
    for y in range(0, pv["height"], 3):
        for x in range(0, pv["width"], 3):
            want = [0.0, 0.0, 0.0]
            for dy in range(f):
                for dx in range(f):
                    p = epx(x * f + dx, y * f + dy)
                    for c in range(3):
                        want[c] += p[c]
            want = [w / (f * f) for w in want]
            got = spx(x0 + x, y0 + y)
            diff = max(abs(g - w) for g, w in zip(got, want))
            total += diff
            worst = max(worst, diff)
            n += 1
    mean = total / n
    check(mean <= 2.0 and worst <= 24, f"{label}: preview pixels = the exported frame's (mean diff {mean:.2f}, worst {worst:.0f})")


def luminance(rgb):
    def lin(c):
        c /= 255.0
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (lin(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def check_mac_text(png):
    """Light theme, MAC steps: the current multiply-add's line is teal, dark enough to read on the light panel
    (WCAG contrast of its darkest pixel against the background >= 4), not the dark theme's light cyan."""
    w, h, px = read_png(png)
    bg = px(w - 3, 3)
    teal = [px(x, y) for y in range(0, min(h, 120)) for x in range(w)
            if px(x, y)[2] > px(x, y)[0] + 60 and px(x, y)[1] > px(x, y)[0] + 60]
    if not check(len(teal) > 40, f"light theme, MAC steps: the MAC line is drawn in teal ({len(teal)} pixels)"):
        return
    darkest = min(teal, key=luminance)
    contrast = (luminance(bg) + 0.05) / (luminance(darkest) + 0.05)
    check(contrast >= 4.0, f"light theme: the MAC line's text {darkest} on {bg} has contrast {contrast:.1f} (>= 4)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--app", required=True)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="convscope_preview_")
    try:
        out = os.path.join(tmp, "frame.png")
        run(args.app, f"""mouse 3 790
preset default
cursor 0 2 10 12
wait
dump {tmp}/before.json
export_dialog {out} --panel filters --theme light --caption
frames 4
dump {tmp}/d1.json
screenshot {tmp}/s1.png
frames 5
dump {tmp}/d1b.json
export_dialog {out} --panel computation
frames 4
dump {tmp}/d2.json
screenshot {tmp}/s2.png
export_dialog {out} --steps 900000000:900000010
frames 4
dump {tmp}/d3.json
export_dialog off
frames 2
dump {tmp}/d4.json
export {tmp}/filters.png --panel filters --theme light --caption
export {tmp}/computation.png --panel computation
export {tmp}/mac_light.png --panel computation --theme light --granularity mac
""", tmp, "dialog")
        before, d1, d1b, d2, d3, d4 = (load(tmp, n + ".json") for n in ("before", "d1", "d1b", "d2", "d3", "d4"))
        e1 = d1["export_dialog"]
        check(e1 is not None and e1["preview"]["renders"] == 1 and not e1["preview"]["error"],
              f"the dialog is open with one preview: {e1}")
        check(d1b["export_dialog"]["preview"]["renders"] == 1, "no new preview while nothing it depends on changes")
        check(d2["export_dialog"]["preview"]["renders"] == 2, "another panel: the preview is made again")
        step = lambda d: (d["cursor"]["n"], d["cursor"]["c_out"], d["cursor"]["y"], d["cursor"]["x"], d["cursor"]["step"])
        check(step(d1) == step(before) and step(d2) == step(before), "the cursor's step is as it was")
        _, _, px = read_png(os.path.join(tmp, "s1.png"))
        menu = px(640, 3)
        check(max(menu) < 140, f"the window is still dark (under the dialog's dimming) after a light preview: menu bar {menu}")
        compare_preview(d1, os.path.join(tmp, "s1.png"), os.path.join(tmp, "filters.png"), "Filters, light, caption")
        compare_preview(d2, os.path.join(tmp, "s2.png"), os.path.join(tmp, "computation.png"), "Computation, dark")
        check_mac_text(os.path.join(tmp, "mac_light.png"))
        e3 = d3["export_dialog"]["preview"]
        check("900000000" in e3["error"] and e3["renders"] == 2, f"steps past the layer's end: the reason instead of a picture ({e3['error']})")
        check(d4["export_dialog"] is None, "export_dialog off closes it")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if FAILURES:
        print(f"{len(FAILURES)} check(s) failed")
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
