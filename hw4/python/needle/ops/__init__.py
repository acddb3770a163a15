from .ops_mathematic import *
from .ops_logarithmic import *
from .ops_tuple import *
