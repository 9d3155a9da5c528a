"""Research code: ablations, recipe comparisons and warm-state studies.

Not part of the `keras_elmo` package (nothing in it imports these). Each
runs from the repository root as a module, e.g.
`python -m experiments.run_ablations --help`. They may import `keras_elmo`
and the data builders of `tools` (one way: `tools` never imports them).
"""
