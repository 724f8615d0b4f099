"""Topic names. The version is in the name: a breaking change to a contract is a new topic."""

RAW_TOPIC = "policy.raw.v1"
CLEANED_TOPIC = "policy.cleaned.v1"
EXTRACTED_TOPIC = "policy.extracted.v1"
INDEXED_TOPIC = "policy.indexed.v1"  # after Elasticsearch acknowledged the document (alert reads it)
ALERTS_TOPIC = "policy.alerts.v1"
DLQ_TOPIC = "policy.dlq.v1"
REDRIVE_TOPIC = "policy.dlq-redrives.v1"  # one record per dead letter sent back (`policywatch dlq redrive`)

ALL_TOPICS = (RAW_TOPIC, CLEANED_TOPIC, EXTRACTED_TOPIC, INDEXED_TOPIC, ALERTS_TOPIC, DLQ_TOPIC,
              REDRIVE_TOPIC)
