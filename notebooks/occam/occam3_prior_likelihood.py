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
# # Prior x likelihood predicts the posterior over complexity (2304.06670 Fig. 2)
#
# P(K|S) ~ P(K) x L_m(K): the sampled prior over C_LZ of the same architecture (prior stage,
# `chaos` experiment) times the mean of the 10 largest a^m among functions found around the
# target (a = accuracy on the cube), against the output C_LZ of nets trained on random S of size m.

# %% tags=["parameters"]
tables: list = []  # the tables this figure plots (parquet)
checks = ""  # the numbers this figure is judged by (csv)
png = "occam3_prior_likelihood.png"  # output figure
pdf = "occam3_prior_likelihood.pdf"  # output figure
stamp = "dev"  # config hash, passed by the rule; the code version is added when saving

# %%
import pandas as pd

from nnbayes.occam import plots

from nnbayes.core import plotting
from nnbayes.core.tables import load_sets

sets = load_sets(tables)
fig = plots.prior_likelihood(sets)
plotting.save_figure(fig, stamp, png, pdf)

# %% [markdown]
# ## Checks: the numbers this figure is judged by (replication target T12)

# %%
pd.read_csv(checks, keep_default_na=False)
