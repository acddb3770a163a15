from .nn_basic import *
