# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Learned functions by width and seed beside the kernel limit (T12)
#
# One-hidden-layer ReLU nets fitted to 4 XOR points in 2-D. With antisymmetric init (f0 = 0) the
# seeds converge to the NTK interpolant (all layers trained) or the NNGP interpolant (hidden rate
# 1/N); with a plain init a GP offset f0 - A f0(X) stays at every width.

# %% tags=["parameters"]
tables: list = []  # the tables this figure plots (parquet)
checks = ""  # the numbers this figure is judged by (csv)
png = "ens3_width_functions.png"  # output figure
pdf = "ens3_width_functions.pdf"  # output figure
stamp = "dev"  # config hash, passed by the rule; the code version is added when saving

# %%
import pandas as pd

from nnbayes.ensemble import plots

from nnbayes.core import plotting
from nnbayes.core.tables import load_sets

sets = load_sets(tables)
fig = plots.width_functions(sets)
plotting.save_figure(fig, stamp, png, pdf)

# %% [markdown]
# ## Checks: the numbers this figure is judged by (replication targets T11-T12)

# %%
pd.read_csv(checks, keep_default_na=False)
