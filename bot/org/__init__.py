"""The org file: who interviews for which pool, loop templates, recruiters and defaults."""

from bot.org.load import OrgFileError, load_org_file, parse_org
from bot.org.schema import OrgConfig

__all__ = ["OrgConfig", "OrgFileError", "load_org_file", "parse_org"]
