"""keras_elmo.serving"""
