#   docker run -e STEPHOST_CONNECT=host:7070 -e STEPHOST_SECRET=... -v $PWD/app:/app stephost-sidecar-python
FROM python:3.11-slim
WORKDIR /opt/stephost
COPY pyproject.toml README.md ./
COPY proto proto
COPY host host
COPY sdk_python sdk_python
COPY sidecars/python sidecars/python
RUN pip install --no-cache-dir .
CMD ["python", "-m", "stephost_sidecar", "/app"]
