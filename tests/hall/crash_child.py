"""Child process for the kill -9 test: works the real engine until it is killed.

Usage: crash_child.py DB CONFIG START_TIME SEED

It issues tickets (and calls, starts and finishes some at three windows) as fast as it can.
A ticket is reported on stdout — one line "id service seq_no number" — only after
issue_ticket has returned, i.e. after its COMMIT: the parent may kill it at any instant and
then holds it to every ticket it was told about.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from hall.config import load_config  # noqa: E402
from hall.engine import Engine, ManualClock  # noqa: E402
from hall.errors import DomainError, IllegalTransition  # noqa: E402
from hall.store import Store  # noqa: E402

SERVICES = ["consult", "biz-setup", "biz-change", "tax-invoice", "soc-card", "hh-idcard", "pickup"]
WINDOWS = [("w01", "k1"), ("w03", "k2"), ("w12", "k3")]


def main() -> int:
    db, config_path, start, seed = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
    rng = random.Random(seed)
    clock = ManualClock(start)
    engine = Engine(Store.open(db), load_config(config_path), clock)
    for window_id, staff_id in WINDOWS:
        engine.add_staff(staff_id, f"值守{staff_id}", "clerk")
        engine.sign_in(window_id, staff_id)
        engine.open_window(window_id)
    out = sys.stdout
    while True:
        clock.advance(0.05)
        if rng.random() < 0.8:
            ticket, _ = engine.issue_ticket(rng.choice(SERVICES),
                                            priority_reason="elderly" if rng.random() < 0.1 else None,
                                            idempotency_key=f"kill-{seed}-{rng.getrandbits(48):x}")
            out.write(f"{ticket['id']} {ticket['service_id']} {ticket['seq_no']} {ticket['number']}\n")
            out.flush()
            continue
        window_id = rng.choice(WINDOWS)[0]
        try:
            engine.call_next(window_id)
        except IllegalTransition:
            pass    # a ticket left at the window by the previous life: finish it below
        try:
            engine.start(window_id)
        except DomainError:
            pass
        try:
            engine.finish(window_id, "completed")
        except DomainError:
            pass


if __name__ == "__main__":
    sys.exit(main())
