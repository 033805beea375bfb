"""Command-line entry points, one per pipeline stage: `nnbayes <stage> --flags`.

Rules call these from `shell:`; each parses flags, resolves device/dtype/threads once, and
calls a library function. Nothing here reads config.yaml.
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd


def _data(a):
    from nnbayes.boolean import bits_to_str, boolean_cube, target_function, train_mask
    from nnbayes.complexity import lz_complexity
    from nnbayes.io import write_table

    cube = boolean_cube(a.n)
    write_table(pd.DataFrame(cube, columns=[f"x{i + 1}" for i in range(a.n)]), a.cube, {"n": a.n})
    targets = {name: target_function(spec, a.n) for name, spec in json.loads(a.targets).items()}
    bits = np.array(list(targets.values()), dtype=np.uint8).reshape(len(targets), 2**a.n)
    write_table(pd.DataFrame({"name": list(targets), "bits": [bits_to_str(b) for b in bits],
                              "t": bits.sum(1), "clz": lz_complexity(bits)}), a.targets_out)
    splits = json.loads(a.splits)
    rows = [(m, s, bits_to_str(train_mask(2**a.n, m, s))) for m in splits["m"] for s in splits["seeds"]]
    write_table(pd.DataFrame(rows, columns=["m", "seed", "train_mask"]), a.splits_out)


def _images(a):
    from nnbayes.images import load_images

    spec = json.loads(a.spec)
    X, digits, y = load_images(spec["source"], spec.get("mnist_root"), rule=spec["rule"])
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(a.out).with_suffix(".tmp.npz")
    np.savez(tmp, X=X, digits=digits, y=y)
    tmp.replace(a.out)
    print(f"{len(X)} images, {X.shape[1]} features, P(y=1) = {y.mean():.3f}")


def _sample_prior(a):
    import torch

    from nnbayes.device import generator, resolve_device, resolve_dtype
    from nnbayes.io import read_table, write_table
    from nnbayes.prior import sample_shard, shard_seed

    torch.set_num_threads(a.threads)
    device = resolve_device(a.device)
    spec = json.loads(a.spec)
    cube = read_table(a.cube).to_numpy(dtype=np.uint8)
    seed = shard_seed(a.seed, a.name, a.shard)
    df = sample_shard(spec, cube, a.samples, a.record, batch=a.batch, gen=generator(seed, device),
                      device=device, dtype=resolve_dtype(a.dtype), progress=True)
    meta = {"name": a.name, "spec": spec, "record": a.record, "samples": a.samples,
            "shard": a.shard, "seed": a.seed, "shard_seed": seed, "device": device.type,
            "dtype": a.dtype, "n_points": len(cube)}
    write_table(df, a.out, meta)
    print(f"{a.name} shard {a.shard}: {a.samples} nets on {device}, {len(df)} rows")


def _merge_prior(a):
    from nnbayes.io import read_meta, read_table, write_table
    from nnbayes.tables import merge_counts

    metas = [read_meta(p) for p in a.shards]
    df = merge_counts([read_table(p) for p in a.shards], metas[0]["n_points"])
    meta = {k: metas[0][k] for k in ("name", "spec", "record", "seed", "dtype", "n_points")}
    meta.update(samples=sum(m["samples"] for m in metas), shards=len(metas))
    write_table(df, a.out, meta)
    print(f"{meta['name']}: {meta['samples']} nets, {len(df)} rows")


def _checks(a):
    from nnbayes.checks import figure_checks

    df = figure_checks(a.figure, a.tables)
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(a.out, index=False)
    print(df.to_string(index=False))


def _render(a):
    from nnbayes.notebook import render

    render(a.notebook, a.executed, a.html, {name: values for name, *values in a.p})


def _report(a):
    from nnbayes.report import write_report

    write_report(a.checks, a.scale, a.summary, a.index)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="nnbayes", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("data", help="Boolean cube, named targets and train/test splits")
    s.add_argument("--n", type=int, required=True)
    s.add_argument("--targets", required=True, help="JSON {name: target spec}")
    s.add_argument("--splits", required=True, help='JSON {"m": [...], "seeds": [...]}')
    s.add_argument("--cube", required=True)
    s.add_argument("--targets-out", required=True)
    s.add_argument("--splits-out", required=True)
    s.set_defaults(func=_data)

    s = sub.add_parser("images", help="binarised image data set (no download)")
    s.add_argument("--spec", required=True, help='JSON {"source", "rule", "mnist_root"}')
    s.add_argument("--out", required=True)
    s.set_defaults(func=_images)

    s = sub.add_parser("sample-prior", help="one shard of prior samples, counted")
    s.add_argument("--cube", required=True)
    s.add_argument("--spec", required=True, help="JSON sampler spec")
    s.add_argument("--record", required=True)
    s.add_argument("--samples", type=int, required=True)
    s.add_argument("--name", required=True, help="sample-set name (enters the seed)")
    s.add_argument("--shard", type=int, required=True)
    s.add_argument("--seed", type=int, required=True)
    s.add_argument("--batch", type=int, default=256)
    s.add_argument("--device", default="auto")
    s.add_argument("--dtype", default="float32")
    s.add_argument("--threads", type=int, default=1)
    s.add_argument("--out", required=True)
    s.set_defaults(func=_sample_prior)

    s = sub.add_parser("merge-prior", help="sum shard counts, annotate t, entropy, C_LZ")
    s.add_argument("--out", required=True)
    s.add_argument("shards", nargs="+")
    s.set_defaults(func=_merge_prior)

    s = sub.add_parser("checks", help="the numbers a figure is judged by")
    s.add_argument("--figure", required=True)
    s.add_argument("--out", required=True)
    s.add_argument("tables", nargs="+")
    s.set_defaults(func=_checks)

    s = sub.add_parser("render", help="run a jupytext notebook with papermill, export HTML")
    s.add_argument("notebook")
    s.add_argument("--executed", required=True, help="executed .ipynb (kept on failure)")
    s.add_argument("--html", required=True)
    s.add_argument("-p", nargs="+", action="append", default=[], metavar=("NAME", "VALUE"),
                   help="parameter: NAME VALUE [VALUE ...]")
    s.set_defaults(func=_render)

    s = sub.add_parser("report", help="summary of every figure's checks + an index page")
    s.add_argument("--scale", required=True)
    s.add_argument("--summary", required=True)
    s.add_argument("--index", required=True)
    s.add_argument("checks", nargs="+")
    s.set_defaults(func=_report)
    return p


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    sys.exit(main())
