"""Reports: a PDF of one assessment (or two compared), built in the background and kept.

A report moves queued -> running -> ready or failed, and never back: an old report never
changes. The worker claims a queued report with a conditional UPDATE (so two workers never build
the same one), and finishes it with another: the PDF is written to storage first and the state,
the file name and the figures' snapshot are set together, so nothing half-written is offered.

A worker that dies (SIGKILL, out of memory, a lost machine) leaves its report running, and the
task queue never runs that task again. So every step of a build notes a heartbeat, and a running
report without one for STALE_AFTER is given up as failed, which offers to ask again. Pages only
show it so (`as_seen`, in memory: a GET never writes); the next request for a report and each
build a worker starts record it (`give_up_stale`).
"""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import Organization
from assessments.models.assessment import Assessment, IllegalTransition

WORKER_STOPPED = "The report worker stopped before the report was finished. Ask again."


class Report(models.Model):
    ORG_FIELD = "organization"
    WINDOW_FIELD = ("created__date", "assessment__assessed_on")  # made and assessed in it
    WINDOW_OPTIONAL = ("compared_to__assessed_on",)  # and a comparison's earlier one too
    # A running report with no progress for this long is taken as lost (its worker stopped).
    # Progress is noted at every step; the longest step, typesetting, takes far less than this.
    STALE_AFTER = timedelta(minutes=10)
    # A queued report waiting longer than this makes the page say the worker may not be running.
    SLOW_QUEUE_AFTER = timedelta(seconds=30)

    class Kind(models.TextChoices):
        ASSESSMENT = "assessment", "Assessment report"
        COMPARISON = "comparison", "Comparison report"
        BOARD = "board", "Board pack"

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Being built"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="reports")
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.ASSESSMENT)
    # RESTRICT: an assessment with reports cannot be deleted alone; deleting the organisation
    # removes both.
    assessment = models.ForeignKey(Assessment, on_delete=models.RESTRICT, related_name="reports")
    compared_to = models.ForeignKey(
        Assessment,
        null=True,
        blank=True,
        on_delete=models.RESTRICT,
        related_name="+",
        help_text="The earlier assessment of a comparison report.",
    )
    archival = models.BooleanField(
        "PDF/A", default=False, help_text="An archivable PDF/A-3b file instead of a plain PDF."
    )
    appendix = models.BooleanField(
        default=True, help_text="A full report ends with every answer; a shorter one without."
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Per cent done.")
    step = models.CharField(max_length=80, blank=True, help_text="What the worker is doing.")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)
    started = models.DateTimeField(null=True, blank=True)
    heartbeat = models.DateTimeField(
        null=True, blank=True, help_text="When the worker last noted progress."
    )
    finished = models.DateTimeField(null=True, blank=True)
    # The assessment as it was when the report was built ("draft", "review", "final").
    assessment_state = models.CharField(max_length=10, blank=True)
    file = models.FileField(upload_to="reports/%Y/%m/", blank=True)
    size = models.PositiveIntegerField(default=0)
    pages = models.PositiveSmallIntegerField(default=0)
    # Every figure the PDF shows, as it shows them: what the report said, kept with it.
    figures = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created", "-pk"]
        indexes = [models.Index(fields=["organization", "-created"], name="report_org_created")]

    def __str__(self):
        return f"{self.get_kind_display()} of {self.assessment}"

    @property
    def is_done(self) -> bool:
        return self.state in (self.State.READY, self.State.FAILED)

    @property
    def is_ready(self) -> bool:
        return self.state == self.State.READY and bool(self.file)

    def is_slow(self, now=None) -> bool:
        """Queued for a while: the page says the worker may not be running."""
        now = now or timezone.now()
        return self.state == self.State.QUEUED and now - self.created > self.SLOW_QUEUE_AFTER

    def claim(self, *, now=None) -> bool:
        """Queued to running, for exactly one worker; False when someone else has it."""
        now = now or timezone.now()
        claimed = Report.objects.filter(pk=self.pk, state=self.State.QUEUED).update(
            state=self.State.RUNNING, started=now, heartbeat=now, progress=5, step="Starting"
        )
        if claimed:
            self.state, self.started, self.progress, self.step = self.State.RUNNING, now, 5, ""
            self.heartbeat = now
        return bool(claimed)

    def advance(self, progress: int, step: str) -> None:
        """Record how far a running report is, for the page's progress bar, with a heartbeat."""
        self._ensure(self.State.RUNNING)
        now = timezone.now()  # the worker's own clock, not the build's `now`
        Report.objects.filter(pk=self.pk, state=self.State.RUNNING).update(
            progress=progress, step=step, heartbeat=now
        )
        self.progress, self.step, self.heartbeat = progress, step, now

    def complete(self, *, file_name: str, size: int, pages: int, figures: dict, now=None) -> bool:
        """Running to ready with the stored file, in one UPDATE; False if it is no longer
        running (e.g. it was given up as stale), in which case the caller removes the file."""
        self._ensure(self.State.RUNNING)
        now = now or timezone.now()
        fields = {
            "state": self.State.READY,
            "file": file_name,
            "size": size,
            "pages": pages,
            "figures": figures,
            "progress": 100,
            "step": "",
            "finished": now,
            "assessment_state": figures.get("assessment_state", ""),
        }
        done = Report.objects.filter(pk=self.pk, state=self.State.RUNNING).update(**fields)
        if done:
            for name, value in fields.items():
                setattr(self, name, value)
        return bool(done)

    def fail(self, message: str, *, now=None) -> None:
        """Queued or running to failed, with a message the page shows."""
        if self.is_done:
            raise IllegalTransition(f"A report that is {self.state} cannot fail.")
        now = now or timezone.now()
        message = message[:2000]
        Report.objects.filter(pk=self.pk, state__in=[self.State.QUEUED, self.State.RUNNING]).update(
            state=self.State.FAILED, error=message, finished=now, step=""
        )
        self.state, self.error, self.finished, self.step = self.State.FAILED, message, now, ""

    def is_stale(self, now=None) -> bool:
        """Running with no heartbeat for STALE_AFTER: its worker stopped."""
        now = now or timezone.now()
        last = self.heartbeat or self.started or self.created
        return self.state == self.State.RUNNING and now - last > self.STALE_AFTER

    def as_seen(self, now=None) -> "Report":
        """The report as a page shows it: one whose worker stopped reads as failed, with a way to
        ask again. Changed in memory only, since showing a page never writes."""
        if self.is_stale(now):
            self.state, self.error, self.step = self.State.FAILED, WORKER_STOPPED, ""
        return self

    @classmethod
    def give_up_stale(cls, *, organization=None, now=None) -> int:
        """Record every report whose worker stopped as failed (of one organisation, or all);
        how many. A late worker's `complete` then finds it no longer running and offers nothing."""
        now = now or timezone.now()
        stale = cls.objects.alias(last=Coalesce("heartbeat", "started", "created")).filter(
            state=cls.State.RUNNING, last__lt=now - cls.STALE_AFTER
        )
        if organization is not None:
            stale = stale.filter(organization=organization)
        return stale.update(state=cls.State.FAILED, error=WORKER_STOPPED, finished=now, step="")

    def give_up_if_stale(self, *, now=None) -> bool:
        """Mark a stale report failed, so the page offers to ask again."""
        now = now or timezone.now()
        if not self.is_stale(now):
            return False
        self.fail(WORKER_STOPPED, now=now)
        return True

    def _ensure(self, state) -> None:
        if self.state != state:
            raise IllegalTransition(f"The report is {self.state}, not {state}.")

    def download_name(self) -> str:
        """A file name for the download, e.g. acme-q4-baseline-2026-11-25.pdf."""
        title = slugify(self.assessment.title)[:60] or "assessment"
        kind = {self.Kind.COMPARISON: "comparison-", self.Kind.BOARD: "board-pack-"}.get(
            self.kind, ""
        )
        day = timezone.localdate(self.finished or self.created).isoformat()
        return f"{self.organization.slug}-{kind}{title}-{day}.pdf"
