"""All tables in one MetaData, for Alembic, backups and tests that inspect the schema."""
from app.access import crops as _crops  # noqa: F401
from app.access import models as _access  # noqa: F401
from app.core.db import Base
from app.doors import models as _doors  # noqa: F401
from app.gallery import models as _gallery  # noqa: F401
from app.keys import models as _keys  # noqa: F401
from app.people import models as _people  # noqa: F401
from app.web import models as _web  # noqa: F401

metadata = Base.metadata
