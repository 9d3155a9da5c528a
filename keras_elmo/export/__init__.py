"""keras_elmo.export"""
