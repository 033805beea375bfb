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
# # The GP prior against the sampled network prior (arXiv 1805.08522, T7)
#
# P(f) of the most frequent functions of the 7-40-40-1 prior, sampled at width 40, against
# the NNGP (infinite width) probability by EP and by the exact tilting estimator.

# %% tags=["parameters"]
tables: list = []  # the comparison tables this figure plots (parquet)
checks = ""  # the numbers this figure is judged by (csv)
png = "fig10_prior_ep.png"  # output figure
pdf = "fig10_prior_ep.pdf"  # output figure
stamp = "dev"  # config hash, passed by the rule; the code version is added when saving

# %%
import pandas as pd

from nnbayes.core import plotting

from nnbayes.sgd_bayes import plots
from nnbayes.core.tables import load_sets

sets = load_sets(tables)
fig = plots.prior_ep(sets)
plotting.save_figure(fig, stamp, png, pdf)

# %% [markdown]
# ## Checks: the numbers this figure is judged by (replication target T7)

# %%
pd.read_csv(checks, keep_default_na=False)
