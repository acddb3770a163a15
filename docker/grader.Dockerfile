# The grader image: where every graded job runs under DockerSandbox
# (autograder/sandbox/docker.py). It holds tools only: python3 (a venv at /opt/venv, first
# on PATH) with numpy and pybind11 at the grader host's versions, plus cmake, make, g++ and
# the Python headers to build the student's native code, and what never changes between
# submissions: CMake's configure of each handout with native modules, run once here by
# prepare_builds.py and kept in /opt/dlsys/cmake/<key> (the harness's prepared_build.py copies
# the matching tree into a job's build folder, so a job compiles only the student's files;
# pybind11's headers come with its wheel). No source of this repository is copied in (of a
# handout, only its CMake files, with empty module sources): the job folder (handout +
# student files + hidden suite) is bind-mounted read-only at /job for each job, and /work is
# a fresh tmpfs.
#
# Build it with `dlsys grader-image` (build_grader_image() in autograder/sandbox/image.py), not
# with a bare `docker build`: it makes the build context (a copy of this docker/ folder plus
# prepared-builds/, the handouts' CMake files, and wheels/, filled on the host by `pip download
# --only-binary=:all: --platform manylinux... --python-version PY` of pip, numpy==<host numpy>
# and pybind11==<host pybind11>, cached in ~/.cache/dlsys/wheels/PY).
# Why wheels: build containers do not reach the package index (no host certificate setup),
# and Debian's python3-numpy is 1.24, whose scalar promotion differs from numpy 2's
# (NEP 50: np.float32(1) / 3 is float64 there, float32 here), so graded dtypes would differ.
#
# BASE and python_version (the base's python3 as MAJOR.MINOR; the build checks it):
#   - local/debian:bookworm, python_version="3.11" (the default; machines without a registry,
#     see shared/tools/README.md);
#   - production, on GPU hosts, an NVIDIA CUDA devel image so nvcc is there to build the
#     CUDA backend: build_grader_image(base="nvidia/cuda:12.6.3-devel-ubuntu24.04",
#     python_version="3.12"). An ubuntu22.04 base needs python_version="3.10"; numpy 2.3+
#     has no wheels for Python 3.10, so it gets the newest numpy 2.x that has (2.2.x).
ARG BASE=local/debian:bookworm
FROM ${BASE}

ARG DEBIAN_FRONTEND=noninteractive
ENV LANG=C.UTF-8 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1

# Only the base's python3 (the venv is made with --without-pip: no python3-venv needed).
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
        python3 python3-dev \
        cmake make g++ \
 && rm -rf /var/lib/apt/lists/*

# numpy and pybind11 from the wheels build_grader_image put in the context; pip runs from
# its own wheel. python3 on PATH is then the venv's.
ARG PYTHON_VERSION=3.11
COPY wheels/ /wheels/
RUN python3 -c "import sys; v = '%d.%d' % sys.version_info[:2]; sys.exit(0 if v == '${PYTHON_VERSION}' else \
f'the base image has Python {v}, the wheels are for ${PYTHON_VERSION}: pass python_version=\"{v}\"')" \
 && python3 -m venv --without-pip /opt/venv \
 && /opt/venv/bin/python3 "$(ls /wheels/pip-*.whl)/pip" install --no-index --find-links /wheels \
        --no-cache-dir --disable-pip-version-check pip numpy pybind11
ENV PATH=/opt/venv/bin:$PATH
RUN python3 -c "import numpy, pybind11; print('numpy', numpy.__version__, 'pybind11', pybind11.__version__)"

# Mount points: the sandbox mounts the job folder read-only at /job and a tmpfs at /work.
RUN mkdir -p /job /work && chmod 0755 /job && chmod 1777 /work

# What never changes between submissions: CMake's configure of each handout (compiler, Python,
# pybind11, OpenMP, flag probes), run once here at the job's own paths (/work/hw into
# /work/build, which the job's tmpfs hides) and kept in /opt/dlsys/cmake/<key>. Only the
# handouts' CMake files and empty module sources come in; /work is left empty.
COPY prepared-builds/ /tmp/prepared-builds/
COPY prepare_builds.py /tmp/prepare_builds.py
RUN python3 /tmp/prepare_builds.py /tmp/prepared-builds /opt/dlsys/cmake \
 && rm -rf /tmp/prepared-builds /tmp/prepare_builds.py \
 && test -z "$(ls -A /work)"

USER 65534:65534
ENV HOME=/work
WORKDIR /work
CMD ["python3", "--version"]
