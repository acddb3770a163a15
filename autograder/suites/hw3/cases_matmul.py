"""hw3 matmul_cpp / matmul_cuda: the backend's matmul, and on the CPU its matmul_tiled.

Each body runs twice, as `<name>_cpp` on "cpu" (nd.cpu(), part matmul_cpp) and as
`<name>_cuda` on "cuda" (nd.cuda(), part matmul_cuda), on the same inputs. The kernels are
called as NDArray.__matmul__ calls them (see _hw3.matmul): when the device has
`matmul_tiled` and m, n, p are all multiples of its tile size (8 on the CPU), on operands
copied into tiles [rows/8][cols/8][8][8], else `matmul` on row-major operands. So on the
CPU the tile-multiple cases grade matmul_tiled (tile grids of different heights and widths,
so a misread tile layout shows) and the others grade matmul, including shapes where only
some of m, n, p are multiples of 8; the GPU runs `matmul` on all of them. `out` starts as
NaN (see _hw3), so a kernel that accumulates into `out` without zeroing it first fails.

Tolerances. Each output is a float32 sum of n products, which equally correct kernels
accumulate in different orders (row by row, tile by tile, in SIMD lanes or CUDA threads,
with or without fused multiply-adds, in double). Measured between sequential, reversed,
fused and BLAS orders on Gaussian inputs: up to 1e-5 apart for n <= 65 and 8e-5 for n = 384
(outputs up to ~100). The small cases take rtol = 1e-5 and atol = 1e-4, the large one
rtol = 1e-4 and atol = 1e-3: ten times that at least; any indexing mistake is off by order 1.
"""
from dlsys_harness import report
from _hw3 import matmul, normal, twins

SMALL = dict(rtol=1e-5, atol=1e-4, timeout=30)


def _product(dev, seed, m, n, p):
    return matmul(dev, normal(seed, m, n), normal(seed + 1, n, p))


@twins("matmul", points=3, **SMALL)
def matmul_odd_shapes(dev):
    report("7x13x5", _product(dev, 4401, 7, 13, 5))
    report("row_times_column_1x37x1", _product(dev, 4403, 1, 37, 1))
    report("outer_product_31x1x17", _product(dev, 4405, 31, 1, 17))
    report("9x33x15", _product(dev, 4407, 9, 33, 15))
    report("3x2x1", _product(dev, 4409, 3, 2, 1))


@twins("matmul", points=3, **SMALL)
def matmul_tile_multiples(dev):
    report("8x8x8", _product(dev, 4411, 8, 8, 8))
    report("16x40x24", _product(dev, 4413, 16, 40, 24))
    report("24x8x56", _product(dev, 4415, 24, 8, 56))
    report("48x16x8", _product(dev, 4417, 48, 16, 8))


@twins("matmul", points=2, **SMALL)
def matmul_some_dims_multiples_of_8(dev):
    report("16x24x13", _product(dev, 4421, 16, 24, 13))
    report("13x8x16", _product(dev, 4423, 13, 8, 16))
    report("8x17x32", _product(dev, 4425, 8, 17, 32))
    report("64x64x1", _product(dev, 4427, 64, 64, 1))


@twins("matmul", points=2, rtol=1e-4, atol=1e-3, timeout=60)
def matmul_large(dev):
    report("256x384x512", _product(dev, 4431, 256, 384, 512))
    report("129x200x67", _product(dev, 4433, 129, 200, 67))
