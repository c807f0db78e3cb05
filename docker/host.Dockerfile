# The host, with the Python sidecar available for supervised use.
#   docker build -f docker/host.Dockerfile -t stephost-host .
#   docker run -p 3000:3000 -p 7070:7070 -e STEPHOST_SECRET=... -v $PWD/app:/app stephost-host
FROM python:3.11-slim
WORKDIR /opt/stephost
COPY pyproject.toml README.md ./
COPY proto proto
COPY host host
COPY sdk_python sdk_python
COPY sidecars/python sidecars/python
RUN pip install --no-cache-dir .
ENV STEPHOST_HOST=0.0.0.0 STEPHOST_SIDECAR_HOST=0.0.0.0
EXPOSE 3000 7070
# Sidecars of other languages run in their own containers and dial in.
CMD ["stephost", "start", "/app", "--no-sidecars"]
