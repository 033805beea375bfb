# The "ensemble prior" seed essay (research note §3): the min-L2 toy model's Monte Carlo, wide
# nets fitted to 4 points (one job per width) and their kernel limits.

from nnbayes.ensemble import paths as ensemble_paths

ENSEMBLE = config["ensemble"]
RATIO_TABLES = results([ensemble_paths.RATIO])


rule ensemble_ratio:
    input:
        code("ensemble-ratio"),
    output:
        RATIO_TABLES,
    log:
        "<logs>/ensemble/ratio.log",
    conda:
        "../../envs/pipeline.yaml"
    threads: 1
    resources:
        gpu=GPU_JOBS,
    params:
        spec=json.dumps(ENSEMBLE["ratio"]),
        seed=config["seed"],
        device=config["device"],
        dtype=config["dtype"],
    shell:
        "nnbayes ensemble-ratio --spec {params.spec:q} --seed {params.seed}"
        " --device {params.device} --dtype {params.dtype} --threads {threads}"
        " --out {output} > {log} 2>&1"


rule width_train:
    input:
        code("width-train"),
    output:
        "<results>/data/ensemble/width/N{width}.parquet",
    log:
        "<logs>/ensemble/width/N{width}.log",
    wildcard_constraints:
        width=r"\d+",
    conda:
        "../../envs/pipeline.yaml"
    threads: 1
    resources:
        gpu=GPU_JOBS,
    params:
        spec=json.dumps(ENSEMBLE["width"]),
        seed=config["seed"],
        device=config["device"],
        dtype=config["dtype"],
    shell:
        "nnbayes width-train --spec {params.spec:q} --width {wildcards.width}"
        " --seed {params.seed} --device {params.device} --dtype {params.dtype}"
        " --threads {threads} --out {output} > {log} 2>&1"


rule width_limit:
    input:
        code("width-limit"),
    output:
        "<results>/data/ensemble/width/limit.parquet",
    log:
        "<logs>/ensemble/width/limit.log",
    conda:
        "../../envs/pipeline.yaml"
    params:
        spec=json.dumps(ENSEMBLE["width"]),
    shell:
        "nnbayes width-limit --spec {params.spec:q} --out {output} > {log} 2>&1"
