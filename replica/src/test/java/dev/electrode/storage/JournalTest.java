package dev.electrode.storage;

import com.google.protobuf.ByteString;
import dev.electrode.wire.proto.LogEntry;
import dev.electrode.wire.proto.Request;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The journal: what was forced survives a crash at any write point, a torn tail is cut and
 * reported, a damaged record is never served, and a directory of another replica is refused.
 */
class JournalTest {
    private static final Journal.Identity ID = new Journal.Identity("c1", 2);

    private static LogEntry entry(long op, long view) {
        return LogEntry.newBuilder().setView(view).setOpnum(op).setRequest(Request.newBuilder()
                .setOp(ByteString.copyFromUtf8("op" + op + "-v" + view)).setClientid(op % 7).setClientreqid(op)).build();
    }

    /** One step of a scripted replica: a record, or the end of an event-loop turn (write and force). */
    private sealed interface Step permits Append, Truncate, MetaStep, Sync {}

    private record Append(LogEntry e) implements Step {}

    private record Truncate(long after) implements Step {}

    private record MetaStep(Journal.Meta m) implements Step {}

    private record Sync() implements Step {}

    /** A history with appends, a view change that truncates and re-appends, meta updates, and turns. */
    private static List<Step> script(int ops) {
        List<Step> s = new ArrayList<>();
        long view = 0, op = 0;
        Random rnd = new Random(5);
        for (int i = 0; i < ops; i++) {
            s.add(new Append(entry(++op, view)));
            if (rnd.nextInt(3) == 0) s.add(new MetaStep(new Journal.Meta(view, view, Math.max(0, op - 2), 0)));
            if (i % 10 == 9) { // a view change: the new view's log drops the last two entries
                view++;
                op -= 2;
                s.add(new MetaStep(new Journal.Meta(view, view - 1, op, 1)));
                s.add(new Truncate(op));
            }
            if (rnd.nextInt(2) == 0) s.add(new Sync());
        }
        s.add(new Sync());
        return s;
    }

    /** The model: the log and meta after each step. */
    private record State(List<LogEntry> entries, Journal.Meta meta) {}

    private static State apply(State st, Step step) {
        List<LogEntry> e = new ArrayList<>(st.entries());
        Journal.Meta m = st.meta();
        if (step instanceof Append a) e.add(a.e());
        else if (step instanceof Truncate t) while (e.size() > t.after()) e.remove(e.size() - 1);
        else if (step instanceof MetaStep ms) m = ms.m();
        return new State(e, m);
    }

    private static void run(Journal j, Step step) throws IOException {
        if (step instanceof Append a) j.append(a.e());
        else if (step instanceof Truncate t) j.truncateAfter(t.after());
        else if (step instanceof MetaStep ms) j.meta(ms.m());
        else j.sync();
    }

    @Test
    void appendTruncateMetaAndReopen() throws IOException {
        SimulatedDisk disk = new SimulatedDisk();
        State expected = new State(List.of(), null);
        try (Journal j = Journal.open(disk, ID, 1 << 20)) {
            for (Step s : script(40)) {
                run(j, s);
                expected = apply(expected, s);
            }
        }
        try (Journal j = Journal.open(disk, ID, 1 << 20)) {
            assertEquals(expected.entries(), j.recovered().entries());
            assertEquals(expected.meta(), j.recovered().meta());
            assertEquals(List.of(), j.recovered().notes());
        }
    }

    @Test
    void segmentsRollOverAndReopenInOrder() throws IOException {
        SimulatedDisk disk = new SimulatedDisk();
        State expected = new State(List.of(), null);
        try (Journal j = Journal.open(disk, ID, 600)) { // a few records per segment
            for (Step s : script(60)) {
                run(j, s);
                expected = apply(expected, s);
            }
        }
        assertTrue(disk.list().size() > 5, "segments: " + disk.list());
        try (Journal j = Journal.open(disk, ID, 600)) {
            assertEquals(expected.entries(), j.recovered().entries());
            assertEquals(expected.meta(), j.recovered().meta());
            j.append(entry(expected.entries().size() + 1, 9));
            j.sync();
        }
        try (Journal j = Journal.open(disk, ID, 600)) {
            assertEquals(expected.entries().size() + 1, j.recovered().entries().size());
        }
    }

    /**
     * Crash at every write point of the script (each write, force, cut, directory sync), with
     * the newest unforced write torn at a random length: the journal opens, holds at least
     * everything forced, and exactly the state after some prefix of the records written.
     */
    @Test
    void aCrashAtEveryWritePointKeepsEverythingForcedAndOnlyAPrefix() throws IOException {
        List<Step> script = script(30);
        SimulatedDisk probe = new SimulatedDisk();
        try (Journal j = Journal.open(probe, ID, 800)) {
            for (Step s : script) run(j, s);
        }
        long points = probe.writePoints();
        assertTrue(points >= 30, "write points: " + points);
        Random rnd = new Random(11);
        int cuts = 0;
        for (long k = 1; k <= points; k++) {
            SimulatedDisk disk = new SimulatedDisk();
            disk.crashAtWrite(k);
            State state = new State(List.of(), null);
            State forced = state;
            List<State> reachable = new ArrayList<>(); // states the disk may hold: from the last forced one on
            reachable.add(state);
            try (Journal j = Journal.open(disk, ID, 800)) {
                for (Step s : script) {
                    run(j, s);
                    state = apply(state, s);
                    if (s instanceof Sync) {
                        forced = state;
                        reachable.clear();
                    }
                    reachable.add(state);
                }
            } catch (SimulatedDisk.CrashPoint crashed) {
                // the process died here
            }
            disk.crash(rnd, true);
            try (Journal j = Journal.open(disk, ID, 800)) {
                State got = new State(j.recovered().entries(), j.recovered().meta());
                assertTrue(reachable.contains(got), "crash at write " + k + ": recovered " + got.entries().size() + " entries, meta "
                        + got.meta() + ", which is no state from the last forced one (" + forced.entries().size() + " entries, "
                        + forced.meta() + ") on");
                cuts += j.recovered().notes().size();
            } catch (CorruptJournalException e) {
                fail("crash at write " + k + " left a journal that does not open: " + e.getMessage());
            }
        }
        assertTrue(cuts > 0, "some crashes tore a write that was then cut");
    }

    /** A bit flipped at any offset of a small journal: never served; refused with the offset, or cut if it was the last record. */
    @Test
    void aDamagedRecordIsNeverServed() throws IOException {
        SimulatedDisk clean = new SimulatedDisk();
        List<LogEntry> written = new ArrayList<>();
        try (Journal j = Journal.open(clean, ID, 1 << 20)) {
            for (int op = 1; op <= 6; op++) {
                written.add(entry(op, 0));
                j.append(written.get(op - 1));
                j.meta(new Journal.Meta(0, 0, op - 1, 0));
                j.sync();
            }
        }
        String name = Journal.segmentName(0);
        byte[] bytes = clean.contents(name);
        int refused = 0, cut = 0;
        for (int off = 0; off < bytes.length; off++) {
            SimulatedDisk disk = new SimulatedDisk();
            try (Journal j = Journal.open(disk, ID, 1 << 20)) {
                for (LogEntry e : written) {
                    j.append(e);
                    j.meta(new Journal.Meta(0, 0, e.getOpnum() - 1, 0));
                    j.sync();
                }
            }
            disk.flipBit(name, off, off % 8);
            try (Journal j = Journal.open(disk, ID, 1 << 20)) {
                List<LogEntry> got = j.recovered().entries();
                assertEquals(written.subList(0, got.size()), got, "offset " + off + ": a damaged entry was served");
                assertFalse(j.recovered().notes().isEmpty(), "offset " + off + ": damage not reported");
                cut++;
            } catch (CorruptJournalException e) {
                assertTrue(e.getMessage().contains(name) && e.getMessage().contains("offset"), e.getMessage());
                refused++;
            }
        }
        assertTrue(refused > bytes.length * 3 / 4, "most damage is in the middle and refused: " + refused + " of " + bytes.length);
        assertTrue(cut > 0, "damage to the last record is indistinguishable from a torn write: cut");
    }

    @Test
    void aDirectoryOfAnotherReplicaOrClusterIsRefused() throws IOException {
        SimulatedDisk disk = new SimulatedDisk();
        try (Journal j = Journal.open(disk, ID, 1 << 20)) {
            j.append(entry(1, 0));
            j.sync();
        }
        CorruptJournalException e = assertThrows(CorruptJournalException.class, () -> Journal.open(disk, new Journal.Identity("c1", 1), 1 << 20));
        assertTrue(e.getMessage().contains("belongs to replica 2 of cluster c1"), e.getMessage());
        e = assertThrows(CorruptJournalException.class, () -> Journal.open(disk, new Journal.Identity("other", 2), 1 << 20));
        assertTrue(e.getMessage().contains("not to replica 2 of cluster other"), e.getMessage());
    }

    @Test
    void aMissingSegmentIsRefused() throws IOException {
        SimulatedDisk disk = new SimulatedDisk();
        try (Journal j = Journal.open(disk, ID, 300)) {
            for (int op = 1; op <= 30; op++) {
                j.append(entry(op, 0));
                j.sync();
            }
        }
        assertTrue(disk.list().size() >= 3);
        disk.lose(Journal.segmentName(1));
        CorruptJournalException e = assertThrows(CorruptJournalException.class, () -> Journal.open(disk, ID, 300));
        assertTrue(e.getMessage().contains("segment " + Journal.segmentName(1) + " is missing"), e.getMessage());
    }

    @Test
    void aFullDiskFailsTheWriteAndNothingUnwrittenIsClaimed() throws IOException {
        SimulatedDisk disk = new SimulatedDisk();
        try (Journal j = Journal.open(disk, ID, 1 << 20)) {
            j.append(entry(1, 0));
            j.sync();
            disk.spaceLeft(10);
            j.append(entry(2, 0));
            IOException e = assertThrows(IOException.class, j::sync);
            assertTrue(e.getMessage().contains("No space left"), e.getMessage());
        }
        try (Journal j = Journal.open(disk, ID, 1 << 20)) {
            assertEquals(1, j.recovered().entries().size());
        }
    }

    @Test
    void onTheFileSystem() throws IOException {
        Path dir = Files.createTempDirectory("journal");
        try {
            try (Journal j = Journal.open(new FileJournalDirectory(dir), ID, 1 << 20)) {
                for (int op = 1; op <= 100; op++) j.append(entry(op, 0));
                j.meta(new Journal.Meta(3, 2, 90, 0));
                j.sync();
            }
            try (Journal j = Journal.open(new FileJournalDirectory(dir), ID, 1 << 20)) {
                assertEquals(100, j.recovered().entries().size());
                assertEquals(new Journal.Meta(3, 2, 90, 0), j.recovered().meta());
            }
            // A torn tail on the real file system: cut and reported.
            Path seg = dir.resolve(Journal.segmentName(0));
            Files.write(seg, new byte[] {6, 1, (byte) 0xEC, (byte) 0xE1, 50, 0}, java.nio.file.StandardOpenOption.APPEND);
            try (Journal j = Journal.open(new FileJournalDirectory(dir), ID, 1 << 20)) {
                assertEquals(100, j.recovered().entries().size());
                assertTrue(j.recovered().notes().get(0).contains("cut a torn write"), j.recovered().notes().toString());
            }
        } finally {
            try (var s = Files.walk(dir)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
