package dev.electrode.netns;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class NsProcessAndStatsTest {
    @BeforeEach
    void root() { RootRequired.assumeRoot(); }

    @Test
    void processesRunInsideTheNamespaceWithOutputAndExitCode(@TempDir Path dir) throws Exception {
        try (StarTopology t = StarTopology.create("proc", 1, "10.219.0")) {
            NetNamespace ns = t.host(0).ns();
            NsProcess p = NsProcess.start(ns, List.of("sh", "-c", "ip -o -4 addr show dev eth0; echo err >&2; exit 3"),
                    dir.resolve("out"), dir.resolve("err"));
            assertEquals(3, p.waitFor(Duration.ofSeconds(10)), "exit code observed");
            assertTrue(Files.readString(dir.resolve("out")).contains("10.219.0.10/24"), "it ran in the namespace");
            assertEquals("err", Files.readString(dir.resolve("err")).strip());

            NsProcess sleeper = NsProcess.start(ns, List.of("sleep", "100"), dir.resolve("s.out"), dir.resolve("s.err"));
            assertTrue(sleeper.isAlive());
            assertEquals(143, sleeper.terminate(Duration.ofSeconds(5)), "SIGTERM");
            NsProcess other = NsProcess.start(ns, List.of("sleep", "100"), dir.resolve("k.out"), dir.resolve("k.err"));
            other.kill();
            assertFalse(other.isAlive(), "SIGKILL");
        }
    }

    @Test
    void countersAreThoseOfTheNamespace() throws Exception {
        try (StarTopology t = StarTopology.create("stats", 2, "10.219.1")) {
            var a = t.host(0);
            var b = t.host(1);
            Map<String, Long> before = NetStats.snmp(b.ns());
            try (DatagramSocket rx = b.ns().call(() -> new DatagramSocket(new InetSocketAddress(b.address(), 5000)));
                 DatagramSocket tx = a.ns().call(() -> new DatagramSocket())) {
                for (int i = 0; i < 7; i++) a.ns().run(() -> tx.send(new DatagramPacket(new byte[10], 10, new InetSocketAddress(b.address(), 5000))));
                rx.setSoTimeout(2000);
                for (int i = 0; i < 7; i++) rx.receive(new DatagramPacket(new byte[64], 64));
            }
            Map<String, Long> after = NetStats.snmp(b.ns());
            assertEquals(7, after.get("Udp.InDatagrams") - before.get("Udp.InDatagrams"));
            assertEquals(7, NetStats.snmp(a.ns()).get("Udp.OutDatagrams"));
            assertTrue(NetStats.dev(b.ns()).get("eth0").rxPackets() >= 7);
            Links.mac(b.ns(), "eth0", "02:00:00:00:ab:cd");
            assertArrayEquals(new byte[] {2, 0, 0, 0, (byte) 0xab, (byte) 0xcd}, b.ns().mac("eth0"));
        }
    }
}
