package dev.electrode.bpf;

import dev.electrode.netns.NsProcess;
import dev.electrode.netns.RootRequired;
import dev.electrode.netns.StarTopology;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.*;

/**
 * A replica process killed with SIGKILL: its XDP program (a BPF link) goes with it, so a dead
 * follower stops acknowledging; its TC filter (netlink) stays and the next run replaces it.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class KilledProcessDetachTest {
    @Test
    void xdpGoesWithTheProcessTcIsReplacedByTheNextRun(@TempDir Path dir) throws Exception {
        RootRequired.assumeRoot();
        try (StarTopology t = StarTopology.create("kp", 1, "10.221.0")) {
            StarTopology.Host h = t.host(0);
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            NsProcess p = NsProcess.start(h.ns(), List.of(java, "-cp", System.getProperty("java.class.path"),
                    AttachAndHold.class.getName(), "eth0"), dir.resolve("out"), dir.resolve("err"));
            // A new JVM loads and verifies the programs: minutes under the kernel-test VM's emulated CPU.
            await().atMost(Patience.of(Duration.ofSeconds(30))).until(() -> p.stdoutContains("ATTACHED") || !p.isAlive());
            assertTrue(p.isAlive(), "child failed: see " + p.stderr());
            assertNotEquals(0, (int) h.ns().call(() -> ElectrodeBpf.attachedXdpProgramId("eth0")));
            assertTrue(h.ns().call(() -> ElectrodeBpf.tcFilterAttached("eth0")));

            p.kill();
            await().atMost(Patience.of(Duration.ofSeconds(10))).until(() -> h.ns().call(() -> ElectrodeBpf.attachedXdpProgramId("eth0")) == 0);
            assertTrue(h.ns().call(() -> ElectrodeBpf.tcFilterAttached("eth0")), "the netlink TC filter outlived the process");

            try (ElectrodeBpf next = ElectrodeBpf.load()) {
                h.ns().run(() -> {
                    next.attachXdp("eth0");
                    next.attachTcEgress("eth0");
                });
                assertEquals(next.programId(next.xdpProgramFd()), (int) h.ns().call(() -> ElectrodeBpf.attachedXdpProgramId("eth0")));
            }
            assertEquals(0, (int) h.ns().call(() -> ElectrodeBpf.attachedXdpProgramId("eth0")));
            assertFalse(h.ns().call(() -> ElectrodeBpf.tcFilterAttached("eth0")));
        }
    }
}
