"""`nnbayes qnn-*` commands: the QNN = perceptron stages (issue 4; research note §1).

Each handler parses JSON flags, calls one library function and writes a table with its
provenance (write_table). Torch and the QNN modules are imported inside the handlers.
"""

import json
from pathlib import Path

import numpy as np

from nnbayes.core.cliargs import DEVICE, EXPECT_HELP, SEEDED, THREADS, torch_setup


def _cube(path: str) -> np.ndarray:
    from nnbayes.core.io import read_table

    return read_table(path).to_numpy(dtype=np.uint8)


def _mapping(a):

    from nnbayes.core.io import write_table
    from nnbayes.qnn.validation import mapping_check, second_moments

    torch_setup(a)
    cube, opts, emb = _cube(a.cube), json.loads(a.options), json.loads(a.embeddings)
    meta = {"options": opts, "embeddings": emb, "seed": a.seed, "n": cube.shape[1]}
    df = mapping_check({k: emb[k] for k in opts["embeddings"]}, cube, circuits=opts["circuits"],
                       layers=opts["layers"], qubit=opts["qubit"], seed=a.seed)
    write_table(df, a.out, {"stage": "qnn_mapping", **meta})
    print(df.assign(diff=(df["qnn"] - df["tpp"]).abs()).groupby(["embedding", "unitary"])["diff"].max())
    mo = second_moments({k: emb[k] for k in opts["moment_embeddings"]}, cube, draws=opts["moment_draws"],
                        points=opts["moment_points"], batch=opts["batch"], seed=a.seed + 1)
    write_table(mo, a.moments_out, {"stage": "qnn_moments", **meta})
    print(mo.groupby(["embedding", "scheme"]).size())


def _expressivity(a):

    from nnbayes.core.io import write_table
    from nnbayes.qnn.expressivity import expressivity_table

    torch_setup(a)
    opts, emb = json.loads(a.options), json.loads(a.embeddings)
    df = expressivity_table({k: emb[k] for k in opts["embeddings"]}, opts["n"], kernel=json.loads(a.kernel),
                            kernel_embeddings=opts["kernel_embeddings"], layered_embedding=opts["layered_embedding"],
                            max_candidates=opts["max_candidates"], seed=a.seed)
    write_table(df, a.out, {"stage": "qnn_expressivity", "options": opts, "embeddings": emb,
                            "kernel": json.loads(a.kernel), "seed": a.seed})
    print(df.to_string())


def _prior(a):

    from nnbayes.core.device import generator
    from nnbayes.core.io import write_table
    from nnbayes.core.seeds import shard_seed
    from nnbayes.core.shards import shard_size
    from nnbayes.qnn.prior import sample_shard

    device, dtype = torch_setup(a)
    cube, sets = _cube(a.cube), json.loads(a.sets)
    if len(sets) != len(a.out):
        raise ValueError(f"{len(sets)} sample sets but {len(a.out)} outputs")
    for (name, spec), out in zip(sets.items(), a.out):
        samples = shard_size(spec["samples"], a.shards, a.shard)
        seed = shard_seed(a.seed, f"qnn/{name}", a.shard)
        df = sample_shard(spec, cube, samples, batch=a.batch, gen=generator(seed, device), device=device,
                          dtype=dtype, progress=True)
        meta = {"name": name, "spec": spec, "record": "functions", "samples": samples, "shard": a.shard,
                "seed": a.seed, "shard_seed": seed, "device": device.type, "dtype": a.dtype,
                "n_points": len(cube)}
        write_table(df, out, meta)
        print(f"{name} shard {a.shard}: {samples} models, {len(df)} functions")


def _merge_prior(a):
    from nnbayes.core.io import write_table
    from nnbayes.core.shards import read_shards
    from nnbayes.core.tables import merge_counts

    sets, expect = json.loads(a.sets), json.loads(a.expect)
    for out in a.out:
        name = Path(out).stem
        paths = [p for p in a.shards if Path(p).parent.name == name]
        want = {**expect, "name": name, "spec": sets[name], "record": "functions", "samples": sets[name]["samples"]}
        metas, tables = zip(*read_shards(paths, want, "samples"))
        df = merge_counts(tables, metas[0]["n_points"])
        meta = {k: metas[0][k] for k in ("name", "spec", "record", "seed", "dtype", "n_points")}
        meta.update(samples=sum(m["samples"] for m in metas), shards=len(metas))
        write_table(df, out, meta)
        print(f"{meta['name']}: {meta['samples']} models, {len(df)} functions")


def _targets(a):
    from nnbayes.core.io import read, read_table, write_table
    from nnbayes.qnn.tasks import learning_targets

    opts, (prior, prior_meta) = json.loads(a.options), read(a.prior)
    df = learning_targets(read_table(a.targets), opts["targets"], prior, prior_meta, opts["prior_targets"])
    write_table(df, a.out, {"stage": "qnn_targets", "options": opts, "prior": prior_meta["name"]})
    print(df[["name", "t", "clz"]].to_string())


def _learn(a):
    import torch

    from nnbayes.qnn import learning as ql
    from nnbayes.core.io import read_table, write_table
    from nnbayes.qnn.tasks import tasks

    torch_setup(a)
    cube, opts, emb = _cube(a.cube), json.loads(a.options), json.loads(a.embeddings)
    rows = tasks(read_table(a.targets), opts["splits"])
    gen = torch.Generator().manual_seed(a.seed)
    if a.kind == "tpp":
        df = ql.learn_tpp(cube, rows, {k: emb[k] for k in opts["embeddings"]}, runs=opts["runs"],
                          max_steps=opts["tpp"]["max_steps"], gen=gen)
    elif a.kind == "kernel":
        df = ql.learn_kernels(cube, rows, {k: emb[k] for k in opts["kernel_embeddings"]},
                              kernel=json.loads(a.kernel), net=opts["fcn"]["net"])
    elif a.kind == "layered":
        lay = json.loads(a.layered)
        df = ql.learn_layered(cube, rows, emb[lay["embedding"]], lay["embedding"], runs=opts["runs"],
                              width=lay["width"], lr=opts["layered"]["lr"], max_steps=opts["layered"]["max_steps"],
                              gen=gen)
    else:
        fcn = opts["fcn"]
        df = ql.learn_fcn(cube, rows, runs=opts["runs"], net=fcn["net"], variant=fcn["variant"],
                          max_epochs=fcn["max_epochs"], gen=gen)
    write_table(df, a.out, {"stage": "qnn_learning", "kind": a.kind, "options": opts, "seed": a.seed,
                            "kernel": json.loads(a.kernel), "layered": json.loads(a.layered),
                            "init": "gue (w_R ~ N(0, I))"})
    print(df.groupby(["learner", "embedding", "target"])["test_error"].mean().unstack("target").round(3).to_string())


KINDS = ("tpp", "kernel", "layered", "fcn")


def add_commands(sub) -> None:
    s = sub.add_parser("qnn-mapping", parents=[SEEDED, THREADS],
                       help="QNN output vs its perceptron; Haar/GUE second moments")
    s.add_argument("--cube", required=True)
    s.add_argument("--embeddings", required=True, help="JSON {name: embedding spec}")
    s.add_argument("--options", required=True, help="JSON qnn.mapping (+ layers, qubit)")
    s.add_argument("--moments-out", required=True)
    s.set_defaults(func=_mapping)

    s = sub.add_parser("qnn-expressivity", parents=[SEEDED, THREADS],
                       help="exact LP counts of expressible Boolean functions")
    s.add_argument("--embeddings", required=True)
    s.add_argument("--options", required=True, help="JSON qnn.expressivity (+ layered_embedding)")
    s.add_argument("--kernel", required=True, help="JSON qnn.kernel")
    s.set_defaults(func=_expressivity)

    s = sub.add_parser("qnn-prior", parents=[THREADS, DEVICE], help="one shard of every QNN prior sample set, counted")
    s.add_argument("--cube", required=True)
    s.add_argument("--sets", required=True, help="JSON {set name: spec with samples}")
    s.add_argument("--shard", type=int, required=True)
    s.add_argument("--shards", type=int, required=True)
    s.add_argument("--seed", type=int, required=True)
    s.add_argument("--batch", type=int, default=1000)
    s.add_argument("--out", nargs="+", required=True, help="one shard file per set, in --sets order")
    s.set_defaults(func=_prior)

    s = sub.add_parser("qnn-merge-prior", help="sum shard counts per set (same table as merge-prior)")
    s.add_argument("--out", nargs="+", required=True, help="<set name>.parquet per set")
    s.add_argument("--sets", required=True, help="JSON {set name: spec with samples}, as qnn-prior's")
    s.add_argument("--expect", required=True, help=EXPECT_HELP + " (here: seed, dtype, shards)")
    s.add_argument("--shards", nargs="+", required=True)
    s.set_defaults(func=_merge_prior)

    s = sub.add_parser("qnn-targets", help="learning targets: named ones + FCN-prior functions by C_LZ")
    s.add_argument("--targets", required=True)
    s.add_argument("--prior", required=True, help="a merged FCN prior table")
    s.add_argument("--options", required=True, help="JSON qnn.learning")
    s.add_argument("--out", required=True)
    s.set_defaults(func=_targets)

    s = sub.add_parser("qnn-learn", parents=[SEEDED, THREADS], help="generalisation of one learner family on the targets")
    s.add_argument("--kind", required=True, choices=KINDS)
    s.add_argument("--cube", required=True)
    s.add_argument("--targets", required=True, help="qnn-targets table")
    s.add_argument("--embeddings", required=True)
    s.add_argument("--options", required=True, help="JSON qnn.learning")
    s.add_argument("--kernel", required=True, help="JSON qnn.kernel")
    s.add_argument("--layered", required=True, help="JSON qnn.layered")
    s.set_defaults(func=_learn)
