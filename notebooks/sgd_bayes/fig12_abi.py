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
# # Bayes without a Gaussian process: ABI against the NNGP and SGD (T8, finite width)
#
# The authors' "ABI": sample the 7-40-40-1 ReLU prior, keep the nets whose function fits S and
# count their functions on E. That is P_B(f|S) of the finite-width network itself, no GP.
# Left: the NNGP's P_B (EP dots, exact diamonds) against it; middle: P_SGD against it; right:
# the test-error distributions of the three. Target 1 of the authors' runs (mask A) is used
# because it has the largest P(S) of their seven targets (4e-4), so rejection is affordable.

# %% tags=["parameters"]
tables: list = []  # the comparison tables this figure plots (parquet)
checks = ""  # the numbers this figure is judged by (csv)
png = "fig12_abi.png"  # output figure
pdf = "fig12_abi.pdf"  # output figure
stamp = "dev"  # config hash, passed by the rule; the code version is added when saving

# %%
import pandas as pd

from nnbayes.core import plotting

from nnbayes.sgd_bayes import plots
from nnbayes.core.tables import load_sets

sets = load_sets(tables)
fig = plots.abi(sets)
plotting.save_figure(fig, stamp, png, pdf)

# %% [markdown]
# ## Checks: the numbers this figure is judged by (T8 with the finite-width posterior)

# %%
pd.read_csv(checks, keep_default_na=False)
