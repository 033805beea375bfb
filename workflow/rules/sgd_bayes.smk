# Stages 3-4: train many nets per (task, variant) -> P_opt(f|S); score what they found with
# the NNGP posterior of the same architecture -> P_B(f|S).


include: "helpers/sgd_bayes.smk"


rule train_shard:
    input:
        code("train"),
        unpack(task_inputs),
    output:
        "<results>/samples/train/{task}/{variant}/shard-{shard}.parquet",
    log:
        "<logs>/train/{task}/{variant}/shard-{shard}.log",
    priority: CRITICAL_PATH
    conda:
        "../../envs/pipeline.yaml"
    threads: 1
    resources:
        gpu=GPU_JOBS,
        runtime=lambda wc, attempt: 240 * attempt,
        mem_mb=lambda wc, attempt: 4000 * attempt,
    params:
        task=lambda wc: json.dumps(TASKS[wc.task]["data"]),
        net=lambda wc: json.dumps(TASKS[wc.task]["net"]),
        variant=lambda wc: json.dumps(VARIANTS[wc.variant]),
        runs=shard_runs,
        max_epochs=lambda wc: TASKS[wc.task]["max_epochs"],
        name="{task}/{variant}",
        seed=config["seed"],
        batch_nets=config["sgd_bayes"]["batch_nets"],
        device=config["device"],
        dtype=config["dtype"],
        sources=task_flags,
    shell:
        "nnbayes train --task {params.task:q} {params.sources} --net {params.net:q}"
        " --variant {params.variant:q} --runs {params.runs} --name {params.name}"
        " --shard {wildcards.shard} --seed {params.seed} --batch-nets {params.batch_nets}"
        " --max-epochs {params.max_epochs} --device {params.device} --dtype {params.dtype}"
        " --threads {threads} --out {output} > {log} 2>&1"


rule merge_train:
    input:
        code("merge-train"),
        unpack(task_inputs),
        shards=train_shard_paths,
    output:
        "<results>/samples/train/{task}/{variant}.parquet",
    log:
        "<logs>/merge_train/{task}/{variant}.log",
    priority: CRITICAL_PATH
    conda:
        "../../envs/pipeline.yaml"
    params:
        task=lambda wc: json.dumps(TASKS[wc.task]["data"]),
        sources=task_flags,
        expect=train_expect,
    shell:
        "nnbayes merge-train --task {params.task:q} {params.sources} --expect {params.expect:q} --out {output}"
        " {input.shards} > {log} 2>&1"


rule abi_shard:
    input:
        code("abi"),
        unpack(task_inputs),
    output:
        "<results>/samples/abi/{task}/shard-{shard}.parquet",
    log:
        "<logs>/abi/{task}/shard-{shard}.log",
    conda:
        "../../envs/pipeline.yaml"
    threads: 1
    resources:
        gpu=GPU_JOBS,
        runtime=lambda wc, attempt: 240 * attempt,
        mem_mb=lambda wc, attempt: 4000 * attempt,
    params:
        task=lambda wc: json.dumps(TASKS[wc.task]["data"]),
        net=lambda wc: json.dumps(TASKS[wc.task]["net"]),
        samples=abi_shard_samples,
        name="{task}/abi",
        seed=config["seed"],
        device=config["device"],
        dtype=config["dtype"],
        sources=task_flags,
    shell:
        "nnbayes abi --task {params.task:q} {params.sources} --net {params.net:q}"
        " --samples {params.samples} --name {params.name} --shard {wildcards.shard}"
        " --seed {params.seed} --device {params.device} --dtype {params.dtype}"
        " --threads {threads} --out {output} > {log} 2>&1"


rule merge_abi:
    input:
        code("merge-abi"),
        unpack(task_inputs),
        shards=abi_shard_paths,
    output:
        "<results>/samples/abi/{task}.parquet",
    log:
        "<logs>/merge_abi/{task}.log",
    conda:
        "../../envs/pipeline.yaml"
    params:
        task=lambda wc: json.dumps(TASKS[wc.task]["data"]),
        sources=task_flags,
        expect=abi_expect,
    shell:
        "nnbayes merge-abi --task {params.task:q} {params.sources} --expect {params.expect:q} --out {output}"
        " {input.shards} > {log} 2>&1"


rule posterior:
    input:
        code("posterior"),
        unpack(task_inputs),
        train=lambda wc: train_tables(wc.task) + abi_tables(wc.task),
    output:
        scores="<results>/data/posterior/{task}.parquet",
        errors="<results>/data/posterior/{task}-errors.parquet",
        samples="<results>/data/posterior/{task}-samples.parquet",
    log:
        "<logs>/posterior/{task}.log",
    priority: CRITICAL_PATH
    conda:
        "../../envs/pipeline.yaml"
    threads: 1
    resources:
        runtime=lambda wc, attempt: 120 * attempt,
        mem_mb=lambda wc, attempt: 8000 * attempt,
    params:
        task=lambda wc: json.dumps(TASKS[wc.task]["data"]),
        net=lambda wc: json.dumps(TASKS[wc.task]["net"]),
        options=json.dumps(config["sgd_bayes"]["posterior"]),
        route=lambda wc: TASKS[wc.task].get("pb_route", "full"),
        seed=config["seed"],
        sources=task_flags,
    shell:
        "nnbayes posterior --task {params.task:q} {params.sources} --net {params.net:q}"
        " --options {params.options:q} --route {params.route} --seed {params.seed} --threads {threads}"
        " --out {output.scores} --errors-out {output.errors} --samples-out {output.samples} {input.train} > {log} 2>&1"


rule prior_ep:
    input:
        code("prior-ep"),
        cube=rules.boolean_data.output.cube,
        table="<results>/samples/prior/{experiment}/{point}.parquet",
    output:
        "<results>/data/gp_checks/prior_ep/{experiment}/{point}.parquet",
    log:
        "<logs>/prior_ep/{experiment}/{point}.log",
    conda:
        "../../envs/pipeline.yaml"
    threads: 1
    params:
        options=json.dumps(config["gp_checks"]["prior_ep"]),
        seed=config["seed"],
    shell:
        "nnbayes prior-ep --cube {input.cube} --table {input.table} --options {params.options:q}"
        " --seed {params.seed} --threads {threads} --out {output} > {log} 2>&1"


rule kernel_mc:
    input:
        code("kernel-mc"),
        cube=rules.boolean_data.output.cube,
    output:
        "<results>/data/gp_checks/kernel.parquet",
    log:
        "<logs>/kernel_mc.log",
    conda:
        "../../envs/pipeline.yaml"
    threads: 1
    resources:
        gpu=GPU_JOBS,
    params:
        options=json.dumps(config["gp_checks"]["kernel"]),
        seed=config["seed"],
        device=config["device"],
        dtype=config["dtype"],
    shell:
        "nnbayes kernel-mc --cube {input.cube} --options {params.options:q} --seed {params.seed}"
        " --device {params.device} --dtype {params.dtype} --threads {threads} --out {output}"
        " > {log} 2>&1"
