"""`nnbayes sample-prior` / `merge-prior`: one shard of prior samples counted, and the shards summed
(T1-T6). Heavy imports stay inside the handlers."""

import json

import numpy as np

from nnbayes.core.cliargs import DEVICE, MERGE, SEEDED, THREADS, shard, shard_setup


def _sample_prior(a):
    from nnbayes.core.io import read_table, write_table
    from nnbayes.prior.sampler import sample_shard

    kw, meta = shard_setup(a)
    spec = json.loads(a.spec)
    cube = read_table(a.cube).to_numpy(dtype=np.uint8)
    df = sample_shard(spec, cube, a.samples, a.record, batch=a.batch, progress=True, **kw)
    meta.update(spec=spec, record=a.record, samples=a.samples, n_points=len(cube))
    write_table(df, a.out, meta)
    print(f"{a.name} shard {a.shard}: {a.samples} nets on {kw['device']}, {len(df)} rows")


def _merge_prior(a):
    from nnbayes.core.io import write_table
    from nnbayes.core.shards import read_shards
    from nnbayes.core.tables import merge_counts

    metas, tables = zip(*read_shards(a.shards, json.loads(a.expect), "samples"))
    df = merge_counts(tables, metas[0]["n_points"])
    meta = {k: metas[0][k] for k in ("name", "spec", "record", "seed", "dtype", "n_points")}
    meta.update(samples=sum(m["samples"] for m in metas), shards=len(metas))
    write_table(df, a.out, meta)
    print(f"{meta['name']}: {meta['samples']} nets, {len(df)} rows")


def add_commands(sub) -> None:
    s = sub.add_parser("sample-prior",
                       parents=[shard("sample-set name (enters the seed)"), SEEDED, THREADS, DEVICE],
                       help="one shard of prior samples, counted")
    s.add_argument("--cube", required=True)
    s.add_argument("--spec", required=True, help="JSON sampler spec")
    s.add_argument("--record", required=True)
    s.add_argument("--samples", type=int, required=True)
    s.add_argument("--batch", type=int, default=256)
    s.set_defaults(func=_sample_prior)

    s = sub.add_parser("merge-prior", parents=[MERGE], help="sum shard counts, annotate t, entropy, C_LZ")
    s.set_defaults(func=_merge_prior)
