"""Plans as people and tools read them: text (terminal), markdown (pull requests), JSON.

Only the CLI and these renderers produce output; they return strings and print nothing.
"""

from __future__ import annotations

from .lines import mask_email, mask_emails_in
from .markdown import GITHUB_COMMENT_LIMIT, render_markdown
from .text import render_text
from .tojson import render_json

__all__ = [
    "GITHUB_COMMENT_LIMIT",
    "mask_email",
    "mask_emails_in",
    "render_json",
    "render_markdown",
    "render_text",
]
