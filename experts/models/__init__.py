"""The experts app's models, a module each: the states (states), the bureau's settings an
application is read against (reference), the application with its history and files
(application), the kept counts and facet rows (counts) and the exports (export_jobs). Import
them from here."""

from experts.models.application import (
    REENCRYPTION_ONLY,
    SNAPSHOT_ERASURE_ONLY,
    ApplicationAttachment,
    ApplicationTransition,
    ExpertApplication,
)
from experts.models.counts import (
    DueCount,
    FacetDiscipline,
    FacetDisciplineManager,
    StatusCount,
    UnitStatusCount,
)
from experts.models.export_jobs import ExportedApplication, ExportJob
from experts.models.reference import Discipline, EligibilityKind, EligibilityRule, ReasonCode
from experts.models.states import (
    ACTIONS_WITH_REASON,
    ADMITTED,
    ANSWERING_ACTIONS,
    EDITABLE,
    IN_POOL,
    IN_REVIEW,
    RETURNED,
    RETURNED_LABEL,
    REVISING,
    REVISING_LABEL,
    UNIT_WAITING,
    UNSUBMITTED,
    WITH_APPLICANT,
    WITH_APPLICANT_LABEL,
    ApplicationStatus,
)

__all__ = [
    "ACTIONS_WITH_REASON",
    "ADMITTED",
    "ANSWERING_ACTIONS",
    "EDITABLE",
    "IN_POOL",
    "IN_REVIEW",
    "REENCRYPTION_ONLY",
    "RETURNED",
    "RETURNED_LABEL",
    "REVISING",
    "REVISING_LABEL",
    "SNAPSHOT_ERASURE_ONLY",
    "UNIT_WAITING",
    "UNSUBMITTED",
    "WITH_APPLICANT",
    "WITH_APPLICANT_LABEL",
    "ApplicationAttachment",
    "ApplicationStatus",
    "ApplicationTransition",
    "Discipline",
    "DueCount",
    "EligibilityKind",
    "EligibilityRule",
    "ExpertApplication",
    "ExportJob",
    "ExportedApplication",
    "FacetDiscipline",
    "FacetDisciplineManager",
    "ReasonCode",
    "StatusCount",
    "UnitStatusCount",
]
