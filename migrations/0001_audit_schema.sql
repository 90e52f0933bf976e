-- The audit record: what was asked for, what each image became, and every
-- face found in it. Keys make a second write of the same result impossible.

CREATE TABLE model_sets (
    version     text PRIMARY KEY,
    manifest    jsonb NOT NULL,
    first_used  timestamptz NOT NULL DEFAULT now()
);

-- A request to audit images: one S3 object, or everything under a prefix.
CREATE TABLE audits (
    id           uuid PRIMARY KEY,
    kind         text NOT NULL CHECK (kind IN ('object', 'prefix')),
    bucket       text NOT NULL,
    prefix       text NOT NULL,
    name         text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    -- A prefix audit is listed page by page; the listing is complete when
    -- this is set, and until then the audit may be submitted again to resume.
    listed_at    timestamptz
);
-- Submitting the same prefix again resumes the same audit.
CREATE UNIQUE INDEX audits_one_per_prefix ON audits (bucket, prefix) WHERE kind = 'prefix';

-- A camera whose snapshots are audited on a schedule.
CREATE TABLE cameras (
    id            uuid PRIMARY KEY,
    name          text NOT NULL UNIQUE,
    site          text NOT NULL,
    bucket        text NOT NULL,
    -- The snapshot's object key; strftime fields (%Y, %m, %d, %H, %M, %S)
    -- are filled in with the scheduled time, in UTC.
    key_template  text NOT NULL,
    -- Cron expression with seconds optional, evaluated in UTC.
    schedule      text NOT NULL,
    enabled       boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE images (
    id              uuid PRIMARY KEY,
    audit_id        uuid REFERENCES audits (id),
    camera_id       uuid REFERENCES cameras (id),
    bucket          text NOT NULL,
    object_key      text NOT NULL,
    -- When the photo was taken: a camera's scheduled time, or the object's
    -- last-modified time for archive photos.
    captured_at     timestamptz,
    submitted_at    timestamptz NOT NULL DEFAULT now(),
    -- Set once the broker has confirmed the job; rows left NULL are
    -- published again, so a crash between insert and publish loses nothing.
    queued_at       timestamptz,
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'done', 'failed')),
    failure_reason  text,
    -- Deliveries a worker started on; the last transient error, if any.
    attempts        integer NOT NULL DEFAULT 0,
    last_error      text,
    content_sha256  text,
    width           integer,
    height          integer,
    model_set       text REFERENCES model_sets (version),
    worker          text,
    finished_at     timestamptz,
    fetch_ms        real,
    inference_ms    real,
    CHECK (audit_id IS NOT NULL OR camera_id IS NOT NULL),
    CHECK ((status = 'failed') = (failure_reason IS NOT NULL))
);
-- One row per object per audit, and one per camera per scheduled time.
CREATE UNIQUE INDEX images_once_per_audit ON images (audit_id, bucket, object_key)
    WHERE audit_id IS NOT NULL;
CREATE UNIQUE INDEX images_once_per_tick ON images (camera_id, captured_at)
    WHERE camera_id IS NOT NULL;
CREATE INDEX images_unqueued ON images (submitted_at) WHERE queued_at IS NULL;
CREATE INDEX images_by_status ON images (audit_id, status);

CREATE TABLE faces (
    image_id         uuid NOT NULL REFERENCES images (id) ON DELETE CASCADE,
    face_index       integer NOT NULL,
    x_min            real NOT NULL,
    y_min            real NOT NULL,
    x_max            real NOT NULL,
    y_max            real NOT NULL,
    detection_score  real NOT NULL,
    -- Five (x, y) points: eyes, nose, mouth corners; NULL when the detector
    -- gives none.
    landmarks        real[],
    condition        text NOT NULL CHECK (condition IN ('no_mask', 'incorrect', 'correct')),
    p_no_mask        real NOT NULL,
    p_incorrect      real NOT NULL,
    p_correct        real NOT NULL,
    super_resolved   boolean NOT NULL,
    PRIMARY KEY (image_id, face_index)
);

-- Messages the workers could not read as jobs, kept for people to inspect.
CREATE TABLE rejected_messages (
    id           bigserial PRIMARY KEY,
    received_at  timestamptz NOT NULL DEFAULT now(),
    reason       text NOT NULL,
    body_prefix  bytea NOT NULL
);
