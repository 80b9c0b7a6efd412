"""Every FACEGATE_* setting, with the embedded defaults that run on one machine."""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, available_timezones

from pydantic import Field, PositiveInt, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_MODEL_CARD = "dlib-resnet-mtcnn-v2.json"


def default_model_card() -> Path:
    """The model card shipped in the package (app/models in a wheel), else the source checkout's models/."""
    package = Path(__file__).resolve().parents[1]
    for folder in (package / "models", package.parent / "models"):
        if (folder / DEFAULT_MODEL_CARD).is_file():
            return folder / DEFAULT_MODEL_CARD
    return package / "models" / DEFAULT_MODEL_CARD  # missing: loading it names this path


def usable_cores() -> int:
    """Cores this process may run on (a container's cpuset included)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FACEGATE_", env_file=".env", extra="ignore")

    data_dir: Path = Path("var")
    database_url: str = ""  # empty: SQLite file data_dir/facegate.db
    model_card: Path = Field(default_factory=default_model_card)
    admin_key: str = ""  # if set at start, this key exists as an admin key (a changed value revokes the old one)

    # Security (README, Security)
    secret_file: Path | None = None  # HMAC secret for key hashes and the audit chain; default data_dir/server-secret
    data_key_file: Path | None = None  # AES-GCM keys for crops and backups; default data_dir/data-keys.json
    data_key: str = ""  # base64 of 32 bytes: use this one data key instead of the key file
    auth_failures_per_minute: int = 10  # failed authentications per client address before 429
    event_retention_days: int = 0  # `facegate audit purge` deletes events older than this (0: keep)
    erase_names_after_days: int = 0  # ... and replaces names in events older than this by pseudonyms (0: never)

    # Door photos
    max_upload_bytes: int = 10 * 2**20
    max_image_pixels: int = 40_000_000
    detector: Literal["blazeface", "mtcnn"] = "blazeface"  # blazeface: BlazeFace + O-Net, no PyTorch (mtcnn: needs it)
    detector_dir: Path | None = None  # BlazeFace and O-Net graphs + manifest.json; default: detectors/ beside the card
    min_proposal_score: float = 0.5  # BlazeFace score for a box to be looked at by O-Net
    detect_max_side: int = 320  # MTCNN  # photos are searched for faces at most this large (benchmarks/detect_scale.py)
    min_face_size: int = 40  # MTCNN: smallest face searched, in photo pixels (>= 20 px of the downscaled copy)
    mtcnn_scale_factor: float = 0.709
    min_face_probability: float = 0.9  # O-Net's probability (benchmarks/README.md: quality gate)
    min_face_px: int = 40  # faces smaller than this in the photo are refused
    secondary_face_ratio: float = 0.6
    max_images_per_enrollment: int = 20
    terminal_display_name: Literal["full", "first", "none"] = "first"  # what a terminal shows on admit
    face_only_fpir: float = Field(1e-3, gt=0.0, lt=1.0)  # uncalibrated face-only decisions: card bound at this FPIR
    # Enrolment integrity (app/people/integrity.py)
    duplicate_rate: float = Field(1e-3, gt=0.0, lt=1.0)  # chance a distinct newcomer is flagged a duplicate
    same_person_max: float | None = None  # photos of one person farther apart are refused; None: the card's

    # Compute
    face_workers: PositiveInt = Field(default_factory=usable_cores)  # photo-analysing threads (app/face/worker.py)
    inference_threads: PositiveInt = 1  # intra-op threads each worker gives detection and the encoder
    quiet_threads: int = Field(default_factory=usable_cores)  # threads for a photo that is the only work (off unless > inference_threads)
    inference_backend: Literal["onnx", "torch"] = "onnx"  # onnx: the card's committed graph; torch needs [train]
    onnx_cache_dir: Path | None = None  # MTCNN's stages exported at start (detector=mtcnn); default data_dir/onnx
    face_batch_max: int = 8  # photos a face worker analyses together at most
    face_batch_wait_ms: float = 0.0  # how long the worker waits for company before starting a batch

    # Gallery
    gallery_exact_max: int = 100_000  # above this many templates, an IVF index replaces exact search
    gallery_nprobe: int = 32  # IVF lists searched per query (recall vs speed: benchmarks/gallery.py)
    index_snapshot: bool = True  # keep the index on disk (data_dir) so restarts need not re-read SQL

    # Replicas
    index_poll_seconds: float = 0.5

    # Access rights: schedules are read in this IANA time zone unless a door names its own
    site_time_zone: str = "UTC"

    log_level: str = "INFO"

    @field_validator("site_time_zone")
    @classmethod
    def _known_time_zone(cls, value: str) -> str:
        if value not in available_timezones():
            raise ValueError(f"unknown IANA time zone {value!r}")
        ZoneInfo(value)
        return value

    @property
    def detectors_path(self) -> Path:
        return self.detector_dir or self.model_card.parent / "detectors"

    @property
    def index_snapshot_path(self) -> Path | None:
        return self.data_dir / "gallery-snapshot.npz" if self.index_snapshot else None

    @property
    def secret_path(self) -> Path:
        return self.secret_file or self.data_dir / "server-secret"

    @property
    def data_key_path(self) -> Path:
        return self.data_key_file or self.data_dir / "data-keys.json"

    @property
    def sqlalchemy_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'facegate.db').resolve()}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
