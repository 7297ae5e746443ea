"""The MCP tests import their helpers (mcp_support) from this folder."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
