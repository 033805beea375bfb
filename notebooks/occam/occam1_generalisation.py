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
# # Generalisation error against target complexity (arXiv 2304.06670 Fig. 1c; 1805.08522)
#
# Mean generalisation error on E of nets trained to zero training error on targets of graded
# Lempel-Ziv complexity (m = 64, each run on its own random S): 10-layer tanh nets from the ordered
# (sigma_w = 1) to the chaotic (sigma_w = 8) regime and a 7-40-40-1 ReLU net, against the authors'
# committed Fig. 1c means and the unbiased learner. Right: the PAC-Bayes bound from the NNGP's
# log P(S) of the runs' own training sets (EP; crosses: the exact tilting estimate).

# %% tags=["parameters"]
tables: list = []  # the tables this figure plots (parquet)
checks = ""  # the numbers this figure is judged by (csv)
png = "occam1_generalisation.png"  # output figure
pdf = "occam1_generalisation.pdf"  # output figure
stamp = "dev"  # config hash, passed by the rule; the code version is added when saving

# %%
import pandas as pd

from nnbayes.occam import plots

from nnbayes.core import plotting
from nnbayes.core.tables import load_sets

sets = load_sets(tables)
fig = plots.generalisation(sets)
plotting.save_figure(fig, stamp, png, pdf)

# %% [markdown]
# ## Checks: the numbers this figure is judged by (replication target T10)

# %%
pd.read_csv(checks, keep_default_na=False)
