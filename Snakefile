# nnbayes: the "neural networks are (approximately) Bayesian" replication pipeline.
# `snakemake --cores all` builds every figure at the scale named in config.yaml;
# `snakemake --config scale=smoke` picks another preset; `snakemake fig3_rank` one figure.

from snakemake.utils import min_version

min_version("9.19")


configfile: "config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"


pathvars:
    results=f"results/{config['scale']}",
    logs=f"results/{config['scale']}/logs",
    benchmarks=f"results/{config['scale']}/benchmarks",


wildcard_constraints:
    experiment="[A-Za-z0-9_]+",
    point="[^/]+",
    shard=r"\d{4}",
    task="[A-Za-z0-9_]+",
    variant="[A-Za-z0-9_]+",


include: "workflow/rules/data.smk"
include: "workflow/rules/prior.smk"
include: "workflow/rules/sgd_bayes.smk"
include: "workflow/rules/ensemble.smk"
include: "workflow/rules/occam.smk"
include: "workflow/rules/qnn.smk"
include: "workflow/rules/meanfield.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        rules.report.output,
        [images_file(s) for s in sorted(image_sources(config))],
