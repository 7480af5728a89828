package dev.electrode.loopback;

import dev.electrode.app.KvStore;
import dev.electrode.cli.ElectrodeMain;
import dev.electrode.config.ClusterConfig;
import dev.electrode.launch.LocalCluster;
import dev.electrode.server.ReplicaServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** The command-line tools against a live cluster, and their errors. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CliTest {
    record Run(int exit, String out, String err) {}

    private static Run run(String... args) {
        StringWriter err = new StringWriter();
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.io.PrintStream saved = System.out;
        System.setOut(new java.io.PrintStream(out, true));
        try {
            CommandLine cmd = new CommandLine(new ElectrodeMain());
            cmd.setErr(new PrintWriter(err, true));
            int exit = cmd.execute(args);
            return new Run(exit, out.toString(), err.toString());
        } finally {
            System.setOut(saved);
        }
    }

    @Test
    void clientCommandsAgainstACluster(@TempDir Path dir) throws Exception {
        ClusterConfig config = new ClusterConfig(1, LocalCluster.freeLoopbackPorts(3));
        Path conf = dir.resolve("c.conf");
        Files.writeString(conf, config.toText());
        List<ReplicaServer> servers = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) servers.add(ReplicaServer.start(config, i, InJvmClusterTest.FAST, new KvStore(), false));
            String c = conf.toString();
            assertEquals(0, run("client", "--config", c, "put", "greeting", "hello").exit());
            Run get = run("client", "--config", c, "get", "greeting");
            assertEquals(0, get.exit());
            assertEquals("OK hello", get.out().strip());
            assertEquals(1, run("client", "--config", c, "cas", "greeting", "nope", "bye").exit());
            assertEquals(0, run("client", "--config", c, "cas", "greeting", "hello", "bye").exit());
            Run unlogged = run("client", "--config", c, "--unlogged", "0", "get", "greeting");
            assertEquals("OK bye", unlogged.out().strip());
            assertEquals(0, run("client", "--config", c, "delete", "greeting").exit());
            assertEquals(1, run("client", "--config", c, "get", "greeting").exit());
            Run load = run("load", "--config", c, "--clients", "2", "--duration", "1", "--warmup", "0");
            assertEquals(0, load.exit(), load.err());
            assertTrue(load.out().contains("2 clients:") && load.out().contains("ops/s"), load.out());
        } finally {
            servers.forEach(ReplicaServer::close);
        }
    }

    @Test
    void badInputIsReportedClearly(@TempDir Path dir) throws Exception {
        Path conf = dir.resolve("bad.conf");
        Files.writeString(conf, "f 1\nreplica 127.0.0.1:1\nreplica 127.0.0.1:nope\n");
        Run r = run("client", "--config", conf.toString(), "get", "x");
        assertNotEquals(0, r.exit());
        assertTrue(r.err().contains(conf + ":3: port must be a number, got 'nope'"), r.err());

        Path good = dir.resolve("good.conf");
        Files.writeString(good, "f 0\nreplica 127.0.0.1:9\n");
        assertTrue(run("client", "--config", good.toString(), "frobnicate", "x").err().contains("unknown operation 'frobnicate'"));
        assertTrue(run("client", "--config", good.toString(), "put", "x").err().contains("put takes 2 argument(s), got 1"));
        assertTrue(run("replica", "--config", good.toString(), "--index", "3").err().contains("--index 3 is not in 0..0"));
        assertTrue(run("client", "--config", dir.resolve("missing.conf").toString(), "get", "x").err().contains("cannot read"));
        Run timing = run("replica", "--config", good.toString(), "--index", "0", "--heartbeat-ms", "50", "--view-change-ms", "60");
        assertEquals(2, timing.exit());
        assertTrue(timing.err().contains("view change timeout (60000 us) must be at least twice the heartbeat period (50000 us)"), timing.err());
        assertTrue(run("replica", "--config", good.toString(), "--index", "0", "--recovery-bytes", "10").err()
                .contains("recovery response limit must be 1024..16777216 bytes, got 10"));

        Run protocol = run("replica", "--config", good.toString(), "--index", "0", "--protocol", "paxos");
        assertEquals(2, protocol.exit());
        assertTrue(protocol.err().contains("--protocol must be vr or raft, got 'paxos'"), protocol.err());
        Run raftRecover = run("replica", "--config", good.toString(), "--index", "0", "--protocol", "raft", "--recover");
        assertEquals(2, raftRecover.exit());
        assertTrue(raftRecover.err().contains("--recover is VR's: a Raft replica restarts from its --data-dir"), raftRecover.err());
        Run raftTiming = run("replica", "--config", good.toString(), "--index", "0", "--protocol", "raft", "--heartbeat-ms", "50",
                "--view-change-ms", "60");
        assertEquals(2, raftTiming.exit());
        assertTrue(raftTiming.err().contains("election timeout range must start at twice the heartbeat"), raftTiming.err());
    }
}
