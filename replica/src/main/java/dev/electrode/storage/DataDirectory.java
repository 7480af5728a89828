package dev.electrode.storage;

import com.google.protobuf.ByteString;
import dev.electrode.wire.proto.LogEntry;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A replica's data directory: its latest snapshot ({@link SnapshotStore}) and the journal of
 * everything after it ({@link Journal}). Opening checks that the two fit together; compaction
 * deletes the journal segments a durable snapshot covers, so disk use stays bounded.
 */
public final class DataDirectory implements AutoCloseable {
    /**
     * What was found at open: the snapshot (null if none) at {@code snapshotOp}, the log entries
     * after or reaching it, the latest meta record (null if none), and a report.
     */
    public record Recovered(ByteString snapshot, long snapshotOp, List<LogEntry> entries, Journal.Meta meta, List<String> notes) {
        /** True if the directory held no state (a new replica, or one whose disk was replaced). */
        public boolean isEmpty() { return snapshot == null && entries.isEmpty() && meta == null; }

        /** Opnum of the last entry found (the snapshot's when no entry reaches past it). */
        public long lastOp() { return entries.isEmpty() ? snapshotOp : entries.get(entries.size() - 1).getOpnum(); }
    }

    private final JournalDirectory dir;
    private final SnapshotStore snapshots;
    private final Journal journal;
    private Recovered recovered;

    private DataDirectory(JournalDirectory dir, SnapshotStore snapshots, Journal journal, Recovered recovered) {
        this.dir = dir;
        this.snapshots = snapshots;
        this.journal = journal;
        this.recovered = recovered;
    }

    /**
     * Opens the data directory of replica {@code id} in {@code dir} (empty: a new one).
     *
     * @throws CorruptJournalException if a file is damaged beyond a torn tail, a segment or the
     *         journal is missing, or the directory belongs to another cluster or replica
     */
    public static DataDirectory open(JournalDirectory dir, Journal.Identity id, long segmentBytes) throws IOException {
        List<String> notes = new ArrayList<>();
        boolean hadSegments = dir.list().stream().anyMatch(n -> n.startsWith("journal-"));
        SnapshotStore snapshots = SnapshotStore.open(dir, notes);
        if (snapshots.opnum() > 0 && !hadSegments)
            throw new CorruptJournalException(dir.describe() + ": holds " + SnapshotStore.fileName(snapshots.opnum())
                    + " but no journal segment: the meta record (view, status) is lost, so the replica refuses to start;"
                    + " restore the directory, or clear it and rejoin with --recover");
        Journal journal = Journal.open(dir, id, segmentBytes, snapshots.opnum());
        notes.addAll(journal.recovered().notes());
        Journal.Recovered j = journal.recovered();
        Recovered r = new Recovered(snapshots.takeLoaded(), snapshots.opnum(), j.entries(), j.meta(), List.copyOf(notes));
        return new DataDirectory(dir, snapshots, journal, r);
    }

    /** The state found at open; {@link #forgetRecovered} drops it once taken up. */
    public Recovered recovered() { return recovered; }

    /** Lets the memory of what was found at open go (the replica holds its own copy). */
    public void forgetRecovered() {
        recovered = new Recovered(null, recovered.snapshotOp(), List.of(), recovered.meta(), recovered.notes());
    }

    public Journal journal() { return journal; }

    /** Makes {@code bytes} the durable snapshot at {@code opnum} (before the journal records that depend on it). */
    public void saveSnapshot(long opnum, ByteString bytes) throws IOException { snapshots.save(opnum, bytes); }

    /** Opnum of the latest durable snapshot, 0 if none. */
    public long snapshotOp() { return snapshots.opnum(); }

    /**
     * Deletes the journal segments whose entries all lie at or below {@code opnum} and the
     * durable snapshot.
     *
     * @return segments deleted
     */
    public int compact(long opnum) throws IOException {
        return journal.deleteSegmentsThrough(Math.min(opnum, snapshots.opnum()));
    }

    /** Snapshot bytes written and snapshots saved since open. */
    public long snapshotBytesWritten() { return snapshots.bytesWritten(); }

    public long snapshotsSaved() { return snapshots.saved(); }

    /** Where it is, for messages. */
    public String describe() { return dir.describe(); }

    @Override
    public void close() throws IOException { journal.close(); }
}
