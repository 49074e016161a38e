# One image for both components: `kedawatch scaler` and `kedawatch operator`.
# Build stage: a virtualenv with the locked dependencies (requirements.lock, generated from pyproject.toml).
FROM python:3.11.11-slim-bookworm AS build
WORKDIR /src
RUN python -m venv /opt/kedawatch
COPY requirements.lock ./
RUN /opt/kedawatch/bin/pip install --no-cache-dir --disable-pip-version-check --no-deps -r requirements.lock
COPY pyproject.toml README.md ./
COPY kedawatch ./kedawatch
RUN /opt/kedawatch/bin/pip install --no-cache-dir --disable-pip-version-check --no-deps . \
    && /opt/kedawatch/bin/pip uninstall --yes pip setuptools

# Final stage: no compilers, no pip, a fixed non-root user.
FROM python:3.11.11-slim-bookworm
RUN groupadd --system --gid 10001 kedawatch \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin kedawatch
COPY --from=build /opt/kedawatch /opt/kedawatch
ENV PATH=/opt/kedawatch/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
USER 10001:10001
# 9090: the scaler's gRPC (KEDA, health, reflection); 8080: Prometheus /metrics; 8081: the operator's liveness.
EXPOSE 9090 8080 8081
ENTRYPOINT ["kedawatch"]
CMD ["scaler"]
