"""Starter content: the processes and sites an organisation of each industry typically has,
offered on a new organisation's "Get started" page to tick, rename or drop.

Plain data, not framework content: the framework scores processes and does not change with
what we suggest. Every `area` is one of the shipped framework's areas (a test checks it); the
industries are accounts.models.Industry.
"""

from dataclasses import dataclass

from django.db import transaction

from accounts.models import Organization, Site
from accounts.onboarding import site_add
from assessments.services import process_create


@dataclass(frozen=True)
class Suggestion:
    name: str
    area: str
    description: str = ""


def _p(name, area, description=""):
    return Suggestion(name, area, description)


PROCESSES = {
    "manufacturing": [
        _p("Production scheduling", "manufacturing", "Turning orders into a line plan."),
        _p("Machine monitoring (OEE)", "manufacturing", "Machine states, counts and stops."),
        _p("Maintenance", "manufacturing", "Planned and breakdown work on equipment."),
        _p("Quality inspection", "manufacturing", "Checks, measurements and deviations."),
        _p("Inbound goods and stores", "logistics", "Receiving and storing materials."),
        _p("Energy metering", "energy", "Electricity, gas and compressed air per line."),
        _p("Order to cash", "finance", "From a customer's order to the payment."),
    ],
    "retail": [
        _p("Store replenishment", "retail", "Keeping shelves filled from the warehouse."),
        _p("Point of sale", "retail", "Tills, payments and the day's takings."),
        _p("Stock counting", "retail", "Counts, shrinkage and stock accuracy."),
        _p("Refrigeration monitoring", "energy", "Chiller and freezer temperatures."),
        _p("Distribution centre picking", "logistics", "Orders picked and shipped to stores."),
        _p("Supplier invoicing", "finance", "Matching deliveries, orders and invoices."),
    ],
    "logistics": [
        _p("Goods receiving", "logistics", "Unloading, checking and booking in deliveries."),
        _p("Order picking", "logistics", "Picking lists, scanners and pick rates."),
        _p("Dispatch and loading", "logistics", "Dock planning and loading trucks."),
        _p("Fleet tracking", "logistics", "Where vehicles are and when they arrive."),
        _p("Warehouse equipment maintenance", "manufacturing", "Forklifts and conveyors."),
        _p("Freight billing", "finance", "Charging customers for what was moved."),
    ],
    "energy": [
        _p("Grid or plant operations", "energy", "Control room monitoring and dispatch."),
        _p("Asset maintenance", "energy", "Inspections and work orders on assets."),
        _p("Meter reading", "energy", "Reading and validating customer meters."),
        _p("Outage management", "energy", "Finding, fixing and reporting outages."),
        _p("Spare parts stores", "logistics", "Keeping critical spares in stock."),
        _p("Customer billing", "finance", "Turning readings into invoices."),
    ],
    "finance": [
        _p("Accounts payable", "finance", "Invoices in, approvals and payments."),
        _p("Accounts receivable", "finance", "Invoicing customers and collecting payment."),
        _p("Month-end close", "finance", "Closing the books and reporting."),
        _p("Payroll", "finance", "Hours, pay runs and payslips."),
        _p("Facilities energy use", "energy", "Office heating, cooling and lighting."),
    ],
}

SITES = {
    "manufacturing": [("Main plant", Site.Kind.PLANT), ("Warehouse", Site.Kind.WAREHOUSE)],
    "retail": [("Flagship store", Site.Kind.STORE), ("Distribution centre", Site.Kind.WAREHOUSE)],
    "logistics": [("Main warehouse", Site.Kind.WAREHOUSE), ("Head office", Site.Kind.OFFICE)],
    "energy": [("Power plant", Site.Kind.PLANT), ("Control centre", Site.Kind.OFFICE)],
    "finance": [("Head office", Site.Kind.OFFICE)],
}


def suggestions(industry: str, organization: Organization) -> tuple[list, list]:
    """(processes, sites) suggested for `industry`, without those the organisation already
    has by name (an archived process too: names are unique)."""
    have_processes = {n.casefold() for n in organization.processes.values_list("name", flat=True)}
    have_sites = {n.casefold() for n in organization.sites.values_list("name", flat=True)}
    processes = [s for s in PROCESSES.get(industry, []) if s.name.casefold() not in have_processes]
    sites = [s for s in SITES.get(industry, []) if s[0].casefold() not in have_sites]
    return processes, sites


@transaction.atomic
def starter_add(
    *, organization: Organization, user, industry: str, processes: list[Suggestion], sites
) -> None:
    """Create the ticked processes and sites through the audited services, and keep the
    industry if the organisation had none. All or nothing."""
    if industry and not organization.industry:
        organization.industry = industry
        organization.save(update_fields=["industry"])
    for name, kind in sites:
        site_add(organization=organization, user=user, name=name, kind=kind)
    for suggestion in processes:
        process_create(
            organization=organization,
            user=user,
            name=suggestion.name,
            area=suggestion.area,
            description=suggestion.description,
        )
