package dev.electrode.bpf;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static dev.electrode.bpf.BpfFixture.XDP_TX;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Prints figures, asserts only correctness: the verifier's instruction counts per program,
 * and how fast Java drains fast-acked Prepares from the ring buffer (records per second).
 */
class RingDrainBenchmarkTest {
    private static final int RECORDS = Integer.getInteger("electrode.bench.records", 40_000);
    private static final int ROUNDS = 5;

    @Test
    void verifierInstructionCounts() {
        try (BpfFixture fx = new BpfFixture(3)) {
            int xdp = fx.bpf.verifiedInstructions(fx.bpf.xdpProgramFd());
            int tc = fx.bpf.verifiedInstructions(fx.bpf.tcProgramFd());
            int pass = fx.bpf.verifiedInstructions(fx.bpf.xdpPassProgramFd());
            System.out.printf("verifier: %s %d insns, %s %d insns, %s %d insns%n", ElectrodeBpf.XDP_PROGRAM, xdp,
                    ElectrodeBpf.TC_PROGRAM, tc, ElectrodeBpf.XDP_PASS_PROGRAM, pass);
            assertTrue(xdp > 0 && tc > 0 && pass > 0);
        }
    }

    @Test
    void drainRate() {
        try (BpfFixture fx = new BpfFixture(3).as(1, 0, 0)) {
            List<byte[]> frames = new ArrayList<>(RECORDS);
            for (int i = 1; i <= RECORDS * ROUNDS; i++) frames.add(Frames.prepareFrame(1, Frames.prepare(0, i, i, 16), false));
            long[] bodyBytes = {0};
            PrepareRing ring = fx.bpf.prepareRing();
            int op = 0;
            for (int round = 0; round < ROUNDS; round++) {
                for (int i = 0; i < RECORDS; i++) assertEquals(XDP_TX, fx.xdp(frames.get(op++)).retval());
                long t0 = System.nanoTime();
                int n = ring.drain((view, opnum, start, ip, port, mac, body) -> bodyBytes[0] += body.remaining());
                long ns = System.nanoTime() - t0;
                assertEquals(RECORDS, n, "every fast-acked Prepare is in the ring");
                System.out.printf("ring drain round %d: %d records in %.2f ms = %.2f M records/s (%.0f ns/record)%n",
                        round + 1, n, ns / 1e6, n / (ns / 1e9) / 1e6, (double) ns / n);
            }
            assertEquals((long) RECORDS * ROUNDS, fx.bpf.counter(Counter.FAST_ACKED));
            assertTrue(bodyBytes[0] > 0);
        }
    }
}
