"""All tables in one MetaData, for Alembic, backups and tests that inspect the schema."""
from app.access import crops as _crops  # noqa: F401
from app.access import models as _access  # noqa: F401
from app.core.db import Base
from app.doors import models as _doors  # noqa: F401
from app.gallery import models as _gallery  # noqa: F401
from app.keys import models as _keys  # noqa: F401
from app.people import models as _people  # noqa: F401
from app.rights import models as _rights  # noqa: F401
from app.security import chain as _chain  # noqa: F401
from app.web import models as _web  # noqa: F401

metadata = Base.metadata

# Rows migrations write into a fresh database (app/migrations/versions/0002_access_rights.py: the
# default group and the built-in schedule); a restore replaces them with the backup's own.
SEEDED_TABLES = ("access_group", "access_schedule")
