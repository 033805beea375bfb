# The numbers each figure is judged by, in one place, with links to every figure.


rule report:
    input:
        code("report"),
        checks=expand("<results>/reports/{fig}.csv", fig=FIGURES),
        figures=expand("<results>/figures/{fig}.png", fig=FIGURES),
        html=expand("<results>/notebooks/{fig}.html", fig=FIGURES),
    output:
        summary="<results>/reports/summary.md",
        index="<results>/index.html",
    log:
        "<logs>/report.log",
    conda:
        "../../envs/pipeline.yaml"
    params:
        scale=config["scale"],
    shell:
        "nnbayes report --scale {params.scale} --summary {output.summary} --index {output.index}"
        " {input.checks} > {log} 2>&1"
