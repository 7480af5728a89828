package dev.electrode.testbed;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What a failed testbed test leaves to understand it, written while the testbed still runs
 * (into {@code <testbed dir>/failure/}): each replica's status, view, opnum, commit point and
 * counters at that moment; with offloads, the BPF counters and the kernel control state of each
 * replica; the decoded frame table of every capture; and how to run the test again. The
 * captures and the process replicas' logs stay beside it in the testbed directory.
 */
final class FailureBundle {
    private FailureBundle() {}

    /** Writes the bundle for {@code test} ("Class#method") that failed with {@code failure}; returns its directory. */
    static Path write(TestbedEnv env, String test, Throwable failure) throws IOException {
        Path dir = env.dir().resolve("failure");
        Files.createDirectories(dir);
        List<String> about = new ArrayList<>();
        about.add("test: " + test);
        about.add("failure: " + failure);
        about.add("rerun: mvn -pl testbed test -Dtest='" + test + "'");
        about.add("");
        about.add("replicas.txt: status, view, opnum, commit point and counters of each replica at the failure;");
        about.add("bpf.txt: XDP/TC counters and kernel control state (with offloads); frames-<capture>.txt: decoded frames;");
        about.add("../replica-<i>.out|err: process replicas' logs; ../*.pcap: the captures.");
        Files.write(dir.resolve("README.txt"), about);
        Files.write(dir.resolve("replicas.txt"), replicas(env));
        if (env.hasOffloads()) Files.write(dir.resolve("bpf.txt"), bpf(env));
        for (Path pcap : env.captureFiles()) {
            String name = pcap.getFileName().toString().replaceAll("\\.pcap$", "");
            String table;
            try {
                table = WireLog.read(pcap).fullTable();
            } catch (RuntimeException e) {
                table = "cannot decode " + pcap + ": " + e;
            }
            Files.writeString(dir.resolve("frames-" + name + ".txt"), table + "\n");
        }
        return dir;
    }

    private static List<String> replicas(TestbedEnv env) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < env.replicaCount(); i++) {
            ReplicaNode r = env.replica(i);
            if (!r.isRunning()) {
                out.add("replica " + i + ": not running");
            } else if (r instanceof ReplicaNode.InJvm j) {
                try {
                    out.add("replica " + i + ": " + j.server().countersLine());
                } catch (RuntimeException e) {
                    out.add("replica " + i + ": cannot be queried: " + e);
                }
            } else if (r instanceof ReplicaNode.RaftInJvm raft) {
                try {
                    out.add("replica " + i + ": " + env.report(i));
                } catch (RuntimeException e) {
                    out.add("replica " + i + ": cannot be queried: " + e);
                }
            } else if (r instanceof ReplicaNode.Process p) {
                out.add("replica " + i + " (pid " + p.process().pid() + "): last status " + p.lastStatus()
                        + "; its stats lines and counters are in " + p.process().stdout());
            }
        }
        return out;
    }

    private static List<String> bpf(TestbedEnv env) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < env.replicaCount(); i++) {
            try {
                var k = env.offloads(i);
                out.add("replica " + i + ": counters " + k.bpf().counters());
                out.add("replica " + i + ": control " + k.bpf().readControl());
            } catch (RuntimeException e) {
                out.add("replica " + i + ": " + e.getMessage());
            }
        }
        return out;
    }
}
