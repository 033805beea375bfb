"""Commands of the ensemble-prior stage (research note §3): the min-L2 toy model's Monte Carlo,
wide nets fitted to 4 points at one width, and their kernel limits. Added to `nnbayes` by
`workflow.cli.COMMAND_MODULES`; heavy imports stay inside the handlers."""

import json

from nnbayes.core.cliargs import DEVICE, SEEDED, THREADS, torch_setup


def _ratio(a):

    from nnbayes.ensemble.mc import ratio_grid
    from nnbayes.core.io import write_table

    device, dtype = torch_setup(a)
    spec = json.loads(a.spec)
    df = ratio_grid(spec, a.seed, device=device, dtype=dtype, progress=True)
    write_table(df, a.out, {"stage": "ratio", "spec": spec, "seed": a.seed, "device": device.type,
                            "dtype": a.dtype})
    print(df.groupby(["features", "M", "C", "n"])["ratio"].mean().to_string())


def _width_train(a):

    from nnbayes.core.io import write_table
    from nnbayes.ensemble.width_limit import train_width

    device, dtype = torch_setup(a)
    spec = json.loads(a.spec)
    df = train_width(a.width, spec, a.seed, device=device, dtype=dtype, progress=True)
    write_table(df, a.out, {"stage": "width", "spec": spec, "width": a.width, "seed": a.seed,
                            "device": device.type, "dtype": a.dtype})
    print(df.drop(columns="f").groupby(["regime", "init"]).agg(
        converged=("converged", "mean"), steps=("steps", "median"), mse=("train_mse", "max")).to_string())


def _width_limit(a):
    from nnbayes.core.io import write_table
    from nnbayes.ensemble.width_limit import grid_points, kernel_limits, xor_data

    spec = json.loads(a.spec)
    X, y = xor_data(spec["data"])
    df = kernel_limits(X, y, grid_points(spec["grid"]), **spec["net"])
    write_table(df, a.out, {"stage": "width_limit", "spec": spec, "X": X.tolist(), "y": y.tolist()})
    print(df[["regime", "train_residual"]].to_string(index=False))


def add_commands(sub) -> None:
    s = sub.add_parser("ensemble-ratio", parents=[SEEDED, THREADS, DEVICE],
                       help="min-L2 toy model: perfect vs random contribution ratio")
    s.add_argument("--spec", required=True, help='JSON {"draws", "batch", "grids": [...]} (ensemble.ratio)')
    s.set_defaults(func=_ratio)

    s = sub.add_parser("width-train", parents=[SEEDED, THREADS, DEVICE],
                       help="nets of one width fitted to 4 points in 2-D, all seeds at once")
    s.add_argument("--spec", required=True, help="JSON ensemble.width")
    s.add_argument("--width", type=int, required=True)
    s.set_defaults(func=_width_train)

    s = sub.add_parser("width-limit", help="NTK and NNGP interpolants of the 4 points on the grid")
    s.add_argument("--spec", required=True, help="JSON ensemble.width")
    s.add_argument("--out", required=True)
    s.set_defaults(func=_width_limit)
