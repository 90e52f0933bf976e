-- Reporting: what the reporting API and people's own SQL read.
--
-- Every finished image is added, when its transaction commits, to an hourly
-- rollup (one row per UTC hour, camera and audit), so that compliance over
-- days, weeks and hundreds of cameras is a scan of a few thousand rows
-- instead of millions of faces. The views below are the documented way in.

-- When the photo was taken where known (a camera's scheduled time, an
-- object's last-modified time), otherwise when it was submitted.
ALTER TABLE images
    ADD COLUMN observed_at timestamptz GENERATED ALWAYS AS (coalesce(captured_at, submitted_at)) STORED;

-- The classifier's probability for the condition it chose.
ALTER TABLE faces
    ADD COLUMN confidence real GENERATED ALWAYS AS (greatest(p_no_mask, p_incorrect, p_correct)) STORED;

CREATE INDEX images_finished_by_time ON images (observed_at) WHERE status <> 'pending';
CREATE INDEX images_finished_by_camera ON images (camera_id, observed_at) WHERE status <> 'pending';
CREATE INDEX images_finished_by_audit ON images (audit_id, observed_at) WHERE status <> 'pending';
-- Violations are listed newest first; most faces are not violations.
CREATE INDEX faces_violations ON faces (image_id) WHERE condition <> 'correct';
CREATE INDEX cameras_by_site ON cameras (site);

CREATE TABLE compliance_hourly (
    hour             timestamptz NOT NULL,
    camera_id        uuid REFERENCES cameras (id),
    audit_id         uuid REFERENCES audits (id),
    images_done      bigint NOT NULL DEFAULT 0,
    images_failed    bigint NOT NULL DEFAULT 0,
    faces_no_mask    bigint NOT NULL DEFAULT 0,
    faces_incorrect  bigint NOT NULL DEFAULT 0,
    faces_correct    bigint NOT NULL DEFAULT 0,
    -- Camera snapshots have no audit and single objects no camera; NULL is
    -- one key like any other here.
    CONSTRAINT compliance_hourly_key UNIQUE NULLS NOT DISTINCT (hour, camera_id, audit_id)
);
CREATE INDEX compliance_hourly_by_camera ON compliance_hourly (camera_id, hour);
CREATE INDEX compliance_hourly_by_audit ON compliance_hourly (audit_id, hour);
CREATE INDEX compliance_hourly_by_hour ON compliance_hourly (hour);
-- For the daily views: a UTC day is an immutable expression, so it can be indexed.
CREATE INDEX compliance_hourly_by_utc_day
    ON compliance_hourly ((date_trunc('day', hour AT TIME ZONE 'UTC')), camera_id);

-- Adds one finished image (and its faces) to the rollup.
CREATE FUNCTION compliance_hourly_add_image() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO compliance_hourly AS r
        (hour, camera_id, audit_id, images_done, images_failed,
         faces_no_mask, faces_incorrect, faces_correct)
    SELECT date_trunc('hour', NEW.observed_at), NEW.camera_id, NEW.audit_id,
           (NEW.status = 'done')::int, (NEW.status = 'failed')::int,
           count(*) FILTER (WHERE f.condition = 'no_mask'),
           count(*) FILTER (WHERE f.condition = 'incorrect'),
           count(*) FILTER (WHERE f.condition = 'correct')
    FROM (SELECT 1) AS one
    LEFT JOIN faces f ON f.image_id = NEW.id
    ON CONFLICT ON CONSTRAINT compliance_hourly_key DO UPDATE SET
        images_done     = r.images_done + EXCLUDED.images_done,
        images_failed   = r.images_failed + EXCLUDED.images_failed,
        faces_no_mask   = r.faces_no_mask + EXCLUDED.faces_no_mask,
        faces_incorrect = r.faces_incorrect + EXCLUDED.faces_incorrect,
        faces_correct   = r.faces_correct + EXCLUDED.faces_correct;
    RETURN NULL;
END;
$$;

-- Deferred to commit: the result is written as "image done" first and its
-- faces after, in the same transaction. An image leaves 'pending' only once,
-- so it is counted only once.
CREATE CONSTRAINT TRIGGER images_finished_into_rollup
    AFTER UPDATE OF status ON images
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW
    WHEN (OLD.status = 'pending' AND NEW.status <> 'pending')
    EXECUTE FUNCTION compliance_hourly_add_image();

-- Rebuilds the rollup from the images and faces, for data loaded in bulk
-- without the trigger or a repair: SELECT rebuild_compliance_hourly();
CREATE FUNCTION rebuild_compliance_hourly() RETURNS void
LANGUAGE sql AS $$
    DELETE FROM compliance_hourly;
    INSERT INTO compliance_hourly
        (hour, camera_id, audit_id, images_done, images_failed,
         faces_no_mask, faces_incorrect, faces_correct)
    SELECT date_trunc('hour', i.observed_at), i.camera_id, i.audit_id,
           count(DISTINCT i.id) FILTER (WHERE i.status = 'done'),
           count(DISTINCT i.id) FILTER (WHERE i.status = 'failed'),
           count(f.image_id) FILTER (WHERE f.condition = 'no_mask'),
           count(f.image_id) FILTER (WHERE f.condition = 'incorrect'),
           count(f.image_id) FILTER (WHERE f.condition = 'correct')
    FROM images i
    LEFT JOIN faces f ON f.image_id = i.id
    WHERE i.status <> 'pending'
    GROUP BY 1, 2, 3;
$$;

-- Views for people. Days (timestamps without a zone) and hours are UTC; for
-- another time zone group the rollup yourself, e.g.
-- date_trunc('day', hour AT TIME ZONE 'Europe/Berlin').

-- Every face with where and when it was seen.
CREATE VIEW face_observations AS
SELECT f.image_id, f.face_index, i.observed_at, i.camera_id, c.name AS camera, c.site,
       i.audit_id, i.bucket, i.object_key, f.condition, f.confidence, f.detection_score,
       f.x_min, f.y_min, f.x_max, f.y_max
FROM faces f
JOIN images i ON i.id = f.image_id
LEFT JOIN cameras c ON c.id = i.camera_id;

-- Faces without a mask or with a mask worn incorrectly.
CREATE VIEW violations AS
SELECT * FROM face_observations WHERE condition <> 'correct';

CREATE VIEW daily_compliance_by_camera AS
SELECT date_trunc('day', r.hour AT TIME ZONE 'UTC') AS day, r.camera_id, c.name AS camera, c.site,
       sum(r.images_done) AS images_done, sum(r.images_failed) AS images_failed,
       sum(r.faces_no_mask) AS faces_no_mask, sum(r.faces_incorrect) AS faces_incorrect,
       sum(r.faces_correct) AS faces_correct,
       sum(r.faces_correct)::float8
           / nullif(sum(r.faces_no_mask + r.faces_incorrect + r.faces_correct), 0) AS compliance_rate,
       sum(r.faces_incorrect + r.faces_correct)::float8
           / nullif(sum(r.faces_no_mask + r.faces_incorrect + r.faces_correct), 0) AS mask_rate
FROM compliance_hourly r
JOIN cameras c ON c.id = r.camera_id
GROUP BY 1, 2, 3, 4;

CREATE VIEW hourly_compliance_by_site AS
SELECT r.hour, c.site,
       sum(r.images_done) AS images_done, sum(r.images_failed) AS images_failed,
       sum(r.faces_no_mask) AS faces_no_mask, sum(r.faces_incorrect) AS faces_incorrect,
       sum(r.faces_correct) AS faces_correct,
       sum(r.faces_correct)::float8
           / nullif(sum(r.faces_no_mask + r.faces_incorrect + r.faces_correct), 0) AS compliance_rate,
       sum(r.faces_incorrect + r.faces_correct)::float8
           / nullif(sum(r.faces_no_mask + r.faces_incorrect + r.faces_correct), 0) AS mask_rate
FROM compliance_hourly r
JOIN cameras c ON c.id = r.camera_id
GROUP BY 1, 2;

CREATE VIEW audit_progress AS
SELECT a.id AS audit_id, a.name, a.kind, a.bucket, a.prefix, a.created_at, a.listed_at,
       count(i.id) AS images,
       count(i.id) FILTER (WHERE i.status = 'done') AS done,
       count(i.id) FILTER (WHERE i.status = 'failed') AS failed,
       count(i.id) FILTER (WHERE i.status = 'pending') AS pending
FROM audits a
LEFT JOIN images i ON i.audit_id = a.id
GROUP BY a.id;
