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
# # Spread and distance to the kernel limit against width (T12)
#
# Seed spread and rms distance to the limit fall as N^-1/2 with f0 = 0 (fitted slopes in the
# legend); with a plain init they level off at the closed-form offset.

# %% tags=["parameters"]
tables: list = []  # the tables this figure plots (parquet)
checks = ""  # the numbers this figure is judged by (csv)
png = "ens4_width_scaling.png"  # output figure
pdf = "ens4_width_scaling.pdf"  # output figure
stamp = "dev"  # config hash, passed by the rule; the code version is added when saving

# %%
import pandas as pd

from nnbayes.ensemble import plots

from nnbayes.core import plotting
from nnbayes.core.tables import load_sets

sets = load_sets(tables)
fig = plots.width_scaling(sets)
plotting.save_figure(fig, stamp, png, pdf)

# %% [markdown]
# ## Checks: the numbers this figure is judged by (replication targets T11-T12)

# %%
pd.read_csv(checks, keep_default_na=False)
