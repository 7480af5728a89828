package dev.electrode.testbed;

import dev.electrode.app.KvStore;
import dev.electrode.config.ClusterConfig;
import dev.electrode.launch.ReplicaProcess;
import dev.electrode.netns.HostProcess;
import dev.electrode.netns.NetNamespace;
import dev.electrode.netns.NsProcess;
import dev.electrode.netns.cpu.Affinity;
import dev.electrode.netns.cpu.CpuSet;
import dev.electrode.server.ReplicaServer;
import dev.electrode.vr.Status;
import dev.electrode.vr.VrReplica;
import dev.electrode.vr.VrSettings;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * One replica of a testbed cluster, inside its host's namespace: either in this JVM (its
 * socket bound on the namespace's thread) or as a separate JVM, started with ip netns exec or
 * in a container that shares the host's namespace.
 */
public abstract sealed class ReplicaNode implements AutoCloseable {
    /** Name prefixes of a HotSpot JVM's JIT compiler threads (Linux cuts thread names to 15 characters). */
    public static final List<String> JIT_COMPILER_THREADS = List.of("C1 Compiler", "C2 Compiler");

    protected final int index;
    protected final NetNamespace ns;
    private CpuSet cpus; // null: not pinned

    ReplicaNode(int index, NetNamespace ns) {
        this.index = index;
        this.ns = ns;
    }

    /** Pins the replica's event loop (a process: all its threads) to {@code cpus}, now and after every restart. */
    public final void pinTo(CpuSet cpus) throws InterruptedException {
        this.cpus = cpus;
        if (isRunning()) applyPin(cpus);
    }

    abstract void applyPin(CpuSet cpus) throws InterruptedException;

    /** Opens the replica's data directory with {@code opener} (null: memory only, and so is the result). */
    final dev.electrode.storage.DataDirectory openJournal(JournalOpener opener) {
        try {
            return opener == null ? null : opener.open();
        } catch (java.io.IOException e) {
            throw new TestbedException("replica " + index + ": cannot open its data directory: " + e.getMessage(), e);
        }
    }

    /** Closes the replica's data directory, if it has one. */
    final void closeJournal(dev.electrode.storage.DataDirectory journal) {
        if (journal == null) return;
        try {
            journal.close();
        } catch (java.io.IOException e) {
            throw new TestbedException("replica " + index + ": closing its data directory: " + e.getMessage(), e);
        }
    }

    /** Pins the calling thread (an in-JVM replica's event loop) to {@code cpus}; for a query on that thread. */
    static Void pinHere(CpuSet cpus) {
        Affinity.pinCurrentThread(cpus);
        return null;
    }

    /** Pins a restarted replica like the one it replaces. */
    final void repin() throws InterruptedException {
        if (cpus != null) applyPin(cpus);
    }

    public int index() { return index; }

    /** Stops the replica abruptly: an in-JVM replica loses its state, a process gets SIGKILL. */
    public abstract void kill() throws InterruptedException;

    /** Starts the replica again after {@link #kill()}; it rejoins through VR recovery. */
    public abstract void restart() throws InterruptedException;

    public abstract boolean isRunning();

    /** A replica running in this JVM. */
    /** Opens a replica's journal (again, after a restart). */
    @FunctionalInterface
    public interface JournalOpener {
        dev.electrode.storage.DataDirectory open() throws java.io.IOException;
    }

    public static final class InJvm extends ReplicaNode {
        private final ClusterConfig config;
        private final VrSettings settings;
        private ReplicaServer server;
        private KvStore store;
        private final dev.electrode.offload.Offloads offloads;
        private final JournalOpener journalOpener; // null: memory only
        private final dev.electrode.server.Durability durability;
        private dev.electrode.storage.DataDirectory journal;

        InJvm(int index, NetNamespace ns, ClusterConfig config, VrSettings settings, dev.electrode.offload.Offloads offloads) {
            this(index, ns, config, settings, offloads, null, dev.electrode.server.Durability.MEMORY);
        }

        InJvm(int index, NetNamespace ns, ClusterConfig config, VrSettings settings, dev.electrode.offload.Offloads offloads,
              JournalOpener journalOpener, dev.electrode.server.Durability durability) {
            super(index, ns);
            this.config = config;
            this.settings = settings;
            this.offloads = offloads;
            this.journalOpener = journalOpener;
            this.durability = durability;
            start(false);
        }

        private void start(boolean recovering) {
            store = new KvStore();
            KvStore s = store;
            journal = openJournal(journalOpener);
            ReplicaServer.Options options = new ReplicaServer.Options(null, offloads, journal, durability);
            server = ns.call(() -> ReplicaServer.start(config, index, settings, s, recovering && journal == null, options));
        }

        /** Runs {@code q} against the VR core on its thread. */
        public <T> T query(Function<VrReplica, T> q) {
            if (server == null) throw new IllegalStateException("replica " + index + " is not running");
            return server.query(q);
        }

        /** The replica's KV store, read on the replica thread. */
        public <T> T store(Function<KvStore, T> q) {
            KvStore s = store;
            return query(v -> q.apply(s));
        }

        /** Status, log, commit point, state digest and protocol counters, read at one moment on the replica thread. */
        public ReplicaReport report(java.util.Map<dev.electrode.bpf.Counter, Long> bpf) {
            KvStore s = store;
            return query(v -> new ReplicaReport(index, 0, v.status().name(), v.view(), v.leaderOf(v.view()), v.lastOp(), v.commitNum(),
                    s.digest(), bpf, v.stats().toString()));
        }

        public Status status() { return query(VrReplica::status); }

        public long view() { return query(VrReplica::view); }

        public long commitNum() { return query(VrReplica::commitNum); }

        public ReplicaServer server() { return server; }

        @Override public void kill() {
            if (server != null) server.close();
            server = null;
            closeJournal(journal);
            journal = null;
        }

        @Override public void restart() throws InterruptedException {
            if (server != null) throw new IllegalStateException("replica " + index + " is running");
            start(true);
            repin();
        }

        @Override void applyPin(CpuSet cpus) { server.query(core -> pinHere(cpus)); }

        @Override public boolean isRunning() { return server != null; }

        @Override public void close() { kill(); }
    }

    /**
     * A Raft replica running in this JVM. With a data directory it restarts from there (term,
     * vote, log, snapshot); without one its state lives in memory only, so a killed one cannot
     * come back: a Raft replica that forgot its vote could elect a second leader.
     */
    public static final class RaftInJvm extends ReplicaNode {
        private final ClusterConfig config;
        private final dev.electrode.raft.RaftSettings settings;
        private final dev.electrode.offload.Offloads offloads;
        private final JournalOpener journalOpener; // null: memory only
        private final dev.electrode.server.Durability durability;
        private dev.electrode.storage.DataDirectory journal;
        private dev.electrode.server.RaftServer server;
        private KvStore store;

        RaftInJvm(int index, NetNamespace ns, ClusterConfig config, dev.electrode.raft.RaftSettings settings,
                  dev.electrode.offload.Offloads offloads, JournalOpener journalOpener, dev.electrode.server.Durability durability) {
            super(index, ns);
            this.config = config;
            this.settings = settings;
            this.offloads = offloads;
            this.journalOpener = journalOpener;
            this.durability = durability;
            start();
        }

        private void start() {
            store = new KvStore();
            KvStore s = store;
            journal = openJournal(journalOpener);
            dev.electrode.storage.DataDirectory j = journal;
            server = ns.call(() -> dev.electrode.server.RaftServer.start(config, index, settings, s, offloads, j, durability));
        }

        /** Runs {@code q} against the Raft core on its thread. */
        public <T> T query(Function<dev.electrode.raft.RaftReplica, T> q) {
            if (server == null) throw new IllegalStateException("replica " + index + " is not running");
            return server.query(q);
        }

        /** The replica's KV store, read on the replica thread. */
        public <T> T store(Function<KvStore, T> q) {
            KvStore s = store;
            return query(r -> q.apply(s));
        }

        /** Role, term, log, commit point, state digest and counters, read at one moment on the replica thread. */
        public ReplicaReport report(java.util.Map<dev.electrode.bpf.Counter, Long> bpf) {
            KvStore s = store;
            return query(r -> new ReplicaReport(index, 0, statusOf(r), r.term(), r.leader(), r.lastIndex(), r.commitIndex(),
                    s.digest(), bpf, r.stats().toString()));
        }

        /** A Raft role in VR's words: NORMAL while it leads or follows a known leader, else VIEW_CHANGE. */
        private static String statusOf(dev.electrode.raft.RaftReplica r) {
            boolean settled = r.role() == dev.electrode.raft.RaftRole.LEADER
                    || (r.role() == dev.electrode.raft.RaftRole.FOLLOWER && r.leader() >= 0);
            return (settled ? Status.NORMAL : Status.VIEW_CHANGE).name();
        }

        public dev.electrode.server.RaftServer server() { return server; }

        @Override public void kill() {
            if (server != null) server.close();
            server = null;
            closeJournal(journal);
            journal = null;
        }

        @Override public void restart() throws InterruptedException {
            if (server != null) throw new IllegalStateException("replica " + index + " is running");
            if (journalOpener == null)
                throw new TestbedException("replica " + index + " runs Raft in memory only: it cannot rejoin after a kill (its term, vote"
                        + " and log are gone; give the testbed a durability other than memory)");
            start();
            repin();
        }

        @Override void applyPin(CpuSet cpus) { server.query(core -> pinHere(cpus)); }

        @Override public boolean isRunning() { return server != null; }

        @Override public void close() { kill(); }
    }

    /** A replica running as its own JVM inside the namespace. */
    public static final class Process extends ReplicaNode {
        /** Starts a replica JVM on its host: the arguments after the java executable, and the files for its output. */
        @FunctionalInterface
        public interface Launcher {
            HostProcess start(List<String> javaArgs, Path stdout, Path stderr);
        }

        /** A launcher that starts the JVM in namespace {@code ns} with this JVM's java and classpath. */
        public static Launcher inNamespace(NetNamespace ns) {
            return (javaArgs, out, err) -> {
                List<String> cmd = new ArrayList<>();
                cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
                cmd.addAll(javaArgs);
                return NsProcess.start(ns, cmd, out, err);
            };
        }

        private final Path configFile;
        private final Path logDir;
        private final List<String> args;
        private final Launcher launcher;
        private HostProcess process;
        private int reportsSeen;
        private int protocolThread = -1;

        private final boolean offloads;
        private final boolean durable;
        private final List<String> jvmOptions;

        Process(int index, NetNamespace ns, Launcher launcher, Path configFile, Path logDir, List<String> jvmOptions, List<String> args,
                boolean offloads, boolean durable) {
            super(index, ns);
            this.launcher = launcher;
            this.configFile = configFile;
            this.logDir = logDir;
            this.args = List.copyOf(args);
            this.offloads = offloads;
            this.durable = durable;
            this.jvmOptions = List.copyOf(jvmOptions);
            start(false);
        }

        private void start(boolean recovering) {
            List<String> cmd = new ArrayList<>(jvmOptions);
            cmd.addAll(List.of("-cp", absoluteClasspath()));
            if (offloads) {
                // A replica with the eBPF offloads: the launcher above both the replica and the bpf module.
                cmd.add(dev.electrode.testbed.launch.ElectrodeReplicaMain.class.getName());
            } else {
                cmd.addAll(List.of("-Xss512k", dev.electrode.cli.ElectrodeMain.class.getName(), "replica"));
            }
            cmd.addAll(List.of("--config", configFile.toAbsolutePath().toString(), "--index", Integer.toString(index)));
            cmd.addAll(args);
            if (recovering) cmd.add("--recover");
            Path out = logDir.resolve("replica-" + index + ".out");
            long before = count(out);
            process = launcher.start(cmd, out, logDir.resolve("replica-" + index + ".err"));
            reportsSeen = 0;
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (count(out) <= before) {
                if (!process.isAlive()) throw new TestbedException("replica " + index + " exited before it was ready; see " + process.stderr());
                if (System.nanoTime() > deadline) throw new TestbedException("replica " + index + " not ready in 60 s; see " + process.stderr());
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new TestbedException("interrupted", e);
                }
            }
        }

        /**
         * Asks the replica for a report (SIGHUP) and waits for it: status, log, commit point, state
         * digest and counters, as of now.
         */
        public ReplicaReport report() { return report("HUP"); }

        /**
         * As {@link #report()} without the state digest (SIGUSR1): hashing the store stalls the
         * replica's event loop and wakes its JIT, so readings taken under load use this.
         */
        public ReplicaReport counterReport() { return report("USR1"); }

        private ReplicaReport report(String sig) {
            if (!process.isAlive()) throw new IllegalStateException("replica " + index + " is not running");
            int want = reportsSeen + 1;
            signal(sig);
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (System.nanoTime() < deadline) {
                ReplicaReport r = latestReport();
                if (r != null && r.number() >= want) {
                    reportsSeen = r.number();
                    return r;
                }
                if (!process.isAlive()) throw new TestbedException("replica " + index + " exited while asked for a report; see " + process.stderr());
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new TestbedException("interrupted", e);
                }
            }
            throw new TestbedException("replica " + index + " did not answer SIG" + sig + " with a report in 10 s; see " + process.stdout());
        }

        /** The last report line of this incarnation, or null. */
        private ReplicaReport latestReport() {
            List<String> lines;
            try {
                lines = java.nio.file.Files.readAllLines(process.stdout());
            } catch (java.io.IOException e) {
                return null;
            }
            ReplicaReport last = null;
            for (String l : lines) {
                if (l.contains(ReplicaProcess.READY_MARKER)) last = null; // a new incarnation starts here
                ReplicaReport r = ReplicaReport.parse(l);
                if (r != null) last = r;
            }
            return last;
        }

        /** This JVM's classpath with every entry absolute (a container's JVM starts in another directory). */
        private static String absoluteClasspath() {
            StringBuilder sb = new StringBuilder();
            for (String e : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
                if (e.isEmpty()) continue;
                if (sb.length() > 0) sb.append(java.io.File.pathSeparator);
                sb.append(Path.of(e).toAbsolutePath());
            }
            return sb.toString();
        }

        private static long count(Path out) {
            try {
                return java.nio.file.Files.exists(out)
                        ? java.nio.file.Files.readAllLines(out).stream().filter(l -> l.contains(ReplicaProcess.READY_MARKER)).count() : 0;
            } catch (java.io.IOException e) {
                return 0;
            }
        }

        public HostProcess process() { return process; }

        /** CPU time of this incarnation's protocol thread (the event loop named after the protocol), in nanoseconds. */
        public long protocolThreadCpuNanos() {
            if (protocolThread <= 0 || !java.nio.file.Files.exists(Path.of("/proc", Long.toString(process.pid()), "task",
                    Integer.toString(protocolThread)))) {
                protocolThread = -1;
                for (String prefix : List.of("vr-replica", "raft-replica")) {
                    int tid = dev.electrode.netns.cpu.CpuTime.threadNamed(process.pid(), prefix);
                    if (tid > 0) protocolThread = tid;
                }
                if (protocolThread <= 0) throw new TestbedException("replica " + index + " (pid " + process.pid() + ") has no protocol thread");
            }
            return dev.electrode.netns.cpu.CpuTime.threadNanos(protocolThread);
        }

        private static final java.util.regex.Pattern XDP_MODE = java.util.regex.Pattern.compile(" xdp (\\w+)");

        /** How this replica's XDP program is attached, from the line it printed when ready. */
        public String xdpMode() {
            try {
                String mode = null;
                for (String l : java.nio.file.Files.readAllLines(process.stdout())) {
                    java.util.regex.Matcher m = XDP_MODE.matcher(l);
                    if (l.contains(ReplicaProcess.READY_MARKER) && m.find()) mode = m.group(1);
                }
                if (mode == null) throw new TestbedException("replica " + index + " printed no XDP mode when ready; see " + process.stdout());
                return mode;
            } catch (java.io.IOException e) {
                throw new TestbedException("cannot read " + process.stdout() + ": " + e.getMessage(), e);
            }
        }

        /** CPU time of the whole JVM of this incarnation, every thread, in nanoseconds. */
        public long processCpuNanos() { return dev.electrode.netns.cpu.CpuTime.processNanos(process.pid()); }

        /** CPU time of this incarnation's JIT compiler threads (HotSpot's C1 and C2), in nanoseconds. */
        public long compilerCpuNanos() { return dev.electrode.netns.cpu.CpuTime.threadsNanos(process.pid(), JIT_COMPILER_THREADS); }

        /** Status, view and leader from a process replica's status line. */
        public record StatusLine(String status, long view, int leader) {}

        private static final java.util.regex.Pattern STATUS =
                java.util.regex.Pattern.compile("replica \\d+: status (\\w+) view (\\d+) leader (-?\\d+)");

        /**
         * The status this incarnation of the replica last printed (it prints one at start and one
         * on every change), or null if it printed none yet or is not running.
         */
        public StatusLine lastStatus() {
            if (!process.isAlive()) return null;
            List<String> lines;
            try {
                lines = java.nio.file.Files.readAllLines(logDir.resolve("replica-" + index + ".out"));
            } catch (java.io.IOException e) {
                return null;
            }
            StatusLine last = null;
            for (String l : lines) {
                if (l.contains(ReplicaProcess.READY_MARKER)) last = null; // a new incarnation starts here
                java.util.regex.Matcher m = STATUS.matcher(l);
                if (m.find()) last = new StatusLine(m.group(1), Long.parseLong(m.group(2)), Integer.parseInt(m.group(3)));
            }
            return last;
        }

        /** True once the replica printed {@code text} (status lines: "status NORMAL view 1 leader 1"). */
        public boolean printed(String text) { return process.stdoutContains(text); }

        @Override public void kill() throws InterruptedException { process.kill(); }

        /** Stops the process where it is (SIGSTOP): it neither runs nor answers, and its sockets fill. */
        public void pause() { signal("STOP"); }

        /** Lets a paused process go on (SIGCONT). */
        public void resume() { signal("CONT"); }

        private void signal(String sig) {
            if (!process.isAlive()) throw new IllegalStateException("replica " + index + " is not running");
            // The pid as the root PID namespace sees it: a process in a namespace or in a container alike.
            dev.electrode.netns.Commands.run(List.of("kill", "-" + sig, Long.toString(process.pid())));
        }

        @Override public void restart() throws InterruptedException {
            if (process.isAlive()) throw new IllegalStateException("replica " + index + " is running (pid " + process.pid() + ")");
            start(!durable); // a durable replica comes back from its data directory, others through recovery
            repin();
        }

        @Override void applyPin(CpuSet cpus) { process.pinTo(cpus); }

        @Override public boolean isRunning() { return process.isAlive(); }

        @Override public void close() throws InterruptedException { process.close(); }
    }
}
