"""The names `chatgate load` offers, without importing Locust (which patches the whole
process with gevent the moment it is imported: only the Locust processes may do that)."""

from __future__ import annotations

# profile name: the Locust user class in chatgate.load.profiles
PROFILES = {
    "company-new-user": "CompanyToNewUser",
    "company-existing-user": "CompanyToExistingUser",
    "user-company": "UserToCompany",
    "mixed": "Mixed",
    "fake-stream": "FakeStreamLoad",
}
SHAPE_NAMES = ("steady", "ramp", "spike", "soak")
