package dev.electrode.bpf;

import dev.electrode.wire.proto.PrepareMessage;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static dev.electrode.bpf.BpfFixture.*;
import static org.junit.jupiter.api.Assertions.*;

/** Frames the fast path must leave to the stack: never XDP_TX, never a state change. */
class MalformedFrameTest {
    private static byte[] validPrepare() {
        return Frames.prepareFrame(1, Frames.prepare(5, 11, 11, 20), false);
    }

    private static void assertPassedUntouched(BpfFixture fx, byte[] frame, String what) {
        TestRun.Result r = fx.xdp(frame);
        assertNotEquals(XDP_TX, r.retval(), what + " was bounced");
        assertEquals(10, fx.bpf.readControl().lastOp(), what + " moved lastOp");
        assertTrue(fx.drain().isEmpty(), what + " was buffered");
    }

    @Test
    void ipOptionsFragmentsNonIpv4AndOtherProtocolsPass() {
        try (BpfFixture fx = new BpfFixture(3).as(1, 5, 10)) {
            PrepareMessage p = Frames.prepare(5, 11, 11, 20);
            byte[] payload = Frames.payload(dev.electrode.wire.MessageType.PREPARE, p,
                    dev.electrode.wire.FastMeta.forMessage(dev.electrode.wire.MessageType.PREPARE, p));
            for (int words = 1; words <= 10; words++) {
                byte[] options = new byte[4 * words]; // NOPs would be 1; zeros are end-of-options: valid padding
                byte[] f = Frames.frame(0, 1, Frames.PORT, Frames.PORT, payload, new Frames.IpOpts(7, 0x4000, options, 64));
                assertPassedUntouched(fx, f, "IHL " + (5 + words));
            }
            assertEquals(10, fx.bpf.counter(Counter.PASS_IP_OPTIONS), "options were parsed past (IHL honoured), then passed");

            assertPassedUntouched(fx, Frames.frame(0, 1, Frames.PORT, Frames.PORT, payload, new Frames.IpOpts(7, 0x2000, new byte[0], 64)), "MF fragment");
            assertPassedUntouched(fx, Frames.frame(0, 1, Frames.PORT, Frames.PORT, payload, new Frames.IpOpts(7, 0x0010, new byte[0], 64)), "later fragment");
            assertEquals(1, fx.bpf.counter(Counter.PASS_IP_FRAGMENT), "the first fragment is counted; a later one has no UDP header to tell whose it is");

            byte[] v6 = validPrepare();
            v6[12] = (byte) 0x86;
            v6[13] = (byte) 0xdd;
            assertPassedUntouched(fx, v6, "IPv6 ethertype");
            byte[] tcp = validPrepare();
            tcp[Frames.ETH + 9] = 6;
            Frames.setIpChecksum(tcp);
            assertPassedUntouched(fx, tcp, "TCP");
            byte[] appFragment = validPrepare();
            appFragment[Frames.ETH + 20 + 8] = 0x10; // FRAG_MAGIC 0x20101010
            appFragment[Frames.ETH + 20 + 9] = 0x10;
            appFragment[Frames.ETH + 20 + 10] = 0x10;
            assertPassedUntouched(fx, appFragment, "application-level fragment");
        }
    }

    @Test
    void oversizedDataLengthAndWrongTypeNamesPass() {
        try (BpfFixture fx = new BpfFixture(3).as(1, 5, 10)) {
            byte[] lying = validPrepare();
            int dataLenOff = Frames.ETH + 20 + 8 + 12 + 33 + 12;
            lying[dataLenOff] += 1; // dataLen no longer matches the UDP length
            assertPassedUntouched(fx, lying, "dataLen mismatch");
            byte[] renamed = validPrepare();
            renamed[Frames.ETH + 20 + 8 + 12 + 20] = 'X'; // "PrepareMessage" -> "PXepareMessage"
            assertPassedUntouched(fx, renamed, "unknown type name");
            byte[] udpTooLong = validPrepare();
            udpTooLong[Frames.ETH + 20 + 5] += 1; // UDP length beyond the frame
            assertPassedUntouched(fx, udpTooLong, "UDP length beyond the frame");
            assertEquals(2, fx.bpf.counter(Counter.MALFORMED), "dataLen mismatch and UDP length beyond the frame: " + fx.bpf.counters());
        }
    }

    @Test
    void bodiesAboveTheFastPathLimitGoUpTheStack() {
        try (BpfFixture fx = new BpfFixture(3).as(1, 5, 10)) {
            fx.bpf.configure(fx.addresses, 2, java.util.EnumSet.allOf(Offload.class), Frames.PORT, 200);
            PrepareMessage big = Frames.prepare(5, 11, 12, 150); // about 320 bytes of body
            assertPassedUntouched(fx, Frames.prepareFrame(1, big, false), "body above the limit");
            assertEquals(1, fx.bpf.counter(Counter.PASS_TOO_LARGE));
            assertEquals(XDP_TX, fx.xdp(Frames.prepareFrame(1, Frames.prepare(5, 11, 11, 20), false)).retval(), "a small one still goes");
            assertThrows(IllegalArgumentException.class,
                    () -> fx.bpf.configure(fx.addresses, 2, java.util.EnumSet.allOf(Offload.class), Frames.PORT, 9001));
        }
    }

    @Test
    void truncatedAtEveryByteBoundary() {
        try (BpfFixture fx = new BpfFixture(3).as(1, 5, 10)) {
            byte[] full = validPrepare();
            List<Integer> rejectedByKernel = new ArrayList<>();
            for (int len = 0; len < full.length; len++) {
                byte[] cut = java.util.Arrays.copyOf(full, len);
                try {
                    assertPassedUntouched(fx, cut, "frame cut to " + len + " bytes");
                } catch (BpfException e) {
                    // BPF_PROG_TEST_RUN refuses frames shorter than an Ethernet header.
                    assertEquals(22 /* EINVAL */, e.errno(), e.getMessage());
                    rejectedByKernel.add(len);
                }
            }
            assertTrue(rejectedByKernel.stream().allMatch(l -> l < Frames.ETH), "only sub-Ethernet frames refused: " + rejectedByKernel);
            assertEquals(XDP_TX, fx.xdp(full).retval(), "the whole frame still takes the fast path");
        }
    }
}
