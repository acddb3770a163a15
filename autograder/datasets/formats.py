"""The data sets' own file formats, written from arrays: what generated stand-ins are saved as.

`dlsys demo` writes generated CIFAR-10 with it when the real data set is absent, and the hidden
suites write their hidden inputs with it, so both produce files the handouts' loaders read as
they read the real ones. Standard library and numpy only, and no import of this package:
grading copies this file into every job as `_formats.py` (grading/job_folder.py), where the
suites import it inside the sandbox.
"""
import pickle

import numpy as np


def write_cifar10_batch(path, data, labels, name="batch"):
    """A CIFAR-10 python batch file as the real ones are: a dict with bytes keys, b"data" a uint8
    (n, 3072) array (red, green, blue planes of 32 x 32), b"labels" a list of ints, pickled with
    protocol 2 (the real files were written by Python 2)."""
    batch = {b"batch_label": name.encode(), b"labels": [int(label) for label in labels],
             b"data": np.asarray(data, dtype=np.uint8),
             b"filenames": [f"image_{i}.png".encode() for i in range(len(labels))]}
    with open(path, "wb") as f:
        pickle.dump(batch, f, protocol=2)
