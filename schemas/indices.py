"""Elasticsearch index and alias names. Each logical index is an alias over a versioned index
(`<alias>-v<n>`, the version in its template under policywatch/provision/templates/<alias>.json)."""

DOCS_INDEX = "policy-docs"
INDICATORS_INDEX = "policy-indicators"
WATCHES_INDEX = "policy-watches"
ALERTS_INDEX = "policy-alerts"
CRAWL_STATUS_INDEX = "policy-crawl-status"
SOURCE_HEALTH_INDEX = "policy-source-health"
FINGERPRINTS_INDEX = "policy-fingerprints"

ALL_INDICES = (DOCS_INDEX, INDICATORS_INDEX, WATCHES_INDEX, ALERTS_INDEX, CRAWL_STATUS_INDEX,
               SOURCE_HEALTH_INDEX, FINGERPRINTS_INDEX)
