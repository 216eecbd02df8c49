"""During the trip: the emergency resource pool of partners per destination."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from workflows.db import Base
from workflows.models.core import UTCDateTime

# --- during the trip: the emergency resource pool (issue 17) ------------------------------------


class EmergencyPartner(Base):
    """A partner the agency calls on when something goes wrong at a destination (seed 003 §3(二)):
    a hotel, a vehicle fleet, a clinic, a local guide."""

    __tablename__ = "emergency_partner"

    id: Mapped[int] = mapped_column(primary_key=True)
    destination: Mapped[str] = mapped_column(String(120), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # hotel, vehicle, clinic, guide, other
    name: Mapped[str] = mapped_column(String(200))
    contact: Mapped[str] = mapped_column(String(200))
    hours: Mapped[str] = mapped_column(String(120), default="", server_default="")
    notes: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(64))
