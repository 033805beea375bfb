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
# # Phase diagram over (kappa, P) (T9)
#
# log10 of each method's test MSE relative to KRR's over the (kappa, P) grid of the parity task
# (blue: feature learning beats the kernel). Lines: the onset P_c(kappa) where m first exceeds KRR's
# by 0.1, for SGLD (black) and the method of the panel.

# %% tags=["parameters"]
tables: list = []  # the tables this figure plots (parquet)
checks = ""  # the numbers this figure is judged by (csv)
png = "mf3_phase_diagram.png"  # output figure
pdf = "mf3_phase_diagram.pdf"  # output figure
stamp = "dev"  # config hash, passed by the rule; the code version is added when saving

# %%
import pandas as pd

from nnbayes.meanfield import plots

from nnbayes.core import plotting
from nnbayes.core.tables import load_sets

sets = load_sets(tables)
fig = plots.phase_diagram(sets)
plotting.save_figure(fig, stamp, png, pdf)

# %% [markdown]
# ## Checks: the numbers this figure is judged by (replication targets T7-T10)

# %%
pd.read_csv(checks, keep_default_na=False)
