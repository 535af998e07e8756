# paystream: one image, six processes. Kubernetes chooses the process with `args` (deploy/k8s):
#   python -m payment | order.api | callback_gateway | order.worker | order.reconcile | order.migrate
# Runtime dependencies are the versions pinned in constraints.txt (the lock `./dev lock` writes),
# wheels only; the dev extra is never installed. Pin the base image by digest in CI:
#   docker build --build-arg PYTHON_IMAGE=python:3.11-slim-bookworm@sha256:... .
# `./dev image` builds it on a Python 3.11 base made from Debian with debootstrap (no registry
# needed; devstack/images.py). No `# syntax=` line: BuildKit's built-in frontend does, and a
# named frontend would have to be pulled. pip verifies TLS with the CA bundle passed as the build
# secret "ca" when the build machine needs one (a proxy's CA); it is never part of an image:
#   docker build --secret id=ca,src=/etc/ssl/certs/ca-certificates.crt .
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- build: a virtual environment with the dependencies, then the project ----------------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/paystream
ENV PATH=/opt/paystream/bin:$PATH
WORKDIR /src

# Dependencies first, from pyproject's list and constraints.txt only, so that this layer is
# rebuilt when they change and not on every code change. Binary wheels only: nothing compiles,
# so the build needs no compiler and the result is the same on every build machine.
COPY pyproject.toml constraints.txt ./
RUN --mount=type=secret,id=ca \
    if [ -s /run/secrets/ca ]; then export PIP_CERT=/run/secrets/ca; fi \
    && python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install --only-binary=:all: -c constraints.txt -r /tmp/requirements.txt

# The project itself (a regular, non-editable install; order/migrations/*.sql is package data).
# .dockerignore keeps tests, tooling and local state out of the context. pip compiles the
# bytecode here, so the read-only image never needs to write any.
COPY . .
RUN --mount=type=secret,id=ca \
    if [ -s /run/secrets/ca ]; then export PIP_CERT=/run/secrets/ca; fi \
    && pip install --no-deps -c constraints.txt . \
    && pip check \
    && cd / \
    && python -c "import order.migrate as m; assert sorted(m.MIGRATIONS.glob('*.sql')), 'no migrations'" \
    && pip uninstall -y pip

# --- runtime: the slim base, tini, the virtual environment, a user without a shell ---------------
FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="paystream" \
      org.opencontainers.image.description="WeChat Pay Native payments: gRPC services, notify gateway, order worker, reconciler"
# tini as PID 1 forwards SIGTERM to the process and reaps children: a process with no signal
# handler of its own (the migrations) still stops when Kubernetes asks.
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 paystream \
    && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home \
        --shell /usr/sbin/nologin paystream
COPY --from=build /opt/paystream /opt/paystream
# No .pyc written at run time (the root filesystem is read-only in Kubernetes), logs unbuffered,
# a traceback on a fatal signal; /tmp is an emptyDir volume in every pod.
ENV PATH=/opt/paystream/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONFAULTHANDLER=1 \
    TMPDIR=/tmp
# An empty directory the user cannot write: nothing on sys.path that a process could change.
WORKDIR /app
# Numeric, so that Kubernetes can check runAsNonRoot.
USER 10001:10001
ENTRYPOINT ["/usr/bin/tini", "--"]
# Without arguments the image only says how to use it, and exits non-zero.
CMD ["python", "-c", "raise SystemExit('paystream: run one process: python -m payment | order.api | callback_gateway | order.worker | order.reconcile | order.migrate')"]
