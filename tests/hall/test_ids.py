"""Row ids: time-ordered, unique, and never repeated by a forked process."""

import os

from hall.events import time_ordered_id


def test_ids_sort_by_time_and_never_repeat():
    ids = [time_ordered_id(1_800_000_000 + i / 1000) for i in range(5000)]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)
    same_ms = {time_ordered_id(1_800_000_000.0) for _ in range(5000)}
    assert len(same_ms) == 5000


def test_a_forked_child_does_not_reuse_the_parents_random_bits():
    time_ordered_id(1.0)                       # the parent has a buffer of random bits now
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:                               # the child: report its next ids and leave
        os.write(w, "".join(time_ordered_id(1.0) for _ in range(4)).encode())
        os._exit(0)
    os.close(w)
    os.waitpid(pid, 0)
    child = os.read(r, 4096).decode()
    os.close(r)
    parent = "".join(time_ordered_id(1.0) for _ in range(4))
    child_ids = {child[i:i + 32] for i in range(0, len(child), 32)}
    parent_ids = {parent[i:i + 32] for i in range(0, len(parent), 32)}
    assert len(child_ids) == 4 and not child_ids & parent_ids
