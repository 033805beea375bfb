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
# # The symmetry-breaking transition: order parameter vs noise and sample size (T8-T9)
#
# Sparse parity (and single index): m = <f y> / <y^2> of the posterior-mean predictor on fresh test
# inputs, for kernel ridge regression (the N -> inf limit), plain mean-field theory (from the prior
# and from aligned particles: two branches would mean a first-order transition), MF with learned
# per-input prior variances (MF-ARD) and SGLD. Left: m vs the SGLD temperature kappa at fixed P;
# right: m vs P at fixed kappa. Dotted verticals: each method's onset (m exceeds KRR's by 0.1).

# %% tags=["parameters"]
tables: list = []  # the tables this figure plots (parquet)
checks = ""  # the numbers this figure is judged by (csv)
png = "mf1_order_parameter.png"  # output figure
pdf = "mf1_order_parameter.pdf"  # output figure
stamp = "dev"  # config hash, passed by the rule; the code version is added when saving

# %%
import pandas as pd

from nnbayes.meanfield import plots

from nnbayes.core import plotting
from nnbayes.core.tables import load_sets

sets = load_sets(tables)
fig = plots.order_parameter(sets)
plotting.save_figure(fig, stamp, png, pdf)

# %% [markdown]
# ## Checks: the numbers this figure is judged by (replication targets T7-T10)

# %%
pd.read_csv(checks, keep_default_na=False)
