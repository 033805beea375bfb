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
# # fig13_images_sgd_vs_bayes: P_SGD(f|S) against P_B(f|S) per image data set and architecture (arXiv 2006.15191)

# %% tags=["parameters"]
inputs = "{}"  # JSON {input name: [tables]} from the figure registry, passed by the rule
checks = ""  # the numbers this figure is judged by (csv)
png = "fig13_images_sgd_vs_bayes.png"  # output figure
pdf = "fig13_images_sgd_vs_bayes.pdf"  # output figure
stamp = "dev"  # config hash, passed by the rule; the code version is added when saving

# %%
import json

import pandas as pd
from IPython.display import Markdown

from nnbayes.workflow.registry import draw, figure
from nnbayes.workflow.report import conclusion

FIGURE = "fig13_images_sgd_vs_bayes"  # declared in nnbayes.sgd_bayes.figures: caption, inputs, checks, plot
Markdown(figure(FIGURE).caption)

# %%
fig = draw(FIGURE, json.loads(inputs), stamp, png, pdf)

# %% [markdown]
# ## Checks: the numbers this figure is judged by (criteria: workflow/criteria)

# %%
table = pd.read_csv(checks, keep_default_na=False)
Markdown(conclusion(table))

# %%
table
