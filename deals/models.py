"""Deals, who may see them, and their data-room documents."""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


def _choices_check(field: str, choices: type[models.TextChoices], name: str) -> models.CheckConstraint:
    return models.CheckConstraint(condition=Q(**{f"{field}__in": choices.values}), name=name)


class DealType(models.TextChoices):
    ACQUISITION = "acquisition", "Acquisition"
    CARVE_OUT = "carve_out", "Carve-out"
    MERGER = "merger", "Merger"


class DealStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    ON_HOLD = "on_hold", "On hold"
    CLOSED = "closed", "Closed"


class Entity(models.TextChoices):
    TARGET = "target", "Target"
    BUYER = "buyer", "Buyer"


class Role(models.TextChoices):
    VIEWER = "viewer", "Viewer"
    ANALYST = "analyst", "Analyst"
    MANAGER = "manager", "Manager"


ROLE_RANK = {Role.VIEWER: 1, Role.ANALYST: 2, Role.MANAGER: 3}


def role_at_least(role: str | None, minimum: str) -> bool:
    """The one comparison of roles: `role` (None: not a member) grants everything `minimum` does."""
    return role is not None and ROLE_RANK[Role(role)] >= ROLE_RANK[Role(minimum)]


class DealQuerySet(models.QuerySet):
    def alive(self) -> "DealQuerySet":
        return self.filter(deleted_at__isnull=True)

    def visible_to(self, user) -> "DealQuerySet":
        if not getattr(user, "is_authenticated", False):
            return self.none()
        if user.is_superuser:
            return self
        return self.filter(memberships__user=user).distinct()

    def matching(self, text: str) -> "DealQuerySet":
        """Deals whose name, target or buyer contains `text` (all of them for an empty text)."""
        text = (text or "").strip()
        if not text:
            return self
        return self.filter(
            models.Q(name__icontains=text) | models.Q(target_name__icontains=text) | models.Q(buyer_name__icontains=text)
        )

    def with_role_at_least(self, user, role: str) -> "DealQuerySet":
        if user.is_superuser:
            return self
        roles = [r for r in Role if role_at_least(r, role)]
        return self.filter(memberships__user=user, memberships__role__in=roles).distinct()


class AliveDealManager(models.Manager.from_queryset(DealQuerySet)):
    """Soft-deleted deals are hidden unless asked for through `Deal.all_objects`."""

    def get_queryset(self) -> DealQuerySet:
        return super().get_queryset().alive()


class Deal(models.Model):
    name = models.CharField(max_length=200)
    target_name = models.CharField(max_length=200)
    buyer_name = models.CharField(max_length=200, blank=True)
    deal_type = models.CharField(max_length=20, choices=DealType.choices, default=DealType.ACQUISITION)
    industry = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=20, choices=DealStatus.choices, default=DealStatus.ACTIVE)
    reference_date = models.DateField(
        default=dt.date.today, help_text="Date support status (end of life) is judged on: usually the close date."
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_deals"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    objects = AliveDealManager()
    all_objects = DealQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        base_manager_name = "all_objects"
        constraints = [
            _choices_check("deal_type", DealType, "deal_type_valid"),
            _choices_check("status", DealStatus, "deal_status_valid"),
        ]

    def __str__(self) -> str:
        return self.name

    def role_of(self, user) -> str | None:
        if user.is_superuser:
            return Role.MANAGER
        membership = self.memberships.filter(user=user).first()
        return membership.role if membership else None

    def user_has_role(self, user, role: str) -> bool:
        return role_at_least(self.role_of(user), role)


class DealMembership(models.Model):
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="deal_memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["deal", "user"], name="membership_unique_user_per_deal"),
            _choices_check("role", Role, "membership_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.role} · {self.deal}"


class DocumentStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    EXTRACTED = "extracted", "Extracted"
    FAILED = "failed", "Failed"


class DocumentQuerySet(models.QuerySet):
    def for_deal(self, deal) -> "DocumentQuerySet":
        return self.filter(deal=deal)

    def latest_versions(self) -> "DocumentQuerySet":
        """Documents no newer version supersedes: what a new run reads."""
        return self.filter(superseded_by__isnull=True)

    def extracted(self) -> "DocumentQuerySet":
        return self.filter(status=DocumentStatus.EXTRACTED)

    def not_withdrawn(self) -> "DocumentQuerySet":
        return self.filter(withdrawn_at__isnull=True)

    def withdrawn(self) -> "DocumentQuerySet":
        return self.filter(withdrawn_at__isnull=False)

    def newest_readable(self) -> "DocumentQuerySet":
        """What a new run reads: per document (deal, entity, name), the newest version whose text was
        extracted. A newer version that failed (or is still being extracted) does not hide the last
        good one: an unreadable re-upload must not silently drop a document from the analysis. A withdrawn
        version counts as absent: withdrawing a wrong re-upload brings the previous good version back."""
        newer_readable = Document.objects.filter(
            deal_id=models.OuterRef("deal_id"),
            entity=models.OuterRef("entity"),
            filename=models.OuterRef("filename"),
            version__gt=models.OuterRef("version"),
            status=DocumentStatus.EXTRACTED,
            withdrawn_at__isnull=True,
        )
        return self.extracted().not_withdrawn().exclude(models.Exists(newer_readable))

    def for_listing(self) -> "DocumentQuerySet":
        """Every version, with who uploaded it and what superseded it, in one query."""
        return self.select_related("uploaded_by", "superseded_by").order_by("entity", "filename", "-version")

    def versions_of(self, document: "Document") -> "DocumentQuerySet":
        """All versions of `document` (same deal, entity and name), newest first."""
        return self.filter(deal_id=document.deal_id, entity=document.entity, filename=document.filename).order_by(
            "-version"
        )


def document_upload_to(instance: "Document", filename: str) -> str:
    return f"deals/{instance.deal_id}/{instance.entity}/{instance.sha256[:12]}-{filename}"


class Document(models.Model):
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="documents")
    entity = models.CharField(max_length=10, choices=Entity.choices)
    filename = models.CharField(max_length=255, help_text="Sanitised name used for storage and versioning.")
    original_name = models.CharField(max_length=500, blank=True, help_text="Name as uploaded, for display.")
    file = models.FileField(upload_to=document_upload_to, max_length=500, blank=True)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField(default=0)
    content_type = models.CharField(max_length=100, blank=True)
    version = models.PositiveIntegerField(default=1)
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="superseded_by"
    )
    status = models.CharField(max_length=10, choices=DocumentStatus.choices, default=DocumentStatus.PENDING)
    error = models.TextField(blank=True)
    page_count = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)
    # Withdrawn: a wrong upload. Kept (earlier runs cite it, the audit trail names it) but no new run reads it.
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdrawal_reason = models.TextField(blank=True)

    objects = DocumentQuerySet.as_manager()

    class Meta:
        ordering = ["entity", "filename", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["deal", "sha256"], name="document_unique_content_per_deal"),
            models.UniqueConstraint(
                fields=["deal", "entity", "filename", "version"], name="document_unique_version"
            ),
            _choices_check("entity", Entity, "document_entity_valid"),
            _choices_check("status", DocumentStatus, "document_status_valid"),
        ]
        indexes = [models.Index(fields=["deal", "entity", "filename"], name="document_name_idx")]

    def __str__(self) -> str:
        return f"{self.filename} v{self.version} ({self.entity})"

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    @property
    def is_pdf(self) -> bool:
        return self.content_type == "application/pdf" or self.filename.lower().endswith(".pdf")


class DocumentPage(models.Model):
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="pages")
    number = models.PositiveIntegerField()
    text = models.TextField()

    class Meta:
        ordering = ["document_id", "number"]
        constraints = [models.UniqueConstraint(fields=["document", "number"], name="page_unique_number")]

    def __str__(self) -> str:
        return f"{self.document.filename} p.{self.number}"
