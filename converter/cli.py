"""`litert-convert`: Keras model files to .tflite from the command line.

    litert-convert model.keras -o model.tflite     convert (also .h5)
    litert-convert model.keras --info              per-layer table: ops, output shape, params
    litert-convert model.keras --quantize float16 -o model.tflite    float16 weights (~1/2 size)
    litert-convert model.keras --quantize dynamic -o model.tflite    int8 weights (~1/4 size)
    litert-convert model.keras --quantize int8 --calibration data.npy [--io int8|float] \
        -o model.tflite      full-integer model, calibrated on the samples in data.npy
                             (axis 0; an .npz file holds one array per model input)
    litert-convert model.keras --prune 0.75 [--prune-block 1x1|1x4|4x1] -o model.tflite
                             zero 75% of each conv / dense weight by magnitude and store
                             the weights sparse (combines with --quantize)

Errors print one line `litert-convert: error: ...` and exit with status 1; usage errors exit
with status 2 (argparse)."""
from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Optional, Sequence

PROG = "litert-convert"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=PROG,
        description="Convert a trained Keras 3 model (.keras or .h5 file) to a TensorFlow Lite "
                    "flatbuffer (.tflite) that runs in litert and TensorFlow Lite.")
    p.add_argument("model", help="Keras model file (.keras or .h5)")
    p.add_argument("-o", "--output", metavar="OUT.tflite", help="write the converted model here")
    p.add_argument("--info", action="store_true",
                   help="print what each layer converts to (ops, output shape, parameters, "
                        "weight bytes) instead of, or as well as, writing a file")
    p.add_argument("--no-optimize", dest="optimize", action="store_false",
                   help="skip the graph passes (activation fusion, batch-norm and constant "
                        "folding, identity removal)")
    p.add_argument("--quantize", choices=("float16", "dynamic", "int8"), default=None,
                   help="store weights compressed: float16 (half the size, float16 weights "
                        "dequantized at load), dynamic (int8 weights of conv, depthwise and "
                        "fully-connected ops, run as hybrid ops on float activations) or int8 "
                        "(full-integer model; needs --calibration)")
    p.add_argument("--calibration", metavar="DATA.npy",
                   help="representative input samples for --quantize int8: a .npy array "
                        "(samples along axis 0) or an .npz file with one array per model "
                        "input (named like the inputs, or arr_0, arr_1, ... in input order)")
    p.add_argument("--io", dest="io_dtype", choices=("int8", "float"), default="int8",
                   help="--quantize int8: type of the model's inputs and outputs (default "
                        "int8; float adds QUANTIZE / DEQUANTIZE ops inside the model)")
    p.add_argument("--prune", type=float, metavar="SPARSITY", default=None,
                   help="magnitude-prune each conv, depthwise and dense weight to this "
                        "fraction of zeros (0 to 0.95) and store weights sparse where the "
                        "file gets smaller; 0 stores already-pruned weights sparse")
    p.add_argument("--report", action="store_true",
                   help="print, per layer, weight bytes before and after --quantize / --prune, "
                        "sparsity, and the error of the layer's output against float32 "
                        "measured on --calibration data (when given)")
    p.add_argument("--prune-block", choices=("1x1", "1x4", "4x1"), default="1x1",
                   help="--prune in blocks: 1x1 element-wise (default), 1x4 four "
                        "consecutive input channels, 4x1 four consecutive output channels")
    return p


def load_calibration(path: str):
    """The calibration data in a .npy / .npz file (an array, or a dict name -> array)."""
    import numpy as np
    from .registry import ConversionError

    if not os.path.exists(path):
        raise ConversionError(f"{path}: no such calibration file")
    try:
        data = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as exc:
        raise ConversionError(f"{path}: not a NumPy .npy or .npz file ({exc})") from exc
    if isinstance(data, np.ndarray):
        return data
    with data:
        return {name: data[name] for name in data.files}


def format_info(rows) -> str:
    """The --info table as text."""
    header = ["layer", "class", "op(s)", "output shape", "params", "weight bytes"]
    body = [[r["layer"], r["class"], " ".join(r["ops"]),
             "x".join("?" if d == -1 else str(d) for d in (r["output_shape"] or [])),
             str(r["params"]), str(r["weight_bytes"])] for r in rows]
    widths = [max(len(h), *(len(b[i]) for b in body)) if body else len(h)
              for i, h in enumerate(header)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(header, widths)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(b, widths)).rstrip() for b in body]
    n_ops = sum(len(r["ops"]) for r in rows)
    lines.append(f"{len(rows)} layers, {n_ops} ops, {sum(r['params'] for r in rows)} parameters, "
                 f"{sum(r['weight_bytes'] for r in rows)} weight bytes")
    return "\n".join(lines)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = _parser().parse_args(argv)
    if not args.info and not args.output and not args.report:
        _parser().error("give -o OUT.tflite to convert, or --info / --report to inspect the "
                        "model")
    if args.quantize == "int8" and (args.output or args.report) and not args.calibration:
        _parser().error("--quantize int8 needs --calibration DATA.npy (representative inputs)")
    if args.calibration and args.quantize != "int8" and not args.report:
        _parser().error("--calibration applies to --quantize int8 and --report only")
    if args.prune is not None and not 0.0 <= args.prune <= 0.95:
        _parser().error(f"--prune must be in [0, 0.95], not {args.prune}")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        from .api import convert, load_model, model_info
        from .registry import ConversionError

        try:
            model = load_model(args.model)
            if args.info:
                print(format_info(model_info(model, optimize=args.optimize)))
            if args.report:
                from .report import report_for_cli

                calibration = load_calibration(args.calibration) if args.calibration else None
                print(report_for_cli(model, args.quantize, calibration, prune=args.prune,
                                     prune_block=args.prune_block))
            if args.output:
                start = time.perf_counter()
                extra = {}
                if args.quantize == "int8":
                    extra = dict(calibration=load_calibration(args.calibration),
                                 io_dtype=args.io_dtype)
                if args.prune is not None:
                    extra.update(prune=args.prune, prune_block=args.prune_block)
                content = convert(model, optimize=args.optimize, quantize=args.quantize,
                                  **extra)
                with open(args.output, "wb") as f:
                    f.write(content)
                print(f"wrote {args.output} ({len(content)} bytes) in "
                      f"{time.perf_counter() - start:.2f} s")
        except (ConversionError, OSError) as exc:
            msg = str(exc).replace("\n", " ")
            print(f"{PROG}: error: {msg}", file=sys.stderr)
            return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
