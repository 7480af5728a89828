package dev.electrode.bpf;

import dev.electrode.netns.RootRequired;
import dev.electrode.netns.StarTopology;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** Independent instances per namespace; close detaches everything; a killed run's attachment is replaced. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LifecycleTest {
    @BeforeEach
    void root() { RootRequired.assumeRoot(); }

    private static int xdpId(StarTopology.Host h) { return h.ns().call(() -> ElectrodeBpf.attachedXdpProgramId("eth0")); }

    private static boolean tc(StarTopology.Host h) { return h.ns().call(() -> ElectrodeBpf.tcFilterAttached("eth0")); }

    @Test
    void twoInstancesInTwoNamespacesDoNotInterfere() throws Exception {
        try (StarTopology t = StarTopology.create("lc", 2, "10.215.0")) {
            StarTopology.Host a = t.host(0), b = t.host(1);
            ElectrodeBpf ia = ElectrodeBpf.load();
            ElectrodeBpf ib = ElectrodeBpf.load();
            try {
                assertEquals(ElectrodeBpf.XdpMode.NATIVE, a.ns().call(() -> ia.attachXdp("eth0")), "veth supports native XDP");
                a.ns().run(() -> ia.attachTcEgress("eth0"));
                assertEquals(ElectrodeBpf.XdpMode.NATIVE, b.ns().call(() -> ib.attachXdp("eth0")));
                b.ns().run(() -> ib.attachTcEgress("eth0"));
                assertEquals(ia.programId(ia.xdpProgramFd()), xdpId(a));
                assertEquals(ib.programId(ib.xdpProgramFd()), xdpId(b));
                assertNotEquals(xdpId(a), xdpId(b), "each instance has its own program");
                assertTrue(tc(a) && tc(b));

                ia.writeControl(new ControlState(0, 0, 0, 8, 7, 70));
                ib.writeControl(new ControlState(1, 1, 0, 16, 9, 90));
                assertEquals(7, ia.readControl().view(), "maps are per instance");
                assertEquals(9, ib.readControl().view());

                ia.close(); // from this (root-namespace) thread: detaches inside a's namespace
                assertEquals(0, xdpId(a), "no XDP program left on a");
                assertFalse(tc(a), "no TC filter left on a");
                assertEquals(ib.programId(ib.xdpProgramFd()), xdpId(b), "b untouched");
                assertTrue(tc(b));
                assertEquals(9, ib.readControl().view());
            } finally {
                ia.close();
                ib.close();
            }
            assertEquals(0, xdpId(b));
            assertFalse(tc(b));
            try (Stream<Path> pinned = Files.list(Path.of("/sys/fs/bpf")).filter(p -> p.getFileName().toString().contains("electrode"))) {
                assertEquals(0, pinned.count(), "nothing pinned");
            } catch (java.nio.file.NoSuchFileException e) {
                // no bpffs at all: nothing pinned either
            }
        }
    }

    @Test
    void attachmentLeftByAKilledRunIsReplaced() {
        try (StarTopology t = StarTopology.create("lk", 1, "10.216.0")) {
            StarTopology.Host h = t.host(0);
            ElectrodeBpf crashed = ElectrodeBpf.load();
            h.ns().run(() -> {
                crashed.attachXdpByNetlink("eth0"); // netlink attachments outlive their process
                crashed.attachTcEgress("eth0");
            });
            int staleId = crashed.programId(crashed.xdpProgramFd());
            crashed.abandonAttachments(); // as if the process died
            crashed.close();
            assertEquals(staleId, xdpId(h), "the stale program is still attached");
            assertTrue(tc(h));

            try (ElectrodeBpf next = ElectrodeBpf.load()) {
                h.ns().run(() -> {
                    next.attachXdp("eth0");
                    next.attachTcEgress("eth0");
                });
                assertEquals(next.programId(next.xdpProgramFd()), xdpId(h), "replaced by the new run's program");
                assertTrue(tc(h));
            }
            assertEquals(0, xdpId(h));
            assertFalse(tc(h));
        }
    }

    @Test
    void fallsBackToGenericModeWhereNativeIsUnsupported() {
        try (StarTopology t = StarTopology.create("lg", 1, "10.218.0"); ElectrodeBpf bpf = ElectrodeBpf.load()) {
            var sw = t.switchNamespace();
            // A Linux bridge device implements no native XDP.
            assertEquals(ElectrodeBpf.XdpMode.GENERIC, sw.call(() -> bpf.attachXdp("br0")));
            assertEquals(bpf.programId(bpf.xdpProgramFd()), (int) sw.call(() -> ElectrodeBpf.attachedXdpProgramId("br0")));
            bpf.detachAll();
            assertEquals(0, (int) sw.call(() -> ElectrodeBpf.attachedXdpProgramId("br0")));
        }
    }

    @Test
    void attachingToAMissingInterfaceSaysWhich() {
        try (StarTopology t = StarTopology.create("lm", 1, "10.217.0"); ElectrodeBpf bpf = ElectrodeBpf.load()) {
            BpfException e = assertThrows(BpfException.class, () -> t.host(0).ns().run(() -> bpf.attachXdp("nosuch0")));
            assertTrue(e.getMessage().contains("no interface 'nosuch0'"), e.getMessage());
        }
    }
}
