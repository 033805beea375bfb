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
# # Generalisation: trained nets vs the Bayesian posterior (arXiv 2006.15191)
#
# The distribution of test errors on E over the functions optimisers find, against the
# distribution under the exact NNGP posterior (importance-weighted samples of P_B(f|S)).

# %% tags=["parameters"]
tables: list = []  # merged training tables (one per variant), then the posterior scores and errors
checks = ""  # the numbers this figure is judged by (csv)
png = "fig8_generalisation.png"  # output figure
pdf = "fig8_generalisation.pdf"  # output figure
stamp = "dev"  # config hash, passed by the rule; the code version is added when saving

# %%
import pandas as pd

from nnbayes.core import plotting

from nnbayes.sgd_bayes import plots
from nnbayes.core.tables import load_sets

sets = load_sets(tables)
fig = plots.generalisation(sets)
plotting.save_figure(fig, stamp, png, pdf)

# %% [markdown]
# ## Checks: the numbers this figure is judged by (replication targets T8, T9, T13)

# %%
pd.read_csv(checks, keep_default_na=False)
