-- One row per service and business day holds what issuing reads and writes (issue 12):
-- - the waiting counts move from waiting_counts into the day's counters row, so an issue
--   writes one small B-tree page fewer (the counter row it already touches);
-- - a ticket's own insert keeps last_number (the highest seq_no of the day and service), so
--   issuing no longer writes a counter row of its own and its event no longer carries one:
--   replay rebuilds both through these same triggers.
-- The counts are derived columns (hall/events.py DERIVED_COLUMNS): never in an event, never
-- written by Op.put. Counter rows of the pseudo-services (~matters, ~complaints) stay
-- event-sourced as before; no ticket touches them.
--
-- waiting_r0 / _r1 / _r2: checked-in waiting tickets of rank 0 (appointment), 1 (green
-- channel) and 2 (normal), hall/models.py PRIORITY_RANK; waiting_away: waiting tickets not
-- yet checked in (taken remotely), of any rank. A waiting ticket always belongs to the
-- current business day: the roll-over expires the earlier days' (hall/businessday.py).

ALTER TABLE counters ADD COLUMN waiting_r0 INTEGER NOT NULL DEFAULT 0;
ALTER TABLE counters ADD COLUMN waiting_r1 INTEGER NOT NULL DEFAULT 0;
ALTER TABLE counters ADD COLUMN waiting_r2 INTEGER NOT NULL DEFAULT 0;
ALTER TABLE counters ADD COLUMN waiting_away INTEGER NOT NULL DEFAULT 0;

DROP TRIGGER waiting_counts_on_insert;
DROP TRIGGER waiting_counts_on_leave;
DROP TRIGGER waiting_counts_on_enter;
DROP TRIGGER waiting_counts_on_delete;
DROP TABLE waiting_counts;

INSERT INTO counters (business_date, service_id, last_number, waiting_r0, waiting_r1, waiting_r2, waiting_away)
    SELECT business_date, service_id, COALESCE(MAX(seq_no), 0),
           SUM(checked_in = 1 AND rank <= 0), SUM(checked_in = 1 AND rank = 1),
           SUM(checked_in = 1 AND rank >= 2), SUM(checked_in = 0)
    FROM tickets WHERE state = 'waiting' GROUP BY business_date, service_id
    ON CONFLICT (business_date, service_id) DO UPDATE SET
        last_number = max(last_number, excluded.last_number),
        waiting_r0 = excluded.waiting_r0, waiting_r1 = excluded.waiting_r1,
        waiting_r2 = excluded.waiting_r2, waiting_away = excluded.waiting_away;

CREATE TRIGGER counters_on_ticket_insert AFTER INSERT ON tickets
BEGIN
    INSERT INTO counters (business_date, service_id, last_number, waiting_r0, waiting_r1, waiting_r2, waiting_away)
    VALUES (NEW.business_date, NEW.service_id, COALESCE(NEW.seq_no, 0),
            NEW.state = 'waiting' AND NEW.checked_in = 1 AND NEW.rank <= 0,
            NEW.state = 'waiting' AND NEW.checked_in = 1 AND NEW.rank = 1,
            NEW.state = 'waiting' AND NEW.checked_in = 1 AND NEW.rank >= 2,
            NEW.state = 'waiting' AND NEW.checked_in = 0)
    ON CONFLICT (business_date, service_id) DO UPDATE SET
        last_number = max(last_number, excluded.last_number),
        waiting_r0 = waiting_r0 + excluded.waiting_r0, waiting_r1 = waiting_r1 + excluded.waiting_r1,
        waiting_r2 = waiting_r2 + excluded.waiting_r2, waiting_away = waiting_away + excluded.waiting_away;
END;

CREATE TRIGGER counters_on_ticket_leave AFTER UPDATE ON tickets
WHEN OLD.state = 'waiting' AND (NEW.state IS NOT 'waiting' OR NEW.service_id IS NOT OLD.service_id
                                OR NEW.rank IS NOT OLD.rank OR NEW.checked_in IS NOT OLD.checked_in
                                OR NEW.business_date IS NOT OLD.business_date)
BEGIN
    UPDATE counters SET
        waiting_r0 = waiting_r0 - (OLD.checked_in = 1 AND OLD.rank <= 0),
        waiting_r1 = waiting_r1 - (OLD.checked_in = 1 AND OLD.rank = 1),
        waiting_r2 = waiting_r2 - (OLD.checked_in = 1 AND OLD.rank >= 2),
        waiting_away = waiting_away - (OLD.checked_in = 0)
    WHERE business_date = OLD.business_date AND service_id = OLD.service_id;
END;

CREATE TRIGGER counters_on_ticket_enter AFTER UPDATE ON tickets
WHEN NEW.state = 'waiting' AND (OLD.state IS NOT 'waiting' OR NEW.service_id IS NOT OLD.service_id
                                OR NEW.rank IS NOT OLD.rank OR NEW.checked_in IS NOT OLD.checked_in
                                OR NEW.business_date IS NOT OLD.business_date)
BEGIN
    INSERT INTO counters (business_date, service_id, last_number, waiting_r0, waiting_r1, waiting_r2, waiting_away)
    VALUES (NEW.business_date, NEW.service_id, COALESCE(NEW.seq_no, 0),
            NEW.checked_in = 1 AND NEW.rank <= 0, NEW.checked_in = 1 AND NEW.rank = 1,
            NEW.checked_in = 1 AND NEW.rank >= 2, NEW.checked_in = 0)
    ON CONFLICT (business_date, service_id) DO UPDATE SET
        waiting_r0 = waiting_r0 + excluded.waiting_r0, waiting_r1 = waiting_r1 + excluded.waiting_r1,
        waiting_r2 = waiting_r2 + excluded.waiting_r2, waiting_away = waiting_away + excluded.waiting_away;
END;

CREATE TRIGGER counters_on_ticket_delete AFTER DELETE ON tickets WHEN OLD.state = 'waiting'
BEGIN
    UPDATE counters SET
        waiting_r0 = waiting_r0 - (OLD.checked_in = 1 AND OLD.rank <= 0),
        waiting_r1 = waiting_r1 - (OLD.checked_in = 1 AND OLD.rank = 1),
        waiting_r2 = waiting_r2 - (OLD.checked_in = 1 AND OLD.rank >= 2),
        waiting_away = waiting_away - (OLD.checked_in = 0)
    WHERE business_date = OLD.business_date AND service_id = OLD.service_id;
END;
