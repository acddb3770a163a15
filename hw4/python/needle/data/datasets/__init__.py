from .mnist_dataset import *
from .ndarray_dataset import *
from .cifar10_dataset import *
from .ptb_dataset import *
