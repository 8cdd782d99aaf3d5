#!/usr/bin/env python3
"""Layer kind ConvTranspose: the transposed-convolution view, run headless in the real window under Xvfb.

Checks, against live PyTorch (torch.nn.ConvTranspose1d/2d built from the layer text the window writes, with the
window's own x, weight and bias from the dump):
  * the output y equals PyTorch's, for every preset (2-D, 1-D, channels, output_padding, ones = checkerboard);
  * scatter: the stamp of the current input element lands where (i*s - p + k*d) says, cropped taps are the ones
    outside y, every product is x * w, and the painted canvas mid-walk equals PyTorch's transposed convolution of the
    input elements already done plus the current stamp's multiply-adds so far;
  * gather: the output's value is PyTorch's; its taps read the zero-inserted, padded input with the flipped kernel,
    and that picture (zero insertion + padding + torch.conv2d with the flipped, in/out-swapped kernel) is itself
    checked to give PyTorch's ConvTranspose2d output; outputs after the cursor are drawn as "not yet";
  * pixels: every output cell of the screenshot has the diverging colour of its value; the zero-inserted grid shows
    inserted zeros and padding in their colours;
  * a click on an input element moves the scatter cursor there; an invalid setting shows PyTorch's exact error text
    and keeps the last valid layer; switching back to Conv restores the Conv scene and its step;
  * screenshots of both pictures at 1280x800 and at UI scale 1.5 (kept with --keep DIR for a person to look at).
Usage: transpose_gui_test.py --app build/convscope [--keep DIR]
"""
import argparse
import os
import re
import shutil
import sys
import tempfile

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gui_util import FAILURES, check, close, diverging, read_png, run_script as run, load_json as load  # noqa: E402

PENDING, INSERTED_ZERO, PADDING = (52, 54, 62), (72, 78, 96), (40, 40, 46)


def module_of(t):
    """torch.nn.ConvTranspose*d from the layer text the window wrote, with the window's weight and bias."""
    m = re.match(r"nn\.(ConvTranspose[12]d)\((.*)\)$", t["layer"])
    assert m, t["layer"]
    mod = eval("torch.nn." + m.group(1) + "(" + m.group(2) + ")")
    with torch.no_grad():
        mod.weight.copy_(torch.tensor(t["w"]).reshape(t["weight_shape"]))
        if mod.bias is not None:
            mod.bias.copy_(torch.tensor(t["bias"]))
    return mod


def x_of(t):
    return torch.tensor(t["x"]).reshape(t["input_shape"])


def torch_y(t):
    with torch.no_grad():
        return module_of(t)(x_of(t))


def check_output(t, name):
    y = torch_y(t)
    check(list(y.shape) == t["output_shape"], f"{name}: output shape {t['output_shape']} = PyTorch's {list(y.shape)}")
    got = torch.tensor(t["y"]).reshape(y.shape)
    check(torch.allclose(got, y, rtol=1e-5, atol=1e-5), f"{name}: y = PyTorch's (max diff {(got - y).abs().max():.2g})")
    return y


def check_scatter(t, name):
    """The stamp, its cropping and the canvas mid-walk, rebuilt with PyTorch."""
    s = t["scatter"]
    mod = module_of(t)
    x = x_of(t)
    one_d = len(t["input_shape"]) == 3
    st = ([1] if one_d else []) + list(mod.stride)
    pd = ([0] if one_d else []) + list(mod.padding)
    dl = ([1] if one_d else []) + list(mod.dilation)
    out = t["output_shape"][2:]
    out = [1] + out if one_d else out
    ok_land, ok_prod = True, True
    for tap in s["taps"]:
        oy = s["iy"] * st[0] - pd[0] + tap["ky"] * dl[0]
        ox = s["ix"] * st[1] - pd[1] + tap["kx"] * dl[1]
        inside = 0 <= oy < out[0] and 0 <= ox < out[1]
        ok_land &= (tap["oy"], tap["ox"]) == (oy, ox) and tap["cropped"] == (not inside)
        ok_prod &= tap["product"] == s["input"] * tap["weight"]
    check(ok_land, f"{name}: every tap of x[{s['n']}, {s['c_in']}, {s['iy']}, {s['ix']}] lands at i*s - p + k*d "
                   f"(cropped = outside y)")
    check(ok_prod, f"{name}: every product is x * w")
    # canvas: the elements before the current one (raster order over n, c, i, j) whole, plus this stamp's MACs so far
    flat = x.reshape(-1).clone()
    h, w = (1, t["input_shape"][2]) if one_d else t["input_shape"][2:]
    index = ((s["n"] * t["input_shape"][1] + s["c_in"]) * h + s["iy"]) * w + s["ix"]
    flat[index:] = 0
    with torch.no_grad():
        done = F.conv_transpose1d(flat.reshape(x.shape), mod.weight, None, mod.stride, mod.padding, mod.output_padding,
                                  mod.groups, mod.dilation) if one_d else \
            F.conv_transpose2d(flat.reshape(x.shape), mod.weight, None, mod.stride, mod.padding, mod.output_padding,
                               mod.groups, mod.dilation)
    expect = done.reshape(t["output_shape"][0], t["output_shape"][1], out[0], out[1]).clone()
    for i, tap in enumerate(s["taps"]):  # tap["co"] is the real output channel
        if i <= s["mac"] and not tap["cropped"]:
            expect[s["n"], tap["co"], tap["oy"], tap["ox"]] += tap["product"]
    got = torch.tensor(t["canvas"]).reshape(expect.shape)
    check(torch.equal(got, expect), f"{name}: the painted canvas = PyTorch's conv_transpose of the elements done + "
                                    f"this stamp's products so far (max diff {(got - expect).abs().max():.2g})")


def zero_inserted_picture(t):
    """conv_arithmetic's picture in PyTorch: insert stride-1 zeros, pad by d(k-1)-p (+output_padding at the end),
    convolve with the kernel flipped and its in/out axes swapped. Must equal ConvTranspose2d's output."""
    mod = module_of(t)
    x = x_of(t)
    n, c, h, w = x.shape
    sh, sw = mod.stride
    z = torch.zeros(n, c, (h - 1) * sh + 1, (w - 1) * sw + 1)
    z[:, :, ::sh, ::sw] = x
    kh, kw = mod.kernel_size
    dh, dw = mod.dilation
    ph, pw = mod.padding
    oh, ow = mod.output_padding
    bh, bw = dh * (kh - 1) - ph, dw * (kw - 1) - pw
    z = F.pad(z, (bw, bw + ow, bh, bh + oh))  # negative values crop, as in the window's picture
    g = mod.groups
    wt = mod.weight.detach()  # (in, out/g, kh, kw) -> (out, in/g, kh, kw), flipped
    cin_g, cout_g = wt.shape[0] // g, wt.shape[1]
    wt = wt.reshape(g, cin_g, cout_g, kh, kw).transpose(1, 2).reshape(g * cout_g, cin_g, kh, kw).flip(2, 3)
    return F.conv2d(z, wt, mod.bias.detach() if mod.bias is not None else None, 1, 0, (dh, dw), g), (bh, bw)


def check_gather(t, name):
    g = t["gather"]
    y = torch_y(t)
    check(abs(g["value"] - float(y[g["n"], g["c_out"], g["y"], g["x"]])) <= 1e-5,
          f"{name}: gather value y[{g['n']}, {g['c_out']}, {g['y']}, {g['x']}] = {g['value']} = PyTorch's")
    pic, pads = zero_inserted_picture(t)
    check(torch.allclose(pic, y, atol=1e-5), "zero insertion + padding + conv2d with the flipped kernel = "
                                             f"ConvTranspose2d's output ({name})")
    check(g["pad_begin"] == [pads[0], pads[1]], f"{name}: the picture's padding d(k-1)-p = {g['pad_begin']}")
    mod = module_of(t)
    x = x_of(t)
    sh, sw = mod.stride
    kh, kw = mod.kernel_size
    ok, total, real = True, 0.0, 0
    for i, tap in enumerate(g["taps"]):
        ci = i // (kh * kw)
        ok &= tap["ky"] == kh - 1 - tap["fky"] and tap["kx"] == kw - 1 - tap["fkx"]
        on_input = (tap["zy"] % sh == 0 and tap["zx"] % sw == 0 and 0 <= tap["zy"] <= (x.shape[2] - 1) * sh
                    and 0 <= tap["zx"] <= (x.shape[3] - 1) * sw)
        ok &= (tap["kind"] == "input") == on_input
        if on_input:
            real += 1
            cin = g["channels"][ci]["c_in"]
            ok &= (tap["iy"], tap["ix"]) == (tap["zy"] // sh, tap["zx"] // sw)
            ok &= tap["input"] == float(x[g["n"], cin, tap["iy"], tap["ix"]])
            ok &= tap["product"] == tap["input"] * tap["weight"]
            total += tap["product"]
    check(ok, f"{name}: every tap uses the flipped kernel and reads a real input element exactly where the "
              "zero-inserted grid has one")
    check(real == g["contributing"], f"{name}: {real} taps on real input elements = {g['contributing']}")
    check(abs(total + g["bias"] - g["value"]) <= 1e-5, f"{name}: sum of products + bias = the value")


def cell_pixel(px, grid, r, c):
    x0 = grid["origin"][0] + grid["cell"] * c
    y0 = grid["origin"][1] + grid["cell"] * r
    return px(x0 + max(3.0, grid["cell"] * 0.18), y0 + max(3.0, grid["cell"] * 0.18))


def check_output_pixels(t, png, name, gather):
    _, _, px = read_png(png)
    y = torch.tensor(t["canvas"]).reshape(-1)
    scale = max(abs(v) for v in t["y"])
    plane = 1
    for d in t["output_shape"][2:]:
        plane *= d
    revealed = t["gather"]["revealed"] if gather else None
    bad, pending_ok, cells = [], True, 0
    for grid in t["output_grids"]:
        first = (grid["n"] * t["output_shape"][1] + grid["c"]) * plane
        for r in range(grid["rows"]):
            for c in range(grid["cols"]):
                i = first + r * grid["cols"] + c
                got = cell_pixel(px, grid, r, c)
                if gather and i > revealed:
                    pending_ok &= close(got, PENDING, 4)
                    continue
                cells += 1
                if not close(got, diverging(float(y[i]), scale), 8):
                    bad.append((grid["n"], grid["c"], r, c, got, diverging(float(y[i]), scale)))
    check(cells > 0 and not bad, f"{name}: {cells} output cells drawn in their value's colour {bad[:3]}")
    if gather:
        check(pending_ok, f"{name}: outputs after the cursor are drawn as not computed yet")


def lesson_answers():
    """Every step's answer, from PyTorch (not from the window)."""
    with torch.no_grad():
        up = torch.nn.ConvTranspose2d(1, 1, 3, stride=2)
        h_out = up(torch.zeros(1, 1, 4, 4)).shape[2]
        ones = torch.nn.ConvTranspose2d(1, 1, 3, stride=2, padding=1, bias=False)
        ones.weight.fill_(1)
        most = int(ones(torch.ones(1, 1, 4, 4)).max())
        even = torch.nn.ConvTranspose2d(1, 1, 2, stride=2, bias=False)
        even.weight.fill_(1)
        per = sorted(set(even(torch.ones(1, 1, 4, 4)).flatten().tolist()))
        # taps of y[0, 0, 4, 4]'s window that land on real input elements: the input elements whose stamp reaches it
        real = sum(1 for i in range(4) for j in range(4) for ky in range(3) for kx in range(3)
                   if (i * 2 + ky, j * 2 + kx) == (4, 4))
        seven = torch.nn.ConvTranspose2d(1, 1, 3, stride=2, padding=1)(torch.zeros(1, 1, 4, 4)).shape[2]
    assert len(per) == 1
    return [str(h_out), "2", str(most), str(int(per[0])), str(real), str(seven), "1"]


def check_lesson(app, tmp, scale):
    T = lambda name: os.path.join(tmp, name)  # noqa: E731
    answers = lesson_answers()
    lines = [f"ui_scale {scale}", "lesson q7_conv_transpose"]
    for k, answer in enumerate(answers, 1):
        lines += [f"lesson_answer {answer}", "frames 2", f"dump {T(f'lesson{scale}_{k}.json')}",
                  f"screenshot {T(f'lesson{scale}_{k}.png')}"]
        if k < len(answers):
            lines.append("lesson_next")
    run(app, lines, tmp, f"lesson@{scale}")
    for k in range(1, len(answers) + 1):
        d = load(T(f"lesson{scale}_{k}.json"))
        les = d["lesson"]
        name = f"lesson@{scale} step {k}"
        check(les["id"] == "q7_conv_transpose" and les["step"] == k and les["steps"] == len(answers),
              f"{name}: {les['title']}")
        check(les["question"] and les["question"]["correct"] is True,
              f"{name}: PyTorch's answer {answers[k - 1]} accepted (expected {les['question']['expected']!r})")
        check(not any("(n/a" in v for v in les["values"].values()), f"{name}: every placeholder filled {les['values']}")
        check(len(d["highlight_rects"]) == len(les["highlights"]),
              f"{name}: outlined {[h['panel'] for h in d['highlight_rects']]} = {les['highlights']}")
        x0, _, x1, _ = d["lesson_panel"]
        check(all(x0 - 1 <= l["rect"][0] and l["rect"][2] <= x1 + 1 for l in d["lesson_lines"]),
              f"{name}: the text fits the Lesson panel")
        t = d["transpose"]
        if "t_value" in les["values"]:
            y = torch_y(t)
            g = t["gather"]
            check(float(les["values"]["t_value"]) == float(y[g["n"], g["c_out"], g["y"], g["x"]]),
                  f"{name}: {{t_value}} {les['values']['t_value']} = PyTorch's y at {les['values']['t_cursor']}")
        if "t_error" in les["values"]:
            try:
                torch.nn.ConvTranspose2d(1, 1, 3, stride=2, padding=1, output_padding=2)(torch.zeros(1, 1, 4, 4))
                want = ""
            except RuntimeError as e:
                want = str(e)
            check(les["values"]["t_error"] == want, f"{name}: {{t_error}} is PyTorch's text")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--app", required=True)
    ap.add_argument("--keep", help="copy the screenshots and dumps here")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="convscope_transpose_gui_")
    T = lambda name: os.path.join(tmp, name)  # noqa: E731
    try:
        # 1. Scatter on the default preset (k=3, stride 2 on 4x4), mid-walk at MAC granularity.
        run(args.app, ["preset default", "cursor 0 1 5 6", "frames 1", f"dump {T('conv_before.json')}",
                       "layer_kind transpose", "granularity mac", "seek 58", "frames 2",
                       f"dump {T('scatter.json')}", f"screenshot {T('scatter.png')}",
                       "layer_kind conv", "frames 2", f"dump {T('conv_after.json')}"], tmp, "scatter")
        d = load(T("scatter.json"))
        t = d["transpose"]
        check(t["active"] and t["order"] == "scatter" and t["preset"] == "upsample",
              f"scatter: the view opens on the upsample preset in the scatter picture ({t['preset']}, {t['order']})")
        check(t["layer"] == "nn.ConvTranspose2d(1, 1, kernel_size=3, stride=2)", f"scatter: layer {t['layer']}")
        check(d["conventions"]["written"].get("layer.shapes") == "x: [1, 1, 4, 4] -> y: [1, 1, 9, 9]",
              f"scatter: the Layer panel writes {d['conventions']['written'].get('layer.shapes')}")
        check(t["step"] == 58 and t["scatter"]["mac"] == 58 % 9, f"scatter: step {t['step']}, MAC {t['scatter']['mac']}")
        check_output(t, "scatter")
        check_scatter(t, "scatter")
        check_output_pixels(t, T("scatter.png"), "scatter", gather=False)
        check(len(t["input_grids"]) == 1 and len(t["output_grids"]) == 1, "scatter: one input and one output grid drawn")
        b, a = load(T("conv_before.json")), load(T("conv_after.json"))
        check(not a["transpose"]["active"] and a["layer"] == b["layer"] and a["cursor"] == b["cursor"],
              f"back to Conv: the Conv scene and its cursor as they were ({a['cursor']} = {b['cursor']})")

        # 2. Gather on the same layer: an output in the middle, at MAC granularity; then click an output cell.
        run(args.app, ["layer_kind transpose", "transpose_order gather", "granularity mac", "transpose_cursor 0 0 4 4",
                       "step -4", "frames 2", f"dump {T('gather.json')}", f"screenshot {T('gather.png')}"],
            tmp, "gather")
        d = load(T("gather.json"))
        t = d["transpose"]
        check(t["order"] == "gather" and (t["gather"]["y"], t["gather"]["x"]) == (4, 4) and t["gather"]["mac"] == 4,
              f"gather: the cursor is on y[0, 0, 4, 4], tap {t['gather']['mac'] + 1} ({t['position_text']})")
        # step -4 from the end of y[0,0,4,4]'s window leaves the value of that output not yet complete
        run(args.app, ["layer_kind transpose", "transpose_order gather", "transpose_cursor 0 0 4 4", "frames 2",
                       f"dump {T('gather_pos.json')}", f"screenshot {T('gather_pos.png')}"], tmp, "gather_pos")
        p = load(T("gather_pos.json"))["transpose"]
        check_gather(p, "gather")
        check_output_pixels(p, T("gather_pos.png"), "gather", gather=True)
        # the zero-inserted grid: inserted zeros and padding in their colours
        _, _, px = read_png(T("gather_pos.png"))
        zi = p["zero_inserted_grids"][0]
        pb = p["gather"]["pad_begin"]
        check(zi["rows"] == p["gather"]["zero_inserted"][0] + 2 * pb[0] and zi["cols"] == p["gather"]["zero_inserted"][1] + 2 * pb[1],
              f"gather: the zero-inserted, padded grid is {zi['rows']} x {zi['cols']}")
        check(close(cell_pixel(px, zi, pb[0] + 1, pb[1] + 1), INSERTED_ZERO, 4), "gather: an inserted zero is drawn as one")
        check(close(cell_pixel(px, zi, 0, 0), PADDING, 4), "gather: the padding ring is drawn as padding")
        x0 = p["x"][0]
        check(close(cell_pixel(px, zi, pb[0], pb[1]), diverging(x0, max(abs(v) for v in p["x"])), 8),
              "gather: x[0, 0, 0, 0] sits at the grid's first real cell in its colour")

        # 3. Click an input element in the scatter picture: the cursor goes there.
        grid = t["input_grids"][0]
        cx = grid["origin"][0] + grid["cell"] * 2.5
        cy = grid["origin"][1] + grid["cell"] * 1.5
        run(args.app, ["layer_kind transpose", "frames 2", f"click {int(cx)} {int(cy)}", "frames 3",
                       f"dump {T('clicked.json')}"], tmp, "click")
        c = load(T("clicked.json"))["transpose"]["scatter"]
        check((c["n"], c["c_in"], c["iy"], c["ix"]) == (0, 0, 1, 2),
              f"click on x[0, 0, 1, 2]: the scatter cursor is there ({c['n']}, {c['c_in']}, {c['iy']}, {c['ix']})")

        # 4. Every preset's output against PyTorch; the ones preset's output is its products-per-output count.
        keys = ["upsample", "checkerboard", "even", "output_padding", "full", "channels", "conv1d"]
        lines = []
        for k in keys:
            lines += [f"transpose_preset {k}", "granularity channel", "seek 5", "frames 1", f"dump {T('p_' + k + '.json')}"]
        run(args.app, lines, tmp, "presets")
        for k in keys:
            t = load(T("p_" + k + ".json"))["transpose"]
            check(t["preset"] == k, f"preset {k} on screen")
            check_output(t, "preset " + k)
            if t["order"] == "gather":
                check_gather(t, "preset " + k)
            else:
                check_scatter(t, "preset " + k)
        t = load(T("p_checkerboard.json"))["transpose"]
        check(t["y"] == [float(v) for v in t["contributions"]] and sorted(set(t["contributions"])) == [1, 2, 4],
              "checkerboard: with ones, each output counts the products landing on it (1, 2, 4)")
        t = load(T("p_even.json"))["transpose"]
        check(set(t["contributions"]) == {1}, "k=2 stride 2: one product per output, no checkerboard")
        t = load(T("p_output_padding.json"))["transpose"]
        check(t["output_shape"] == [1, 1, 8, 8], f"output_padding=1 gives 8x8 ({t['output_shape']})")
        d = load(T("p_output_padding.json"))
        check("= 4" in d["conventions"]["written"].get("layer.back_h", ""),
              f"output_padding: the Layer panel says Conv2d maps 8 back to 4 ({d['conventions']['written'].get('layer.back_h')})")

        # 5. An invalid setting: PyTorch's exact text, the last valid layer stays.
        run(args.app, ["transpose_preset upsample", "transpose_set output_padding 2",
                       "expect_error output padding must be smaller", "frames 2", f"dump {T('error.json')}",
                       f"screenshot {T('error.png')}"], tmp, "error")
        d = load(T("error.json"))
        t = d["transpose"]
        try:
            torch.nn.ConvTranspose2d(1, 1, 3, stride=2, output_padding=2)(torch.zeros(1, 1, 4, 4))
            torch_error = ""
        except RuntimeError as e:
            torch_error = str(e)
        check(t["error"] == torch_error and torch_error, f"error: the window's text is PyTorch's: {t['error']!r}")
        check(t["layer"] == "nn.ConvTranspose2d(1, 1, kernel_size=3, stride=2)" and d["error_rect"] is not None,
              "error: the last valid layer stays on screen, the error is drawn")

        # 6. UI scale 1.5: both pictures, for a person to judge.
        run(args.app, ["ui_scale 1.5", "transpose_preset channels", "granularity mac", "seek 40", "frames 3",
                       f"screenshot {T('scatter_15.png')}", f"dump {T('scatter_15.json')}", "transpose_order gather",
                       "seek 200", "frames 2", f"screenshot {T('gather_15.png')}", f"dump {T('gather_15.json')}"],
            tmp, "scale15")
        for k in ("scatter_15", "gather_15"):
            t = load(T(k + ".json"))["transpose"]
            check(all(g["cell"] >= 15 * 1.5 for g in t["output_grids"]), f"{k}: output cells readable at UI scale 1.5")
        check_scatter(load(T("scatter_15.json"))["transpose"], "scatter at UI scale 1.5")
        check_gather(load(T("gather_15.json"))["transpose"], "gather at UI scale 1.5")
        # 6b. Export in this view: a panel crops to the slot's window; --steps row and the caption follow the
        #     transposed walk (gather: one frame per output of the row, the caption its value = PyTorch's).
        seq = T("gather_frames")
        run(args.app, ["layer_kind transpose", "transpose_preset upsample", "transpose_order gather",
                       "transpose_cursor 0 0 4 2", f"export {seq}/ --panel feature-maps --steps row --caption --force",
                       f"export {T('input_panel.png')} --panel input --force", f"dump {T('exported.json')}"],
            tmp, "export")
        t = load(T("exported.json"))["transpose"]
        y = torch_y(t)
        frames = load(os.path.join(seq, "frames.json"))["frames"] if os.path.exists(os.path.join(seq, "frames.json")) else []
        want = [f"y[0, 0, 4, {x}] = " for x in range(9)]
        check(len(frames) == 9 and all(f["caption"].startswith(w) for f, w in zip(frames, want)),
              f"export --steps row in the gather picture: 9 frames, one per output of row 4 ({len(frames)})")
        check(all(abs(float(f["caption"].rsplit("= ", 1)[1]) - float(y[0, 0, 4, i])) < 1e-5 for i, f in enumerate(frames)),
              "export captions end with PyTorch's value of each output")
        w, h, _ = read_png(T("input_panel.png"))
        grid = t["input_grids"][0]
        check(0 < w < 1280 and 0 < h < 800 and w >= grid["cell"] * 4,
              f"export --panel input crops to the Input x panel ({w} x {h})")

        # 7. The lesson (assets/lessons/q7_conv_transpose.lesson) at UI scale 1 and 1.5: each step's answer, worked
        #    out here with PyTorch, is accepted; its numbers are PyTorch's; its text fits the Lesson panel.
        for scale in ("1", "1.5"):
            check_lesson(args.app, tmp, scale)
    finally:
        if args.keep:
            os.makedirs(args.keep, exist_ok=True)
            for f in os.listdir(tmp):
                if f.endswith((".png", ".json")):
                    shutil.copy(os.path.join(tmp, f), args.keep)
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{len(FAILURES)} failure(s)")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
