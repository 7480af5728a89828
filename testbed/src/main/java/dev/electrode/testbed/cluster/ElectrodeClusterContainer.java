package dev.electrode.testbed.cluster;

import dev.electrode.bpf.Offload;
import dev.electrode.client.ClientOptions;
import dev.electrode.client.VrClient;
import dev.electrode.config.ClusterConfig;
import dev.electrode.testbed.Backend;
import dev.electrode.testbed.ReplicaReport;
import dev.electrode.testbed.TestbedEnv;
import dev.electrode.testbed.TestbedException;
import dev.electrode.testbed.TestbedSpec;
import org.testcontainers.lifecycle.Startable;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * A replicated KV store of {@code n} VR replicas in containers on a Docker network, for an
 * application's integration tests: configure, {@link #start()}, talk to it with a
 * {@link VrClient} from {@link #newClient()}, {@link #stop()} — as one would a KafkaContainer
 * (it is a Testcontainers {@link Startable}, so {@code @Container} works too). Offloads on or
 * off, durability memory, sync or async. Each replica is a JVM in its own container, so
 * {@link #killReplica} and {@link #restartReplica} crash and bring back one replica for real.
 *
 * <p>Needs what the container backend needs: root (the offloads and the hosts' namespaces), a
 * Docker engine, the base image ({@code bash ci/container-image.sh}), and the environment
 * variables {@code TESTCONTAINERS_RYUK_DISABLED=true} and {@code TESTCONTAINERS_CHECKS_DISABLE=true}
 * (nothing is pulled; everything it creates is removed by {@link #stop()}, and by the next start
 * if this JVM died first).
 */
public final class ElectrodeClusterContainer implements Startable {
    private final int replicas;
    private Set<Offload> offloads = EnumSet.noneOf(Offload.class);
    private String durability = "memory";
    private Path workDir;
    private boolean ownWorkDir;
    private long viewChangeMs = 1000;
    private TestbedEnv env;
    private final List<VrClient> clients = new ArrayList<>();

    /** A cluster of {@code replicas} replicas (3, 5 or 7). */
    public ElectrodeClusterContainer(int replicas) {
        if (replicas < 3 || replicas % 2 == 0 || replicas > 7) throw new IllegalArgumentException("replicas must be 3, 5 or 7, got " + replicas);
        this.replicas = replicas;
    }

    /** All three offloads (TC broadcast, XDP fast acknowledgement, XDP wait-on-quorum), or plain VR. */
    public ElectrodeClusterContainer withOffloads(boolean on) {
        return withOffloads(on ? EnumSet.allOf(Offload.class) : EnumSet.noneOf(Offload.class));
    }

    /** These offloads only. */
    public ElectrodeClusterContainer withOffloads(Set<Offload> set) {
        requireNotStarted();
        this.offloads = set.isEmpty() ? EnumSet.noneOf(Offload.class) : EnumSet.copyOf(set);
        return this;
    }

    /** "memory" (default), "sync" (acknowledge only what is on disk) or "async"; disks are directories under the work directory. */
    public ElectrodeClusterContainer withDurability(String mode) {
        requireNotStarted();
        dev.electrode.server.Durability.parse(mode); // fails on a bad name now, not at start
        this.durability = mode;
        return this;
    }

    /**
     * Where the configuration, logs and data directories go: a directory of its own, emptied at
     * start (default: a temporary directory, deleted by {@link #stop()}).
     */
    public ElectrodeClusterContainer withWorkDir(Path dir) {
        requireNotStarted();
        this.workDir = dir;
        return this;
    }

    /** The followers' view-change timeout (default 1000 ms). */
    public ElectrodeClusterContainer withViewChangeTimeout(Duration d) {
        requireNotStarted();
        this.viewChangeMs = d.toMillis();
        return this;
    }

    @Override
    public void start() {
        requireNotStarted();
        try {
            ownWorkDir = workDir == null;
            if (ownWorkDir) workDir = Files.createTempDirectory("electrode-cluster-");
        } catch (IOException e) {
            throw new TestbedException("cannot create a work directory: " + e.getMessage(), e);
        }
        TestbedSpec spec = TestbedSpec.defaults(replicas).withBackend(Backend.CONTAINERS).withProcesses(true).withCapture(false)
                .withOffloads(List.copyOf(offloads)).withDurability(durability).withTimers(20, 40, viewChangeMs, 50);
        env = new TestbedEnv(spec, workDir);
    }

    /** The cluster's configuration: the replicas' addresses on the Docker network, reachable from this machine. */
    public ClusterConfig clusterConfig() { return running().config(); }

    /** A client connected from this JVM; closed by {@link #stop()} if still open. */
    public VrClient newClient() throws InterruptedException {
        VrClient c = VrClient.connect(running().config(), ClientOptions.DEFAULT);
        clients.add(c);
        return c;
    }

    /** Replica {@code i}'s status, log, commit point, state digest and kernel counters, as it reports them now. */
    public ReplicaReport report(int i) { return running().report(i); }

    /** Errors the replicas reported on their stderr ({@code ERROR [KIND]} lines, uncaught exceptions): a test may assert there are none. */
    public List<String> errors() { return running().unexpectedErrors(); }

    /** SIGKILL to replica {@code i}'s JVM: its container is gone, its host (address, data directory) stays. */
    public void killReplica(int i) throws InterruptedException { running().replica(i).kill(); }

    /** Starts replica {@code i} again after {@link #killReplica}: from its data directory, or through VR recovery in memory mode. */
    public void restartReplica(int i) throws InterruptedException { running().replica(i).restart(); }

    /** Stops every replica and removes the containers, the network and (unless given) the work directory. */
    @Override
    public void stop() {
        if (env == null) return;
        for (VrClient c : clients) c.close();
        clients.clear();
        List<String> left = env.close(false);
        env = null;
        if (ownWorkDir) deleteTree(workDir);
        if (!left.isEmpty()) throw new TestbedException("stopping the cluster left behind: " + left);
    }

    private TestbedEnv running() {
        if (env == null) throw new IllegalStateException("the cluster is not running: call start() first");
        return env;
    }

    private void requireNotStarted() {
        if (env != null) throw new IllegalStateException("the cluster is running: configure it before start()");
    }

    private static void deleteTree(Path dir) {
        try (var s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException e) {
            throw new TestbedException("cannot delete " + dir + ": " + e.getMessage(), e);
        }
    }
}
