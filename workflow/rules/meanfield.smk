# Stage 6a: a mean-field model of feature learning (arXiv 2510.15174; research note §2): SGLD
# posteriors of two-layer ReLU nets against plain MF, MF-ARD and KRR, one job per (task, P, kappa).


include: "helpers/meanfield.smk"


rule meanfield_point:
    input:
        code("meanfield-point"),
    output:
        "<results>/data/meanfield/{task}/{point}.parquet",
    log:
        "<logs>/meanfield/{task}/{point}.log",
    conda:
        "../../envs/pipeline.yaml"
    threads: 1
    resources:
        gpu=GPU_JOBS,
        runtime=lambda wc, attempt: 240 * attempt,
        mem_mb=lambda wc, attempt: 4000 * attempt,
    params:
        target=lambda wc: json.dumps(MEANFIELD["tasks"][wc.task]["target"]),
        net=json.dumps(MEANFIELD["net"]),
        settings=lambda wc: mf_settings(wc.task),
        P=lambda wc: mf_point(wc)["P"],
        kappa=lambda wc: mf_point(wc)["kappa"],
        methods=lambda wc: json.dumps(mf_point(wc)["methods"]),
        curve=lambda wc: json.dumps(MEANFIELD["tasks"][wc.task]["curve"]),
        n_test=MEANFIELD["n_test"],
        seeds=json.dumps(MEANFIELD["seeds"]),
        seed=config["seed"],
        device=config["device"],
        dtype=config["dtype"],
    shell:
        "nnbayes meanfield-point --target {params.target:q} --net {params.net:q}"
        " --settings {params.settings:q} --P {params.P} --kappa {params.kappa}"
        " --n-test {params.n_test} --seeds {params.seeds:q} --methods {params.methods:q}"
        " --curve {params.curve:q}"
        " --name {wildcards.task} --seed {params.seed} --device {params.device}"
        " --dtype {params.dtype} --threads {threads} --out {output} > {log} 2>&1"


rule meanfield_step_control:
    input:
        rules.meanfield_point.input,
    output:
        "<results>/data/meanfield/step_control.parquet",
    log:
        "<logs>/meanfield/step_control.log",
    conda:
        "../../envs/pipeline.yaml"
    threads: 1
    resources:
        gpu=GPU_JOBS,
    params:
        task=MF_STEP["task"],
        target=json.dumps(MEANFIELD["tasks"][MF_STEP["task"]]["target"]),
        net=json.dumps(MEANFIELD["net"]),
        settings=mf_settings(MF_STEP["task"]),
        P=MF_STEP["P"],
        kappa=MF_STEP["kappa"],
        curve=json.dumps(MEANFIELD["tasks"][MF_STEP["task"]]["curve"]),
        n_test=MEANFIELD["n_test"],
        seeds=json.dumps(MEANFIELD["seeds"]),
        seed=config["seed"],
        device=config["device"],
        dtype=config["dtype"],
    shell:
        "nnbayes meanfield-point --target {params.target:q} --net {params.net:q}"
        " --settings {params.settings:q} --P {params.P} --kappa {params.kappa}"
        " --n-test {params.n_test} --seeds {params.seeds:q} --methods '[\"sgld\"]'"
        " --curve {params.curve:q} --step-factor 0.5 --name {params.task} --seed {params.seed}"
        " --device {params.device} --dtype {params.dtype} --threads {threads}"
        " --out {output} > {log} 2>&1"
