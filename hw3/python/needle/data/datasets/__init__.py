from .mnist_dataset import *
from .ndarray_dataset import *
