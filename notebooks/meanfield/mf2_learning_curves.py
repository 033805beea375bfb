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
# # Learning curves: KRR, plain MF, MF-ARD and SGLD (T7-T8)
#
# Test MSE of the posterior-mean predictor vs training-set size P at fixed kappa, one panel per
# target. The dashed line is plain MF solved at width 10^6, which must coincide with KRR (the
# infinite-width limit); the paper claims MF underestimates the gain of SGLD after the transition
# and MF-ARD (input feature selection) matches it.

# %% tags=["parameters"]
tables: list = []  # the tables this figure plots (parquet)
checks = ""  # the numbers this figure is judged by (csv)
png = "mf2_learning_curves.png"  # output figure
pdf = "mf2_learning_curves.pdf"  # output figure
stamp = "dev"  # config hash, passed by the rule; the code version is added when saving

# %%
import pandas as pd

from nnbayes.meanfield import plots

from nnbayes.core import plotting
from nnbayes.core.tables import load_sets

sets = load_sets(tables)
fig = plots.learning_curves(sets)
plotting.save_figure(fig, stamp, png, pdf)

# %% [markdown]
# ## Checks: the numbers this figure is judged by (replication targets T7-T10)

# %%
pd.read_csv(checks, keep_default_na=False)
