package dev.electrode.loopback;

import com.google.protobuf.ByteString;
import dev.electrode.cli.ElectrodeMain;
import dev.electrode.config.ClusterConfig;
import dev.electrode.launch.LocalCluster;
import dev.electrode.launch.ReplicaProcess;
import dev.electrode.app.KvStore;
import dev.electrode.storage.DataDirectory;
import dev.electrode.storage.FileJournalDirectory;
import dev.electrode.storage.SnapshotStore;
import dev.electrode.vr.proto.Snapshot;
import dev.electrode.storage.Journal;
import dev.electrode.wire.proto.LogEntry;
import dev.electrode.wire.proto.Request;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** A replica's data directory from the command line: bad ones are refused with the reason, a torn tail is cut and said. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DataDirectoryTest {
    private record Run(int exit, String err) {}

    private static Run replica(Path conf, int index, String... more) {
        StringWriter err = new StringWriter();
        CommandLine cmd = new CommandLine(new ElectrodeMain());
        cmd.setErr(new PrintWriter(err, true));
        List<String> args = new java.util.ArrayList<>(List.of("replica", "--config", conf.toString(), "--index", Integer.toString(index)));
        args.addAll(List.of(more));
        return new Run(cmd.execute(args.toArray(new String[0])), err.toString());
    }

    private static ClusterConfig cluster(Path dir) throws Exception {
        ClusterConfig c = new ClusterConfig(1, LocalCluster.freeLoopbackPorts(3));
        Files.writeString(dir.resolve("c.conf"), c.toText());
        return c;
    }

    /** A journal of replica {@code index} with {@code ops} entries, in segments of {@code segmentBytes}. */
    private static void journal(Path data, ClusterConfig c, int index, int ops, long segmentBytes) throws Exception {
        try (Journal j = Journal.open(new FileJournalDirectory(data), new Journal.Identity(c.id(), index), segmentBytes)) {
            for (int op = 1; op <= ops; op++) {
                j.append(LogEntry.newBuilder().setView(0).setOpnum(op).setRequest(Request.newBuilder()
                        .setOp(ByteString.copyFromUtf8("op" + op)).setClientid(1).setClientreqid(op)).build());
                j.meta(new Journal.Meta(0, 0, op, 0));
                j.sync();
            }
        }
    }

    @Test
    void aFlippedBitInTheMiddleIsRefusedNamingFileAndOffset(@TempDir Path dir) throws Exception {
        ClusterConfig c = cluster(dir);
        Path data = dir.resolve("data");
        journal(data, c, 0, 50, Journal.DEFAULT_SEGMENT_BYTES);
        Path seg = data.resolve(Journal.segmentName(0));
        byte[] b = Files.readAllBytes(seg);
        b[b.length / 2] ^= 0x10;
        Files.write(seg, b);
        Run r = replica(dir.resolve("c.conf"), 0, "--data-dir", data.toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains(Journal.segmentName(0)) && r.err().contains("damaged record at offset"), r.err());
    }

    @Test
    void aDamagedSnapshotIsRefusedNamingFileAndOffset(@TempDir Path dir) throws Exception {
        ClusterConfig c = cluster(dir);
        Path data = dir.resolve("data");
        journal(data, c, 0, 10, Journal.DEFAULT_SEGMENT_BYTES);
        try (DataDirectory d = DataDirectory.open(new FileJournalDirectory(data), new Journal.Identity(c.id(), 0), Journal.DEFAULT_SEGMENT_BYTES)) {
            d.saveSnapshot(10, Snapshot.newBuilder().setOpnum(10).setAppState(new KvStore().snapshot()).build().toByteString());
        }
        Path snap = data.resolve(SnapshotStore.fileName(10));
        byte[] b = Files.readAllBytes(snap);
        b[b.length - 3] ^= 0x01;
        Files.write(snap, b);
        Run r = replica(dir.resolve("c.conf"), 0, "--data-dir", data.toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains(SnapshotStore.fileName(10)) && r.err().contains("CRC32C mismatch over offsets"), r.err());
    }

    @Test
    void anotherReplicasOrClustersDirectoryIsRefused(@TempDir Path dir) throws Exception {
        ClusterConfig c = cluster(dir);
        Path data = dir.resolve("data");
        journal(data, c, 1, 3, Journal.DEFAULT_SEGMENT_BYTES);
        Run r = replica(dir.resolve("c.conf"), 0, "--data-dir", data.toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("belongs to replica 1 of cluster " + c.id()), r.err());
        ClusterConfig other = new ClusterConfig(1, LocalCluster.freeLoopbackPorts(3));
        Files.writeString(dir.resolve("other.conf"), other.toText());
        r = replica(dir.resolve("other.conf"), 1, "--data-dir", data.toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("not to replica 1 of cluster " + other.id()), r.err());
    }

    @Test
    void aMissingSegmentIsRefused(@TempDir Path dir) throws Exception {
        ClusterConfig c = cluster(dir);
        Path data = dir.resolve("data");
        journal(data, c, 0, 60, 1000);
        Files.delete(data.resolve(Journal.segmentName(1)));
        Run r = replica(dir.resolve("c.conf"), 0, "--data-dir", data.toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("segment " + Journal.segmentName(1) + " is missing"), r.err());
    }

    @Test
    void conflictingOptionsAreRefused(@TempDir Path dir) throws Exception {
        cluster(dir);
        Run r = replica(dir.resolve("c.conf"), 0, "--durability", "sync");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--durability sync needs --data-dir"), r.err());
        r = replica(dir.resolve("c.conf"), 0, "--durability", "fast");
        assertTrue(r.err().contains("unknown durability 'fast'"), r.err());
        r = replica(dir.resolve("c.conf"), 0, "--durability", "memory", "--data-dir", dir.resolve("d").toString());
        assertTrue(r.err().contains("--durability memory keeps nothing in --data-dir"), r.err());
    }

    @Test
    void aTornTailIsCutAndSaidAndTheReplicaStartsFromTheRest(@TempDir Path dir) throws Exception {
        ClusterConfig c = cluster(dir);
        Path data = dir.resolve("data");
        journal(data, c, 0, 20, Journal.DEFAULT_SEGMENT_BYTES);
        // A record header whose body never made it to the disk.
        Files.write(data.resolve(Journal.segmentName(0)), new byte[] {6, 1, (byte) 0xEC, (byte) 0xE1, 100, 0, 0, 0, 1, 2},
                StandardOpenOption.APPEND);
        ReplicaProcess p = ReplicaProcess.start(dir.resolve("c.conf"), 0, dir, List.of("--data-dir", data.toString()), Duration.ofSeconds(30));
        try {
            String out = Files.readString(p.stdout());
            assertTrue(out.contains("cut a torn write at the end of " + data + "/" + Journal.segmentName(0) + ": 10 bytes"), out);
            assertTrue(out.contains("restored from " + data + ": view 0, status NORMAL, no snapshot, 20 log entries, committed up to 20"), out);
        } finally {
            assertEquals(0, p.terminate(Duration.ofSeconds(10)));
        }
    }

    /**
     * A directory the replica cannot write: refused at start with the reason. As root,
     * permissions do not stop writes, so the directory is made immutable (chattr +i, ext4).
     */
    @Test
    void aReadOnlyDirectoryIsRefused(@TempDir Path dir) throws Exception {
        cluster(dir);
        Path data = Files.createDirectories(dir.resolve("data"));
        boolean root = "root".equals(System.getProperty("user.name"));
        List<String> lock = root ? List.of("chattr", "+i", data.toString()) : List.of("chmod", "555", data.toString());
        List<String> unlock = root ? List.of("chattr", "-i", data.toString()) : List.of("chmod", "755", data.toString());
        assertEquals(0, new ProcessBuilder(lock).inheritIO().start().waitFor(), "cannot make " + data + " read-only: " + lock);
        try {
            Run r = replica(dir.resolve("c.conf"), 0, "--data-dir", data.toString());
            assertEquals(2, r.exit());
            assertTrue(r.err().contains("data directory " + data + " is not writable"), r.err());
        } finally {
            assertEquals(0, new ProcessBuilder(unlock).inheritIO().start().waitFor());
        }
    }
}
