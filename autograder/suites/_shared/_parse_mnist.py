"""parse_mnist cases shared by hw0 and hw1 (whose apps/simple_ml.py repeats hw0's function).

Each homework's suite declares its own cases (points, seeds, shapes) and calls these.
X must be float32 and y uint8 (READMEs and public tests), so both are reported as returned.
"""
from _data import random_images, temporary_folder, write_idx_images, write_idx_labels


def report_parsed(report, seed, count, rows, cols):
    """Write random images of rows x cols and their labels, parse them, report X and y."""
    from simple_ml import parse_mnist

    images, labels = random_images(seed, count, rows, cols)
    with temporary_folder() as folder:
        write_idx_images(folder / "images-idx3-ubyte.gz", images)
        write_idx_labels(folder / "labels-idx1-ubyte.gz", labels)
        X, y = parse_mnist(str(folder / "images-idx3-ubyte.gz"), str(folder / "labels-idx1-ubyte.gz"))
    report("X", X)
    report("y", y)


def raises_value_error(parse, image_file, label_file):
    """1 when parse_mnist refuses the files with ValueError, 0 when it returns.

    Any other exception (NotImplementedError included) ends the case, as it should.
    """
    try:
        parse(str(image_file), str(label_file))
    except ValueError:
        return 1
    return 0
