-- Who collected a matter's result, in full: hall only (matter_access is never an event and
-- never leaves the hall); matters.handed_to keeps the masked name (张*) that events carry.
ALTER TABLE matter_access ADD COLUMN handed_to TEXT;
