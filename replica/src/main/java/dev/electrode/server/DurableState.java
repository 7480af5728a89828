package dev.electrode.server;

import com.google.protobuf.ByteString;
import dev.electrode.storage.DataDirectory;
import dev.electrode.storage.Journal;
import dev.electrode.vr.ReplicaLog;
import dev.electrode.vr.VrReplica;
import dev.electrode.wire.proto.LogEntry;

import java.io.IOException;

/**
 * A replica's data directory as the server drives it: the state to restart from, every log
 * change recorded as it happens, and once per turn: a new snapshot (forced), the meta record,
 * one journal write and (SYNC) one force, then the deletion of segments the snapshot covers.
 * Replica thread only.
 */
final class DurableState {
    private final DataDirectory data;
    private final Journal journal;
    private final Durability durability;
    private final int index;
    private long pendingSnapshotOp = -1;
    private ByteString pendingSnapshot;
    private long segmentsDeleted;
    private Journal.Meta forcedMeta; // the meta record as last forced (SYNC)
    private long commitOnlyWrites;   // writes left unforced: nothing but the commit point changed (or ASYNC)

    DurableState(DataDirectory data, Durability durability, int index) {
        this.data = data;
        this.journal = data.journal();
        this.durability = durability;
        this.index = index;
    }

    /** True if the directory holds a state to restart from. */
    boolean hasState() { return !data.recovered().isEmpty(); }

    /** What opening the directory found (until {@link #forgetRecovered}). */
    DataDirectory.Recovered recovered() { return data.recovered(); }

    /** Lets the memory of what was found go, once the core holds it. */
    void forgetRecovered() { data.forgetRecovered(); }

    /** The journal the core's log changes go to. */
    Journal journal() { return journal; }

    /** Where the directory is, for messages. */
    String describe() { return data.describe(); }

    /**
     * Says what opening the directory noticed, restores {@code core} from it if {@code restore},
     * and records every later change of the core's log.
     */
    void attach(VrReplica core, boolean restore) {
        DataDirectory.Recovered r = data.recovered();
        for (String note : r.notes()) System.out.println("replica " + index + ": " + note);
        if (restore) {
            VrReplica.Restored state = RestartState.of(r);
            core.restore(state);
            System.out.println("replica " + index + ": restored from " + data.describe() + ": view " + state.view() + ", status "
                    + state.status() + ", " + (r.snapshot() == null ? "no snapshot" : "snapshot at " + r.snapshotOp()) + ", "
                    + r.entries().size() + " log entries, committed up to " + core.commitNum());
        }
        data.forgetRecovered(); // the core holds the state now
        core.log().setListener(new ReplicaLog.Listener() {
            @Override public void appended(LogEntry e) { journal.append(e); }

            @Override public void truncatedAfter(long opnum) { journal.truncateAfter(opnum); }

            @Override public void reset(long base) { journal.reset(base); }
        });
    }

    /** A VR replica's meta record: view, last normal view, commit point, status. */
    static Journal.Meta metaOf(VrReplica core) {
        return new Journal.Meta(core.view(), core.lastNormalView(), core.commitNum(), core.status().code());
    }

    /** The core took or installed a snapshot: it is stored at the end of the turn, before the journal. */
    void snapshotTaken(long opnum, ByteString bytes) {
        pendingSnapshotOp = opnum;
        pendingSnapshot = bytes;
    }

    /**
     * Makes the turn's state durable: a new snapshot first (always forced: an installed one
     * replaces log entries the journal is about to drop), then the meta record, one write and
     * with SYNC one force; last, the segments that the snapshot and the log's base make useless.
     *
     * <p>A turn that only advanced the commit point is written but not forced: the commit point
     * is a hint a restarted replica learns again from its peers, and every entry below it was
     * forced before it was acknowledged. Forcing it would double the forces of every operation
     * (one for the entry, one when it commits).
     */
    void persist(Journal.Meta meta, long logBase) throws IOException {
        boolean snapshot = pendingSnapshot != null;
        if (snapshot) {
            data.saveSnapshot(pendingSnapshotOp, pendingSnapshot);
            pendingSnapshot = null;
        }
        journal.meta(meta);
        if (journal.hasPending()) {
            boolean mustForce = journal.hasLogRecordsPending() || !meta.sameBesidesCommit(forcedMeta);
            journal.write();
            if (durability == Durability.SYNC && mustForce) {
                journal.force();
                forcedMeta = meta;
            } else {
                commitOnlyWrites++;
            }
        }
        if (snapshot) segmentsDeleted += data.compact(logBase); // the log's own compaction point, at most the snapshot
    }

    /** ASYNC's periodic force. */
    void force() throws IOException { journal.force(); }

    /** A clean stop leaves nothing unforced. */
    void syncAtStop() throws IOException { journal.sync(); }

    boolean async() { return durability == Durability.ASYNC; }

    long forces() { return journal.forces(); }

    /** The directory's figures in one phrase. */
    String stats() {
        return durability.name().toLowerCase() + ", " + journal.bytesWritten() + " bytes written, " + journal.forces() + " forces, "
                + commitOnlyWrites + " writes unforced, " + data.snapshotsSaved() + " snapshots (" + data.snapshotBytesWritten()
                + " bytes), " + segmentsDeleted + " segments deleted";
    }

    /** The directory's figures for a counters line. */
    String counters() {
        return " journal{" + durability.name().toLowerCase() + " bytes=" + journal.bytesWritten() + " forces=" + journal.forces()
                + " unforcedWrites=" + commitOnlyWrites
                + " segments=" + journal.segmentCount() + " deleted=" + segmentsDeleted + " snapshot=" + data.snapshotOp()
                + " snapshotsSaved=" + data.snapshotsSaved() + "}";
    }
}
