-- Complaints and ratings are idempotent like tickets: the same Idempotency-Key gives one
-- complaint (one rating); a different request under a used key is refused.
ALTER TABLE complaints ADD COLUMN idempotency_key TEXT;
ALTER TABLE complaints ADD COLUMN request_hash TEXT;
CREATE UNIQUE INDEX complaints_idempotency ON complaints (idempotency_key) WHERE idempotency_key IS NOT NULL;
ALTER TABLE ratings ADD COLUMN idempotency_key TEXT;
CREATE UNIQUE INDEX ratings_idempotency ON ratings (idempotency_key) WHERE idempotency_key IS NOT NULL;

-- 电话回访: the citizen's consent to be called back, recorded where the number was entered.
ALTER TABLE complaint_contacts ADD COLUMN consent INTEGER NOT NULL DEFAULT 0;

-- A 差评 may leave a contact for the revisit (never in tickets, ratings, events or logs; purged).
CREATE TABLE rating_contacts (
    rating_id   TEXT PRIMARY KEY REFERENCES ratings (id),
    phone       TEXT NOT NULL,
    consent     INTEGER NOT NULL DEFAULT 0,
    purge_after TEXT NOT NULL
);

-- Each time a manager reveals a case's full contact number for a revisit: who, when, why.
-- The number itself is never written here.
CREATE TABLE contact_reveals (
    id       TEXT PRIMARY KEY,
    case_id  TEXT NOT NULL REFERENCES cases (id),
    staff_id TEXT NOT NULL,
    reason   TEXT NOT NULL,
    at       REAL NOT NULL
);
CREATE INDEX contact_reveals_case ON contact_reveals (case_id);
