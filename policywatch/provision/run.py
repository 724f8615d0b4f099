"""Run the whole provisioning: topics, then templates/indices/aliases."""

from __future__ import annotations

from policywatch.core.elasticsearch import make_es
from policywatch.core.kafka import make_admin, unreachable_message
from policywatch.core.settings import Settings
from policywatch.provision import Report
from policywatch.provision.elasticsearch import ensure_indices
from policywatch.provision.topics import ensure_topics


def provision(settings: Settings, kafka: bool = True, elasticsearch: bool = True) -> Report:
    report = Report()
    if kafka:
        try:
            admin = make_admin(settings)
        except Exception as exc:
            from policywatch.core.errors import ServiceUnavailable

            raise ServiceUnavailable(unreachable_message(settings, exc)) from exc
        try:
            ensure_topics(admin, settings, report)
        finally:
            admin.close()
    if elasticsearch:
        es = make_es(settings)
        try:
            ensure_indices(es, settings, report)
        finally:
            es.close()
    if elasticsearch and settings.kibana_url:
        from policywatch.provision.kibana import install_kibana

        install_kibana(settings, report)  # saved objects from kibana/, the rule enabled
    return report
