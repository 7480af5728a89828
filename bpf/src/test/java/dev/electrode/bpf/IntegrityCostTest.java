package dev.electrode.bpf;

import org.junit.jupiter.api.Test;

import static dev.electrode.bpf.BpfFixture.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Prints what the fast path's integrity checks cost per Prepare, from BPF_PROG_TEST_RUN's
 * kernel-measured run time (median of single runs; asserts only the verdicts): the whole checked path
 * (addresses, IPv4 and UDP checksums, meta, then the re-acknowledgement), a frame stopped
 * before the UDP checksum (checksum 0), one stopped after it (a wrong checksum), and one
 * stopped at the sender check. The UDP checksum's cost is the difference of the middle two.
 */
class IntegrityCostTest {
    private static final int RUNS = Integer.getInteger("electrode.bench.runs", 20_000);

    /**
     * Median of the kernel-measured run time over single runs (a repeated run would see the frame
     * the previous run turned into a MyPrepareOK), in nanoseconds.
     */
    private static long nsPerRun(BpfFixture fx, byte[] frame, int expected) {
        long[] ns = new long[RUNS];
        for (int i = 0; i < RUNS; i++) {
            TestRun.Result r = fx.xdp(frame);
            assertEquals(expected, r.retval(), () -> "counters " + fx.bpf.counters());
            ns[i] = r.durationNanos();
        }
        java.util.Arrays.sort(ns);
        return ns[RUNS / 2];
    }

    @Test
    void costPerPrepare() {
        try (BpfFixture fx = new BpfFixture(3).as(1, 5, 1000)) { // replica 1; view 5 is led by replica 2
            for (int[] shape : new int[][] {{1, 20}, {1, 1000}, {8, 350}}) {
                byte[] intact = Frames.prepareFrame(2, 1, Frames.prepare(5, 1001 - shape[0], 1000, shape[1]), false); // already held: re-acked
                int udp = Frames.ETH + 20;
                byte[] noChecksum = intact.clone();
                noChecksum[udp + 6] = 0;
                noChecksum[udp + 7] = 0;
                byte[] badChecksum = intact.clone();
                badChecksum[udp + 7] ^= 1;
                byte[] foreign = Frames.prepareFrame(0, 1, Frames.prepare(5, 1001 - shape[0], 1000, shape[1]), false);
                nsPerRun(fx, intact, XDP_TX); // warm up
                long full = nsPerRun(fx, intact, XDP_TX);
                long beforeUdp = nsPerRun(fx, noChecksum, XDP_PASS);
                long afterUdp = nsPerRun(fx, badChecksum, XDP_PASS);
                long sender = nsPerRun(fx, foreign, XDP_PASS);
                System.out.printf("integrity cost, %d-byte datagram (%d ops of %d B): checked re-ack %d ns; stopped at sender %d ns, "
                                + "before UDP checksum %d ns, after it %d ns => UDP checksum ~%d ns, addresses + IPv4 checksum ~%d ns%n",
                        intact.length - udp, shape[0], shape[1], full, sender, beforeUdp, afterUdp, afterUdp - beforeUdp, beforeUdp - sender);
            }
            assertEquals(0, fx.drain().size(), "re-acknowledged, never buffered");
        }
    }
}
