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
# # PAC-Bayes bound under label corruption (1805.08522)
#
# One image training set whose labels (and the test labels) are replaced by coin flips with
# probability `level`: the measured test error of nets trained to zero training error, and the
# PAC-Bayes bound from the NNGP's log P(S) (EP), which should stay above it and rise with it.

# %% tags=["parameters"]
tables: list = []  # the tables this figure plots (parquet)
checks = ""  # the numbers this figure is judged by (csv)
png = "occam4_pac_bayes_corruption.png"  # output figure
pdf = "occam4_pac_bayes_corruption.pdf"  # output figure
stamp = "dev"  # config hash, passed by the rule; the code version is added when saving

# %%
import pandas as pd

from nnbayes.occam import plots

from nnbayes.core import plotting
from nnbayes.core.tables import load_sets

sets = load_sets(tables)
fig = plots.corruption(sets)
plotting.save_figure(fig, stamp, png, pdf)

# %% [markdown]
# ## Checks: the numbers this figure is judged by (replication target T15)

# %%
pd.read_csv(checks, keep_default_na=False)
