# Stage 2: the prior P(f) -- sample nets from their init distribution, count their functions.


include: "helpers/prior.smk"


# Stage 2: the prior P(f). One job per shard (the unit a crash can lose), then a merge.


rule sample_prior_shard:
    input:
        code("sample-prior"),
        cube=rules.boolean_data.output.cube,
    output:
        "<results>/samples/prior/{experiment}/{point}/shard-{shard}.parquet",
    log:
        "<logs>/sample_prior/{experiment}/{point}/shard-{shard}.log",
    conda:
        "../../envs/pipeline.yaml"
    threads: 1
    resources:
        gpu=GPU_JOBS,
        runtime=lambda wc, attempt: 120 * attempt,
        mem_mb=lambda wc, attempt: 4000 * attempt,
    params:
        spec=lambda wc: json.dumps(SAMPLE_SETS[wc.experiment][wc.point]),
        record=lambda wc: EXPERIMENTS[wc.experiment]["record"],
        samples=shard_samples,
        name="{experiment}/{point}",
        seed=config["seed"],
        batch=config["prior"]["batch"],
        device=config["device"],
        dtype=config["dtype"],
    shell:
        "nnbayes sample-prior --cube {input.cube} --spec {params.spec:q}"
        " --record {params.record} --samples {params.samples} --name {params.name}"
        " --shard {wildcards.shard} --seed {params.seed} --batch {params.batch}"
        " --device {params.device} --dtype {params.dtype} --threads {threads}"
        " --out {output} > {log} 2>&1"


rule merge_prior:
    input:
        code("merge-prior"),
        shards=shard_paths,
    output:
        "<results>/samples/prior/{experiment}/{point}.parquet",
    log:
        "<logs>/merge_prior/{experiment}/{point}.log",
    conda:
        "../../envs/pipeline.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: 8000 * attempt,
    params:
        expect=prior_expect,
    shell:
        "nnbayes merge-prior --expect {params.expect:q} --out {output} {input.shards} > {log} 2>&1"
