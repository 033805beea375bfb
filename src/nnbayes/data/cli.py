"""`nnbayes data` and `nnbayes images`: the Boolean cube with its named targets and splits, and
the binarised image data set. Heavy imports stay inside the handlers."""

import json
from pathlib import Path

import numpy as np
import pandas as pd


def _data(a):
    from nnbayes.core.boolean import (
        bits_to_str,
        boolean_cube,
        target_function,
        train_mask,
    )
    from nnbayes.core.complexity import lz_complexity
    from nnbayes.core.io import write_table

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
    from nnbayes.core.errors import UserError
    from nnbayes.data.images import load_images

    try:
        arrays = load_images(**json.loads(a.spec))
    except (OSError, ValueError) as e:  # a missing, damaged or unreachable data file: the user's to fix
        raise UserError(str(e)) from None
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(a.out).with_suffix(".tmp.npz")
    np.savez(tmp, **arrays)
    tmp.replace(a.out)
    for suffix in ("", "_test")[: 1 + ("X_test" in arrays)]:
        X, y = arrays["X" + suffix], arrays["y" + suffix]
        print(f"X{suffix}: {len(X)} images, {X.shape[1]} features, P(y=1) = {y.mean():.3f}")


def add_commands(sub) -> None:
    s = sub.add_parser("data", help="Boolean cube, named targets and train/test splits")
    s.add_argument("--n", type=int, required=True)
    s.add_argument("--targets", required=True, help="JSON {name: target spec}")
    s.add_argument("--splits", required=True, help='JSON {"m": [...], "seeds": [...]}')
    s.add_argument("--cube", required=True)
    s.add_argument("--targets-out", required=True)
    s.add_argument("--splits-out", required=True)
    s.set_defaults(func=_data)

    s = sub.add_parser("images", help="binarised image data set (an IDX set is fetched once into the cache)")
    s.add_argument("--spec", required=True, help='JSON data.images: {"source", "rule", "root", "cache", "mirror"}')
    s.add_argument("--out", required=True)
    s.set_defaults(func=_images)
