"""`nnbayes meanfield-point`: one (task, P, kappa) point of the mean-field study (stage 6a)."""

import json

from nnbayes.core.cliargs import DEVICE, SEEDED, THREADS, torch_setup


def _meanfield_point(a):

    from nnbayes.core.io import write_table
    from nnbayes.meanfield.runs import run_point
    from nnbayes.meanfield.sgld import HIST_EDGES

    device, dtype = torch_setup(a)
    target, net, settings = json.loads(a.target), json.loads(a.net), json.loads(a.settings)
    seeds, methods = json.loads(a.seeds), json.loads(a.methods)
    df = run_point(target, net, a.P, a.kappa, n_test=a.n_test, seeds=seeds, methods=methods,
                   settings=settings, root_seed=a.seed, name=a.name, device=device,
                   dtype=dtype, step_factor=a.step_factor, progress=True)
    meta = {"stage": "meanfield", "task": a.name, "target": target, "net": net, "P": a.P,
            "kappa": a.kappa, "n_test": a.n_test, "seeds": seeds, "methods": methods,
            "settings": settings, "step_factor": a.step_factor, "curve": json.loads(a.curve), "seed": a.seed,
            "hist_edges": HIST_EDGES.tolist(),
            "device": device.type, "dtype": a.dtype}
    write_table(df, a.out, meta)


def add_commands(sub) -> None:
    s = sub.add_parser("meanfield-point", parents=[SEEDED, THREADS, DEVICE],
                       help="KRR, MF, MF-ARD and SGLD at one (task, P, kappa)")
    s.add_argument("--target", required=True, help='JSON {"kind": parity|single_index, "d", "k", ...}')
    s.add_argument("--net", required=True, help='JSON {"width", "sigma_a", "sigma_w", "gamma"}')
    s.add_argument("--settings", required=True, help="JSON {sgld, mf, ard (with alpha0), limit}")
    s.add_argument("--P", type=int, required=True, help="training-set size")
    s.add_argument("--kappa", type=float, required=True, help="SGLD temperature = likelihood variance")
    s.add_argument("--n-test", type=int, required=True)
    s.add_argument("--seeds", required=True, help="JSON list of data seeds")
    s.add_argument("--methods", required=True, help="JSON list (krr, mf, mf_aligned, mf_ard, mf_limit, sgld)")
    s.add_argument("--curve", required=True, help='JSON {"kappa", "P"}: the slices plotted (metadata only)')
    s.add_argument("--step-factor", type=float, default=1.0, help="SGLD step x f, steps / f")
    s.add_argument("--name", required=True, help="task name (keys the data stream)")
    s.set_defaults(func=_meanfield_point)
