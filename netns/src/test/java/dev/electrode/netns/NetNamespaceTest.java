package dev.electrode.netns;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class NetNamespaceTest {
    @BeforeEach
    void root() { RootRequired.assumeRoot(); }

    @Test
    void socketsCreatedOnTheNamespaceThreadLiveInTheNamespace() throws Exception {
        try (StarTopology t = StarTopology.create("nstest", 2, "10.213.0")) {
            var a = t.host(0);
            var b = t.host(1);
            DatagramChannel rx = b.ns().call(() -> DatagramChannel.open().bind(new InetSocketAddress(b.address(), 4000)));
            DatagramChannel tx = a.ns().call(() -> DatagramChannel.open());
            try (rx; tx) {
                a.ns().run(() -> tx.send(ByteBuffer.wrap("hi".getBytes(StandardCharsets.US_ASCII)), new InetSocketAddress(b.address(), 4000)));
                ByteBuffer buf = ByteBuffer.allocate(16);
                InetSocketAddress from = (InetSocketAddress) rx.receive(buf);
                assertEquals(a.address(), from.getAddress());
                assertEquals("hi", new String(buf.array(), 0, buf.position(), StandardCharsets.US_ASCII));
            }
            assertTrue(a.ns().ifindex("eth0") > 0);
            assertThrows(NetnsException.class, () -> a.ns().ifindex("nope0"));
            assertEquals(6, a.mac().length);
        }
    }

    @Test
    void failuresNameTheCommandAndTheKernelError() {
        NetnsException e = assertThrows(NetnsException.class, () -> Commands.ip("link", "add", "x", "type", "no-such-kind"));
        assertTrue(e.getMessage().contains("'ip link add x type no-such-kind' failed"), e.getMessage());
    }

    @Test
    void closeDeletesAndSweepRemovesLeftoversOfDeadRuns() {
        String name = Names.namespace("t");
        NetNamespace ns = NetNamespace.create(name);
        assertTrue(Files.exists(Path.of("/run/netns", name)));
        ns.close();
        ns.close(); // idempotent
        assertFalse(Files.exists(Path.of("/run/netns", name)));

        // A namespace named as if by a process that no longer exists is swept.
        String orphan = Names.PREFIX + "999999999-1-orphan";
        Commands.ip("netns", "add", orphan);
        assertTrue(Names.sweepLeftovers().contains(orphan));
        assertFalse(Files.exists(Path.of("/run/netns", orphan)));
    }

    @Test
    void attachNamesAProcesssNamespaceAndClosingRemovesOnlyTheName() throws Exception {
        try (StarTopology t = StarTopology.create("attach", 1, "10.213.1");
             NsProcess sleeper = NsProcess.start(t.host(0).ns(), java.util.List.of("sleep", "60"),
                     java.nio.file.Files.createTempFile("attach", ".out"), java.nio.file.Files.createTempFile("attach", ".err"))) {
            int ifindex = t.host(0).ns().ifindex("eth0");
            NetNamespace named = NetNamespace.attach(Names.namespace("attached"), sleeper.pid());
            try {
                assertEquals(ifindex, named.ifindex("eth0"), "the same namespace under a second name");
                assertTrue(named.ip("-o", "addr", "show", "eth0").contains("10.213.1.10"));
            } finally {
                named.close();
            }
            assertFalse(named.exists(), "the name is gone");
            assertEquals(ifindex, t.host(0).ns().ifindex("eth0"), "the namespace itself lives on");
        }
    }
}
