"""Small helpers shared by several infra packages (stores, bus)."""

from omnibase_infra.utils.url_masking import mask_url

__all__ = ["mask_url"]
