"""Command-line entry points, one per pipeline stage: `nnbayes <stage> --flags`.

Rules call these from `shell:`; each parses flags, resolves device/dtype/threads once, and
calls a library function. Nothing here reads config.yaml.
"""

import argparse
import importlib
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from nnbayes.cli_flags import DEVICE, SEEDED, THREADS, shard


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


def shard_setup(a) -> tuple[dict, dict]:
    """One shard's torch settings from its flags: (gen/device/dtype keywords for a sampler, the
    meta fields that make the shard reproducible). The seed derives from (--seed, --name, --shard)."""
    import torch

    from nnbayes.device import generator, resolve_device, resolve_dtype
    from nnbayes.prior import shard_seed

    torch.set_num_threads(a.threads)
    device = resolve_device(a.device)
    seed = shard_seed(a.seed, a.name, a.shard)
    kw = {"gen": generator(seed, device), "device": device, "dtype": resolve_dtype(a.dtype)}
    meta = {"name": a.name, "shard": a.shard, "seed": a.seed, "shard_seed": seed, "device": device.type,
            "dtype": a.dtype}
    return kw, meta


def _sample_prior(a):
    from nnbayes.io import read_table, write_table
    from nnbayes.prior import sample_shard

    kw, meta = shard_setup(a)
    spec = json.loads(a.spec)
    cube = read_table(a.cube).to_numpy(dtype=np.uint8)
    df = sample_shard(spec, cube, a.samples, a.record, batch=a.batch, progress=True, **kw)
    meta.update(spec=spec, record=a.record, samples=a.samples, n_points=len(cube))
    write_table(df, a.out, meta)
    print(f"{a.name} shard {a.shard}: {a.samples} nets on {kw['device']}, {len(df)} rows")


def _merge_prior(a):
    from nnbayes.io import read_meta, read_table, write_table
    from nnbayes.tables import merge_counts

    metas = [read_meta(p) for p in a.shards]
    df = merge_counts([read_table(p) for p in a.shards], metas[0]["n_points"])
    meta = {k: metas[0][k] for k in ("name", "spec", "record", "seed", "dtype", "n_points")}
    meta.update(samples=sum(m["samples"] for m in metas), shards=len(metas))
    write_table(df, a.out, meta)
    print(f"{meta['name']}: {meta['samples']} nets, {len(df)} rows")


def _load_task(a):
    from nnbayes.boolean import str_to_bits
    from nnbayes.io import read_table
    from nnbayes.tasks import load_task

    spec = json.loads(a.task)
    if spec["kind"] == "images":
        return load_task(spec, images=dict(np.load(a.images)))
    targets = read_table(a.targets)
    bits = {name: str_to_bits(b) for name, b in zip(targets["name"], targets["bits"])}
    return load_task(spec, cube=read_table(a.cube).to_numpy(dtype=np.uint8), targets=bits)


def _train(a):
    from nnbayes.io import write_table
    from nnbayes.sgd_sampler import train_shard

    kw, meta = shard_setup(a)
    task = _load_task(a)
    net, variant = json.loads(a.net), json.loads(a.variant)
    df = train_shard(task, net, variant, a.runs, batch_nets=a.batch_nets, max_epochs=a.max_epochs,
                     progress=True, **kw)
    meta.update(net=net, variant=variant, runs=a.runs)
    write_table(df, a.out, meta)
    print(f"{a.name} shard {a.shard}: {a.runs} runs, {int(df['converged'].sum())} converged")


def _merge_train(a):
    from nnbayes.io import read_meta, read_table, write_table
    from nnbayes.tables import merge_runs

    task = _load_task(a)
    metas = [read_meta(p) for p in a.shards]
    df, summary = merge_runs([read_table(p) for p in a.shards], task.y_test)
    meta = {k: metas[0][k] for k in ("name", "net", "variant", "seed", "dtype")}
    meta.update(stage="train", task=json.loads(a.task), shards=len(metas), n_test=len(task.y_test),
                **summary)
    write_table(df, a.out, meta)
    print(json.dumps(summary))


def _abi(a):
    from nnbayes.abi import abi_shard
    from nnbayes.io import write_table

    kw, meta = shard_setup(a)
    task, net = _load_task(a), json.loads(a.net)
    df, accepted = abi_shard(task, net, a.samples, batch=a.batch, progress=True, **kw)
    meta.update(net=net, samples=a.samples, accepted=accepted)
    write_table(df, a.out, meta)
    print(f"{a.name} shard {a.shard}: {accepted} of {a.samples} prior samples fit S")


def _merge_abi(a):
    from nnbayes.io import read_meta, read_table, write_table
    from nnbayes.tables import merge_abi

    task = _load_task(a)
    metas = [read_meta(p) for p in a.shards]
    df, summary = merge_abi([read_table(p) for p in a.shards], sum(m["samples"] for m in metas), task.y_test)
    meta = {k: metas[0][k] for k in ("name", "net", "seed", "dtype")}
    meta.update(stage="abi", task=json.loads(a.task), shards=len(metas), n_test=len(task.y_test), **summary)
    write_table(df, a.out, meta)
    print(json.dumps(summary))


def _posterior(a):
    import torch

    from nnbayes.functions import pack_array
    from nnbayes.io import read_meta, read_table, write_table
    from nnbayes.functions import unpack_ids
    from nnbayes.posterior import functions_to_score, gp_error_distribution, probit_estimates, score

    torch.set_num_threads(a.threads)
    task = _load_task(a)
    net, opts = json.loads(a.net), json.loads(a.options)
    tables = {read_meta(p)["name"]: read_table(p) for p in a.train_tables}
    funcs = functions_to_score(tables, pack_array(task.y_test[None, :]), opts["min_count"],
                               opts["max_functions"])
    boolean = json.loads(a.task)["kind"] == "boolean"
    df, summary = score(task, net, funcs, exact_top=opts["exact_top"], exact_samples=opts["exact_samples"],
                        probit_scale=opts["probit_scale"], seed=a.seed, boolean=boolean)
    if opts["variational_iters"]:
        top = unpack_ids(funcs[["id_hi", "id_lo"]].to_numpy(dtype=np.uint64)[:1], len(task.y_test))[0]
        summary["probit1"] = probit_estimates(task, net, top, iters=opts["variational_iters"],
                                              exact_samples=opts["exact_samples"], seed=a.seed + 3)
    meta = {"stage": "posterior", "net": net, "task": json.loads(a.task), "options": opts,
            "seed": a.seed, "n_train": len(task.y_train), "n_test": len(task.y_test), **summary}
    write_table(df, a.out, meta)
    print(json.dumps(summary))
    errors, err_summary = gp_error_distribution(task, net, opts["error_samples"], a.seed + 2)
    write_table(errors, a.errors_out, {"stage": "gp_errors", "net": net, "task": json.loads(a.task),
                                       "n_test": len(task.y_test), **err_summary})
    print(json.dumps(err_summary))


def _prior_ep(a):
    import torch

    from nnbayes.gp_validation import prior_vs_gp
    from nnbayes.io import read_meta, read_table, write_table

    torch.set_num_threads(a.threads)
    meta, opts = read_meta(a.table), json.loads(a.options)
    cube = read_table(a.cube).to_numpy(dtype=np.uint8)
    df = prior_vs_gp(read_table(a.table), meta["samples"], cube, meta["spec"], top=opts["top"],
                     exact_top=opts["exact_top"], exact_samples=opts["exact_samples"], seed=a.seed)
    write_table(df, a.out, {"stage": "prior_ep", "spec": meta["spec"], "samples": meta["samples"],
                            "options": opts, "seed": a.seed})
    print(df.head(10).to_string())


def _kernel_mc(a):
    import torch

    from nnbayes.device import generator, resolve_device, resolve_dtype
    from nnbayes.gp_validation import kernel_vs_wide_nets
    from nnbayes.io import read_table, write_table

    torch.set_num_threads(a.threads)
    device = resolve_device(a.device)
    opts = json.loads(a.options)
    cube = read_table(a.cube).to_numpy(dtype=np.uint8)
    points = np.sort(np.random.default_rng(a.seed).choice(len(cube), opts["points"], replace=False))
    df = kernel_vs_wide_nets(cube[points].astype(np.float32), opts["net"], opts["nets"], batch=opts["batch"],
                             gen=generator(a.seed, device), device=device, dtype=resolve_dtype(a.dtype),
                             progress=True)
    df["i"], df["j"] = points[df["i"]], points[df["j"]]
    write_table(df, a.out, {"stage": "kernel", "options": opts, "seed": a.seed, "device": device.type})
    print(df.describe().to_string())


def _checks(a):
    from nnbayes.checks import figure_checks

    df = figure_checks(a.module, a.figure, a.tables)
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(a.out, index=False)
    print(df.to_string(index=False))


def _render(a):
    from nnbayes.notebook import render

    render(a.notebook, a.executed, a.html, {name: values for name, *values in a.p})


def _report(a):
    from nnbayes.report import write_report

    write_report(a.checks, a.scale, a.summary, a.index)


# Later stage families keep their commands in their own module, each with
# `add_commands(sub)` adding its subparsers (and keeping heavy imports inside the handlers).
COMMAND_MODULES: tuple[str, ...] = ("cli_ensemble", "cli_meanfield", "cli_occam", "cli_qnn")


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

    s = sub.add_parser("sample-prior",
                       parents=[shard("sample-set name (enters the seed)"), SEEDED, THREADS, DEVICE],
                       help="one shard of prior samples, counted")
    s.add_argument("--cube", required=True)
    s.add_argument("--spec", required=True, help="JSON sampler spec")
    s.add_argument("--record", required=True)
    s.add_argument("--samples", type=int, required=True)
    s.add_argument("--batch", type=int, default=256)
    s.set_defaults(func=_sample_prior)

    s = sub.add_parser("merge-prior", help="sum shard counts, annotate t, entropy, C_LZ")
    s.add_argument("--out", required=True)
    s.add_argument("shards", nargs="+")
    s.set_defaults(func=_merge_prior)

    task_args = argparse.ArgumentParser(add_help=False)
    task_args.add_argument("--task", required=True, help="JSON task data spec (kind boolean|images)")
    task_args.add_argument("--cube", help="Boolean cube table (boolean tasks)")
    task_args.add_argument("--targets", help="named targets table (boolean tasks)")
    task_args.add_argument("--images", help="images .npz (image tasks)")

    s = sub.add_parser("train",
                       parents=[task_args, shard("task/variant (enters the seed)"), SEEDED, THREADS, DEVICE],
                       help="one shard of training runs: P_opt(f|S)")
    s.add_argument("--net", required=True, help="JSON architecture")
    s.add_argument("--variant", required=True, help="JSON optimiser setting")
    s.add_argument("--runs", type=int, required=True)
    s.add_argument("--batch-nets", type=int, default=1000)
    s.add_argument("--max-epochs", type=int, required=True)
    s.set_defaults(func=_train)

    s = sub.add_parser("merge-train", parents=[task_args], help="count the functions runs found on E")
    s.add_argument("--out", required=True)
    s.add_argument("shards", nargs="+")
    s.set_defaults(func=_merge_train)

    s = sub.add_parser("abi",
                       parents=[task_args, shard("task/abi (enters the seed)"), SEEDED, THREADS, DEVICE],
                       help="one shard of P_B by rejection from the prior")
    s.add_argument("--net", required=True, help="JSON architecture (binary inputs)")
    s.add_argument("--samples", type=int, required=True)
    s.add_argument("--batch", type=int, default=16384)
    s.set_defaults(func=_abi)

    s = sub.add_parser("merge-abi", parents=[task_args], help="P(S) and the counts of accepted functions on E")
    s.add_argument("--out", required=True)
    s.add_argument("shards", nargs="+")
    s.set_defaults(func=_merge_abi)

    s = sub.add_parser("posterior", parents=[task_args, SEEDED, THREADS],
                       help="P_B(f|S) of the found functions (NNGP)")
    s.add_argument("--net", required=True, help="JSON architecture")
    s.add_argument("--options", required=True, help="JSON sgd_bayes.posterior settings")
    s.add_argument("--errors-out", required=True, help="the GP's predicted test-error distribution")
    s.add_argument("train_tables", nargs="+")
    s.set_defaults(func=_posterior)

    s = sub.add_parser("prior-ep", parents=[SEEDED, THREADS],
                       help="sampled P(f) of the top functions vs the GP's (EP, exact)")
    s.add_argument("--cube", required=True)
    s.add_argument("--table", required=True, help="merged prior sample table (functions)")
    s.add_argument("--options", required=True, help="JSON gp_checks.prior_ep")
    s.set_defaults(func=_prior_ep)

    s = sub.add_parser("kernel-mc", parents=[SEEDED, THREADS, DEVICE],
                       help="NNGP kernel vs the covariance of wide random nets")
    s.add_argument("--cube", required=True)
    s.add_argument("--options", required=True, help="JSON gp_checks.kernel")
    s.set_defaults(func=_kernel_mc)

    s = sub.add_parser("checks", help="the numbers a figure is judged by")
    s.add_argument("--module", required=True, help="module holding FIGURE_CHECKS")
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

    for name in COMMAND_MODULES:
        importlib.import_module(f"nnbayes.{name}").add_commands(sub)
    return p


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    sys.exit(main())
