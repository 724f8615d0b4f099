"""The alert stage: match new documents against the watches in policy-watches and fire alerts."""
