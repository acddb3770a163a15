"""hw2 data: the two transforms, MNISTDataset, and the DataLoader with and without shuffling.

Transforms draw from numpy's global generator exactly as the handout's given lines do
(`np.random.rand() < p`; `np.random.randint(low=-padding, high=padding + 1, size=2)`), so
after `numpy.random.seed` each call's outcome is fixed; a sequence of calls on one image is
reported. RandomCrop pads with zeros and keeps the window starting at (padding + shift_x,
padding + shift_y): the image moves by -shift.

MNISTDataset reads gzipped idx files written into a temporary folder (never course data);
its images are float32 (28, 28, 1) in [0, 1] and are reported as returned. Every image set
contains the pixel values 0 and 255, so dividing by 255 and min-max scaling agree. Labels
are reported as int64 (their integer type is not graded). Its transforms are two of the
suite's own, deterministic and not commuting, applied in order to each (28, 28, 1) image.
Scaling by 1/255 in another way moves a pixel by one float32 ulp: atol = rtol = 1e-6.

The DataLoader runs two epochs over an in-memory dataset whose labels are the sample
indices, so the order of the samples is visible; batches are reported as float64 and
int64 (values and shapes are graded, not the dtype). With shuffling, each epoch draws
`np.random.permutation(len(dataset))` when it starts (each `iter`).
"""
import numpy as np

from dlsys_harness import case, report
from _data import random_images, temporary_folder, write_idx_images, write_idx_labels
from _hw2 import f64

EXACT = dict(rtol=0.0, atol=0.0, timeout=10)


def _image(seed, *shape):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


@case(part="data", points=2, **EXACT)
def random_flip_horizontal_seeded():
    import needle as ndl

    image = _image(2801, 5, 7, 3)
    flip = ndl.data.RandomFlipHorizontal(0.5)
    np.random.seed(2802)
    report("p_0.5_eight_calls", np.stack([flip(image) for _ in range(8)]).astype(np.float64))
    np.random.seed(2803)
    report("p_0.3_six_calls", np.stack([ndl.data.RandomFlipHorizontal(0.3)(image) for _ in range(6)]).astype(np.float64))
    report("p_1", np.asarray(ndl.data.RandomFlipHorizontal(1.0)(image), dtype=np.float64))
    report("p_0", np.asarray(ndl.data.RandomFlipHorizontal(0.0)(image), dtype=np.float64))


@case(part="data", points=3, **EXACT)
def random_crop_seeded():
    import needle as ndl

    image = _image(2811, 6, 8, 2)
    crop = ndl.data.RandomCrop(2)
    np.random.seed(2812)
    report("padding_2_ten_calls", np.stack([crop(image) for _ in range(10)]).astype(np.float64))
    np.random.seed(2813)
    small = _image(2814, 4, 5, 1)
    report("padding_3_six_calls", np.stack([ndl.data.RandomCrop(3)(small) for _ in range(6)]).astype(np.float64))
    np.random.seed(2815)
    report("padding_0", np.asarray(ndl.data.RandomCrop(0)(image), dtype=np.float64))


# Transforms of the suite's own (the handout's random ones are graded on their own): they need
# an H x W x C image, and their order matters.
def _upside_down_capped(img):
    return np.minimum(img[::-1, :, :], 0.6)


def _stretched(img):
    return img * 2.0 - 0.5


def _mnist_files(folder, seed, count):
    images, labels = random_images(seed, count, 28, 28)
    write_idx_images(folder / "images-idx3-ubyte.gz", images)
    write_idx_labels(folder / "labels-idx1-ubyte.gz", labels)
    return str(folder / "images-idx3-ubyte.gz"), str(folder / "labels-idx1-ubyte.gz")


@case(part="data", points=3, rtol=1e-6, atol=1e-6, timeout=10)
def mnist_dataset_items():
    import needle as ndl

    with temporary_folder() as folder:
        files = _mnist_files(folder, 2821, 13)
        dataset = ndl.data.MNISTDataset(*files)
        report("length", np.int64(len(dataset)))
        for i in (0, 6, 12):
            image, label = dataset[i]
            report(f"image_{i}", image)
            report(f"label_{i}", np.int64(label))
        report("all_labels", np.array([dataset[i][1] for i in range(len(dataset))], dtype=np.int64))
        transformed = ndl.data.MNISTDataset(*files, transforms=[_upside_down_capped, _stretched])
        report("transformed_3", transformed[3][0])
        report("transformed_9", transformed[9][0])


@case(part="data", points=1, rtol=1e-6, atol=1e-6, timeout=10)
def mnist_dataset_index_array():
    # the docstring: an array of indices gives (images, labels) of shapes (n, 28, 28, 1) and (n,)
    import needle as ndl

    with temporary_folder() as folder:
        dataset = ndl.data.MNISTDataset(*_mnist_files(folder, 2831, 9))
        images, labels = dataset[np.array([7, 2, 5])]
    report("images", images)
    report("labels", np.asarray(labels, dtype=np.int64))


def _indexed_dataset(seed, count):
    """An NDArrayDataset of float32 samples (count, 3, 2) and int labels equal to their index."""
    import needle as ndl

    X = _image(seed, count, 3, 2)
    return ndl.data.NDArrayDataset(X, np.arange(count, dtype=np.int64))


def _epochs(loader, epochs=2):
    """Report every batch of each epoch: X (float64), y (int64)."""
    for epoch in range(epochs):
        batches = list(loader)
        report(f"epoch_{epoch}_batches", np.int64(len(batches)))
        for number, batch in enumerate(batches):
            X, y = batch
            report(f"epoch_{epoch}_batch_{number}_X", f64(X))
            report(f"epoch_{epoch}_batch_{number}_y", f64(y).astype(np.int64))


@case(part="data", points=3, **EXACT)
def dataloader_in_order_with_a_short_last_batch():
    import needle as ndl

    # 23 samples in batches of 5: 5, 5, 5, 5, then 3; the same order in both epochs
    _epochs(ndl.data.DataLoader(_indexed_dataset(2841, 23), batch_size=5))
    # the default batch size is 1
    loader = ndl.data.DataLoader(_indexed_dataset(2842, 3))
    report("batch_size_1_y", np.concatenate([f64(y) for _, y in loader]).astype(np.int64))


@case(part="data", points=3, **EXACT)
def dataloader_shuffles_every_epoch():
    import needle as ndl

    np.random.seed(2851)
    # 19 samples in batches of 4: 4, 4, 4, 4, then 3; a fresh order in each epoch
    _epochs(ndl.data.DataLoader(_indexed_dataset(2852, 19), batch_size=4, shuffle=True))
