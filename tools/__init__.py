"""Repository tooling: data builders and the release packager.

Not part of the `keras_elmo` package (nothing in it imports these). Each
runs from the repository root as a module, e.g.
`python -m tools.prepare_pretraining_corpus --help`. They may import
`keras_elmo`; they never import `experiments`.
"""
