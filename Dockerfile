# The policywatch image: the CLI, the processors and the crawlers (one image, the command picks the role).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    POLICYWATCH_HOME=/var/lib/policywatch
RUN apt-get update && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --create-home --home-dir /var/lib/policywatch policywatch

WORKDIR /app
COPY pyproject.toml README.md ./
COPY policywatch ./policywatch
COPY schemas ./schemas
COPY processors ./processors
COPY crawlers ./crawlers
COPY seeds ./seeds
# gcc only while installing: jieba-fast (jieba's hot loops in C) is built from its source distribution.
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev \
    && pip install . \
    && apt-get purge -y gcc libc6-dev && apt-get autoremove -y && rm -rf /var/lib/apt/lists/*

USER policywatch
ENTRYPOINT []
CMD ["policywatch", "--help"]
