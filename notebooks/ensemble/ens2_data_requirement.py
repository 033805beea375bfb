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
# # The data requirement n ~ 2^C (T11)
#
# Perfect features dominate the min-L2 fit once n > (1-p)/p = 2^C - 1: the crossing R = 1 from the
# Monte Carlo against C, and the perfect share R/(1+R) collapsing onto one curve.

# %% tags=["parameters"]
tables: list = []  # the tables this figure plots (parquet)
checks = ""  # the numbers this figure is judged by (csv)
png = "ens2_data_requirement.png"  # output figure
pdf = "ens2_data_requirement.pdf"  # output figure
stamp = "dev"  # config hash, passed by the rule; the code version is added when saving

# %%
import pandas as pd

from nnbayes.ensemble import plots

from nnbayes.core import plotting
from nnbayes.core.tables import load_sets

sets = load_sets(tables)
fig = plots.data_requirement(sets)
plotting.save_figure(fig, stamp, png, pdf)

# %% [markdown]
# ## Checks: the numbers this figure is judged by (replication targets T11-T12)

# %%
pd.read_csv(checks, keep_default_na=False)
