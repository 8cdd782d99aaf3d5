#!/usr/bin/python3
"""ONNX conformance: every conv/pool case of libonnx-testdata through `convscope-cli onnx-check`.

Cases: every directory under data/node/ whose name contains "conv" or "pool" (case-insensitive), and the
pytorch-converted test_Conv* and test_*Pool* directories. The expected values are ONNX's own (the oracle); the
tolerance is ONNX's backend-test rule (rtol 1e-3, atol 1e-7), applied by onnx-check.

Every case ends in exactly one of:
  passed       onnx-check exit 0
  unsupported  outside what convscope computes, by a rule below (3-D, quantized, MaxPool's argmax
               output, MaxUnpool) AND onnx-check says "unsupported"; listed by name with onnx-check's reason
  failed       anything else: a supported case that does not pass, or an unsupported-by-rule case that onnx-check
               computes wrongly or rejects for another reason
The test fails if any case failed, or if no case was found (the test data is missing: exit 77, "skipped").

Usage: onnx_conformance.py --cli build/convscope-cli [--data /usr/share/libonnx-testdata/data] [-v]
"""
import argparse
import json
import os
import re
import subprocess
import sys

# Cases convscope does not compute, each with the reason. A case matching a rule must be reported "unsupported" by
# onnx-check; one that passes instead is accepted (and flagged so the rule can be narrowed).
UNSUPPORTED_RULES = [
    (re.compile(r"3d", re.I), "3-D convolution/pooling (convscope computes 1-D and 2-D)"),
    (re.compile(r"convinteger|qlinearconv", re.I), "quantized convolution (ConvInteger / QLinearConv)"),
    (re.compile(r"maxpool_with_argmax", re.I), "MaxPool's second output (argmax Indices)"),
    (re.compile(r"maxunpool", re.I), "MaxUnpool"),
]


def cases(data):
    found = []
    node = os.path.join(data, "node")
    if os.path.isdir(node):
        for name in sorted(os.listdir(node)):
            low = name.lower()
            if "conv" in low or "pool" in low:
                found.append(os.path.join(node, name))
    conv = os.path.join(data, "pytorch-converted")
    if os.path.isdir(conv):
        for name in sorted(os.listdir(conv)):
            if name.startswith("test_Conv") or re.match(r"test_.*Pool", name):
                found.append(os.path.join(conv, name))
    return [d for d in found if os.path.isdir(d)]


def expected_unsupported(name):
    for pattern, reason in UNSUPPORTED_RULES:
        if pattern.search(name):
            return reason
    return None


def run_case(cli, case):
    proc = subprocess.run([cli, "onnx-check", case, "--json"], capture_output=True, text=True, timeout=300)
    try:
        result = json.loads(proc.stdout)
    except json.JSONDecodeError:
        result = {"status": "error", "reason": "no JSON from onnx-check (exit %d): %s%s" %
                  (proc.returncode, proc.stdout[-500:], proc.stderr[-500:])}
    # The exit code must agree with the status.
    if (proc.returncode == 0) != (result.get("status") == "pass"):
        result = {"status": "error", "reason": "exit code %d with status %r: %s" %
                  (proc.returncode, result.get("status"), proc.stderr.strip())}
    return result


def errors_text(result):
    parts = []
    for ds in result.get("data_sets", []):
        for out in ds.get("outputs", []):
            if "max_abs_error" in out:
                parts.append("%s %s: max abs err %.3g, max rel err %.3g%s" % (
                    ds["name"], out["name"], out["max_abs_error"] if out["max_abs_error"] is not None else float("nan"),
                    out["max_rel_error"] if out["max_rel_error"] is not None else float("nan"),
                    "" if out.get("pass") else " (%d mismatches, worst at %s: got %r, expected %r)" % (
                        out.get("mismatches", 0), out.get("worst_index"), out.get("worst_got"),
                        out.get("worst_expected"))))
            elif "error" in out:
                parts.append("%s %s: %s" % (ds["name"], out["name"], out["error"]))
    return "; ".join(parts)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cli", required=True, help="path to convscope-cli")
    ap.add_argument("--data", default="/usr/share/libonnx-testdata/data", help="libonnx-testdata's data directory")
    ap.add_argument("-v", "--verbose", action="store_true", help="print the errors of passing cases too")
    args = ap.parse_args()

    found = cases(args.data)
    if not found:
        print("no conv/pool conformance cases under %s (is libonnx-testdata installed?)" % args.data)
        return 77

    passed, unsupported, failed, surprising = [], [], [], []
    for case in found:
        label = os.path.join(os.path.basename(os.path.dirname(case)), os.path.basename(case))
        rule = expected_unsupported(os.path.basename(case))
        result = run_case(args.cli, case)
        status, reason = result.get("status"), result.get("reason", "")
        if status == "pass":
            passed.append(label)
            if rule:
                surprising.append((label, rule))
            print("PASS         %s%s" % (label, ("  " + errors_text(result)) if args.verbose else ""))
        elif status == "unsupported" and rule:
            unsupported.append((label, rule, reason))
            print("UNSUPPORTED  %s  [%s]  %s" % (label, rule, reason))
        else:
            why = reason or errors_text(result)
            if status == "unsupported":
                why = "reported unsupported, but no rule says this case is out of scope: " + why
            elif rule:
                why = "out of scope (%s), but onnx-check said %s: %s" % (rule, status, why)
            failed.append((label, status, why))
            print("FAIL         %s  (%s) %s" % (label, status, why))

    print()
    print("passed: %d   unsupported: %d   failed: %d   (of %d cases)" % (
        len(passed), len(unsupported), len(failed), len(found)))
    if unsupported:
        print("unsupported, by name:")
        for label, rule, reason in unsupported:
            print("  %s: %s" % (label, rule))
    if surprising:
        print("passed although a rule lists them as unsupported (narrow the rule):")
        for label, rule in surprising:
            print("  %s: %s" % (label, rule))
    if failed:
        print("failed:")
        for label, status, why in failed:
            print("  %s (%s): %s" % (label, status, why))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
