# Occam's razor (arXiv 2304.06670) and the PAC-Bayes bound (arXiv 1805.08522): nets trained on
# targets of graded complexity under ordered and chaotic priors, the prior x error-spectrum
# prediction of their posterior over C_LZ, and the bound under label corruption.


include: "helpers/occam.smk"


rule occam_targets:
    input:
        code("occam-targets"),
    output:
        OCCAM_TARGETS,
    log:
        "<logs>/occam/targets.log",
    benchmark:
        "<benchmarks>/occam/targets.tsv"
    conda:
        "../../envs/pipeline.yaml"
    params:
        n=config["data"]["n"],
        targets=json.dumps(OCCAM["targets"]),
        lz_variant=OCCAM["lz_variant"],
    shell:
        "nnbayes occam-targets --n {params.n} --targets {params.targets:q}"
        " --lz-variant {params.lz_variant} --out {output} > {log} 2>&1"


rule occam_train:
    input:
        code("occam-train"),
    output:
        "<results>/samples/occam/{net}/m{m}/shard-{shard}.parquet",
    log:
        "<logs>/occam/train/{net}/m{m}/shard-{shard}.log",
    benchmark:
        "<benchmarks>/occam/train/{net}/m{m}/shard-{shard}.tsv"
    wildcard_constraints:
        net="[A-Za-z0-9_]+",
        m=r"\d+",
    conda:
        "../../envs/pipeline.yaml"
    threads: 1
    resources:
        gpu=GPU_JOBS,
        runtime=lambda wc, attempt: 240 * attempt,
        mem_mb=lambda wc, attempt: 4000 * attempt,
    params:
        n=config["data"]["n"],
        targets=json.dumps(OCCAM["targets"]),
        names=occam_job_names,
        net=lambda wc: json.dumps(OCCAM["nets"][wc.net]),
        variant=json.dumps(OCCAM["variant"]),
        name="occam/{net}/m{m}",
        shards=OCCAM["shards"],
        seed=config["seed"],
        batch_nets=OCCAM["batch_nets"],
        max_epochs=OCCAM["max_epochs"],
        device=config["device"],
        dtype=config["dtype"],
    shell:
        "nnbayes occam-train --n {params.n} --targets {params.targets:q} --names {params.names:q}"
        " --net {params.net:q} --net-name {wildcards.net} --variant {params.variant:q}"
        " --m {wildcards.m} --name {params.name} --shard {wildcards.shard}"
        " --shards {params.shards} --seed {params.seed}"
        " --batch-nets {params.batch_nets} --max-epochs {params.max_epochs}"
        " --device {params.device} --dtype {params.dtype} --threads {threads}"
        " --out {output} > {log} 2>&1"


rule occam_bound:
    input:
        code("occam-bound"),
    output:
        "<results>/data/occam/bound/{net}.parquet",
    log:
        "<logs>/occam/bound/{net}.log",
    benchmark:
        "<benchmarks>/occam/bound/{net}.tsv"
    wildcard_constraints:
        net="[A-Za-z0-9_]+",
    conda:
        "../../envs/pipeline.yaml"
    threads: 1
    resources:
        runtime=lambda wc, attempt: 60 * attempt,
        mem_mb=lambda wc, attempt: 4000 * attempt,
    params:
        n=config["data"]["n"],
        targets=json.dumps(OCCAM["targets"]),
        names=lambda wc: json.dumps(OCCAM_JOBS[(wc.net, OCCAM_GEN["m"])]),
        net=lambda wc: json.dumps(OCCAM["nets"][wc.net]),
        m=OCCAM_GEN["m"],
        options=json.dumps(OCCAM["bound"]),
        seed=config["seed"],
    shell:
        "nnbayes occam-bound --n {params.n} --targets {params.targets:q} --names {params.names:q}"
        " --net {params.net:q} --net-name {wildcards.net} --m {params.m}"
        " --options {params.options:q} --seed {params.seed} --threads {threads}"
        " --out {output} > {log} 2>&1"


rule occam_spectrum:
    input:
        code("occam-spectrum"),
    output:
        "<results>/data/occam/spectrum/{target}.parquet",
    log:
        "<logs>/occam/spectrum/{target}.log",
    benchmark:
        "<benchmarks>/occam/spectrum/{target}.tsv"
    wildcard_constraints:
        target="[A-Za-z0-9_]+",
    conda:
        "../../envs/pipeline.yaml"
    params:
        n=config["data"]["n"],
        targets=json.dumps(OCCAM["targets"]),
        names=lambda wc: json.dumps([wc.target]),
        options=json.dumps(OCCAM["spectrum"]),
        seed=config["seed"],
    shell:
        "nnbayes occam-spectrum --n {params.n} --targets {params.targets:q} --names {params.names:q}"
        " --options {params.options:q} --seed {params.seed} --out {output} > {log} 2>&1"


rule occam_prior_k:
    input:
        code("occam-prior-k"),
        table="<results>/samples/prior/chaos/{point}.parquet",
    output:
        "<results>/data/occam/prior_k/{point}.parquet",
    log:
        "<logs>/occam/prior_k/{point}.log",
    benchmark:
        "<benchmarks>/occam/prior_k/{point}.tsv"
    conda:
        "../../envs/pipeline.yaml"
    resources:
        mem_mb=lambda wc, attempt: 8000 * attempt,
    shell:
        "nnbayes occam-prior-k --table {input.table} --out {output} > {log} 2>&1"


rule occam_random_labels:
    input:
        code("occam-random-labels"),
    output:
        "<results>/data/occam/random_labels.parquet",
    log:
        "<logs>/occam/random_labels.log",
    benchmark:
        "<benchmarks>/occam/random_labels.tsv"
    conda:
        "../../envs/pipeline.yaml"
    params:
        n=config["data"]["n"],
        targets=json.dumps(OCCAM["targets"]),
        names=json.dumps(OCCAM_PANELS["targets"]),
        m=OCCAM_GEN["m"],
        draws=OCCAM_PANELS["random_draws"],
        seed=config["seed"],
    shell:
        "nnbayes occam-random-labels --n {params.n} --targets {params.targets:q}"
        " --names {params.names:q} --m {params.m} --draws {params.draws} --seed {params.seed}"
        " --out {output} > {log} 2>&1"


rule occam_corruption_train:
    input:
        code("occam-corruption-train"),
        images=images_file(config["data"]["images"]["source"]),
    output:
        "<results>/samples/occam/corruption/shard-{shard}.parquet",
    log:
        "<logs>/occam/corruption/shard-{shard}.log",
    benchmark:
        "<benchmarks>/occam/corruption/shard-{shard}.tsv"
    conda:
        "../../envs/pipeline.yaml"
    threads: 1
    resources:
        gpu=GPU_JOBS,
        runtime=lambda wc, attempt: 240 * attempt,
        mem_mb=lambda wc, attempt: 4000 * attempt,
    params:
        spec=json.dumps(OCCAM["corruption"]["data"]),
        net=json.dumps(OCCAM["corruption"]["net"]),
        variant=json.dumps(OCCAM["corruption"]["variant"]),
        first=occam_first_run(OCCAM["corruption"]),
        runs=occam_shard_runs(OCCAM["corruption"]),
        seed=config["seed"],
        batch_nets=OCCAM["batch_nets"],
        max_epochs=OCCAM["corruption"]["max_epochs"],
        device=config["device"],
        dtype=config["dtype"],
    shell:
        "nnbayes occam-corruption-train --images {input.images} --spec {params.spec:q}"
        " --net {params.net:q} --variant {params.variant:q} --name occam/corruption"
        " --shard {wildcards.shard} --first-run {params.first} --runs {params.runs}"
        " --seed {params.seed} --batch-nets {params.batch_nets} --max-epochs {params.max_epochs}"
        " --device {params.device} --dtype {params.dtype} --threads {threads}"
        " --out {output} > {log} 2>&1"


rule occam_corruption_bound:
    input:
        code("occam-corruption-bound"),
        images=images_file(config["data"]["images"]["source"]),
    output:
        "<results>/data/occam/corruption_bound.parquet",
    log:
        "<logs>/occam/corruption_bound.log",
    benchmark:
        "<benchmarks>/occam/corruption_bound.tsv"
    conda:
        "../../envs/pipeline.yaml"
    threads: 1
    resources:
        runtime=lambda wc, attempt: 120 * attempt,
        mem_mb=lambda wc, attempt: 8000 * attempt,
    params:
        spec=json.dumps(OCCAM["corruption"]["data"]),
        net=json.dumps(OCCAM["corruption"]["net"]),
        options=json.dumps(
            OCCAM["bound"] | {"exact_samples": OCCAM["corruption"]["exact_samples"]}
        ),
        seed=config["seed"],
    shell:
        "nnbayes occam-corruption-bound --images {input.images} --spec {params.spec:q}"
        " --net {params.net:q} --options {params.options:q} --seed {params.seed}"
        " --threads {threads} --out {output} > {log} 2>&1"
