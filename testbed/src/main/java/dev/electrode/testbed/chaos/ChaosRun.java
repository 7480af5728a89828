package dev.electrode.testbed.chaos;

import com.google.protobuf.ByteString;
import dev.electrode.bpf.Offload;
import dev.electrode.testbed.TestbedEnv;
import dev.electrode.testbed.TestbedSpec;
import dev.electrode.testbed.check.HistoryRecorder;
import dev.electrode.testbed.check.KvOperation;
import dev.electrode.testbed.check.KvWorkload;
import dev.electrode.testbed.check.LinearizabilityChecker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * One run of a fault campaign: a cluster of durable replica processes in namespaces (plain or
 * with offloads), logical clients recording a history, and the nemesis injecting seeded faults
 * until the time is up; then everything is healed, every key is read, and the history is
 * checked for linearizability. A failed run keeps its directory as the failure bundle.
 */
public final class ChaosRun {
    /** What a run is: cluster size, offload mode, seed and how long faults are injected. */
    public record Config(int replicas, String mode, List<Offload> offloads, long seed, Duration duration, java.util.Set<Fault> faults,
                         dev.electrode.testbed.Backend backend) {
        /** The command line that replays this run. */
        public String replay() {
            return "bash ci/chaos.sh --replay " + seed + " --replicas " + replicas + " --modes " + mode + " --run-seconds " + duration.toSeconds()
                    + (faults.size() == Fault.values().length ? "" : " --faults " + String.join(",", faults.stream().map(Enum::name).toList()))
                    + (backend == dev.electrode.testbed.Backend.NAMESPACES ? "" : " --backend " + backend.name().toLowerCase(java.util.Locale.ROOT));
        }
    }

    /** What a run found. */
    public record Outcome(Config config, Map<Fault, Integer> faults, long operations, long indeterminate, String verdict,
                          boolean passed, Path bundle) {
        /** One line: seed, cluster, faults, operations, verdict. */
        public String line() {
            return String.format("seed %d n=%d %-12s faults %s ops %d (%d indeterminate): %s%s", config.seed(), config.replicas(),
                    config.mode(), faults, operations, indeterminate, verdict, passed ? "" : "  bundle " + bundle);
        }
    }

    private ChaosRun() {}

    /** Runs {@code c} with its testbed under {@code dir}. */
    public static Outcome run(Config c, Path dir) throws Exception {
        Path runDir = dir.resolve(String.format("n%d-%s-seed%d", c.replicas(), c.mode(), c.seed()));
        TestbedSpec spec = TestbedSpec.defaults(c.replicas()).withProcesses(true).withCapture(true).withOffloads(c.offloads())
                .withDurability("sync").withSnapshotEvery(300).withTimers(20, 40, 1000, 100).withBackend(c.backend());
        Random rnd = new Random(c.seed());
        Map<Fault, Integer> injected = new EnumMap<>(Fault.class);
        HistoryRecorder history = new HistoryRecorder();
        List<String> problems = new ArrayList<>();
        Nemesis nemesis = null;
        LinearizabilityChecker.Result result = null;
        TestbedEnv env = new TestbedEnv(spec, runDir);
        dev.electrode.client.VrClient workloadClient = null;
        try {
            nemesis = new Nemesis(env, rnd.nextLong(), true, c.faults());
            // The workload's own client gives up after 3 s: operations caught in a fault stay indeterminate.
            dev.electrode.client.ClientOptions quick = new dev.electrode.client.ClientOptions(Duration.ofMillis(100), Duration.ofMillis(800),
                    Duration.ofSeconds(3), false);
            workloadClient = env.clientHost().ns().call(() -> dev.electrode.client.VrClient.connect(env.config(), quick));
            try (KvWorkload workload = new KvWorkload(workloadClient, history, 6, 4, rnd.nextLong())) {
                long end = System.nanoTime() + c.duration().toNanos();
                while (System.nanoTime() < end) {
                    Thread.sleep(500 + rnd.nextInt(1500)); // a quiet spell
                    for (Fault f : nemesis.draw()) {
                        nemesis.start(f);
                        injected.merge(f, 1, Integer::sum);
                    }
                    Thread.sleep(1000 + rnd.nextInt(2500));
                    nemesis.heal();
                }
                // The cluster must serve again once healed: one put through a fresh session.
                if (!serves(env, history)) problems.add("the cluster did not serve again within 30 s of the last heal");
                Thread.sleep(500);
                workload.close();
                for (Throwable e : workload.errors()) problems.add("client error: " + e);
            }
            finalReads(env, history);
            result = LinearizabilityChecker.check(history.history());
            if (!result.linearizable()) problems.add(result.report());
        } catch (Exception | AssertionError e) {
            problems.add("the run failed: " + e);
        } finally {
            if (workloadClient != null) workloadClient.close();
            problems.addAll(stderrProblems(runDir, c.replicas()));
            // Processes stop with SIGTERM and print their counters; the captures stay for a failed run.
            List<String> left = env.close(!problems.isEmpty());
            if (!left.isEmpty()) problems.add("namespaces left behind: " + left);
        }
        long indeterminate = history.history().stream().filter(o -> !o.determinate()).count();
        boolean passed = problems.isEmpty();
        String verdict = passed ? result.summary() : problems.get(0).lines().findFirst().orElse("failed");
        if (passed) {
            deleteTree(runDir);
        } else {
            writeBundle(runDir, c, history, nemesis, result, problems);
        }
        return new Outcome(c, injected, history.history().size(), indeterminate, verdict, passed, passed ? null : runDir);
    }

    private static boolean serves(TestbedEnv env, HistoryRecorder history) throws InterruptedException {
        var session = env.client().newSession();
        ByteString key = ByteString.copyFromUtf8("probe");
        long id = history.invoke(999_000, KvOperation.Kind.PUT, key, ByteString.copyFromUtf8("up"), null, false);
        try {
            var r = dev.electrode.app.proto.KvResult.parseFrom(session.invokeSync(dev.electrode.app.KvOps.put(key, ByteString.copyFromUtf8("up"))));
            history.ok(id, KvWorkload.outcome(KvOperation.Kind.PUT, r));
            return true;
        } catch (dev.electrode.client.RequestTimeoutException | com.google.protobuf.InvalidProtocolBufferException e) {
            history.unknown(id, e.getMessage());
            return false;
        }
    }

    /** Reads every key once more after the faults, into the history: what the cluster ended with must fit it. */
    private static void finalReads(TestbedEnv env, HistoryRecorder history) throws InterruptedException {
        var session = env.client().newSession();
        for (int k = 0; k < 4; k++) {
            ByteString key = ByteString.copyFromUtf8("k" + k);
            long id = history.invoke(999_001, KvOperation.Kind.GET, key, null, null, false);
            try {
                var r = dev.electrode.app.proto.KvResult.parseFrom(session.invokeSync(dev.electrode.app.KvOps.get(key)));
                history.ok(id, KvWorkload.outcome(KvOperation.Kind.GET, r));
            } catch (dev.electrode.client.RequestTimeoutException | com.google.protobuf.InvalidProtocolBufferException e) {
                history.unknown(id, e.getMessage());
            }
        }
    }

    /** Lines of the replicas' stderr that name an exception or an error: none is expected. */
    private static List<String> stderrProblems(Path runDir, int n) throws IOException {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Path err = runDir.resolve("replica-" + i + ".err");
            if (!Files.exists(err)) continue;
            for (String l : Files.readAllLines(err))
                if (l.contains("Exception") || l.contains("ERROR")) out.add("replica " + i + " stderr: " + l);
        }
        return out;
    }

    private static void writeBundle(Path runDir, Config c, HistoryRecorder history, Nemesis nemesis, LinearizabilityChecker.Result result,
                                    List<String> problems) throws IOException {
        Files.createDirectories(runDir);
        history.write(runDir.resolve("history.jsonl"));
        try (var pcaps = Files.list(runDir)) {
            for (Path pcap : pcaps.filter(p -> p.toString().endsWith(".pcap")).toList()) {
                String table;
                try {
                    table = dev.electrode.testbed.WireLog.read(pcap).fullTable();
                } catch (RuntimeException e) {
                    table = "cannot decode " + pcap + ": " + e;
                }
                Files.writeString(runDir.resolve("frames-" + pcap.getFileName().toString().replaceAll("\\.pcap$", "") + ".txt"), table + "\n");
            }
        }
        Files.writeString(runDir.resolve("checker.txt"), result == null ? "not checked\n" : result.report() + "\n");
        List<String> about = new ArrayList<>();
        about.add("seed " + c.seed() + ", " + c.replicas() + " replicas, mode " + c.mode() + " " + c.offloads() + ", faults for "
                + c.duration().toSeconds() + " s");
        about.add("replay: " + c.replay());
        about.add("");
        about.add("problems:");
        for (String p : problems) about.add("  " + p);
        about.add("");
        about.add("nemesis:");
        if (nemesis != null) about.addAll(nemesis.log());
        about.add("");
        about.add("replica-<i>.out holds each replica's status lines and, last, its counters when it stopped (protocol,"
                + " decoder, journal, and with offloads the XDP/TC counters); replica-<i>.err its errors; data-<i> its data directory;"
                + " *.pcap every host interface's capture, frames-<capture>.txt its decoded frames.");
        Files.write(runDir.resolve("README.txt"), about);
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (var s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}
