# syntax=docker/dockerfile:1
# The Ruby sidecar: the files the host's wheel ships as stephost_host/runtimes/ruby, on
# Debian's Ruby and its gRPC packages (the same ones `make install` uses). Runs as the
# unprivileged user stephost (uid 10001); the project at /app stays read-only.
#   docker build -f docker/sidecar-ruby.Dockerfile -t stephost-sidecar-ruby .
#   docker run -e STEPHOST_CONNECT=host:7070 -e STEPHOST_SECRET=... -v $PWD/app:/app:ro stephost-sidecar-ruby
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ruby ruby-grpc ruby-google-protobuf \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --no-create-home --shell /usr/sbin/nologin stephost
WORKDIR /opt/stephost/ruby
COPY sidecars/ruby/bin bin
COPY sidecars/ruby/lib lib
COPY docker/sidecar-health.sh /usr/local/bin/stephost-sidecar-health
ENV STEPHOST_CONNECT=host:7070
USER 10001:10001
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s CMD ["stephost-sidecar-health"]
CMD ["ruby", "bin/stephost-sidecar-ruby", "/app"]
