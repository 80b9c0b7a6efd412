# facegate: CPU image. Build: docker build -t facegate .
# Stage 1 builds a virtual environment with the serving set (ONNX Runtime, no PyTorch: the face
# networks run from the ONNX graphs committed under models/); stage 2 runs it as a non-root user.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY pyproject.toml ./
COPY app ./app
RUN pip install .

FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 \
    FACEGATE_DATA_DIR=/var/lib/facegate FACEGATE_MODEL_CARD=/srv/facegate/models/dlib-resnet-mtcnn-v2.json
RUN useradd --system --uid 10001 --home /srv/facegate facegate \
    && mkdir -p /var/lib/facegate /var/lib/facegate-keys && chown facegate /var/lib/facegate /var/lib/facegate-keys && chmod 700 /var/lib/facegate-keys
COPY --from=build /opt/venv /opt/venv
WORKDIR /srv/facegate
COPY models ./models
COPY docker/entrypoint.sh /usr/local/bin/facegate-entrypoint
USER facegate
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4).status != 200)"
ENTRYPOINT ["facegate-entrypoint"]
