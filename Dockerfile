# The policywatch image: the CLI, the processors and the crawlers (one image, the command picks the role).
# Two stages: `build` makes the project's wheel and a wheel of every dependency; the runtime stage installs
# exactly those wheels (no compiler, no source tree: what runs is the installed package and its data).
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY policywatch ./policywatch
COPY schemas ./schemas
COPY processors ./processors
COPY crawlers ./crawlers
COPY seeds ./seeds
RUN pip wheel --no-deps --wheel-dir /wheels . \
    && pip wheel --wheel-dir /wheels /wheels/policywatch-*.whl

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    POLICYWATCH_HOME=/var/lib/policywatch
RUN apt-get update && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --create-home --home-dir /var/lib/policywatch policywatch
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-index --find-links /wheels policywatch \
    && policywatch --version

USER policywatch
WORKDIR /var/lib/policywatch
ENTRYPOINT []
CMD ["policywatch", "--help"]
