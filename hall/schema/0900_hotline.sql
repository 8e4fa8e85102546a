-- 12345 hotline items pulled from the central (issue 16). Event-sourced (hotline.received):
-- the row says which complaint, rating and case the item became here.
CREATE TABLE hotline_items (
    id           TEXT PRIMARY KEY,          -- the central's item id
    ref          TEXT NOT NULL,             -- the 12345 work-order number
    kind         TEXT NOT NULL,             -- complaint | rating
    level        INTEGER,
    category     TEXT NOT NULL,
    content      TEXT NOT NULL,
    reason       TEXT NOT NULL,
    ticket_id    TEXT,
    rating_id    TEXT,
    complaint_id TEXT,
    case_id      TEXT,
    hall_code    TEXT,                      -- the complaint's tracking code TS…
    received_at  REAL NOT NULL
);
CREATE INDEX hotline_items_case ON hotline_items (case_id);
