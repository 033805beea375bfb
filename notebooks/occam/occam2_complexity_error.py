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
# # Ordered vs chaotic priors: output complexity and error of trained nets (2304.06670 Fig. 1d-f)
#
# Each trained net's function on the whole cube: its C_LZ against its generalisation error, for
# sigma_w = 1 (ordered) and 8 (chaotic), with marginal histograms and the unbiased learner's
# functions (the target on S, coin flips on E) as the reference. x marks each cloud's mode.

# %% tags=["parameters"]
tables: list = []  # the tables this figure plots (parquet)
checks = ""  # the numbers this figure is judged by (csv)
png = "occam2_complexity_error.png"  # output figure
pdf = "occam2_complexity_error.pdf"  # output figure
stamp = "dev"  # config hash, passed by the rule; the code version is added when saving

# %%
import pandas as pd

from nnbayes.occam import plots

from nnbayes.core import plotting
from nnbayes.core.tables import load_sets

sets = load_sets(tables)
fig = plots.complexity_error(sets)
plotting.save_figure(fig, stamp, png, pdf)

# %% [markdown]
# ## Checks: the numbers this figure is judged by (replication target T11)

# %%
pd.read_csv(checks, keep_default_na=False)
