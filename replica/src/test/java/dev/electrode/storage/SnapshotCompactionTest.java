package dev.electrode.storage;

import com.google.protobuf.ByteString;
import dev.electrode.wire.proto.LogEntry;
import dev.electrode.wire.proto.Request;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Snapshots and compaction in the data directory: a snapshot replaces the journal segments it
 * covers, a restart finds the snapshot plus the log suffix, a crash at any write point of a run
 * with snapshots, compaction and a snapshot install keeps everything forced, and a damaged or
 * missing file is refused with its name.
 */
class SnapshotCompactionTest {
    private static final Journal.Identity ID = new Journal.Identity("c1", 1);
    private static final long SEGMENT = 700; // a few entries per segment

    private static LogEntry entry(long op, long view) {
        return LogEntry.newBuilder().setView(view).setOpnum(op).setRequest(Request.newBuilder()
                .setOp(ByteString.copyFromUtf8("op" + op + "-v" + view)).setClientid(op % 5).setClientreqid(op)).build();
    }

    private static ByteString snapshotBytes(long op) { return ByteString.copyFromUtf8("state after " + op + " ops ".repeat(20)); }

    @Test
    void aSnapshotReplacesTheSegmentsItCoversAndRestartFindsSnapshotPlusSuffix() throws IOException {
        SimulatedDisk disk = new SimulatedDisk();
        try (DataDirectory d = DataDirectory.open(disk, ID, SEGMENT)) {
            for (long op = 1; op <= 200; op++) {
                d.journal().append(entry(op, 0));
                d.journal().meta(new Journal.Meta(0, 0, op - 1, 0));
                d.journal().sync();
            }
            int before = d.journal().segmentCount();
            d.saveSnapshot(150, snapshotBytes(150));
            int deleted = d.compact(150);
            assertTrue(deleted > 10 && d.journal().segmentCount() == before - deleted, "deleted " + deleted + " of " + before);
            assertEquals(0, d.compact(150), "nothing more to delete");
        }
        assertEquals(1, disk.list().stream().filter(n -> n.startsWith("snapshot-")).count());
        try (DataDirectory d = DataDirectory.open(disk, ID, SEGMENT)) {
            DataDirectory.Recovered r = d.recovered();
            assertEquals(150, r.snapshotOp());
            assertEquals(snapshotBytes(150), r.snapshot());
            assertTrue(r.entries().get(0).getOpnum() <= 151, "the log reaches the snapshot: starts at " + r.entries().get(0).getOpnum());
            assertEquals(200, r.lastOp());
            for (int i = 1; i < r.entries().size(); i++) assertEquals(r.entries().get(i - 1).getOpnum() + 1, r.entries().get(i).getOpnum());
            assertEquals(new Journal.Meta(0, 0, 199, 0), r.meta());
            // A newer snapshot replaces the older file.
            d.saveSnapshot(190, snapshotBytes(190));
            d.compact(190);
        }
        assertEquals(List.of(SnapshotStore.fileName(190)), disk.list().stream().filter(n -> n.startsWith("snapshot-")).toList());
        try (DataDirectory d = DataDirectory.open(disk, ID, SEGMENT)) {
            assertEquals(190, d.recovered().snapshotOp());
            assertEquals(200, d.recovered().lastOp());
        }
    }

    /** An installed snapshot beyond the log: the log restarts after it, and stays so across a restart. */
    @Test
    void anInstalledSnapshotResetsTheLog() throws IOException {
        SimulatedDisk disk = new SimulatedDisk();
        try (DataDirectory d = DataDirectory.open(disk, ID, SEGMENT)) {
            for (long op = 1; op <= 20; op++) d.journal().append(entry(op, 0));
            d.journal().sync();
            d.saveSnapshot(500, snapshotBytes(500)); // from the leader, far ahead
            d.journal().reset(500);
            for (long op = 501; op <= 510; op++) d.journal().append(entry(op, 3));
            d.journal().sync();
            d.compact(500);
        }
        try (DataDirectory d = DataDirectory.open(disk, ID, SEGMENT)) {
            assertEquals(500, d.recovered().snapshotOp());
            assertEquals(501, d.recovered().entries().get(0).getOpnum());
            assertEquals(510, d.recovered().lastOp());
        }
    }

    /** The snapshot is durable before the journal learns of it: a crash in between leaves a journal below the snapshot. */
    @Test
    void aJournalThatEndsBelowTheSnapshotContinuesAfterIt() throws IOException {
        SimulatedDisk disk = new SimulatedDisk();
        try (DataDirectory d = DataDirectory.open(disk, ID, SEGMENT)) {
            for (long op = 1; op <= 20; op++) d.journal().append(entry(op, 0));
            d.journal().sync();
            d.saveSnapshot(500, snapshotBytes(500));
        }
        try (DataDirectory d = DataDirectory.open(disk, ID, SEGMENT)) {
            assertEquals(List.of(), d.recovered().entries());
            assertEquals(500, d.recovered().lastOp());
            assertTrue(d.recovered().notes().stream().anyMatch(n -> n.contains("ends below snapshot 500")), d.recovered().notes().toString());
            d.journal().append(entry(501, 1)); // the reset was recorded at open: 501 follows
            d.journal().sync();
        }
        try (DataDirectory d = DataDirectory.open(disk, ID, SEGMENT)) {
            assertEquals(501, d.recovered().lastOp());
        }
    }

    /**
     * A run with appends, truncations, snapshots with compaction and an installed snapshot,
     * crashed at every write point (the newest unforced write torn at random): the directory
     * opens, nothing forced is lost, the log reaches the snapshot without a gap, and every entry
     * served is the one the run wrote for that opnum.
     */
    @Test
    void aCrashAtEveryWritePointOfARunWithSnapshotsKeepsEverythingForced() throws IOException {
        SimulatedDisk probe = new SimulatedDisk();
        runScript(probe, null);
        long points = probe.writePoints();
        assertTrue(points > 100, "write points: " + points);
        Random rnd = new Random(3);
        int opened = 0;
        for (long k = 1; k <= points; k++) {
            SimulatedDisk disk = new SimulatedDisk();
            disk.crashAtWrite(k);
            Progress p = new Progress();
            try {
                runScript(disk, p);
            } catch (SimulatedDisk.CrashPoint crashed) {
                // the process died here
            }
            disk.crash(rnd, true);
            try (DataDirectory d = DataDirectory.open(disk, ID, SEGMENT)) {
                DataDirectory.Recovered r = d.recovered();
                String at = "crash at write " + k + ": ";
                assertTrue(r.snapshotOp() >= p.forcedSnapshot, at + "snapshot " + r.snapshotOp() + " older than the saved " + p.forcedSnapshot);
                assertTrue(r.lastOp() >= p.forcedLastOp, at + "log ends at " + r.lastOp() + ", but " + p.forcedLastOp + " was forced");
                if (!r.entries().isEmpty()) assertTrue(r.entries().get(0).getOpnum() <= r.snapshotOp() + 1, at + "gap above the snapshot");
                for (LogEntry e : r.entries()) assertTrue(p.written.contains(e), at + "served entry " + e.getOpnum() + " that was never written");
                if (r.snapshot() != null) assertEquals(snapshotBytes(r.snapshotOp()), r.snapshot(), at + "snapshot bytes");
                opened++;
            } catch (CorruptJournalException e) {
                fail("crash at write " + k + " left a directory that does not open: " + e.getMessage());
            }
        }
        assertEquals(points, opened);
    }

    /** What a scripted run had made durable when it crashed. */
    private static final class Progress {
        long forcedLastOp, forcedSnapshot;
        final List<LogEntry> written = new ArrayList<>();
    }

    private static void runScript(SimulatedDisk disk, Progress p) throws IOException {
        if (p == null) p = new Progress();
        try (DataDirectory d = DataDirectory.open(disk, ID, SEGMENT)) {
            long op = 0, view = 0, previousSnapshot = 0;
            for (int i = 1; i <= 120; i++) {
                LogEntry e = entry(++op, view);
                p.written.add(e);
                d.journal().append(e);
                if (i % 17 == 0) { // a view change drops an uncommitted entry
                    view++;
                    d.journal().truncateAfter(--op);
                }
                if (i % 3 == 0) {
                    d.journal().meta(new Journal.Meta(view, view, op, 0));
                    d.journal().sync();
                    p.forcedLastOp = op;
                }
                if (i % 25 == 0 && op == p.forcedLastOp) { // a snapshot at the commit point, then compaction to the previous one
                    d.saveSnapshot(op, snapshotBytes(op));
                    p.forcedSnapshot = op;
                    d.compact(previousSnapshot);
                    previousSnapshot = op;
                }
                if (i == 100) { // a snapshot from the leader, beyond the log
                    op += 40;
                    d.saveSnapshot(op, snapshotBytes(op));
                    p.forcedSnapshot = op;
                    d.journal().reset(op);
                    d.journal().sync();
                    p.forcedLastOp = op;
                    d.compact(op);
                    previousSnapshot = op;
                }
            }
        }
    }

    @Test
    void aFlippedBitAnywhereInTheSnapshotIsRefusedWithFileAndOffset() throws IOException {
        SimulatedDisk clean = new SimulatedDisk();
        try (DataDirectory d = DataDirectory.open(clean, ID, SEGMENT)) {
            for (long op = 1; op <= 5; op++) d.journal().append(entry(op, 0));
            d.journal().sync();
            d.saveSnapshot(5, ByteString.copyFromUtf8("state-of-five"));
        }
        String name = SnapshotStore.fileName(5);
        int size = clean.contents(name).length;
        for (int off = 0; off < size; off++) {
            SimulatedDisk disk = new SimulatedDisk();
            try (DataDirectory d = DataDirectory.open(disk, ID, SEGMENT)) {
                for (long op = 1; op <= 5; op++) d.journal().append(entry(op, 0));
                d.journal().sync();
                d.saveSnapshot(5, ByteString.copyFromUtf8("state-of-five"));
            }
            disk.flipBit(name, off, off % 8);
            int o = off;
            CorruptJournalException e = assertThrows(CorruptJournalException.class, () -> DataDirectory.open(disk, ID, SEGMENT),
                    "offset " + o + ": a damaged snapshot was taken");
            assertTrue(e.getMessage().contains(name) && e.getMessage().contains("offset"), e.getMessage());
        }
    }

    @Test
    void lostFilesAreRefused() throws IOException {
        SimulatedDisk disk = new SimulatedDisk();
        try (DataDirectory d = DataDirectory.open(disk, ID, SEGMENT)) {
            for (long op = 1; op <= 60; op++) {
                d.journal().append(entry(op, 0));
                d.journal().sync();
            }
        }
        // The first segment lost, with no snapshot to cover it.
        disk.lose(Journal.segmentName(0));
        CorruptJournalException e = assertThrows(CorruptJournalException.class, () -> DataDirectory.open(disk, ID, SEGMENT));
        assertTrue(e.getMessage().contains("missing"), e.getMessage());

        // A snapshot whose journal is gone: the meta record (view, status) is lost with it.
        SimulatedDisk other = new SimulatedDisk();
        try (DataDirectory d = DataDirectory.open(other, ID, SEGMENT)) {
            d.journal().append(entry(1, 0));
            d.journal().sync();
            d.saveSnapshot(1, snapshotBytes(1));
        }
        for (String n : other.list()) if (n.startsWith("journal-")) other.lose(n);
        e = assertThrows(CorruptJournalException.class, () -> DataDirectory.open(other, ID, SEGMENT));
        assertTrue(e.getMessage().contains("no journal segment"), e.getMessage());
    }

    @Test
    void aSnapshotWhoseWritingWasInterruptedIsRemovedAndReported() throws IOException {
        SimulatedDisk disk = new SimulatedDisk();
        try (DataDirectory d = DataDirectory.open(disk, ID, SEGMENT)) {
            d.journal().append(entry(1, 0));
            d.journal().sync();
        }
        try (JournalFile f = disk.open(SnapshotStore.fileName(1) + ".tmp", true)) {
            f.append(java.nio.ByteBuffer.wrap(new byte[] {1, 2, 3}));
        }
        try (DataDirectory d = DataDirectory.open(disk, ID, SEGMENT)) {
            assertNull(d.recovered().snapshot());
            assertTrue(d.recovered().notes().stream().anyMatch(n -> n.contains("interrupted")), d.recovered().notes().toString());
        }
        assertFalse(disk.list().stream().anyMatch(n -> n.endsWith(".tmp")));
    }
}
