package dev.electrode.server;

import dev.electrode.storage.DataDirectory;
import dev.electrode.storage.Journal;
import dev.electrode.vr.Status;
import dev.electrode.vr.VrReplica;

/** Turns what a data directory held into the state a replica core restarts from. */
public final class RestartState {
    private RestartState() {}

    /**
     * The restart state for {@code r}: snapshot, log, view and status as persisted. The commit
     * point is at least the snapshot's and at most the log's end (a meta record can run ahead
     * of log entries that an ASYNC crash lost).
     *
     * @throws IllegalStateException if the meta record names an unknown status
     */
    public static VrReplica.Restored of(DataDirectory.Recovered r) {
        Journal.Meta m = r.meta() != null ? r.meta() : new Journal.Meta(0, 0, 0, Status.NORMAL.code());
        Status status = null;
        for (Status s : Status.values()) if (s.code() == m.status()) status = s;
        if (status == null) throw new IllegalStateException("the journal's meta record names status code " + m.status());
        long commit = Math.min(Math.max(m.commitNum(), r.snapshotOp()), r.lastOp());
        return new VrReplica.Restored(r.snapshot(), r.entries(), m.view(), m.lastNormalView(), commit, status);
    }
}
