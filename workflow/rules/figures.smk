# Figures: the numbers each is judged by (a checks table), then a thin notebook that plots.

for _fig, _spec in FIGURES.items():

    rule:
        name:
            f"checks_{_fig}"
        input:
            code("checks", f"nnbayes.{_spec['study']}.checks"),
            tables=_spec["tables"],
        output:
            f"<results>/reports/{_fig}.csv",
        log:
            f"<logs>/checks/{_fig}.log",
        group:
            "figures"  # one cluster job per bundle (profile: group-components); ignored locally
        conda:
            "../../envs/pipeline.yaml"
        params:
            figure=_fig,
            module=f"nnbayes.{_spec['study']}.checks",
        shell:
            "nnbayes checks --module {params.module} --figure {params.figure} --out {output}"
            " {input.tables} > {log} 2>&1"

    rule:
        name:
            _fig
        input:
            code("render", *file_imports(ROOT / notebook_path(_fig))),
            nb=notebook_path(_fig),
            tables=_spec["tables"],
            checks=f"<results>/reports/{_fig}.csv",
        output:
            png=report(
                f"<results>/figures/{_fig}.png",
                caption="../report/figure.rst",
                category=REPORT_CATEGORIES[_spec["study"]],
                labels={"figure": _fig, "kind": "figure"},
            ),
            pdf=f"<results>/figures/{_fig}.pdf",
            html=report(
                f"<results>/notebooks/{_fig}.html",
                caption="../report/figure.rst",
                category=REPORT_CATEGORIES[_spec["study"]],
                labels={"figure": _fig, "kind": "notebook"},
            ),
        log:
            notebook=f"<logs>/notebooks/{_fig}.ipynb",
            log=f"<logs>/notebooks/{_fig}.log",
        retries: 2  # a kernel that did not start; unwritable directories are refused before any job
        group:
            "figures"
        conda:
            "../../envs/pipeline.yaml"
        params:
            stamp=figure_stamp(_fig),
            caption=partial(notebook_caption, _fig),
        shell:
            "nnbayes render {input.nb} --executed {log.notebook} --html {output.html}"
            " -p tables {input.tables} -p checks {input.checks} -p png {output.png}"
            " -p pdf {output.pdf} -p stamp {params.stamp:q} > {log.log} 2>&1"
