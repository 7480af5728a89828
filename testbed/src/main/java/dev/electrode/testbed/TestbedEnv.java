package dev.electrode.testbed;

import dev.electrode.client.ClientOptions;
import dev.electrode.client.VrClient;
import dev.electrode.config.ClusterConfig;
import dev.electrode.netns.Names;
import dev.electrode.netns.StarTopology;
import dev.electrode.netns.Topology;
import dev.electrode.testbed.container.BaseImage;
import dev.electrode.testbed.container.ContainerProcess;
import dev.electrode.testbed.container.ContainerTopology;
import dev.electrode.testbed.container.Docker;
import dev.electrode.netns.cpu.Affinity;
import dev.electrode.netns.cpu.CpuSet;
import dev.electrode.netns.cpu.ThreadedNapi;
import dev.electrode.vr.Status;
import dev.electrode.vr.VrSettings;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;

/**
 * One test's testbed: the topology (hosts 0..n-1 run the replicas, host n is the client),
 * the cluster, a client bound in the client namespace, the fault layer and the captures.
 */
public final class TestbedEnv implements AutoCloseable {
    public static final int PORT = 12345;
    public static final String SUBNET = "10.220.0";

    private final TestbedSpec spec;
    private final Path dir;
    private final Topology topology;
    private final ClusterConfig config;
    private final List<ReplicaNode> replicas = new ArrayList<>();
    private final Map<Integer, InterfaceCapture> captures = new LinkedHashMap<>();
    private final Map<Integer, InterfaceCapture> switchCaptures = new LinkedHashMap<>();
    private final java.util.Set<dev.electrode.bpf.Offload> offloads;
    private final List<dev.electrode.bpf.KernelOffloads> kernelOffloads = new ArrayList<>();
    private dev.electrode.bpf.ElectrodeBpf peerPass; // XDP_PASS on the switch side, for XDP_TX delivery
    private final List<String> namespaces = new ArrayList<>();
    private final Map<Integer, List<Integer>> napiThreads = new LinkedHashMap<>();
    /** This JVM's CPUs before the placement pinned it whole to the client's (null: not pinned). */
    private CpuSet jvmCpusBefore;
    private Faults faults;
    private VrClient client;
    private final Thread shutdownHook = new Thread(this::closeQuietly, "testbed-teardown");
    private boolean closed;
    private boolean tornDown;

    /** Builds the testbed {@code spec} describes; its files go to {@code dir}. Close it to tear everything down. */
    public TestbedEnv(TestbedSpec spec, Path dir) {
        this.spec = spec;
        this.dir = dir;
        this.offloads = spec.offloads().length == 0 ? java.util.EnumSet.noneOf(dev.electrode.bpf.Offload.class)
                : java.util.EnumSet.copyOf(spec.offloadList());
        int n = spec.replicas();
        if (n < 1 || n % 2 == 0) throw new TestbedException("@Testbed(replicas = " + n + "): the replica count must be odd");
        long startNanos = System.nanoTime();
        Names.sweepLeftovers();
        if (spec.backend() == Backend.CONTAINERS) {
            com.github.dockerjava.api.DockerClient docker = Docker.requireEngine();
            this.topology = ContainerTopology.create(docker, BaseImage.require(docker), "tbc", n + 1);
        } else {
            this.topology = StarTopology.create("tb", n + 1, SUBNET);
        }
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        if (spec.mtu() != 0) topology.setMtu(spec.mtu());
        namespaces.add(topology.switchNamespace().name());
        topology.hosts().forEach(h -> namespaces.add(h.ns().name()));
        List<InetSocketAddress> addrs = new ArrayList<>();
        List<byte[]> macs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            addrs.add(new InetSocketAddress(topology.host(i).address(), PORT));
            macs.add(topology.host(i).mac());
        }
        this.config = new ClusterConfig((n - 1) / 2, addrs, macs);
        try {
            Files.createDirectories(dir);
            clearEarlierRun(dir);
            faults = new Faults(topology);
            InetAddress bcast = topology.broadcast();
            if (spec.capture()) {
                for (Topology.Host h : topology.hosts())
                    captures.put(h.index(), InterfaceCapture.start(h.ns(), h.ifname(), dir.resolve(hostName(h.index()) + "-eth0.pcap"), h.ns(),
                            bcast, spec.captureFilter()));
            }
            if (spec.switchCaptures()) { // also alone: half the capture threads, for tests that need every frame under load
                for (Topology.Host h : topology.hosts())
                    switchCaptures.put(h.index(), InterfaceCapture.start(topology.switchNamespace(), h.switchPort(),
                            dir.resolve("switch-" + h.switchPort() + ".pcap"), h.ns(), bcast, spec.captureFilter()));
            }
            if (spec.cluster()) startCluster();
            if (spec.placement() != null) applyPlacement(spec.placement());
            System.out.printf("testbed %s: %d hosts as %s, %d replicas%s, up in %d ms%n", dir, n + 1,
                    spec.backend().name().toLowerCase(java.util.Locale.ROOT), spec.cluster() ? n : 0,
                    spec.replicasAsProcesses() ? " (processes)" : " (in this JVM)", (System.nanoTime() - startNanos) / 1_000_000);
        } catch (RuntimeException | IOException e) {
            closeQuietly();
            throw e instanceof RuntimeException r ? r : new TestbedException(e.toString(), e);
        }
    }

    /**
     * Pins every host's kernel receive work (threaded NAPI on its interface), its replica's event
     * loop (or whole process) and the client's event loop to the host's CPUs.
     */
    private void applyPlacement(CpuPlacement placement) {
        int n = replicaCount();
        for (Topology.Host h : topology.hosts()) {
            if (!placement.threadedNapi()) break;
            CpuSet cpus = placement.of(h.index(), n);
            List<Integer> tids = ThreadedNapi.enable(h.ns(), h.ifname(), topology.switchNamespace(), h.switchPort());
            for (int tid : tids) Affinity.pin(tid, cpus);
            napiThreads.put(h.index(), tids);
        }
        try {
            for (ReplicaNode r : replicas) r.pinTo(placement.of(r.index(), n));
            if (client != null) {
                CpuSet cpus = placement.of(n, n);
                if (spec.replicasAsProcesses()) {
                    // Only the client runs here: its compiler and collector threads share the client's CPUs too,
                    // as a replica process's do, instead of landing on the leader's.
                    long self = ProcessHandle.current().pid();
                    jvmCpusBefore = Affinity.of((int) self);
                    Affinity.pinProcess(self, cpus);
                }
                client.runOnEventLoop(() -> Affinity.pinCurrentThread(cpus));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TestbedException("interrupted while pinning threads", e);
        }
    }

    /** The ids of host {@code host}'s NAPI kernel threads (empty without a {@link CpuPlacement}). */
    public List<Integer> napiThreads(int host) { return napiThreads.getOrDefault(host, List.of()); }

    private String hostName(int i) { return i == replicaCount() ? "client" : "replica" + i; }

    private void startCluster() throws IOException {
        int n = replicaCount();
        if (offloads.contains(dev.electrode.bpf.Offload.FAST_ACK)) {
            // XDP_TX on a veth is delivered only if the peer end runs an XDP program too.
            peerPass = dev.electrode.bpf.ElectrodeBpf.load();
            topology.switchNamespace().run(() -> {
                for (int i = 0; i < n; i++) peerPass.attachXdpPass(topology.host(i).switchPort());
            });
        }
        if (spec.protocol() == ReplicationProtocol.RAFT && !spec.replicasAsProcesses()) {
            startRaftCluster();
            return;
        }
        VrSettings settings = VrSettings.DEFAULT.withBatchSize(spec.batchSize())
                .withTimers(scaled(spec.heartbeatMs()) * 1000, scaled(spec.resendMs()) * 1000, scaled(spec.viewChangeMs()) * 1000)
                .withSnapshotEvery(spec.snapshotEvery());
        if (spec.replicasAsProcesses()) {
            Path conf = dir.resolve("cluster.conf");
            Files.writeString(conf, config.toText());
            List<String> args = new ArrayList<>(List.of("--batch-size", Integer.toString(spec.batchSize()),
                    "--heartbeat-ms", Long.toString(scaled(spec.heartbeatMs())), "--resend-ms", Long.toString(scaled(spec.resendMs())),
                    "--view-change-ms", Long.toString(scaled(spec.viewChangeMs())), "--snapshot-every", Long.toString(spec.snapshotEvery())));
            if (spec.protocol() == ReplicationProtocol.RAFT) args.addAll(List.of("--protocol", "raft"));
            if (!offloads.isEmpty()) {
                StringBuilder names = new StringBuilder();
                for (dev.electrode.bpf.Offload o : offloads)
                    names.append(names.length() == 0 ? "" : ",").append(o.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'));
                args.addAll(List.of("--offloads", names.toString(), "--iface", "eth0"));
            }
            boolean durable = !spec.durability().equals("memory");
            for (int i = 0; i < n; i++) {
                List<String> own = new ArrayList<>(args);
                if (durable) own.addAll(List.of("--durability", spec.durability(), "--data-dir", dir.resolve("data-" + i).toAbsolutePath().toString()));
                int host = i;
                ReplicaNode.Process.Launcher launcher = topology instanceof ContainerTopology ct
                        ? (javaArgs, out, err) -> ContainerProcess.start(ct, host, javaArgs, dir, out, err)
                        : ReplicaNode.Process.inNamespace(topology.host(i).ns());
                replicas.add(new ReplicaNode.Process(i, topology.host(i).ns(), launcher, conf, dir, spec.replicaJvmOptions(), own,
                        !offloads.isEmpty(), durable));
            }
        } else {
            dev.electrode.server.Durability durability = dev.electrode.server.Durability.parse(spec.durability());
            for (int i = 0; i < n; i++) {
                dev.electrode.offload.Offloads off = attachOffloads(i, durability, dev.electrode.wire.VrOffloadProtocol.MESSAGES);
                replicas.add(new ReplicaNode.InJvm(i, topology.host(i).ns(), config, settings, off, journalOpener(i, durability), durability));
            }
        }
        connectClient();
    }

    private void connectClient() {
        ClientOptions opts = new ClientOptions(Duration.ofMillis(scaled(spec.clientRetryMs())), Duration.ofMillis(8 * scaled(spec.clientRetryMs())),
                Duration.ofSeconds(30), false);
        client = clientHost().ns().call(() -> VrClient.connect(config, opts));
    }

    /**
     * The offloads of in-JVM replica {@code i} for {@code protocol}'s messages, attached in its
     * namespace ({@code Offloads.NONE} without any); with SYNC durability the fast path defers its
     * acks until the replica has forced the entries, as the launcher runs a durable replica.
     */
    private dev.electrode.offload.Offloads attachOffloads(int i, dev.electrode.server.Durability durability,
                                                          dev.electrode.offload.OffloadProtocol protocol) {
        if (offloads.isEmpty()) return dev.electrode.offload.Offloads.NONE;
        boolean deferred = durability == dev.electrode.server.Durability.SYNC;
        dev.electrode.bpf.KernelOffloads k = topology.host(i).ns().call(() -> dev.electrode.bpf.KernelOffloads.attach(config,
                i, spec.batchSize(), offloads, topology.host(i).ifname(), deferred, protocol));
        kernelOffloads.add(k);
        return k;
    }

    /** Opens in-JVM replica {@code i}'s data directory (again, after a restart); null for memory-only replicas. */
    private ReplicaNode.JournalOpener journalOpener(int i, dev.electrode.server.Durability durability) {
        if (durability == dev.electrode.server.Durability.MEMORY) return null;
        Path data = dir.resolve("data-" + i);
        return () -> dev.electrode.storage.DataDirectory.open(new dev.electrode.storage.FileJournalDirectory(data),
                new dev.electrode.storage.Journal.Identity(config.id(), i), dev.electrode.storage.Journal.DEFAULT_SEGMENT_BYTES);
    }

    /**
     * A Raft cluster in this JVM (with data directories unless the durability is memory; as
     * processes, Raft replicas start like VR's with --protocol raft), on the
     * same offload programs loaded with Raft's message names;
     * replica 0 campaigns at once, so that it leads like VR's replica 0 in view 0 (CPU placements
     * and measurements expect the leader there).
     */
    private void startRaftCluster() {
        int n = replicaCount();
        dev.electrode.server.Durability durability = dev.electrode.server.Durability.parse(spec.durability());
        long election = scaled(spec.viewChangeMs()) * 1000;
        dev.electrode.raft.RaftSettings settings = new dev.electrode.raft.RaftSettings(scaled(spec.heartbeatMs()) * 1000, election,
                2 * election, spec.batchSize(), spec.snapshotEvery());
        for (int i = 0; i < n; i++) {
            dev.electrode.offload.Offloads off = attachOffloads(i, durability, dev.electrode.wire.RaftOffloadProtocol.MESSAGES);
            replicas.add(new ReplicaNode.RaftInJvm(i, topology.host(i).ns(), config, settings, off, journalOpener(i, durability), durability));
        }
        ((ReplicaNode.RaftInJvm) replicas.get(0)).server().campaign();
        await().atMost(patience(Duration.ofSeconds(10))).pollInterval(Duration.ofMillis(10))
                .until(() -> raft(0).query(r -> r.role() == dev.electrode.raft.RaftRole.LEADER));
        connectClient();
    }

    /**
     * System property: a factor for every wait of the testbed and its scenarios, and for the
     * protocol's timers, for slow machines (ci/kernel-tests.sh uses 6 under QEMU's emulation).
     */
    public static final String PATIENCE_PROPERTY = "electrode.testbed.patience";

    /**
     * A protocol timer of the spec (heartbeat, resend, view change, client retry) in ms, times the
     * patience factor: on a slow machine the same timers would fire mid-operation.
     */
    private static long scaled(long ms) { return patience(Duration.ofMillis(ms)).toMillis(); }

    /** {@code d} times the {@value #PATIENCE_PROPERTY} factor (1 unless set). */
    public static Duration patience(Duration d) {
        double f = Double.parseDouble(System.getProperty(PATIENCE_PROPERTY, "1"));
        if (!(f >= 1)) throw new TestbedException("-D" + PATIENCE_PROPERTY + "=" + f + ": the factor must be at least 1");
        return Duration.ofNanos((long) (d.toNanos() * f));
    }

    public int replicaCount() { return spec.replicas(); }

    public Topology topology() { return topology; }

    public Topology.Host host(int i) { return topology.host(i); }

    /** The host the client runs on (index = replica count). */
    public Topology.Host clientHost() { return topology.host(replicaCount()); }

    public ClusterConfig config() { return config; }

    /** The directory of this test's captures and logs. */
    public Path dir() { return dir; }

    public ReplicaNode replica(int i) { return replicas.get(i); }

    /** Replica {@code i} when the cluster runs in this JVM. */
    public ReplicaNode.InJvm inJvm(int i) {
        if (!(replicas.get(i) instanceof ReplicaNode.InJvm r))
            throw new IllegalStateException(replicas.get(i) instanceof ReplicaNode.RaftInJvm ? "the replicas run Raft" : "replicas run as processes");
        return r;
    }

    /** Raft replica {@code i} (the testbed runs Raft). */
    public ReplicaNode.RaftInJvm raft(int i) {
        if (!(replicas.get(i) instanceof ReplicaNode.RaftInJvm r)) throw new IllegalStateException("the replicas run VR");
        return r;
    }

    /** The protocol the replicas run. */
    public ReplicationProtocol protocol() { return spec.protocol(); }

    /** CPU time replica {@code i}'s protocol thread (its event loop) has used, in nanoseconds. */
    public long protocolThreadCpuNanos(int i) {
        ReplicaNode r = replicas.get(i);
        if (r instanceof ReplicaNode.RaftInJvm raft) return raft.server().protocolThreadCpuNanos();
        if (r instanceof ReplicaNode.Process p) return p.protocolThreadCpuNanos();
        return inJvm(i).server().protocolThreadCpuNanos();
    }

    /**
     * CPU time of replica {@code i}'s whole JVM (every thread: protocol, GC, JIT, ring-buffer
     * drain), in nanoseconds; -1 for a replica in this JVM, whose share of it cannot be told apart.
     */
    public long processCpuNanos(int i) {
        return replicas.get(i) instanceof ReplicaNode.Process p ? p.processCpuNanos() : -1;
    }

    /** CPU time of replica {@code i}'s JIT compiler threads, in nanoseconds (-1 for replicas in this JVM). */
    public long compilerCpuNanos(int i) {
        return replicas.get(i) instanceof ReplicaNode.Process p ? p.compilerCpuNanos() : -1;
    }

    /** CPU time of this JVM's JIT compiler threads (the client's, and in-JVM replicas'), in nanoseconds. */
    public static long ownCompilerCpuNanos() {
        return dev.electrode.netns.cpu.CpuTime.threadsNanos(ProcessHandle.current().pid(), ReplicaNode.JIT_COMPILER_THREADS);
    }

    public VrClient client() {
        if (client == null) throw new IllegalStateException("@Testbed(cluster = false): no client");
        return client;
    }

    public Faults faults() { return faults; }

    /** True if the replicas run with Electrode offloads (false: plain VR). */
    public boolean hasOffloads() { return !offloads.isEmpty(); }

    /** The offloads of replica {@code i} (counters, maps), when the testbed runs with offloads. */
    public dev.electrode.bpf.KernelOffloads offloads(int i) {
        if (kernelOffloads.isEmpty()) throw new IllegalStateException("@Testbed(offloads = {}) runs plain VR");
        return kernelOffloads.get(i);
    }

    /** Replica {@code i}'s kernel counters: read from its maps in this JVM, or from the report its process prints. */
    public Map<dev.electrode.bpf.Counter, Long> kernelCounters(int i) {
        if (replicas.get(i) instanceof ReplicaNode.Process p) return p.counterReport().bpf();
        return offloads(i).bpf().counters();
    }

    /** A VR replica's commit number and its journal's forces, read together. */
    public record JournalProgress(long commit, long forces) {}

    /**
     * VR replica {@code i}'s commit number and its journal's forces so far (it has a journal):
     * asked in this JVM, or read from the report its process prints.
     */
    public JournalProgress journalProgress(int i) {
        if (replicas.get(i) instanceof ReplicaNode.Process p) {
            ReplicaReport r = p.counterReport();
            return new JournalProgress(r.commit(), r.counter("forces"));
        }
        dev.electrode.server.ReplicaServer server = inJvm(i).server();
        return new JournalProgress(server.query(v -> v.commitNum()), server.journalForces());
    }

    /** How replica {@code i}'s XDP program is attached (NATIVE, SKB): asked in this JVM, or read from what its process printed when ready. */
    public String xdpMode(int i) {
        if (replicas.get(i) instanceof ReplicaNode.Process p) return p.xdpMode();
        return offloads(i).xdpMode().toString();
    }

    /** The decoded frames captured so far on the switch side of host {@code host}'s veth. */
    public WireLog switchWire(int host) {
        InterfaceCapture c = switchCaptures.get(host);
        if (c == null) throw new IllegalStateException("no switch-side capture (@Testbed(switchCaptures = true))");
        c.flush();
        return WireLog.read(c.file());
    }

    public InterfaceCapture capture(int host) {
        InterfaceCapture c = captures.get(host);
        if (c == null) throw new IllegalStateException("no capture of host " + host + " (@Testbed(capture = false)?)");
        return c;
    }

    /** The decoded frames captured so far on host {@code host}'s interface. */
    public WireLog wire(int host) {
        InterfaceCapture c = capture(host);
        c.flush();
        return WireLog.read(c.file());
    }

    /** One line per capture: frames, kernel drops, loop restarts (for failure reports). */
    public String captureDiagnostics() {
        StringBuilder sb = new StringBuilder();
        captures.values().forEach(c -> sb.append("  ").append(c.diagnostics()).append('\n'));
        switchCaptures.values().forEach(c -> sb.append("  ").append(c.diagnostics()).append('\n'));
        return sb.toString();
    }

    /** Capture files of this testbed. */
    public List<Path> captureFiles() {
        List<Path> all = new ArrayList<>(captures.values().stream().map(InterfaceCapture::file).toList());
        switchCaptures.values().forEach(c -> all.add(c.file()));
        return all;
    }

    /** Kills every replica at once (process replicas: SIGKILL to all, then waits until each is gone). */
    public void killAll() throws InterruptedException {
        for (ReplicaNode r : replicas) if (r instanceof ReplicaNode.Process p && p.isRunning()) p.process().killNow();
        for (ReplicaNode r : replicas) r.kill();
    }

    /**
     * Waits until a running replica other than {@code not} (any, if -1) leads its view in NORMAL
     * status, and returns it: an in-JVM replica is asked, a process replica read from its last
     * status line.
     */
    public int awaitLeader(int not, Duration atMost) {
        if (replicas.isEmpty()) throw new IllegalStateException("this testbed has no replicas");
        int[] leader = {-1};
        await().atMost(patience(atMost)).pollInterval(Duration.ofMillis(20)).until(() -> {
            for (ReplicaNode r : replicas) {
                if (!r.isRunning() || r.index() == not) continue;
                boolean leads;
                if (r instanceof ReplicaNode.InJvm j) {
                    leads = j.query(v -> v.isActiveLeader());
                } else if (r instanceof ReplicaNode.RaftInJvm raft) {
                    leads = raft.query(v -> v.role() == dev.electrode.raft.RaftRole.LEADER);
                } else {
                    // A process replica says what it is on its standard output.
                    ReplicaNode.Process.StatusLine st = ((ReplicaNode.Process) r).lastStatus();
                    leads = st != null && st.status().equals("NORMAL") && st.leader() == r.index();
                }
                if (leads) {
                    leader[0] = r.index();
                    return true;
                }
            }
            return false;
        });
        return leader[0];
    }

    /** Waits until every running replica is NORMAL and has committed at least {@code op} (process replicas: by their reports). */
    public void awaitCommitted(long op, Duration atMost) {
        if (replicas.stream().noneMatch(ReplicaNode::isRunning)) throw new IllegalStateException("no replica is running");
        await().atMost(patience(atMost)).pollInterval(Duration.ofMillis(20)).until(() -> replicas.stream()
                .filter(ReplicaNode::isRunning)
                .allMatch(r -> {
                    ReplicaReport rep = report(r.index());
                    return rep.status().equals(Status.NORMAL.name()) && rep.commit() >= op;
                }));
    }

    /**
     * Replica {@code i}'s status, log, commit point, state digest and kernel counters now: asked
     * directly in this JVM, or by SIGHUP from a process (in a namespace or a container).
     */
    public ReplicaReport report(int i) {
        ReplicaNode r = replicas.get(i);
        if (r instanceof ReplicaNode.Process p) return p.report();
        Map<dev.electrode.bpf.Counter, Long> bpf = kernelOffloads.isEmpty() ? Map.of() : kernelOffloads.get(i).bpf().counters();
        if (r instanceof ReplicaNode.RaftInJvm raft) return raft.report(bpf);
        return ((ReplicaNode.InJvm) r).report(bpf);
    }

    /**
     * Empties the testbed directory: what an earlier run left there (data directories above all,
     * which replicas would restart from, and logs that checks read) belongs to another cluster.
     */
    private static void clearEarlierRun(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) if (!p.equals(dir)) Files.delete(p);
        }
    }

    private final java.util.Set<String> allowedErrors = new java.util.HashSet<>();
    private static final java.util.regex.Pattern ERROR_LINE = java.util.regex.Pattern.compile("ERROR \\[(\\w+)\\]");

    /**
     * Declares errors of these kinds ({@code ReplicaErrors.Kind} names) expected in this test:
     * any other error a replica reports fails the test at teardown, even if it passed otherwise.
     */
    public void allowErrors(String... kinds) { allowedErrors.addAll(List.of(kinds)); }

    /**
     * Errors the replicas reported that the test did not allow: in-JVM replicas' error channels,
     * and the {@code ERROR [...]} and exception lines of process replicas' stderr.
     */
    public List<String> unexpectedErrors() {
        List<String> out = new ArrayList<>();
        for (ReplicaNode r : replicas) {
            dev.electrode.server.ReplicaErrors inJvmErrors = r instanceof ReplicaNode.InJvm j && j.server() != null ? j.server().errors()
                    : r instanceof ReplicaNode.RaftInJvm raft && raft.server() != null ? raft.server().errors() : null;
            if (inJvmErrors != null) {
                for (dev.electrode.server.ReplicaErrors.Error e : inJvmErrors.recent())
                    if (!allowedErrors.contains(e.kind().name())) out.add("replica " + r.index() + ": " + e);
            } else if (r instanceof ReplicaNode.Process p) {
                Path err = p.process() == null ? null : p.process().stderr();
                if (err == null || !Files.exists(err)) continue;
                try {
                    for (String line : Files.readAllLines(err)) {
                        java.util.regex.Matcher m = ERROR_LINE.matcher(line);
                        boolean error = m.find() ? !allowedErrors.contains(m.group(1)) : line.contains("Exception in thread");
                        if (error) out.add("replica " + r.index() + " stderr: " + line);
                    }
                } catch (IOException e) {
                    out.add("replica " + r.index() + ": cannot read " + err + ": " + e);
                }
            }
        }
        return out;
    }

    /** Namespaces this testbed created. */
    List<String> namespaces() { return namespaces; }

    /** Tears everything down; deletes the captures unless kept. Returns the names of namespaces that survived. */
    public List<String> close(boolean keepCaptures) {
        if (closed) return List.of();
        closed = true;
        long startNanos = System.nanoTime();
        closeQuietly();
        System.out.printf("testbed %s: torn down in %d ms%n", dir, (System.nanoTime() - startNanos) / 1_000_000);
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException ignored) {
            // the JVM is shutting down and the hook runs this
        }
        if (!keepCaptures) {
            for (Path p : captureFiles()) {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // a capture file left is harmless
                }
            }
        }
        List<String> surviving = new ArrayList<>(LeakCheck.surviving(namespaces));
        if (topology instanceof ContainerTopology ct) surviving.addAll(Docker.ownedByThisJvm(ct.docker()));
        return surviving;
    }

    @Override
    public void close() { close(spec.keepCaptures()); }

    private synchronized void closeQuietly() {
        if (tornDown) return; // a failed constructor tore down already; the shutdown hook must not again
        tornDown = true;
        if (client != null) client.close();
        client = null;
        for (ReplicaNode r : replicas) {
            try {
                r.close();
            } catch (Exception ignored) {
                // best effort: the namespace is deleted next anyway
            }
        }
        replicas.clear();
        if (jvmCpusBefore != null) {
            try {
                Affinity.pinProcess(ProcessHandle.current().pid(), jvmCpusBefore);
            } catch (RuntimeException e) {
                System.err.println("testbed " + dir + ": cannot give this JVM its CPUs back: " + e.getMessage());
            }
            jvmCpusBefore = null;
        }
        for (var k : kernelOffloads) k.close();
        kernelOffloads.clear();
        if (peerPass != null) peerPass.close();
        peerPass = null;
        for (InterfaceCapture c : captures.values()) c.close();
        for (InterfaceCapture c : switchCaptures.values()) c.close();
        if (faults != null) faults.close();
        faults = null;
        topology.close();
    }

    /** Lists the files of the test directory (for failure reports). */
    String describeFiles() {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> "  " + p.toAbsolutePath()).sorted().reduce((a, b) -> a + "\n" + b).orElse("  (none)");
        } catch (IOException e) {
            return "  (cannot list " + dir + ")";
        }
    }

}
