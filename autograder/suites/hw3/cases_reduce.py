"""hw3 reduce_cpp / reduce_cuda: the backend's reduce_sum and reduce_max.

Each body runs twice, as `<name>_cpp` on "cpu" (nd.cpu(), part reduce_cpp) and as
`<name>_cuda` on "cuda" (nd.cuda(), part reduce_cuda), on the same inputs. The kernels are
called as NDArray.sum/max call them: the reduced axis moved last and compacted (numpy does
that here), out[i] = the reduction of a[i*size:(i+1)*size]. Group counts and sizes differ
(sums: 55 groups of 7, 77 of 5, 1 of 4099, 300 of 3; maxima: 52 of 9, 35 of 6, 1 of 1001,
300 of 3), so reducing the wrong groups (strided instead of consecutive, or count and size
swapped) shows; `out` starts as NaN (see _hw3), so an output read before it is written shows.

Tolerances. A maximum is one of its inputs: exact. Sums of Gaussian float32 numbers may be
accumulated in any order (sequential, backwards, pairwise, in SIMD lanes or CUDA threads, in
double). Measured against the exact sum: a sequential float32 sum of the 4099-element group
(sum ~400) is off by 3.5e-4, a pairwise one by 1.4e-5; groups of 3 to 11 by under 5e-7.
rtol = 1e-5 with atol = 2e-4 allows 4e-3 on the long group and 2e-4 on the short ones: more
than ten times what any order costs, and far below what a lost or repeated element costs.
The long sums (groups of 100003) are of multiples of 1/8: exact in float32 in any order, so
that case has no tolerance. Maxima include all-negative groups (a maximum that starts from
0 is wrong) and maxima at a group's first and last element.
"""
import numpy as np

from dlsys_harness import report
from _hw3 import dyadic, normal, reduce, twins

SUMS = dict(rtol=1e-5, atol=2e-4, timeout=30)
EXACT = dict(rtol=0.0, atol=0.0, timeout=30)


@twins("reduce", points=2, **SUMS)
def reduce_sum_over_groups(dev):
    x = normal(4301, 5, 7, 11)
    report("middle_axis_of_5x7x11", reduce(dev, "reduce_sum", x, 1))
    report("first_axis_of_5x7x11", reduce(dev, "reduce_sum", x.transpose(2, 1, 0).copy(), 2))
    report("all_of_4099", reduce(dev, "reduce_sum", normal(4302, 4099, shift=0.1), None))
    report("last_axis_of_300x3", reduce(dev, "reduce_sum", normal(4303, 300, 3), 1))


def _with_planted_maxima(seed, groups, size):
    """Gaussian groups whose first ones are all negative, and whose maxima sit at their first
    element in some groups and at their last in others."""
    x = normal(seed, groups, size)
    x[: groups // 3] = -np.abs(x[: groups // 3]) - 0.5
    peak = np.abs(x).max(axis=1) + np.float32(0.25)
    x[1::4, 0] = peak[1::4]
    x[2::4, -1] = peak[2::4]
    return x


@twins("reduce", points=2, **EXACT)
def reduce_max_over_groups(dev):
    x = _with_planted_maxima(4311, 52, 9).reshape(13, 4, 9)
    report("last_axis_of_13x4x9", reduce(dev, "reduce_max", x, 2))
    y = _with_planted_maxima(4312, 35, 6).reshape(5, 7, 6).transpose(0, 2, 1)  # groups on the middle axis
    report("middle_axis_of_5x6x7", reduce(dev, "reduce_max", y, 1))
    report("all_of_1001_negative", reduce(dev, "reduce_max", -np.abs(normal(4313, 7, 11, 13)) - 1.0, None))
    report("last_axis_of_300x3", reduce(dev, "reduce_max", _with_planted_maxima(4314, 300, 3), 1))


@twins("reduce", points=1, rtol=0.0, atol=0.0, timeout=30)
def long_reductions(dev):
    report("sum_3_groups_of_100003", reduce(dev, "reduce_sum", dyadic(4321, 3, 100003), 1))
    x = normal(4322, 2, 65537) - np.float32(5.0)
    x[0, -1], x[1, 0] = 2.5, 3.5  # the maxima: the last element of the first group, the first of the second
    report("max_2_groups_of_65537", reduce(dev, "reduce_max", x, 1))
