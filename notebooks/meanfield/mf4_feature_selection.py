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
# # Input feature selection: per-input weight variances and anisotropy (T10)
#
# Which inputs the posterior selects: per-input second moments <w_j^2> (in prior units d/sigma_w)
# for SGLD, plain MF and MF-ARD, and MF-ARD's learned prior variances 1/rho_j; the anisotropy
# zeta = mean <w_j^2> over relevant / irrelevant inputs vs P; and the marginals of a relevant and
# an irrelevant first-layer weight.

# %% tags=["parameters"]
tables: list = []  # the tables this figure plots (parquet)
checks = ""  # the numbers this figure is judged by (csv)
png = "mf4_feature_selection.png"  # output figure
pdf = "mf4_feature_selection.pdf"  # output figure
stamp = "dev"  # config hash, passed by the rule; the code version is added when saving

# %%
import pandas as pd

from nnbayes.meanfield import plots

from nnbayes.core import plotting
from nnbayes.core.tables import load_sets

sets = load_sets(tables)
fig = plots.feature_selection(sets)
plotting.save_figure(fig, stamp, png, pdf)

# %% [markdown]
# ## Checks: the numbers this figure is judged by (replication targets T7-T10)

# %%
pd.read_csv(checks, keep_default_na=False)
