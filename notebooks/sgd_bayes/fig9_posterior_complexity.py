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
# # P_B(f|S) and P_SGD(f|S) against C_LZ (arXiv 2006.15191)
#
# Both posteriors prefer simple functions: probability against the Lempel-Ziv complexity
# of the whole function (the target on S, the found function on E).

# %% tags=["parameters"]
tables: list = []  # merged training tables (one per variant), then the posterior scores and errors
checks = ""  # the numbers this figure is judged by (csv)
png = "fig9_posterior_complexity.png"  # output figure
pdf = "fig9_posterior_complexity.pdf"  # output figure
stamp = "dev"  # config hash, passed by the rule; the code version is added when saving

# %%
import pandas as pd

from nnbayes.core import plotting

from nnbayes.sgd_bayes import plots
from nnbayes.core.tables import load_sets

sets = load_sets(tables)
fig = plots.posterior_complexity(sets)
plotting.save_figure(fig, stamp, png, pdf)

# %% [markdown]
# ## Checks: the numbers this figure is judged by (replication targets T8, T9, T13)

# %%
pd.read_csv(checks, keep_default_na=False)
