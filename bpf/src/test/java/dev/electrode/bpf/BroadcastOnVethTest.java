package dev.electrode.bpf;

import dev.electrode.netns.NetStats;
import dev.electrode.netns.RootRequired;
import dev.electrode.netns.StarTopology;
import dev.electrode.wire.FastMeta;
import dev.electrode.wire.MessageType;
import dev.electrode.wire.WireFormat;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The TC fan-out for real (PROG_TEST_RUN cannot redirect): on a veth/bridge star in network
 * namespaces, one datagram from the leader's socket becomes n-1 frames, each received by
 * the right follower's socket with the broadcast bit cleared and valid checksums.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BroadcastOnVethTest {
    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {3, 5, 7})
    void oneSendBecomesNMinusOneFrames(int n) throws Exception {
        RootRequired.assumeRoot();
        try (StarTopology t = StarTopology.create("bc" + n, n, "10.214." + n);
             ElectrodeBpf bpf = ElectrodeBpf.load()) {
            List<ReplicaAddress> addrs = new ArrayList<>();
            for (StarTopology.Host h : t.hosts()) addrs.add(new ReplicaAddress(h.address(), Frames.PORT, h.mac()));
            bpf.configure(addrs, (n - 1) / 2 + 1, EnumSet.allOf(Offload.class), Frames.PORT);
            bpf.writeControl(new ControlState(0, 0, 0, 64, 0, 0));
            StarTopology.Host leader = t.host(0);
            leader.ns().run(() -> bpf.attachTcEgress("eth0"));

            List<DatagramSocket> followers = new ArrayList<>();
            for (int i = 1; i < n; i++) {
                StarTopology.Host h = t.host(i);
                DatagramSocket s = h.ns().call(() -> new DatagramSocket(new InetSocketAddress(h.address(), Frames.PORT)));
                s.setSoTimeout(3000);
                followers.add(s);
            }
            DatagramSocket out = leader.ns().call(() -> new DatagramSocket(new InetSocketAddress(leader.address(), Frames.PORT)));
            try {
                var p = Frames.prepare(0, 1, 4, 100);
                FastMeta meta = FastMeta.forMessage(MessageType.PREPARE, p).withBroadcastBit();
                byte[] sent = Frames.payload(MessageType.PREPARE, p, meta);
                byte[] expected = Frames.payload(MessageType.PREPARE, p, FastMeta.forMessage(MessageType.PREPARE, p));

                Map<String, Long> leaderBefore = NetStats.snmp(leader.ns());
                leader.ns().run(() -> out.send(new DatagramPacket(sent, sent.length, new InetSocketAddress(t.host(1).address(), Frames.PORT))));

                for (int i = 1; i < n; i++) {
                    DatagramSocket s = followers.get(i - 1);
                    DatagramPacket got = new DatagramPacket(new byte[WireFormat.MAX_UNFRAGMENTED], WireFormat.MAX_UNFRAGMENTED);
                    s.receive(got);
                    assertEquals(leader.address(), got.getAddress(), "follower " + i + " hears the leader");
                    assertEquals(Frames.PORT, got.getPort());
                    assertArrayEquals(expected, Arrays.copyOf(got.getData(), got.getLength()), "follower " + i + ": payload with the bit cleared");
                    s.setSoTimeout(200);
                    assertThrows(SocketTimeoutException.class, () -> s.receive(new DatagramPacket(new byte[64], 64)), "follower " + i + " got a second copy");
                }
                Map<String, Long> leaderAfter = NetStats.snmp(leader.ns());
                assertEquals(1, leaderAfter.get("Udp.OutDatagrams") - leaderBefore.get("Udp.OutDatagrams"), "one send() on the leader");
                assertEquals(n - 1, bpf.counter(Counter.CLONES_SENT), "n-1 copies left the leader");
                assertEquals(0, bpf.counter(Counter.CLONE_FAILED));
                for (int i = 1; i < n; i++) {
                    Map<String, Long> s = NetStats.snmp(t.host(i).ns());
                    assertEquals(0, s.get("Udp.InCsumErrors"), "follower " + i + " UDP checksum errors");
                    assertEquals(0, s.get("Ip.InHdrErrors"), "follower " + i + " IP header errors");
                    assertEquals(1, s.get("Udp.InDatagrams"), "follower " + i + " received one datagram");
                }
                assertEquals(new QuorumEntry(0, 4, 0), bpf.readQuorum(4), "the Prepare reset its quorum entry on the way out");
            } finally {
                out.close();
                for (DatagramSocket s : followers) s.close();
            }
        }
    }
}
