"""Random image transforms for data augmentation, on numpy images of shape (H, W, C).

Each draws from numpy's global generator, so `numpy.random.seed` makes them reproducible.
"""
import numpy as np


class Transform:
    """A callable that maps one image to another."""

    def __call__(self, x):
        raise NotImplementedError


class RandomFlipHorizontal(Transform):
    """Mirror the image left to right with probability p (drawn as `np.random.rand() < p`)."""

    def __init__(self, p=0.5):
        self.p = p

    def __call__(self, img):
        """
        Horizonally flip an image, specified as an H x W x C NDArray.
        Args:
            img: H x W x C NDArray of an image
        Returns:
            H x W x C ndarray corresponding to image flipped with probability self.p
        Note: use the provided code to provide randomness, for easier testing
        """
        flip_img = np.random.rand() < self.p
        ### BEGIN YOUR SOLUTION
        return img[:, ::-1, :] if flip_img else img
        ### END YOUR SOLUTION


class RandomCrop(Transform):
    """Shift the image by up to `padding` pixels along H and W, filling with zeros: pad by
    `padding` on every side, then crop H x W at the drawn shift."""

    def __init__(self, padding=3):
        self.padding = padding

    def __call__(self, img):
        """Zero pad and then randomly crop an image.
        Args:
             img: H x W x C NDArray of an image
        Return
            H x W x C NAArray of cliped image
        Note: generate the image shifted by shift_x, shift_y specified below
        """
        shift_x, shift_y = np.random.randint(low=-self.padding, high=self.padding + 1, size=2)
        ### BEGIN YOUR SOLUTION
        p = self.padding
        height, width = img.shape[0], img.shape[1]
        padded = np.pad(img, ((p, p), (p, p), (0, 0)))
        return padded[p + shift_x : p + shift_x + height, p + shift_y : p + shift_y + width, :]
        ### END YOUR SOLUTION
