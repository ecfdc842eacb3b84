"""What HubSpot knows about its objects: property definitions, association types, deal pipelines.

Property definitions drive three things: `/crm/v3/properties/{type}`, how search compares a
property (as a number, a time or a string), and which properties the ground truth carries.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sandbox.ids import numeric_id
from sandbox.timeutil import DAY, iso
from sandbox.world.model import WORLD_START
from sandbox.world.names import INDUSTRIES

LIFECYCLE_STAGES = ("subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity",
                    "customer", "evangelist", "other")
ANALYTICS_SOURCES = ("ORGANIC_SEARCH", "PAID_SEARCH", "EMAIL_MARKETING", "SOCIAL_MEDIA", "REFERRALS",
                     "OTHER_CAMPAIGNS", "DIRECT_TRAFFIC", "OFFLINE", "PAID_SOCIAL")
FORECAST_CATEGORIES = ("PIPELINE", "BEST_CASE", "COMMIT", "CLOSED", "OMIT")


@dataclass(frozen=True, slots=True)
class Prop:
    name: str
    label: str
    type: str  # string | number | datetime | enumeration | bool
    field_type: str  # text | phonenumber | number | date | select | radio | checkbox | booleancheckbox
    group: str
    options: tuple[str, ...] = ()
    custom: bool = False  # created by PenguinMails, not HubSpot
    calculated: bool = False  # HubSpot sets it; the UI cannot


@dataclass(frozen=True, slots=True)
class ObjectSchema:
    name: str  # contacts | companies | deals
    singular: str
    type_id: str  # HubSpot's objectTypeId
    props: tuple[Prop, ...]
    defaults: tuple[str, ...]  # returned when a request names no properties
    modified: tuple[str, ...]  # the last-modified properties (search indexes only the first)
    drift: Prop  # the property records changed after schema drift carry
    by_name: dict[str, Prop] = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "by_name", {p.name: p for p in (*self.props, self.drift)})

    @property
    def always(self) -> tuple[str, ...]:
        """Returned whatever the request names (HubSpot adds them to every object)."""
        return ("createdate", "hs_object_id", self.modified[0])


def _common(group: str, owner_label: str, modified_label: str) -> tuple[Prop, ...]:
    return (
        Prop("createdate", "Create Date", "datetime", "date", group, calculated=True),
        Prop("hs_lastmodifieddate", modified_label, "datetime", "date", group, calculated=True),
        Prop("hs_object_id", "Record ID", "number", "number", group, calculated=True),
        Prop("hubspot_owner_id", owner_label, "enumeration", "select", group),
    )


CONTACTS = ObjectSchema(
    "contacts", "contact", "0-1",
    props=(
        *_common("contactinformation", "Contact owner", "Object last modified date/time"),
        Prop("email", "Email", "string", "text", "contactinformation"),
        Prop("firstname", "First Name", "string", "text", "contactinformation"),
        Prop("lastname", "Last Name", "string", "text", "contactinformation"),
        Prop("phone", "Phone Number", "string", "phonenumber", "contactinformation"),
        Prop("jobtitle", "Job Title", "string", "text", "contactinformation"),
        Prop("company", "Company Name", "string", "text", "contactinformation"),
        Prop("lifecyclestage", "Lifecycle Stage", "enumeration", "radio", "contactinformation", LIFECYCLE_STAGES),
        Prop("lastmodifieddate", "Last Modified Date", "datetime", "date", "contactinformation", calculated=True),
        Prop("associatedcompanyid", "Primary Associated Company ID", "number", "number", "contactinformation",
             calculated=True),
        Prop("hs_analytics_source", "Original Traffic Source", "enumeration", "select", "analyticsinformation",
             ANALYTICS_SOURCES, calculated=True),
        Prop("hs_analytics_source_data_1", "Original Traffic Source Drill-Down 1", "string", "text",
             "analyticsinformation", calculated=True),
        Prop("hs_analytics_source_data_2", "Original Traffic Source Drill-Down 2", "string", "text",
             "analyticsinformation", calculated=True),
        Prop("utm_campaign", "UTM campaign (first touch)", "string", "text", "penguinmails", custom=True),
        Prop("utm_source", "UTM source (first touch)", "string", "text", "penguinmails", custom=True),
        Prop("utm_medium", "UTM medium (first touch)", "string", "text", "penguinmails", custom=True),
    ),
    defaults=("createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"),
    # contacts keep the classic `lastmodifieddate`; their `hs_lastmodifieddate` exists but is not
    # indexed for search (filters on it match nothing), as in HubSpot
    modified=("lastmodifieddate", "hs_lastmodifieddate"),
    drift=Prop("hs_linkedin_url", "LinkedIn URL", "string", "text", "socialmediainformation"),
)

COMPANIES = ObjectSchema(
    "companies", "company", "0-2",
    props=(
        *_common("companyinformation", "Company owner", "Last Modified Date"),
        Prop("name", "Name", "string", "text", "companyinformation"),
        Prop("domain", "Company Domain Name", "string", "text", "companyinformation"),
        Prop("industry", "Industry", "enumeration", "select", "companyinformation", INDUSTRIES),
        Prop("numberofemployees", "Number of Employees", "number", "number", "companyinformation"),
        Prop("country", "Country/Region", "string", "text", "companyinformation"),
        Prop("lifecyclestage", "Lifecycle Stage", "enumeration", "radio", "companyinformation", LIFECYCLE_STAGES),
        Prop("hs_merged_object_ids", "Merged Company IDs", "enumeration", "checkbox", "companyinformation",
             calculated=True),
        Prop("penguinmails_tenant_id", "PenguinMails tenant ID", "number", "number", "penguinmails", custom=True),
        Prop("stripe_customer_id", "Stripe customer ID", "string", "text", "penguinmails", custom=True),
    ),
    defaults=("createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"),
    modified=("hs_lastmodifieddate",),
    drift=Prop("linkedin_company_page", "LinkedIn Company Page", "string", "text", "socialmediainformation"),
)


@dataclass(frozen=True, slots=True)
class Stage:
    id: str
    label: str
    probability: float
    closed: bool


@dataclass(frozen=True, slots=True)
class Pipeline:
    id: str
    label: str
    display_order: int
    created: int  # HubSpot's default pipeline is dated to the epoch
    stages: tuple[Stage, ...]


SALES_STAGES = (
    Stage("appointmentscheduled", "Appointment Scheduled", 0.2, False),
    Stage("qualifiedtobuy", "Qualified To Buy", 0.4, False),
    Stage("presentationscheduled", "Presentation Scheduled", 0.6, False),
    Stage("decisionmakerboughtin", "Decision Maker Bought-In", 0.8, False),
    Stage("contractsent", "Contract Sent", 0.9, False),
    Stage("closedwon", "Closed Won", 1.0, True),
    Stage("closedlost", "Closed Lost", 0.0, True),
)
SELF_SERVE_STAGES = (
    Stage("selfserve_trial", "Trial started", 0.5, False),
    Stage("selfserve_won", "Subscribed", 1.0, True),
    Stage("selfserve_lost", "Trial lost", 0.0, True),
)
WON_STAGES = frozenset({"closedwon", "selfserve_won"})
STAGES = {s.id: s for s in SALES_STAGES + SELF_SERVE_STAGES}


def pipelines(seed: int) -> tuple[Pipeline, Pipeline]:
    """The account's deal pipelines: HubSpot's default one and the custom self-serve one (numeric id)."""
    return (
        Pipeline("default", "Sales Pipeline", 0, 0, SALES_STAGES),
        Pipeline(str(numeric_id(seed, "hubspot-pipeline", "self_serve", digits=9)), "Self-serve", 1,
                 WORLD_START - 30 * DAY, SELF_SERVE_STAGES),
    )


DEALS_MODIFIED = ("hs_lastmodifieddate",)


def deals_schema(seed: int) -> ObjectSchema:
    pipes = pipelines(seed)
    return ObjectSchema(
        "deals", "deal", "0-3",
        props=(
            *_common("dealinformation", "Deal owner", "Last Modified Date"),
            Prop("dealname", "Deal Name", "string", "text", "dealinformation"),
            Prop("amount", "Amount", "number", "number", "dealinformation"),
            Prop("dealstage", "Deal Stage", "enumeration", "radio", "dealinformation", tuple(STAGES)),
            Prop("pipeline", "Pipeline", "enumeration", "select", "dealinformation", tuple(p.id for p in pipes)),
            Prop("closedate", "Close Date", "datetime", "date", "dealinformation"),
            Prop("dealtype", "Deal Type", "enumeration", "radio", "dealinformation",
                 ("newbusiness", "existingbusiness")),
            Prop("hs_is_closed", "Is Deal Closed?", "bool", "booleancheckbox", "dealinformation", ("true", "false"),
                 calculated=True),
            Prop("hs_is_closed_won", "Is Closed Won", "bool", "booleancheckbox", "dealinformation",
                 ("true", "false"), calculated=True),
            Prop("hs_deal_stage_probability", "Deal probability", "number", "number", "dealinformation",
                 calculated=True),
            *(Prop(f"hs_date_entered_{s.id}", f"Date entered \"{s.label} ({p.label})\"", "datetime", "date",
                   "dealstages", calculated=True) for p in pipes for s in p.stages),
        ),
        defaults=("amount", "closedate", "createdate", "dealname", "dealstage", "hs_lastmodifieddate",
                  "hs_object_id", "pipeline"),
        modified=DEALS_MODIFIED,
        drift=Prop("hs_forecast_category", "Forecast category", "enumeration", "select", "dealinformation",
                   FORECAST_CATEGORIES),
    )


@dataclass(frozen=True, slots=True)
class AssocType:
    type_id: int
    label: str | None
    name: str  # the v3 `type` name


# HubSpot-defined association types, by (from, to): a primary association carries the labelled
# "Primary" type and the unlabelled one, a plain association only the unlabelled one
ASSOCIATION_TYPES: dict[tuple[str, str], tuple[AssocType, AssocType | None]] = {
    ("contacts", "companies"): (AssocType(279, None, "contact_to_company_unlabeled"),
                                AssocType(1, "Primary", "contact_to_company")),
    ("companies", "contacts"): (AssocType(280, None, "company_to_contact_unlabeled"),
                                AssocType(2, "Primary", "company_to_contact")),
    ("deals", "contacts"): (AssocType(3, None, "deal_to_contact"), None),
    ("contacts", "deals"): (AssocType(4, None, "contact_to_deal"), None),
    ("deals", "companies"): (AssocType(341, None, "deal_to_company_unlabeled"),
                             AssocType(5, "Primary", "deal_to_company")),
    ("companies", "deals"): (AssocType(342, None, "company_to_deal_unlabeled"),
                             AssocType(6, "Primary", "company_to_deal")),
}


def property_definition(prop: Prop, order: int, created: int, owners: list[dict]) -> dict:
    """A property as `/crm/v3/properties/{objectType}` describes it."""
    if prop.name == "hubspot_owner_id":
        options = [{"label": f"{o['firstName']} {o['lastName']}", "value": o["id"], "displayOrder": i,
                    "hidden": False} for i, o in enumerate(owners)]
    else:
        options = [{"label": v.replace("_", " ").title(), "value": v, "displayOrder": i, "hidden": False}
                   for i, v in enumerate(prop.options)]
    return {
        "updatedAt": iso(created), "createdAt": iso(created), "name": prop.name, "label": prop.label,
        "type": prop.type, "fieldType": prop.field_type, "description": "", "groupName": prop.group,
        "options": options, "displayOrder": order, "calculated": prop.calculated,
        "externalOptions": prop.name == "hubspot_owner_id", "hasUniqueValue": prop.name in ("email", "hs_object_id"),
        "hidden": False, "hubspotDefined": not prop.custom, "archived": False,
        "modificationMetadata": {"archivable": prop.custom, "readOnlyDefinition": not prop.custom,
                                 "readOnlyValue": prop.calculated},
        "formField": prop.type != "datetime" and not prop.calculated,
        "dataSensitivity": "non_sensitive",
    }
