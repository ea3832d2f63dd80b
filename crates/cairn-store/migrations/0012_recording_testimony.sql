-- A recording is linked to the testimony being recorded (issue 16): kept with the unfinished
-- upload, so a recording cut off by a crash or a lock keeps its link when it is salvaged.
-- NULL: recorded without a testimony.
ALTER TABLE blob_uploads ADD COLUMN testimony_id BLOB;
