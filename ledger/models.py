"""Import every model module so that ``Base.metadata`` knows all tables (migrations test, create_all)."""

from ledger.auth import models as auth_models  # noqa: F401
from ledger.banking import models as banking_models  # noqa: F401
from ledger.books import models as books_models  # noqa: F401
from ledger.budgets import models as budgets_models  # noqa: F401
from ledger.chain import models as chain_models  # noqa: F401
from ledger.claims import models as claims_models  # noqa: F401
from ledger.events import models as events_models  # noqa: F401
from ledger.outbox import models as outbox_models  # noqa: F401
from ledger.payments import models as payments_models  # noqa: F401
from ledger.people import models as people_models  # noqa: F401
from ledger.projects import models as projects_models  # noqa: F401
from ledger.timebank import models as timebank_models  # noqa: F401
