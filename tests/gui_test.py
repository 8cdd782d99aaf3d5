#!/usr/bin/env python3
"""GUI test: drives the real convscope window under Xvfb and checks what was drawn.

Each case runs an action script (see app/gui/script.hpp) that ends with `dump` (JSON: on-screen rectangles,
cursor state, error) and `screenshot` (PNG of the back buffer). The checks read pixels of the screenshot at the
places the dump names:
  * the window outline sits over the right input pixels, before and after moving the cursor;
  * feature-map pixels have the colour of the engine's value through the diverging colormap (the formula of
    shaders/heatmap.frag, reimplemented below);
  * an invalid setting (kernel bigger than the input) shows PyTorch's error in red, the app keeps running and
    exits 0; an unknown script line exits 1;
  * hovering an input pixel finds every output it feeds; a batch of 3 keeps 3 separate groups of maps; a click
    (script verb `click`: ImGui's mouse held there, button down for a frame) on a feature-map pixel moves the cursor;
  * the "then ReLU + pool" tab: (3, 6, 24, 24) -> relu -> MaxPool2d(2, 2) -> (3, 6, 12, 12), the pooled map equal
    to max pooling computed here and drawn in the colormap's colours; a pool that does not fit shows PyTorch's
    error; AvgPool2d(3, 3) without ReLU matches the mean; the mouse over a pooled value brings up that value's
    tooltip, and a click moves the conv cursor to its window's winner;
  * data in: a genuine CIFAR-10 batch written here (3,073-byte records) opened from the command line with
    --pick 7 shows image 7's own colours in the Input panel; a batch picked with the script is saved as a scene and
    reopened with --scene, and the two screenshots are identical below the menu bar (whose status line says
    "Saved"/"Opened"); saving onto an existing file asks instead of overwriting; a 3,000-byte .bin shows an error
    and leaves the scene as it was; .npy weights in Keras layout set the layer from their shape, weights that do
    not fit show PyTorch's error and change nothing; a picture and weights dropped on the window together both open
    (script verb `drop`, the same path as GLFW's drop callback), another kind of file is refused by name; an ONNX
    conformance model's Conv node reproduces output_0.pb.
Usage: gui_test.py --app build/convscope [--cli build/convscope-cli]
Needs xvfb-run; when it is missing the test is skipped, unless the environment variable CI is set (then it fails).
"""
import argparse
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gui_util import FAILURES, check, xvfb, close, diverging, read_png, load_json  # noqa: E402



def run(app, script_text, tmp, name, expect_rc=0, extra=()):
    script = os.path.join(tmp, name + ".txt")
    with open(script, "w") as f:
        f.write(script_text)
    env = dict(os.environ, XDG_CONFIG_HOME=os.path.join(tmp, "config"))  # recent.json goes to the temp dir
    p = subprocess.run(xvfb() + [app] + list(extra) + ["--script", script], capture_output=True, text=True, timeout=120,
                       env=env)
    if p.returncode != expect_rc:
        print(p.stdout, p.stderr)
    check(p.returncode == expect_rc, f"{name}: exit code {p.returncode} (expected {expect_rc})")
    return p


def load(tmp, name):
    dump = json.load(open(os.path.join(tmp, name + ".json")))
    w, h, px = read_png(os.path.join(tmp, name + ".png"))
    return dump, w, h, px


def check_window_outline(d, px, name):
    g, c = d["geometry"], d["cursor"]
    ok = True
    read_channels = {o["c"] for o in d["window_outline"] if o["n"] == c["n"]}
    ok &= check(read_channels == set(range(g["c_in"])), f"{name}: window outlined on every channel it reads {sorted(read_channels)}")
    for o in d["window_outline"]:
        grid = next(r for r in d["input_pixels"] if r["n"] == o["n"] and r["c"] == o["c"])
        cell = grid["cell"]
        # tap (0, 0) of output (y, x) reads input (y*stride - pad, x*stride - pad)
        iy = c["y"] * g["stride"][0] - g["pad_begin"][0]
        ix = c["x"] * g["stride"][1] - g["pad_begin"][1]
        ext_y = (g["kernel"][0] - 1) * g["dilation"][0] + 1
        ext_x = (g["kernel"][1] - 1) * g["dilation"][1] + 1
        want = [grid["x0"] + ix * cell, grid["y0"] + iy * cell, grid["x0"] + (ix + ext_x) * cell, grid["y0"] + (iy + ext_y) * cell]
        ok &= check(all(abs(a - b) < 1.0 for a, b in zip(o["rect"], want)),
                    f"{name}: outline on channel {o['c']} at {[round(v, 1) for v in o['rect']]} covers input rows {iy}..{iy + ext_y - 1}, cols {ix}..{ix + ext_x - 1}")
        x0, y0, x1, y1 = o["rect"]
        edge = px((x0 + x1) / 2, y0)  # top edge, 2 px wide, yellow (255, 221, 0)
        edge2 = px((x0 + x1) / 2, y0 + 1)
        ok &= check(close(edge, (255, 221, 0), 40) or close(edge2, (255, 221, 0), 40),
                    f"{name}: outline pixels on channel {o['c']} are yellow ({edge}, {edge2})")
    return ok


def check_fmap_colours(d, px, name):
    c = d["cursor"]
    grid = next((r for r in d["fmap_pixels"] if r["n"] == c["n"] and r["c"] == c["c_out"]), None)
    if not check(grid is not None, f"{name}: the cursor's feature map is on screen"):
        return
    cell, scale, m = grid["cell"], d["fmap_scale"], d["current_map"]
    check(abs(d["output_at_cursor"] - c["value"]) <= 1e-6 * max(1.0, abs(c["value"])),
          f"{name}: cursor value {c['value']:.6f} equals the full-layer output {d['output_at_cursor']:.6f}")
    # computed pixels: every position before the cursor in its map (row-major); sample a few
    positions = [(y, x) for y in range(grid["rows"]) for x in range(grid["cols"])
                 if y * grid["cols"] + x < c["y"] * grid["cols"] + c["x"]]
    samples = positions[:: max(1, len(positions) // 12)][:12]
    good = 0
    for (y, x) in samples:
        want = diverging(m[y][x], scale)
        got = px(grid["x0"] + (x + 0.5) * cell, grid["y0"] + (y + 0.5) * cell)
        good += close(got, want)
        if not close(got, want):
            print(f"     y[{c['n']},{c['c_out']},{y},{x}] = {m[y][x]:.4f}: drawn {got}, colormap {want}")
    check(samples and good == len(samples), f"{name}: {good}/{len(samples)} feature-map pixels match the colormap of the engine's values")
    # a position after the cursor is not drawn yet (placeholder colour)
    after = [(y, x) for y in range(grid["rows"]) for x in range(grid["cols"])
             if y * grid["cols"] + x > c["y"] * grid["cols"] + c["x"] + grid["cols"]]
    if after:
        y, x = after[-1]
        got = px(grid["x0"] + (x + 0.5) * cell, grid["y0"] + (y + 0.5) * cell)
        check(close(got, (51, 54, 61), 8), f"{name}: y[..,{y},{x}] after the cursor is the not-yet-computed colour {got}")


# ---- then ReLU + pool (the seed's Net: x = self.pool(F.relu(self.conv1(x)))) ----
def max_pool(m, k, s):
    rows, cols = (len(m) - k) // s + 1, (len(m[0]) - k) // s + 1
    return [[max(m[y * s + i][x * s + j] for i in range(k) for j in range(k)) for x in range(cols)] for y in range(rows)]


def after_checks(app, tmp, T):
    run(app, "preset batch_vs_channel\nafter show\nafter relu on\nafter pool max 2 2\ncursor 1 2 5 7\nframes 2\n"
             f"dump {T('after.json')}\nscreenshot {T('after.png')}\n"
             f"after pool max 30 2\nframes 2\ndump {T('after_bad.json')}\n"
             f"after relu off\nafter pool avg 3 3\nframes 2\ndump {T('after_avg.json')}\n", tmp, "after")
    d, w, h, px = load(tmp, "after")
    a = d["after"]
    check(a["shown"] and a["shape"] == [3, 6, 12, 12] and a["error"] == "",
          f"after: (3, 6, 24, 24) -> {a['layers']} -> {a['shape']}, tab shown")
    # the conv output map of the cursor, through ReLU and 2x2 max pooling here, equals what the app shows (max is exact)
    want = max_pool([[max(v, 0.0) for v in row] for row in d["current_map"]], 2, 2)
    check(a["current_map"] == want, "after: the pooled map of y[1, 2] equals max_pool2d(relu(y[1, 2]), 2, 2) computed here")
    grid = next((r for r in a["pixels"] if r["n"] == 1 and r["c"] == 2), None)
    items = sorted({r["n"] for r in a["pixels"]})
    check(items == [0, 1, 2] and len(a["pixels"]) == 18, f"after: 18 pooled maps drawn, for items {items}")
    if check(grid is not None, "after: the cursor's pooled map is on screen"):
        good, samples = 0, [(y, x) for y in range(0, 12, 3) for x in range(0, 12, 3)]
        for (y, x) in samples:
            got = px(grid["x0"] + (x + 0.5) * grid["cell"], grid["y0"] + (y + 0.5) * grid["cell"])
            good += close(got, diverging(want[y][x], a["scale"]))
        check(good == len(samples), f"after: {good}/{len(samples)} pooled pixels have the colormap's colour of their value")
        # hovering a pooled value (the mouse held at its centre) brings up its tooltip for that very value
        mx, my = grid["x0"] + 7.5 * grid["cell"], grid["y0"] + 4.5 * grid["cell"]
        run(app, "preset batch_vs_channel\nafter show\nafter relu on\nafter pool max 2 2\ncursor 1 2 5 7\n"
                 f"mouse {mx} {my}\nframes 3\ndump {T('after_hover.json')}\n"
                 f"click {mx} {my}\ndump {T('after_click.json')}\n", tmp, "after_hover")
        hv = json.load(open(T("after_hover.json")))["after"]["hover"]
        check(hv == [1, 2, 4, 7], f"after: the mouse at ({mx:.0f}, {my:.0f}) explains pooled value {hv} (want [1, 2, 4, 7])")
        # a click moves the conv cursor to the window's winner: the first largest of relu(y) in rows 8-9, cols 14-15
        taps = [(8, 14), (8, 15), (9, 14), (9, 15)]
        vals = [max(d["current_map"][y][x], 0.0) for y, x in taps]
        win = taps[vals.index(max(vals))]
        cc = json.load(open(T("after_click.json")))["cursor"]
        check((cc["n"], cc["c_out"], cc["y"], cc["x"]) == (1, 2) + win,
              f"after: clicking p[1, 2, 4, 7] moved the conv cursor to y[1, 2, {cc['y']}, {cc['x']}] (the winner is {win})")
    b = json.load(open(T("after_bad.json")))["after"]
    check("Output size is too small" in b["error"] and b["pixels"] == [],
          f"after: MaxPool2d(30, 2) on 24x24 shows PyTorch's error '{b['error'][:80]}' and draws no maps")
    v = json.load(open(T("after_avg.json")))["after"]
    m = d["current_map"]
    want_avg = [[sum(m[y * 3 + i][x * 3 + j] for i in range(3) for j in range(3)) / 9 for x in range(8)] for y in range(8)]
    err = max(abs(p - q) for rp, rq in zip(v["current_map"], want_avg) for p, q in zip(rp, rq))
    check(v["shape"] == [3, 6, 8, 8] and v["layers"] == "nn.AvgPool2d(kernel_size=3, stride=3)" and err < 1e-6,
          f"after: no ReLU, AvgPool2d(3, 3) -> {v['shape']}, max |difference| from the mean computed here {err:.1e}")


# ---- data in ----
def cifar_colour(i):
    """Image i of the generated batch: a flat colour, with a diagonal in the blue channel inverted."""
    return (i * 37) % 256, (i * 91 + 40) % 256, (i * 53 + 100) % 256


def write_cifar(path, count=40):
    records = []
    for i in range(count):
        r, g, b = cifar_colour(i)
        blue = bytearray([b] * 1024)
        for k in range(32):
            blue[k * 32 + k] = 255 - b
        records.append(bytes([i % 10]) + bytes([r] * 1024) + bytes([g] * 1024) + bytes(blue))
    with open(path, "wb") as f:
        f.write(b"".join(records))  # 3,073-byte records: label, 1024 R, 1024 G, 1024 B


def write_npy(path, shape, values):
    """A float32 C-order .npy (format 1.0), as np.save writes it."""
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }" % "".join(f"{d}, " for d in shape).rstrip(" ") \
        if len(shape) != 1 else "{'descr': '<f4', 'fortran_order': False, 'shape': (%d,), }" % shape[0]
    header = header.replace(", )", ")")
    pad = 64 - (10 + len(header) + 1) % 64
    header = header + " " * pad + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + struct.pack(f"<{len(values)}f", *values))


def write_png(path, w, h, colour):
    """An 8-bit RGB PNG, colour(x, y) -> (r, g, b)."""
    rows = b"".join(b"\x00" + bytes(c for x in range(w) for c in colour(x, y)) for y in range(h))
    chunk = lambda kind, body: struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) +
                chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def rgb_at(d, px, n, y, x):
    grid = next(r for r in d["input_rgb"] if r["n"] == n)
    return px(grid["x0"] + (x + 0.5) * grid["cell"], grid["y0"] + (y + 0.5) * grid["cell"])


def data_in_checks(app, tmp, T):
    cifar = T("data_batch_1.bin")
    write_cifar(cifar)

    # 9. --cifar FILE --pick 7: the Input panel shows image 7's pixels
    run(app, f"frames 2\ndump {T('cifar.json')}\nscreenshot {T('cifar.png')}\n", tmp, "cifar",
        extra=["--cifar", cifar, "--pick", "7"])
    d, w, h, px = load(tmp, "cifar")
    check(d["input_shape"] == [1, 3, 32, 32] and "#7" in d["input_kind"], f"cifar: input {d['input_shape']} is {d['input_kind']}")
    r, g, b = cifar_colour(7)
    got, diag = rgb_at(d, px, 0, 5, 20), rgb_at(d, px, 0, 12, 12)
    check(close(got, (r, g, b), 4), f"cifar: x[0, :, 5, 20] drawn {got}, the file has {(r, g, b)}")
    check(close(diag, (r, g, 255 - b), 4), f"cifar: x[0, :, 12, 12] (diagonal) drawn {diag}, the file has {(r, g, 255 - b)}")

    # 10. pick a batch with the script, change the layer and the cursor, save; reopen with --scene: same picture
    scene = T("lesson.json")
    run(app, f"open_cifar {cifar}\npick 7,3\nwindow cifar off\nset stride 2\ncursor 1 4 3 5\ngranularity channel\n"
             f"save_scene {scene}\nexpect_status Saved scene\nframes 2\ndump {T('saved.json')}\nscreenshot {T('saved.png')}\n",
        tmp, "saved")
    run(app, f"expect_status Opened scene\nframes 2\ndump {T('reopened.json')}\nscreenshot {T('reopened.png')}\n",
        tmp, "reopened", extra=["--scene", scene])
    d1, w1, h1, px1 = load(tmp, "saved")
    d2, w2, h2, px2 = load(tmp, "reopened")
    check(d1["input_shape"] == [2, 3, 32, 32] and d1["output_shape"] == [2, 192, 16, 16], f"saved: {d1['layer']} on {d1['input_shape']}")
    check(d2["cursor"] == d1["cursor"] and d2["layer"] == d1["layer"], f"reopened: same layer and cursor {d2['cursor']['step']}")
    top = int(max(d1["menu_height"], d2["menu_height"])) + 1
    diff = sum(px1(x, y) != px2(x, y) for y in range(top, h1) for x in range(0, w1, 1))
    check((w1, h1) == (w2, h2) and diff == 0, f"reopened: screenshots identical below the menu bar ({diff} pixels differ)")
    before = open(scene, "rb").read()
    run(app, f"preset same_16\nsave_scene {scene}\nexpect_status exists\n", tmp, "no_overwrite")
    check(open(scene, "rb").read() == before, "save: an existing scene file is not overwritten without confirmation")

    # 11. a 3,000-byte .bin: an error, and the scene stays
    bad = T("bad.bin")
    with open(bad, "wb") as f:
        f.write(bytes(3000))
    run(app, f"open_cifar {bad}\nexpect_status 3,000 bytes\nframes 2\ndump {T('bad.json')}\nscreenshot {T('bad.png')}\n",
        tmp, "bad", extra=["--cifar", cifar, "--pick", "7"])
    d = json.load(open(T("bad.json")))
    check(d["status_error"] and "#7" in d["input_kind"] and d["input_shape"] == [1, 3, 32, 32],
          f"bad: '{d['status'][:60]}...' and the input is still {d['input_kind']}")

    # 12. .npy weights: Keras layout sets the layer from the shape; a weight that does not fit changes nothing
    keras = T("kernel.npy")
    write_npy(keras, (3, 3, 3, 8), [((i * 7) % 11 - 5) / 10 for i in range(3 * 3 * 3 * 8)])
    write_npy(T("bias.npy"), (8,), [0.1 * i for i in range(8)])
    wrong = T("wrong.npy")
    write_npy(wrong, (8, 1, 3, 3), [0.5] * 72)
    run(app, f"load_weights {keras} {T('bias.npy')} keras\nexpect_status Loaded weights\nframes 2\ndump {T('keras.json')}\n"
             f"load_weights {wrong}\nexpect_status to have 1 channels, but got 3 channels instead\nframes 2\ndump {T('wrong.json')}\n",
        tmp, "weights")
    d, e = json.load(open(T("keras.json"))), json.load(open(T("wrong.json")))
    check(d["layer"] == "nn.Conv2d(3, 8, kernel_size=3, padding=2)" and "permute(3, 2, 0, 1)" in d["weights_info"],
          f"weights: {d['layer']}; {d['weights_info'][:90]}")
    check(e["layer"] == d["layer"] and e["status_error"], f"weights: wrong weight refused, layer still {e['layer']}")

    # 13. files dropped on the window: a picture and weights dropped together both open (in order); a file of
    #     another kind is named in the status line and changes nothing
    pic = T("dropped.png")
    write_png(pic, 20, 12, lambda x, y: (200, 40 + 8 * y, 10 * x))
    drop_w = T("drop_w.npy")
    write_npy(drop_w, (4, 3, 3, 3), [((i * 5) % 9 - 4) / 8 for i in range(4 * 3 * 3 * 3)])
    notes = T("notes.txt")
    with open(notes, "w") as f:
        f.write("not a tensor\n")
    run(app, f"drop {pic} {drop_w}\nframes 2\ndump {T('dropped.json')}\nscreenshot {T('dropped.png.shot.png')}\n"
             f"drop {notes}\nexpect_status not a file convscope opens\ndump {T('dropped_txt.json')}\n", tmp, "drop")
    d = json.load(open(T("dropped.json")))
    check("dropped.png" in d["input_kind"] and d["layer"].startswith("nn.Conv2d(3, 4, kernel_size=3"),
          f"drop: picture and weights dropped together both opened: input '{d['input_kind']}', layer {d['layer']}")
    e = json.load(open(T("dropped_txt.json")))
    check(e["status_error"] and "notes.txt" in e["status"] and e["layer"] == d["layer"] and e["input_kind"] == d["input_kind"],
          f"drop: notes.txt refused ('{e['status'][:70]}'), nothing changed")

    # 13b. several files dropped at once, two of them bad: the status line names both, not only the last (issue 12)
    broken = T("broken.png")
    with open(broken, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)
    run(app, f"drop {broken} {drop_w} {notes}\nwait\nframes 2\n"
             f"expect_status 2 of 3 dropped files were not opened\ndump {T('dropped_many.json')}\n", tmp, "drop_many")
    e = json.load(open(T("dropped_many.json")))
    check(e["status_error"] and "broken.png" in e["status"] and "notes.txt" in e["status"]
          and "1 other file opened" in e["status"], f"drop: both failures shown: '{e['status'][:160]}'")

    # 14. ONNX: a conformance model's Conv node with its test input reproduces output_0.pb
    model = "/usr/share/libonnx-testdata/data/pytorch-converted/test_Conv2d_padding/model.onnx"
    if os.path.exists(model):
        run(app, f"open_onnx {model}\nuse_onnx 0 test_input\nwait\nframes 3\ndump {T('onnx.json')}\n", tmp, "onnx")
        d = json.load(open(T("onnx.json")))
        check(d["onnx_max_diff"] is not None and d["onnx_max_diff"] < 1e-4,
              f"onnx: {d['layer']} on {d['input_shape']}: max |y - output_0.pb| = {d['onnx_max_diff']}")
    else:
        print("skip onnx: libonnx-testdata not installed")


def workspace_checks(app, cli, tmp, T):
    """The workspace layer under the window: one built-in data source shared with the CLI, intents applied on top of
    every result requested before them, automation that never writes the user's settings, one verb table."""
    here = os.path.dirname(os.path.abspath(__file__))
    seed1 = os.path.join(here, "..", "assets", "scenes", "seed1_conv2d_3_192.json")
    # An intent made before a scene finished loading applies on top of it (was: the scene's own cursor won).
    run(app, f"open_scene {seed1}\ncursor 0 0 16 16\ndump {T('ws_cursor.json')}\n", tmp, "ws_cursor")
    d = json.load(open(T("ws_cursor.json")))
    c = d["cursor"]
    check([c["n"], c["c_out"], c["y"], c["x"]] == [0, 0, 16, 16],
          f"workspace: cursor given right after open_scene is kept: y[{c['n']}, {c['c_out']}, {c['y']}, {c['x']}]")
    # The CLI demo shows the window's numbers: same picture, same weights, same value at the same cursor.
    if cli:
        for at, scene in [((0, 0, 16, 16), None), ((0, 8, 3, 29), None),
                          ((2, 4, 11, 6), os.path.join(here, "..", "assets", "scenes", "seed2_batch_vs_channel.json"))]:
            script = (f"open_scene {scene}\n" if scene else "") + f"cursor {' '.join(map(str, at))}\ndump {T('ws_demo.json')}\n"
            run(app, script, tmp, "ws_demo")
            d = json.load(open(T("ws_demo.json")))
            p = subprocess.run([cli, "demo", "--at", ",".join(map(str, at)), "--json"] + (["--scene", scene] if scene else []),
                               capture_output=True, text=True)
            demo = json.loads(p.stdout) if p.returncode == 0 else {}
            # the cursor's value is the same code on the same data: bit for bit; the window's full-layer output (the
            # fast path, another summation order) within float32 tolerance
            check(p.returncode == 0 and demo.get("value") == d["cursor"]["value"]
                  and abs(d["output_at_cursor"] - d["cursor"]["value"]) <= 1e-5 + 1e-5 * abs(d["cursor"]["value"]),
                  f"workspace: convscope-cli demo y{list(at)} = {demo.get('value')} = window cursor {d['cursor']['value']}"
                  + (f" ({os.path.basename(scene)})" if scene else ""))
    # Scripted runs never write the Recent list (run() points XDG_CONFIG_HOME at tmp/config); --settings-dir does.
    pic = T("ws_pic.png")
    shutil.copy(T("default.png"), pic)
    run(app, f"open_image {pic}\nexpect_status Opened\n", tmp, "ws_no_recent")
    check(not os.path.exists(os.path.join(tmp, "config", "convscope", "recent.json")),
          "workspace: a scripted run leaves the user's recent.json alone")
    settings = T("ws_settings")
    run(app, f"open_image {pic}\nexpect_status Opened\n", tmp, "ws_recent", extra=["--settings-dir", settings])
    rec = os.path.join(settings, "recent.json")
    check(os.path.exists(rec) and os.path.abspath(pic) in open(rec).read(),
          "workspace: --settings-dir names where a scripted run may keep its Recent list")
    import numpy as np  # Debian's python3-numpy (ctest runs this with /usr/bin/python3)
    # Issue 12: a scene naming a file outside its folder reads nothing unless the user agrees; a scripted run has no
    # one to ask, so it refuses unless --allow-outside-paths is given.
    os.makedirs(T("ws_scenes"), exist_ok=True)
    np.save(T("ws_outside_w.npy"), np.full((4, 3, 3, 3), 0.5, np.float32))
    with open(T("ws_scenes/outside.json"), "w") as f:
        json.dump({"version": 1, "input": {"kind": "builtin", "name": "sunset", "height": 8, "width": 8},
                   "layer": {"dims": 2, "in_channels": 3, "out_channels": 4, "kernel_size": [3, 3], "bias": False},
                   "weights": {"kind": "npy", "weight": "../ws_outside_w.npy"}}, f)
    run(app, f"open_scene {T('ws_scenes/outside.json')}\nexpect_status outside its folder: weights.weight = "
             f"{T('ws_outside_w.npy')}\ndump {T('ws_outside.json')}\n", tmp, "ws_outside")
    d = json.load(open(T("ws_outside.json")))
    check(d["geometry"]["c_out"] == 192, f"workspace: a scene naming ../w.npy is not opened without asking "
                                         f"(C_out {d['geometry']['c_out']}, status {d['status']!r})")
    run(app, f"open_scene {T('ws_scenes/outside.json')}\ndump {T('ws_outside2.json')}\n", tmp, "ws_outside2",
        extra=["--allow-outside-paths"])
    d = json.load(open(T("ws_outside2.json")))
    check(d["geometry"]["c_out"] == 4 and d["geometry"]["in"] == [8, 8],
          f"workspace: --allow-outside-paths opens it (C_out {d['geometry']['c_out']}, status {d['status']!r})")
    # Issue 15: PyTorch refuses padding='same' with stride 2 (its text stays); keras_same (the "Use Keras's pads"
    # button) applies TF's pads: 1 before, 2 after for a 5-wide kernel on 32, output ceil(32 / 2) = 16.
    run(app, "set stride 2\nset padding same\nexpect_error padding='same' is not supported for strided convolutions\n"
             f"keras_same\nwait\nexpect_ok\ndump {T('ws_keras_same.json')}\n", tmp, "ws_keras_same")
    g = json.load(open(T("ws_keras_same.json")))["geometry"]
    check(g["pad_begin"] == [1, 1] and g["pad_end"] == [2, 2] and g["out"] == [16, 16] and g["stride"] == [2, 2],
          f"workspace: keras_same gives TF's pads {g['pad_begin']} / {g['pad_end']} and output {g['out']}")
    # One verb table: --help-script lists every verb the parser knows; a bad argument names the usage.
    h = subprocess.run(xvfb() + [app, "--help-script"], capture_output=True, text=True, timeout=60)
    verbs = [l.split()[0] for l in h.stdout.splitlines() if l.startswith("  ") and not l.startswith("      ")]
    check(h.returncode == 0 and {"set", "cursor", "open_scene", "after", "drop"} <= set(verbs),
          f"workspace: --help-script lists {len(verbs)} verbs")
    p = run(app, "cursor 0 0\n", tmp, "ws_bad_args", expect_rc=1)
    check("ws_bad_args.txt:1:" in p.stderr and "usage: cursor n c y x" in p.stderr, "workspace: a bad argument count names the usage")


def overlap(a, b):
    """The area two [x0, y0, x1, y1] rectangles share (0 for panels that only touch)."""
    w, h = min(a[2], b[2]) - max(a[0], b[0]), min(a[3], b[3]) - max(a[1], b[1])
    return max(w, 0) * max(h, 0) if w > 1 and h > 1 else 0


def panel_background_checks(app, tmp, T):
    """Panels that no other window overlaps draw no background of their own (begin_panel: under llvmpipe the
    panels' backgrounds were a screen of fill every frame); where windows overlap, both keep theirs, so nothing
    beneath shows through a panel brought to the front."""
    run(app, f"frames 3\nmouse 3 790\nframes 2\ndump {T('bg_plain.json')}\nscreenshot {T('bg_plain.png')}\n"
             f"code_panel pytorch\nframes 3\nclick 1250 600\nframes 2\nmouse 3 790\nframes 3\n"
             f"dump {T('bg_over.json')}\nscreenshot {T('bg_over.png')}\n", tmp, "backgrounds")
    plain, over = load_json(T("bg_plain.json")), load_json(T("bg_over.json"))
    panels = {w["name"]: w for w in plain["windows"] if w["name"] != "##MainMenuBar"}
    want = {"Layer", "Input", "Computation", "Feature maps", "Channel sums", "Filters", "Playback"}
    check(want <= set(panels), f"backgrounds: the default panels are on screen ({sorted(panels)})")
    touching = [(a, b) for a in panels for b in panels if a < b and overlap(panels[a]["rect"], panels[b]["rect"])]
    check(not touching, f"backgrounds: the default panels tile the window without overlapping ({touching})")
    check(all(not w["background"] for w in panels.values()),
          f"backgrounds: no default panel draws its own background "
          f"({[n for n, w in panels.items() if w['background']]} do)")
    wins = {w["name"]: w for w in over["windows"]}
    if not check("Code" in wins and "Filters" in wins, "backgrounds: Code and Filters are on screen"):
        return
    names = [w["name"] for w in over["windows"]]
    check(names.index("Filters") > names.index("Code"), f"backgrounds: the click brought Filters in front ({names})")
    for name, w in wins.items():
        others = [o for o in over["windows"] if o["name"] not in (name, "##MainMenuBar")]
        overlapped = any(overlap(w["rect"], o["rect"]) for o in others)
        if name != "##MainMenuBar":
            check(w["background"] == overlapped,
                  f"backgrounds: {name} {'overlaps another window' if overlapped else 'overlaps nothing'} and "
                  f"{'draws' if w['background'] else 'skips'} its background")
    # Filters in front of Code shows what it shows without Code behind it: below its title bar, the part over Code
    # is pixel for pixel the same as in the plain scene (without a background of its own, Code's text shows through).
    _, _, plain_px = read_png(T("bg_plain.png"))
    _, _, over_px = read_png(T("bg_over.png"))
    f, c = wins["Filters"]["rect"], wins["Code"]["rect"]
    x0, x1 = int(max(f[0], c[0])) + 3, int(min(f[2], c[2])) - 3
    y0, y1 = int(f[1]) + 30, int(min(f[3], c[3])) - 3
    differ = sum(plain_px(x, y) != over_px(x, y) for y in range(y0, y1) for x in range(x0, x1))
    check(x1 - x0 > 50 and y1 - y0 > 50 and differ == 0,
          f"backgrounds: Filters over Code, region {x0}..{x1} x {y0}..{y1}: {differ} pixels differ from the plain scene")


def input_fit_checks(app, tmp, T):
    """The Input panel's pictures, padding ring included, fit inside the panel without scrolling at UI scale 1 and
    1.5 on 1280x800, and above the im2col and Code overlays when those are open (at 1.5 the pictures were 2 px a
    cell under a scroll bar, their lower half out of the panel)."""
    for scale, overlay in ((1.0, None), (1.5, None), (1.5, "im2col_panel on"), (1.5, "code_panel pytorch")):
        tag = f"fit_{scale}_{overlay.split()[0] if overlay else 'plain'}"
        run(app, f"ui_scale {scale}\n" + (overlay + "\n" if overlay else "") +
            f"frames 3\nmouse 3 790\nframes 2\ndump {T(tag + '.json')}\nscreenshot {T(tag + '.png')}\n", tmp, tag)
        d = load_json(T(tag + ".json"))
        wins = {w["name"]: w["rect"] for w in d["windows"]}
        g = d["geometry"]
        bottom = wins["Input"][3]
        cover = {"im2col_panel": "im2col / GEMM", "code_panel": "Code"}.get(overlay.split()[0] if overlay else "")
        if cover:
            if not check(cover in wins, f"{tag}: {cover} is on screen"):
                continue
            bottom = min(bottom, wins[cover][1])
        pictures = d["input_pixels"] + d["input_rgb"]
        check(len(pictures) == 4, f"{tag}: the three channels and the RGB picture are drawn ({len(pictures)})")
        for p in pictures:
            top = p["y0"] - g["pad_begin"][0] * p["cell"]
            low = p["y0"] + (p["rows"] + g["pad_end"][0]) * p["cell"]
            check(top >= wins["Input"][1] and low <= bottom,
                  f"{tag}: picture c={p['c']} ({top:.0f}..{low:.0f}) lies in the Input panel above y={bottom:.0f}")
            least = 1.5 if cover else 2.5  # (fit_layout goes down to 1.5 px a cell before it lets the panel scroll)
            check(p["cell"] >= least, f"{tag}: picture c={p['c']} at {p['cell']:.2f} px a cell (at least {least})")


def non_finite_weight_checks(app, tmp, T):
    """NaN and infinite weights are drawn as their checkerboard and change nothing else on screen. (Before each
    colour mode and mask had a program of its own, llvmpipe drew the RGB input in the diverging colours and every
    feature map as computed once the filters' texture held a NaN.)"""
    write_png(T("orange.png"), 32, 32, lambda x, y: (200, 120, 40))
    weights = [0.01 * ((i * 37) % 23 - 11) for i in range(192 * 3 * 5 * 5)]
    weights[0], weights[75 + 37], weights[5 * 75: 6 * 75] = float("nan"), float("inf"), [float("nan")] * 75
    write_npy(T("nan_weights.npy"), [192, 3, 5, 5], weights)
    run(app, f"open_image {T('orange.png')}\nload_weights {T('nan_weights.npy')}\nwait\ncursor 0 8 16 16\n"
             f"frames 3\nmouse 3 790\nframes 2\ndump {T('nan_w.json')}\nscreenshot {T('nan_w.png')}\n", tmp, "nan_w")
    d, w, h, px = load(tmp, "nan_w")
    got = rgb_at(d, px, 0, 10, 10)
    check(close(got, (200, 120, 40), 8), f"nan weights: the RGB input keeps its colour (200, 120, 40): {got}")
    pending = [g for g in d["fmap_pixels"] if g["n"] == 0 and g["c"] > 8]
    if check(pending, "nan weights: maps after the cursor's are on screen"):
        g = pending[0]
        got = px(g["x0"] + 5.5 * g["cell"], g["y0"] + 5.5 * g["cell"])
        check(close(got, (51, 54, 61), 4), f"nan weights: map {g['c']} is drawn as not computed yet: {got}")
    nan_map = next((g for g in d["fmap_pixels"] if g["n"] == 0 and g["c"] == 5), None)
    if check(nan_map is not None, "nan weights: map 5 (all-NaN filter) is on screen"):
        cells = [px(nan_map["x0"] + (x + 0.5) * nan_map["cell"], nan_map["y0"] + (y + 0.5) * nan_map["cell"])
                 for y in range(0, 32, 3) for x in range(0, 32, 3)]
        magenta = sum(close(c, (255, 0, 255), 8) for c in cells)
        check(magenta > len(cells) // 4, f"nan weights: map 5 shows the NaN checkerboard ({magenta} of {len(cells)} "
              "sampled cells magenta)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--app", required=True)
    ap.add_argument("--cli", help="convscope-cli (the demo must show the window's numbers)")
    args = ap.parse_args()
    if shutil.which("xvfb-run") is None:
        if os.environ.get("CI"):
            print("FAIL: xvfb-run is missing (install xvfb and xauth); CI must run the GUI test")
            return 1
        print("SKIP: xvfb-run not found")
        return 0
    app = os.path.abspath(args.app)
    with tempfile.TemporaryDirectory() as tmp:
        T = lambda n: os.path.join(tmp, n)

        # 0. an option that needs a value does not take the next option as its value (issue 12: this ran the
        #    window forever with a scene called "--screenshot")
        p = subprocess.run(xvfb() + [app, "--scene", "--screenshot", T("never.png")], capture_output=True, text=True,
                           timeout=60)
        check(p.returncode == 2 and "--scene needs a value, got the option '--screenshot'" in p.stderr
              and not os.path.exists(T("never.png")), f"--scene --screenshot: exit {p.returncode}, {p.stderr.strip()}")

        # 1. the default scene: Conv2d(3, 192, 5, padding=2) on a 32x32 RGB picture
        run(app, f"zoom fmap 6\nframes 2\ndump {T('default.json')}\nscreenshot {T('default.png')}\n", tmp, "default")
        d, w, h, px = load(tmp, "default")
        check((w, h) == (1280, 800), f"default: screenshot is {w}x{h}")
        check(d["error"] == "" and d["output_shape"] == [1, 192, 32, 32], f"default: layer {d['layer']} -> {d['output_shape']}")
        check_window_outline(d, px, "default")
        check_fmap_colours(d, px, "default")
        # clicking a feature-map pixel moves the cursor to that output position
        grid = d["fmap_pixels"][0] if d["fmap_pixels"] else None
        if check(grid is not None, "default: a feature map is on screen"):
            cx, cy = grid["x0"] + 20.5 * grid["cell"], grid["y0"] + 10.5 * grid["cell"]
            run(app, f"zoom fmap 6\nframes 2\nclick {cx} {cy}\ndump {T('clicked.json')}\n", tmp, "clicked")
            cc = json.load(open(T("clicked.json")))["cursor"]
            check((cc["n"], cc["c_out"], cc["y"], cc["x"]) == (grid["n"], grid["c"], 10, 20),
                  f"default: a click on y[{grid['n']}, {grid['c']}, 10, 20] moved the cursor to "
                  f"y[{cc['n']}, {cc['c_out']}, {cc['y']}, {cc['x']}]")

        # 2. move the cursor; the outline follows; MAC granularity
        run(app, "zoom fmap 6\ncursor 0 3 5 7\ngranularity mac\nstep -30\nframes 2\n"
                 f"dump {T('moved.json')}\nscreenshot {T('moved.png')}\n", tmp, "moved")
        d, w, h, px = load(tmp, "moved")
        c = d["cursor"]
        check((c["c_out"], c["y"], c["x"]) == (3, 5, 7) and c["granularity"] == "mac" and c["mac"] == 74 - 30,
              f"moved: cursor at y[0, {c['c_out']}, {c['y']}, {c['x']}], MAC {c['mac']}")
        check_window_outline(d, px, "moved")
        check_fmap_colours(d, px, "moved")

        # 3. stride 2, dilation 2, reflect padding: the outline still sits on the right pixels
        run(app, "set stride 2\nset dilation 2\nset padding 4\nset padding_mode reflect\ncursor 0 1 3 9\nframes 2\n"
                 f"dump {T('strided.json')}\nscreenshot {T('strided.png')}\n", tmp, "strided")
        d, w, h, px = load(tmp, "strided")
        check(d["output_shape"] == [1, 192, 16, 16] and d["geometry"]["padding_mode"] == "reflect",
              f"strided: {d['layer']} -> {d['output_shape']}")
        check_window_outline(d, px, "strided")

        # 4. invalid setting: kernel bigger than the input -> PyTorch's error in red; the app keeps running
        run(app, "set kernel_size 40\nexpect_error Kernel size can't be greater than actual input size\nframes 2\n"
                 f"dump {T('invalid.json')}\nscreenshot {T('invalid.png')}\nset kernel_size 3\nexpect_ok\n", tmp, "invalid")
        d, w, h, px = load(tmp, "invalid")
        check("Kernel size can't be greater than actual input size" in d["error"], f"invalid: error text '{d['error'][:70]}...'")
        check(d["output_shape"] == [1, 192, 32, 32], "invalid: the last valid layer stays on screen")
        r = d["error_rect"]
        red = 0
        if check(r is not None, "invalid: the error is drawn"):
            for y in range(int(r[1]), int(r[3])):
                for x in range(int(r[0]), int(r[2])):
                    p = px(x, y)
                    red += p[0] > 180 and p[1] < 140 and p[2] < 140
        check(red > 100, f"invalid: {red} red text pixels in the error area")

        # 5. script errors exit 1 with a clear message
        p = run(app, "set kernel_size 3\nfly_to_the_moon 1\n", tmp, "unknown", expect_rc=1)
        check("unknown action 'fly_to_the_moon'" in p.stderr and ":2:" in p.stderr, f"unknown: message '{p.stderr.strip()[:80]}'")

        # 6. hover: an interior input pixel feeds 5x5 positions in each of the 192 maps
        run(app, f"hover 1 10 12\nframes 2\ndump {T('hover.json')}\n", tmp, "hover")
        d = json.load(open(T("hover.json")))
        check(d["hover"] == [0, 1, 10, 12] and d["hover_hits"] == 192 * 25, f"hover: x[0,1,10,12] feeds {d['hover_hits']} outputs")

        # 7. batch vs channel: 3 items never mix
        run(app, f"preset batch_vs_channel\nframes 2\ndump {T('batch.json')}\nscreenshot {T('batch.png')}\n"
                 f"preset channel_stack\nframes 2\ndump {T('stack.json')}\n", tmp, "batch")
        d = json.load(open(T("batch.json")))
        items = sorted({r["n"] for r in d["fmap_pixels"]})
        check(d["output_shape"] == [3, 6, 24, 24] and items == [0, 1, 2], f"batch: (3,1,28,28) -> {d['output_shape']}, maps drawn for items {items}")
        s = json.load(open(T("stack.json")))
        check(s["output_shape"] == [1, 6, 24, 24] and len(s["window_outline"]) == 3,
              f"batch: (1,3,28,28) -> {s['output_shape']}, one window over {len(s['window_outline'])} channels")

        # 8. Conv1d preset draws and exits cleanly
        run(app, f"preset conv1d\nframes 2\ndump {T('c1.json')}\n", tmp, "conv1d")
        d = json.load(open(T("c1.json")))
        check(d["output_shape"] == [2, 4, 15], f"conv1d: {d['layer']} -> {d['output_shape']}")

        panel_background_checks(app, tmp, T)
        input_fit_checks(app, tmp, T)
        non_finite_weight_checks(app, tmp, T)
        after_checks(app, tmp, T)
        data_in_checks(app, tmp, T)
        workspace_checks(app, args.cli, tmp, T)

    print("\n%d failure(s)" % len(FAILURES))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
