"""hw0 parse_mnist: gzipped idx files written on the spot, never course data (see _parse_mnist.py)."""
import numpy as np

from dlsys_harness import case, report
from _data import random_images, temporary_folder, write_idx_images, write_idx_labels
from _parse_mnist import raises_value_error, report_parsed


@case(part="parse_mnist", points=6, rtol=1e-6, atol=1e-7, timeout=30)
def parse_mnist_28x28_images():
    report_parsed(report, seed=31337, count=41, rows=28, cols=28)


@case(part="parse_mnist", points=5, rtol=1e-6, atol=1e-7, timeout=30)
def parse_mnist_non_square_images():
    report_parsed(report, seed=27182, count=9, rows=5, cols=12)  # rows*cols = 60


@case(part="parse_mnist", points=4, rtol=0.0, atol=0.0, timeout=30)
def parse_mnist_refuses_bad_files():
    from simple_ml import parse_mnist

    images, labels = random_images(16180, 20, 4, 3)
    with temporary_folder() as folder:
        write_idx_images(folder / "i.gz", images)
        write_idx_labels(folder / "l.gz", labels)
        write_idx_labels(folder / "l-image-magic.gz", labels, magic=2051)  # labels file with the images' magic
        write_idx_labels(folder / "l-short.gz", labels[:19])  # 20 images, 19 labels
        write_idx_images(folder / "i-truncated.gz", images, truncate_to=100)  # 240 pixels announced, 100 written
        flags = [
            raises_value_error(parse_mnist, folder / "l.gz", folder / "i.gz"),  # swapped files
            raises_value_error(parse_mnist, folder / "i.gz", folder / "l-image-magic.gz"),
            raises_value_error(parse_mnist, folder / "i.gz", folder / "l-short.gz"),
            raises_value_error(parse_mnist, folder / "i-truncated.gz", folder / "l.gz"),
        ]
    report("value_error_flags", np.array(flags, dtype=np.int64))
