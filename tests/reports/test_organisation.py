"""The organisation named in every document comes from the app's settings."""

from __future__ import annotations

from ledger.reports.organisation import Organisation, organisation_from_config


def test_organisation_comes_from_settings():
    organisation = organisation_from_config({
        "ORGANISATION_NAME": "Demo Council", "ORGANISATION_ADDRESS": "Town Hall; Upper Street\nLondon N1 2UD",
        "ORGANISATION_CONTACT": ["Finance team", "020 7123 4567"], "ORGANISATION_CHARITY_NUMBER": ""})
    assert organisation == Organisation("Demo Council", ("Town Hall", "Upper Street", "London N1 2UD"),
                                        ("Finance team", "020 7123 4567"), None)
