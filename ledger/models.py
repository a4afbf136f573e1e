"""Import every model module so that ``Base.metadata`` knows all tables (migrations test, create_all)."""

from ledger.auth import models as auth_models  # noqa: F401
from ledger.books import models as books_models  # noqa: F401
from ledger.people import models as people_models  # noqa: F401
