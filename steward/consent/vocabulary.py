"""The words grants are made of: purposes, data categories and lawful bases.

Codes are stable (they appear in receipts, exports and the API) and aligned with the
W3C Data Privacy Vocabulary (DPV) so another system can read them; the labels are what
the customer reads.
"""

from __future__ import annotations

from django.db import models


class Purpose(models.TextChoices):
    SERVICE_PROVISION = "service_provision", "Dealing with what you asked for"
    CARE_DELIVERY = "care_delivery", "Delivering your care"
    CARE_COORDINATION = "care_coordination", "Coordinating your care between organisations"
    BILLING = "billing", "Billing and payments"
    COMPLAINT_HANDLING = "complaint_handling", "Handling your complaint"
    SAFEGUARDING = "safeguarding", "Keeping you safe from harm"
    MARKETING = "marketing", "Telling you about other services"
    RESEARCH = "research", "Research and service improvement"


# The DPV concept each purpose stands for (https://w3id.org/dpv).
DPV_PURPOSE = {
    Purpose.SERVICE_PROVISION: "dpv:ServiceProvision",
    Purpose.CARE_DELIVERY: "dpv:ProvideProduct",
    Purpose.CARE_COORDINATION: "dpv:CommunicationManagement",
    Purpose.BILLING: "dpv:BillingManagement",
    Purpose.COMPLAINT_HANDLING: "dpv:CustomerCare",
    Purpose.SAFEGUARDING: "dpv:ProtectionOfIndividuals",
    Purpose.MARKETING: "dpv:Marketing",
    Purpose.RESEARCH: "dpv:ResearchAndDevelopment",
}


class DataCategory(models.TextChoices):
    CONTACT_DETAILS = "contact_details", "Your contact details"
    CARE_PLAN = "care_plan", "Your care plan and services"
    HEALTH_NOTES = "health_notes", "Notes about your health"
    FINANCIAL = "financial", "Your financial details"
    MESSAGES = "messages", "Your requests and messages"


DPV_CATEGORY = {
    DataCategory.CONTACT_DETAILS: "dpv-pd:Contact",
    DataCategory.CARE_PLAN: "dpv-pd:ServiceConsumptionBehavior",
    DataCategory.HEALTH_NOTES: "dpv-pd:HealthRecord",
    DataCategory.FINANCIAL: "dpv-pd:Financial",
    DataCategory.MESSAGES: "dpv-pd:Communication",
}


class LawfulBasis(models.TextChoices):
    CONSENT = "consent", "Your consent (you can withdraw it at any time)"
    CONTRACT = "contract", "A service agreement with you"
    LEGAL_OBLIGATION = "legal_obligation", "A duty the law places on us"
    VITAL_INTERESTS = "vital_interests", "Protecting your life or safety"
    PUBLIC_TASK = "public_task", "A public duty (e.g. the council's care duties)"
    LEGITIMATE_INTERESTS = "legitimate_interests", "Our legitimate interests"


# Only a grant based on consent can be withdrawn by the customer; the others are shown to
# them with their reason.
REVOCABLE_BY_CUSTOMER = {LawfulBasis.CONSENT}

DPV_BASIS = {
    LawfulBasis.CONSENT: "dpv:Consent",
    LawfulBasis.CONTRACT: "dpv:Contract",
    LawfulBasis.LEGAL_OBLIGATION: "dpv:LegalObligation",
    LawfulBasis.VITAL_INTERESTS: "dpv:VitalInterest",
    LawfulBasis.PUBLIC_TASK: "dpv:PublicTask",
    LawfulBasis.LEGITIMATE_INTERESTS: "dpv:LegitimateInterest",
}
