from .data_basic import *
from .data_transforms import *
from .datasets import *
