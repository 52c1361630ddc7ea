"""Default records every installation starts with (loaded by a data migration)."""

from __future__ import annotations

OPPORTUNITY_TYPES = ["Sales", "Support", "Maintenance"]
# ERPNext's sales stages, in pipeline order, with the probability each usually carries.
SALES_STAGES = [
    ("Prospecting", 10),
    ("Qualification", 20),
    ("Needs Analysis", 30),
    ("Value Proposition", 40),
    ("Identifying Decision Makers", 50),
    ("Perception Analysis", 60),
    ("Proposal/Price Quote", 75),
    ("Negotiation/Review", 90),
]
LEAD_SOURCES = [
    "Existing Customer",
    "Reference",
    "Advertisement",
    "Cold Calling",
    "Exhibition",
    "Supplier Reference",
    "Mass Mailing",
    "Customer's Vendor",
    "Campaign",
    "Walk In",
    "Website",
]
LOST_REASONS = ["Too expensive", "Chose a competitor", "No budget", "No response", "Timing"]


def load_crm_defaults(apps) -> None:
    """Create what is missing; never overwrite what an administrator changed."""
    OpportunityType = apps.get_model("crm", "OpportunityType")
    SalesStage = apps.get_model("crm", "SalesStage")
    LeadSource = apps.get_model("crm", "LeadSource")
    LostReason = apps.get_model("crm", "OpportunityLostReason")
    CRMSettings = apps.get_model("crm", "CRMSettings")
    for name in OPPORTUNITY_TYPES:
        OpportunityType.objects.get_or_create(name=name)
    for idx, (name, probability) in enumerate(SALES_STAGES, start=1):
        SalesStage.objects.get_or_create(
            name=name, defaults={"idx": idx, "probability": probability}
        )
    for name in LEAD_SOURCES:
        LeadSource.objects.get_or_create(name=name)
    for name in LOST_REASONS:
        LostReason.objects.get_or_create(name=name)
    CRMSettings.objects.get_or_create(pk=1)
