# Stage 1: the Boolean cube, target functions and splits; a binarised image data set.


rule boolean_data:
    input:
        code("data"),
    output:
        cube="<results>/data/cube.parquet",
        targets="<results>/data/targets.parquet",
        splits="<results>/data/splits.parquet",
    log:
        "<logs>/boolean_data.log",
    priority: CRITICAL_PATH
    conda:
        "../../envs/pipeline.yaml"
    params:
        n=config["data"]["n"],
        targets=json.dumps(config["data"]["targets"]),
        splits=json.dumps(config["data"]["splits"]),
    shell:
        "nnbayes data --n {params.n} --targets {params.targets:q} --splits {params.splits:q}"
        " --cube {output.cube} --targets-out {output.targets} --splits-out {output.splits}"
        " > {log} 2>&1"


# digits: bundled. mnist / fashion_mnist: data.images.root as is, or fetched once into the
# shared cache (checksummed); the planner has already found the files or a mirror that answers.
rule images:
    input:
        code("images"),
    output:
        "<results>/data/images_{source}.npz",
    log:
        "<logs>/images_{source}.log",
    wildcard_constraints:
        source="digits|mnist|fashion_mnist",
    priority: CRITICAL_PATH
    conda:
        "../../envs/pipeline.yaml"
    params:
        images=lambda wc: json.dumps({**config["data"]["images"], "source": wc.source}),
    shell:
        "nnbayes images --spec {params.images:q} --out {output} > {log} 2>&1"
