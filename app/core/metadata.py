"""All tables in one MetaData, for Alembic and for tests that inspect the schema."""
from app.access import models as _access  # noqa: F401
from app.admin import models as _admin  # noqa: F401
from app.core.db import Base
from app.gallery import models as _gallery  # noqa: F401
from app.people import models as _people  # noqa: F401
from app.web import models as _web  # noqa: F401

metadata = Base.metadata
