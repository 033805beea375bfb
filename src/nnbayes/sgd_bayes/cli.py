"""`nnbayes train | merge-train | abi | merge-abi | posterior | prior-ep | kernel-mc`: P_opt(f|S) by
training, P_B(f|S) by rejection (ABI) and by the NNGP, and the GP checks T7/T14. Heavy imports
stay inside the handlers."""

import argparse
import json

import numpy as np

from nnbayes.core.cliargs import DEVICE, MERGE, SEEDED, THREADS, shard, shard_setup, torch_setup


def _load_task(a):
    from nnbayes.core.boolean import str_to_bits
    from nnbayes.core.io import read_table
    from nnbayes.core.tasks import load_task

    spec = json.loads(a.task)
    if spec["kind"] == "images":
        return load_task(spec, images=dict(np.load(a.images)))
    targets = read_table(a.targets)
    bits = {name: str_to_bits(b) for name, b in zip(targets["name"], targets["bits"])}
    return load_task(spec, cube=read_table(a.cube).to_numpy(dtype=np.uint8), targets=bits)


def _train(a):
    from nnbayes.core.io import write_table
    from nnbayes.core.runs import train_shard

    kw, meta = shard_setup(a)
    task = _load_task(a)
    net, variant = json.loads(a.net), json.loads(a.variant)
    df = train_shard(task, net, variant, a.runs, batch_nets=a.batch_nets, max_epochs=a.max_epochs,
                     progress=True, **kw)
    meta.update(net=net, variant=variant, task=json.loads(a.task), max_epochs=a.max_epochs, runs=a.runs)
    write_table(df, a.out, meta)
    print(f"{a.name} shard {a.shard}: {a.runs} runs, {int(df['converged'].sum())} converged")


def _merge_train(a):
    from nnbayes.core.io import write_table
    from nnbayes.core.shards import read_shards
    from nnbayes.core.tables import merge_runs

    task = _load_task(a)
    metas, tables = zip(*read_shards(a.shards, json.loads(a.expect), "runs"))
    df, summary = merge_runs(tables, task.y_test)
    meta = {k: metas[0][k] for k in ("name", "net", "variant", "seed", "dtype")}
    meta.update(stage="train", task=json.loads(a.task), shards=len(metas), n_test=len(task.y_test),
                **summary)
    write_table(df, a.out, meta)
    print(json.dumps(summary))


def _abi(a):
    from nnbayes.sgd_bayes.abi import abi_shard
    from nnbayes.core.io import write_table

    kw, meta = shard_setup(a)
    task, net = _load_task(a), json.loads(a.net)
    df, accepted = abi_shard(task, net, a.samples, batch=a.batch, progress=True, **kw)
    meta.update(net=net, task=json.loads(a.task), samples=a.samples, accepted=accepted)
    write_table(df, a.out, meta)
    print(f"{a.name} shard {a.shard}: {accepted} of {a.samples} prior samples fit S")


def _merge_abi(a):
    from nnbayes.core.io import write_table
    from nnbayes.core.shards import read_shards
    from nnbayes.core.tables import merge_abi

    task = _load_task(a)
    metas, tables = zip(*read_shards(a.shards, json.loads(a.expect), "samples", varying=["accepted"]))
    df, summary = merge_abi(tables, sum(m["samples"] for m in metas), task.y_test)
    meta = {k: metas[0][k] for k in ("name", "net", "seed", "dtype")}
    meta.update(stage="abi", task=json.loads(a.task), shards=len(metas), n_test=len(task.y_test), **summary)
    write_table(df, a.out, meta)
    print(json.dumps(summary))


def _posterior(a):
    from nnbayes.core.functions import pack_array, unpack_ids
    from nnbayes.core.io import read, write_table
    from nnbayes.sgd_bayes.posterior import functions_to_score, gp_error_distribution, probit_estimates, score

    torch_setup(a)
    task = _load_task(a)
    net, opts = json.loads(a.net), json.loads(a.options)
    tables = {meta["name"]: table for table, meta in map(read, a.train_tables)}
    funcs = functions_to_score(tables, pack_array(task.y_test[None, :]), opts["min_count"],
                               opts["max_functions"])
    boolean = json.loads(a.task)["kind"] == "boolean"
    small = len(task.order) <= opts["route_check_points"]  # the full-K checks are affordable
    df, summary = score(task, net, funcs, exact_top=opts["exact_top"], exact_samples=opts["exact_samples"],
                        probit_scale=opts["probit_scale"], seed=a.seed, boolean=boolean, route=a.route,
                        check_points=opts["route_check_points"], baselines=opts["baselines"])
    # gpytorch's variational check: the FCN's NNGP kernel, on S u E whole
    if opts["variational_iters"] and (a.route == "full" or small) and net.get("arch", "fcn") == "fcn":
        top = unpack_ids(funcs[["id_hi", "id_lo"]].to_numpy(dtype=np.uint64)[:1], len(task.y_test))[0]
        summary["probit1"] = probit_estimates(task, net, top, iters=opts["variational_iters"],
                                              exact_samples=opts["exact_samples"], seed=a.seed + 3)
    meta = {"stage": "posterior", "net": net, "task": json.loads(a.task), "options": opts,
            "seed": a.seed, "n_train": len(task.y_train), "n_test": len(task.y_test), **summary}
    write_table(df, a.out, meta)
    print(json.dumps(summary))
    errors, sampled, err_summary = gp_error_distribution(task, net, opts["error_samples"], a.seed + 2,
                                                         approximate=a.route == "two_stage" and not small)
    err_meta = {"net": net, "task": json.loads(a.task), "n_test": len(task.y_test), **err_summary}
    write_table(errors, a.errors_out, {"stage": "gp_errors", **err_meta})
    write_table(sampled, a.samples_out, {"stage": "pb_samples", **err_meta})
    print(json.dumps(err_summary))


def _prior_ep(a):

    from nnbayes.sgd_bayes.gp_validation import prior_vs_gp
    from nnbayes.core.io import read, read_table, write_table

    torch_setup(a)
    (table, meta), opts = read(a.table), json.loads(a.options)
    cube = read_table(a.cube).to_numpy(dtype=np.uint8)
    df = prior_vs_gp(table, meta["samples"], cube, meta["spec"], top=opts["top"],
                     exact_top=opts["exact_top"], exact_samples=opts["exact_samples"], seed=a.seed)
    write_table(df, a.out, {"stage": "prior_ep", "spec": meta["spec"], "samples": meta["samples"],
                            "options": opts, "seed": a.seed})
    print(df.head(10).to_string())


def _kernel_mc(a):

    from nnbayes.core.device import generator
    from nnbayes.sgd_bayes.gp_validation import kernel_vs_wide_nets
    from nnbayes.core.io import read_table, write_table

    device, dtype = torch_setup(a)
    opts = json.loads(a.options)
    cube = read_table(a.cube).to_numpy(dtype=np.uint8)
    points = np.sort(np.random.default_rng(a.seed).choice(len(cube), opts["points"], replace=False))
    df = kernel_vs_wide_nets(cube[points].astype(np.float32), opts["net"], opts["nets"], batch=opts["batch"],
                             gen=generator(a.seed, device), device=device, dtype=dtype,
                             progress=True)
    df["i"], df["j"] = points[df["i"]], points[df["j"]]
    write_table(df, a.out, {"stage": "kernel", "options": opts, "seed": a.seed, "device": device.type})
    print(df.describe().to_string())


def add_commands(sub) -> None:
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

    s = sub.add_parser("merge-train", parents=[task_args, MERGE], help="count the functions runs found on E")
    s.set_defaults(func=_merge_train)

    s = sub.add_parser("abi",
                       parents=[task_args, shard("task/abi (enters the seed)"), SEEDED, THREADS, DEVICE],
                       help="one shard of P_B by rejection from the prior")
    s.add_argument("--net", required=True, help="JSON architecture (binary inputs)")
    s.add_argument("--samples", type=int, required=True)
    s.add_argument("--batch", type=int, default=16384)
    s.set_defaults(func=_abi)

    s = sub.add_parser("merge-abi", parents=[task_args, MERGE], help="P(S) and the counts of accepted functions on E")
    s.set_defaults(func=_merge_abi)

    s = sub.add_parser("posterior", parents=[task_args, SEEDED, THREADS],
                       help="P_B(f|S) of the found functions (NNGP)")
    s.add_argument("--net", required=True, help="JSON architecture")
    s.add_argument("--options", required=True, help="JSON sgd_bayes.posterior settings")
    s.add_argument("--route", choices=["full", "two_stage"], default="full",
                   help="P_B by EP on S u E per function, or one EP on S then an orthant of q(f_E|S)")
    s.add_argument("--errors-out", required=True, help="the GP's predicted test-error distribution")
    s.add_argument("--samples-out", required=True, help="the functions drawn from the exact posterior")
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
