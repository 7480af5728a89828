package dev.electrode.bpf;

import dev.electrode.wire.FastMeta;
import dev.electrode.wire.MessageType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.EnumSet;
import java.util.Set;

import static dev.electrode.bpf.BpfFixture.*;
import static org.junit.jupiter.api.Assertions.*;

/** All 8 on/off combinations: each offload acts exactly when it is on, whatever the others do. */
class OffloadIndependenceTest {
    private static Set<Offload> decode(int mask) {
        Set<Offload> s = EnumSet.noneOf(Offload.class);
        for (Offload o : Offload.values()) if ((mask & o.bit()) != 0) s.add(o);
        return s;
    }

    @ParameterizedTest(name = "mask={0}")
    @ValueSource(ints = {0, 1, 2, 3, 4, 5, 6, 7})
    void eachOffloadActsOnlyWhenOn(int mask) {
        Set<Offload> on = decode(mask);

        // Fast ack on a follower.
        try (BpfFixture fx = new BpfFixture(3, on).as(1, 0, 10)) {
            int r = fx.xdp(Frames.prepareFrame(1, Frames.prepare(0, 11, 11, 8), false)).retval();
            assertEquals(on.contains(Offload.FAST_ACK) ? XDP_TX : XDP_PASS, r, "fast ack with " + on);
        }

        // Quorum pruning on a leader: TC resets the entry on egress (also without broadcast), XDP prunes.
        try (BpfFixture fx = new BpfFixture(3, on).as(0, 0, 10)) {
            fx.bpf.writeQuorum(11, new QuorumEntry(99, 99, 0));
            fx.tc(Frames.prepareFrame(1, Frames.prepare(0, 11, 11, 8), false));
            QuorumEntry e = fx.bpf.readQuorum(11);
            if (on.contains(Offload.QUORUM_PRUNE)) {
                assertEquals(new QuorumEntry(0, 11, 0), e, "reset on egress with " + on);
                assertEquals(XDP_PASS, fx.xdp(Frames.ackFrame(1, 0, 11, true)).retval());
                assertEquals(XDP_DROP, fx.xdp(Frames.ackFrame(2, 0, 11, true)).retval(), "second ACK pruned with " + on);
            } else {
                assertEquals(new QuorumEntry(99, 99, 0), e, "no reset with " + on);
                assertEquals(XDP_PASS, fx.xdp(Frames.ackFrame(1, 0, 11, true)).retval());
                assertEquals(XDP_PASS, fx.xdp(Frames.ackFrame(2, 0, 11, true)).retval(), "no pruning with " + on);
            }
        }

        // Broadcast on a leader (two replicas: the rewrite of the original is visible in PROG_TEST_RUN).
        try (BpfFixture fx = new BpfFixture(2, on).as(0, 0, 10)) {
            var p = Frames.prepare(0, 11, 11, 8);
            byte[] in = Frames.frame(0, 9, Frames.payload(MessageType.PREPARE, p, FastMeta.forMessage(MessageType.PREPARE, p).withBroadcastBit()));
            byte[] out = fx.tc(in).frame();
            if (on.contains(Offload.BROADCAST)) {
                assertEquals(11, out[Frames.ETH + 19], "rewritten with " + on);
                assertEquals(0, out[Frames.ETH + 20 + 8 + 12 + 33 + 3] & 0x80, "broadcast bit cleared with " + on);
            } else {
                assertArrayEquals(in, out, "untouched with " + on);
            }
        }
    }
}
