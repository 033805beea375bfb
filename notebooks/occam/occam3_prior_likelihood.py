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
# # occam3_prior_likelihood: Prior x likelihood against the posterior over complexity (2304.06670 Fig. 2)

# %% tags=["parameters"]
inputs = "{}"  # JSON {input name: [tables]} from the figure registry, passed by the rule
checks = ""  # the numbers this figure is judged by (csv)
png = "occam3_prior_likelihood.png"  # output figure
pdf = "occam3_prior_likelihood.pdf"  # output figure
stamp = "dev"  # config hash, passed by the rule; the code version is added when saving

# %%
import json

import pandas as pd
from IPython.display import Markdown

from nnbayes.workflow.registry import draw, figure
from nnbayes.workflow.report import conclusion

FIGURE = "occam3_prior_likelihood"  # declared in nnbayes.occam.figures: caption, inputs, checks, plot
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
