# Figures, one pair of rules each, built from the registry (each study's figures.py): the numbers
# a figure is judged by (a checks table), then a thin notebook that plots it.

for _fig, _spec in FIGURES.items():
    _inputs = figure_inputs(_fig)

    rule:
        name:
            f"checks_{_fig}"
        input:
            code("checks", f"nnbayes.{_spec.study}.figures"),
            **_inputs,
            criteria=f"workflow/criteria/{_spec.study}.yaml",
            criteria_schema="workflow/criteria/criteria.schema.yaml",
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
            inputs=partial(inputs_json, list(_inputs)),
            scale=config["scale"],
        shell:
            "nnbayes checks --figure {params.figure} --inputs {params.inputs:q}"
            " --criteria {input.criteria} --scale {params.scale} --out {output} > {log} 2>&1"

    rule:
        name:
            _fig
        input:
            code("render", *file_imports(ROOT / notebook_path(_fig))),
            code("checks", f"nnbayes.{_spec.study}.figures"),
            **_inputs,
            nb=notebook_path(_fig),
            checks=f"<results>/reports/{_fig}.csv",
        output:
            png=report(
                f"<results>/figures/{_fig}.png",
                caption="../report/figure.rst",
                category=REPORT_CATEGORIES[_spec.study],
                labels={"figure": _fig, "kind": "figure"},
            ),
            pdf=f"<results>/figures/{_fig}.pdf",
            html=report(
                f"<results>/notebooks/{_fig}.html",
                caption="../report/figure.rst",
                category=REPORT_CATEGORIES[_spec.study],
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
            caption=partial(figure_caption, _fig),
            inputs=partial(inputs_json, list(_inputs)),
        shell:
            "nnbayes render {input.nb} --executed {log.notebook} --html {output.html}"
            " -p inputs {params.inputs:q} -p checks {input.checks} -p png {output.png}"
            " -p pdf {output.pdf} -p stamp {params.stamp:q} > {log.log} 2>&1"
