package dev.electrode.server;

import dev.electrode.storage.Journal;
import dev.electrode.vr.ReplicaLog;
import dev.electrode.vr.Status;
import dev.electrode.vr.VrReplica;
import dev.electrode.wire.proto.LogEntry;

import java.io.IOException;

/**
 * A replica's journal as the server drives it: the state to restart from, every log change
 * recorded as it happens, and once per turn the meta record, one write and (SYNC) one force.
 * Replica thread only.
 */
final class DurableState {
    private final Journal journal;
    private final Durability durability;
    private final int index;

    DurableState(Journal journal, Durability durability, int index) {
        this.journal = journal;
        this.durability = durability;
        this.index = index;
    }

    /** True if the journal holds a state to restart from. */
    boolean hasState() {
        Journal.Recovered r = journal.recovered();
        return !r.entries().isEmpty() || r.meta() != null;
    }

    /**
     * Says what the journal's opening noticed, restores {@code core} from it if {@code restore},
     * and records every later change of the core's log.
     */
    void attach(VrReplica core, boolean restore) {
        for (String note : journal.recovered().notes()) System.out.println("replica " + index + ": " + note);
        if (restore) restore(core, journal.recovered());
        core.log().setListener(new ReplicaLog.Listener() {
            @Override public void appended(LogEntry e) { journal.append(e); }

            @Override public void truncatedAfter(long opnum) { journal.truncateAfter(opnum); }
        });
    }

    private void restore(VrReplica core, Journal.Recovered r) {
        Journal.Meta m = r.meta() != null ? r.meta() : new Journal.Meta(0, 0, 0, Status.NORMAL.code());
        Status st = null;
        for (Status s : Status.values()) if (s.code() == m.status()) st = s;
        if (st == null) throw new IllegalStateException("journal meta names status code " + m.status());
        core.restore(new VrReplica.Restored(r.entries(), m.view(), m.lastNormalView(), Math.min(m.commitNum(), r.entries().size()), st));
        System.out.println("replica " + index + ": restored from its journal: view " + m.view() + ", status " + st + ", "
                + r.entries().size() + " log entries, committed up to " + core.commitNum());
    }

    /** Makes the turn's state durable: the meta record, one write, and with SYNC one force. */
    void persist(VrReplica core) throws IOException {
        journal.meta(new Journal.Meta(core.view(), core.lastNormalView(), core.commitNum(), core.status().code()));
        if (!journal.hasPending()) return;
        journal.write();
        if (durability == Durability.SYNC) journal.force();
    }

    /** ASYNC's periodic force. */
    void force() throws IOException { journal.force(); }

    /** A clean stop leaves nothing unforced. */
    void syncAtStop() throws IOException { journal.sync(); }

    boolean async() { return durability == Durability.ASYNC; }

    long forces() { return journal.forces(); }

    /** The journal's figures in one phrase. */
    String stats() {
        return durability.name().toLowerCase() + ", " + journal.bytesWritten() + " bytes written, " + journal.forces() + " forces";
    }

    /** The journal's figures for a counters line. */
    String counters() {
        return " journal{" + durability.name().toLowerCase() + " bytes=" + journal.bytesWritten() + " forces=" + journal.forces() + "}";
    }
}
