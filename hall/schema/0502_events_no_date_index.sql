-- One page less per event (issue 12): events_day goes. A day's events are a seq range (the
-- business date never goes backwards along seq), found by bisecting on the primary key
-- (hall.events.last_seq_before); reports and the phone purge ask that way.
DROP INDEX IF EXISTS events_day;
