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
# # P_SGD(f|S) vs P_B(f|S) on the Boolean task (arXiv 2006.15191, T8 + T13)
#
# Nets trained from random init to zero training error land on functions on E with
# frequencies P_SGD(f|S) that track the Bayesian posterior P_B(f|S) of the same architecture
# (NNGP + EP; black diamonds: the exact tilting estimate). One panel per optimiser setting.

# %% tags=["parameters"]
tables: list = []  # merged training tables (one per variant), then the posterior scores and errors
checks = ""  # the numbers this figure is judged by (csv)
png = "fig6_sgd_vs_bayes.png"  # output figure
pdf = "fig6_sgd_vs_bayes.pdf"  # output figure
stamp = "dev"  # config hash, passed by the rule; the code version is added when saving

# %%
import pandas as pd

from nnbayes.core import plotting

from nnbayes.sgd_bayes import plots
from nnbayes.core.tables import load_sets

sets = load_sets(tables)
fig = plots.sgd_vs_bayes(sets)
plotting.save_figure(fig, stamp, png, pdf)

# %% [markdown]
# ## Checks: the numbers this figure is judged by (replication targets T8, T9, T13)

# %%
pd.read_csv(checks, keep_default_na=False)
