#   docker run -e STEPHOST_CONNECT=host:7070 -e STEPHOST_SECRET=... -v $PWD/app:/app stephost-sidecar-ruby
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ruby ruby-grpc ruby-google-protobuf \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/stephost/sidecars/ruby
COPY sidecars/ruby ./
CMD ["ruby", "bin/stephost-sidecar-ruby", "/app"]
