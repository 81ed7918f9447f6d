import pytest

from integration.models import Integration


@pytest.fixture
def integration(org):
    return Integration.objects.create(organization=org, name="Press line 3 vibration")
