"""`nnbayes occam-*` commands: the Occam's-razor stages (arXiv 2304.06670, 1805.08522).

Each handler parses its JSON flags, calls one library function and writes one table whose
metadata names its stage (`meta['stage']`), so checks and notebooks can sort the sets they get.
"""

import json
import zlib

import numpy as np

from nnbayes.core.cliargs import DEVICE, SEEDED, THREADS, group, shard, torch_setup


def _targets(a) -> dict[str, np.ndarray]:
    """The named targets a job asks for (--names), rebuilt from the targets spec (cheap, exact)."""
    from nnbayes.occam.targets import graded_targets

    targets = graded_targets(json.loads(a.targets), 2**a.n)
    names = json.loads(a.names)
    unknown = sorted(set(names) - set(targets))
    if unknown:
        raise ValueError(f"targets {unknown} are not among {sorted(targets)}")
    return {name: targets[name] for name in names}


def _runs(a) -> range:
    return range(a.first_run, a.first_run + a.runs)


def _shard_runs(a) -> dict[str, range]:
    """This shard's run indices of each target (--names maps a target to its total runs)."""
    from nnbayes.occam.targets import shard_range

    ranges = {name: shard_range(total, a.shards, a.shard) for name, total in json.loads(a.names).items()}
    return {name: range(first, first + n) for name, (first, n) in ranges.items()}


def _occam_targets(a):
    import pandas as pd

    from nnbayes.core.boolean import bits_to_str
    from nnbayes.core.io import write_table
    from nnbayes.occam.targets import complexity_columns, graded_targets

    targets = graded_targets(json.loads(a.targets), 2**a.n)
    bits = np.stack(list(targets.values()))
    df = pd.DataFrame({"target": list(targets), "bits": [bits_to_str(b) for b in bits], "t": bits.sum(1),
                       **complexity_columns(bits)})
    write_table(df, a.out, {"stage": "occam_targets", "spec": json.loads(a.targets), "n": a.n,
                            "lz_variant": a.lz_variant})
    print(df.drop(columns="bits").to_string(index=False))


def _occam_train(a):
    from nnbayes.core.boolean import boolean_cube
    from nnbayes.core.device import generator
    from nnbayes.core.io import write_table
    from nnbayes.occam.training import boolean_runs
    from nnbayes.core.seeds import shard_seed

    device, dtype = torch_setup(a)
    net, variant = json.loads(a.net), json.loads(a.variant)
    seed = shard_seed(a.seed, a.name, a.shard)
    df = boolean_runs(boolean_cube(a.n), _targets(a), net, variant, a.m, _shard_runs(a), seed=a.seed,
                      batch_nets=a.batch_nets, max_epochs=a.max_epochs, gen=generator(seed, device),
                      device=device, dtype=dtype, progress=True)
    meta = {"stage": "occam_runs", "name": a.name, "net_name": a.net_name, "net": net, "variant": variant,
            "m": a.m, "shard": a.shard, "shards": a.shards, "runs": json.loads(a.names), "seed": a.seed,
            "shard_seed": seed, "max_epochs": a.max_epochs, "device": device.type, "dtype": a.dtype}
    write_table(df, a.out, meta)
    print(df.groupby("target")[["converged", "epochs", "errors", "clz"]].mean().to_string())


def _occam_bound(a):
    from nnbayes.core.boolean import boolean_cube
    from nnbayes.core.io import write_table
    from nnbayes.occam.bounds import boolean_bounds

    torch_setup(a)
    net, opts = json.loads(a.net), json.loads(a.options)
    df = boolean_bounds(boolean_cube(a.n), _targets(a), net, a.m, opts["splits"], seed=a.seed,
                        delta=opts["delta"], formula=opts["formula"], exact_samples=opts["exact_samples"])
    write_table(df, a.out, {"stage": "occam_bound", "net_name": a.net_name, "net": net, "m": a.m,
                            "options": opts, "seed": a.seed})
    print(df.groupby("target")[["log_ps_ep", "log_ps_exact", "bound_ep", "bound_exact"]].mean().to_string())


def _occam_spectrum(a):
    from nnbayes.occam.error_spectrum import search, spectrum
    from nnbayes.core.io import write_table

    (name, target), = _targets(a).items()
    opts = json.loads(a.options)
    functions = search(target, opts, np.random.default_rng([a.seed, zlib.crc32(f"spectrum/{name}".encode())]))
    df = spectrum(target, functions, opts["top"])
    write_table(df, a.out, {"stage": "occam_spectrum", "target": name, "options": opts,
                            "searched": len(functions), "seed": a.seed})
    print(f"{name}: {len(functions)} distinct functions searched, {df['clz'].nunique()} C_LZ values")


def _occam_prior_k(a):
    from nnbayes.occam.error_spectrum import complexity_distribution
    from nnbayes.core.io import read, write_table

    table, meta = read(a.table)
    df = complexity_distribution(table, meta["n_points"])
    write_table(df, a.out, {"stage": "occam_prior_k", "spec": meta["spec"], "samples": meta["samples"],
                            "name": meta["name"]})
    print(df.to_string(index=False, max_rows=20))


def _occam_random_labels(a):
    from nnbayes.core.boolean import boolean_cube
    from nnbayes.core.io import write_table
    from nnbayes.occam.targets import random_labelling

    df = random_labelling(boolean_cube(a.n), _targets(a), a.m, a.draws, a.seed)
    write_table(df, a.out, {"stage": "occam_random_labels", "m": a.m, "draws": a.draws, "seed": a.seed})
    print(df.groupby("target")[["errors", "clz"]].mean().to_string())


def _occam_corruption_train(a):
    from nnbayes.core.device import generator
    from nnbayes.core.io import write_table
    from nnbayes.occam.training import corruption_runs
    from nnbayes.core.seeds import shard_seed

    device, dtype = torch_setup(a)
    spec, net, variant = json.loads(a.spec), json.loads(a.net), json.loads(a.variant)
    data = np.load(a.images)
    seed = shard_seed(a.seed, a.name, a.shard)
    df = corruption_runs(data["X"], data["y"], spec, net, variant, _runs(a), batch_nets=a.batch_nets,
                         max_epochs=a.max_epochs, gen=generator(seed, device), device=device, dtype=dtype,
                         progress=True)
    meta = {"stage": "occam_corruption_runs", "name": a.name, "spec": spec, "net": net, "variant": variant,
            "shard": a.shard, "first_run": a.first_run, "runs": a.runs, "seed": a.seed, "shard_seed": seed,
            "max_epochs": a.max_epochs, "device": device.type, "dtype": a.dtype}
    write_table(df, a.out, meta)
    print(df.groupby("level")[["converged", "epochs", "test_error", "clean_test_error"]].mean().to_string())


def _occam_corruption_bound(a):
    from nnbayes.core.io import write_table
    from nnbayes.occam.bounds import corruption_bounds

    torch_setup(a)
    spec, net, opts = json.loads(a.spec), json.loads(a.net), json.loads(a.options)
    data = np.load(a.images)
    df = corruption_bounds(data["X"], data["y"], spec, net, seed=a.seed, delta=opts["delta"],
                           formula=opts["formula"], exact_samples=opts["exact_samples"])
    write_table(df, a.out, {"stage": "occam_corruption_bound", "spec": spec, "net": net, "options": opts,
                            "seed": a.seed})
    print(df.to_string(index=False))


def add_commands(sub) -> None:
    """The occam-* subcommands (heavy imports stay inside the handlers)."""
    boolean = group(("--n", {"type": int, "required": True, "help": "inputs {0,1}^n"}),
                    ("--targets", {"required": True, "help": "JSON occam.targets spec"}),
                    ("--names", {"required": True, "help": "JSON target names (occam-train: {name: runs})"}))
    training = group(("--net", {"required": True, "help": "JSON architecture"}),
                     ("--variant", {"required": True, "help": "JSON optimiser setting"}),
                     ("--batch-nets", {"type": int, "default": 2000}),
                     ("--max-epochs", {"type": int, "required": True}))
    job = shard("job name (enters the shard seed)")
    run_range = group(("--first-run", {"type": int, "required": True, "help": "index of the shard's first run"}),
                      ("--runs", {"type": int, "required": True}))
    images = group(("--images", {"required": True, "help": "images .npz (X, y)"}),
                   ("--spec", {"required": True, "help": "JSON occam.corruption data spec"}))
    bound = group(("--net", {"required": True, "help": "JSON architecture (its NNGP is the prior)"}),
                  ("--options", {"required": True, "help": "JSON occam.bound"}))

    s = sub.add_parser("occam-targets", help="targets of graded complexity with their C_LZ")
    s.add_argument("--n", type=int, required=True)
    s.add_argument("--targets", required=True, help="JSON occam.targets spec")
    s.add_argument("--lz-variant", required=True, help="the C_LZ the figures show (recorded)")
    s.add_argument("--out", required=True)
    s.set_defaults(func=_occam_targets)

    s = sub.add_parser("occam-train", parents=[boolean, training, job, SEEDED, THREADS, DEVICE],
                       help="one shard of training runs on targets of graded complexity")
    s.add_argument("--shards", type=int, required=True, help="shards the runs are split over")
    s.add_argument("--m", type=int, required=True)
    s.add_argument("--net-name", required=True)
    s.set_defaults(func=_occam_train)

    s = sub.add_parser("occam-bound", parents=[boolean, bound, SEEDED, THREADS],
                       help="PAC-Bayes bound from log P(S) of the runs' training sets")
    s.add_argument("--net-name", required=True)
    s.add_argument("--m", type=int, required=True)
    s.set_defaults(func=_occam_bound)

    s = sub.add_parser("occam-spectrum", parents=[boolean, SEEDED],
                       help="error spectrum: the best accuracies per C_LZ around one target")
    s.add_argument("--options", required=True, help="JSON occam.spectrum")
    s.set_defaults(func=_occam_spectrum)

    s = sub.add_parser("occam-prior-k", help="P(K) of a merged prior sample set, both LZ variants")
    s.add_argument("--table", required=True)
    s.add_argument("--out", required=True)
    s.set_defaults(func=_occam_prior_k)

    s = sub.add_parser("occam-random-labels", parents=[boolean, SEEDED],
                       help="the unbiased learner's functions: the target on S, a coin on E")
    s.add_argument("--m", type=int, required=True)
    s.add_argument("--draws", type=int, required=True)
    s.set_defaults(func=_occam_random_labels)

    s = sub.add_parser("occam-corruption-train", parents=[images, training, job, run_range, SEEDED, THREADS, DEVICE],
                       help="one shard of training runs on labels corrupted at every level")
    s.set_defaults(func=_occam_corruption_train)

    s = sub.add_parser("occam-corruption-bound", parents=[images, bound, SEEDED, THREADS],
                       help="PAC-Bayes bound from log P(S) at every corruption level")
    s.set_defaults(func=_occam_corruption_bound)
