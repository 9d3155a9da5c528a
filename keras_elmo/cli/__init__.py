"""keras_elmo.cli"""
