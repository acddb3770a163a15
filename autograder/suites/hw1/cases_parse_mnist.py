"""hw1 parse_mnist (apps/simple_ml.py, as in hw0), on other files (see _parse_mnist.py).

Every image set contains the pixel values 0 and 255, so dividing by 255 and min-max
scaling (both readings of hw1's docstring) give the same X.
"""
import numpy as np

from dlsys_harness import case, report
from _data import random_images, temporary_folder, write_idx_images, write_idx_labels
from _parse_mnist import raises_value_error, report_parsed


@case(part="parse_mnist", points=2, rtol=1e-6, atol=1e-7, timeout=30)
def parse_mnist_28x28_images():
    report_parsed(report, seed=42424, count=33, rows=28, cols=28)


@case(part="parse_mnist", points=1.5, rtol=1e-6, atol=1e-7, timeout=30)
def parse_mnist_non_square_images():
    report_parsed(report, seed=43434, count=11, rows=9, cols=6)  # rows*cols = 54


@case(part="parse_mnist", points=1.5, rtol=0.0, atol=0.0, timeout=30)
def parse_mnist_refuses_bad_files():
    # the docstring's Raises: not an idx file of the expected kind, or different example counts
    from simple_ml import parse_mnist

    images, labels = random_images(44444, 18, 3, 4)
    with temporary_folder() as folder:
        write_idx_images(folder / "i.gz", images)
        write_idx_labels(folder / "l.gz", labels)
        write_idx_labels(folder / "l-long.gz", np.concatenate([labels, labels[:3]]))  # 18 images, 21 labels
        write_idx_images(folder / "i-wrong-magic.gz", images, magic=2049)
        flags = [
            raises_value_error(parse_mnist, folder / "l.gz", folder / "i.gz"),  # swapped files
            raises_value_error(parse_mnist, folder / "i.gz", folder / "l-long.gz"),
            raises_value_error(parse_mnist, folder / "i-wrong-magic.gz", folder / "l.gz"),
        ]
    report("value_error_flags", np.array(flags, dtype=np.int64))
