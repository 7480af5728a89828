package dev.electrode.loopback;

import com.google.protobuf.ByteString;
import dev.electrode.app.KvOps;
import dev.electrode.app.KvStore;
import dev.electrode.client.ClientOptions;
import dev.electrode.client.VrClient;
import dev.electrode.config.ClusterConfig;
import dev.electrode.launch.LocalCluster;
import dev.electrode.server.Durability;
import dev.electrode.server.ReplicaServer;
import dev.electrode.storage.DataDirectory;
import dev.electrode.storage.FileJournalDirectory;
import dev.electrode.storage.Journal;
import dev.electrode.vr.VrSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.*;

/**
 * A long run with snapshots: 1,000,000 puts ({@code -Delectrode.compaction.ops}) through three
 * durable replicas in this JVM. Every replica's log in memory, its data directory on disk and
 * the heap stay under stated bounds, though without compaction each would grow with the run.
 * Afterwards a replica restarted from its intact directory catches up from its own snapshot
 * plus the log suffix (no snapshot transfer), and one whose directory was wiped rejoins
 * through recovery and the leader's snapshot in chunks.
 */
@Timeout(value = 15, unit = TimeUnit.MINUTES)
class CompactionTest {
    static final long OPS = Long.getLong("electrode.compaction.ops", 1_000_000);
    static final long SNAPSHOT_EVERY = 50_000;
    static final long SEGMENT_BYTES = 4L << 20;
    static final int KEYS = 10_000;
    static final int SESSIONS = 48;
    /** Entries a replica holds in memory: the log since the previous snapshot, plus what is in flight. */
    static final long LOG_BOUND = 2 * SNAPSHOT_EVERY + 5_000;
    /** A replica's directory: ~2 snapshot intervals of journal (~100 bytes an entry), two segments, one snapshot. */
    static final long DISK_BOUND = 48L << 20;
    /** Heap in use after a full GC, for the three replicas, the client and the test. */
    static final long HEAP_BOUND = 256L << 20;

    private final VrSettings settings = VrSettings.DEFAULT.withBatchSize(64).withTimers(20_000, 40_000, 2_000_000)
            .withSnapshotEvery(SNAPSHOT_EVERY);

    private ClusterConfig config;
    private final ReplicaServer[] servers = new ReplicaServer[3];
    private final DataDirectory[] dirs = new DataDirectory[3];
    private final KvStore[] stores = new KvStore[3];

    private void start(int i, Path data, boolean recovering) throws Exception {
        dirs[i] = DataDirectory.open(new FileJournalDirectory(data), new Journal.Identity(config.id(), i), SEGMENT_BYTES);
        stores[i] = new KvStore();
        servers[i] = ReplicaServer.start(config, i, settings, stores[i], recovering,
                new ReplicaServer.Options(null, null, dirs[i], Durability.ASYNC));
    }

    private void stop(int i) throws IOException {
        servers[i].close();
        dirs[i].close();
        servers[i] = null;
    }

    @Test
    void aMillionOperationsStayWithinBoundsAndRestartedReplicasCatchUpFromSnapshots(@TempDir Path tmp) throws Exception {
        config = new ClusterConfig(1, LocalCluster.freeLoopbackPorts(3));
        for (int i = 0; i < 3; i++) start(i, tmp.resolve("r" + i), false);
        try (VrClient client = VrClient.connect(config, new ClientOptions(Duration.ofMillis(100), Duration.ofMillis(800), Duration.ofSeconds(20), false))) {
            Bounds seen = new Bounds();
            long t0 = System.nanoTime();
            long acked = drive(client, OPS, seen, tmp);
            double secs = (System.nanoTime() - t0) / 1e9;
            awaitAllCommitted(servers[0].query(r -> r.commitNum()), 0, 1, 2);
            seen.sample(servers, tmp);
            long heap = heapAfterGc();
            System.out.printf("compaction run: %d puts acknowledged in %.1f s (%.0f ops/s); snapshots every %d ops%n", acked, secs, acked / secs, SNAPSHOT_EVERY);
            for (int i = 0; i < 3; i++) {
                int r = i;
                System.out.printf("  replica %d: %s; log in memory max %d entries (now %d, base %d), directory max %.1f MiB (now %.1f MiB)%n",
                        i, servers[i].journalStats(), seen.maxLog[i], servers[i].query(v -> (long) v.log().size()),
                        servers[i].query(v -> v.log().base()), seen.maxDisk[i] / 1048576.0, dirBytes(tmp.resolve("r" + r)) / 1048576.0);
            }
            System.out.printf("  heap in use after GC: max %.1f MiB during the run, %.1f MiB after it (bound %d MiB)%n",
                    seen.maxHeap / 1048576.0, heap / 1048576.0, HEAP_BOUND >> 20);
            assertEquals(OPS, acked);
            for (int i = 0; i < 3; i++) {
                assertTrue(seen.maxLog[i] <= LOG_BOUND, "replica " + i + " held " + seen.maxLog[i] + " log entries (bound " + LOG_BOUND + ")");
                assertTrue(seen.maxDisk[i] <= DISK_BOUND, "replica " + i + " directory reached " + seen.maxDisk[i] + " bytes (bound " + DISK_BOUND + ")");
                int r = i;
                assertTrue(servers[i].query(v -> v.snapshotOp()) >= OPS - SNAPSHOT_EVERY, "replica " + r + " snapshots");
            }
            assertTrue(Math.max(seen.maxHeap, heap) <= HEAP_BOUND, "heap " + Math.max(seen.maxHeap, heap) + " bytes (bound " + HEAP_BOUND + ")");

            // Replica 2 stops, misses some operations, and restarts from its intact directory.
            stop(2);
            drive(client, 20_000, new Bounds(), tmp);
            long t1 = System.nanoTime();
            start(2, tmp.resolve("r2"), false);
            long restoredFrom = servers[2].query(v -> v.snapshotOp());
            awaitAllCommitted(servers[0].query(r -> r.commitNum()), 2);
            System.out.printf("replica 2 restarted from its directory (snapshot at %d) and caught up %d ops in %d ms: %s%n", restoredFrom,
                    servers[0].query(r -> r.commitNum()) - restoredFrom, (System.nanoTime() - t1) / 1_000_000, servers[2].query(v -> v.stats().toString()));
            assertTrue(restoredFrom >= OPS - SNAPSHOT_EVERY, "restarted from its own snapshot at " + restoredFrom);
            assertEquals(0L, (long) servers[2].query(v -> v.stats().snapshotsInstalled), "caught up from its own snapshot plus entries");

            // Replica 1 loses its disk: an empty directory, recovery, and the leader's snapshot in chunks.
            stop(1);
            deleteTree(tmp.resolve("r1"));
            drive(client, 5_000, new Bounds(), tmp);
            long t2 = System.nanoTime();
            start(1, tmp.resolve("r1"), true);
            awaitAllCommitted(servers[0].query(r -> r.commitNum()), 1);
            long chunks = servers[1].query(v -> v.stats().snapshotChunksReceived);
            System.out.printf("replica 1 rejoined with an empty directory in %d ms: %d snapshot chunks, %d entries after the snapshot: %s%n",
                    (System.nanoTime() - t2) / 1_000_000, chunks, servers[1].query(v -> v.stats().stateTransferEntriesApplied),
                    servers[1].query(v -> v.stats().toString()));
            assertEquals(1L, (long) servers[1].query(v -> v.stats().snapshotsInstalled));
            assertTrue(chunks > 1, "the snapshot came in chunks: " + chunks);
            assertTrue(servers[1].query(v -> v.stats().stateTransferEntriesApplied) < SNAPSHOT_EVERY * 2, "only the suffix came as entries");

            drive(client, 1_000, new Bounds(), tmp);
            awaitAllCommitted(servers[0].query(r -> r.commitNum()), 0, 1, 2);
            String digest = servers[0].query(v -> stores[0].digest());
            for (int i = 1; i < 3; i++) {
                int r = i;
                assertEquals(digest, servers[i].query(v -> stores[r].digest()), "replica " + i + " state");
            }
            assertEquals(KEYS, (int) servers[0].query(v -> stores[0].size()));
        } finally {
            for (int i = 0; i < 3; i++) if (servers[i] != null) stop(i);
        }
    }

    /** Highest figures seen while sampling. */
    private static final class Bounds {
        final long[] maxLog = new long[3], maxDisk = new long[3];
        long maxHeap;

        void sample(ReplicaServer[] servers, Path tmp) throws IOException {
            for (int i = 0; i < 3; i++) {
                if (servers[i] == null) continue;
                maxLog[i] = Math.max(maxLog[i], servers[i].query(v -> (long) v.log().size()));
                maxDisk[i] = Math.max(maxDisk[i], dirBytes(tmp.resolve("r" + i)));
            }
        }
    }

    /** Closed-loop puts over {@link #KEYS} keys from {@link #SESSIONS} sessions until {@code total} are acknowledged; samples bounds as it goes. */
    private long drive(VrClient client, long total, Bounds bounds, Path tmp) throws Exception {
        AtomicLong issued = new AtomicLong(), acked = new AtomicLong(), failed = new AtomicLong();
        CountDownLatch done = new CountDownLatch(SESSIONS);
        ByteString value = ByteString.copyFromUtf8("value-0123456789");
        for (int s = 0; s < SESSIONS; s++) {
            VrClient.Session session = client.newSession();
            new Object() {
                void next() {
                    long n = issued.getAndIncrement();
                    if (n >= total) {
                        done.countDown();
                        return;
                    }
                    session.invoke(KvOps.put(ByteString.copyFromUtf8("k" + (n % KEYS)), value)).whenComplete((reply, err) -> {
                        if (err == null) acked.incrementAndGet();
                        else failed.incrementAndGet();
                        next();
                    });
                }
            }.next();
        }
        long nextHeap = 0;
        while (!done.await(2, TimeUnit.SECONDS)) {
            bounds.sample(servers, tmp);
            if (acked.get() >= nextHeap) { // a full GC every 100,000 ops: what stays in use
                bounds.maxHeap = Math.max(bounds.maxHeap, heapAfterGc());
                nextHeap = acked.get() + 100_000;
            }
        }
        bounds.sample(servers, tmp);
        assertEquals(0, failed.get(), "requests that failed");
        return acked.get();
    }

    private void awaitAllCommitted(long commit, int... replicas) {
        for (int i : replicas) {
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(100))
                    .until(() -> servers[i].query(v -> v.commitNum() >= commit && v.lastOp() == v.commitNum()));
        }
    }

    private static long heapAfterGc() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    static long dirBytes(Path dir) throws IOException {
        if (!Files.exists(dir)) return 0;
        try (Stream<Path> s = Files.list(dir)) {
            return s.mapToLong(p -> p.toFile().length()).sum();
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            List<Path> all = new ArrayList<>(s.sorted(Comparator.reverseOrder()).toList());
            for (Path p : all) Files.delete(p);
        }
    }
}
