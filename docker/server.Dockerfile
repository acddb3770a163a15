# The server image: the repository installed (editable, in place, as everywhere: the grading code
# reads the homework snapshots from it) with `dlsys serve` and `dlsys worker`; docker/compose.yaml
# runs both from it. Build it with `dlsys server-image` (autograder/deploy/server_image.py), not a
# bare `docker build`: it makes the context, repo/ (the repository's tracked files) and wheels/
# (every Python dependency, downloaded by the host's pip: build containers reach no index).
#
# Two stages: the first has the compilers and builds (pip install -e compiles every homework's
# native modules, about a minute on two cores; no nvcc, so no CUDA module: the server and the
# workers run none, the grader image builds the student's); the second takes the venv and the
# built repository only.
ARG BASE=local/debian:bookworm
FROM ${BASE} AS build
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-dev g++ make cmake \
 && rm -rf /var/lib/apt/lists/*
ARG PYTHON_VERSION=3.11
COPY wheels/ /wheels/
RUN python3 -c "import sys; v = '%d.%d' % sys.version_info[:2]; sys.exit(0 if v == '${PYTHON_VERSION}' else \
f'the base image has Python {v}, the wheels are for ${PYTHON_VERSION}: pass python_version=\"{v}\"')" \
 && python3 -m venv --without-pip /opt/venv \
 && /opt/venv/bin/python3 "$(ls /wheels/pip-*.whl)/pip" install --no-index --find-links /wheels \
        --no-cache-dir --disable-pip-version-check -r /wheels/requirements.txt
COPY repo/ /opt/dlsys/
RUN /opt/venv/bin/pip install --no-index --no-deps --no-build-isolation --no-cache-dir \
        --disable-pip-version-check -e /opt/dlsys \
 && rm -rf /opt/dlsys/build

FROM ${BASE}
ARG DEBIAN_FRONTEND=noninteractive
ENV LANG=C.UTF-8 PYTHONUNBUFFERED=1 PATH=/opt/venv/bin:$PATH
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /opt/venv /opt/venv
COPY --from=build /opt/dlsys /opt/dlsys
# The server runs as dlsys (uid 1000); the named volumes start owned by it. The worker runs as
# root: it talks to the host's Docker engine through its socket (see docs/staff.md).
RUN useradd --uid 1000 --create-home dlsys \
 && mkdir -p /var/lib/dlsys /var/lib/dlsys-answers \
 && chown dlsys:dlsys /var/lib/dlsys /var/lib/dlsys-answers \
 && dlsys --help >/dev/null
USER dlsys
WORKDIR /opt/dlsys
EXPOSE 8000
CMD ["dlsys", "serve", "--host", "0.0.0.0", "--port", "8000"]
