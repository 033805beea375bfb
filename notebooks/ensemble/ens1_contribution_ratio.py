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
# # The contribution ratio of perfect to random features (T11)
#
# Min-L2-norm regression over a fraction p = 2^-C of perfect features and random features: Monte Carlo
# against the exact identity R = q y^T K_r^-1 y, the limit p n/(1-p) and the finite-M expectation
# q n/(m-n-1) (exact for Gaussian features).

# %% tags=["parameters"]
tables: list = []  # the tables this figure plots (parquet)
checks = ""  # the numbers this figure is judged by (csv)
png = "ens1_contribution_ratio.png"  # output figure
pdf = "ens1_contribution_ratio.pdf"  # output figure
stamp = "dev"  # config hash, passed by the rule; the code version is added when saving

# %%
import pandas as pd

from nnbayes.ensemble import plots

from nnbayes.core import plotting
from nnbayes.core.tables import load_sets

sets = load_sets(tables)
fig = plots.contribution_ratio(sets)
plotting.save_figure(fig, stamp, png, pdf)

# %% [markdown]
# ## Checks: the numbers this figure is judged by (replication targets T11-T12)

# %%
pd.read_csv(checks, keep_default_na=False)
