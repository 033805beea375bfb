# Stage 5: QNNs as perceptrons on h(x) = psi* (x) psi (arXiv 2407.04371; research note §1): the
# exact map checked on random circuits, expressivity by LP, priors P(f) against the FCN's, and
# generalisation of QNNs trained through the map, the QNN-kernel GP and the layered QNN.


include: "helpers/qnn.smk"


rule qnn_mapping:
    input:
        code("qnn-mapping"),
        cube=rules.boolean_data.output.cube,
    output:
        table="<results>/data/qnn/mapping.parquet",
        moments="<results>/data/qnn/moments.parquet",
    log:
        "<logs>/qnn/mapping.log",
    conda:
        "../../envs/pipeline.yaml"
    threads: 1
    params:
        embeddings=json.dumps(QNN["embeddings"]),
        options=json.dumps(
            {
                **QNN["mapping"],
                "layers": QNN["circuit_layers"],
                "qubit": QNN["observable_qubit"],
            }
        ),
        seed=config["seed"],
    shell:
        "nnbayes qnn-mapping --cube {input.cube} --embeddings {params.embeddings:q}"
        " --options {params.options:q} --seed {params.seed} --threads {threads}"
        " --out {output.table} --moments-out {output.moments} > {log} 2>&1"


rule qnn_expressivity:
    input:
        code("qnn-expressivity"),
    output:
        "<results>/data/qnn/expressivity.parquet",
    log:
        "<logs>/qnn/expressivity.log",
    conda:
        "../../envs/pipeline.yaml"
    threads: 1
    resources:
        runtime=lambda wc, attempt: 60 * attempt,
    params:
        embeddings=json.dumps(QNN["embeddings"]),
        options=json.dumps(
            {**QNN["expressivity"], "layered_embedding": QNN["layered"]["embedding"]}
        ),
        kernel=json.dumps(QNN["kernel"]),
        seed=config["seed"],
    shell:
        "nnbayes qnn-expressivity --embeddings {params.embeddings:q} --options {params.options:q}"
        " --kernel {params.kernel:q} --seed {params.seed} --threads {threads} --out {output}"
        " > {log} 2>&1"


rule qnn_prior_shard:
    input:
        code("qnn-prior"),
        cube=rules.boolean_data.output.cube,
    output:
        expand(
            "<results>/samples/qnn/prior/{set}/shard-{{shard}}.parquet", set=QNN_SETS
        ),
    log:
        "<logs>/qnn/prior/shard-{shard}.log",
    conda:
        "../../envs/pipeline.yaml"
    threads: 1
    resources:
        gpu=GPU_JOBS,
        runtime=lambda wc, attempt: 120 * attempt,
        mem_mb=lambda wc, attempt: 4000 * attempt,
    params:
        sets=json.dumps(QNN_SETS),
        shards=QNN["prior"]["shards"],
        seed=config["seed"],
        batch=QNN["prior"]["batch"],
        device=config["device"],
        dtype=config["dtype"],
    shell:
        "nnbayes qnn-prior --cube {input.cube} --sets {params.sets:q} --shard {wildcards.shard}"
        " --shards {params.shards} --seed {params.seed} --batch {params.batch}"
        " --device {params.device} --dtype {params.dtype} --threads {threads}"
        " --out {output} > {log} 2>&1"


rule qnn_merge_prior:
    input:
        code("qnn-merge-prior"),
        shards=expand(
            "<results>/samples/qnn/prior/{set}/shard-{shard:04d}.parquet",
            set=QNN_SETS,
            shard=range(QNN["prior"]["shards"]),
        ),
    output:
        qnn_prior_tables(),
    log:
        "<logs>/qnn/merge_prior.log",
    conda:
        "../../envs/pipeline.yaml"
    params:
        sets=json.dumps(QNN_SETS),
        expect=json.dumps(
            {
                "seed": config["seed"],
                "dtype": config["dtype"],
                "shards": QNN["prior"]["shards"],
            }
        ),
    shell:
        "nnbayes qnn-merge-prior --sets {params.sets:q} --expect {params.expect:q} --out {output}"
        " --shards {input.shards} > {log} 2>&1"


rule qnn_targets:
    input:
        code("qnn-targets"),
        targets=rules.boolean_data.output.targets,
        prior=prior_tables(["fcn"])[0],
    output:
        "<results>/data/qnn/targets.parquet",
    log:
        "<logs>/qnn/targets.log",
    conda:
        "../../envs/pipeline.yaml"
    params:
        options=json.dumps(QNN["learning"]),
    shell:
        "nnbayes qnn-targets --targets {input.targets} --prior {input.prior}"
        " --options {params.options:q} --out {output} > {log} 2>&1"


rule qnn_learn:
    input:
        code("qnn-learn"),
        cube=rules.boolean_data.output.cube,
        targets=rules.qnn_targets.output[0],
    output:
        "<results>/data/qnn/learning/{kind}.parquet",
    log:
        "<logs>/qnn/learning/{kind}.log",
    wildcard_constraints:
        kind="|".join(QNN_LEARNERS),
    conda:
        "../../envs/pipeline.yaml"
    threads: 1
    resources:
        runtime=lambda wc, attempt: 120 * attempt,
    params:
        embeddings=json.dumps(QNN["embeddings"]),
        options=json.dumps(QNN["learning"]),
        kernel=json.dumps(QNN["kernel"]),
        layered=json.dumps(QNN["layered"]),
        seed=config["seed"],
    shell:
        "nnbayes qnn-learn --kind {wildcards.kind} --cube {input.cube} --targets {input.targets}"
        " --embeddings {params.embeddings:q} --options {params.options:q}"
        " --kernel {params.kernel:q} --layered {params.layered:q} --seed {params.seed}"
        " --threads {threads} --out {output} > {log} 2>&1"
