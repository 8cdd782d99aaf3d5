#!/usr/bin/env python3
"""View -> Conventions and the Code panel, run headless in the real window under Xvfb.

Checks, on the Q3 and Q6 lesson scenes (assets/lessons), at 1280x800 and at UI scale 1.5:
  * Keras mode writes channels-last shapes (N, H, W, C), the kernel as (kH, kW, in/groups, filters), the layer with
    Keras's argument names and the parameter formula [(kH*kW*in/groups) + 1]*filters. Every expected text is rebuilt
    here from live PyTorch (torch.nn.Conv2d on the dump's layer and input) and permuted to Keras's order in Python;
  * the numbers do not change: the output at the cursor and the multiply-add's factors are the same in both modes,
    and the Keras MAC line indexes x[n, y, x, c] * kernel[ky, kx, c, o] at the PyTorch cursor's (n, c, y, x, ky, kx);
  * the Code panel's snippet equals `convscope-cli code --scene` on the scene the window saved, for PyTorch, Keras
    and NumPy; its ONNX summary names the attributes and shapes of the model `code --framework onnx` writes (read
    back with the onnx package); the snippet is made again when the cursor moves, not every frame;
  * the convention is remembered across restarts with --settings-dir (settings.json), not written without one, and a
    scene file's "conventions" key sets the window's naming without changing the remembered one;
  * screenshots at 1280x800 and UI scale 1.5 are written (and kept with --keep DIR for a person to look at).
Usage: conventions_gui_test.py --app build/convscope --cli build/convscope-cli [--keep DIR]
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import onnx
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gui_util import FAILURES, check, run_script as run, load_json as load  # noqa: E402


def module_of(d):
    m = re.match(r"nn\.(Conv[12]d)\((.*)\)$", d["layer"])
    assert m, d["layer"]
    return eval("torch.nn." + m.group(1) + "(" + m.group(2) + ")")


def tup(s):
    s = list(s)
    return "(" + ", ".join(map(str, s)) + ("," if len(s) == 1 else "") + ")"


def keras_texts(d):
    """What Keras mode must write for the dump's layer, from PyTorch's shapes permuted here."""
    conv = module_of(d)
    x = torch.zeros(d["input_shape"])
    y = conv(x)
    w = list(conv.weight.shape)  # (out, in/groups, kH, kW)
    out, cin_g, kh, kw = w
    params = sum(p.numel() for p in conv.parameters())
    bias = conv.bias is not None
    plus = " + 1" if bias else ""
    return {
        "input_shape": tup([x.shape[0], x.shape[2], x.shape[3], x.shape[1]]),
        "output_shape": tup([y.shape[0], y.shape[2], y.shape[3], y.shape[1]]),
        "weight_shape": tup([kh, kw, cin_g, out]),
        "bias_shape": tup([out]) if bias else "",
        "parameter_formula": f"params = [(kH*kW*in/groups){plus}]*filters = [({kh}*{kw}*{conv.in_channels}/"
                             f"{conv.groups}){plus}]*{out} = {params:,}",
        "layer_args": [f"filters={out}", f"kernel_size=({kh}, {kw})", f"strides={tup(conv.stride)}",
                       f"dilation_rate={tup(conv.dilation)}", f"groups={conv.groups}",
                       f"use_bias={'True' if bias else 'False'}"],
    }


def check_keras(d, name, torch_dump=None):
    c = d["conventions"]
    w = c["written"]
    want = keras_texts(d)
    check(c["name"] == "Keras", f"{name}: conventions Keras")
    for key in ("input_shape", "output_shape", "weight_shape", "bias_shape", "parameter_formula"):
        check(c[key] == want[key], f"{name}: {key} {c[key]!r} = {want[key]!r}")
    check(c["weight_axes"] == "(kH, kW, in/groups, filters)" and c["input_axes"] == "(N, H, W, C)",
          f"{name}: axis names {c['input_axes']} {c['weight_axes']}")
    check(w.get("layer.shapes") == f"x: {want['input_shape']} -> y: {want['output_shape']}",
          f"{name}: Layer panel wrote {w.get('layer.shapes')!r}")
    check(w.get("layer.parameters") == want["parameter_formula"], f"{name}: Layer panel wrote {w.get('layer.parameters')!r}")
    check(w.get("filters.header") == "kernel " + want["weight_shape"], f"{name}: Filters wrote {w.get('filters.header')!r}")
    check(w.get("feature_maps.header") == "y " + want["output_shape"], f"{name}: Feature maps wrote {w.get('feature_maps.header')!r}")
    check(w.get("input.header") == "x " + want["input_shape"], f"{name}: Input wrote {w.get('input.header')!r}")
    layer = w.get("layer.layer", "")
    check(layer.startswith("Conv2D(") and all(a in layer for a in want["layer_args"]) and "padding='" in layer,
          f"{name}: layer in Keras's words: {layer}")
    cur = d["cursor"]
    y_idx = f"y[{cur['n']}, {cur['y']}, {cur['x']}, {cur['c_out']}]"
    check(w.get("computation.output", "").startswith(y_idx), f"{name}: Computation names {y_idx}: {w.get('computation.output')!r}")
    if cur["granularity"] == "mac":
        mac = w.get("computation.mac", "")
        k_idx = f"kernel[{cur['ky']}, {cur['kx']}, {cur['ci']}, {cur['c_out']}]"
        check(k_idx in mac, f"{name}: MAC line indexes {k_idx}: {mac!r}")
        if torch_dump is not None:
            tm = torch_dump["conventions"]["written"].get("computation.mac", "")
            check(tm.split(" = ", 1)[1:] == mac.split(" = ", 1)[1:] and tm != mac,
                  f"{name}: the same numbers in both conventions: {tm!r} / {mac!r}")
    if torch_dump is not None:
        check(torch_dump["output_at_cursor"] == d["output_at_cursor"] and torch_dump["cursor"] == d["cursor"],
              f"{name}: the cursor and its value do not change with the naming")
        tw = torch_dump["conventions"]
        check(tw["name"] == "PyTorch" and tw["weight_shape"] == tup(module_of(d).weight.shape).replace("(", "[")
              .replace(")", "]"), f"{name}: PyTorch mode writes weight {tw['weight_shape']}")


def cli_code(cli, framework, scene):
    p = subprocess.run([cli, "code", "--framework", framework, "--scene", scene], capture_output=True, text=True,
                       timeout=120)
    check(p.returncode == 0, f"cli code {framework} --scene: exit {p.returncode} {p.stderr.strip()[-200:]}")
    return p.stdout


def check_onnx_summary(cli, scene, text, tmp):
    out = os.path.join(tmp, "onnx_out")
    p = subprocess.run([cli, "code", "--framework", "onnx", "--scene", scene, "--output", out, "--force"],
                       capture_output=True, text=True, timeout=120)
    if not check(p.returncode == 0, f"cli code onnx: exit {p.returncode} {p.stderr.strip()[-200:]}"):
        return
    m = onnx.load(os.path.join(out, "model.onnx"))
    node = m.graph.node[0]
    attrs = {a.name: (list(a.ints) if a.ints else a.i) for a in node.attribute}
    line = (f"kernel_shape={attrs['kernel_shape']}  strides={attrs['strides']}  dilations={attrs['dilations']}  "
            f"pads={attrs['pads']}  group={attrs['group']}")
    check(line in text, f"ONNX summary has the exported node's attributes: {line}")
    check(f"opset {m.opset_import[0].version}" in text, "ONNX summary names the opset")
    for init in m.graph.initializer:
        check(re.search(rf"initializer\s+{init.name}\s+float32 \[{', '.join(map(str, init.dims))}\]", text) is not None,
              f"ONNX summary: initializer {init.name} {list(init.dims)}")
    dims = [d.dim_value for d in m.graph.output[0].type.tensor_type.shape.dim]
    check(f"float32 [{', '.join(map(str, dims))}]" in text, f"ONNX summary: output {dims}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--app", required=True)
    ap.add_argument("--cli", required=True)
    ap.add_argument("--keep", help="copy the screenshots and dumps here")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="convscope_conventions_")
    T = lambda n: os.path.join(tmp, n)
    settings = T("settings")
    try:
        # 1. Q3 and Q6 in Keras mode, both UI scales; the Code panel on the saved Q3 scene.
        for scale, tag in ((1.0, "s100"), (1.5, "s150")):
            lines = [f"ui_scale {scale}", "conventions pytorch", "lesson q3_keras_params", "wait", "granularity mac", "frames 2",
                     f"dump {T(tag + '_q3_torch.json')}",
                     "conventions keras", "frames 2", f"dump {T(tag + '_q3_keras.json')}",
                     f"screenshot {T(tag + '_q3_keras.png')}",
                     "lesson q6_keras_layout", "wait", "lesson_next", "granularity mac", "conventions pytorch", "frames 2",
                     f"dump {T(tag + '_q6_torch.json')}", "conventions keras", "frames 2",
                     f"dump {T(tag + '_q6_keras.json')}", f"screenshot {T(tag + '_q6_keras.png')}",
                     "lesson_close", "lesson q3_keras_params", "wait", "granularity mac",
                     f"save_scene {T(tag + '_q3.json')} overwrite", "code_panel pytorch", "frames 3",
                     f"dump {T(tag + '_code_pytorch.json')}", f"screenshot {T(tag + '_code.png')}",
                     "frames 5", f"dump {T(tag + '_code_pytorch_later.json')}",
                     "code_panel keras", f"dump {T(tag + '_code_keras.json')}",
                     "code_panel numpy", f"dump {T(tag + '_code_numpy.json')}",
                     "code_panel onnx", f"dump {T(tag + '_code_onnx.json')}",
                     f"screenshot {T(tag + '_code_onnx.png')}",
                     "code_panel pytorch", "cursor 1 7 3 4", "frames 2", f"dump {T(tag + '_code_moved.json')}"]
            run(args.app, lines, tmp, tag + "_keras", ["--settings-dir", settings])
            for q in ("q3", "q6"):
                check_keras(load(T(f"{tag}_{q}_keras.json")), f"{tag} {q}", load(T(f"{tag}_{q}_torch.json")))
            scene = T(tag + "_q3.json")
            with open(scene) as f:
                check(json.load(f)["view"].get("conventions") == "keras", f"{tag}: the saved scene says keras")
            snippets = {}
            for fw in ("pytorch", "keras", "numpy"):
                d = load(T(f"{tag}_code_{fw}.json"))
                snippets[fw] = d["code"]["text"]
                check(d["code"]["open"] and d["code"]["framework"] == fw and not d["code"]["error"],
                      f"{tag}: Code panel open on {fw}")
                check(d["code"]["text"] == cli_code(args.cli, fw, scene),
                      f"{tag}: the Code panel's {fw} snippet = convscope-cli code --scene")
            onnx_dump = load(T(f"{tag}_code_onnx.json"))
            check_onnx_summary(args.cli, scene, onnx_dump["code"]["text"], tmp)
            first, later = load(T(f"{tag}_code_pytorch.json")), load(T(f"{tag}_code_pytorch_later.json"))
            check(later["code"]["generated"] == first["code"]["generated"],
                  f"{tag}: the snippet is not made again while nothing changes ({first['code']['generated']} times)")
            moved = load(T(f"{tag}_code_moved.json"))
            check(moved["code"]["generated"] > onnx_dump["code"]["generated"] and moved["code"]["text"] != snippets["pytorch"],
                  f"{tag}: the snippet follows the cursor")
            c = moved["cursor"]
            check(f"y[{c['n']}, {c['c_out']}, {c['y']}, {c['x']}]" in moved["code"]["text"],
                  f"{tag}: the moved snippet prints y at the new cursor")

        # 2. Remembered across restarts with --settings-dir; none without it; a scene's key is not remembered.
        with open(os.path.join(settings, "settings.json")) as f:
            check(json.load(f).get("conventions") == "keras", "settings.json remembers keras")
        run(args.app, [f"dump {T('restart1.json')}", "conventions pytorch", "frames 2"], tmp, "restart1",
            ["--settings-dir", settings])
        check(load(T("restart1.json"))["conventions"]["name"] == "Keras", "restart: the window opens in Keras mode")
        run(args.app, [f"dump {T('restart2.json')}", f"open_scene {T('s100_q3.json')}", "wait", "frames 2",
                       f"dump {T('restart2_scene.json')}"], tmp, "restart2", ["--settings-dir", settings])
        r2, r2s = load(T("restart2.json")), load(T("restart2_scene.json"))
        check(r2["conventions"]["name"] == "PyTorch", "restart after choosing PyTorch: PyTorch")
        check(r2s["conventions"]["name"] == "Keras" and r2s["conventions"]["remembered"] == "pytorch",
              "a scene saved in Keras mode opens in Keras mode, the remembered choice stays pytorch")
        with open(os.path.join(settings, "settings.json")) as f:
            check(json.load(f).get("conventions") == "pytorch", "settings.json now says pytorch")
        run(args.app, ["conventions keras", "frames 2", f"dump {T('nosettings.json')}"], tmp, "nosettings")
        check(not os.path.exists(os.path.join(tmp, "xdg", "convscope", "settings.json")),
              "a scripted run without --settings-dir writes no settings")
        bad = T("bad_scene.json")
        with open(T("s100_q3.json")) as f:
            text = f.read().replace('"conventions": "keras"', '"conventions": "tf"')
        with open(bad, "w") as f:
            f.write(text)
        run(args.app, [f"open_scene {bad}", "wait", "frames 2", f"dump {T('bad.json')}"], tmp, "bad_scene")
        status = load(T("bad.json"))["status"]
        check("view.conventions" in status and "\"keras\"" in status, f"an unknown conventions value is refused: {status}")
    finally:
        if args.keep:
            os.makedirs(args.keep, exist_ok=True)
            for n in os.listdir(tmp):
                if n.endswith((".png", ".json")):
                    shutil.copy(os.path.join(tmp, n), args.keep)
        shutil.rmtree(tmp, ignore_errors=True)
    if FAILURES:
        print(f"{len(FAILURES)} check(s) failed")
        return 1
    print("all conventions window checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
