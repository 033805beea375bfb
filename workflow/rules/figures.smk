# Figures: the numbers each is judged by (a checks table), then a thin notebook that plots.

for _fig, (_tables, _) in FIGURES.items():

    rule:
        name:
            f"checks_{_fig}"
        input:
            src(
                "checks.py",
                "complexity.py",
                "io.py",
                "posterior_checks.py",
                "tables.py",
            ),
            tables=_tables,
        output:
            f"<results>/reports/{_fig}.csv",
        log:
            f"<logs>/checks/{_fig}.log",
        conda:
            "../../envs/pipeline.yaml"
        params:
            figure=_fig,
        shell:
            "nnbayes checks --figure {params.figure} --out {output} {input.tables} > {log} 2>&1"

    rule:
        name:
            _fig
        input:
            src(
                "notebook.py",
                "plotting.py",
                "posterior_plots.py",
                "provenance.py",
                "io.py",
                "tables.py",
            ),
            nb=f"notebooks/{_fig}.py",
            tables=_tables,
            checks=f"<results>/reports/{_fig}.csv",
        output:
            png=f"<results>/figures/{_fig}.png",
            pdf=f"<results>/figures/{_fig}.pdf",
            html=f"<results>/notebooks/{_fig}.html",
        log:
            notebook=f"<logs>/notebooks/{_fig}.ipynb",
            log=f"<logs>/notebooks/{_fig}.log",
        retries: 2
        conda:
            "../../envs/pipeline.yaml"
        params:
            stamp=figure_stamp(_fig),
        shell:
            "nnbayes render {input.nb} --executed {log.notebook} --html {output.html}"
            " -p tables {input.tables} -p checks {input.checks} -p png {output.png}"
            " -p pdf {output.pdf} -p stamp {params.stamp:q} > {log.log} 2>&1"
